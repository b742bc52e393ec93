#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/config/config.h"
#include "cmocka_all.h"

static char path[64];

/* text (len bytes: it may hold a NUL) as a file with the given mode. */
static struct mk_config *load_bytes(const char *text, size_t len, mode_t mode, struct mk_buf *problems,
				    struct mk_error *err)
{
	struct mk_config *c = NULL;
	FILE *fp;

	snprintf(path, sizeof(path), "/tmp/mk-config-test.%d", (int)getpid());
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
	mk_error_init(err);
	mk_config_load(path, problems, &c, err);
	unlink(path);
	return c;
}

static struct mk_config *load_text(const char *text, struct mk_buf *problems, struct mk_error *err)
{
	return load_bytes(text, strlen(text), 0600, problems, err);
}

/* Each bad config names the right line and says what is wrong. */
static const struct {
	const char *text, *line, *needle;
} bad[] = {
	{ "[account a]\nprovider = google\nuser = u@x\nclient_id = c\nbogus = 1\n",
	  ":5:", "unknown key 'bogus'" },
	{ "[account a]\nprovider = nope\nuser = u\nclient_id = c\n", ":2:", "unknown provider 'nope'" },
	{ "[account a]\nprovider = google\nclient_id = c\n", ":2:", "has no 'user'" },
	{ "[account a]\nprovider = google\nuser = u\n", ":2:", "has no 'client_id'" },
	{ "[account a]\nprovider = generic\nuser = u\nclient_id = c\n", ":2:", "needs 'issuer'" },
	{ "[account a]\nprovider = google\nuser = u\nclient_id = c\nimap = h:99999\n",
	  ":5:", "port from 1 to 65535" },
	{ "[account a]\nprovider = google\nuser = u\nclient_id = c\nmech = plain\n",
	  ":5:", "xoauth2 or oauthbearer" },
	{ "[account a]\nprovider = google\nuser = u\nclient_id = c\n\n[account a]\nprovider = google\n",
	  ":7:", "appears twice" },
	{ "[something]\nx = 1\n", ":2:", "unknown section" },
	{ "[account a]\nprovider = google\nuser = u\nclient_id = c\nthis is not ini\n",
	  ":5:", "not an INI line" },
	{ "[account a]\nprovider = google\nuser = u\nclient_id = c\nsmtp_tls = none\n", ":5:", "TLS mode" },
	{ "[account a]\nprovider = google\nuser = u\nclient_id = c\nclient_secret_file = /nonexistent/x\n",
	  ":5:", "client_secret_file" },
	{ "[account a]\nprovider = google\nuser = u\nclient_id = c\nredirect_host = 0.0.0.0\n",
	  ":5:", "redirect_host" },
	{ "[account a]\nprovider = google\nuser = u\nclient_id = c\nnotify_interval = 5\n",
	  ":5:", "notify_interval must be" },
	{ "[account a]\nprovider = google\nuser = u\nclient_id = c\nnotify_interval = soon\n",
	  ":5:", "notify_interval must be" },
	{ "[account a]\nprovider = google\nuser = u\nclient_id = c\n\nsocket = /x\n",
	  ":6:", "unknown key 'socket'" },
};

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mk_buf problems;
		struct mk_error err;
		struct mk_config *c;

		mk_buf_init(&problems, 1 << 16);
		c = load_text(bad[i].text, &problems, &err);
		if (c != NULL)
			fail_msg("case %zu parsed", i);
		assert_int_equal(err.cls, MK_ERR_CONFIG);
		if (strstr(mk_buf_str(&problems), bad[i].needle) == NULL ||
		    strstr(mk_buf_str(&problems), bad[i].line) == NULL)
			fail_msg("case %zu: got '%s'", i, mk_buf_str(&problems));
		assert_non_null(strstr(err.msg, path));
		mk_buf_free(&problems);
	}
}

