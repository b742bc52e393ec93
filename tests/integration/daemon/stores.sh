#!/usr/bin/env bash
# mailkey asks only the daemon of its own store. A daemon of store A listens
# at the default socket; `mailkey --state-dir B token a` must not print A's
# token for B's account of the same name (it refreshes B itself), while a
# command of store A finds its daemon through STATE/daemon.socket with no
# MAILKEY_SOCKET set, and a stopped daemon delays it by seconds only. No server is needed: the token endpoint is a closed
# port, so every refresh fails for a passing reason.
. "$(dirname "$0")/bare.sh" stores
unset MAILKEY_SOCKET
export XDG_RUNTIME_DIR=$work/run MAILKEY_CONFIG=$work/config
mkdir -m 0700 "$work/run"
printf '[account a]\nprovider = generic\nissuer = http://127.0.0.1:9\nuser = a@example.test\nclient_id = x\n' >"$MAILKEY_CONFIG"
export MK_SEED_TOKEN_ENDPOINT=http://127.0.0.1:9/token
# A: due (8 s left of 108) but valid; B: expired.
printf 'TOKEN-OF-STORE-A-0123456789\nREFRESH-A\n' | MK_SEED_AGE=100 "$build/tests/tools/mk-store-seed" "$work/A" a 8
printf 'TOKEN-OF-STORE-B-0123456789\nREFRESH-B\n' | "$build/tests/tools/mk-store-seed" "$work/B" a -5
MAILKEY_STATE_DIR=$work/A "$MK" daemon 2>"$work/daemon.log" &
dpid=$!
# The record is written just after the socket starts listening: wait for both.
for _ in $(seq 1 100); do [ -S "$work/run/mailkey/socket" ] && [ -s "$work/A/daemon.socket" ] && break; sleep 0.1; done
check "the daemon of store A listens at the default socket" test -S "$work/run/mailkey/socket"
check "it recorded its socket in A/daemon.socket" \
	test "$(cat "$work/A/daemon.socket" 2>/dev/null)" = "$work/run/mailkey/socket"
out=$(MAILKEY_STATE_DIR=$work/B "$MK" token a 2>"$work/errB")
rc=$?
check "store B's expired account is not answered with A's token ($rc, '$out')" \
	sh -c "test $rc = 75 && test -z '$out'"
check "B refreshed by itself (its message names the token endpoint)" grep -q "127.0.0.1:9" "$work/errB"
out=$(MAILKEY_STATE_DIR=$work/B "$MK" --state-dir "$work/B" sasl a 2>/dev/null)
check "nor does sasl for store B print a string" test -z "$out"
out=$(MAILKEY_STATE_DIR=$work/A "$MK" token a 2>"$work/errA")
rc=$?
check "store A's due token comes from its daemon ($rc)" \
	sh -c "test $rc = 0 && test '$out' = TOKEN-OF-STORE-A-0123456789"
check "with no warning of a failed refresh of its own" test ! -s "$work/errA"
grep -q "refreshing account a failed" "$work/daemon.log"
check "the daemon is the one that tried the refresh" test $? = 0
# A stopped daemon costs a caller with a due but valid token a few seconds
# (the quick timeout), not the 90 s a caller with an expired one may wait.
kill -STOP "$dpid"
t0=$(date +%s%N)
out=$(MAILKEY_STATE_DIR=$work/A "$MK" token a 2>/dev/null)
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
kill -CONT "$dpid"
check "daemon stopped: the current token is printed ($rc)" \
	sh -c "test $rc = 0 && test '$out' = TOKEN-OF-STORE-A-0123456789"
check "within 15 s ($ms ms), not after the 90 s timeout" test "$ms" -lt 15000
kill "$dpid" && wait "$dpid"
dpid=
check "a stopped daemon removes its record" test ! -e "$work/A/daemon.socket"
finish
