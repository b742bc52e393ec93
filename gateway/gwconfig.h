/* The [gateway] section: what broker/config kept as key/value lines,
 * checked and turned into listeners and limits (docs/config.md, [gateway]).
 * Pure apart from access(2) on cert/key: `mailkey config check`, `mailkey
 * gateway` and the daemon all see the same problems. */
#ifndef MK_GATEWAY_GWCONFIG_H
#define MK_GATEWAY_GWCONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "broker/config/config.h"
#include "common/buf.h"
#include "common/error.h"
#include "gateway/front.h"

#define GW_LISTENERS_MAX 64

struct gw_listener_cfg {
	enum gw_proto proto;
	bool implicit_tls; /* imaps, pop3s, smtps */
	char key[8];	   /* "imap", "smtps", ... for messages */
	char addr[46];	   /* numeric, no brackets */
	bool v6;
	unsigned port;
	bool loopback;	   /* 127.0.0.0/8 or ::1 */
	char account[128]; /* the listener's fixed account, or "" */
	unsigned line;
};

struct gw_config {
	struct gw_listener_cfg l[GW_LISTENERS_MAX];
	size_t n;
	bool remote;
	char *cert, *key; /* both or neither */
	char **names;	  /* NULL-terminated, never NULL */
	unsigned max_connections, max_per_source, max_failures;
	unsigned fail_delay, login_timeout, idle_timeout; /* seconds */
};

/* Check [gateway] of cfg. Every problem is appended to problems (may be
 * NULL) as "FILE:LINE: message\n"; the first goes to err (MK_ERR_CONFIG)
 * and -1 is returned. A config without [gateway] is valid with n = 0. */
int gw_config_parse(const struct mk_config *cfg, struct mk_buf *problems, struct gw_config **r,
		    struct mk_error *err);
void gw_config_free(struct gw_config **c);

/* "127.0.0.1:1143" or "[::1]:1143" of listener l, into buf. */
const char *gw_listener_addr(const struct gw_listener_cfg *l, char *buf, size_t size);

#endif
