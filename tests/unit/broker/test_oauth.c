#include <string.h>

#include "broker/callback/callback.h"
#include "broker/oauth/pkce.h"
#include "broker/oauth/token_resp.h"
#include "cmocka_all.h"
#include "web/web.h"

static void test_pkce_rfc7636_appendix_b(void **state)
{
	struct mk_buf c, v, c2;
	struct mk_error err;

	(void)state;
	mk_buf_init(&c, 128);
	assert_int_equal(mk_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", &c), 0);
	assert_string_equal(mk_buf_str(&c), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	mk_buf_init_secret(&v, 128);
	mk_buf_init(&c2, 128);
	assert_int_equal(mk_pkce_new(&v, &c2, &err), 0);
	assert_int_equal(v.len, 43);
	assert_null(strpbrk(mk_buf_str(&v), "+/="));
	mk_buf_reset(&c);
	assert_int_equal(mk_pkce_challenge(mk_buf_str(&v), &c), 0);
	assert_string_equal(mk_buf_str(&c), mk_buf_str(&c2));
	mk_buf_free(&c);
	mk_buf_free(&c2);
	mk_buf_free(&v);
}

static const struct {
	long status;
	const char *body;
	int rc;
	enum mk_error_class cls;
	const char *needle;
} resp[] = {
	{ 200,
	  "{\"access_token\":\"at\",\"expires_in\":3600,\"refresh_token\":\"rt\",\"token_type\":\"Bearer\"}",
	  0, MK_ERR_NONE, NULL },
	{ 200, "{\"access_token\":\"at\",\"expires_in\":\"3599\",\"token_type\":\"bearer\"}", 0, MK_ERR_NONE,
	  NULL },
	{ 200, "{\"access_token\":\"at\"}", 0, MK_ERR_NONE, NULL },
	{ 200, "{\"expires_in\":3600}", -1, MK_ERR_PROTO, "no usable access_token" },
	{ 200, "{\"access_token\":\"a\\tb\"}", -1, MK_ERR_PROTO, "no usable access_token" },
	{ 200, "{\"access_token\":\"at\",\"refresh_token\":\"r\\r\\nt\"}", -1, MK_ERR_PROTO,
	  "refresh_token" },
	{ 200, "{\"access_token\":\"at\",\"refresh_token\":\"rt\\n\"}", -1, MK_ERR_PROTO, "refresh_token" },
	{ 200, "{\"access_token\":\"at\",\"refresh_token\":\"r\\u0000t\"}", -1, MK_ERR_PROTO, NULL },
	{ 200, "{\"access_token\":\"at\",\"refresh_token\":\"r\\u0001t\"}", -1, MK_ERR_PROTO,
	  "refresh_token" },
	{ 200, "{\"access_token\":\"at\",\"refresh_token\":\"r\\u007ft\"}", -1, MK_ERR_PROTO,
	  "refresh_token" },
	{ 200, "{\"access_token\":\"at\",\"refresh_token\":\"\"}", -1, MK_ERR_PROTO, "refresh_token" },
	{ 200, "{\"access_token\":\"at\",\"refresh_token\":7}", -1, MK_ERR_PROTO, "refresh_token" },
	{ 200, "{\"access_token\":\"at\",\"refresh_token\":null}", 0, MK_ERR_NONE, NULL },
	{ 200, "{\"access_token\":\"a\\nb\"}", -1, MK_ERR_PROTO, "no usable access_token" },
	{ 200, "{\"access_token\":\"at\",\"token_type\":\"mac\"}", -1, MK_ERR_PROTO, "token_type" },
	/* Found by fuzzing: a control byte in token_type reached the error
	 * message; in scope it would reach the store and `status`. */
	{ 200, "{\"access_token\":\"at\",\"token_type\":\"Be\\rer\"}", -1, MK_ERR_PROTO,
	  "control characters" },
	{ 200, "{\"access_token\":\"at\",\"scope\":\"mail\\nX-Evil: 1\"}", -1, MK_ERR_PROTO,
	  "control characters" },
	{ 200, "{\"access_token\":\"at\",\"scope\":\"mail\\u0000more\"}", -1, MK_ERR_PROTO,
	  NULL }, /* jansson refuses \u0000 itself */
	{ 200, "{\"access_token\":\"at\",\"id_token\":\"a.b\\u001bc\"}", -1, MK_ERR_PROTO,
	  "control characters" },
	{ 200, "{\"access_token\":42}", -1, MK_ERR_PROTO, "no usable" },
	{ 200, "[1,2]", -1, MK_ERR_PROTO, "not a JSON object" },
	{ 400, "{\"error\":\"invalid_grant\",\"error_description\":\"Token has been expired or revoked.\"}",
	  -1, MK_ERR_CONSENT, "Testing" },
	{ 400, "{\"error\":\"invalid_grant\"}", -1, MK_ERR_CONSENT, "mailkey login" },
	{ 401, "{\"error\":\"invalid_client\",\"error_description\":\"client authentication failed\"}", -1,
	  MK_ERR_CONFIG, "client_id or client secret" },
	{ 400, "{\"error\":\"invalid_request\",\"error_description\":\"AADSTS50011: The redirect URI ...\"}",
	  -1, MK_ERR_CONFIG, "redirect URI is not registered" },
	{ 400,
	  "{\"error\":\"unauthorized_client\",\"error_description\":\"AADSTS700016: Application not found\"}",
	  -1, MK_ERR_CONFIG, "tenant" },
	{ 400, "{\"error\":\"authorization_pending\"}", -1, MK_ERR_TEMP, "authorization_pending" },
	{ 400, "{\"error\":\"slow_down\"}", -1, MK_ERR_TEMP, "slow_down" },
	{ 400, "{\"error\":\"access_denied\"}", -1, MK_ERR_CONSENT, "declined" },
	{ 400, "{\"error\":\"expired_token\"}", -1, MK_ERR_CONSENT, "expired" },
	{ 503, "<html>Service Unavailable</html>", -1, MK_ERR_TEMP, "try again later" },
	{ 429, "{\"error\":\"invalid_grant\"}", -1, MK_ERR_TEMP, NULL },
	{ 502, "{\"error\":\"server_error\"}", -1, MK_ERR_TEMP, NULL },
	{ 400, "not json at all", -1, MK_ERR_PROTO, "not a JSON object" },
	{ 400, "{\"error\":{\"nested\":1}}", -1, MK_ERR_PROTO, "without an error code" },
	{ 400, "{\"error\":\"x\\u0001y\",\"error_description\":\"bad\\r\\ninjected\"}", -1, MK_ERR_RESP,
	  "bad  injected" },
};

static void test_token_responses(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(resp) / sizeof(resp[0]); i++) {
		struct mk_tokens t;
		struct mk_error err;
		struct mk_oauth_error oe;
		int rc;

		mk_error_init(&err);
		rc = mk_token_resp_parse(resp[i].status, resp[i].body, strlen(resp[i].body), 1000, &t, &oe,
					 &err);
		if (rc != resp[i].rc)
			fail_msg("case %zu: rc %d (%s)", i, rc, err.msg);
		if (rc == 0) {
			assert_string_equal(t.access_token, "at");
			assert_int_equal(t.obtained_at, 1000);
			mk_tokens_clear(&t);
			continue;
		}
		if (err.cls != resp[i].cls)
			fail_msg("case %zu: class %d, want %d (%s)", i, err.cls, resp[i].cls, err.msg);
		if (resp[i].needle != NULL && strstr(err.msg, resp[i].needle) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, resp[i].needle);
		assert_null(t.access_token);
	}
}

static void test_token_fields(void **state)
{
	struct mk_tokens t;
	struct mk_error err;
	const char *b =
		"{\"access_token\":\"at\",\"expires_in\":3600,\"refresh_token\":\"rt\",\"scope\":\"a b\","
		"\"id_token\":\"x.y.z\"}";

	(void)state;
	assert_int_equal(mk_token_resp_parse(200, b, strlen(b), 50, &t, NULL, &err), 0);
	assert_int_equal(t.expires_at, 3650);
	assert_string_equal(t.refresh_token, "rt");
	assert_string_equal(t.scope, "a b");
	mk_tokens_clear(&t);
	assert_null(t.access_token);
}

/* Without a usable expires_in a token is taken to live an hour: it must
 * still be refreshed, never kept as "valid forever" (expires_at 0). */
static void test_token_lifetime_assumed(void **state)
{
	static const char *const bodies[] = {
		"{\"access_token\":\"at\"}",
		"{\"access_token\":\"at\",\"expires_in\":0}",
		"{\"access_token\":\"at\",\"expires_in\":-5}",
		"{\"access_token\":\"at\",\"expires_in\":null}",
		"{\"access_token\":\"at\",\"expires_in\":\"0\"}",
		"{\"access_token\":\"at\",\"expires_in\":\"soon\"}",
		"{\"access_token\":\"at\",\"expires_in\":1.5}",
		"{\"access_token\":\"at\",\"expires_in\":999999999999}",
	};
	struct mk_tokens t;
	struct mk_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		assert_int_equal(mk_token_resp_parse(200, bodies[i], strlen(bodies[i]), 1000, &t, NULL, &err),
				 0);
		if (t.expires_at != 1000 + MK_TOKENS_ASSUMED_LIFETIME)
			fail_msg("case %zu: expires_at %lld", i, (long long)t.expires_at);
		mk_tokens_clear(&t);
	}
	assert_int_equal(MK_TOKENS_ASSUMED_LIFETIME, 3600);
	/* A usable one is taken as given. */
	{
		const char *b = "{\"access_token\":\"at\",\"expires_in\":\"42\"}";
		assert_int_equal(mk_token_resp_parse(200, b, strlen(b), 1000, &t, NULL, &err), 0);
	}
	assert_int_equal(t.expires_at, 1042);
	mk_tokens_clear(&t);
}

