/* [gateway]: broker/config keeps the lines, gateway/gwconfig.c checks them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "gateway/gwconfig.h"

#define ACCT "[account a]\nprovider = google\nuser = Alice@Example.com\nclient_id = c\n\n"

static struct mk_config *load(const char *text, struct mk_buf *problems, struct mk_error *err)
{
	struct mk_config *c = NULL;
	char *copy = strdup(text);
	FILE *fp = fmemopen(copy, strlen(text), "r");

	assert_non_null(fp);
	mk_error_init(err);
	mk_config_load_stream("cfg", fp, problems, &c, err);
	fclose(fp);
	free(copy);
	return c;
}

static void test_good(void **state)
{
	static const char text[] = ACCT "[gateway]\n"
					"imap = 127.0.0.1:1143, [::1]:1143 a\n"
					"imaps = localhost:1993\n"
					"smtp = 127.0.0.2:1587 a\n"
					"remote = no\n"
					"names = mail.lan 192.168.1.5\n"
					"max_connections = 7\nfail_delay = 0\nidle_timeout = 30\n";
	struct mk_buf problems;
	struct mk_error err;
	struct mk_config *c;
	struct gw_config *g = NULL;
	char a[64];

	(void)state;
	mk_buf_init(&problems, 1 << 16);
	c = load(text, &problems, &err);
	assert_non_null(c);
	assert_int_equal(gw_config_parse(c, &problems, &g, &err), 0);
	assert_int_equal(g->n, 4);
	assert_string_equal(g->l[0].addr, "127.0.0.1");
	assert_false(g->l[0].v6);
	assert_string_equal(g->l[0].account, "");
	assert_true(g->l[1].v6);
	assert_string_equal(g->l[1].addr, "::1");
	assert_string_equal(g->l[1].account, "a");
	assert_true(g->l[1].loopback);
	assert_string_equal(gw_listener_addr(&g->l[1], a, sizeof(a)), "[::1]:1143");
	assert_true(g->l[2].implicit_tls);
	assert_int_equal(g->l[2].proto, GW_IMAP);
	assert_string_equal(g->l[2].addr, "127.0.0.1");
	assert_int_equal(g->l[3].proto, GW_SMTP);
	assert_int_equal(g->l[3].line, 9);
	assert_string_equal(g->names[0], "mail.lan");
	assert_string_equal(g->names[1], "192.168.1.5");
	assert_null(g->names[2]);
	assert_int_equal(g->max_connections, 7);
	assert_int_equal(g->fail_delay, 0);
	assert_int_equal(g->idle_timeout, 30);
	assert_int_equal(g->max_per_source, 50); /* defaults */
	assert_int_equal(g->login_timeout, 60);
	assert_false(g->remote);
	gw_config_free(&g);
	mk_config_free(&c);
	mk_buf_free(&problems);
}

static void test_none(void **state)
{
	struct mk_buf problems;
	struct mk_error err;
	struct mk_config *c;
	struct gw_config *g = NULL;

	(void)state;
	mk_buf_init(&problems, 1 << 16);
	c = load(ACCT, &problems, &err);
	assert_non_null(c);
	assert_int_equal(gw_config_parse(c, &problems, &g, &err), 0);
	assert_int_equal(g->n, 0);
	gw_config_free(&g);
	mk_config_free(&c);
	mk_buf_free(&problems);
}

static const struct {
	const char *text, *line, *needle;
} bad[] = {
	{ "imap = 0.0.0.0:1143\n", ":7:", "remote = yes" },
	{ "smtp = 192.168.1.5:1587\n", ":7:", "not a loopback address" },
	{ "imap = [::]:1143\n", ":7:", "remote = yes" },
	{ "imap = 127.0.0.1\n", ":7:", "not ADDR:PORT" },
	{ "imap = ::1:1143\n", ":7:", "in brackets" },
	{ "imap = 127.0.0.1:0\n", ":7:", "from 1 to 65535" },
	{ "imap = 127.0.0.1:70000\n", ":7:", "from 1 to 65535" },
	{ "imap = mail.example.com:1143\n", ":7:", "not a numeric address" },
	{ "imap = 127.0.0.1:1143 nobody\n", ":7:", "no [account nobody]" },
	{ "imap = 127.0.0.1:1143 a b\n", ":7:", "at most one account" },
	{ "imap = 127.0.0.1:1143,\n", ":7:", "empty" },
	{ "imap = 127.0.0.1:1143\nsmtp = 127.0.0.1:1143\n", ":8:", "also used on line 7" },
	{ "remote = maybe\n", ":7:", "yes or no" },
	{ "max_connections = 0\n", ":7:", "from 1 to 100000" },
	{ "fail_delay = 61\n", ":7:", "from 0 to 60" },
	{ "login_timeout = x\n", ":7:", "login_timeout must be a number" },
	{ "cert = /nonexistent/cert.pem\n", ":7:", "cannot read" },
	{ "colour = blue\n", ":7:", "unknown key 'colour' in [gateway]" },
	{ "names = bad/name\n", ":7:", "not a host name" },
	{ "imap = 127.0.0.1:1143\n\n[gateway]\nsmtp = 127.0.0.1:1587\n", ":10:", "appears twice" },
};

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mk_buf problems, text;
		struct mk_error err;
		struct mk_config *c;
		struct gw_config *g = NULL;
		int rc = -1;

		mk_buf_init(&problems, 1 << 16);
		mk_buf_init(&text, 1 << 16);
		assert_int_equal(mk_buf_addf(&text, ACCT "[gateway]\n%s", bad[i].text), 0);
		c = load(mk_buf_str(&text), &problems, &err);
		if (c != NULL)
			rc = gw_config_parse(c, &problems, &g, &err);
		if (rc == 0 || strstr(mk_buf_str(&problems), bad[i].needle) == NULL ||
		    strstr(mk_buf_str(&problems), bad[i].line) == NULL)
			fail_msg("case %zu (%s): got rc %d, '%s'", i, bad[i].text, rc, mk_buf_str(&problems));
		assert_int_equal(err.cls, MK_ERR_CONFIG);
		assert_null(g);
		mk_config_free(&c);
		mk_buf_free(&problems);
		mk_buf_free(&text);
	}
}

/* The cert/key pair: one without the other is refused; both readable pass. */
static void test_cert_pair(void **state)
{
	char path[64], text[512];
	struct mk_buf problems;
	struct mk_error err;
	struct mk_config *c;
	struct gw_config *g = NULL;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/mk-gwconfig-test.%d", (int)getpid());
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	mk_buf_init(&problems, 1 << 16);
	snprintf(text, sizeof(text), ACCT "[gateway]\ncert = %s\n", path);
	c = load(text, &problems, &err);
	assert_non_null(c);
	assert_int_equal(gw_config_parse(c, &problems, &g, &err), -1);
	assert_non_null(strstr(err.msg, "has cert but no key"));
	mk_config_free(&c);
	snprintf(text, sizeof(text), ACCT "[gateway]\ncert = %s\nkey = %s\n", path, path);
	c = load(text, &problems, &err);
	assert_int_equal(gw_config_parse(c, &problems, &g, &err), 0);
	assert_string_equal(g->cert, path);
	assert_string_equal(g->key, path);
	gw_config_free(&g);
	mk_config_free(&c);
	mk_buf_free(&problems);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_cert_pair),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
