#include <string.h>

#include "cmocka_all.h"
#include "common/base64.h"
#include "sasl-helper/mech-private.h" /* mk_sasl_parse_failure */
#include "sasl-helper/mech.h"

static void b64(const struct mk_buf *raw, struct mk_buf *out)
{
	assert_int_equal(mk_base64_encode(raw->data, raw->len, out), 0);
}

/* Google's XOAUTH2 example (research/protocols.md §1.1). */
static void test_xoauth2_google_vector(void **state)
{
	struct mk_sasl_creds c = { "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
				   NULL, 0 };
	struct mk_buf raw, enc;
	struct mk_error err;

	(void)state;
	mk_buf_init_secret(&raw, 4096);
	mk_buf_init(&enc, 8192);
	assert_int_equal(mk_sasl_xoauth2.start(&c, &raw, &err), MK_SASL_OK);
	b64(&raw, &enc);
	assert_string_equal(mk_buf_str(&enc),
			    "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52Yj"
			    "NSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==");
	mk_buf_free(&raw);
	mk_buf_free(&enc);
}

/* RFC 7628 §4.1 (decoded example, base64 from the RFC). */
static void test_oauthbearer_rfc7628_vector(void **state)
{
	struct mk_sasl_creds c = { "user@example.com",
				   "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", "server.example.com", 143 };
	struct mk_buf raw, enc;
	struct mk_error err;

	(void)state;
	mk_buf_init_secret(&raw, 4096);
	mk_buf_init(&enc, 8192);
	assert_int_equal(mk_sasl_oauthbearer.start(&c, &raw, &err), MK_SASL_OK);
	b64(&raw, &enc);
	assert_string_equal(mk_buf_str(&enc),
			    "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dG"
			    "g9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB");
	mk_buf_free(&raw);
	mk_buf_free(&enc);
}

static void test_oauthbearer_escapes_and_omits(void **state)
{
	struct mk_sasl_creds c = { "a,b=c@x", "tok", NULL, 0 };
	struct mk_buf raw;
	struct mk_error err;

	(void)state;
	mk_buf_init_secret(&raw, 4096);
	assert_int_equal(mk_sasl_oauthbearer.start(&c, &raw, &err), MK_SASL_OK);
	assert_string_equal(mk_buf_str(&raw), "n,a=a=2Cb=3Dc@x,\x01"
					      "auth=Bearer tok\x01\x01");
	mk_buf_free(&raw);
}

