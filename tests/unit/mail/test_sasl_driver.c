/* Transcript tests of the SASL driver: the exact bytes a protocol is asked
 * to send, against scripted server replies. */
#include <stdio.h>
#include <string.h>

#include "cmocka_all.h"
#include "common/base64.h"
#include "mail/sasl.h"

struct script {
	const char *replies[4]; /* "334 payload", "235 ...", "535 ...", "454 ..." */
	size_t next;
	char sent[4][512];
	size_t nsent;
};

static int send_auth(void *ctx, const char *mech, const char *ir, struct mk_error *err)
{
	struct script *s = ctx;

	(void)err;
	snprintf(s->sent[s->nsent++], 512, ir != NULL ? "AUTH %s %s" : "AUTH %s", mech, ir);
	return 0;
}

static int send_line(void *ctx, const char *b64, size_t len, struct mk_error *err)
{
	struct script *s = ctx;

	(void)err;
	snprintf(s->sent[s->nsent++], 512, "%.*s", (int)len, b64);
	return 0;
}

static int read_reply(void *ctx, enum mk_sasl_reply_kind *kind, struct mk_buf *payload, struct mk_error *err)
{
	struct script *s = ctx;
	const char *r = s->replies[s->next++];

	if (r == NULL)
		return mk_error_set(err, MK_ERR_CONN, "script ran out");
	*kind = strncmp(r, "334", 3) == 0   ? MK_SASL_REPLY_CONTINUE
		: strncmp(r, "235", 3) == 0 ? MK_SASL_REPLY_OK
		: r[0] == '4'		    ? MK_SASL_REPLY_TEMPFAIL
		: r[0] == '5'		    ? MK_SASL_REPLY_FAIL
					    : MK_SASL_REPLY_BAD;
	return mk_buf_addstr(payload, *kind == MK_SASL_REPLY_CONTINUE ? r + (r[3] ? 4 : 3) : r);
}

static const struct mk_sasl_creds creds = { "alice@example.test", "TOKEN123", "mail.example.test", 587 };
#define XO_IR "dXNlcj1hbGljZUBleGFtcGxlLnRlc3QBYXV0aD1CZWFyZXIgVE9LRU4xMjMBAQ=="

static void run(struct script *s, const struct mk_sasl_mech *m, size_t max_ir, bool two, int want_rc,
		enum mk_error_class want_cls)
{
	struct mk_sasl_proto p = { "SMTP", max_ir, true, send_auth, send_line, read_reply, s };
	struct mk_sasl_result res;
	struct mk_error err;
	int rc;

	mk_error_init(&err);
	rc = mk_sasl_authenticate(&p, m, &creds, two, &res, &err);
	assert_int_equal(rc, want_rc);
	if (rc != 0)
		assert_int_equal(err.cls, want_cls);
}

static void test_ir_fits(void **state)
{
	struct script s = { .replies = { "235 2.7.0 ok" } };

	(void)state;
	run(&s, &mk_sasl_xoauth2, 500, false, 0, MK_ERR_NONE);
	assert_int_equal(s.nsent, 1);
	assert_string_equal(s.sent[0], "AUTH XOAUTH2 " XO_IR);
}

static void test_two_steps_when_too_long_or_forced(void **state)
{
	struct script s = { .replies = { "334 ", "235 ok" } };
	struct script t = { .replies = { "334 ", "235 ok" } };

	(void)state;
	run(&s, &mk_sasl_xoauth2, 20, false, 0, MK_ERR_NONE);
	assert_int_equal(s.nsent, 2);
	assert_string_equal(s.sent[0], "AUTH XOAUTH2");
	assert_string_equal(s.sent[1], XO_IR);
	run(&t, &mk_sasl_xoauth2, 500, true, 0, MK_ERR_NONE);
	assert_string_equal(t.sent[0], "AUTH XOAUTH2");
}

static void test_oauthbearer_error_challenge(void **state)
{
	struct script s = { .replies = { "334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=",
					 "535 5.7.8 Authentication failed" } };
	struct mk_sasl_proto p = { "SMTP", 500, true, send_auth, send_line, read_reply, &s };
	struct mk_sasl_result res;
	struct mk_error err;
	struct mk_buf ir;

	(void)state;
	assert_int_equal(mk_sasl_authenticate(&p, &mk_sasl_oauthbearer, &creds, false, &res, &err), -1);
	assert_int_equal(err.cls, MK_ERR_AUTH);
	assert_true(res.had_challenge);
	assert_string_equal(res.failure.status, "invalid_token");
	assert_non_null(strstr(err.msg, "535 5.7.8"));
	assert_int_equal(s.nsent, 2);
	mk_buf_init(&ir, 512);
	{
		static const char want[] = "n,a=alice@example.test,\x01host=mail.example.test\x01port=587\x01"
					   "auth=Bearer TOKEN123\x01\x01";
		assert_int_equal(mk_base64_encode(want, sizeof(want) - 1, &ir), 0);
	}
	assert_string_equal(s.sent[0] + strlen("AUTH OAUTHBEARER "), mk_buf_str(&ir));
	assert_string_equal(s.sent[1], "AQ=="); /* RFC 7628 §3.2.3: a single ^A */
	mk_buf_free(&ir);
}

static void test_xoauth2_error_challenge(void **state)
{
	struct script s = {
		.replies = { "334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0=",
			     "535 no" }
	};

	(void)state;
	run(&s, &mk_sasl_xoauth2, 500, false, -1, MK_ERR_AUTH);
	assert_int_equal(s.nsent, 2);
	assert_string_equal(s.sent[1], ""); /* the empty response */
}

static void test_tempfail_and_garbage(void **state)
{
	struct script t = { .replies = { "454 4.7.0 Temporary authentication failure" } };
	struct script g = { .replies = { "334 !!!not-base64!!!", "501 cancelled" } };
	struct script b = { .replies = { "250 what" } };

	(void)state;
	run(&t, &mk_sasl_xoauth2, 500, false, -1, MK_ERR_TEMP);
	run(&g, &mk_sasl_xoauth2, 500, false, -1, MK_ERR_PROTO);
	assert_string_equal(g.sent[1], "*"); /* RFC 4954 §4: cancel */
	run(&b, &mk_sasl_xoauth2, 500, false, -1, MK_ERR_PROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ir_fits),
		cmocka_unit_test(test_two_steps_when_too_long_or_forced),
		cmocka_unit_test(test_oauthbearer_error_challenge),
		cmocka_unit_test(test_xoauth2_error_challenge),
		cmocka_unit_test(test_tempfail_and_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
