/* The Cyrus SASL plugin, loaded the way a host program loads it: libsasl2's
 * sasl_client_init with the plugin directory, then sasl_client_start and
 * sasl_client_step, checking the exact bytes handed to the application. */
#include <sasl/sasl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"

#define TOKEN "ya29.T0KEN"

static int get_path(void *ctx, const char **path)
{
	(void)ctx;
	*path = MK_CYRUS_PLUGIN_DIR;
	return SASL_OK;
}

static int get_user(void *ctx, int id, const char **result, unsigned *len)
{
	(void)id;
	*result = ctx;
	if (len != NULL)
		*len = (unsigned)strlen(ctx);
	return SASL_OK;
}

/* The token as a sasl_secret_t; ctx points at one, built by the test. */
static int get_pass(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **psecret)
{
	(void)conn;
	(void)id;
	*psecret = ctx;
	return SASL_OK;
}

typedef int (*cb_fn)(void);

/* The last warning the plugin logged (Postfix shows only these). */
static char last_log[2048];
static int last_level;

static int log_cb(void *ctx, int level, const char *message)
{
	(void)ctx;
	last_level = level;
	snprintf(last_log, sizeof(last_log), "%s", message);
	return SASL_OK;
}

/* A failure text fit for a Postfix admin: the user, where to look, the
 * same text logged as a warning, and never a command that cannot help on
 * a server (a refresh by hand) nor the token. */
static void assert_admin_text(sasl_conn_t *conn, const char *user)
{
	const char *d = sasl_errdetail(conn);

	assert_non_null(strstr(d, user));
	assert_non_null(strstr(d, "`mailkey status`"));
	assert_non_null(strstr(d, "journalctl -u mailkey"));
	assert_null(strstr(d, "mailkey refresh"));
	assert_null(strstr(d, TOKEN));
	assert_int_equal(last_level, SASL_LOG_WARN);
	assert_non_null(strstr(d, last_log));
}

static sasl_secret_t *secret(const char *v, size_t len)
{
	sasl_secret_t *s = calloc(1, sizeof(*s) + len + 1);

	assert_non_null(s);
	s->len = (unsigned long)len;
	memcpy(s->data, v, len);
	return s;
}

/* A connection to mail.example.test port 587 with the given callbacks
 * (pass NULL: the token must come through a prompt). */
static sasl_conn_t *conn_new(sasl_callback_t *cbs, const char *user, sasl_secret_t *pass)
{
	sasl_conn_t *conn = NULL;
	size_t n = 0;

	if (user != NULL)
		cbs[n++] = (sasl_callback_t){ SASL_CB_AUTHNAME, (cb_fn)(void (*)(void))get_user,
					      (void *)(uintptr_t)user };
	/* A NULL proc tells libsasl2 the application answers prompts instead. */
	cbs[n++] = (sasl_callback_t){ SASL_CB_PASS, pass != NULL ? (cb_fn)(void (*)(void))get_pass : NULL,
				      pass };
	cbs[n] = (sasl_callback_t){ SASL_CB_LIST_END, NULL, NULL };
	assert_int_equal(sasl_client_new("smtp", "mail.example.test", "127.0.0.1;40000", "127.0.0.1;587", cbs,
					 0, &conn),
			 SASL_OK);
	return conn;
}

static void test_xoauth2_success(void **state)
{
	static const char want[] = "user=alice@example.test\x01"
				   "auth=Bearer " TOKEN "\x01\x01";
	sasl_callback_t cbs[3];
	sasl_secret_t *pass = secret(TOKEN, strlen(TOKEN));
	sasl_conn_t *conn = conn_new(cbs, "alice@example.test", pass);
	sasl_interact_t *interact = NULL;
	const char *out = NULL, *mech = NULL;
	unsigned outlen = 0;

	(void)state;
	assert_int_equal(sasl_client_start(conn, "XOAUTH2", &interact, &out, &outlen, &mech), SASL_CONTINUE);
	assert_string_equal(mech, "XOAUTH2");
	assert_int_equal(outlen, sizeof(want) - 1);
	assert_memory_equal(out, want, sizeof(want) - 1);
	/* The server's success carries no data. */
	assert_int_equal(sasl_client_step(conn, "", 0, &interact, &out, &outlen), SASL_OK);
	assert_int_equal(outlen, 0);
	sasl_dispose(&conn);
	free(pass);
}

/* OAUTHBEARER is preferred when both are offered; host from the FQDN, port
 * from ipremoteport; the error challenge is answered with ^A and explained. */
