/* gateway/smtp_cmd.c: every verb, its arguments and its syntax errors. */
#include <stdbool.h>
#include <string.h>

#include "cmocka_all.h"
#include "gateway/smtp_cmd.h"

/* len 0 = strlen(in). rc -1: MK_ERR_PROTO. */
static const struct {
	const char *in;
	size_t len;
	int rc;
	enum gw_smtp_verb verb;
	const char *domain;
	const char *mech;
	enum gw_sasl_mech mech_id;
	const char *ir; /* "" = has_ir with an empty response */
} cases[] = {
	{ "EHLO client.example", 0, 0, GW_SMTP_EHLO, "client.example", NULL, GW_SASL_MECH_OTHER, NULL },
	{ "ehlo [127.0.0.1]", 0, 0, GW_SMTP_EHLO, "[127.0.0.1]", NULL, GW_SASL_MECH_OTHER, NULL },
	{ "EHLO [IPv6:::1]", 0, 0, GW_SMTP_EHLO, "[IPv6:::1]", NULL, GW_SASL_MECH_OTHER, NULL },
	{ "EHLO host extra words", 0, 0, GW_SMTP_EHLO, "host", NULL, GW_SASL_MECH_OTHER, NULL },
	{ "EHLO host ", 0, 0, GW_SMTP_EHLO, "host", NULL, GW_SASL_MECH_OTHER, NULL },
	{ "HELO host", 0, 0, GW_SMTP_HELO, "host", NULL, GW_SASL_MECH_OTHER, NULL },
	{ "EHLO", 0, -1, GW_SMTP_EHLO, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "EHLO ", 0, -1, GW_SMTP_EHLO, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "HELO", 0, -1, GW_SMTP_HELO, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "EHLO  host", 0, -1, GW_SMTP_EHLO, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "EHLO ho\tst", 0, -1, GW_SMTP_EHLO, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "EHLO h\xc3\xa9", 0, -1, GW_SMTP_EHLO, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH PLAIN", 0, 0, GW_SMTP_AUTH, NULL, "PLAIN", GW_SASL_MECH_PLAIN, NULL },
	{ "auth plain AGFsaWNlAHNlY3JldA==", 0, 0, GW_SMTP_AUTH, NULL, "plain", GW_SASL_MECH_PLAIN,
	  "AGFsaWNlAHNlY3JldA==" },
	{ "AUTH PLAIN =", 0, 0, GW_SMTP_AUTH, NULL, "PLAIN", GW_SASL_MECH_PLAIN, "" },
	{ "AUTH PLAIN ==", 0, 0, GW_SMTP_AUTH, NULL, "PLAIN", GW_SASL_MECH_PLAIN, "==" },
	{ "AUTH LOGIN", 0, 0, GW_SMTP_AUTH, NULL, "LOGIN", GW_SASL_MECH_LOGIN, NULL },
	{ "AUTH LOGIN YWxpY2U=", 0, 0, GW_SMTP_AUTH, NULL, "LOGIN", GW_SASL_MECH_LOGIN, "YWxpY2U=" },
	{ "AUTH LOGIN ", 0, 0, GW_SMTP_AUTH, NULL, "LOGIN", GW_SASL_MECH_LOGIN, NULL },
	{ "AUTH CRAM-MD5", 0, 0, GW_SMTP_AUTH, NULL, "CRAM-MD5", GW_SASL_MECH_OTHER, NULL },
	{ "AUTH", 0, -1, GW_SMTP_AUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH ", 0, -1, GW_SMTP_AUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH  PLAIN", 0, -1, GW_SMTP_AUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH PLAIN a b", 0, -1, GW_SMTP_AUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH PLAIN  a", 0, -1, GW_SMTP_AUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH PL.AIN", 0, -1, GW_SMTP_AUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH ABCDEFGHIJKLMNOPQRSTU", 0, -1, GW_SMTP_AUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "STARTTLS", 0, 0, GW_SMTP_STARTTLS, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "starttls ", 0, 0, GW_SMTP_STARTTLS, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "STARTTLS x", 0, -1, GW_SMTP_STARTTLS, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "RSET", 0, 0, GW_SMTP_RSET, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "RSET x", 0, -1, GW_SMTP_RSET, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "NOOP", 0, 0, GW_SMTP_NOOP, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "NOOP anything at all", 0, 0, GW_SMTP_NOOP, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "QUIT", 0, 0, GW_SMTP_QUIT, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "QUIT now", 0, -1, GW_SMTP_QUIT, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "HELP", 0, 0, GW_SMTP_HELP, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "HELP AUTH", 0, 0, GW_SMTP_HELP, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "MAIL FROM:<a@b.example>", 0, 0, GW_SMTP_NEEDAUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "mail from:<>", 0, 0, GW_SMTP_NEEDAUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "RCPT TO:<a@b.example>", 0, 0, GW_SMTP_NEEDAUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "DATA", 0, 0, GW_SMTP_NEEDAUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "BDAT 10 LAST", 0, 0, GW_SMTP_NEEDAUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "VRFY postmaster", 0, 0, GW_SMTP_NEEDAUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "EXPN list", 0, 0, GW_SMTP_NEEDAUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "ETRN example.com", 0, 0, GW_SMTP_NEEDAUTH, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "MAILFROM:<a@b>", 0, 0, GW_SMTP_UNKNOWN, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "XCLIENT ADDR=1.2.3.4", 0, 0, GW_SMTP_UNKNOWN, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "GET / HTTP/1.1", 0, 0, GW_SMTP_UNKNOWN, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "", 0, -1, GW_SMTP_UNKNOWN, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "EHLO ho\0st", 10, -1, GW_SMTP_UNKNOWN, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH PLAIN ab\rcd", 0, -1, GW_SMTP_UNKNOWN, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	{ "QUIT\n", 0, -1, GW_SMTP_UNKNOWN, NULL, NULL, GW_SASL_MECH_OTHER, NULL },
	/* the length bounds the line */
	{ "EHLO hostname", 8, 0, GW_SMTP_EHLO, "hos", NULL, GW_SASL_MECH_OTHER, NULL },
	{ "AUTH PLAINX", 10, 0, GW_SMTP_AUTH, NULL, "PLAIN", GW_SASL_MECH_PLAIN, NULL },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
		struct gw_smtp_cmd c;
		struct mk_error err;
		int rc;

		mk_error_init(&err);
		rc = gw_smtp_cmd_parse(cases[i].in, len, &c, &err);
		if (rc != cases[i].rc)
			fail_msg("case %zu (%s): rc %d, want %d (%s)", i, cases[i].in, rc, cases[i].rc,
				 err.msg);
		if (rc != 0) {
			assert_int_equal(err.cls, MK_ERR_PROTO);
			assert_null(strstr(err.msg, "AGFs"));
			continue;
		}
		if (c.verb != cases[i].verb)
			fail_msg("case %zu (%s): verb %s", i, cases[i].in, gw_smtp_verb_name(c.verb));
		if (cases[i].domain != NULL) {
			assert_int_equal(c.domain_len, strlen(cases[i].domain));
			assert_memory_equal(c.domain, cases[i].domain, c.domain_len);
		} else {
			assert_null(c.domain);
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
	assert_string_equal(gw_smtp_verb_name(GW_SMTP_STARTTLS), "STARTTLS");
	assert_string_equal(gw_smtp_verb_name(GW_SMTP_VERB_LAST), "?");
	for (int v = 0; v < GW_SMTP_VERB_LAST; v++)
		assert_non_null(gw_smtp_verb_name((enum gw_smtp_verb)v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
