#include "broker/daemon/sched.h"

int64_t mk_sched_due(int64_t obtained_at, int64_t expires_at, unsigned margin)
{
	int64_t lifetime, m = margin;

	if (expires_at <= 0)
		return MK_SCHED_NEVER;
	/* The same rule as mk_policy_should_refresh: never more than half the
	 * lifetime, so short test tokens are not refreshed continuously. */
	lifetime = expires_at - obtained_at;
	if (lifetime > 0 && m > lifetime / 2)
		m = lifetime / 2;
	return expires_at - m;
}

unsigned mk_sched_backoff(unsigned failures, unsigned cap, uint32_t rnd)
{
	uint64_t d = MK_SCHED_BACKOFF_FIRST;

	if (failures == 0)
		failures = 1;
	for (unsigned i = 1; i < failures && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	if (d < 2)
		return (unsigned)d;
	return (unsigned)(d / 2 + rnd % (d - d / 2 + 1));
}

int64_t mk_sched_earliest(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

int64_t mk_sched_wake(int64_t now, int64_t next, unsigned max_sleep)
{
	int64_t cap = now + (int64_t)max_sleep;

	if (next < now)
		return now;
	return next < cap ? next : cap;
}
