#include <string.h>

#include "cmocka_all.h"
#include "mail/imap_resp.h"

static const struct {
	const char *line;
	enum mk_imap_kind kind;
	enum mk_imap_status status;
	const char *tag, *code, *text;
} cases[] = {
	{ "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] Dovecot ready.", MK_IMAP_UNTAGGED, MK_IMAP_OK, "",
	  "CAPABILITY", "Dovecot ready." },
	{ "a1 OK Logged in", MK_IMAP_TAGGED, MK_IMAP_OK, "a1", "", "Logged in" },
	{ "a2 NO [AUTHENTICATIONFAILED] Authentication failed.", MK_IMAP_TAGGED, MK_IMAP_NO, "a2",
	  "AUTHENTICATIONFAILED", "Authentication failed." },
	{ "a3 NO [UNAVAILABLE] Temporary authentication failure.", MK_IMAP_TAGGED, MK_IMAP_NO, "a3",
	  "UNAVAILABLE", NULL },
	{ "a4 BAD Error in IMAP command", MK_IMAP_TAGGED, MK_IMAP_BAD, "a4", "", "Error in IMAP command" },
	{ "+ eyJzdGF0dXMiOiI0MDEifQ==", MK_IMAP_CONTINUE, MK_IMAP_NONE, "", "", "eyJzdGF0dXMiOiI0MDEifQ==" },
	{ "+", MK_IMAP_CONTINUE, MK_IMAP_NONE, "", "", "" },
	{ "* BYE Session expired, please login again.", MK_IMAP_UNTAGGED, MK_IMAP_BYE, "", "",
	  "Session expired, please login again." },
	{ "* 3 EXISTS", MK_IMAP_UNTAGGED, MK_IMAP_NONE, "", "", "3 EXISTS" },
	{ "* PREAUTH ready", MK_IMAP_UNTAGGED, MK_IMAP_PREAUTH, "", "", "ready" },
	{ "a5 MAYBE", MK_IMAP_MALFORMED, MK_IMAP_NONE, "", "", NULL },
	{ "", MK_IMAP_MALFORMED, MK_IMAP_NONE, "", "", NULL },
	{ "garbage", MK_IMAP_MALFORMED, MK_IMAP_NONE, "", "", NULL },
	{ "t@g OK x", MK_IMAP_MALFORMED, MK_IMAP_NONE, "", "", NULL },
};

static void test_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mk_imap_line r;
		mk_imap_parse_line(cases[i].line, &r);
		if (r.kind != cases[i].kind || r.status != cases[i].status)
			fail_msg("case %zu: kind %d status %d", i, r.kind, r.status);
		if (r.kind == MK_IMAP_MALFORMED)
			continue;
		assert_string_equal(r.tag, cases[i].tag);
		assert_string_equal(r.code, cases[i].code);
		if (cases[i].text != NULL)
			assert_string_equal(r.text, cases[i].text);
	}
}

static void test_literals(void **state)
{
	uint64_t n = 0;

	(void)state;
	assert_int_equal(mk_imap_literal_at_end("* 1 FETCH (BODY[] {123}", 23, 1000, &n), 1);
	assert_int_equal(n, 123);
	assert_int_equal(mk_imap_literal_at_end("x {7+}", 6, 1000, &n), 1);
	assert_int_equal(n, 7);
	assert_int_equal(mk_imap_literal_at_end("x {0}", 5, 1000, &n), 1);
	assert_int_equal(n, 0);
	assert_int_equal(mk_imap_literal_at_end("x {1001}", 8, 1000, &n), -1); /* over the bound */
	assert_int_equal(mk_imap_literal_at_end("x {99999999999999999999}", 24, UINT64_MAX, &n), -1);
	assert_int_equal(mk_imap_literal_at_end("x {}", 4, 1000, &n), 0);
	assert_int_equal(mk_imap_literal_at_end("x 123}", 6, 1000, &n), 0);
	assert_int_equal(mk_imap_literal_at_end("no literal", 10, 1000, &n), 0);
}

