/* The app-password file format: round trip, every kind of damage reported
 * with its line, and the caps. */
#include <stdio.h>
#include <string.h>

#include "cmocka_all.h"
#include "gateway/apppass_format.h"

#define SALT "000102030405060708090a0b0c0d0e0f"
#define MAC "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff"

static void rec(struct gw_apppass_rec *r, const char *account, const char *name, int64_t created,
		int64_t used)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->account, sizeof(r->account), "%s", account);
	snprintf(r->name, sizeof(r->name), "%s", name);
	for (unsigned i = 0; i < sizeof(r->salt); i++)
		r->salt[i] = (unsigned char)(i * 7 + created);
	for (unsigned i = 0; i < sizeof(r->verifier); i++)
		r->verifier[i] = (unsigned char)(255 - i - used);
	r->created = created;
	r->last_used = used;
}

static void test_round_trip(void **state)
{
	struct gw_apppass_set a = { 0 }, b = { 0 };
	struct gw_apppass_rec r;
	struct mk_buf out, out2;
	struct mk_error err;

	(void)state;
	mk_buf_init(&out, 1 << 20);
	mk_buf_init(&out2, 1 << 20);
	rec(&r, "work", "scanner", 1764600000, 0);
	assert_int_equal(gw_apppass_set_add(&a, &r, &err), 0);
	rec(&r, "me@example.com", "fetch.mail_2-x", 1, GW_APPPASS_TIME_MAX);
	assert_int_equal(gw_apppass_set_add(&a, &r, &err), 0);
	rec(&r, "work", "fetchmail", 1764600001, 1764600100);
	assert_int_equal(gw_apppass_set_add(&a, &r, &err), 0);
	/* The same name under another account is another password. */
	rec(&r, "home", "scanner", 5, 6);
	assert_int_equal(gw_apppass_set_add(&a, &r, &err), 0);
	rec(&r, "work", "scanner", 9, 9);
	assert_int_equal(gw_apppass_set_add(&a, &r, &err), -1);
	assert_int_equal(err.cls, MK_ERR_USAGE);

	assert_int_equal(gw_apppass_format(&a, &out, &err), 0);
	assert_int_equal(gw_apppass_parse(out.data, out.len, &b, &err), 0);
	assert_int_equal(b.n, 4);
	assert_memory_equal(a.recs, b.recs, 4 * sizeof(*a.recs));
	assert_int_equal(gw_apppass_format(&b, &out2, &err), 0);
	assert_string_equal(out.data, out2.data);
	assert_non_null(strstr(out.data, "\nv1 work fetchmail "));
	assert_int_equal(gw_apppass_set_find(&b, "home", "scanner"), 3);
	assert_int_equal(gw_apppass_set_find(&b, "home", "fetchmail"), -1);
	gw_apppass_set_remove(&b, 1);
	assert_int_equal(b.n, 3);
	assert_int_equal(gw_apppass_set_find(&b, "home", "scanner"), 2);
	assert_string_equal(b.recs[1].name, "fetchmail");

	/* An empty set writes a file that parses to nothing. */
	gw_apppass_set_free(&b);
	mk_buf_reset(&out);
	assert_int_equal(gw_apppass_format(&b, &out, &err), 0);
	assert_int_equal(gw_apppass_parse(out.data, out.len, &b, &err), 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(gw_apppass_parse("", 0, &b, &err), 0);
	assert_int_equal(b.n, 0);
	gw_apppass_set_free(&a);
	gw_apppass_set_free(&b);
	mk_buf_free(&out);
	mk_buf_free(&out2);
}

static const struct {
	const char *text;
	const char *msg; /* expected message start */
} damaged[] = {
	{ "v1 a n " SALT " " MAC " 1 0", "line 1: no newline" },
	{ "v1 a n " SALT " " MAC " 1 0\nv1 a m " SALT " " MAC " 1", "line 2: no newline" },
	{ "v2 a n " SALT " " MAC " 1 0\n", "line 1: not a version 1" },
	{ "V1 a n " SALT " " MAC " 1 0\n", "line 1: not a version 1" },
	{ "v1a n " SALT " " MAC " 1 0\n", "line 1: not a version 1" },
	{ "# c\n\nv1 a n " SALT " " MAC " 1\n", "line 3: fewer than 7" },
	{ "v1 a n " SALT " " MAC " 1 0 x\n", "line 1: more than 7" },
	{ "v1 a  n " SALT " " MAC " 1 0\n", "line 1: an empty field" },
	{ "v1 a n " SALT " " MAC " 1 0 \n", "line 1: an empty field" },
	{ " v1 a n " SALT " " MAC " 1 0\n", "line 1: an empty field" },
	{ "v1 a\tb n " SALT " " MAC " 1 0\n", "line 1: the account" },
	{ "v1 a/b n " SALT " " MAC " 1 0\n", "line 1: the account" },
	{ "v1 a n@x " SALT " " MAC " 1 0\n", "line 1: the name" },
	{ "v1 a n\r " SALT " " MAC " 1 0\n", "line 1: the name" },
	{ "v1 a n " SALT " " MAC " 1 0\r\n", "line 1: the last-use" },
	{ "v1 a n 000102030405060708090a0b0c0d0e0 " MAC " 1 0\n", "line 1: the salt" },
	{ "v1 a n 000102030405060708090a0b0c0d0e0fa " MAC " 1 0\n", "line 1: the salt" },
	{ "v1 a n 000102030405060708090A0B0C0D0E0F " MAC " 1 0\n", "line 1: the salt" },
	{ "v1 a n 00010203040506070809xa0b0c0d0e0f " MAC " 1 0\n", "line 1: the salt" },
	{ "v1 a n " SALT " " SALT " 1 0\n", "line 1: the verifier" },
	{ "v1 a n " SALT " " MAC "0 1 0\n", "line 1: the verifier" },
	{ "v1 a n " SALT " " MAC " -1 0\n", "line 1: the creation" },
	{ "v1 a n " SALT " " MAC " 01 0\n", "line 1: the creation" },
	{ "v1 a n " SALT " " MAC " 1x 0\n", "line 1: the creation" },
	{ "v1 a n " SALT " " MAC " 253402300800 0\n", "line 1: the creation" },
	{ "v1 a n " SALT " " MAC " 18446744073709551616 0\n", "line 1: the creation" },
	{ "v1 a n " SALT " " MAC " 1 +5\n", "line 1: the last-use" },
	{ "v1 a n " SALT " " MAC " 1 0\nv1 b n " SALT " " MAC " 1 0\n# x\nv1 a n " SALT " " MAC " 2 0\n",
	  "line 4: a second app password named n for account a" },
};

static void test_damaged(void **state)
{
	struct gw_apppass_set set = { 0 };
	struct gw_apppass_rec r;
	struct mk_error err;
	char nul[] = "v1 a n " SALT " " MAC " 1 0\n#\0x\n";

	(void)state;
	/* What was there before a failed parse stays, nothing is added. */
	rec(&r, "keep", "me", 1, 1);
	assert_int_equal(gw_apppass_set_add(&set, &r, &err), 0);
	for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		mk_error_init(&err);
		if (gw_apppass_parse(damaged[i].text, strlen(damaged[i].text), &set, &err) == 0)
			fail_msg("case %zu parsed: %s", i, damaged[i].text);
		assert_int_equal(err.cls, MK_ERR_DATA);
		if (strncmp(err.msg, damaged[i].msg, strlen(damaged[i].msg)) != 0)
			fail_msg("case %zu: '%s', wanted '%s...'", i, err.msg, damaged[i].msg);
		assert_int_equal(set.n, 1);
		assert_string_equal(set.recs[0].account, "keep");
	}
	assert_int_equal(gw_apppass_parse(nul, sizeof(nul) - 1, &set, &err), -1);
	assert_string_equal(err.msg, "line 2: a NUL byte");
	gw_apppass_set_free(&set);
}

