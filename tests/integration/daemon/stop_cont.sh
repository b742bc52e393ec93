#!/usr/bin/env bash
# daemon_stop_cont: a laptop that sleeps past expiry. The daemon is stopped
# (SIGSTOP) until its token has expired, then continued (SIGCONT): within 5 s
# it has refreshed (the provider counts one more) and hands out a fresh
# token that the provider calls active. Twice, so that the second time the
# daemon's timers are the ones it set after the first wake-up.
export MK_SHORT_TTL=${MK_SHORT_TTL:-8}
. "$(dirname "$0")/lib.sh"
account a "$MK_SHORT_CLIENT_ID"
grant a
check "a real grant is imported" test $? = 0
start_daemon
check "the daemon answers ping" test $? = 0
for round in 1 2; do
	old=$(ask_ok "MK1 token a")
	check "round $round: a token before the stop" test -n "$old"
	exp=$(dstatus a expires_at)
	kill -STOP "$dpid"
	# Past its expiry, and past a whole lifetime, so that a refresh the
	# daemon had scheduled is overdue too.
	wait_until $(((MK_SHORT_TTL + 3) * 10 + 50)) sh -c "[ \$(date +%s) -gt $((${exp%.*} + 2)) ]"
	check "round $round: the token has expired ($(date +%s) > $exp)" test "$(active "$old")" = False
	r0=$(refreshes)
	kill -CONT "$dpid"
	secs=$(wait_refreshes "$r0" 10)
	check "round $round: refreshed within 5 s of SIGCONT (${secs}s)" le "$secs" 5
	check "round $round: the provider counts the refresh" test "$(refreshes)" -gt "$r0"
	new=$(ask_ok "MK1 token a")
	check "round $round: the daemon answers with a fresh token" test -n "$new" -a "$new" != "$old"
	check "round $round: it is active" test "$(active "$new")" = True
	tok=$("$MK" token a)
	check "round $round: mailkey token prints an active token" test "$(active "$tok")" = True
done
check "no refresh failed at the provider ($(refresh_errors))" test "$(refresh_errors)" = 0
stop_daemon
check "SIGTERM: the daemon exits 0" test $? = 0
finish
