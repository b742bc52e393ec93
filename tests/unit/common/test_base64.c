#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"
#include "common/base64.h"

/* RFC 4648 §10 */
static const struct {
	const char *plain, *b64;
} rfc4648[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void test_rfc4648_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		struct mk_buf e, d;
		mk_buf_init(&e, 64);
		mk_buf_init(&d, 64);
		assert_int_equal(mk_base64_encode(rfc4648[i].plain, strlen(rfc4648[i].plain), &e), 0);
		assert_string_equal(mk_buf_str(&e), rfc4648[i].b64);
		assert_int_equal(mk_base64_encoded_len(strlen(rfc4648[i].plain)), strlen(rfc4648[i].b64));
		assert_int_equal(mk_base64_decode(rfc4648[i].b64, strlen(rfc4648[i].b64), &d), 0);
		assert_int_equal(d.len, strlen(rfc4648[i].plain));
		assert_memory_equal(mk_buf_str(&d), rfc4648[i].plain, d.len);
		mk_buf_free(&e);
		mk_buf_free(&d);
	}
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed >> 16);
	}
}

static void test_roundtrip_every_length(void **state)
{
	unsigned char in[64];

	(void)state;
	for (size_t n = 0; n <= 64; n++) {
		for (int url = 0; url <= 1; url++) {
			struct mk_buf e, d;
			fill(in, n, (unsigned)(n * 7 + 1));
			mk_buf_init(&e, 256);
			mk_buf_init(&d, 256);
			assert_int_equal((url ? mk_base64url_encode : mk_base64_encode)(in, n, &e), 0);
			if (url) {
				assert_null(strpbrk(mk_buf_str(&e), "+/="));
			} else {
				assert_int_equal(e.len, mk_base64_encoded_len(n));
			}
			assert_int_equal((url ? mk_base64url_decode : mk_base64_decode)(e.data ? e.data : "",
											e.len, &d),
					 0);
			assert_int_equal(d.len, n);
			if (n > 0)
				assert_memory_equal(d.data, in, n);
			mk_buf_free(&e);
			mk_buf_free(&d);
		}
	}
}

static const char *const invalid[] = {
	"Zg=",	    /* length not a multiple of 4 */
	"Zg",	    /* unpadded in the padded alphabet */
	"Z===",	    /* too much padding */
	"Zm9v\n",   /* line break */
	"Zm 9",	    /* space */
	"Zg==Zg==", /* padding in the middle */
	"Zm9-",	    /* url alphabet in standard decode */
	"Zm9_",	    "=Zg=", "Zm\x01v", "Zm9v\r\n",
};

static void test_invalid_rejected_buffer_unchanged(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		struct mk_buf d;
		mk_buf_init(&d, 64);
		assert_int_equal(mk_buf_addstr(&d, "keep"), 0);
		errno = 0;
		assert_int_equal(mk_base64_decode(invalid[i], strlen(invalid[i]), &d), -1);
		assert_int_equal(errno, EINVAL);
		assert_string_equal(mk_buf_str(&d), "keep");
		mk_buf_free(&d);
	}
}

static void test_url_variant(void **state)
{
	struct mk_buf e, d;
	const unsigned char bytes[] = { 0xfb, 0xff, 0xbf };

	(void)state;
	mk_buf_init(&e, 16);
	mk_buf_init(&d, 16);
	assert_int_equal(mk_base64url_encode(bytes, 3, &e), 0);
	assert_string_equal(mk_buf_str(&e), "-_-_");
	assert_int_equal(mk_base64url_decode("-_-_", 4, &d), 0);
	assert_memory_equal(d.data, bytes, 3);
	mk_buf_reset(&d);
	/* padded input accepted, standard alphabet refused */
	assert_int_equal(mk_base64url_decode("Zg==", 4, &d), 0);
	assert_string_equal(mk_buf_str(&d), "f");
	assert_int_equal(mk_base64url_decode("+/+/", 4, &d), -1);
	assert_int_equal(mk_base64url_decode("Z", 1, &d), -1);
	mk_buf_free(&e);
	mk_buf_free(&d);
}

/* base64url decode: what is accepted and what it decodes to. */
static const struct {
	const char *in;
	int rc;
	const char *out;
} url_cases[] = {
	{ "", 0, "" },		{ "Zg", 0, "f" },	  { "Zg==", 0, "f" }, /* correct padding tolerated */
	{ "Zm8", 0, "fo" },	{ "Zm8=", 0, "fo" },	  { "Zm9v", 0, "foo" },
	{ "Zg=", -1, NULL }, /* padding that does not make a quantum */
	{ "Zg===", -1, NULL },	{ "Zg======", -1, NULL }, { "====", -1, NULL },
	{ "Z", -1, NULL },			       /* one char is never a byte */
	{ "Zm9vY", -1, NULL },	{ "Zm 9v", -1, NULL }, /* whitespace */
	{ "Zm9v\n", -1, NULL }, { "Zm9+", -1, NULL },  /* standard alphabet */
	{ "Zm9/", -1, NULL },	{ "Z=g", -1, NULL },   /* '=' in the middle */
	{ "Zm.v", -1, NULL },
};

