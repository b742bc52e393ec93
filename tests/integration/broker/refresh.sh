#!/usr/bin/env bash
# Refresh against the real oidc-provider with 20-second tokens: ahead of
# expiry, with rotation, two processes at once, a revoked grant (77), and the
# token endpoint down (75, store untouched).
. "$(dirname "$0")/lib.sh"
account short "$MK_SHORT_CLIENT_ID" "notify_command = echo \"\$MAILKEY_ACCOUNT\" >$work/notified"
# Wait until `mailkey status` reports the account in a state, at most
# SECONDS (no fixed sleep: the token's own clock decides).
wait_state() { # account state seconds
	local end=$((SECONDS + $3))
	while [ $SECONDS -le $end ]; do
		[ "$("$MK" status "$1" --json 2>/dev/null | json '[0]["state"]' 2>/dev/null)" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}
BROWSER=$(browser approve "$work/page.json") "$MK" login short --timeout 60 2>"$work/login.err"
check "login with the 20-second client" test $? = 0
t1=$("$MK" token short)
check "a second call hands out the same token (no refresh)" test "$("$MK" token short)" = "$t1"
# The fast front end serves a valid token (and the plain sasl string) itself:
# with mailkey-core made unrunnable it must still answer, and the same as core.
check "the front end serves token without mailkey-core" test "$(MAILKEY_CORE=/bin/false "$MK" token short)" = "$t1"
s_core=$("$MK-core" sasl short --mech xoauth2)
check "the front end serves sasl without mailkey-core, as core would" \
	test -n "$s_core" -a "$(MAILKEY_CORE=/bin/false "$MK" sasl short --mech xoauth2)" = "$s_core"
before=$(counts | json '["byGrant"].get("refresh_token", 0)')
check "the token becomes due for a refresh at half its lifetime" wait_state short refresh-due $((MK_SHORT_TTL + 5))
t2=$("$MK" token short)
after=$(counts | json '["byGrant"].get("refresh_token", 0)')
check "a token past half its lifetime is refreshed first" test -n "$t2" -a "$t2" != "$t1"
check "exactly one refresh request was made (before $before, after $after)" test $((after - before)) = 1
check "the refreshed token is active" test "$(printf %s "$t2" | introspect)" = True

# Two `mailkey token` processes that find the token due at the same moment:
# one refreshes, the other waits for and uses its result; the rotated refresh
# token is not lost (oidc-provider revokes the whole grant when an old one is
# replayed, so a lost update would surface as invalid_grant below).
check "the new token becomes due in turn" wait_state short refresh-due $((MK_SHORT_TTL + 5))
before=$(counts | json '["byGrant"].get("refresh_token", 0)')
"$MK" token short >"$work/c1" & p1=$!
"$MK" token short >"$work/c2" & p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
after=$(counts | json '["byGrant"].get("refresh_token", 0)')
check "both concurrent token calls succeed ($r1, $r2)" test "$r1$r2" = 00
check "they print the same new token" sh -c "test -s '$work/c1' && cmp -s '$work/c1' '$work/c2' && ! grep -qF -- '$t2' '$work/c1'"
check "single flight: one refresh request for two processes ($((after - before)))" test $((after - before)) = 1
"$MK" refresh short
check "the stored refresh token still works afterwards" test $? = 0
t3=$("$MK" token short)
check "and its access token is active" test "$(printf %s "$t3" | introspect)" = True

# A revoked grant: needs consent, exit 77, and the message names the fix.
rt_revoke() {
	curl -sS -o /dev/null -w '%{http_code}' "$MK_OP_ISSUER/token/revocation" \
		--data-urlencode "client_id=$MK_SHORT_CLIENT_ID" --data-urlencode "token@-"
}
check "the provider revoked the grant" test "$(printf %s "$t3" | rt_revoke)" = 200
check "the revoked token introspects inactive" test "$(printf %s "$t3" | introspect)" = False
"$MK" refresh short 2>"$work/revoked.err"
rc=$?
check "refresh of a revoked grant exits 77 (got $rc)" test $rc = 77
check "the message says to run mailkey login" grep -q "mailkey login short" "$work/revoked.err"
"$MK" status short --json >"$work/st.json"
check "notify_command ran once with the account name" test "$(cat "$work/notified" 2>/dev/null)" = short
check "status shows needs-consent" test "$(json '[0]["state"]' <"$work/st.json")" = needs-consent
"$MK" token short >/dev/null 2>&1
check "token now exits 77 without asking the provider" test $? = 77
# Token endpoint down (the provider stopped): exit 75, the store byte for
# byte as it was, and a token that is still valid keeps being handed out.
account alice "$MK_CLIENT_ID"
BROWSER=$(browser approve "$work/page2.json") "$MK" login alice --timeout 60 2>/dev/null
check "login of a second account" test $? = 0
ta=$("$MK" token alice)
# Before a refresh the record is written back once as it is (the store must
# take a write before the provider rotates anything), so compare what it
# holds, not its bytes.
held() { "$build/tests/tools/mk-store-show" --token "$MAILKEY_STATE_DIR" alice; "$build/tests/tools/mk-store-show" "$MAILKEY_STATE_DIR" alice; }
sum=$(held 2>&1 | sha256sum)
kill -TERM "$(awk '$1=="op"{print $2}' "$work/srv/pids")"
op_down() { ! curl -s -o /dev/null --max-time 1 "$MK_OP_ISSUER/.well-known/openid-configuration"; }
for _ in $(seq 1 50); do op_down && break; sleep 0.1; done
check "the provider is down" op_down
"$MK" refresh alice 2>"$work/down.err"
rc=$?
check "token endpoint down gives exit 75 (got $rc)" test $rc = 75
check "the message says what failed" grep -q "cannot reach" "$work/down.err"
check "the store holds the same tokens and no new error" test "$(held 2>&1 | sha256sum)" = "$sum"
check "the current token is still handed out" test "$("$MK" token alice)" = "$ta"
check "no secret in any error output" sh -c "! grep -qF -e '$t3' -e '$ta' '$work'/*.err"
finish
