#!/usr/bin/env bash
# daemon_storm: a refresh storm. MK_STORM_N (default 1000) clients ask the
# daemon for the token of an account whose token has expired, all at once,
# while the provider is held (SIGSTOP) so that every one of them is waiting
# on the same refresh. Then the provider goes on: exactly one token-endpoint
# request (the provider's counts), every client answered OK, the last one
# within 1 s of the provider's reply (the timestamp of its log line).
. "$(dirname "$0")/lib.sh"
n=${MK_STORM_N:-1000}
load=$build/tests/integration/mk-daemon-load
account s "$MK_CLIENT_ID" "token_endpoint = $MK_OP_ISSUER/token"
"$top/tests/servers/get-token" "$work/srv" --client "$MK_CLIENT_ID" >"$work/grant.json"
check "a real grant" test $? = 0
# The grant's access token, stored as expired 60 s ago with its refresh token.
json '["access_token"] + "\n" + d["refresh_token"]' <"$work/grant.json" |
	"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" s -60
check "seeded as expired" test -n "$(stored_token s)"
reset_counts
op=$(op_pid)
kill -STOP "$op"
start_daemon
check "with the provider stopped the daemon still starts and answers ping" test $? = 0
"$load" storm "$SOCK" "MK1 token s" "$n" >"$work/storm.out" 2>"$work/storm.err" &
lp=$!
wait_until 300 grep -q '^sent$' "$work/storm.out"
check "all $n requests were sent" grep -q '^sent$' "$work/storm.out"
sleep 0.5
kill -CONT "$op"
wait_until 300 sh -c "! kill -0 $lp 2>/dev/null"
wait $lp
rc=$?
res=$(tail -1 "$work/storm.out")
echo "figures: $res"
get() { printf %s "$res" | json "$1"; }
check "the storm client ended ($rc; $(head -c 200 "$work/storm.err"))" test -n "$res"
check "all $n answered OK ($(get '.get("ok")') OK, $(get '.get("err")') ERR, $(get '.get("no_answer")') no answer, $(get '.get("connect_failed")') could not connect)" \
	test "$(get '.get("ok")')" = "$n"
c=$(counts)
check "exactly one token-endpoint request ($(printf %s "$c" | json '["token"]'))" test "$(printf %s "$c" | json '["token"]')" = 1
check "and it was a successful refresh ($(printf %s "$c" | json '["byGrant"]'))" \
	test "$(printf %s "$c" | json '["byGrant"].get("refresh_token", 0)')" = 1
reply=$(grep ' POST /token .*grant_type=refresh_token' "$MK_OP_LOG" | tail -1 | cut -d' ' -f1)
lag=$(python3 -c "
import datetime, sys
r = datetime.datetime.fromisoformat('${reply:-1970-01-01T00:00:00.000}'.replace('Z', '+00:00')).timestamp()
print('%.3f' % ($(get '.get("last", 0)') - r))")
check "every answer within 1 s of the provider's reply (last one $lag s after it)" le "$lag" 1
tok=$(stored_token s)
check "the stored token is the new one, and active" test "$tok" != "$(json '["access_token"]' <"$work/grant.json")" -a "$(active "$tok")" = True
check "the daemon is still running" daemon_alive
stop_daemon
check "SIGTERM: the daemon exits 0" test $? = 0
finish