static void test_callback_judge(void **state)
{
	struct mk_cb_expect x = { "s3cr3t-state", "http://127.0.0.1:9", true };
	struct mk_error err;

	(void)state;
	struct mk_cb_params ok = { "code1", "s3cr3t-state", "http://127.0.0.1:9", NULL, NULL };
	assert_int_equal(mk_cb_judge(&x, &ok, &err), MK_CB_CODE);
	struct mk_cb_params wrong_state = { "code1", "s3cr3t-statf", "http://127.0.0.1:9", NULL, NULL };
	assert_int_equal(mk_cb_judge(&x, &wrong_state, &err), MK_CB_STALE);
	struct mk_cb_params no_state = { "code1", NULL, NULL, NULL, NULL };
	assert_int_equal(mk_cb_judge(&x, &no_state, &err), MK_CB_STALE);
	struct mk_cb_params mixup = { "code1", "s3cr3t-state", "https://evil.example", NULL, NULL };
	assert_int_equal(mk_cb_judge(&x, &mixup, &err), MK_CB_ERROR);
	assert_non_null(strstr(err.msg, "mix-up"));
	struct mk_cb_params no_iss = { "code1", "s3cr3t-state", NULL, NULL, NULL };
	assert_int_equal(mk_cb_judge(&x, &no_iss, &err), MK_CB_ERROR);
	struct mk_cb_params denied = { NULL, "s3cr3t-state", "http://127.0.0.1:9", "access_denied",
				       "no thanks" };
	assert_int_equal(mk_cb_judge(&x, &denied, &err), MK_CB_DENIED);
	assert_int_equal(err.cls, MK_ERR_CONSENT);
	assert_non_null(strstr(err.msg, "no thanks"));
	struct mk_cb_params other = { NULL, "s3cr3t-state", "http://127.0.0.1:9", "invalid_scope", NULL };
	assert_int_equal(mk_cb_judge(&x, &other, &err), MK_CB_ERROR);
	assert_int_equal(err.cls, MK_ERR_CONFIG);
	x.iss_required = false;
	assert_int_equal(mk_cb_judge(&x, &no_iss, &err), MK_CB_CODE);
}

