#include "broker/policy.h"
#include "cmocka_all.h"

static const struct {
	int64_t now, obtained, expires;
	unsigned margin;
	bool refresh;
} cases[] = {
	/* 1-hour token, 600 s margin */
	{ 1000, 1000, 4600, 600, false },
	{ 3999, 1000, 4600, 600, false },
	{ 4000, 1000, 4600, 600, true },
	{ 4600, 1000, 4600, 600, true },
	{ 9999, 1000, 4600, 600, true },
	/* 20-second token: the margin shrinks to half the lifetime */
	{ 1009, 1000, 1020, 600, false },
	{ 1010, 1000, 1020, 600, true },
	/* margin 0: only when expired */
	{ 4599, 1000, 4600, 0, false },
	{ 4600, 1000, 4600, 0, true },
	/* unknown lifetime: never by time */
	{ 99999, 1000, 0, 600, false },
	/* clock went backwards past obtained_at */
	{ 500, 1000, 4600, 600, false },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(mk_policy_should_refresh(cases[i].now, cases[i].obtained, cases[i].expires,
							  cases[i].margin),
				 cases[i].refresh);
	assert_false(mk_policy_is_expired(100, 0));
	assert_false(mk_policy_is_expired(99, 100));
	assert_true(mk_policy_is_expired(100, 100));
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_table) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
