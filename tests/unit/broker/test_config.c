#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/config/config.h"
#include "cmocka_all.h"

static char path[64];

static struct mk_config *load_text(const char *text, struct mk_buf *problems, struct mk_error *err)
{
	struct mk_config *c = NULL;
	FILE *fp;

	snprintf(path, sizeof(path), "/tmp/mk-config-test.%d", (int)getpid());
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	mk_config_load(path, problems, &c, err);
	unlink(path);
	return c;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_presets_and_overrides),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
