#include <string.h>

#include "cmocka_all.h"
#include "common/base64.h"
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
	static const char *const junk[] = { "", "not json", "[1,2]", "{\"status\":{\"x\":1}}", "\"str\"" };

	(void)state;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		struct mk_buf out;
		struct mk_sasl_failure f;
		struct mk_error err;
		mk_buf_init(&out, 16);
		assert_int_equal(
			mk_sasl_xoauth2.step((const unsigned char *)junk[i], strlen(junk[i]), &out, &f, &err),
			MK_SASL_AUTH_FAILED);
		assert_non_null(strstr(f.message, "refused"));
		mk_buf_free(&out);
	}
	assert_ptr_equal(mk_sasl_mech_find("xoauth2"), &mk_sasl_xoauth2);
	assert_ptr_equal(mk_sasl_mech_find("OAuthBearer"), &mk_sasl_oauthbearer);
	assert_null(mk_sasl_mech_find("PLAIN"));
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
