/* Which mechanism libsasl2 picks when the plugin sits next to the system's
 * PLAIN and LOGIN plugins, with the security properties Postfix sets
 * (xsasl_cyrus_client_set_security: min_ssf 0, max_ssf 0, the flags of
 * smtp_sasl_security_options, no external SSF). Before the plugin claimed
 * SASL_SEC_NODICTIONARY it tied with PLAIN and LOGIN, and the load order
 * decided: with the system directory first, PLAIN won. Installed in the same
 * directory, readdir order decides. */
#include <sasl/sasl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"

#define TOKEN "ya29.T0KEN"
#define USER "alice@example.test"

typedef int (*cb_fn)(void);

/* Both orders of the plugin directories: with equal ranks the load order
 * would decide, and a test in one order only could pass by luck. */
static const char *plugin_path;

static int get_path(void *ctx, const char **path)
{
	(void)ctx;
	*path = plugin_path;
	return SASL_OK;
}

static int get_user(void *ctx, int id, const char **result, unsigned *len)
{
	(void)ctx;
	(void)id;
	*result = USER;
	if (len != NULL)
		*len = (unsigned)strlen(USER);
	return SASL_OK;
}

static int get_pass(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **psecret)
{
	(void)conn;
	(void)id;
	*psecret = ctx;
	return SASL_OK;
}

struct pick {
	int rc;
	char mech[32];
};

/* One client session as Postfix makes it: callbacks for the user and the
 * password, no addresses, the given flags, and external_ssf when not 0. */
static struct pick pick(const char *offered, unsigned flags, sasl_ssf_t external_ssf)
{
	static const char token[] = TOKEN;
	sasl_secret_t *secret = calloc(1, sizeof(*secret) + sizeof(token));
	sasl_callback_t cbs[] = {
		{ SASL_CB_AUTHNAME, (cb_fn)(void (*)(void))get_user, NULL },
		{ SASL_CB_PASS, (cb_fn)(void (*)(void))get_pass, secret },
		{ SASL_CB_LIST_END, NULL, NULL },
	};
	sasl_security_properties_t props;
	sasl_conn_t *conn = NULL;
	sasl_interact_t *interact = NULL;
	const char *out = NULL, *mech = NULL;
	unsigned outlen = 0;
	struct pick p = { 0, "" };

	assert_non_null(secret);
	secret->len = sizeof(token) - 1;
	memcpy(secret->data, token, sizeof(token));
	assert_int_equal(sasl_client_new("smtp", "mail.example.test", NULL, NULL, cbs, 0, &conn), SASL_OK);
	memset(&props, 0, sizeof(props));
	props.security_flags = flags;
	assert_int_equal(sasl_setprop(conn, SASL_SEC_PROPS, &props), SASL_OK);
	if (external_ssf != 0)
		assert_int_equal(sasl_setprop(conn, SASL_SSF_EXTERNAL, &external_ssf), SASL_OK);
	p.rc = sasl_client_start(conn, offered, &interact, &out, &outlen, &mech);
	if (mech != NULL)
		snprintf(p.mech, sizeof(p.mech), "%s", mech);
	sasl_dispose(&conn);
	free(secret);
	return p;
}

/* The test means something only if PLAIN and LOGIN are really loaded. */
static void test_system_plugins_loaded(void **state)
{
	const char **m = sasl_global_listmech();
	int plain = 0, login = 0, ours = 0;

	(void)state;
	assert_non_null(m);
	for (; *m != NULL; m++) {
		plain += strcmp(*m, "PLAIN") == 0;
		login += strcmp(*m, "LOGIN") == 0;
		ours += strcmp(*m, "XOAUTH2") == 0 || strcmp(*m, "OAUTHBEARER") == 0;
	}
	assert_int_equal(plain, 1);
	assert_int_equal(login, 1);
	assert_int_equal(ours, 2);
	/* And PLAIN works when it is all there is. */
	struct pick p = pick("PLAIN LOGIN", SASL_SEC_NOANONYMOUS, 0);
	assert_true(p.rc == SASL_OK || p.rc == SASL_CONTINUE);
	assert_string_equal(p.mech, "PLAIN");
}

