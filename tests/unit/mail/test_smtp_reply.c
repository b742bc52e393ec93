#include <stdio.h>
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

/* Feed lines into r; returns the last feed's result. */
static int feed_all(struct mk_smtp_reply *r, const char *const *lines, size_t n)
{
	struct mk_error err;
	int rc = -1;

	for (size_t i = 0; i < n; i++) {
		rc = mk_smtp_reply_feed(r, lines[i], strlen(lines[i]), &err);
		if (rc < 0)
			fail_msg("line %zu rejected: %s", i, err.msg);
	}
	return rc;
}

/* The outside review's reproduction: a 300-byte mechanism name then 64
 * repeated AUTH lines wrote past caps.auth[256] (pre-TLS, into the SMTP
 * session struct). Invalid names are dropped, repeats are listed once. */
static void test_ehlo_auth_overflow(void **state)
{
	char first[17 + 300 + 1];
	const char *lines[1 + 64 + 1];
	struct mk_smtp_reply r;
	struct mk_smtp_caps c;

	(void)state;
	memcpy(first, "250-AUTH XOAUTH2 ", 17);
	memset(first + 17, 'A', 300);
	first[17 + 300] = '\0';
	lines[0] = first;
	for (size_t i = 1; i <= 64; i++)
		lines[i] = "250-AUTH B";
	lines[65] = "250 STARTTLS";
	mk_smtp_reply_init(&r);
	/* The first line is the greeting name: put the AUTH lines after one. */
	assert_int_equal(mk_smtp_reply_feed(&r, "250-mx", 6, &(struct mk_error){ 0 }), 1);
	assert_int_equal(feed_all(&r, lines, 66), 0);
	mk_smtp_caps_parse(&r, &c);
	assert_string_equal(c.auth, " XOAUTH2 B ");
	assert_true(c.starttls);
	assert_true(mk_smtp_caps_has_auth(&c, "XOAUTH2"));
	mk_smtp_reply_free(&r);
}

/* The minimal fuzz input of the same bug. */
static void test_ehlo_auth_overflow_minimal(void **state)
{
	char longline[9 + 260 + 1];
	const char *lines[] = { "250-x", longline, "250-AUTH B", "250 X" };
	struct mk_smtp_reply r;
	struct mk_smtp_caps c;

	(void)state;
	memcpy(longline, "250-AUTH ", 9);
	memset(longline + 9, 'B', 260);
	longline[9 + 260] = '\0';
	mk_smtp_reply_init(&r);
	assert_int_equal(feed_all(&r, lines, 4), 0);
	mk_smtp_caps_parse(&r, &c);
	assert_string_equal(c.auth, " B ");
	mk_smtp_reply_free(&r);
}

/* Many distinct valid names: XOAUTH2 in a later line is kept while it fits;
 * once the list is full further names are dropped whole, never cut. */
static void test_ehlo_auth_many(void **state)
{
	char names[12][64];
	const char *lines[14];
	char want[512];
	size_t w = 0;
	struct mk_smtp_reply r;
	struct mk_smtp_caps c;

	(void)state;
	lines[0] = "250-mx";
	want[w++] = ' ';
	for (int i = 0; i < 10; i++) {
		/* 20-byte names, the longest RFC 4422 allows */
		snprintf(names[i], sizeof(names[i]), "250-AUTH M%02d-4567890123456789", i);
		lines[1 + i] = names[i];
		w += (size_t)snprintf(want + w, sizeof(want) - w, "M%02d-4567890123456789 ", i);
	}
	lines[11] = "250-AUTH=xoauth2";
	w += (size_t)snprintf(want + w, sizeof(want) - w, "XOAUTH2 ");
	lines[12] = "250 AUTH OAUTHBEARER";
	mk_smtp_reply_init(&r);
	assert_int_equal(feed_all(&r, lines, 13), 0);
	mk_smtp_caps_parse(&r, &c);
	assert_true(mk_smtp_caps_has_auth(&c, "XOAUTH2"));
	/* 1 + 10*21 + 8 = 219 bytes used; " OAUTHBEARER " needs 12 more: fits */
	w += (size_t)snprintf(want + w, sizeof(want) - w, "OAUTHBEARER ");
	assert_string_equal(c.auth, want);
	assert_true(mk_smtp_caps_has_auth(&c, "OAUTHBEARER"));
	mk_smtp_reply_free(&r);

	/* Now past the end: 12 names of 20 fill 253 bytes; XOAUTH2 (8 more)
	 * does not fit and is left out whole. */
	w = 0;
	want[w++] = ' ';
	lines[0] = "250-mx";
	for (int i = 0; i < 12; i++) {
		snprintf(names[i], sizeof(names[i]), "250-AUTH M%02d-4567890123456789", i);
		lines[1 + i] = names[i];
		w += (size_t)snprintf(want + w, sizeof(want) - w, "M%02d-4567890123456789 ", i);
	}
	lines[13] = "250 AUTH XOAUTH2";
	mk_smtp_reply_init(&r);
	assert_int_equal(feed_all(&r, lines, 14), 0);
	mk_smtp_caps_parse(&r, &c);
	assert_int_equal(strlen(c.auth), 253);
	assert_string_equal(c.auth, want);
	assert_false(mk_smtp_caps_has_auth(&c, "XOAUTH2"));
	assert_true(mk_smtp_caps_has_auth(&c, "M11-4567890123456789"));
	mk_smtp_reply_free(&r);
}

/* Names that are not RFC 4422 mechanism names are ignored; tabs, extra
 * spaces and lower case are normalised. */
static void test_ehlo_auth_names(void **state)
{
	const char *lines[] = { "250-mx", "250-AUTH  plain   XOAUTH2 x\"y 123456789012345678901",
				"250-AUTH=LOGIN XOAUTH2", "250 AUTH oauthbearer" };
	struct mk_smtp_reply r;
	struct mk_smtp_caps c;

	(void)state;
	mk_smtp_reply_init(&r);
	assert_int_equal(feed_all(&r, lines, 4), 0);
	mk_smtp_caps_parse(&r, &c);
	assert_string_equal(c.auth, " PLAIN XOAUTH2 LOGIN OAUTHBEARER ");
	assert_false(mk_smtp_caps_has_auth(&c, "123456789012345678901"));
	assert_false(mk_smtp_caps_has_auth(&c, "x\"y"));
	mk_smtp_reply_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_table),	   cmocka_unit_test(test_ehlo_caps),
		cmocka_unit_test(test_ehlo_auth_overflow), cmocka_unit_test(test_ehlo_auth_overflow_minimal),
		cmocka_unit_test(test_ehlo_auth_many),	   cmocka_unit_test(test_ehlo_auth_names)
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
