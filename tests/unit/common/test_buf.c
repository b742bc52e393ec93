#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"
#include "common/buf.h"

static void test_cap_reached_exactly(void **state)
{
	struct mk_buf b;

	(void)state;
	mk_buf_init(&b, 5);
	assert_int_equal(mk_buf_addstr(&b, "abc"), 0);
	assert_int_equal(mk_buf_addstr(&b, "de"), 0);
	assert_int_equal(b.len, 5);
	assert_string_equal(mk_buf_str(&b), "abcde");
	errno = 0;
	assert_int_equal(mk_buf_addc(&b, 'f'), -1);
	assert_int_equal(errno, E2BIG);
	/* a failed add leaves the buffer as it was */
	assert_string_equal(mk_buf_str(&b), "abcde");
	mk_buf_free(&b);
}

static void test_cap_exceeded_in_one_add(void **state)
{
	struct mk_buf b;

	(void)state;
	mk_buf_init(&b, 4);
	assert_int_equal(mk_buf_addstr(&b, "ab"), 0);
	assert_int_equal(mk_buf_addstr(&b, "cde"), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(b.len, 2);
	assert_int_equal(mk_buf_addf(&b, "%d", 12345), -1);
	assert_string_equal(mk_buf_str(&b), "ab");
	mk_buf_free(&b);
}

static void test_empty(void **state)
{
	struct mk_buf b;
	char *s;

	(void)state;
	mk_buf_init(&b, 0);
	assert_string_equal(mk_buf_str(&b), "");
	assert_int_equal(mk_buf_add(&b, "", 0), 0);
	assert_int_equal(mk_buf_addc(&b, 'x'), -1);
	s = mk_buf_take(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	mk_buf_free(&b);
	mk_buf_free(&b); /* idempotent */
}

static void test_growth_and_binary(void **state)
{
	struct mk_buf b;
	unsigned char all[256];

	(void)state;
	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	mk_buf_init(&b, 1 << 20);
	for (int i = 0; i < 100; i++)
		assert_int_equal(mk_buf_add(&b, all, sizeof(all)), 0);
	assert_int_equal(b.len, 25600);
	assert_memory_equal(b.data + 256 * 57, all, sizeof(all));
	assert_int_equal(b.data[b.len], '\0');
	mk_buf_free(&b);
}

static void test_consume_truncate_reset(void **state)
{
	struct mk_buf b;

	(void)state;
	mk_buf_init_secret(&b, 100);
	assert_int_equal(mk_buf_addf(&b, "%s-%d", "line", 42), 0);
	assert_string_equal(mk_buf_str(&b), "line-42");
	mk_buf_consume(&b, 5);
	assert_string_equal(mk_buf_str(&b), "42");
	mk_buf_consume(&b, 99);
	assert_int_equal(b.len, 0);
	assert_int_equal(mk_buf_addstr(&b, "abcdef"), 0);
	mk_buf_truncate(&b, 3);
	assert_string_equal(mk_buf_str(&b), "abc");
	mk_buf_truncate(&b, 10);
	assert_string_equal(mk_buf_str(&b), "abc");
	mk_buf_reset(&b);
	assert_string_equal(mk_buf_str(&b), "");
	/* a reset secret buffer keeps no trace of its old contents */
	assert_int_equal(b.data[1], '\0');
	assert_int_equal(b.data[2], '\0');
	mk_buf_free(&b);
}

static void test_take_detaches(void **state)
{
	struct mk_buf b;
	char *s;

	(void)state;
	mk_buf_init(&b, 64);
	assert_int_equal(mk_buf_addstr(&b, "token"), 0);
	s = mk_buf_take(&b);
	assert_string_equal(s, "token");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(mk_buf_addstr(&b, "again"), 0);
	assert_string_equal(mk_buf_str(&b), "again");
	free(s);
	mk_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_reached_exactly),
		cmocka_unit_test(test_cap_exceeded_in_one_add),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_growth_and_binary),
		cmocka_unit_test(test_consume_truncate_reset),
		cmocka_unit_test(test_take_detaches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
