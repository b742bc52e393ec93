#include "broker/policy.h"

bool mk_policy_should_refresh(int64_t now, int64_t obtained_at, int64_t expires_at, unsigned margin)
{
	int64_t lifetime, m = margin;

	if (expires_at <= 0)
		return false;
	lifetime = expires_at - obtained_at;
	if (lifetime > 0 && m > lifetime / 2)
		m = lifetime / 2;
	return now >= expires_at - m;
}

bool mk_policy_is_expired(int64_t now, int64_t expires_at)
{
	return expires_at > 0 && now >= expires_at;
}
