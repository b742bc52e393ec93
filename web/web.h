/* Pages shown in the person's browser, rendered from templates embedded at
 * build time. Every variable is HTML-escaped. */
#ifndef MK_WEB_H
#define MK_WEB_H

#include "common/buf.h"

enum mk_web_page {
	MK_WEB_SUCCESS = 0, /* consent given, tokens stored */
	MK_WEB_DENIED,	    /* the person declined */
	MK_WEB_ERROR,	    /* the provider or mailkey reported an error */
	MK_WEB_STALE,	    /* a request that does not belong to this login */
};

/* Render page for account into out; detail (may be NULL) is shown verbatim
 * but escaped, e.g. the provider's error_description. 0, or -1 (errno). */
int mk_web_render(enum mk_web_page page, const char *account, const char *detail, struct mk_buf *out);

/* Append s with & < > " ' escaped. */
int mk_web_escape(const char *s, struct mk_buf *out);

extern const unsigned char mk_web_tpl_result[];

#endif
