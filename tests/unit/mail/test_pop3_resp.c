#include <string.h>

#include "cmocka_all.h"
#include "mail/pop3_resp.h"

static void test_lines(void **state)
{
	static const struct {
		const char *line;
		enum mk_pop3_kind kind;
		const char *code, *text;
	} c[] = {
		{ "+OK Dovecot ready.", MK_POP3_OK, "", "Dovecot ready." },
		{ "+OK", MK_POP3_OK, "", "" },
		{ "-ERR [AUTH] Authentication failed.", MK_POP3_ERR, "AUTH", "Authentication failed." },
		{ "-ERR [SYS/TEMP] Temporary authentication failure.", MK_POP3_ERR, "SYS/TEMP", NULL },
		{ "+ eyJzdGF0dXMiOiI0MDEifQ==", MK_POP3_CONTINUE, "", "eyJzdGF0dXMiOiI0MDEifQ==" },
		{ "+ ", MK_POP3_CONTINUE, "", "" },
		{ "+OKAY", MK_POP3_MALFORMED, "", NULL },
		{ "hello", MK_POP3_MALFORMED, "", NULL },
		{ "", MK_POP3_MALFORMED, "", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct mk_pop3_resp r;
		mk_pop3_parse(c[i].line, &r);
		if (r.kind != c[i].kind)
			fail_msg("case %zu: kind %d", i, r.kind);
		assert_string_equal(r.code, c[i].code);
		if (c[i].text != NULL)
			assert_string_equal(r.text, c[i].text);
	}
}

static void test_multiline_and_capa(void **state)
{
	struct mk_buf out;

	(void)state;
	mk_buf_init(&out, 64);
	assert_int_equal(mk_pop3_multiline_feed("..leading", 9, &out), 0);
	assert_int_equal(mk_pop3_multiline_feed("plain", 5, &out), 0);
	assert_int_equal(mk_pop3_multiline_feed("", 0, &out), 0);
	assert_int_equal(mk_pop3_multiline_feed("..", 2, &out), 0);
	assert_int_equal(mk_pop3_multiline_feed(".", 1, &out), 1);
	assert_string_equal(mk_buf_str(&out), ".leading\r\nplain\r\n\r\n.\r\n");
	mk_buf_free(&out);
	mk_buf_init(&out, 4);
	assert_int_equal(mk_pop3_multiline_feed("toolong", 7, &out), -1);
	mk_buf_free(&out);
	assert_true(mk_pop3_capa_has("CAPA\nSTLS\nSASL XOAUTH2 OAUTHBEARER\nUIDL", "STLS"));
	assert_true(mk_pop3_capa_has("SASL XOAUTH2 OAUTHBEARER", "oauthbearer"));
	assert_false(mk_pop3_capa_has("SASL XOAUTH2X", "XOAUTH2"));
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_lines),
					    cmocka_unit_test(test_multiline_and_capa) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
