/* The token-file formats of `mailkey import`: each peer's file as its own
 * program writes it, and the inputs that must be refused. */
#include <stdio.h>
#include <string.h>

#include "cli/import_fmt.h"
#include "cmocka_all.h"

#define NOW 1764583200 /* 2025-12-01T10:00:00Z */

static int parse(enum mk_import_format f, const char *s, struct mk_import *r, struct mk_error *err)
{
	mk_error_init(err);
	return mk_import_parse(f, s, strlen(s), NOW, NULL, r, err);
}

static void test_json(void **state)
{
	struct mk_import r;
	struct mk_error err;

	(void)state;
	assert_int_equal(parse(MK_IMPORT_JSON,
			       "{\"access_token\":\"at1\",\"refresh_token\":\"rt1\",\"expires_in\":3599,"
			       "\"scope\":\"openid email\",\"token_type\":\"bearer\",\"id_token\":\"x.y.z\","
			       "\"ext_expires_in\":3599}",
			       &r, &err),
			 0);
	assert_string_equal(r.tokens.access_token, "at1");
	assert_string_equal(r.tokens.refresh_token, "rt1");
	assert_string_equal(r.tokens.scope, "openid email");
	assert_string_equal(r.tokens.token_type, "Bearer");
	assert_string_equal(r.tokens.id_token, "x.y.z");
	assert_int_equal(r.tokens.obtained_at, NOW);
	assert_int_equal(r.tokens.expires_at, NOW + 3599);
	assert_false(r.expired);
	mk_import_clear(&r);
	/* expires_in as a string; no lifetime: the hour token_resp.c assumes */
	assert_int_equal(parse(MK_IMPORT_JSON, "{\"access_token\":\"a\",\"expires_in\":\"60\"}", &r, &err),
			 0);
	assert_int_equal(r.tokens.expires_at, NOW + 60);
	assert_null(r.tokens.refresh_token);
	mk_import_clear(&r);
	assert_int_equal(parse(MK_IMPORT_JSON, "{\"access_token\":\"a\"}", &r, &err), 0);
	assert_int_equal(r.tokens.expires_at, NOW + MK_TOKENS_ASSUMED_LIFETIME);
	mk_import_clear(&r);
	/* expires_at, absolute, wins over expires_in; in seconds or RFC 3339 */
	assert_int_equal(parse(MK_IMPORT_JSON,
			       "{\"access_token\":\"a\",\"expires_in\":10,\"expires_at\":1764583800}", &r,
			       &err),
			 0);
	assert_int_equal(r.tokens.expires_at, NOW + 600);
	mk_import_clear(&r);
	assert_int_equal(parse(MK_IMPORT_JSON,
			       "{\"access_token\":\"a\",\"expires_at\":\"2025-12-01T11:30:00+01:00\"}", &r,
			       &err),
			 0);
	assert_int_equal(r.tokens.expires_at, NOW + 1800);
	mk_import_clear(&r);
	/* expired with a refresh token: stored as expiring now */
	assert_int_equal(parse(MK_IMPORT_JSON,
			       "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_at\":\"2025-01-"
			       "01T00:00:00Z\","
			       "\"client_id\":\"c\",\"token_endpoint\":\"https://x/token\"}",
			       &r, &err),
			 0);
	assert_true(r.expired);
	assert_int_equal(r.tokens.expires_at, NOW);
	assert_string_equal(r.client_id, "c");
	assert_string_equal(r.token_endpoint, "https://x/token");
	mk_import_clear(&r);
}

