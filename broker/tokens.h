/* The token set of one account, as kept in the store and handed between the
 * OAuth code and the CLI. Strings are heap-owned; access_token, refresh_token
 * and id_token are secrets: release with mk_tokens_clear(). */
#ifndef MK_BROKER_TOKENS_H
#define MK_BROKER_TOKENS_H

#include <stdbool.h>
#include <stdint.h>

/* The lifetime taken for an access token whose response gave none (or a
 * useless expires_in), and for stored entries without one: an hour, the
 * common provider default, so such a token is still refreshed in time. */
#define MK_TOKENS_ASSUMED_LIFETIME 3600

struct mk_tokens {
	char *access_token;
	char *refresh_token; /* NULL when the provider gave none */
	char *id_token;
	char *token_type;    /* "Bearer" */
	char *scope;	     /* granted scope as returned (or as requested) */
	int64_t obtained_at; /* unix seconds the access token was issued */
	int64_t expires_at;  /* unix seconds; 0 (older stores) = obtained_at + MK_TOKENS_ASSUMED_LIFETIME */

	/* Where the grant came from: refreshes go back there (tenant, endpoint). */
	char *issuer;
	char *token_endpoint;

	bool needs_consent; /* invalid_grant seen: only `mailkey login` helps */
	char *last_error;   /* readable text of the last refresh failure, no secret */
	int64_t last_error_at;
};

/* Wipe secrets, free every string, zero the struct. Idempotent. */
void mk_tokens_clear(struct mk_tokens *t);

/* Deep copy; 0 or -1 on ENOMEM (dst left cleared). */
int mk_tokens_copy(struct mk_tokens *dst, const struct mk_tokens *src);

#endif
