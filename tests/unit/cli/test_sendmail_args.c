#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "broker/config/config.h"
#include "cli/sendmail_args.h"
#include "cmocka_all.h"

/* Parse a NULL-terminated list (copied: the parser may edit arguments). */
static char store[32][128];
static char *vec[33];

static int parse(bool sendmail_mode, struct mk_sendmail_args *r, struct mk_error *err, ...)
{
	va_list ap;
	int n = 0;
	const char *s;

	va_start(ap, err);
	snprintf(store[n], sizeof(store[n]), "sendmail");
	vec[n] = store[n];
	n++;
	while ((s = va_arg(ap, const char *)) != NULL) {
		snprintf(store[n], sizeof(store[n]), "%s", s);
		vec[n] = store[n];
		n++;
	}
	va_end(ap);
	vec[n] = NULL;
	mk_error_init(err);
	return mk_sendmail_parse(n, vec, sendmail_mode, r, err);
}

/* -odq queues, -odi sends at once (sendmail's delivery modes); the long
 * forms of `mailkey send` do the same. */
static void test_queue_modes(void **state)
{
	struct mk_sendmail_args r;
	struct mk_error err;

	(void)state;
	assert_int_equal(parse(true, &r, &err, "-odq", "-oi", "a@b", NULL), 0);
	assert_true(r.queue);
	assert_false(r.no_queue);
	assert_int_equal(parse(true, &r, &err, "-odi", "a@b", NULL), 0);
	assert_false(r.queue);
	assert_true(r.no_queue);
	assert_int_equal(parse(false, &r, &err, "--queue", "a@b", NULL), 0);
	assert_true(r.queue);
	assert_int_equal(parse(false, &r, &err, "--no-queue", "a@b", NULL), 0);
	assert_true(r.no_queue);
	assert_int_equal(parse(true, &r, &err, "-oem", "a@b", NULL), 0);
	assert_false(r.queue || r.no_queue);
}

static void test_common_calls(void **state)
{
	struct mk_sendmail_args r;
	struct mk_error err;

	(void)state;
	assert_int_equal(parse(true, &r, &err, "-t", "-i", "-oi", "-f", "a@b", NULL), 0);
	assert_true(r.read_rcpts);
	assert_string_equal(r.from, "a@b");
	assert_int_equal(r.nrcpt, 0);
	/* mutt: -oem -oi -f ADDR -- rcpt; a recipient after -- that looks like an option */
	assert_int_equal(
		parse(true, &r, &err, "-oem", "-odi", "-bm", "-oi", "-f", "x@y", "--", "c@d", "-t", NULL), 0);
	assert_false(r.read_rcpts);
	assert_int_equal(r.nrcpt, 2);
	assert_string_equal(r.rcpts[0], "c@d");
	assert_string_equal(r.rcpts[1], "-t");
	/* attached forms, bundles, -r, brackets */
	assert_int_equal(parse(true, &r, &err, "-ti", "-f<a@b>", "-FCron Daemon", NULL), 0);
	assert_true(r.read_rcpts);
	assert_string_equal(r.from, "a@b");
	assert_string_equal(r.fullname, "Cron Daemon");
	assert_int_equal(parse(true, &r, &err, "-r", "<>", "-F", "N", "-v", "-v", NULL), 0);
	assert_string_equal(r.from, "");
	assert_string_equal(r.fullname, "N");
	assert_int_equal(r.verbose, 2);
	assert_int_equal(parse(true, &r, &err, "-it", "-ra@b", NULL), 0);
	assert_true(r.read_rcpts);
	assert_string_equal(r.from, "a@b");
	/* options after recipients still count (GNU getopt permutes) */
	assert_int_equal(parse(true, &r, &err, "x@y", "-t", NULL), 0);
	assert_true(r.read_rcpts);
	assert_int_equal(r.nrcpt, 1);
	assert_int_equal(parse(false, &r, &err, "--account", "work", "--account=home", NULL), 0);
	assert_string_equal(r.account, "home");
}