static void test_mutt_oauth2(void **state)
{
	struct mk_import r;
	struct mk_error err;

	(void)state;
	/* As mutt_oauth2.py (2020-08-07) writes it: json.dumps(token). */
	assert_int_equal(
		parse(MK_IMPORT_MUTT_OAUTH2,
		      "{\"registration\": \"google\", \"authflow\": \"authcode\", \"email\": "
		      "\"a@example.test\", \"access_token\": \"ya29.x\", \"access_token_expiration\": "
		      "\"2025-12-01T10:59:59.123456\", \"refresh_token\": \"1//r\"}",
		      &r, &err),
		0);
	assert_string_equal(r.tokens.access_token, "ya29.x");
	assert_string_equal(r.tokens.refresh_token, "1//r");
	assert_int_equal(r.tokens.expires_at, NOW + 3599); /* local time = UTC here (local NULL) */
	assert_string_equal(r.user, "a@example.test");
	assert_string_equal(r.registration, "google");
	assert_string_equal(r.token_endpoint, "https://accounts.google.com/o/oauth2/token");
	assert_null(r.client_id);
	mk_import_clear(&r);
	/* newer versions keep client_id/secret; "" expiration = expired */
	assert_int_equal(parse(MK_IMPORT_MUTT_OAUTH2,
			       "{\"registration\": \"microsoft\", \"access_token\": \"e\", "
			       "\"access_token_expiration\": \"\", \"refresh_token\": \"r\", \"client_id\": "
			       "\"cid\", \"client_secret\": \"s\"}",
			       &r, &err),
			 0);
	assert_true(r.expired);
	assert_string_equal(r.client_id, "cid");
	assert_string_equal(r.token_endpoint, "https://login.microsoftonline.com/common/oauth2/v2.0/token");
	mk_import_clear(&r);
	/* "" refresh token is mutt's "none": fine while the token lasts, refused once expired */
	assert_int_equal(parse(MK_IMPORT_MUTT_OAUTH2,
			       "{\"access_token\":\"a\",\"access_token_expiration\":\"2025-12-01T11:00:00\","
			       "\"refresh_token\":\"\"}",
			       &r, &err),
			 0);
	assert_null(r.tokens.refresh_token);
	mk_import_clear(&r);
	assert_int_equal(parse(MK_IMPORT_MUTT_OAUTH2,
			       "{\"access_token\":\"a\",\"access_token_expiration\":\"2025-12-01T09:00:00\","
			       "\"refresh_token\":\"\"}",
			       &r, &err),
			 -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_non_null(strstr(err.msg, "no refresh token"));
	/* never authorized: mutt's initial file */
	assert_int_equal(
		parse(MK_IMPORT_MUTT_OAUTH2,
		      "{\"registration\":\"google\",\"authflow\":\"authcode\",\"email\":\"a@b\","
		      "\"access_token\":\"\",\"access_token_expiration\":\"\",\"refresh_token\":\"\"}",
		      &r, &err),
		-1);
	assert_non_null(strstr(err.msg, "'access_token' is empty"));
}

static void test_sasl_xoauth2(void **state)
{
	struct mk_import r;
	struct mk_error err;

	(void)state;
	/* As its TokenStore writes it: expiry a string. */
	assert_int_equal(parse(MK_IMPORT_SASL_XOAUTH2,
			       "{\"access_token\":\"at\",\"expiry\":\"1764586800\",\"refresh_token\":\"rt\","
			       "\"user\":\"u@example.test\",\"client_id\":\"cid\",\"token_endpoint\":"
			       "\"https://login.microsoftonline.com/common/oauth2/v2.0/token\"}",
			       &r, &err),
			 0);
	assert_int_equal(r.tokens.expires_at, NOW + 3600);
	assert_string_equal(r.user, "u@example.test");
	assert_string_equal(r.client_id, "cid");
	assert_non_null(r.token_endpoint);
	mk_import_clear(&r);
	/* README's starting file: expiry "0" = expired; a number works too */
	assert_int_equal(parse(MK_IMPORT_SASL_XOAUTH2,
			       "{\"access_token\":\"placeholder\",\"expiry\":\"0\",\"refresh_token\":\"rt\"}",
			       &r, &err),
			 0);
	assert_true(r.expired);
	mk_import_clear(&r);
	assert_int_equal(parse(MK_IMPORT_SASL_XOAUTH2,
			       "{\"access_token\":\"a\",\"expiry\":1764583260,\"refresh_token\":\"rt\"}", &r,
			       &err),
			 0);
	assert_int_equal(r.tokens.expires_at, NOW + 60);
	mk_import_clear(&r);
	assert_int_equal(parse(MK_IMPORT_SASL_XOAUTH2, "{\"access_token\":\"a\",\"expiry\":\"9\"}", &r, &err),
			 -1);
	assert_non_null(strstr(err.msg, "refresh_token"));
}

/* Inputs refused with MK_ERR_DATA, and a word the message must hold. */
static void test_refused(void **state)
{
	static const struct {
		enum mk_import_format f;
		const char *in, *says;
	} cases[] = {
		{ MK_IMPORT_JSON, "", "not valid JSON" },
		{ MK_IMPORT_JSON, "[1]", "not an object" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"secretvalue\"", "line 1" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\",\"access_token\":\"b\"}", "repeated" },
		{ MK_IMPORT_JSON, "{\"refresh_token\":\"r\"}", "no 'access_token'" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"\"}", "'access_token' is empty" },
		{ MK_IMPORT_JSON, "{\"access_token\":7}", "not a string" },
		/* found by tests/fuzz/import (crashers/crash-369f...): a null access token was taken */
		{ MK_IMPORT_JSON, "{\"access_token\":null,\"uset\":\"htm0\"}", "'access_token' is null" },
		{ MK_IMPORT_MUTT_OAUTH2,
		  "{\"access_token\":null,\"access_token_expiration\":\"\",\"refresh_token\":\"r\"}",
		  "'access_token' is null" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\\r\\nA1 LOGOUT\"}", "control" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\\u0000b\"}",
		  "not valid JSON" }, /* jansson refuses NUL */
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\",\"refresh_token\":\"\"}",
		  "'refresh_token' is empty" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\",\"scope\":\"x\\ny\"}", "control" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\",\"token_type\":\"mac\"}", "Bearer" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\",\"expires_in\":0}", "'expires_in' is 0" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\",\"expires_in\":-5}", "expires_in" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\",\"expires_in\":\"12x\"}", "expires_in" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\",\"expires_in\":999999999999}", "expires_in" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\",\"expires_at\":\"2025-12-01T10:00:00\"}", "time" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\",\"expires_at\":\"2999-12-01T10:00:00Z\"}",
		  "ten years" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\",\"expires_at\":1}", "no refresh token" },
		{ MK_IMPORT_JSON, "{\"error\":\"invalid_grant\",\"access_token\":\"a\"}", "error" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\",\"access_token_expiration\":\"\"}",
		  "--format mutt_oauth2" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\",\"expiry\":\"0\",\"refresh_token\":\"r\"}",
		  "--format sasl-xoauth2" },
		{ MK_IMPORT_MUTT_OAUTH2, "{\"access_token\":\"a\",\"refresh_token\":\"r\"}",
		  "access_token_expiration" },
		{ MK_IMPORT_MUTT_OAUTH2,
		  "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"access_token_expiration\":\"2025-13-"
		  "01T00:00:00\"}",
		  "time" },
		{ MK_IMPORT_MUTT_OAUTH2,
		  "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"access_token_expiration\":12}", "time" },
		{ MK_IMPORT_MUTT_OAUTH2,
		  "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"access_token_expiration\":\"2026-02-"
		  "29T00:00:00\"}",
		  "time" },
		{ MK_IMPORT_JSON, "{\"access_token\":\"a\",\"expires_at\":\"2026-04-31T00:00:00Z\"}",
		  "time" },
		{ MK_IMPORT_SASL_XOAUTH2,
		  "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expiry\":\"-1\"}", "expiry" },
		{ MK_IMPORT_SASL_XOAUTH2, "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expiry\":true}",
		  "expiry" },
		{ MK_IMPORT_SASL_XOAUTH2, "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"user\":[1]}",
		  "'user'" },
		{ MK_IMPORT_SASL_XOAUTH2,
		  "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expiry\":\"99999999999\"}", "expiry" },
	};
	struct mk_import r;
	struct mk_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(cases[i].f, cases[i].in, &r, &err);
		if (rc != -1 || err.cls != MK_ERR_DATA || strstr(err.msg, cases[i].says) == NULL)
			fail_msg("case %zu (%s): rc %d class %d message '%s', wanted '%s'", i, cases[i].in,
				 rc, err.cls, err.msg, cases[i].says);
		/* no value of the input is quoted */
		assert_null(strstr(err.msg, "secretvalue"));
		assert_null(r.tokens.access_token);
	}
}