static void test_names(void **state)
{
	char n64[65], n65[66], a127[128], a128[129];

	(void)state;
	memset(n64, 'x', 64);
	n64[64] = '\0';
	memset(n65, 'x', 65);
	n65[65] = '\0';
	memset(a127, 'a', 127);
	a127[127] = '\0';
	memset(a128, 'a', 128);
	a128[128] = '\0';
	assert_true(gw_apppass_name_valid("scanner-2f"));
	assert_true(gw_apppass_name_valid("A.b_c-9"));
	assert_true(gw_apppass_name_valid(n64));
	assert_false(gw_apppass_name_valid(n65));
	assert_false(gw_apppass_name_valid(""));
	assert_false(gw_apppass_name_valid(NULL));
	assert_false(gw_apppass_name_valid("a b"));
	assert_false(gw_apppass_name_valid("a@b"));
	assert_false(gw_apppass_name_valid("é"));
	assert_true(gw_apppass_account_valid("me@example.com"));
	assert_true(gw_apppass_account_valid(a127));
	assert_false(gw_apppass_account_valid(a128));
	assert_false(gw_apppass_account_valid("a:b"));
	assert_false(gw_apppass_account_valid(""));
}

static void test_caps(void **state)
{
	struct gw_apppass_set set = { 0 };
	struct gw_apppass_rec r;
	struct mk_buf text;
	struct mk_error err;
	char line[GW_APPPASS_LINE_MAX + 3];

	(void)state;
	/* A comment at the cap is fine, one byte more is not. */
	memset(line, '#', sizeof(line));
	line[GW_APPPASS_LINE_MAX] = '\n';
	assert_int_equal(gw_apppass_parse(line, GW_APPPASS_LINE_MAX + 1, &set, &err), 0);
	line[GW_APPPASS_LINE_MAX] = '#';
	line[GW_APPPASS_LINE_MAX + 1] = '\n';
	assert_int_equal(gw_apppass_parse(line, GW_APPPASS_LINE_MAX + 2, &set, &err), -1);
	assert_string_equal(err.msg, "line 1: longer than any record");

	/* The record cap: exactly GW_APPPASS_RECORDS_MAX parse back, the set
	 * refuses one more, and a file with one more is damaged. */
	mk_buf_init(&text, GW_APPPASS_FILE_MAX);
	for (int i = 0; i < GW_APPPASS_RECORDS_MAX; i++) {
		char name[16];
		snprintf(name, sizeof(name), "p%d", i);
		rec(&r, "acct", name, i, 0);
		assert_int_equal(gw_apppass_set_add(&set, &r, &err), 0);
	}
	rec(&r, "acct", "one-more", 1, 0);
	assert_int_equal(gw_apppass_set_add(&set, &r, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_int_equal(gw_apppass_format(&set, &text, &err), 0);
	gw_apppass_set_free(&set);
	assert_int_equal(gw_apppass_parse(text.data, text.len, &set, &err), 0);
	assert_int_equal(set.n, GW_APPPASS_RECORDS_MAX);
	gw_apppass_set_free(&set);
	assert_int_equal(mk_buf_addf(&text, "v1 acct x " SALT " " MAC " 1 0\n"), 0);
	assert_int_equal(gw_apppass_parse(text.data, text.len, &set, &err), -1);
	assert_non_null(strstr(err.msg, "more records than mailkey keeps"));
	assert_int_equal(set.n, 0);
	gw_apppass_set_free(&set);

	/* Lines, comments included, are capped too. */
	mk_buf_reset(&text);
	for (int i = 0; i <= GW_APPPASS_LINES_MAX; i++)
		assert_int_equal(mk_buf_addstr(&text, "#\n"), 0);
	assert_int_equal(gw_apppass_parse(text.data, text.len, &set, &err), -1);
	assert_non_null(strstr(err.msg, "too many lines"));
	assert_int_equal(set.n, 0);
	gw_apppass_set_free(&set);
	mk_buf_free(&text);
}

static void test_format_refuses(void **state)
{
	struct gw_apppass_set set = { 0 };
	struct gw_apppass_rec r;
	struct mk_buf out;
	struct mk_error err;

	(void)state;
	mk_buf_init(&out, 1 << 16);
	rec(&r, "a b", "n", 1, 0);
	assert_int_equal(gw_apppass_set_add(&set, &r, &err), 0);
	assert_int_equal(gw_apppass_format(&set, &out, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_int_equal(out.len, 0);
	gw_apppass_set_free(&set);
	rec(&r, "a", "n", -1, 0);
	assert_int_equal(gw_apppass_set_add(&set, &r, &err), 0);
	assert_int_equal(gw_apppass_format(&set, &out, &err), -1);
	assert_int_equal(out.len, 0);
	gw_apppass_set_free(&set);
	/* A cap too small for the file is an error, never a cut file. */
	mk_buf_free(&out);
	mk_buf_init(&out, 100);
	rec(&r, "a", "n", 1, 0);
	assert_int_equal(gw_apppass_set_add(&set, &r, &err), 0);
	assert_int_equal(gw_apppass_format(&set, &out, &err), -1);
	assert_int_equal(out.len, 0);
	gw_apppass_set_free(&set);
	mk_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_names),	       cmocka_unit_test(test_caps),
		cmocka_unit_test(test_format_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