static void test_url_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(url_cases) / sizeof(url_cases[0]); i++) {
		struct mk_buf d;
		mk_buf_init(&d, 64);
		assert_int_equal(mk_buf_addstr(&d, "keep"), 0);
		errno = 0;
		assert_int_equal(mk_base64url_decode(url_cases[i].in, strlen(url_cases[i].in), &d),
				 url_cases[i].rc);
		if (url_cases[i].rc == 0) {
			assert_int_equal(d.len, 4 + strlen(url_cases[i].out));
			assert_memory_equal(d.data + 4, url_cases[i].out, d.len - 4);
		} else {
			assert_int_equal(errno, EINVAL);
			assert_string_equal(mk_buf_str(&d), "keep");
		}
		mk_buf_free(&d);
	}
}

static void test_empty_input(void **state)
{
	struct mk_buf b;

	(void)state;
	/* empty in, empty out, and still a valid string */
	mk_buf_init(&b, 0);
	assert_int_equal(mk_base64_encode("", 0, &b), 0);
	assert_int_equal(b.len, 0);
	assert_non_null(b.data);
	assert_int_equal(mk_base64url_encode("", 0, &b), 0);
	assert_int_equal(mk_base64_decode("", 0, &b), 0);
	assert_int_equal(mk_base64url_decode("", 0, &b), 0);
	assert_string_equal(mk_buf_str(&b), "");
	mk_buf_free(&b);
}

static void test_appends(void **state)
{
	struct mk_buf b;

	(void)state;
	mk_buf_init(&b, 64);
	assert_int_equal(mk_buf_addstr(&b, "AUTH "), 0);
	assert_int_equal(mk_base64_encode("foo", 3, &b), 0);
	assert_string_equal(mk_buf_str(&b), "AUTH Zm9v");
	assert_int_equal(mk_base64url_encode("\xfb\xff", 2, &b), 0);
	assert_string_equal(mk_buf_str(&b), "AUTH Zm9v-_8");
	mk_buf_free(&b);
}

static void test_cap_reached(void **state)
{
	struct mk_buf e, d;

	(void)state;
	mk_buf_init(&e, 7);
	assert_int_equal(mk_base64_encode("foobar", 6, &e), -1); /* needs 8 */
	assert_int_equal(errno, E2BIG);
	assert_int_equal(e.len, 0);
	mk_buf_init(&d, 5);
	assert_int_equal(mk_base64_decode("Zm9vYmFy", 8, &d), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(d.len, 0);
	/* exactly at the cap is fine; one more byte is not, and changes nothing */
	mk_buf_free(&e);
	mk_buf_init(&e, 8);
	assert_int_equal(mk_base64_encode("foobar", 6, &e), 0);
	assert_string_equal(mk_buf_str(&e), "Zm9vYmFy");
	assert_int_equal(mk_base64_encode("f", 1, &e), -1);
	assert_int_equal(errno, E2BIG);
	assert_string_equal(mk_buf_str(&e), "Zm9vYmFy");
	mk_buf_free(&d);
	mk_buf_init(&d, 6);
	assert_int_equal(mk_base64_decode("Zm9vYmFy", 8, &d), 0);
	assert_int_equal(mk_base64url_decode("Zg", 2, &d), -1);
	assert_int_equal(errno, E2BIG);
	assert_string_equal(mk_buf_str(&d), "foobar");
	/* padding counts: "Zg==" needs one byte of room, not three */
	mk_buf_free(&d);
	mk_buf_init(&d, 1);
	assert_int_equal(mk_base64_decode("Zg==", 4, &d), 0);
	assert_string_equal(mk_buf_str(&d), "f");
	mk_buf_free(&d);
	mk_buf_init(&d, 2);
	assert_int_equal(mk_base64url_decode("Zm8", 3, &d), 0);
	assert_string_equal(mk_buf_str(&d), "fo");
	mk_buf_free(&e);
	mk_buf_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_roundtrip_every_length),
		cmocka_unit_test(test_invalid_rejected_buffer_unchanged),
		cmocka_unit_test(test_url_variant),
		cmocka_unit_test(test_url_table),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_cap_reached),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
