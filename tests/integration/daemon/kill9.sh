#!/usr/bin/env bash
# daemon_kill9: kill -9 of the daemon at random moments during refreshes
# (MK_KILL9_ROUNDS rounds, default 40), each followed by a restart. The
# store stays intact (every account's record decrypts after every kill),
# every restart answers, and the daemon carries on refreshing. A kill between
# the provider's answer and the store write loses the rotated refresh token
# and with it the grant (the provider revokes a grant whose retired refresh
# token comes back; nothing can defer SIGKILL): those are counted and
# reported, and the daemon must then say so (ERR 77), not pretend.
. "$(dirname "$0")/lib.sh"
for n in a b c; do account $n "$MK_CLIENT_ID"; done
for n in a b c; do grant $n "$MK_CLIENT_ID" || bad "grant $n"; done
rounds=${MK_KILL9_ROUNDS:-40}
MK=$MK SOCK=$SOCK STORE_SHOW=$build/tests/tools/mk-store-show STATE_DIR=$MAILKEY_STATE_DIR \
	COUNTS=$MK_OP_ADMIN/counts OPLOG=$MK_OP_LOG DLOG=$DLOG python3 "$here/kill9.py" --rounds "$rounds" --account a --others b c \
	--regrant "MK='$MK' MAILKEY_CONFIG='$MAILKEY_CONFIG' MAILKEY_STATE_DIR='$MAILKEY_STATE_DIR' '$top/tests/servers/get-token' '$work/srv' --client '$MK_CLIENT_ID' | '$MK' import a --force" \
	>"$work/kill9.json" 2>"$work/kill9.err"
check "the driver ran ($(tail -3 "$work/kill9.err" | tr '\n' ' '))" test $? = 0
res=$(tail -1 "$work/kill9.json")
echo "figures: $res"
get() { printf %s "$res" | json "$1"; }
check "all $rounds rounds ran ($(get '.get("rounds")'))" test "$(get '.get("rounds")')" = "$rounds"
check "the daemon restarted every time ($(get '.get("no_start")') failed starts)" test "$(get '.get("no_start")')" = 0
check "every record of the store read back after every kill ($(get '.get("store_unreadable")'))" \
	test "$(get '.get("store_unreadable")')" = "[]"
mid=$(($(get '["window"]') + $(get '["unanswered"]') + $(get '["before"]')))
check "at least a third of the kills landed before the answer ($mid of $rounds)" test $mid -ge $((rounds / 3))
check "at least 5 kills came after the provider had the request ($(($(get '["window"]') + $(get '["unanswered"]'))))" \
	test $(($(get '["window"]') + $(get '["unanswered"]'))) -ge 5
check "after each restart the daemon carried on refreshing ($(get '["carry_on_failed"]'))" \
	test "$(get '["carry_on_failed"]')" = "[]"
check "no grant was lost outside the window ($(get '["lost_unexplained"]'))" test "$(get '["lost_unexplained"]')" = 0
check "each kill in the window was reported as a lost grant (ERR 77) ($(get '["lost_seen"]') of $(get '["window"]'))" \
	test "$(get '["lost_seen"]')" = "$(get '["window"]')"
check "every kill was classified (none unexplained: $(get '["odd"]'))" test "$(get '["odd"]')" = 0
check "the last refresh succeeded ($(get '["final"]'))" test "$(get '["final"]')" = OK
check "the last daemon exited 0 on SIGTERM ($(get '["final_exit"]'))" test "$(get '["final_exit"]')" = 0
echo "kills after the request reached the provider and before the store write: $(get '["window"]') of $rounds (grants lost: $(get '["lost_seen"]'));" \
	"of them $(get '["window_before_reply"]') before the provider's answer, $(get '["window_after_reply"]') between its answer and the store write"
echo "temporary files left by the kills: $(find "$MAILKEY_STATE_DIR" -name '*.tmp*' | wc -l)"
finish