static void test_injection_rejected(void **state)
{
	static const struct mk_sasl_creds bad[] = {
		{ "alice\x01"
		  "auth=Bearer x",
		  "tok", NULL, 0 },
		{ "alice", "tok\r\nQUIT", NULL, 0 },
		{ "alice", "tok\n", NULL, 0 },
		{ "", "tok", NULL, 0 },
		{ "alice", "", NULL, 0 },
		{ "alice", "tok", "host\x01x", 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct mk_sasl_mech *m =
			i == 5 ? &mk_sasl_oauthbearer : (i % 2 ? &mk_sasl_oauthbearer : &mk_sasl_xoauth2);
		struct mk_buf raw;
		struct mk_error err;
		mk_buf_init_secret(&raw, 4096);
		assert_int_equal(m->start(&bad[i], &raw, &err), MK_SASL_ERR_INTERNAL);
		assert_int_equal(raw.len, 0);
		mk_buf_free(&raw);
	}
}

/* Challenges captured from Dovecot and Google (research/test-env.md §6). */
static const struct {
	const char *b64;
	const char *status, *scope;
} challenges[] = {
	{ "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0=", "401", "mail" },
	{ "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=", "invalid_token", "" },
	/* {"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"} + newline */
	{ "eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQo=",
	  "400", "https://mail.google.com/" },
	/* {"status":401} as a number */
	{ "eyJzdGF0dXMiOjQwMX0=", "401", "" },
	/* Google's IMAP/SMTP example: "bearer mac", trailing newline */
	{ "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9tYWlsLmdvb2dsZS5jb20vIn"
	  "0K",
	  "401", "https://mail.google.com/" },
	/* Gmail SMTP in practice (curl#10259) */
	{ "eyJzdGF0dXMiOiJpbnZhbGlkX3JlcXVlc3QiLCJzY29wZSI6Imh0dHBzOi8vbWFpbC5nb29nbGUuY29tLyJ9",
	  "invalid_request", "https://mail.google.com/" },
	/* RFC 7628 §3.2.2 with openid-configuration, an unknown key, a real number */
	{ "eyJzdGF0dXMiOjQwMy4wLCJzY29wZSI6IngiLCJvcGVuaWQtY29uZmlndXJhdGlvbiI6Imh0dHBzOi8vb3AuZXhhbXBsZS8ud2"
	  "VsbC1rbm93bi9vcGVuaWQtY29uZmlndXJhdGlvbiIsImV4dHJhIjpbMSx7fV19",
	  "403", "x" },
	/* no status at all */
	{ "eyJzY2hlbWVzIjoiYmVhcmVyIn0=", "", "" },
};

static void test_error_challenges(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(challenges) / sizeof(challenges[0]); i++) {
		for (int m = 0; m < 2; m++) {
			const struct mk_sasl_mech *mech = m ? &mk_sasl_oauthbearer : &mk_sasl_xoauth2;
			struct mk_buf dec, out;
			struct mk_sasl_failure f;
			struct mk_error err;
			mk_buf_init(&dec, 4096);
			mk_buf_init(&out, 16);
			assert_int_equal(mk_base64_decode(challenges[i].b64, strlen(challenges[i].b64), &dec),
					 0);
			assert_int_equal(mech->step((unsigned char *)dec.data, dec.len, &out, &f, &err),
					 MK_SASL_AUTH_FAILED);
			assert_string_equal(f.status, challenges[i].status);
			assert_string_equal(f.scope, challenges[i].scope);
			assert_int_equal(err.cls, MK_ERR_AUTH);
			assert_non_null(strstr(err.msg, "refused the token"));
			/* the answer: empty for XOAUTH2, a single ^A for OAUTHBEARER */
			assert_int_equal(out.len, (size_t)m);
			if (m)
				assert_int_equal(out.data[0], '\x01');
			mk_buf_free(&dec);
			mk_buf_free(&out);
		}
	}
}

static void test_garbage_challenges(void **state)
{
	static const char *const junk[] = { "",		"not json", "[1,2]", "\"str\"",
					    "null",	"42",	    "{",     "{\"status\":\"4\xff\"}",
					    "\x01\x01", "{\"a\" 1}" };

	(void)state;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		struct mk_buf out;
		struct mk_sasl_failure f;
		struct mk_error err;
		mk_buf_init(&out, 16);
		assert_int_equal(
			mk_sasl_xoauth2.step((const unsigned char *)junk[i], strlen(junk[i]), &out, &f, &err),
			MK_SASL_AUTH_FAILED);
		assert_non_null(strstr(f.message, "not readable JSON"));
		assert_string_equal(f.status, "");
		assert_int_equal(err.cls, MK_ERR_AUTH);
		assert_int_equal(out.len, 0);
		mk_buf_free(&out);
	}
	{
		/* An object whose fields have the wrong types: read, fields left empty. */
		static const char odd[] = "{\"status\":{\"x\":1},\"scope\":[\"a\"],\"schemes\":null}";
		struct mk_sasl_failure f;
		assert_true(mk_sasl_parse_failure((const unsigned char *)odd, sizeof(odd) - 1, &f));
		assert_string_equal(f.status, "");
		assert_string_equal(f.scope, "");
		assert_string_equal(f.schemes, "");
	}
	assert_ptr_equal(mk_sasl_mech_find("xoauth2"), &mk_sasl_xoauth2);
	assert_ptr_equal(mk_sasl_mech_find("OAuthBearer"), &mk_sasl_oauthbearer);
	assert_null(mk_sasl_mech_find("PLAIN"));
}

/* Length-delimited values (a Cyrus sasl_secret_t): an embedded NUL would cut
 * the token silently, so it is refused like ^A, CR and LF. */
