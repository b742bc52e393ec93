/* When the daemon refreshes an account, and how long it waits after a
 * failure: pure arithmetic on unix seconds (the wall clock, as the store's
 * obtained_at/expires_at are), so it is table-tested without a clock. */
#ifndef MK_BROKER_DAEMON_SCHED_H
#define MK_BROKER_DAEMON_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#define MK_SCHED_NEVER INT64_MAX
#define MK_SCHED_BACKOFF_FIRST 5    /* seconds after the first failure */
#define MK_SCHED_BACKOFF_MAX 600    /* while the current token is still valid */
#define MK_SCHED_BACKOFF_EXPIRED 60 /* once it has expired: come back sooner */

/* The first moment mk_policy_should_refresh() says yes for a token obtained
 * at obtained_at that expires at expires_at: expires_at - min(margin,
 * lifetime / 2). MK_SCHED_NEVER for a token of unknown lifetime
 * (expires_at <= 0). */
int64_t mk_sched_due(int64_t obtained_at, int64_t expires_at, unsigned margin);

/* Seconds to wait after the failures-th consecutive failure (failures >= 1):
 * MK_SCHED_BACKOFF_FIRST doubling, capped at cap, with "equal jitter": a
 * value in [d/2, d] picked by rnd (any 32-bit random number), so that many
 * accounts failing together do not come back together. */
unsigned mk_sched_backoff(unsigned failures, unsigned cap, uint32_t rnd);

/* The next moment the loop must wake: the earliest of a and b, never later
 * than now + max_sleep, never before now. */
int64_t mk_sched_earliest(int64_t a, int64_t b);
int64_t mk_sched_wake(int64_t now, int64_t next, unsigned max_sleep);

#endif
