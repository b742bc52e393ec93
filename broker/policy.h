/* The refresh decision, pure (ARCHITECTURE.md "Refresh policy"). */
#ifndef MK_BROKER_POLICY_H
#define MK_BROKER_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* True when a token obtained at obtained_at and expiring at expires_at
 * should be refreshed at time now: less than `margin` seconds left, where
 * the margin is never more than half the token's lifetime (so 20-second test
 * tokens and 1-hour provider tokens both work). A token of unknown lifetime
 * (expires_at 0) is used until a server rejects it. */
bool mk_policy_should_refresh(int64_t now, int64_t obtained_at, int64_t expires_at, unsigned margin);

/* True when the access token can no longer be used at all. */
bool mk_policy_is_expired(int64_t now, int64_t expires_at);

#endif
