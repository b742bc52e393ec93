#!/usr/bin/env bash
# Signals at random moments during `mailkey refresh` against the real
# oidc-provider, which rotates refresh tokens and revokes the whole grant when
# a retired one comes back. A SIGTERM or SIGINT that lands after the request
# went out must wait until the rotated token is stored: after every signal the
# next refresh must succeed (no invalid_grant), for 100 of each signal.
# SIGKILL cannot be deferred; tests/tools/kill-bench measures it. Last, a
# login with an undecryptable store must fail before any browser starts.
. "$(dirname "$0")/lib.sh"
account short "$MK_SHORT_CLIENT_ID"
relogin() { BROWSER=$(browser approve "$work/page.json") "$MK" login short --timeout 60 2>>"$work/login.err"; }
relogin
check "login" test $? = 0
export -f relogin browser account
export MK work top MK_USER1 MK_OP_ADMIN MK_OP_ISSUER MK_CA_FILE
# The driver spreads the delays over the time one whole refresh takes here
# (tens of ms; more with sanitizers), from process start to exit.
for sig in TERM INT; do
	python3 "$top/tests/tools/kill_refresh.py" --signal $sig --count "${MK_KILL_COUNT:-100}" ${MK_KILL_MAX_MS:+--max-ms $MK_KILL_MAX_MS} \
		--account short --relogin "bash -c relogin" >"$work/kill-$sig.out" 2>"$work/kill-$sig.err"
	check "the SIG$sig driver ran" test $? = 0
	cat "$work/kill-$sig.out"
	head -5 "$work/kill-$sig.err"
	res=$(tail -1 "$work/kill-$sig.out")
	get() { printf %s "$res" | json "[\"$1\"]"; }
	check "SIG$sig: no grant lost ($(get lost) of $(get landed_mid_refresh) mid-refresh)" test "$(get lost)" = 0
	check "SIG$sig: no other failure" test "$(get other_errors)" = 0
	# Without signals landing mid-refresh the test proves nothing.
	check "SIG$sig: at least 10 signals landed mid-refresh ($(get landed_mid_refresh))" \
		test "$(get landed_mid_refresh)" -ge 10
done
"$MK" refresh short
check "the grant still refreshes at the end" test $? = 0
check "no temporary store files are left behind" sh -c "! find '$MAILKEY_STATE_DIR' -name '*.tmp.*' | grep -q ."

# A login with a store it could not write (here: another key) must stop
# before anyone is sent to the browser, not after consent.
sum=$(sha256sum "$MAILKEY_STATE_DIR/accounts/short.tok")
cp "$MAILKEY_STATE_DIR/store.key" "$work/store.key.good"
head -c 32 /dev/urandom >"$MAILKEY_STATE_DIR/store.key"
cat >"$work/browser-record" <<SH
#!/bin/sh
echo called >>"$work/browser-called"
exec "$(browser approve "$work/page-bad.json")" "\$1"
SH
chmod +x "$work/browser-record"
BROWSER=$work/browser-record "$MK" login short --timeout 30 2>"$work/badkey.err"
rc=$?
check "login with an undecryptable store exits 65 (got $rc)" test $rc = 65
check "no browser was started" test ! -e "$work/browser-called"
check "the message names the store and says nothing was started" \
	sh -c "grep -qF '$MAILKEY_STATE_DIR/accounts/short.tok' '$work/badkey.err' && grep -q 'nothing was started' '$work/badkey.err'"
check "the store is untouched" test "$(sha256sum "$MAILKEY_STATE_DIR/accounts/short.tok")" = "$sum"
cp "$work/store.key.good" "$MAILKEY_STATE_DIR/store.key"
"$MK" refresh short
check "with the key back the grant still refreshes" test $? = 0
finish
