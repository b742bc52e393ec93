#include "broker/oauth/token_resp.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/str.h"

static void copy_clean(char *dst, size_t size, const char *src)
{
	size_t o = 0;

	for (; src != NULL && *src != '\0' && o + 1 < size; src++)
		dst[o++] = ((unsigned char)*src < 0x20 || *src == 0x7f) ? ' ' : *src;
	dst[o] = '\0';
}

/* The likely fix for well-known provider errors (research/protocols.md §3). */
static const char *hint_for(const char *code, const char *desc)
{
	static const struct {
		const char *needle, *hint;
	} aad[] = {
		{ "AADSTS50011", "the redirect URI is not registered: add http://localhost/callback under "
				 "'Mobile and desktop applications' in the app registration" },
		{ "AADSTS700016", "the application is not known in this tenant: check client_id and tenant" },
		{ "AADSTS90002", "the tenant does not exist: check `tenant` in the config" },
		{ "AADSTS7000218", "the app registration must 'Allow public client flows'" },
		{ "AADSTS700025", "this is a public client: remove client_secret from the config" },
		{ "AADSTS65001", "consent is missing: run `mailkey login` again" },
		{ "AADSTS70008", "the refresh token expired: run `mailkey login` again" },
		{ "AADSTS700082", "the refresh token expired after inactivity: run `mailkey login` again" },
	};

	for (size_t i = 0; i < sizeof(aad) / sizeof(aad[0]); i++)
		if (strstr(desc, aad[i].needle) != NULL)
			return aad[i].hint;
	if (strcmp(code, "invalid_grant") == 0) {
		if (strstr(desc, "expired or revoked") != NULL)
			return "the grant was revoked or expired (Google expires refresh tokens after 7 days "
			       "while "
			       "the app's publishing status is 'Testing'): run `mailkey login` again";
		return "the grant is no longer valid: run `mailkey login` again";
	}
	if (strcmp(code, "invalid_client") == 0 || strcmp(code, "unauthorized_client") == 0)
		return "the client_id or client secret is wrong, or the client may not use this flow: check "
		       "the "
		       "app registration and the config";
	if (strcmp(code, "invalid_scope") == 0)
		return "the provider does not allow these scopes for this client: check `scope` and the app "
		       "registration";
	if (strcmp(code, "redirect_uri_mismatch") == 0)
		return "the redirect URI is not registered for this client";
	if (strcmp(code, "access_denied") == 0)
		return "consent was declined";
	if (strcmp(code, "expired_token") == 0)
		return "the code expired before it was approved: run the login again";
	if (strcmp(code, "interaction_required") == 0 || strcmp(code, "consent_required") == 0 ||
	    strcmp(code, "login_required") == 0)
		return "the provider wants you to sign in again: run `mailkey login`";
	return NULL;
}

static enum mk_error_class class_for(long status, const char *code)
{
	static const char *const consent[] = { "invalid_grant",	 "interaction_required", "consent_required",
					       "login_required", "access_denied",	 "expired_token" };
	static const char *const config[] = { "invalid_client",	 "unauthorized_client",
					      "invalid_scope",	 "unsupported_grant_type",
					      "invalid_request", "redirect_uri_mismatch" };
	static const char *const temp[] = { "temporarily_unavailable", "server_error",
					    "authorization_pending", "slow_down" };

	/* RFC 6749 errors come with 400/401; anything the server says with a
	 * 5xx, 408 or 429 is its own trouble and worth retrying. */
	if (status == 408 || status == 429 || status >= 500)
		return MK_ERR_TEMP;
	for (size_t i = 0; i < sizeof(temp) / sizeof(temp[0]); i++)
		if (strcmp(code, temp[i]) == 0)
			return MK_ERR_TEMP;
	for (size_t i = 0; i < sizeof(consent) / sizeof(consent[0]); i++)
		if (strcmp(code, consent[i]) == 0)
			return MK_ERR_CONSENT;
	for (size_t i = 0; i < sizeof(config) / sizeof(config[0]); i++)
		if (strcmp(code, config[i]) == 0)
			return MK_ERR_CONFIG;
	return MK_ERR_RESP;
}

/* A token goes into SASL strings, HTTP headers and the store: one line of
 * printable bytes (a control byte could forge a protocol line). */
