/* Who consented (broker/oauth/idtoken.c): the ID token payload and the
 * claims compared with the account's user. */
#include <string.h>

#include "broker/oauth/idtoken.h"
#include "cmocka_all.h"
#include "common/base64.h"

/* "eyJhbGciOiJSUzI1NiJ9" . base64url(payload) . "sig" */
static void make_jwt(const char *payload, struct mk_buf *jwt)
{
	mk_buf_reset(jwt);
	assert_int_equal(mk_buf_addstr(jwt, "eyJhbGciOiJSUzI1NiJ9."), 0);
	assert_int_equal(mk_base64url_encode(payload, strlen(payload), jwt), 0);
	assert_int_equal(mk_buf_addstr(jwt, ".c2ln"), 0);
}

static int judge_jwt(const char *payload, const char *user, struct mk_buf *who)
{
	struct mk_buf jwt, json;
	struct mk_error err;
	int r;

	mk_buf_init(&jwt, 1 << 16);
	mk_buf_init(&json, 1 << 16);
	make_jwt(payload, &jwt);
	mk_buf_reset(who);
	assert_int_equal(mk_idtoken_payload(mk_buf_str(&jwt), &json, &err), 0);
	assert_string_equal(mk_buf_str(&json), payload);
	r = mk_ident_judge(json.data, json.len, user, who, &err);
	mk_buf_free(&jwt);
	mk_buf_free(&json);
	return r;
}

static void test_judge(void **state)
{
	struct mk_buf who;

	(void)state;
	mk_buf_init(&who, 1024);
	assert_int_equal(
		judge_jwt("{\"sub\":\"1\",\"email\":\"Alice@Example.test\"}", "alice@example.test", &who),
		MK_IDENT_MATCH);
	assert_int_equal(
		judge_jwt("{\"sub\":\"1\",\"email\":\"bob@example.test\"}", "alice@example.test", &who),
		MK_IDENT_MISMATCH);
	assert_string_equal(mk_buf_str(&who), "bob@example.test");
	assert_int_equal(judge_jwt("{\"preferred_username\":\"bob@x\"}", "alice@x", &who), MK_IDENT_MISMATCH);
	assert_string_equal(mk_buf_str(&who), "bob@x");
	/* Any of the claims may name the user (Microsoft: upn / preferred_username
	 * can differ from email). */
	assert_int_equal(judge_jwt("{\"email\":\"alias@x\",\"upn\":\"alice@x\"}", "alice@x", &who),
			 MK_IDENT_MATCH);
	assert_int_equal(judge_jwt("{\"sub\":\"alice@x\"}", "alice@x", &who), MK_IDENT_UNKNOWN);
	assert_int_equal(judge_jwt("{\"email\":\"\"}", "alice@x", &who), MK_IDENT_UNKNOWN);
	assert_int_equal(judge_jwt("{\"email\":7}", "alice@x", &who), MK_IDENT_UNKNOWN);
	/* Not a prefix or substring match. */
	assert_int_equal(judge_jwt("{\"email\":\"alice@x.evil\"}", "alice@x", &who), MK_IDENT_MISMATCH);
	assert_int_equal(judge_jwt("{\"email\":\"bob\\u0007@x\"}", "alice@x", &who), MK_IDENT_MISMATCH);
	assert_string_equal(mk_buf_str(&who), "(an unprintable name)");
	mk_buf_free(&who);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = { "", "abc", "a.b", "a..c", "a.b.c.d", "a.!!.c", ".." };
	struct mk_buf out, who;
	struct mk_error err;

	(void)state;
	mk_buf_init(&out, 1 << 16);
	mk_buf_init(&who, 1024);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mk_buf_reset(&out);
		if (mk_idtoken_payload(bad[i], &out, &err) != -1)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(err.cls, MK_ERR_PROTO);
	}
	assert_int_equal(mk_ident_judge("[1]", 3, "u", &who, &err), -1);
	assert_int_equal(mk_ident_judge("{", 1, "u", &who, &err), -1);
	/* Two different names in one claim: which one is meant? */
	{
		const char *dup = "{\"email\":\"a\",\"email\":\"u\"}";
		assert_int_equal(mk_ident_judge(dup, strlen(dup), "u", &who, &err), -1);
	}
	mk_buf_free(&out);
	mk_buf_free(&who);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