static void test_oauthbearer_error_challenge(void **state)
{
	static const char want[] = "n,a=alice@example.test,\x01host=mail.example.test\x01port=587\x01"
				   "auth=Bearer " TOKEN "\x01\x01";
	static const char challenge[] = "{\"status\":\"invalid_token\",\"scope\":\"mail\"}";
	sasl_callback_t cbs[3];
	sasl_secret_t *pass = secret(TOKEN, strlen(TOKEN));
	sasl_conn_t *conn = conn_new(cbs, "alice@example.test", pass);
	sasl_interact_t *interact = NULL;
	const char *out = NULL, *mech = NULL;
	unsigned outlen = 0;

	(void)state;
	assert_int_equal(sasl_client_start(conn, "XOAUTH2 OAUTHBEARER", &interact, &out, &outlen, &mech),
			 SASL_CONTINUE);
	assert_string_equal(mech, "OAUTHBEARER");
	assert_int_equal(outlen, sizeof(want) - 1);
	assert_memory_equal(out, want, sizeof(want) - 1);
	assert_int_equal(sasl_client_step(conn, challenge, sizeof(challenge) - 1, &interact, &out, &outlen),
			 SASL_CONTINUE);
	assert_int_equal(outlen, 1);
	assert_int_equal(out[0], '\x01');
	assert_non_null(strstr(sasl_errdetail(conn), "status invalid_token"));
	assert_admin_text(conn, "alice@example.test");
	/* Nothing more is expected from the server but its final failure. */
	assert_int_equal(sasl_client_step(conn, "x", 1, &interact, &out, &outlen), SASL_BADPROT);
	sasl_dispose(&conn);
	free(pass);
}

static void test_xoauth2_error_challenge_empty_answer(void **state)
{
	static const char challenge[] = "{\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"mail\"}";
	sasl_callback_t cbs[3];
	sasl_secret_t *pass = secret(TOKEN, strlen(TOKEN));
	sasl_conn_t *conn = conn_new(cbs, "alice@example.test", pass);
	sasl_interact_t *interact = NULL;
	const char *out = NULL, *mech = NULL;
	unsigned outlen = 0;

	(void)state;
	assert_int_equal(sasl_client_start(conn, "XOAUTH2", &interact, &out, &outlen, &mech), SASL_CONTINUE);
	assert_int_equal(sasl_client_step(conn, challenge, sizeof(challenge) - 1, &interact, &out, &outlen),
			 SASL_CONTINUE);
	assert_int_equal(outlen, 0);
	assert_non_null(strstr(sasl_errdetail(conn), "status 401, scope mail"));
	assert_non_null(strstr(sasl_errdetail(conn), "expired, revoked or for another user"));
	assert_admin_text(conn, "alice@example.test");
	sasl_dispose(&conn);
	free(pass);
}

/* A NUL, ^A or LF in the token (or ^A in the user) is refused, and the
 * error detail does not echo the token. */
static void test_bad_values(void **state)
{
	static const struct {
		const char *user, *token;
		size_t tlen;
	} cases[] = {
		{ "alice@example.test", "ya29\0EVIL", 9 },
		{ "alice@example.test", "ya29\nEVIL", 9 },
		{ "alice\x01"
		  "auth=Bearer EVIL",
		  "ya29", 4 },
		{ "alice@example.test", "", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sasl_callback_t cbs[3];
		sasl_secret_t *pass = secret(cases[i].token, cases[i].tlen);
		sasl_conn_t *conn = conn_new(cbs, cases[i].user, pass);
		sasl_interact_t *interact = NULL;
		const char *out = NULL, *mech = NULL;
		unsigned outlen = 0;
		int rc = sasl_client_start(conn, "XOAUTH2", &interact, &out, &outlen, &mech);
		assert_int_not_equal(rc, SASL_OK);
		assert_int_not_equal(rc, SASL_CONTINUE);
		assert_null(strstr(sasl_errdetail(conn), "EVIL"));
		assert_null(strstr(last_log, "EVIL"));
		/* A bad token is explained with its (good) user named. */
		if (strcmp(cases[i].user, "alice@example.test") == 0)
			assert_admin_text(conn, cases[i].user);
		sasl_dispose(&conn);
		free(pass);
	}
}

/* Without a SASL_CB_PASS callback the plugin asks through a prompt. */
static void test_interaction(void **state)
{
	static const char want[] = "user=bob@example.test\x01"
				   "auth=Bearer " TOKEN "\x01\x01";
	sasl_callback_t cbs[3];
	sasl_conn_t *conn = conn_new(cbs, "bob@example.test", NULL);
	sasl_interact_t *interact = NULL, *p;
	const char *out = NULL, *mech = NULL;
	unsigned outlen = 0;
	int asked = 0;

	(void)state;
	assert_int_equal(sasl_client_start(conn, "XOAUTH2", &interact, &out, &outlen, &mech), SASL_INTERACT);
	assert_non_null(interact);
	for (p = interact; p->id != SASL_CB_LIST_END; p++) {
		assert_int_equal(p->id, SASL_CB_PASS);
		p->result = TOKEN;
		p->len = (unsigned)strlen(TOKEN);
		asked++;
	}
	assert_int_equal(asked, 1);
	assert_int_equal(sasl_client_start(conn, "XOAUTH2", &interact, &out, &outlen, &mech), SASL_CONTINUE);
	assert_int_equal(outlen, sizeof(want) - 1);
	assert_memory_equal(out, want, sizeof(want) - 1);
	sasl_dispose(&conn);
}

static int setup(void **state)
{
	static sasl_callback_t global[] = {
		{ SASL_CB_GETPATH, (cb_fn)(void (*)(void))get_path, NULL },
		{ SASL_CB_LOG, (cb_fn)(void (*)(void))log_cb, NULL },
		{ SASL_CB_LIST_END, NULL, NULL },
	};

	(void)state;
	return sasl_client_init(global) == SASL_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	sasl_client_done();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xoauth2_success),
		cmocka_unit_test(test_oauthbearer_error_challenge),
		cmocka_unit_test(test_xoauth2_error_challenge_empty_answer),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_interaction),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