static void test_presets_and_overrides(void **state)
{
	struct mk_error err;
	struct mk_config *c;
	struct mk_account *a;

	(void)state;
	c = load_text(
		"[account g]\nprovider = google\nuser = me@gmail.com\nclient_id = cid\nclient_secret = s3\n\n"
		"[account m]\nprovider = microsoft\ntenant = consumers\nuser = me@outlook.com\nclient_id = "
		"x\n"
		"smtp = smtp-mail.outlook.com:587\nmech = oauthbearer\nrefresh_margin = 900\n",
		NULL, &err);
	assert_non_null(c);
	assert_int_equal(mk_config_account_count(c), 2);
	a = mk_config_find(c, "g");
	assert_string_equal(a->token_endpoint, "https://oauth2.googleapis.com/token");
	assert_string_equal(a->scope, "https://mail.google.com/");
	assert_string_equal(a->imap.host, "imap.gmail.com");
	assert_int_equal(a->imap.port, 993);
	assert_int_equal(a->mech, MK_MECH_XOAUTH2);
	assert_true(a->device_scopes_refused);
	assert_string_equal(a->redirect_host, "127.0.0.1");
	assert_int_equal(a->refresh_margin, 600);
	a = mk_config_find(c, "m");
	assert_string_equal(a->authorization_endpoint,
			    "https://login.microsoftonline.com/consumers/oauth2/v2.0/authorize");
	assert_null(a->revocation_endpoint);
	assert_string_equal(a->redirect_host, "localhost");
	assert_string_equal(a->smtp.host, "smtp-mail.outlook.com");
	assert_int_equal(a->smtp.tls, MK_TLS_STARTTLS);
	assert_string_equal(a->imap.host, "outlook.office365.com");
	assert_int_equal(a->mech, MK_MECH_OAUTHBEARER);
	assert_int_equal(a->refresh_margin, 900);
	assert_non_null(strstr(a->scope, "offline_access"));
	mk_config_free(&c);
	assert_null(c);
}

/* The daemon's keys: top-level socket and allow_group, per account
 * notify_interval (900 s unless set) and relay_key. */
static void test_daemon_keys(void **state)
{
	struct mk_error err;
	struct mk_config *c;
	struct mk_account *a;

	(void)state;
	c = load_text("[account a]\nprovider = google\nuser = u@x\nclient_id = c\n", NULL, &err);
	assert_non_null(c);
	assert_null(mk_config_socket(c));
	assert_null(mk_config_allow_group(c));
	a = mk_config_find(c, "a");
	assert_int_equal(a->notify_interval, 900);
	assert_null(a->relay_key);
	mk_config_free(&c);
	c = load_text("socket = /run/mailkey/socket\nallow_group = postfix\n\n[account a]\nprovider = "
		      "google\nuser = u@x\nclient_id = c\nnotify_interval = 60\nrelay_key = [smtp.x]:587\n",
		      NULL, &err);
	assert_non_null(c);
	assert_string_equal(mk_config_socket(c), "/run/mailkey/socket");
	assert_string_equal(mk_config_allow_group(c), "postfix");
	a = mk_config_find(c, "a");
	assert_int_equal(a->notify_interval, 60);
	assert_string_equal(a->relay_key, "[smtp.x]:587");
	mk_config_free(&c);
}

static void test_secret_file(void **state)
{
	char sec[64], text[256];
	struct mk_error err;
	struct mk_config *c;
	FILE *fp;

	(void)state;
	snprintf(sec, sizeof(sec), "/tmp/mk-secret-test.%d", (int)getpid());
	fp = fopen(sec, "w");
	fputs("topsecret\n", fp);
	fclose(fp);
	chmod(sec, 0644);
	snprintf(text, sizeof(text),
		 "[account a]\nprovider = google\nuser = u\nclient_id = c\nclient_secret_file = %s\n", sec);
	c = load_text(text, NULL, &err);
	assert_null(c);
	assert_non_null(strstr(err.msg, "chmod 600"));
	chmod(sec, 0600);
	c = load_text(text, NULL, &err);
	assert_non_null(c);
	assert_string_equal(mk_config_account_at(c, 0)->client_secret, "topsecret");
	mk_config_free(&c);
	unlink(sec);
}

static void test_missing_file(void **state)
{
	struct mk_config *c = NULL;
	struct mk_error err;

	(void)state;
	assert_int_equal(mk_config_load("/nonexistent/mailkey.conf", NULL, &c, &err), -1);
	assert_int_equal(err.cls, MK_ERR_NOINPUT);
	assert_non_null(strstr(err.msg, "see `man mailkey`, section CONFIGURATION"));
}