static void test_ignored(void **state)
{
	struct mk_sendmail_args r;
	struct mk_error err;

	(void)state;
	assert_int_equal(parse(true, &r, &err, "-oQ/var/spool", "-o", "Kx", "-ODeliveryMode=b", "-B8BITMIME",
			       "-N", "never", "-R", "hdrs", "-V", "id", "-h", "5", "-L", "lbl", "-n", "-U",
			       "-m", "-G", "-Ac", "-psmtp", "r@s", NULL),
			 0);
	assert_int_equal(r.nrcpt, 1);
	assert_string_equal(r.rcpts[0], "r@s");
	assert_false(r.help);
	/* -h: hop count as sendmail, help as mailkey send */
	assert_int_equal(parse(false, &r, &err, "-h", NULL), 0);
	assert_true(r.help);
	assert_int_equal(parse(true, &r, &err, "--help", NULL), 0);
	assert_true(r.help);
	assert_int_equal(parse(true, &r, &err, "-h", NULL), -1);
}

static void test_refused(void **state)
{
	static const char *const bad[] = { "-bs",   "-bd", "-bD", "-bp",	  "-bi", "-bv", "-bt", "-q",
					   "-q15m", "-qR", "-X",  "--frobnicate", "-",	 "-C",	"-tq" };
	struct mk_sendmail_args r;
	struct mk_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(true, &r, &err, bad[i], "/x", NULL), -1);
		assert_int_equal(err.cls, MK_ERR_USAGE);
	}
	assert_int_equal(parse(true, &r, &err, "-bs", NULL), -1);
	assert_non_null(strstr(err.msg, "-bs (SMTP on standard input) is not supported"));
	assert_int_equal(parse(true, &r, &err, "-q1h", NULL), -1);
	assert_non_null(strstr(err.msg, "mailkey queue run"));
	/* a missing argument, injection into MAIL FROM or a header */
	assert_int_equal(parse(true, &r, &err, "-f", NULL), -1);
	assert_non_null(strstr(err.msg, "-f needs an argument"));
	assert_int_equal(parse(true, &r, &err, "-fa@b> SIZE=1", NULL), -1);
	assert_int_equal(parse(true, &r, &err, "-f", "a@b\r\nRCPT TO:<c@d>", NULL), -1);
	assert_int_equal(parse(true, &r, &err, "-F", "x\nBcc: e@f", NULL), -1);
	assert_int_equal(parse(true, &r, &err, "--account", NULL), -1);
}

static void test_rcpt_addresses(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "a@b", "a@b\n" },
		{ "root", "root\n" },
		{ "a@b, c@d", "a@b\nc@d\n" },
		{ "Bob <b@x>", "b@x\n" },
		{ "\"Doe, J\" <j@x>, k@y", "j@x\nk@y\n" },
	};
	struct mk_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct mk_buf out;
		mk_buf_init(&out, 4096);
		assert_int_equal(mk_sendmail_rcpt_addresses(ok[i].in, &out, &err), 0);
		assert_string_equal(mk_buf_str(&out), ok[i].out);
		mk_buf_free(&out);
	}
	{
		struct mk_buf out;
		mk_buf_init(&out, 4096);
		assert_int_equal(mk_sendmail_rcpt_addresses("", &out, &err), -1);
		assert_int_equal(mk_sendmail_rcpt_addresses("a@b\r\nDATA", &out, &err), -1);
		assert_int_equal(mk_sendmail_rcpt_addresses("Nobody <>", &out, &err), -1);
		assert_int_equal(out.len, 0);
		mk_buf_free(&out);
	}
}