static void test_size_cap(void **state)
{
	static char big[MK_IMPORT_MAX_INPUT + 2];
	struct mk_import r;
	struct mk_error err;

	(void)state;
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"access_token\":\"a\"}", 20);
	mk_error_init(&err);
	assert_int_equal(mk_import_parse(MK_IMPORT_JSON, big, MK_IMPORT_MAX_INPUT, NOW, NULL, &r, &err), 0);
	mk_import_clear(&r);
	assert_int_equal(mk_import_parse(MK_IMPORT_JSON, big, MK_IMPORT_MAX_INPUT + 1, NOW, NULL, &r, &err),
			 -1);
	assert_non_null(strstr(err.msg, "over"));
}

static void test_format_names(void **state)
{
	enum mk_import_format f;

	(void)state;
	assert_int_equal(mk_import_format_parse("json", &f), 0);
	assert_int_equal(f, MK_IMPORT_JSON);
	assert_int_equal(mk_import_format_parse("mutt_oauth2", &f), 0);
	assert_int_equal(f, MK_IMPORT_MUTT_OAUTH2);
	assert_int_equal(mk_import_format_parse("sasl-xoauth2", &f), 0);
	assert_int_equal(f, MK_IMPORT_SASL_XOAUTH2);
	assert_int_equal(mk_import_format_parse("auto", &f), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),	     cmocka_unit_test(test_mutt_oauth2),
		cmocka_unit_test(test_sasl_xoauth2), cmocka_unit_test(test_refused),
		cmocka_unit_test(test_size_cap),     cmocka_unit_test(test_format_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
