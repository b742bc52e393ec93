#!/usr/bin/env bash
# Signals at random moments during `mailkey refresh` against the real
# oidc-provider, which rotates refresh tokens and revokes the whole grant when
# a retired one comes back. A SIGTERM or SIGINT that lands after the request
# went out must wait until the rotated token is stored: after every signal the
# next refresh must succeed (no invalid_grant), for 100 of each signal.
# SIGKILL cannot be deferred; tests/tools/kill-bench measures it.
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
	python3 "$top/tests/tools/kill_refresh.py" --signal $sig --count "${MK_KILL_ROUNDS:-100}" ${MK_KILL_MAX_MS:+--max-ms $MK_KILL_MAX_MS} \
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
check "no temporary store files are left behind" sh -c "! ls '$MAILKEY_STATE_DIR' | grep -q '\\.tmp\\.'"
finish