static void test_check_value(void **state)
{
	static const struct {
		const char *v;
		size_t len;
		enum mk_sasl_status want;
	} cases[] = {
		{ "tok", 3, MK_SASL_OK },
		{ "t\0k", 3, MK_SASL_ERR_INTERNAL },
		{ "tok\0", 4, MK_SASL_ERR_INTERNAL },
		{ "t\x01k", 3, MK_SASL_ERR_INTERNAL },
		{ "t\rk", 3, MK_SASL_ERR_INTERNAL },
		{ "t\nk", 3, MK_SASL_ERR_INTERNAL },
		{ "", 0, MK_SASL_ERR_INTERNAL },
		{ NULL, 0, MK_SASL_ERR_INTERNAL },
		{ "t k\t=,", 6, MK_SASL_OK },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mk_error err;
		mk_error_init(&err);
		assert_int_equal(mk_sasl_check_value("token", cases[i].v, cases[i].len, &err), cases[i].want);
		if (cases[i].want != MK_SASL_OK) {
			assert_int_equal(err.cls, MK_ERR_INTERNAL);
			assert_non_null(strstr(err.msg, "token"));
		}
	}
}

/* The secret must not reach the error message. */
static void test_rejection_message_has_no_secret(void **state)
{
	struct mk_sasl_creds c = { "alice", "SECRET\nTOKEN", NULL, 0 };
	struct mk_buf raw;
	struct mk_error err;

	(void)state;
	for (int m = 0; m < 2; m++) {
		mk_buf_init_secret(&raw, 4096);
		mk_error_init(&err);
		assert_int_equal((m ? &mk_sasl_oauthbearer : &mk_sasl_xoauth2)->start(&c, &raw, &err),
				 MK_SASL_ERR_INTERNAL);
		assert_null(strstr(err.msg, "SECRET"));
		assert_null(strstr(err.msg, "TOKEN"));
		mk_buf_free(&raw);
	}
}

