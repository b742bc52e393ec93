#include <stdio.h>
#include <stdlib.h>
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

/* Run mk_msg_recipients on an exact-size heap copy, so that reading even
 * one byte past the message is an ASan error (a string literal would have
 * its NUL there). */
static int recipients_exact(const char *m, size_t len, struct mk_buf *out)
{
	char *copy = malloc(len > 0 ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, m, len);
	rc = mk_msg_recipients(copy, len, out);
	free(copy);
	return rc;
}

/* The outside review's input: a backslash ending a quoted string at the very
 * end of the message read one byte past it. */
static void test_recipients_backslash_at_end(void **state)
{
	static const char *const in[] = {
		"FCcmd\nTo:\"x,0a@(<d@r\\",
		"To: \"\\",
		"To: a@b, \"q\\",
		"To: <a@b> \"x\\",
	};
	static const char *const want[] = { "", "", "a@b\n", "a@b\n" };
	struct mk_buf out;

	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		mk_buf_init(&out, 4096);
		assert_int_equal(recipients_exact(in[i], strlen(in[i]), &out), 0);
		if (strcmp(mk_buf_str(&out), want[i]) != 0)
			fail_msg("case %zu: got '%s'", i, mk_buf_str(&out));
		mk_buf_free(&out);
	}
}

/* A bare address longer than the old 512-byte scratch array was cut to 510
 * bytes and the cut address used as a recipient; it is taken whole now
 * (the SMTP server judges its length), and a value that overflows the
 * output cap is an error, not a shorter address. */
static void test_recipients_long_bare(void **state)
{
	char m[4 + 600 + 9 + 1], want[600 + 9 + 2];
	struct mk_buf out;

	(void)state;
	memcpy(m, "To: ", 4);
	memset(m + 4, 'a', 600);
	memcpy(m + 604, "@b.test", 8);
	snprintf(want, sizeof(want), "%s\n", m + 4);
	mk_buf_init(&out, 4096);
	assert_int_equal(recipients_exact(m, strlen(m), &out), 0);
	assert_string_equal(mk_buf_str(&out), want);
	mk_buf_free(&out);
	mk_buf_init(&out, 100);
	assert_int_equal(recipients_exact(m, strlen(m), &out), -1);
	mk_buf_free(&out);
}

/* A line break inside <...> (a folded header) split one address into two
 * recipients, the second made of what followed the fold. Unfolded now. */
static void test_recipients_folded_angle(void **state)
{
	const char *m = "To: Bob <bob@exa\r\n mple.test>, <c@d\n\tx>\r\n\r\nbody\r\n";
	struct mk_buf out;

	(void)state;
	mk_buf_init(&out, 4096);
	assert_int_equal(mk_msg_recipients(m, strlen(m), &out), 0);
	assert_string_equal(mk_buf_str(&out), "bob@exa mple.test\nc@d\tx\n");
	mk_buf_free(&out);
}

/* A NUL inside <...> went into the recipient list, where every string
 * function stops at it ("b@" and the rest lost; cmd_send's line split found
 * no newline). Control bytes in an address make the message a data error. */
static void test_recipients_control_bytes(void **state)
{
	static const struct {
		const char *m;
		size_t len;
	} bad[] = {
		{ "To: Bob <b@\0c>\r\n\r\n", 18 },
		{ "To: b@\0c\r\n\r\n", 12 },
		{ "To: <b@\x01"
		  "c>\r\n\r\n",
		  14 },
		{ "Cc: b@c\x7f\r\n\r\n", 12 },
	};
	struct mk_buf out;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mk_buf_init(&out, 4096);
		if (recipients_exact(bad[i].m, bad[i].len, &out) != -1)
			fail_msg("case %zu accepted: '%s'", i, mk_buf_str(&out));
		mk_buf_free(&out);
	}
	/* in a display name or a comment they do not matter */
	mk_buf_init(&out, 4096);
	assert_int_equal(recipients_exact("To: \"B\x01\" <b@c> (x\x02)\r\n\r\n", 23, &out), 0);
	assert_string_equal(mk_buf_str(&out), "b@c\n");
	mk_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_to_data),
		cmocka_unit_test(test_no_bare_line_ends_ever),
		cmocka_unit_test(test_recipients),
		cmocka_unit_test(test_recipients_backslash_at_end),
		cmocka_unit_test(test_recipients_long_bare),
		cmocka_unit_test(test_recipients_folded_angle),
		cmocka_unit_test(test_recipients_control_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
