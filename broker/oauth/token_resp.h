/* Token-endpoint responses (RFC 6749 §5.1, §5.2), pure: bytes and status in,
 * tokens or a readable error out. Fuzzed. */
#ifndef MK_OAUTH_TOKEN_RESP_H
#define MK_OAUTH_TOKEN_RESP_H

#include <stddef.h>
#include <stdint.h>

#include "broker/tokens.h"
#include "common/error.h"

struct mk_oauth_error {
	char error[64];	       /* "invalid_grant", "authorization_pending", ... ("" if none) */
	char description[512]; /* error_description, control bytes removed */
};

/* Parse a response. On 200 with an access token: fill r (obtained_at = now,
 * expires_at from expires_in, or MK_TOKENS_ASSUMED_LIFETIME when it is
 * missing, <= 0 or unusable) and return 0. An access or refresh token that is
 * empty or holds a control byte (CR, LF, NUL, ...) is MK_ERR_PROTO. Otherwise -1 with err classed:
 * MK_ERR_CONSENT (invalid_grant, interaction/consent required, access_denied,
 * expired_token), MK_ERR_CONFIG (invalid_client, unauthorized_client,
 * invalid_scope, redirect and tenant problems), MK_ERR_TEMP (408, 429, 5xx,
 * temporarily_unavailable, authorization_pending, slow_down), MK_ERR_PROTO
 * (not JSON, no access token). oe (may be NULL) receives the raw code. The
 * message names the provider's code and the likely fix, never a token. */
int mk_token_resp_parse(long status, const char *body, size_t len, int64_t now, struct mk_tokens *r,
			struct mk_oauth_error *oe, struct mk_error *err);

#endif
