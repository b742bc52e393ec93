#!/usr/bin/env bash
# daemon_signals:
# - SIGHUP re-reads the configuration: an account added to the file is served
#   without a restart (before: ERR 64 unknown account), one removed is gone.
# - SIGTERM while a refresh is in flight (the provider held with SIGSTOP, so
#   the request is out and unanswered): the daemon does not exit until the
#   provider has answered and the rotated tokens are stored; it then exits 0,
#   and the stored refresh token is the live one (the next refresh works).
. "$(dirname "$0")/lib.sh"
account a "$MK_CLIENT_ID"
grant a "$MK_CLIENT_ID"
check "a real grant for a" test $? = 0
start_daemon
check "the daemon answers ping" test $? = 0
out=$(ask "MK1 token b")
check "b is unknown before the reload ($out)" test "${out:0:7}" = "ERR 64 "
account b "$MK_CLIENT_ID"
grant b "$MK_CLIENT_ID"
check "a real grant for b" test $? = 0
cp "$MAILKEY_CONFIG" "$work/config.ab"
kill -HUP "$dpid"
wait_until 50 sh -c "/usr/bin/python3 '$here/ask.py' '$SOCK' 'MK1 token b' | grep -q '^OK '"
tb=$(ask_ok "MK1 token b")
check "after SIGHUP the daemon serves b" test -n "$tb"
check "  with b's own token" test "$tb" = "$(stored_token b)"
check "  the same process" daemon_alive
check "  and still a" test -n "$(ask_ok "MK1 token a")"
# Remove a again.
python3 - "$MAILKEY_CONFIG" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
open(p, "w").write(re.sub(r"\[account a\].*?\n\n", "", s, flags=re.S))
PY
kill -HUP "$dpid"
wait_until 50 sh -c "/usr/bin/python3 '$here/ask.py' '$SOCK' 'MK1 token a' | grep -q '^ERR 64 '"
out=$(ask "MK1 token a")
check "after another SIGHUP the removed account is gone ($out)" test "${out:0:7}" = "ERR 64 "
# A broken configuration on SIGHUP: the daemon keeps the one it has.
cp "$MAILKEY_CONFIG" "$work/config.b"
printf '[account z]\nprovider = nonsense\n' >>"$MAILKEY_CONFIG"
kill -HUP "$dpid"
sleep 1
check "a broken configuration on SIGHUP does not kill the daemon" daemon_alive
check "  it keeps serving b" test -n "$(ask_ok "MK1 token b")"
cp "$work/config.ab" "$MAILKEY_CONFIG"
kill -HUP "$dpid"
wait_until 50 sh -c "/usr/bin/python3 '$here/ask.py' '$SOCK' 'MK1 token a' | grep -q '^OK '"
check "a is back after the config is fixed" test -n "$(ask_ok "MK1 token a")"

# SIGTERM during an in-flight refresh.
reset_counts
tok0=$(stored_token a)
op=$(op_pid)
kill -STOP "$op"
/usr/bin/python3 "$here/ask.py" --timeout 60 "$SOCK" "MK1 refresh a" >"$work/refresh.out" 2>&1 &
asker=$!
# The request is out once the daemon has a connection to the provider's port.
inflight() { ss -tnpH state established "( dport = :$MK_OP_PORT )" 2>/dev/null | grep -q "pid=$dpid,"; }
wait_until 100 inflight
check "the daemon's refresh request is out (connection to the stopped provider)" inflight
sleep 0.3
kill -TERM "$dpid"
sleep 2
check "2 s after SIGTERM the daemon is still waiting for the provider" daemon_alive
check "  and the store still has the old token" test "$(stored_token a)" = "$tok0"
kill -CONT "$op"
t0=$(now)
wait_until 100 sh -c "! kill -0 $dpid 2>/dev/null"
wait "$dpid"
rc=$?
dpid=
check "once the provider answers, the daemon exits 0 (got $rc, $(python3 -c "print(round($(now) - $t0, 2))") s after SIGCONT)" test $rc = 0
check "the provider counted that refresh as a success ($(counts | json '["byGrant"]'))" test "$(refreshes)" = 1
tok1=$(stored_token a)
check "the rotated tokens were stored before the exit" test -n "$tok1" -a "$tok1" != "$tok0"
check "the stored token is active" test "$(active "$tok1")" = True
wait $asker
check "the caller got an answer (OK, or ERR 75 saying the daemon stops): $(head -c 40 "$work/refresh.out")" \
	grep -qE '^(OK |ERR 75 )' "$work/refresh.out"
start_daemon
check "a new daemon starts" test $? = 0
out=$(ask "MK1 refresh a")
check "and the stored refresh token is the live one: refresh OK (${out:0:20})" test "${out:0:3}" = "OK "
check "no refresh failed at the provider ($(refresh_errors))" test "$(refresh_errors)" = 0
stop_daemon
check "SIGTERM: the daemon exits 0" test $? = 0
finish
