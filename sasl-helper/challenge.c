/* The server's error challenge and the checks shared by both mechanisms.
 *
 * The challenge is base64 of a JSON object; the driver decodes the base64,
 * this file reads the JSON. Two dialects meet here: XOAUTH2 (Google:
 * {"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}
 * with a trailing newline; the POP example says "400" and "Bearer") and
 * RFC 7628 §3.2.2 ({"status":"invalid_token","scope":..,
 * "openid-configuration":..}). Parsed leniently: status may be a string or
 * a number, unknown keys are ignored, missing keys leave fields empty, and
 * bytes after the object are tolerated. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "sasl-helper/mech-private.h"

enum mk_sasl_status mk_sasl_check_value(const char *what, const char *v, size_t len, struct mk_error *err)
{
	if (v == NULL || len == 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "the SASL %s is empty", what);
		return MK_SASL_ERR_INTERNAL;
	}
	/* ^A separates key/value pairs (RFC 7628 §3.1 kvsep), CR/LF end a
	 * protocol line, NUL ends a C string: any of them in a user name would
	 * let it add an "auth=" of its choosing. */
	for (size_t i = 0; i < len; i++)
		if (v[i] == '\0' || v[i] == '\x01' || v[i] == '\r' || v[i] == '\n') {
			mk_error_set(err, MK_ERR_INTERNAL,
				     "the SASL %s contains a control character (NUL, ^A, CR or LF)", what);
			return MK_SASL_ERR_INTERNAL;
		}
	return MK_SASL_OK;
}

enum mk_sasl_status mk_sasl_check_field(const char *what, const char *v, struct mk_error *err)
{
	return mk_sasl_check_value(what, v, v != NULL ? strlen(v) : 0, err);
}

/* Copy a string or number into a fixed field. Control characters become
 * spaces (the text ends up in a message a person reads); a value too long
 * is cut, at a UTF-8 character boundary, never past the field. */
static void copy_field(char *dst, size_t size, json_t *v)
{
	char num[64];
	const char *s = NULL;
	size_t o = 0;

	if (json_is_string(v)) {
		s = json_string_value(v);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		s = num;
	} else if (json_is_real(v)) {
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		s = num;
	}
	for (; s != NULL && *s != '\0' && o + 1 < size; s++)
		dst[o++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' : *s;
	/* Cut in the middle of a character: drop its partial start too. */
	if (s != NULL && ((unsigned char)*s & 0xc0) == 0x80) {
		while (o > 0 && ((unsigned char)dst[o - 1] & 0xc0) == 0x80)
			o--;
		if (o > 0 && ((unsigned char)dst[o - 1] & 0xc0) == 0xc0)
			o--;
	}
	dst[o] = '\0';
}

bool mk_sasl_failure_is_token_problem(const struct mk_sasl_failure *fail)
{
	/* Google sends "401" for an expired or revoked token and "400" (or
	 * "invalid_request") for a token that does not match the user name;
	 * RFC 7628 servers say "invalid_token" (RFC 6750 §3.1). */
	return strcmp(fail->status, "401") == 0 || strcmp(fail->status, "400") == 0 ||
	       strcmp(fail->status, "invalid_token") == 0 || strcmp(fail->status, "invalid_request") == 0;
}

static const char *explain(const struct mk_sasl_failure *fail)
{
	if (strcmp(fail->status, "401") == 0 || strcmp(fail->status, "invalid_token") == 0)
		return "it is expired, revoked or for another user; run `mailkey refresh ACCOUNT` or "
		       "`mailkey login ACCOUNT`";
	if (strcmp(fail->status, "400") == 0 || strcmp(fail->status, "invalid_request") == 0)
		return "the user name does not match the token, or the token is no longer valid; check "
		       "the account's user, then run `mailkey refresh ACCOUNT` or `mailkey login ACCOUNT`";
	if (strcmp(fail->status, "403") == 0 || strcmp(fail->status, "insufficient_scope") == 0)
		return "the token lacks the scope the server wants; add it to the account's scopes and "
		       "run `mailkey login ACCOUNT`";
	return "the reason is not one mailkey knows; `mailkey login ACCOUNT` may help";
}

bool mk_sasl_parse_failure(const unsigned char *challenge, size_t len, struct mk_sasl_failure *fail)
{
	json_t *doc;

	memset(fail, 0, sizeof(*fail));
	/* JSON_DISABLE_EOF_CHECK: a trailing newline or NUL some servers add
	 * must not hide the status. */
	doc = json_loadb((const char *)challenge, len, JSON_DISABLE_EOF_CHECK, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		snprintf(fail->message, sizeof(fail->message),
			 "the server refused the token and its reason is not readable JSON; run "
			 "`mailkey refresh ACCOUNT` or `mailkey login ACCOUNT`");
		return false;
	}
	copy_field(fail->status, sizeof(fail->status), json_object_get(doc, "status"));
	copy_field(fail->schemes, sizeof(fail->schemes), json_object_get(doc, "schemes"));
	copy_field(fail->scope, sizeof(fail->scope), json_object_get(doc, "scope"));
	copy_field(fail->openid_configuration, sizeof(fail->openid_configuration),
		   json_object_get(doc, "openid-configuration"));
	json_decref(doc);
	/* Precision caps keep the sentence inside message whatever the
	 * fields hold; the explanation is never cut. */
	snprintf(fail->message, sizeof(fail->message),
		 "the server refused the token (status %.60s%s%.120s): %s",
		 fail->status[0] ? fail->status : "missing", fail->scope[0] ? ", scope " : "", fail->scope,
		 explain(fail));
	return true;
}
