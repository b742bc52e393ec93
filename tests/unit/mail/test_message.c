#include <string.h>

#include "cmocka_all.h"
#include "mail/message.h"

static const struct {
	const char *in, *out;
} data_cases[] = {
	{ "", ".\r\n" },
	{ "a", "a\r\n.\r\n" },
	{ "a\n", "a\r\n.\r\n" },
	{ "a\r\n", "a\r\n.\r\n" },
	{ "a\rb", "a\r\nb\r\n.\r\n" },	     /* bare CR */
	{ "a\nb\n", "a\r\nb\r\n.\r\n" },     /* bare LF */
	{ "a\n\rb", "a\r\n\r\nb\r\n.\r\n" }, /* LF then CR: two line ends */
	{ ".\n", "..\r\n.\r\n" },	     /* a lone dot is stuffed */
	{ "x\n.\nz", "x\r\n..\r\nz\r\n.\r\n" },
	{ "..x", "...x\r\n.\r\n" },
	{ "a\r\n.\r\nMAIL FROM:<evil>\r\n", "a\r\n..\r\nMAIL FROM:<evil>\r\n.\r\n" },
	{ "a\n.\rRCPT", "a\r\n..\r\nRCPT\r\n.\r\n" }, /* smuggling with bare line ends */
	{ "x.\ny", "x.\r\ny\r\n.\r\n" },
};

static void test_to_data(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(data_cases) / sizeof(data_cases[0]); i++) {
		struct mk_buf out;
		mk_buf_init(&out, 4096);
		assert_int_equal(mk_msg_to_data(data_cases[i].in, strlen(data_cases[i].in), &out), 0);
		if (strcmp(mk_buf_str(&out), data_cases[i].out) != 0)
			fail_msg("case %zu: got '%s'", i, mk_buf_str(&out));
		mk_buf_free(&out);
	}
}

static void test_no_bare_line_ends_ever(void **state)
{
	unsigned seed = 7;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		char in[64];
		struct mk_buf out;
		const char alphabet[] = "\r\n.a";
		for (size_t k = 0; k < sizeof(in); k++) {
			seed = seed * 1103515245u + 12345u;
			in[k] = alphabet[(seed >> 16) % 4];
		}
		mk_buf_init(&out, 4096);
		assert_int_equal(mk_msg_to_data(in, sizeof(in), &out), 0);
		for (size_t k = 0; k < out.len; k++) {
			if (out.data[k] == '\r')
				assert_true(k + 1 < out.len && out.data[k + 1] == '\n');
			if (out.data[k] == '\n')
				assert_true(k > 0 && out.data[k - 1] == '\r');
		}
		/* the only line that is a lone dot is the terminator */
		{
			const char *p = strstr(out.data, "\r\n.\r\n");
			assert_true(p == out.data + out.len - 5);
			assert_false(out.len > 3 && strncmp(out.data, ".\r\n", 3) == 0);
		}
		mk_buf_free(&out);
	}
}

static void test_recipients(void **state)
{
	const char *m = "From: a@x\r\nTo: Bob <bob@example.test>, carol@example.test,\r\n  \"Doe, J\" "
			"<j@example.test>\r\n"
			"Cc: undisclosed-recipients:;\r\nBcc: (hidden) dave@example.test\r\nSubject: To: "
			"not@this.one\r\n\r\n"
			"To: nor@this.one\r\n";
	struct mk_buf out, stripped;

	(void)state;
	mk_buf_init(&out, 4096);
	mk_buf_init(&stripped, 4096);
	assert_int_equal(mk_msg_recipients(m, strlen(m), &out), 0);
	assert_string_equal(mk_buf_str(&out),
			    "bob@example.test\ncarol@example.test\nj@example.test\ndave@example.test\n");
	assert_int_equal(mk_msg_strip_bcc(m, strlen(m), &stripped), 0);
	assert_null(strstr(mk_buf_str(&stripped), "Bcc:"));
	assert_non_null(strstr(mk_buf_str(&stripped), "Subject: To: not@this.one\r\n\r\nTo: nor@this.one"));
	assert_int_equal(stripped.len, strlen(m) - strlen("Bcc: (hidden) dave@example.test\r\n"));
	mk_buf_free(&out);
	mk_buf_free(&stripped);
	assert_true(mk_msg_is_8bit("caf\xc3\xa9", 5));
	assert_false(mk_msg_is_8bit("cafe", 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_to_data),
		cmocka_unit_test(test_no_bare_line_ends_ever),
		cmocka_unit_test(test_recipients),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
