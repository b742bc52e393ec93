/* gateway/sasl_local.c: PLAIN and LOGIN decoding, table-driven. Inputs are
 * written decoded and encoded here, except the cases about base64 itself. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"
#include "common/base64.h"
#include "common/buf.h"
#include "common/secret.h"
#include "gateway/sasl_local.h"

/* raw: the decoded message (len bytes, NULs allowed) or, with b64 set, the
 * literal line. user/pass NULL: must fail with MK_ERR_DATA. */
struct plain_case {
	const char *raw;
	size_t len;
	bool b64;
	const char *user;
	const char *pass;
};

/* Whatever a failed call returns, it is not this. */
static char untouched[] = "untouched";

static const struct plain_case plain_cases[] = {
	{ "\0alice\0secret", 13, false, "alice", "secret" },
	{ "alice\0alice\0secret", 18, false, "alice", "secret" }, /* authzid = authcid */
	{ "\0a@b.example\0p w d", 18, false, "a@b.example", "p w d" },
	{ "\0\xc3\xa9t\xc3\xa9\0\xe2\x82\xac", 10, false, "\xc3\xa9t\xc3\xa9", "\xe2\x82\xac" }, /* UTF-8 */
	{ "AGFsaWNlAHNlY3JldA==", 0, true, "alice", "secret" },
	/* authzid differs, also only by case or by a prefix */
	{ "bob\0alice\0secret", 16, false, NULL, NULL },
	{ "Alice\0alice\0secret", 18, false, NULL, NULL },
	{ "alic\0alice\0secret", 17, false, NULL, NULL },
	{ "alicex\0alice\0secret", 19, false, NULL, NULL },
	/* separators */
	{ "alicesecret", 11, false, NULL, NULL },
	{ "\0alicesecret", 12, false, NULL, NULL },
	{ "\0alice\0sec\0ret", 14, false, NULL, NULL },
	{ "\0alice\0secret\0", 14, false, NULL, NULL },
	{ "\0\0alice\0secret", 14, false, NULL, NULL },
	{ "\0\0secret", 8, false, NULL, NULL }, /* empty user */
	{ "\0alice\0", 7, false, NULL, NULL },	/* empty password */
	{ "\0\0", 2, false, NULL, NULL },
	{ "", 0, false, NULL, NULL },
	{ "\0", 1, false, NULL, NULL },
	/* line ends inside */
	{ "\0ali\rce\0secret", 14, false, NULL, NULL },
	{ "\0alice\0sec\nret", 14, false, NULL, NULL },
	/* base64 itself */
	{ "AGFsaWNlAHNlY3JldA=", 0, true, NULL, NULL },
	{ "AGFsaWNlAHNlY3JldA", 0, true, NULL, NULL },
	{ "AGFsaWNl AHNlY3JldA==", 0, true, NULL, NULL },
	{ "AGFsaWNlAHNlY3JldA==\r", 0, true, NULL, NULL },
	{ "AGFsaWNlAHN=Y3JldA==", 0, true, NULL, NULL },
	{ "AGFsaWNlAHNlY3JldA===", 0, true, NULL, NULL },
	{ "*", 0, true, NULL, NULL },
	{ "=", 0, true, NULL, NULL },
	{ "", 0, true, NULL, NULL },
	{ "AGFsaWNlAHNlY3JldA-_", 0, true, NULL, NULL }, /* base64url alphabet */
};

static void decode_plain_case(const struct plain_case *c, int *rc, char **user, char **pass,
			      struct mk_error *err)
{
	struct mk_buf b64;

	mk_buf_init(&b64, 1 << 16);
	if (c->b64)
		assert_int_equal(mk_buf_addstr(&b64, c->raw), 0);
	else
		assert_int_equal(mk_base64_encode(c->raw, c->len, &b64), 0);
	*user = *pass = untouched;
	*rc = gw_sasl_plain_decode(mk_buf_str(&b64), b64.len, user, pass, err);
	mk_buf_free(&b64);
}

static void test_plain_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(plain_cases) / sizeof(plain_cases[0]); i++) {
		const struct plain_case *c = &plain_cases[i];
		struct mk_error err;
		char *user, *pass;
		int rc;

		mk_error_init(&err);
		decode_plain_case(c, &rc, &user, &pass, &err);
		if (c->user == NULL) {
			if (rc != -1 || err.cls != MK_ERR_DATA || user != NULL || pass != NULL)
				fail_msg("case %zu: expected MK_ERR_DATA, got rc %d class %d", i, rc,
					 err.cls);
			/* Nothing the client sent is echoed in the message. */
			assert_null(strstr(err.msg, "alice"));
			assert_null(strstr(err.msg, "secret"));
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu: %s", i, err.msg);
		assert_string_equal(user, c->user);
		assert_string_equal(pass, c->pass);
		mk_secret_free_str(user);
		mk_secret_free_str(pass);
	}
}

