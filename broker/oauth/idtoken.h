/* Who consented: the identity claims of an OpenID Connect ID token (or a
 * userinfo answer), compared with the account's `user`, so that approving
 * as bob for [account alice] is refused instead of stored. */
#ifndef MK_OAUTH_IDTOKEN_H
#define MK_OAUTH_IDTOKEN_H

#include <stddef.h>

#include "broker/oauth/flow.h"
#include "common/buf.h"
#include "common/error.h"

enum mk_ident {
	MK_IDENT_MATCH = 0, /* one of the claims names user */
	MK_IDENT_MISMATCH,  /* claims are there and none names user */
	MK_IDENT_UNKNOWN,   /* none of email, preferred_username, upn */
};

/* Append the decoded payload (JSON text) of a compact JWS/JWT
 * "header.payload.signature" to out. 0, or -1 with MK_ERR_PROTO. Pure. */
int mk_idtoken_payload(const char *jwt, struct mk_buf *out, struct mk_error *err);

/* Judge a JSON object of claims (an ID token payload or a userinfo body)
 * against user: a match when email, preferred_username or upn equals user
 * (ASCII case-insensitive; mail addresses are used that way). On
 * MK_IDENT_MISMATCH who_r gets the first of those claims (what to show).
 * Returns the enum, or -1 with MK_ERR_PROTO for JSON that is not an
 * object. Pure. */
int mk_ident_judge(const char *json, size_t len, const char *user, struct mk_buf *who_r,
		   struct mk_error *err);

/* After a flow: refuse tokens obtained by someone other than the account's
 * user. Uses the ID token when it names the person, else the userinfo
 * endpoint when there is one; when neither says who it is, the check is
 * skipped (logged). 0, or -1 with MK_ERR_CONSENT (wrong person: the message
 * names both) or MK_ERR_INTERNAL. */
int mk_oauth_check_user(const struct mk_oauth_params *p, const struct mk_endpoints *ep,
			const struct mk_tokens *t, struct mk_error *err);

#endif