static void test_query_get(void **state)
{
	struct mk_buf b;

	(void)state;
	mk_buf_init(&b, 256);
	assert_int_equal(mk_query_get("http://127.0.0.1:1/callback?code=a%2Fb+c&state=x#frag", "code", &b),
			 0);
	assert_string_equal(mk_buf_str(&b), "a/b c");
	mk_buf_reset(&b);
	assert_int_equal(mk_query_get("code=1&xstate=2&state=3", "state", &b), 0);
	assert_string_equal(mk_buf_str(&b), "3");
	mk_buf_reset(&b);
	assert_int_equal(mk_query_get("?a=1", "state", &b), 1);
	assert_int_equal(mk_query_get("?state=%zz", "state", &b), -1);
	assert_int_equal(mk_query_get("?state=%00", "state", &b), -1);
	mk_buf_free(&b);
}

static void test_web_escape(void **state)
{
	struct mk_buf b;

	(void)state;
	mk_buf_init(&b, 1 << 16);
	assert_int_equal(mk_web_escape("<script>\"x\" & 'y'", &b), 0);
	assert_string_equal(mk_buf_str(&b), "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;");
	mk_buf_reset(&b);
	assert_int_equal(mk_web_render(MK_WEB_ERROR, "a<b", "<img src=x onerror=alert(1)>", &b), 0);
	assert_null(strstr(mk_buf_str(&b), "<img"));
	assert_non_null(strstr(mk_buf_str(&b), "&lt;img src=x"));
	assert_non_null(strstr(mk_buf_str(&b), "a&lt;b"));
	assert_null(strstr(mk_buf_str(&b), "{{"));
	mk_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkce_rfc7636_appendix_b),
		cmocka_unit_test(test_token_responses),
		cmocka_unit_test(test_token_fields),
		cmocka_unit_test(test_token_lifetime_assumed),
		cmocka_unit_test(test_callback_judge),
		cmocka_unit_test(test_query_get),
		cmocka_unit_test(test_web_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
