/* The one-shot loopback listener (RFC 8252 §7.3) for the authorization
 * code: libmicrohttpd on 127.0.0.1 only, an ephemeral port, one valid
 * callback served, then closed. */
#ifndef MK_LOOPBACK_H
#define MK_LOOPBACK_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/callback/callback.h"
#include "common/buf.h"
#include "common/error.h"

struct mk_loopback;

struct mk_loopback_params {
	const char *uri_host; /* host in the redirect URI: "127.0.0.1" or "localhost" */
	const char *path;     /* "/callback" */
	struct mk_cb_expect expect;
	const char *account; /* shown on the pages */
	/* Called (on the listener's thread) with a code that passed every
	 * check; exchanges it, so the page can say whether that worked. */
	int (*on_code)(void *ctx, const char *code, const char *redirect_uri, struct mk_error *err);
	void *ctx;
};

/* Listen; the redirect URI to send goes to redirect_uri_r. Errors:
 * MK_ERR_INTERNAL / MK_ERR_IO (cannot listen). */
int mk_loopback_start(const struct mk_loopback_params *p, struct mk_buf *redirect_uri_r,
		      struct mk_loopback **r, struct mk_error *err);

/* Did mailkey open the browser (pages then speak of "the tab mailkey
 * opened"), or did the person open a printed address? Default: printed. */
void mk_loopback_set_browser_opened(struct mk_loopback *lb, bool opened);

/* Has the one valid request been answered? Then *result_r is 0 (tokens
 * obtained) or -1 with err set. */
bool mk_loopback_done(struct mk_loopback *lb, int *result_r, struct mk_error *err);

/* Stop listening and free; NULLs *lb. */
void mk_loopback_free(struct mk_loopback **lb);

#endif