/* smtp_sasl_security_options = noanonymous (the recipe), in any order the
 * server lists them. */
static void test_noanonymous_picks_ours(void **state)
{
	static const struct {
		const char *offered, *want;
	} cases[] = {
		{ "PLAIN LOGIN XOAUTH2 OAUTHBEARER", "OAUTHBEARER" },
		{ "OAUTHBEARER XOAUTH2 LOGIN PLAIN", "OAUTHBEARER" },
		{ "LOGIN PLAIN XOAUTH2", "XOAUTH2" },
		{ "XOAUTH2 PLAIN", "XOAUTH2" },
		{ "PLAIN OAUTHBEARER", "OAUTHBEARER" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pick p = pick(cases[i].offered, SASL_SEC_NOANONYMOUS, 0);
		assert_int_equal(p.rc, SASL_CONTINUE);
		assert_string_equal(p.mech, cases[i].want);
	}
}

/* An empty smtp_sasl_security_options: the same choice. */
static void test_no_flags_picks_ours(void **state)
{
	(void)state;
	struct pick p = pick("PLAIN LOGIN XOAUTH2 OAUTHBEARER", 0, 0);
	assert_int_equal(p.rc, SASL_CONTINUE);
	assert_string_equal(p.mech, "OAUTHBEARER");
}

/* Postfix's default, noplaintext + noanonymous, with no external SSF (Postfix
 * reports none even over TLS): nothing offered qualifies, ours included,
 * because a bearer token is readable on a cleartext wire. */
static void test_noplaintext_refuses_all(void **state)
{
	(void)state;
	struct pick p =
		pick("PLAIN LOGIN XOAUTH2 OAUTHBEARER", SASL_SEC_NOPLAINTEXT | SASL_SEC_NOANONYMOUS, 0);
	assert_int_equal(p.rc, SASL_NOMECH);
}

/* A host that reports its TLS layer as external SSF: libsasl2 lifts
 * noplaintext itself, and ours is picked over PLAIN. */
static void test_noplaintext_with_tls_picks_ours(void **state)
{
	(void)state;
	struct pick p =
		pick("PLAIN LOGIN XOAUTH2 OAUTHBEARER", SASL_SEC_NOPLAINTEXT | SASL_SEC_NOANONYMOUS, 256);
	assert_int_equal(p.rc, SASL_CONTINUE);
	assert_string_equal(p.mech, "OAUTHBEARER");
}

static int init(const char *path)
{
	static sasl_callback_t global[] = {
		{ SASL_CB_GETPATH, (cb_fn)(void (*)(void))get_path, NULL },
		{ SASL_CB_LIST_END, NULL, NULL },
	};

	plugin_path = path;
	return sasl_client_init(global) == SASL_OK ? 0 : -1;
}

static int setup_ours_first(void **state)
{
	(void)state;
	return init(MK_CYRUS_PLUGIN_DIR ":" MK_LIBSASL2_PLUGIN_DIR);
}

static int setup_system_first(void **state)
{
	(void)state;
	return init(MK_LIBSASL2_PLUGIN_DIR ":" MK_CYRUS_PLUGIN_DIR);
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
		cmocka_unit_test(test_system_plugins_loaded),
		cmocka_unit_test(test_noanonymous_picks_ours),
		cmocka_unit_test(test_no_flags_picks_ours),
		cmocka_unit_test(test_noplaintext_refuses_all),
		cmocka_unit_test(test_noplaintext_with_tls_picks_ours),
	};
	int failed = cmocka_run_group_tests_name("plugin directory first", tests, setup_ours_first, teardown);

	return failed +
	       cmocka_run_group_tests_name("system directory first", tests, setup_system_first, teardown);
}
