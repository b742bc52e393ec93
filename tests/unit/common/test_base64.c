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
		cmocka_unit_test(test_cap_reached),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