/* Not a file: a directory is not "OK, 0 accounts"; a device that never
 * ends (/dev/zero, /dev/urandom) is refused at once instead of read forever. */
static void test_not_a_file(void **state)
{
	static const char *const paths[] = { "/tmp", "/dev/zero", "/dev/urandom", "/dev/null" };

	(void)state;
	alarm(20); /* a regression spins forever: fail instead of hanging */
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct mk_config *c = NULL;
		struct mk_error err;

		mk_error_init(&err);
		assert_int_equal(mk_config_load(paths[i], NULL, &c, &err), -1);
		assert_null(c);
		assert_int_equal(err.cls, MK_ERR_CONFIG);
		if (strstr(err.msg, i == 0 ? "is a directory" : "not a regular file") == NULL)
			fail_msg("%s: %s", paths[i], err.msg);
	}
	alarm(0);
}

/* A stream (the fuzz target's way in) is capped at 16 MiB too. */
static void test_size_cap(void **state)
{
	size_t n = (16u << 20) + 4096;
	char *big = malloc(n);
	struct mk_buf problems;
	struct mk_config *c = NULL;
	struct mk_error err;
	FILE *fp;

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i + 1 < n; i += 2)
		memcpy(big + i, "#\n", 2);
	fp = fmemopen(big, n, "r");
	assert_non_null(fp);
	mk_buf_init(&problems, 1 << 16);
	assert_int_equal(mk_config_load_stream("big", fp, &problems, &c, &err), -1);
	assert_non_null(strstr(mk_buf_str(&problems), "larger than 16777216 bytes"));
	fclose(fp);
	mk_buf_free(&problems);
	free(big);
}

/* No cap on the number of accounts (there was one of 64): 10,000 parse,
 * each is found by name, and a duplicate is still reported at its line. */
static void test_many_accounts(void **state)
{
	enum { N = 10000 };
	struct mk_buf text, problems;
	struct mk_config *c;
	struct mk_error err;
	char name[32];

	(void)state;
	mk_buf_init(&text, 16u << 20);
	mk_buf_init(&problems, 1 << 16);
	for (int i = 0; i < N; i++)
		assert_int_equal(mk_buf_addf(&text,
					     "[account acct%d]\nprovider = google\nuser = u%d@example.org\n"
					     "client_id = c\n\n",
					     i, i),
				 0);
	c = load_text(mk_buf_str(&text), &problems, &err);
	if (c == NULL)
		fail_msg("got '%s'", mk_buf_str(&problems));
	assert_int_equal(mk_config_account_count(c), N);
	for (int i = 0; i < N; i += 997) {
		snprintf(name, sizeof(name), "acct%d", i);
		assert_non_null(mk_config_find(c, name));
		assert_string_equal(mk_config_find(c, name)->name, name);
		assert_ptr_equal(mk_config_account_at(c, (size_t)i), mk_config_find(c, name));
	}
	assert_null(mk_config_find(c, "acct10000"));
	assert_null(mk_config_find(c, "acct"));
	mk_config_free(&c);
	assert_int_equal(mk_buf_addstr(&text, "[account acct5000]\nprovider = google\n"), 0);
	c = load_text(mk_buf_str(&text), &problems, &err);
	assert_null(c);
	if (strstr(mk_buf_str(&problems), "[account acct5000] appears twice") == NULL)
		fail_msg("got '%s'", mk_buf_str(&problems));
	mk_buf_free(&text);
	mk_buf_free(&problems);
}

