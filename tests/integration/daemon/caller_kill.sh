#!/usr/bin/env bash
# daemon_caller_kill: with the daemon running, `mailkey token` callers killed
# with SIGKILL at random moments (MK_KILL_COUNT, at least 200) lose no grant:
# tokens live 6 s, and every other caller asks for a new one (--refresh), so
# that many are killed while the daemon refreshes for them. Afterwards the
# account still refreshes, the token is active, nothing needs consent, and
# the provider saw no failed refresh (a replayed refresh token would be one).
export MK_SHORT_TTL=${MK_SHORT_TTL:-6}
. "$(dirname "$0")/lib.sh"
account a "$MK_SHORT_CLIENT_ID"
grant a
check "a real grant is imported" test $? = 0
start_daemon
check "the daemon answers ping" test $? = 0
reset_counts
n=${MK_KILL_COUNT:-200}
[ "$n" -ge 200 ] || n=200
MK=$MK python3 "$here/kill_callers.py" --count "$n" --min-landed 100 --account a >"$work/kills.json" 2>"$work/kills.err"
check "the driver ran" test $? = 0
res=$(tail -1 "$work/kills.json")
echo "figures: $res"
get() { printf %s "$res" | json "$1"; }
check "at least $n SIGKILLs sent ($(get '.get("kills")'))" test "$(get '.get("kills")')" -ge "$n"
landed=$(get '["landed"]["plain"] + d["landed"]["refresh"]')
check "at least 100 kills landed while the caller ran ($landed: $(get '["landed"]'))" test "$landed" -ge 100
check "at least 40 of them were callers asking the daemon to refresh ($(get '["landed"]["refresh"]'))" \
	test "$(get '["landed"]["refresh"]')" -ge 40
check "callers that finished before their kill all exited 0 ($(get '["bad_exit"]'))" test "$(get '["bad_exit"]')" = "{}"
check "every check in between printed a token ($(get '["checks"]') checks, errors: $(get '["check_errors"]'))" \
	test "$(get '["check_errors"]')" = "[]"
check "no grant lost ($(get '["lost"]'))" test "$(get '["lost"]')" = 0
check "the daemon survived its callers' deaths" daemon_alive
r0=$(refreshes)
check "the provider saw refreshes during the kills ($r0)" test "$r0" -ge 20
check "no refresh failed at the provider ($(refresh_errors))" test "$(refresh_errors)" = 0
# The callers delegated: every refresh the provider saw was the daemon's.
dr=$(grep -c 'refreshed account a ' "$DLOG")
check "the daemon made every one of those refreshes itself ($dr logged, $r0 at the provider)" test "$dr" -ge "$r0"
tok=$("$MK" token a --refresh 2>"$work/last.err")
check "the account still refreshes afterwards ($(head -c 200 "$work/last.err"))" test $? = 0
check "that was a refresh at the provider" test "$(refreshes)" -gt "$r0"
check "its token is active" test "$(active "$tok")" = True
check "the daemon's status is ok, not needs-consent ($(dstatus a state))" test "$(dstatus a state)" = ok
check "no temporary store files are left behind" sh -c "! find '$MAILKEY_STATE_DIR' -name '*.tmp*' | grep -q ."
stop_daemon
check "SIGTERM: the daemon exits 0" test $? = 0
finish
