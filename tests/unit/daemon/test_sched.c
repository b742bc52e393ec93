/* The daemon's schedule: the due moment agrees with the refresh policy
 * itself, backoff doubles within its jitter band up to its cap, and the
 * loop's wake-up is never later than its bound. */
#include "broker/daemon/sched.h"
#include "broker/policy.h"
#include "cmocka_all.h"

static const struct {
	int64_t obtained, expires;
	unsigned margin;
	int64_t due;
} due_cases[] = {
	{ 1000, 4600, 600, 4000 },	    /* 1-hour token, 600 s margin */
	{ 1000, 1020, 600, 1010 },	    /* 20 s token: half its lifetime */
	{ 1000, 4600, 0, 4600 },	    /* margin 0: at expiry */
	{ 1000, 0, 600, MK_SCHED_NEVER },   /* unknown lifetime */
	{ 5000, 4600, 600, 4000 },	    /* obtained after expiry (clock skew): the margin */
	{ 1000, 1001, 600, 1001 },	    /* 1 s token: lifetime / 2 rounds to 0 */
	{ 0, 1796000000, 900, 1795999100 }, /* no obtained_at: the whole margin */
};

static void test_due_matches_policy(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(due_cases) / sizeof(due_cases[0]); i++) {
		int64_t due = mk_sched_due(due_cases[i].obtained, due_cases[i].expires, due_cases[i].margin);
		if (due != due_cases[i].due)
			fail_msg("case %zu: due %lld, want %lld", i, (long long)due,
				 (long long)due_cases[i].due);
		if (due == MK_SCHED_NEVER)
			continue;
		/* The policy says no just before and yes at the moment. */
		assert_false(mk_policy_should_refresh(due - 1, due_cases[i].obtained, due_cases[i].expires,
						      due_cases[i].margin));
		assert_true(mk_policy_should_refresh(due, due_cases[i].obtained, due_cases[i].expires,
						     due_cases[i].margin));
	}
}

static void test_backoff(void **state)
{
	static const struct {
		unsigned failures, cap, lo, hi;
	} cases[] = {
		{ 0, 600, 2, 5 }, /* 0 counts as the first */
		{ 1, 600, 2, 5 },	 { 2, 600, 5, 10 },    { 3, 600, 10, 20 },
		{ 4, 600, 20, 40 },	 { 8, 600, 300, 600 }, { 30, 600, 300, 600 },
		{ 1000, 600, 300, 600 }, { 5, 60, 30, 60 },    { 100, 60, 30, 60 },
	};
	static const uint32_t rnds[] = { 0, 1, 2, 7, 12345, 0x7fffffff, 0xffffffff };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned min = ~0u, max = 0;
		for (size_t k = 0; k < sizeof(rnds) / sizeof(rnds[0]); k++) {
			unsigned b = mk_sched_backoff(cases[i].failures, cases[i].cap, rnds[k]);
			if (b < cases[i].lo || b > cases[i].hi)
				fail_msg("failures %u cap %u rnd %u: %u outside [%u, %u]", cases[i].failures,
					 cases[i].cap, rnds[k], b, cases[i].lo, cases[i].hi);
			min = b < min ? b : min;
			max = b > max ? b : max;
		}
		/* jitter: not one value for every random number */
		assert_true(max > min);
	}
}

static void test_wake(void **state)
{
	(void)state;
	assert_int_equal(mk_sched_wake(1000, 1005, 30), 1005);
	assert_int_equal(mk_sched_wake(1000, 5000, 30), 1030);		 /* at least every 30 s */
	assert_int_equal(mk_sched_wake(1000, MK_SCHED_NEVER, 30), 1030); /* nothing due */
	assert_int_equal(mk_sched_wake(1000, 10, 30), 1000);		 /* overdue: now */
	assert_int_equal(mk_sched_earliest(5, 7), 5);
	assert_int_equal(mk_sched_earliest(MK_SCHED_NEVER, 7), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_matches_policy),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_wake),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