static void test_oauthbearer_port_and_host(void **state)
{
	static const struct {
		struct mk_sasl_creds c;
		const char *want; /* NULL = refused */
	} cases[] = {
		{ { "u", "t", "h", 0 },
		  "n,a=u,\x01host=h\x01"
		  "auth=Bearer t\x01\x01" },
		{ { "u", "t", NULL, 993 },
		  "n,a=u,\x01port=993\x01"
		  "auth=Bearer t\x01\x01" },
		{ { "u", "t", "h", 65535 },
		  "n,a=u,\x01host=h\x01port=65535\x01"
		  "auth=Bearer t\x01\x01" },
		{ { "u", "t", "h", 65536 }, NULL },
		{ { "u", "t", "h\r", 1 }, NULL },
		{ { "==,,", "t", NULL, 0 },
		  "n,a==3D=3D=2C=2C,\x01"
		  "auth=Bearer t\x01\x01" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mk_buf raw;
		struct mk_error err;
		mk_buf_init_secret(&raw, 4096);
		mk_error_init(&err);
		if (cases[i].want != NULL) {
			assert_int_equal(mk_sasl_oauthbearer.start(&cases[i].c, &raw, &err), MK_SASL_OK);
			assert_string_equal(mk_buf_str(&raw), cases[i].want);
		} else {
			assert_int_equal(mk_sasl_oauthbearer.start(&cases[i].c, &raw, &err),
					 MK_SASL_ERR_INTERNAL);
			assert_int_equal(raw.len, 0);
		}
		mk_buf_free(&raw);
	}
}

/* A token bigger than the caller's buffer is an error, never a cut string. */
static void test_output_cap(void **state)
{
	char token[600];
	struct mk_sasl_creds c = { "alice", token, NULL, 0 };
	struct mk_buf raw;
	struct mk_error err;

	(void)state;
	memset(token, 'A', sizeof(token) - 1);
	token[sizeof(token) - 1] = '\0';
	for (int m = 0; m < 2; m++) {
		mk_buf_init_secret(&raw, 512);
		mk_error_init(&err);
		assert_int_equal((m ? &mk_sasl_oauthbearer : &mk_sasl_xoauth2)->start(&c, &raw, &err),
				 MK_SASL_ERR_INTERNAL);
		assert_int_equal(raw.len, 0);
		mk_buf_free(&raw);
	}
}

/* Huge values are cut into the fixed fields, NUL-terminated, never past
 * them, and never in the middle of a UTF-8 character; the message keeps
 * its explanation. */
static void test_huge_fields(void **state)
{
	struct mk_buf json;
	struct mk_sasl_failure f;
	size_t n;

	(void)state;
	mk_buf_init(&json, 1 << 20);
	assert_int_equal(mk_buf_addstr(&json, "{\"status\":\""), 0);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(mk_buf_addstr(&json, "4"), 0);
	assert_int_equal(mk_buf_addstr(&json, "\",\"scope\":\"a"), 0);
	for (int i = 0; i < 5000; i++) /* U+00E9, two bytes; odd start offsets the cut */
		assert_int_equal(mk_buf_addstr(&json, "\xc3\xa9"), 0);
	assert_int_equal(mk_buf_addstr(&json, "\",\"schemes\":\"x\\u0001y\\r\\n\","), 0);
	assert_int_equal(mk_buf_addstr(&json, "\"openid-configuration\":\""), 0);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(mk_buf_addstr(&json, "\xe2\x82\xac"), 0); /* U+20AC, three bytes */
	assert_int_equal(mk_buf_addstr(&json, "\"}"), 0);
	assert_true(mk_sasl_parse_failure((const unsigned char *)json.data, json.len, &f));
	assert_int_equal(strlen(f.status), sizeof(f.status) - 1);
	n = strlen(f.scope);
	assert_true(n < sizeof(f.scope) && n >= sizeof(f.scope) - 3);
	assert_int_equal(n % 2, 1); /* "a" plus whole two-byte characters */
	assert_int_equal(strlen(f.openid_configuration) % 3, 0);
	assert_string_equal(f.schemes, "x y  "); /* control characters made spaces */
	assert_true(strlen(f.message) < sizeof(f.message));
	assert_non_null(strstr(f.message, "`mailkey login ACCOUNT` may help"));
	mk_buf_free(&json);
}

static void test_token_problem_and_message(void **state)
{
	static const struct {
		const char *json;
		bool token_problem;
		const char *in_message;
	} cases[] = {
		{ "{\"status\":\"401\",\"scope\":\"https://mail.google.com/\"}", true,
		  "the server refused the token (status 401, scope https://mail.google.com/): it is expired, "
		  "revoked or for another user; run `mailkey refresh ACCOUNT` or `mailkey login ACCOUNT`" },
		{ "{\"status\":\"invalid_token\"}", true, "(status invalid_token): it is expired" },
		{ "{\"status\":\"400\"}", true, "user name does not match" },
		{ "{\"status\":\"invalid_request\"}", true, "user name does not match" },
		{ "{\"status\":\"insufficient_scope\",\"scope\":\"mail\"}", false, "lacks the scope" },
		{ "{\"status\":\"403\"}", false, "lacks the scope" },
		{ "{\"status\":\"500\"}", false, "(status 500)" },
		{ "{}", false, "(status missing)" },
		{ "{\"status\":\"401\"} trailing", true, "(status 401)" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mk_sasl_failure f;
		assert_true(mk_sasl_parse_failure((const unsigned char *)cases[i].json, strlen(cases[i].json),
						  &f));
		assert_int_equal(mk_sasl_failure_is_token_problem(&f), cases[i].token_problem);
		assert_non_null(strstr(f.message, cases[i].in_message));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xoauth2_google_vector),
		cmocka_unit_test(test_oauthbearer_rfc7628_vector),
		cmocka_unit_test(test_oauthbearer_escapes_and_omits),
		cmocka_unit_test(test_injection_rejected),
		cmocka_unit_test(test_error_challenges),
		cmocka_unit_test(test_garbage_challenges),
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_rejection_message_has_no_secret),
		cmocka_unit_test(test_oauthbearer_port_and_host),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_huge_fields),
		cmocka_unit_test(test_token_problem_and_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