static bool usable_token(json_t *v)
{
	const char *p = json_string_value(v);
	size_t n = json_string_length(v);

	if (!json_is_string(v) || n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

/* expires_in in seconds (a number, or a string of digits), 0 when it is
 * missing or not usable: 0, negative, over ten years, not a number. */
static int64_t lifetime_of(json_t *v)
{
	uint64_t n;

	if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 10 * 365 * 86400)
		return json_integer_value(v);
	if (json_is_string(v) &&
	    mk_str_to_u64(json_string_value(v), json_string_length(v), 10u * 365 * 86400, &n) == 0 && n > 0)
		return (int64_t)n;
	return 0;
}

static int dup_opt(json_t *o, const char *k, char **dst)
{
	json_t *v = json_object_get(o, k);

	*dst = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	/* Every field ends up in the store, in `status` and in messages:
	 * a control byte (or an embedded NUL, which strdup would cut at)
	 * could forge a line there, so the whole answer is refused. */
	for (size_t i = 0; i < json_string_length(v); i++)
		if ((unsigned char)json_string_value(v)[i] < 0x20 || json_string_value(v)[i] == 0x7f)
			return -1;
	*dst = strdup(json_string_value(v));
	return *dst == NULL ? -1 : 0;
}

int mk_token_resp_parse(long status, const char *body, size_t len, int64_t now, struct mk_tokens *r,
			struct mk_oauth_error *oe, struct mk_error *err)
{
	struct mk_oauth_error local;
	json_t *doc = NULL, *v;
	json_error_t jerr;
	const char *hint;
	int rc = -1;

	if (oe == NULL)
		oe = &local;
	oe->error[0] = oe->description[0] = '\0';
	memset(r, 0, sizeof(*r));
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL || !json_is_object(doc)) {
		if (status == 408 || status == 429 || status >= 500)
			mk_error_set(err, MK_ERR_TEMP,
				     "the token endpoint is unavailable (HTTP %ld); try again later", status);
		else
			mk_error_set(err, MK_ERR_PROTO,
				     "the token endpoint answered HTTP %ld with something that is "
				     "not a JSON object",
				     status);
		goto out;
	}
	v = json_object_get(doc, "error");
	if (status != 200 || v != NULL) {
		if (!json_is_string(v)) {
			mk_error_set(err,
				     status >= 500 || status == 429 || status == 408 ? MK_ERR_TEMP
										     : MK_ERR_PROTO,
				     "the token endpoint answered HTTP %ld without an error code", status);
			goto out;
		}
		copy_clean(oe->error, sizeof(oe->error), json_string_value(v));
		v = json_object_get(doc, "error_description");
		copy_clean(oe->description, sizeof(oe->description),
			   json_is_string(v) ? json_string_value(v) : "");
		hint = hint_for(oe->error, oe->description);
		mk_error_set(err, class_for(status, oe->error), "the provider refused: %s%s%s%s%s", oe->error,
			     oe->description[0] ? " (" : "", oe->description, oe->description[0] ? ")" : "",
			     hint != NULL ? "" : "");
		if (hint != NULL) {
			char h[512];
			size_t n = strlen(err->msg);
			snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
				 mk_hint_subst(h, sizeof(h), hint));
		}
		goto out;
	}
	if (!usable_token(json_object_get(doc, "access_token"))) {
		mk_error_set(err, MK_ERR_PROTO, "the token endpoint's answer has no usable access_token");
		goto out;
	}
	v = json_object_get(doc, "refresh_token");
	if (v != NULL && !json_is_null(v) && !usable_token(v)) {
		mk_error_set(
			err, MK_ERR_PROTO,
			"the token endpoint's answer has an unusable refresh_token (empty, not a string, "
			"or with control characters)");
		goto out;
	}
	if (dup_opt(doc, "access_token", &r->access_token) != 0 ||
	    dup_opt(doc, "refresh_token", &r->refresh_token) != 0 ||
	    dup_opt(doc, "id_token", &r->id_token) != 0 || dup_opt(doc, "token_type", &r->token_type) != 0 ||
	    dup_opt(doc, "scope", &r->scope) != 0) {
		mk_error_set(err, MK_ERR_PROTO,
			     "the token endpoint's answer has a field of the wrong type or with "
			     "control characters");
		goto out;
	}
	if (r->token_type != NULL && strcasecmp(r->token_type, "bearer") != 0) {
		mk_error_set(err, MK_ERR_PROTO, "unsupported token_type '%.32s' (mail needs Bearer tokens)",
			     r->token_type);
		goto out;
	}
	r->obtained_at = now;
	/* Some servers send expires_in as a string; accept both, bounded.
	 * Without a usable one the token is taken to live an hour, so it is
	 * still refreshed (never "valid forever"). */
	r->expires_at = lifetime_of(json_object_get(doc, "expires_in"));
	r->expires_at = now + (r->expires_at > 0 ? r->expires_at : MK_TOKENS_ASSUMED_LIFETIME);
	rc = 0;
out:
	if (rc != 0)
		mk_tokens_clear(r);
	json_decref(doc);
	return rc;
}
