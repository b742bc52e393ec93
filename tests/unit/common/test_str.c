#include <string.h>

#include "cmocka_all.h"
#include "common/str.h"

static const struct {
	const char *in;
	uint64_t max;
	int rc;
	uint64_t val;
} cases[] = {
	{ "0", 10, 0, 0 },
	{ "10", 10, 0, 10 },
	{ "11", 10, -1, 0 },
	{ "", 10, -1, 0 },
	{ "01", 10, -1, 0 },
	{ "-1", 10, -1, 0 },
	{ "+1", 10, -1, 0 },
	{ " 1", 10, -1, 0 },
	{ "1 ", 10, -1, 0 },
	{ "1x", 10, -1, 0 },
	{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", UINT64_MAX, -1, 0 },
	{ "65535", 65535, 0, 65535 },
	{ "65536", 65535, -1, 0 },
	{ "7", 5, -1, 0 }, /* one digit above a max below 10 */
	{ "5", 5, 0, 5 },
	{ "9", 0, -1, 0 },
	{ "0", 0, 0, 0 },
	{ "00", 10, -1, 0 },
	{ "0010", 100, -1, 0 },
	{ "99999999999999999999999", UINT64_MAX, -1, 0 },
};

static void test_to_u64(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		int rc = mk_str_to_u64(cases[i].in, strlen(cases[i].in), cases[i].max, &v);
		assert_int_equal(rc, cases[i].rc);
		assert_true(v == (rc == 0 ? cases[i].val : 12345));
	}
}

static void test_to_u64_counted(void **state)
{
	uint64_t v = 12345;

	(void)state;
	/* a NUL inside the counted length is not a digit */
	assert_int_equal(mk_str_to_u64("1\0", 2, 10, &v), -1);
	assert_true(v == 12345);
	/* only len bytes are read */
	assert_int_equal(mk_str_to_u64("12", 1, 10, &v), 0);
	assert_true(v == 1);
}

static void test_to_uint_and_checks(void **state)
{
	unsigned u = 0;

	(void)state;
	assert_int_equal(mk_str_to_uint("587", 65535, &u), 0);
	assert_int_equal(u, 587);
	assert_int_equal(mk_str_to_uint("70000", 65535, &u), -1);
	assert_int_equal(u, 587);
	assert_int_equal(mk_str_to_uint("3", 2, &u), -1);
	assert_int_equal(mk_str_to_uint("4294967295", UINT32_MAX, &u), 0);
	assert_int_equal(u, UINT32_MAX);
	assert_true(mk_str_has_crlfnul("a\rb", 3));
	assert_true(mk_str_has_crlfnul("a\nb", 3));
	assert_true(mk_str_has_crlfnul("a\0b", 3));
	assert_false(mk_str_has_crlfnul("a b", 3));
	assert_true(mk_str_has_prefix_ci("Bearer xyz", "bearer "));
	assert_false(mk_str_has_prefix_ci("Bear", "bearer"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_to_u64),
		cmocka_unit_test(test_to_u64_counted),
		cmocka_unit_test(test_to_uint_and_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