static int collect(void *ctx, uint64_t uid)
{
	uint64_t *sum = ctx;

	*sum = *sum * 10 + uid;
	return 0;
}

static void test_caps_and_search(void **state)
{
	uint64_t sum = 0;
	const char *caps =
		"CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS AUTH=XOAUTH2 AUTH=OAUTHBEARER STARTTLS";

	(void)state;
	assert_true(mk_imap_has_capability(caps, "SASL-IR"));
	assert_true(mk_imap_has_capability(caps, "auth=xoauth2"));
	assert_true(mk_imap_has_capability(caps, "STARTTLS"));
	assert_false(mk_imap_has_capability(caps, "AUTH=PLAIN"));
	assert_false(mk_imap_has_capability(caps, "LOGIN")); /* not LOGIN-REFERRALS */
	assert_int_equal(mk_imap_parse_search(" 1 2 3", collect, &sum), 0);
	assert_int_equal(sum, 123);
	assert_int_equal(mk_imap_parse_search("", collect, &sum), 0);
	assert_int_equal(mk_imap_parse_search(" 1 x", collect, &sum), -1);
	assert_int_equal(mk_imap_parse_search(" 99999999999", collect, &sum), -1);
}

static void test_literal_mode_and_list(void **state)
{
	char name[64];

	(void)state;
	assert_true(mk_imap_literal_nonsync("IMAP4rev1 LITERAL+", 10 << 20));
	assert_true(mk_imap_literal_nonsync("IMAP4rev1 LITERAL-", 4096));
	assert_false(mk_imap_literal_nonsync("IMAP4rev1 LITERAL-", 4097)); /* Gmail's limit */
	assert_false(mk_imap_literal_nonsync("IMAP4rev1", 1));
	assert_int_equal(mk_imap_parse_list(" (\\HasNoChildren) \".\" INBOX", name, sizeof(name)), 0);
	assert_string_equal(name, "INBOX");
	assert_int_equal(mk_imap_parse_list(" (\\HasNoChildren \\Sent) \"/\" \"[Gmail]/Sent Mail\"", name,
					    sizeof(name)),
			 0);
	assert_string_equal(name, "[Gmail]/Sent Mail");
	assert_int_equal(mk_imap_parse_list(" () NIL \"a\\\"b\"", name, sizeof(name)), 0);
	assert_string_equal(name, "a\"b");
	assert_int_equal(mk_imap_parse_list(" (\\X) \".\"", name, sizeof(name)), -1);
	assert_int_equal(mk_imap_parse_list("no parens", name, sizeof(name)), -1);
}

/* Every write into the caller's array is bounded: a name of exactly
 * size - 1 bytes fits, one more is refused, nothing is written past size,
 * and size 0 writes nothing at all (an empty "" name wrote the NUL). */
static void test_list_bounds(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(mk_imap_parse_list(" () NIL \"\"", buf, 0), -1);
	assert_int_equal(buf[0], 'X');
	assert_int_equal(mk_imap_parse_list(" () NIL abcd", buf, 5), 0);
	assert_string_equal(buf, "abcd");
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(mk_imap_parse_list(" () NIL abcde", buf, 5), -1);
	assert_int_equal(buf[5], 'X');
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(mk_imap_parse_list(" () \".\" \"ab\\\\cd\"", buf, 5), -1);
	assert_int_equal(buf[5], 'X');
	assert_int_equal(mk_imap_parse_list(" () \".\" \"a\\\\cd\"", buf, 5), 0);
	assert_string_equal(buf, "a\\cd");
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_lines), cmocka_unit_test(test_literals),
					    cmocka_unit_test(test_caps_and_search),
					    cmocka_unit_test(test_literal_mode_and_list),
					    cmocka_unit_test(test_list_bounds) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
