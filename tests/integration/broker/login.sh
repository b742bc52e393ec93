#!/usr/bin/env bash
# mailkey login through a real browser (headless Chromium) against the real
# oidc-provider: success, denied consent, a forged callback, then the token.
. "$(dirname "$0")/lib.sh"
account alice "$MK_CLIENT_ID"

# A forged callback (wrong state) first: refused, and the flow goes on.
cat >"$work/browser-forge" <<SH
#!/bin/sh
cb=\$(python3 -c 'import sys,urllib.parse as u; print(u.parse_qs(u.urlsplit(sys.argv[1]).query)["redirect_uri"][0])' "\$1")
curl -s -o "$work/forged.html" -w '%{http_code}' "\$cb?code=stolen&state=forged" >"$work/forged.status"
exec node "$top/tests/browser/consent.mjs" --user "$MK_USER1" --url "\$1" >"$work/page.json" 2>&1
SH
chmod +x "$work/browser-forge"
BROWSER=$work/browser-forge "$MK" login alice --timeout 60 2>"$work/login.err"
rc=$?
check "login exits 0 after consent (got $rc)" test $rc = 0
check "forged callback with a wrong state got HTTP 400" test "$(cat "$work/forged.status")" = 400
check "forged callback shows the 'does not belong' page" grep -q "does not belong to the current login" "$work/forged.html"
wait_file "$work/page.json"
check "browser shows the success page" grep -q "mailkey is connected" "$work/page.json"
check "progress line shown while waiting" grep -q "waiting for consent in your browser" "$work/login.err"
tok=$("$MK" token alice)
check "mailkey token prints a token" test -n "$tok"
check "the provider's introspection calls it active" test "$(printf %s "$tok" | introspect)" = True
check "the account record is 0600" test "$(stat -c %a "$MAILKEY_STATE_DIR/accounts/alice.tok")" = 600
check "the state dir is 0700" test "$(stat -c %a "$MAILKEY_STATE_DIR")" = 700
check "the token is not in the store in clear" sh -c "! grep -qF -- '$tok' '$MAILKEY_STATE_DIR/accounts/alice.tok'"
# The SASL strings mailkey prints log in to the real Dovecot.
"$MK" sasl alice --mech xoauth2 | python3 "$top/tests/integration/broker/imap_sasl.py" "$MK_IMAPS_PORT" "$MK_CA_FILE" XOAUTH2 >"$work/sasl1.out"
check "mailkey sasl --mech xoauth2 logs in to Dovecot IMAPS" test $? = 0
"$MK" sasl alice --host 127.0.0.1 --port "$MK_IMAPS_PORT" |
	python3 "$top/tests/integration/broker/imap_sasl.py" "$MK_IMAPS_PORT" "$MK_CA_FILE" OAUTHBEARER >"$work/sasl2.out"
check "mailkey sasl (account default: OAUTHBEARER) logs in to Dovecot IMAPS" test $? = 0
printf 'dXNlcj1hbGljZUBleGFtcGxlLnRlc3QBYXV0aD1CZWFyZXIgbm9wZQEB\n' |
	python3 "$top/tests/integration/broker/imap_sasl.py" "$MK_IMAPS_PORT" "$MK_CA_FILE" XOAUTH2 127.0.0.9 >"$work/sasl3.out"
check "and a wrong token in the same framing is refused (the check can fail)" \
	sh -c "test $? = 1 && grep -q AUTHENTICATIONFAILED '$work/sasl3.out'"
"$MK" status --json >"$work/status.json"
check "status --json says valid" test "$(json '[0]["state"]' <"$work/status.json")" = valid

# Denied consent: the error page, exit 77, nothing stored.
account bobdeny "$MK_CLIENT_ID"
BROWSER=$(browser deny "$work/deny.json") "$MK" login bobdeny --timeout 60 2>"$work/deny.err"
rc=$?
check "denied consent exits 77 (got $rc)" test $rc = 77
wait_file "$work/deny.json"
check "browser shows the 'not granted' page" grep -q "Access was not granted" "$work/deny.json"
check "the error names the refusal" grep -q "declined" "$work/deny.err"
"$MK" token bobdeny >/dev/null 2>"$work/deny-token.err"
rc=$?
check "token for the denied account exits 77 and names the fix (got $rc)" \
	sh -c "test $rc = 77 && grep -q 'mailkey login bobdeny' '$work/deny-token.err'"
finish
