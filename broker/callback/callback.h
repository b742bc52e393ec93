/* The authorization response (RFC 6749 §4.1.2, RFC 9207), judged purely:
 * the same rules serve the loopback listener and the pasted URL of the
 * manual flow. */
#ifndef MK_CALLBACK_H
#define MK_CALLBACK_H

#include <stdbool.h>

#include "common/buf.h"
#include "common/error.h"

struct mk_cb_expect {
	const char *state;  /* what we sent */
	const char *issuer; /* the server we sent the person to (may be NULL) */
	bool iss_required;  /* the server advertises RFC 9207 */
};

struct mk_cb_params { /* decoded query parameters; NULL = absent */
	const char *code, *state, *iss, *error, *error_description;
};

enum mk_cb_outcome {
	MK_CB_STALE = 0, /* not ours (no or wrong state): ignore it and keep waiting */
	MK_CB_CODE,	 /* a code for us: exchange it */
	MK_CB_DENIED,	 /* error=access_denied */
	MK_CB_ERROR,	 /* any other error, or a mix-up (wrong iss): err says which */
};

/* Classify a response. state is compared in constant time. For MK_CB_DENIED
 * and MK_CB_ERROR, err holds the reason (MK_ERR_CONSENT / MK_ERR_CONFIG /
 * MK_ERR_PROTO) with the provider's description. */
enum mk_cb_outcome mk_cb_judge(const struct mk_cb_expect *x, const struct mk_cb_params *q,
			       struct mk_error *err);

/* Get parameter key from a URL or bare query string (percent- and
 * '+'-decoded) into out. 0 found, 1 absent, -1 malformed escape. */
int mk_query_get(const char *url_or_query, const char *key, struct mk_buf *out);

#endif
