/* The server's error challenge: base64 of a JSON object, XOAUTH2 (Google,
 * {"status":"401","schemes":"bearer","scope":"..."}) or RFC 7628 §3.2.2
 * ({"status":"invalid_token","scope":..,"openid-configuration":..}). Parsed
 * leniently: only `status` matters, and it may be a string or a number. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "sasl-helper/mech-private.h"

enum mk_sasl_status mk_sasl_check_field(const char *what, const char *v, struct mk_error *err)
{
	if (v == NULL || *v == '\0') {
		mk_error_set(err, MK_ERR_INTERNAL, "the SASL %s is empty", what);
		return MK_SASL_ERR_INTERNAL;
	}
	for (const char *p = v; *p != '\0'; p++)
		if (*p == '\x01' || *p == '\r' || *p == '\n') {
			mk_error_set(err, MK_ERR_INTERNAL,
				     "the SASL %s contains a control character (^A, CR or LF)", what);
			return MK_SASL_ERR_INTERNAL;
		}
	return MK_SASL_OK;
}

static void copy_field(char *dst, size_t size, json_t *v)
{
	char num[32];
	const char *s = NULL;
	size_t o = 0;

	if (json_is_string(v))
		s = json_string_value(v);
	else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		s = num;
	}
	for (; s != NULL && *s != '\0' && o + 1 < size; s++)
		dst[o++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' : *s;
	dst[o] = '\0';
}

bool mk_sasl_parse_failure(const unsigned char *challenge, size_t len, struct mk_sasl_failure *fail)
{
	json_t *doc;
	const char *why;

	memset(fail, 0, sizeof(*fail));
	doc = json_loadb((const char *)challenge, len, 0, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		snprintf(fail->message, sizeof(fail->message),
			 "the server refused the token (no readable reason)");
		return false;
	}
	copy_field(fail->status, sizeof(fail->status), json_object_get(doc, "status"));
	copy_field(fail->schemes, sizeof(fail->schemes), json_object_get(doc, "schemes"));
	copy_field(fail->scope, sizeof(fail->scope), json_object_get(doc, "scope"));
	copy_field(fail->openid_configuration, sizeof(fail->openid_configuration),
		   json_object_get(doc, "openid-configuration"));
	json_decref(doc);
	if (strcmp(fail->status, "401") == 0 || strcmp(fail->status, "invalid_token") == 0)
		why = "it is expired, revoked, or for another user; `mailkey token --refresh ACCOUNT` or "
		      "`mailkey login ACCOUNT` fixes it";
	else if (strcmp(fail->status, "400") == 0 || strcmp(fail->status, "invalid_request") == 0)
		why = "the request was malformed (wrong user name for this token?)";
	else if (strcmp(fail->status, "403") == 0 || strcmp(fail->status, "insufficient_scope") == 0)
		why = "the token lacks the scope the server wants";
	else
		why = "see the server's status";
	snprintf(fail->message, sizeof(fail->message),
		 "the server refused the token (status %.60s%s%.160s): %.200s",
		 fail->status[0] ? fail->status : "unknown", fail->scope[0] ? ", scope " : "", fail->scope,
		 why);
	return true;
}
