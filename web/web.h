/* Pages shown in the person's browser, rendered from templates embedded at
 * build time. Every variable is HTML-escaped. */
#ifndef MK_WEB_H
#define MK_WEB_H

#include <stdbool.h>

#include "common/buf.h"

enum mk_web_page {
	MK_WEB_SUCCESS = 0, /* consent given, tokens stored */
	MK_WEB_DENIED,	    /* the person declined */
	MK_WEB_ERROR,	    /* the provider answered the authorization with an error */
	MK_WEB_STALE,	    /* a request that does not belong to this login */
	MK_WEB_FAILED,	    /* mailkey could not finish (exchange, checks, network) */
};

struct mk_web_ctx {
	const char *account;
	const char *detail;  /* may be NULL; e.g. the provider's error_description */
	bool browser_opened; /* mailkey opened the tab (else the person opened the printed address) */
};

/* Render page into out. Every text is HTML-escaped; `text` in backticks
 * (ours or the detail's) becomes <code>text</code>. 0, or -1 (errno). */
int mk_web_render_page(enum mk_web_page page, const struct mk_web_ctx *ctx, struct mk_buf *out);

/* The same with browser_opened = true. */
int mk_web_render(enum mk_web_page page, const char *account, const char *detail, struct mk_buf *out);

/* Append s with & < > " ' escaped. */
int mk_web_escape(const char *s, struct mk_buf *out);

extern const unsigned char mk_web_tpl_result[];

#endif
