/* The local side of each protocol until login: greeting, capabilities,
 * STARTTLS, and the password commands, answered by the gateway itself.
 * Nothing the client sends before a successful login reaches the upstream.
 *
 *   imap_front.c  LOGIN (quoted strings and literals, LITERAL+),
 *                 AUTHENTICATE PLAIN and LOGIN (with and without SASL-IR),
 *                 CAPABILITY, NOOP, LOGOUT, STARTTLS, ID
 *   pop3_front.c  USER/PASS, AUTH PLAIN (inline and continued), CAPA, STLS, QUIT
 *   smtp_front.c  EHLO/HELO, AUTH PLAIN and LOGIN (inline and continued),
 *                 STARTTLS (EHLO again after it), RSET, NOOP, QUIT
 *
 * The parsers the fronts use are pure (imap_cmd.c, pop3_cmd.c, smtp_cmd.c,
 * sasl_local.c) and fuzzed. */
#ifndef MK_GATEWAY_FRONT_H
#define MK_GATEWAY_FRONT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct gw_lconn;
struct mk_conn;

enum gw_proto { GW_IMAP = 0, GW_POP3, GW_SMTP };

/* What a successful upstream login hands to the front (and then the relay). */
struct gw_upstream {
	struct mk_conn *conn; /* logged in, ready for the client's next command */
	/* IMAP: the upstream's capabilities after login (the text of its
	 * CAPABILITY response or [CAPABILITY ...] code, without the keyword),
	 * heap, or NULL when not known: the front then says a plain OK and the
	 * client asks CAPABILITY itself, through the relay. */
	char *imap_caps;
};
void gw_upstream_free(struct gw_upstream **up); /* closes conn; NULL ok */

/* The gateway's login decision, called by a front with what the client
 * sent (user, password: secrets in wiped buffers the front owns).
 *  0  logged in upstream: *up_r set; the front answers success and returns.
 * -1  err says why:
 *     MK_ERR_AUTH     wrong or revoked app password, or unknown user (the
 *                     delay has already been served): the protocol's
 *                     failure; the client may try again (up to max_failures).
 *     MK_ERR_TEMP, MK_ERR_CONSENT, MK_ERR_CONN and anything else: a
 *                     temporary failure carrying err's message (which names
 *                     `mailkey login ACCOUNT` when consent is missing):
 *                     IMAP "NO [UNAVAILABLE]", SMTP "454 4.7.0",
 *                     POP3 "-ERR [SYS/TEMP]". */
struct gw_login_ops {
	int (*login)(void *ctx, enum gw_proto proto, const char *user, const char *pass,
		     struct gw_upstream **up_r, struct mk_error *err);
	void *ctx;
};

struct gw_front_params {
	struct gw_lconn *lc;
	const char *hostname; /* in greetings: "mailkey gateway" is added */
	/* Loopback listeners: false; any other address: true, and then no
	 * authentication is offered or accepted before TLS (IMAP LOGINDISABLED
	 * and no AUTH=, POP3 no USER/SASL in CAPA, SMTP no AUTH in EHLO), and
	 * the commands are refused with the protocol's "TLS first" reply. */
	bool require_tls;
	size_t line_max;       /* pre-login line cap (0 = 8192); longer: error reply, close */
	size_t literal_max;    /* IMAP LOGIN literal cap (0 = 1024); larger: NO, no "+" sent */
	unsigned max_failures; /* wrong passwords before the front closes (0 = 3) */
	unsigned max_commands; /* pre-login commands before the front closes (0 = 50) */
	struct gw_login_ops ops;
};

/* Run the pre-login dialogue on p->lc.
 *  0  logged in: *up_r is the upstream (the success reply was sent, for
 *     IMAP with the client's tag and the upstream's capabilities);
 *  1  the client left or was sent away (LOGOUT/QUIT, EOF, too many
 *     failures or commands, over-long line, timeout): nothing to relay;
 * -1  an internal error (err). */
int gw_front_imap(const struct gw_front_params *p, struct gw_upstream **up_r, struct mk_error *err);
int gw_front_pop3(const struct gw_front_params *p, struct gw_upstream **up_r, struct mk_error *err);
int gw_front_smtp(const struct gw_front_params *p, struct gw_upstream **up_r, struct mk_error *err);

#endif
