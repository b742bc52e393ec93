#include "broker/tokens.h"

#include <stdlib.h>
#include <string.h>

#include "common/secret.h"

void mk_tokens_clear(struct mk_tokens *t)
{
	mk_secret_free_str(t->access_token);
	mk_secret_free_str(t->refresh_token);
	mk_secret_free_str(t->id_token);
	free(t->token_type);
	free(t->scope);
	free(t->issuer);
	free(t->token_endpoint);
	free(t->last_error);
	memset(t, 0, sizeof(*t));
}

static int dup_field(char **dst, const char *src)
{
	if (src == NULL) {
		*dst = NULL;
		return 0;
	}
	*dst = strdup(src);
	return *dst == NULL ? -1 : 0;
}

int mk_tokens_copy(struct mk_tokens *dst, const struct mk_tokens *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->obtained_at = src->obtained_at;
	dst->expires_at = src->expires_at;
	dst->needs_consent = src->needs_consent;
	dst->last_error_at = src->last_error_at;
	if (dup_field(&dst->access_token, src->access_token) != 0 ||
	    dup_field(&dst->refresh_token, src->refresh_token) != 0 ||
	    dup_field(&dst->id_token, src->id_token) != 0 ||
	    dup_field(&dst->token_type, src->token_type) != 0 || dup_field(&dst->scope, src->scope) != 0 ||
	    dup_field(&dst->issuer, src->issuer) != 0 ||
	    dup_field(&dst->token_endpoint, src->token_endpoint) != 0 ||
	    dup_field(&dst->last_error, src->last_error) != 0) {
		mk_tokens_clear(dst);
		return -1;
	}
	return 0;
}
