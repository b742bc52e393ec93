/* PKCE (RFC 7636) with S256, and random URL-safe strings for `state`. */
#ifndef MK_OAUTH_PKCE_H
#define MK_OAUTH_PKCE_H

#include "common/buf.h"
#include "common/error.h"

/* A fresh 43-character verifier (32 random bytes, base64url) into verifier
 * (secret buffer) and its S256 challenge into challenge. */
int mk_pkce_new(struct mk_buf *verifier, struct mk_buf *challenge, struct mk_error *err);

/* challenge = BASE64URL(SHA256(ASCII(verifier))) (RFC 7636 §4.2). */
int mk_pkce_challenge(const char *verifier, struct mk_buf *challenge);

/* nbytes random bytes as base64url (state values). */
int mk_random_b64url(size_t nbytes, struct mk_buf *out, struct mk_error *err);

#endif