static void test_nul_and_long_lines(void **state)
{
	static const char nul[] = "[account a]\nprovider = google\nuser = u@x\nclient_id = c\0d\n";
	struct mk_buf problems, text;
	struct mk_config *c;
	struct mk_error err;

	(void)state;
	mk_buf_init(&problems, 1 << 16);
	c = load_bytes(nul, sizeof(nul) - 1, 0600, &problems, &err);
	assert_null(c);
	if (strstr(mk_buf_str(&problems), ":4: this line contains a NUL byte") == NULL)
		fail_msg("got '%s'", mk_buf_str(&problems));
	/* A 50 KB key on line 3: reported there, and the next problem (line
	 * 5) keeps its own number. */
	mk_buf_reset(&problems);
	mk_buf_init(&text, 1 << 20);
	assert_int_equal(mk_buf_addstr(&text, "[account a]\nprovider = google\n"), 0);
	for (int i = 0; i < 50000; i++)
		assert_int_equal(mk_buf_addc(&text, 'k'), 0);
	assert_int_equal(mk_buf_addstr(&text, " = 1\nuser = u@x\nbogus = 2\nclient_id = c\n"), 0);
	c = load_text(mk_buf_str(&text), &problems, &err);
	assert_null(c);
	if (strstr(mk_buf_str(&problems), ":3: this line is 50004 characters long") == NULL ||
	    strstr(mk_buf_str(&problems), ":5: unknown key 'bogus'") == NULL)
		fail_msg("got '%s'", mk_buf_str(&problems));
	mk_buf_free(&text);
	mk_buf_free(&problems);
}

/* An inline client_secret is judged like a client_secret_file. */
static void test_inline_secret_mode(void **state)
{
	static const char text[] = "[account a]\nprovider = google\nuser = u@x\nclient_id = c\n"
				   "client_secret = s3\n";
	struct mk_buf problems;
	struct mk_config *c;
	struct mk_error err;

	(void)state;
	mk_buf_init(&problems, 1 << 16);
	c = load_bytes(text, strlen(text), 0644, &problems, &err);
	assert_null(c);
	if (strstr(mk_buf_str(&problems), ":5: client_secret is in ") == NULL ||
	    strstr(mk_buf_str(&problems), "chmod 600") == NULL)
		fail_msg("got '%s'", mk_buf_str(&problems));
	c = load_bytes(text, strlen(text), 0640, NULL, &err);
	assert_null(c);
	c = load_bytes(text, strlen(text), 0600, NULL, &err);
	assert_non_null(c);
	assert_string_equal(mk_config_account_at(c, 0)->client_secret, "s3");
	mk_config_free(&c);
	mk_buf_free(&problems);
}

/* A server without a port gets the standard one for its TLS mode, whether
 * *_tls comes before or after it. */
static void test_default_ports(void **state)
{
	struct mk_error err;
	struct mk_config *c;
	struct mk_account *a;

	(void)state;
	c = load_text("[account a]\nprovider = generic\nissuer = https://op.example\nuser = u@x\n"
		      "client_id = c\nimap = localhost\nsmtp = mail.example\npop3 = [::1]\n\n"
		      "[account b]\nprovider = generic\nissuer = https://op.example\nuser = u@x\n"
		      "client_id = c\nimap_tls = starttls\nimap = localhost\nsmtp = mail.example\n"
		      "smtp_tls = starttls\npop3 = localhost\npop3_tls = starttls\n\n"
		      "[account c]\nprovider = generic\nissuer = https://op.example\nuser = u@x\n"
		      "client_id = c\nimap_tls = implicit\nimap = localhost:143\n",
		      NULL, &err);
	if (c == NULL)
		fail_msg("%s", err.msg);
	a = mk_config_find(c, "a");
	assert_int_equal(a->imap.port, 993);
	assert_int_equal(a->imap.tls, MK_TLS_IMPLICIT);
	assert_int_equal(a->smtp.port, 465);
	assert_int_equal(a->pop3.port, 995);
	assert_string_equal(a->pop3.host, "::1");
	a = mk_config_find(c, "b");
	assert_int_equal(a->imap.port, 143);
	assert_int_equal(a->imap.tls, MK_TLS_STARTTLS);
	assert_int_equal(a->smtp.port, 587);
	assert_int_equal(a->pop3.port, 110);
	a = mk_config_find(c, "c");
	assert_int_equal(a->imap.port, 143);
	assert_int_equal(a->imap.tls, MK_TLS_IMPLICIT); /* said so before the port */
	mk_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_presets_and_overrides),
		cmocka_unit_test(test_daemon_keys),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_not_a_file),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_nul_and_long_lines),
		cmocka_unit_test(test_many_accounts),
		cmocka_unit_test(test_inline_secret_mode),
		cmocka_unit_test(test_default_ports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
