#!/usr/bin/env bash
# daemon_refresh: with 20 s tokens and nobody asking, `mailkey daemon` keeps
# the grant fresh by itself: over about three lifetimes the provider counts
# its refreshes (about one per half lifetime: at least 3, and no storm), none
# fails, and a `mailkey token` at random moments always prints a token the
# provider's introspection calls active.
export MK_SHORT_TTL=${MK_SHORT_TTL:-20}
. "$(dirname "$0")/lib.sh"
account a "$MK_SHORT_CLIENT_ID"
grant a
check "a real grant is imported" test $? = 0
start_daemon
check "the daemon answers ping" test $? = 0
reset_counts
t0=$(date +%s)
span=$((MK_SHORT_TTL * 3 + 5))
asked=0 inactive=0 failed=0
# Random moments: a caller every 0.5..3 s.
while [ $(($(date +%s) - t0)) -lt $span ]; do
	sleep "$(python3 -c 'import random; print(round(random.uniform(0.5, 3), 2))')"
	tok=$("$MK" token a 2>>"$work/token.err")
	rc=$?
	asked=$((asked + 1))
	if [ $rc != 0 ] || [ -z "$tok" ]; then
		failed=$((failed + 1))
	elif [ "$(active "$tok")" != True ]; then
		inactive=$((inactive + 1))
	fi
done
r=$(refreshes)
# Refreshing at half the lifetime: span / (ttl / 2) refreshes, give or take.
check "the daemon refreshed on its own over ${span}s ($r refreshes; want 3..$((span * 2 / MK_SHORT_TTL + 3)))" \
	test "$r" -ge 3 -a "$r" -le $((span * 2 / MK_SHORT_TTL + 3))
check "no refresh failed at the provider ($(refresh_errors))" test "$(refresh_errors)" = 0
check "every one of $asked callers got a token ($failed failed: $(head -c 300 "$work/token.err"))" test $failed = 0
check "every token printed was active at the provider ($inactive inactive of $asked)" test $inactive = 0
check "at least 15 callers asked ($asked)" test $asked -ge 15
check "the daemon is still running" daemon_alive
check "its status says ok" test "$(dstatus a state)" = ok
stop_daemon
check "SIGTERM: the daemon exits 0" test $? = 0
finish