/* The 1024-byte cap on the decoded message: exactly at it passes. */
static void test_plain_cap(void **state)
{
	char raw[GW_SASL_MAX + 2];
	struct plain_case c = { raw, 0, false, NULL, NULL };
	struct mk_error err;
	char *user, *pass;
	int rc;

	(void)state;
	memset(raw, 'p', sizeof(raw));
	raw[0] = '\0';
	memcpy(raw + 1, "alice", 5);
	raw[6] = '\0';
	c.len = GW_SASL_MAX;
	decode_plain_case(&c, &rc, &user, &pass, &err);
	assert_int_equal(rc, 0);
	assert_string_equal(user, "alice");
	assert_int_equal(strlen(pass), GW_SASL_MAX - 7);
	mk_secret_free_str(user);
	mk_secret_free_str(pass);
	c.len = GW_SASL_MAX + 1;
	decode_plain_case(&c, &rc, &user, &pass, &err);
	assert_int_equal(rc, -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_null(user);
	assert_null(pass);
}

static void test_plain_huge(void **state)
{
	size_t n = 1 << 20;
	char *line = malloc(n);
	struct mk_error err;
	char *user, *pass;

	(void)state;
	assert_non_null(line);
	memset(line, 'A', n);
	assert_int_equal(gw_sasl_plain_decode(line, n, &user, &pass, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	free(line);
}

struct login_case {
	const char *raw;
	size_t len;
	bool b64;
	const char *out; /* NULL: MK_ERR_DATA */
};

static const struct login_case login_cases[] = {
	{ "alice", 5, false, "alice" },
	{ "alice@example.com", 17, false, "alice@example.com" },
	{ "p a s s", 7, false, "p a s s" },
	{ "", 0, false, "" },
	{ "dXNlcg==", 0, true, "user" },
	{ "ali\0ce", 6, false, NULL },
	{ "alice\0", 6, false, NULL },
	{ "ali\rce", 6, false, NULL },
	{ "alice\n", 6, false, NULL },
	{ "dXNlcg=", 0, true, NULL },
	{ "dXNlcg", 0, true, NULL },
	{ "dXNl cg==", 0, true, NULL },
	{ "*", 0, true, NULL },
	{ "=", 0, true, NULL },
};

static void test_login_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(login_cases) / sizeof(login_cases[0]); i++) {
		const struct login_case *c = &login_cases[i];
		struct mk_buf b64;
		struct mk_error err;
		char *out = untouched;
		int rc;

		mk_error_init(&err);
		mk_buf_init(&b64, 4096);
		if (c->b64)
			assert_int_equal(mk_buf_addstr(&b64, c->raw), 0);
		else
			assert_int_equal(mk_base64_encode(c->raw, c->len, &b64), 0);
		rc = gw_sasl_login_decode(mk_buf_str(&b64), b64.len, &out, &err);
		mk_buf_free(&b64);
		if (c->out == NULL) {
			if (rc != -1 || err.cls != MK_ERR_DATA || out != NULL)
				fail_msg("case %zu: expected MK_ERR_DATA, got rc %d class %d", i, rc,
					 err.cls);
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu: %s", i, err.msg);
		assert_string_equal(out, c->out);
		mk_secret_free_str(out);
	}
}

static void test_login_cap(void **state)
{
	char raw[GW_SASL_MAX + 1];
	struct mk_buf b64;
	struct mk_error err;
	char *out;

	(void)state;
	memset(raw, 'x', sizeof(raw));
	mk_buf_init(&b64, 4096);
	assert_int_equal(mk_base64_encode(raw, GW_SASL_MAX, &b64), 0);
	assert_int_equal(gw_sasl_login_decode(mk_buf_str(&b64), b64.len, &out, &err), 0);
	assert_int_equal(strlen(out), GW_SASL_MAX);
	mk_secret_free_str(out);
	mk_buf_reset(&b64);
	assert_int_equal(mk_base64_encode(raw, GW_SASL_MAX + 1, &b64), 0);
	assert_int_equal(gw_sasl_login_decode(mk_buf_str(&b64), b64.len, &out, &err), -1);
	assert_int_equal(err.cls, MK_ERR_DATA);
	assert_null(out);
	mk_buf_free(&b64);
}

/* The decoder reads only len bytes: the rest of the buffer is not base64. */
static void test_bounded(void **state)
{
	const char line[] = "AGFsaWNlAHNlY3JldA==!!!!";
	struct mk_error err;
	char *user, *pass, *out;

	(void)state;
	assert_int_equal(gw_sasl_plain_decode(line, 20, &user, &pass, &err), 0);
	assert_string_equal(pass, "secret");
	mk_secret_free_str(user);
	mk_secret_free_str(pass);
	assert_int_equal(gw_sasl_login_decode("dXNlcg==xx", 8, &out, &err), 0);
	assert_string_equal(out, "user");
	mk_secret_free_str(out);
}

static void test_mech(void **state)
{
	(void)state;
	assert_int_equal(gw_sasl_mech_parse("PLAIN", 5), GW_SASL_MECH_PLAIN);
	assert_int_equal(gw_sasl_mech_parse("plain", 5), GW_SASL_MECH_PLAIN);
	assert_int_equal(gw_sasl_mech_parse("Login", 5), GW_SASL_MECH_LOGIN);
	assert_int_equal(gw_sasl_mech_parse("PLAINX", 5), GW_SASL_MECH_PLAIN); /* len bounds it */
	assert_int_equal(gw_sasl_mech_parse("PLAINX", 6), GW_SASL_MECH_OTHER);
	assert_int_equal(gw_sasl_mech_parse("PLAI", 4), GW_SASL_MECH_OTHER);
	assert_int_equal(gw_sasl_mech_parse("XOAUTH2", 7), GW_SASL_MECH_OTHER);
	assert_int_equal(gw_sasl_mech_parse("", 0), GW_SASL_MECH_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_table), cmocka_unit_test(test_plain_cap),
		cmocka_unit_test(test_plain_huge),  cmocka_unit_test(test_login_table),
		cmocka_unit_test(test_login_cap),   cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_mech),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
