#include <string.h>

#include "cmocka_all.h"
#include "mail/smtp_reply.h"

static const struct {
	const char *lines[4];
	int last_rc;
	unsigned code;
	const char *text;
} cases[] = {
	{ { "220 mx.example ESMTP" }, 0, 220, "mx.example ESMTP" },
	{ { "250-first", "250-second", "250 last" }, 0, 250, "first\nsecond\nlast" },
	{ { "334 " }, 0, 334, "" },
	{ { "334" }, 0, 334, "" },
	{ { "535 5.7.8 Error: authentication failed" }, 0, 535, "5.7.8 Error: authentication failed" },
	{ { "250-a", "251 b" }, -1, 0, NULL }, /* mixed codes */
	{ { "199 too low" }, -1, 0, NULL },    /* not 2xx-5xx */
	{ { "600 too high" }, -1, 0, NULL },
	{ { "25" }, -1, 0, NULL },     /* too short */
	{ { "2500 x" }, -1, 0, NULL }, /* no separator */
	{ { "250 bad\x01"
	    "char" },
	  -1,
	  0,
	  NULL }, /* control byte */
	{ { "abc hello" }, -1, 0, NULL },
};

static void test_reply_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mk_smtp_reply r;
		struct mk_error err;
		int rc = 1;
		mk_smtp_reply_init(&r);
		for (size_t k = 0; k < 4 && cases[i].lines[k] != NULL && rc == 1; k++)
			rc = mk_smtp_reply_feed(&r, cases[i].lines[k], strlen(cases[i].lines[k]), &err);
		if (rc != cases[i].last_rc)
			fail_msg("case %zu: rc %d", i, rc);
		if (rc == 0) {
			assert_int_equal(r.code, cases[i].code);
			assert_string_equal(mk_buf_str(&r.text), cases[i].text);
		} else {
			assert_int_equal(err.cls, MK_ERR_PROTO);
		}
		mk_smtp_reply_free(&r);
	}
}

static void test_ehlo_caps(void **state)
{
	const char *lines[] = {
		"250-mx.example.test",		"250-PIPELINING", "250-SIZE 41943040", "250-STARTTLS",
		"250-AUTH XOAUTH2 oauthbearer", "250-AUTH=PLAIN", "250-8BITMIME",      "250 SMTPUTF8"
	};
	struct mk_smtp_reply r;
	struct mk_smtp_caps c;
	struct mk_error err;

	(void)state;
	mk_smtp_reply_init(&r);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		mk_smtp_reply_feed(&r, lines[i], strlen(lines[i]), &err);
	mk_smtp_caps_parse(&r, &c);
	assert_true(c.pipelining && c.starttls && c.eightbitmime && c.smtputf8 && c.size_known);
	assert_true(c.size_max == 41943040);
	assert_true(mk_smtp_caps_has_auth(&c, "XOAUTH2"));
	assert_true(mk_smtp_caps_has_auth(&c, "oauthbearer"));
	assert_true(mk_smtp_caps_has_auth(&c, "PLAIN"));
	assert_false(mk_smtp_caps_has_auth(&c, "XOAUTH"));
	assert_false(mk_smtp_caps_has_auth(&c, "LOGIN"));
	mk_smtp_reply_free(&r);
	/* the greeting name is not a keyword */
	mk_smtp_reply_init(&r);
	mk_smtp_reply_feed(&r, "250 STARTTLS", 12, &err);
	mk_smtp_caps_parse(&r, &c);
	assert_false(c.starttls);
	mk_smtp_reply_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_reply_table),
					    cmocka_unit_test(test_ehlo_caps) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
