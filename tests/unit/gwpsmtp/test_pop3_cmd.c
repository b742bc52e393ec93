/* gateway/pop3_cmd.c: every verb, its arguments and its syntax errors. */
#include <stdbool.h>
#include <string.h>

#include "cmocka_all.h"
#include "gateway/pop3_cmd.h"

/* len 0 = strlen(in). rc -1: MK_ERR_PROTO. arg/mech/ir NULL: not set. */
static const struct {
	const char *in;
	size_t len;
	int rc;
	enum gw_pop3_verb verb;
	const char *arg;
	const char *mech;
	enum gw_sasl_mech mech_id;
	const char *ir; /* "" = has_ir with an empty response */
} cases[] = {
	{ "USER alice", 0, 0, GW_POP3_USER, "alice", NULL, GW_SASL_MECH_OTHER, NULL },
	{ "user alice@example.com", 0, 0, GW_POP3_USER, "alice@example.com", NULL, GW_SASL_MECH_OTHER, NULL },
	{ "USER alice  ", 0, 0, GW_POP3_USER, "alice", NULL, GW_SASL_MECH_OTHER, NULL },
	{ "USER al ice", 0, 0, GW_POP3_USER, "al ice", NULL, GW_SASL_MECH_OTHER, NULL },
	{ "USER", 0, -1, GW_POP3_USER, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "USER ", 0, -1, GW_POP3_USER, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "USER   ", 0, -1, GW_POP3_USER, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "PASS abcd-efgh", 0, 0, GW_POP3_PASS, "abcd-efgh", NULL, GW_SASL_MECH_OTHER, NULL },
	{ "pAsS a b c ", 0, 0, GW_POP3_PASS, "a b c ", NULL, GW_SASL_MECH_OTHER, NULL }, /* verbatim */
	{ "PASS  x", 0, 0, GW_POP3_PASS, " x", NULL, GW_SASL_MECH_OTHER, NULL },
	{ "PASS", 0, -1, GW_POP3_PASS, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "PASS ", 0, -1, GW_POP3_PASS, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH", 0, 0, GW_POP3_AUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH ", 0, 0, GW_POP3_AUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH PLAIN", 0, 0, GW_POP3_AUTH, NULL, "PLAIN", GW_SASL_MECH_PLAIN, NULL },
	{ "auth plain", 0, 0, GW_POP3_AUTH, NULL, "plain", GW_SASL_MECH_PLAIN, NULL },
	{ "AUTH PLAIN ", 0, 0, GW_POP3_AUTH, NULL, "PLAIN", GW_SASL_MECH_PLAIN, NULL },
	{ "AUTH PLAIN AGFsaWNlAHNlY3JldA==", 0, 0, GW_POP3_AUTH, NULL, "PLAIN", GW_SASL_MECH_PLAIN,
	  "AGFsaWNlAHNlY3JldA==" },
	{ "AUTH PLAIN =", 0, 0, GW_POP3_AUTH, NULL, "PLAIN", GW_SASL_MECH_PLAIN, "" },
	{ "AUTH LOGIN", 0, 0, GW_POP3_AUTH, NULL, "LOGIN", GW_SASL_MECH_LOGIN, NULL },
	{ "AUTH LOGIN YWxpY2U=", 0, 0, GW_POP3_AUTH, NULL, "LOGIN", GW_SASL_MECH_LOGIN, "YWxpY2U=" },
	{ "AUTH XOAUTH2 abc", 0, 0, GW_POP3_AUTH, NULL, "XOAUTH2", GW_SASL_MECH_OTHER, "abc" },
	{ "AUTH SCRAM-SHA-256", 0, 0, GW_POP3_AUTH, NULL, "SCRAM-SHA-256", GW_SASL_MECH_OTHER, NULL },
	{ "AUTH ABCDEFGHIJKLMNOPQRST", 0, 0, GW_POP3_AUTH, NULL, "ABCDEFGHIJKLMNOPQRST", GW_SASL_MECH_OTHER,
	  NULL },
	{ "AUTH ABCDEFGHIJKLMNOPQRSTU", 0, -1, GW_POP3_AUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH  PLAIN", 0, -1, GW_POP3_AUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH PL/AIN", 0, -1, GW_POP3_AUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH PLAIN a b", 0, -1, GW_POP3_AUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH PLAIN  a", 0, -1, GW_POP3_AUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "CAPA", 0, 0, GW_POP3_CAPA, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "capa ", 0, 0, GW_POP3_CAPA, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "CAPA x", 0, -1, GW_POP3_CAPA, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "STLS", 0, 0, GW_POP3_STLS, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "STLS now", 0, -1, GW_POP3_STLS, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "QUIT", 0, 0, GW_POP3_QUIT, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "Quit", 0, 0, GW_POP3_QUIT, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "NOOP", 0, 0, GW_POP3_REFUSED, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "STAT", 0, 0, GW_POP3_REFUSED, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "LIST 1", 0, 0, GW_POP3_REFUSED, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "RETR 1", 0, 0, GW_POP3_REFUSED, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "DELE 1", 0, 0, GW_POP3_REFUSED, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "RSET", 0, 0, GW_POP3_REFUSED, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "TOP 1 0", 0, 0, GW_POP3_REFUSED, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "UIDL", 0, 0, GW_POP3_REFUSED, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "APOP alice 0123456789abcdef", 0, 0, GW_POP3_REFUSED, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "USERS alice", 0, 0, GW_POP3_UNKNOWN, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "USE alice", 0, 0, GW_POP3_UNKNOWN, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "XYZZY", 0, 0, GW_POP3_UNKNOWN, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ " USER alice", 0, 0, GW_POP3_UNKNOWN, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "", 0, -1, GW_POP3_UNKNOWN, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "USER ali\0ce", 11, -1, GW_POP3_UNKNOWN, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "PASS se\rcret", 0, -1, GW_POP3_UNKNOWN, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "CAPA\n", 0, -1, GW_POP3_UNKNOWN, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	/* the length bounds the line: what follows is not read */
	{ "USER alicebob", 10, 0, GW_POP3_USER, "alice", NULL, GW_SASL_MECH_OTHER, NULL },
	{ "QUITX", 4, 0, GW_POP3_QUIT, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
		struct gw_pop3_cmd c;
		struct mk_error err;
		int rc;

		mk_error_init(&err);
		rc = gw_pop3_cmd_parse(cases[i].in, len, &c, &err);
		if (rc != cases[i].rc)
			fail_msg("case %zu (%s): rc %d, want %d (%s)", i, cases[i].in, rc, cases[i].rc,
				 err.msg);
		if (rc != 0) {
			assert_int_equal(err.cls, MK_ERR_PROTO);
			/* the message never quotes what the client sent */
			assert_null(strstr(err.msg, "alice"));
			assert_null(strstr(err.msg, "secret"));
			continue;
		}
		if (c.verb != cases[i].verb)
			fail_msg("case %zu (%s): verb %s", i, cases[i].in, gw_pop3_verb_name(c.verb));
		if (cases[i].arg != NULL) {
			assert_int_equal(c.arg_len, strlen(cases[i].arg));
			assert_memory_equal(c.arg, cases[i].arg, c.arg_len);
		} else {
			assert_null(c.arg);
		}
		if (cases[i].mech != NULL) {
			assert_int_equal(c.mech_len, strlen(cases[i].mech));
			assert_memory_equal(c.mech_name, cases[i].mech, c.mech_len);
		} else {
			assert_int_equal(c.mech_len, 0);
		}
		assert_int_equal(c.mech, cases[i].mech_id);
		assert_int_equal(c.has_ir, cases[i].ir != NULL);
		if (cases[i].ir != NULL) {
			assert_int_equal(c.ir_len, strlen(cases[i].ir));
			if (c.ir_len > 0)
				assert_memory_equal(c.ir, cases[i].ir, c.ir_len);
		}
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(gw_pop3_verb_name(GW_POP3_STLS), "STLS");
	assert_string_equal(gw_pop3_verb_name(GW_POP3_VERB_LAST), "?");
	for (int v = 0; v < GW_POP3_VERB_LAST; v++)
		assert_non_null(gw_pop3_verb_name((enum gw_pop3_verb)v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
