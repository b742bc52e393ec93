#include <string.h>

#include "cmocka_all.h"
#include "common/secret.h"

static const struct {
	const char *a, *b;
	bool eq;
} streq_cases[] = {
	{ "state-123", "state-123", true },
	{ "state-123", "state-124", false },  /* last byte */
	{ "state-123", "xtate-123", false },  /* first byte */
	{ "state-123", "state-12", false },   /* shorter */
	{ "state-123", "state-1234", false }, /* longer */
	{ "", "", true },
	{ "", "x", false },
	{ "abc", "", false },
};

static void test_streq_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(streq_cases) / sizeof(streq_cases[0]); i++)
		assert_int_equal(mk_secret_streq(streq_cases[i].a, streq_cases[i].b), streq_cases[i].eq);
	assert_false(mk_secret_streq(NULL, "x"));
	assert_false(mk_secret_streq("x", NULL));
	assert_false(mk_secret_streq(NULL, NULL));
}

static void test_equal_bytes(void **state)
{
	unsigned char a[32], b[32];

	(void)state;
	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_true(mk_secret_equal(a, b, sizeof(a)));
	assert_true(mk_secret_equal(a, b, 0));
	for (size_t i = 0; i < sizeof(a); i++) {
		b[i] ^= 0x01;
		assert_false(mk_secret_equal(a, b, sizeof(a)));
		b[i] ^= 0x01;
	}
}

static void test_wipe(void **state)
{
	char buf[16] = "secret-token";
	char *s;

	(void)state;
	mk_secret_wipe(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	mk_secret_wipe(NULL, 10);
	s = mk_secret_strdup("abc");
	assert_string_equal(s, "abc");
	mk_secret_clear_str(&s);
	assert_null(s);
	mk_secret_clear_str(&s);
	mk_secret_free(NULL, 3);
	mk_secret_free_str(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_streq_table),
		cmocka_unit_test(test_equal_bytes),
		cmocka_unit_test(test_wipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