static void test_header_from(void **state)
{
	static const struct {
		const char *msg, *addr;
		bool has;
	} cases[] = {
		{ "From: a@b\nTo: c@d\n\nbody\n", "a@b", true },
		{ "Subject: x\nfrom: \"A, B\" <ab@x>\n\n", "ab@x", true },
		{ "Subject: x\nFrom:\n  Folded Name\n  <f@x>\nTo: t@x\n\n", "f@x", true },
		{ "Subject: x\n\nFrom: not@header\n", "", false },
		{ "Resent-From: r@x\n\n", "", false },
		{ "From: undisclosed\n\n", "", true },
		{ "", "", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mk_buf out;
		size_t n = strlen(cases[i].msg);
		mk_buf_init(&out, 4096);
		assert_int_equal(mk_sendmail_header_from(cases[i].msg, n, &out), 0);
		assert_string_equal(mk_buf_str(&out), cases[i].addr);
		assert_int_equal(mk_sendmail_has_from(cases[i].msg, n), cases[i].has);
		mk_buf_free(&out);
	}
	assert_true(mk_sendmail_starts_with_header("Subject: x\n\n", 12));
	assert_false(mk_sendmail_starts_with_header("just a body\n", 12));
	assert_false(mk_sendmail_starts_with_header("From a@b Mon\n", 13));
	assert_false(mk_sendmail_starts_with_header("", 0));
}

static void test_from_field(void **state)
{
	static const struct {
		const char *name, *addr, *out;
	} cases[] = {
		{ NULL, "a@b", "From: a@b\n" },
		{ "", "a@b", "From: a@b\n" },
		{ "Cron Daemon", "a@b", "From: \"Cron Daemon\" <a@b>\n" },
		{ "J \"x\" \\ D", "a@b", "From: \"J \\\"x\\\" \\\\ D\" <a@b>\n" },
		{ "Jörg", "a@b", "From: =?UTF-8?B?SsO2cmc=?= <a@b>\n" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mk_buf out;
		mk_buf_init(&out, 4096);
		assert_int_equal(mk_sendmail_from_field(cases[i].name, cases[i].addr, &out), 0);
		assert_string_equal(mk_buf_str(&out), cases[i].out);
		mk_buf_free(&out);
	}
	{
		/* A long non-ASCII name: words of at most 75 characters, no
		 * UTF-8 sequence split (each word decodes alone). */
		char name[200] = "";
		struct mk_buf out;
		for (int i = 0; i < 40; i++)
			memcpy(name + 2 * i, "ü", 2);
		mk_buf_init(&out, 4096);
		assert_int_equal(mk_sendmail_from_field(name, "a@b", &out), 0);
		for (char *w = strstr(out.data, "=?"); w != NULL; w = strstr(w + 2, "=?")) {
			char *e = strstr(w + 10, "?=");
			assert_non_null(e);
			assert_true(e + 2 - w <= 75);
			/* 44 bytes of 2-byte characters: an even count, so
			 * base64 of whole characters only */
		}
		assert_non_null(strstr(out.data, "?=\n =?UTF-8?B?"));
		mk_buf_free(&out);
	}
}

static void test_config_default_account(void **state)
{
	static char good[] = "default_account = b\n\n[account a]\nprovider = google\nuser = a@x\n"
			     "client_id = c\n\n[account b]\nprovider = google\nuser = b@x\nclient_id = c\n";
	static char bad[] = "# top\ndefault_account = z\n[account a]\nprovider = google\nuser = a@x\n"
			    "client_id = c\n";
	static char none[] = "[account a]\nprovider = google\nuser = a@x\nclient_id = c\n";
	struct mk_config *c = NULL;
	struct mk_error err;
	FILE *fp;

	(void)state;
	fp = fmemopen(good, sizeof(good) - 1, "r");
	assert_int_equal(mk_config_load_stream("cfg", fp, NULL, &c, &err), 0);
	fclose(fp);
	assert_string_equal(mk_config_default_account(c), "b");
	mk_config_free(&c);
	fp = fmemopen(none, sizeof(none) - 1, "r");
	assert_int_equal(mk_config_load_stream("cfg", fp, NULL, &c, &err), 0);
	fclose(fp);
	assert_null(mk_config_default_account(c));
	mk_config_free(&c);
	fp = fmemopen(bad, sizeof(bad) - 1, "r");
	assert_int_equal(mk_config_load_stream("cfg", fp, NULL, &c, &err), -1);
	fclose(fp);
	assert_int_equal(err.cls, MK_ERR_CONFIG);
	assert_non_null(strstr(err.msg, "cfg:2: default_account = z names no [account z]"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_common_calls),   cmocka_unit_test(test_queue_modes),
		cmocka_unit_test(test_ignored),	       cmocka_unit_test(test_refused),
		cmocka_unit_test(test_rcpt_addresses), cmocka_unit_test(test_header_from),
		cmocka_unit_test(test_from_field),     cmocka_unit_test(test_config_default_account),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
