#!/usr/bin/env bash
# IMAP fault catalogue: one tiny fake server per fault; each must give the
# right exit status and message, and nothing may be reported fetched.
. "$(dirname "$0")/../lib.sh"

run() { # mode
	# A fresh token each time: byefetch leaves the account needing a login.
	printf 'fake-token-for-faults\n' | "$build/tests/tools/mk-store-seed" "$w/state" fake 3600
	start_fake "$top/tests/faults/imap/fake_imap.py" "$1"
	printf '[account fake]\nprovider = generic\nissuer = https://unused.example\nuser = a@example.test\nclient_id = x\nimap = localhost:%s\nimap_tls = starttls\ncafile = %s\ntimeout = 3\nmech = xoauth2\n' \
		"$port" "$w/ca.pem" >"$MAILKEY_CONFIG"
	"$MK" fetch fake --maildir "$w/md" >"$w/out" 2>"$w/err"
	rc=$?
	wait
}
run garbage
check "garbage greeting: exit 76 ($rc)" sh -c "test $rc = 76 && grep -q 'malformed IMAP' '$w/err'"
run bye
check "BYE greeting: exit 75, the server's words shown ($rc)" sh -c "test $rc = 75 && grep -q 'too many connections' '$w/err'"
run longline
check "over-long line: exit 76 ($rc)" sh -c "test $rc = 76 && grep -q 'longer than' '$w/err'"
run hang
check "a server that hangs: exit 75 after the timeout ($rc)" sh -c "test $rc = 75 && grep -q 'did not answer in time' '$w/err'"
run inject
check "bytes injected after the STARTTLS reply: exit 76 ($rc)" sh -c "test $rc = 76 && grep -q 'possible injection' '$w/err'"
run hugeliteral
check "a literal larger than the bound: exit 76, nothing stored ($rc)" \
	sh -c "test $rc = 76 && grep -q 'literal larger than' '$w/err' && test -z \"\$(ls '$w/md/new')\""
run byefetch
check "BYE in mid-session: refresh tried; no refresh token, unexpired token: exit 75 naming both ($rc)" \
	sh -c "test $rc = 75 && grep -q 'ended the session: Session expired' '$w/err' && grep -q 'mailkey login fake' '$w/err' && test -z \"\$(ls '$w/md/new')\""
run nostarttls
check "no STARTTLS in the capabilities: exit 69, says it will not send a token in the clear ($rc)" \
	sh -c "test $rc = 69 && grep -q 'does not offer STARTTLS; refusing to send a token in the clear' '$w/err'"
check "the fake got no AUTHENTICATE" sh -c "test -f '$w/port.rec' && ! grep -qi 'AUTHENTICATE' '$w/port.rec'"
run starttlsno
check "STARTTLS answered NO [UNAVAILABLE]: exit 75, the server's words shown ($rc)" \
	sh -c "test $rc = 75 && grep -q 'STARTTLS failed: NO not now' '$w/err'"
check "the fake got STARTTLS and no AUTHENTICATE" \
	sh -c "grep -q ' STARTTLS' '$w/port.rec' && ! grep -qi 'AUTHENTICATE' '$w/port.rec'"
# No SASL-IR: the token goes in a second step of its own, which the trace
# must show redacted, in clear and in base64.
printf 'fake-token-for-faults\n' | "$build/tests/tools/mk-store-seed" "$w/state" fake 3600
start_fake "$top/tests/faults/imap/fake_imap.py" nosaslir
printf '[account fake]\nprovider = generic\nissuer = https://unused.example\nuser = a@example.test\nclient_id = x\nimap = localhost:%s\nimap_tls = starttls\ncafile = %s\ntimeout = 3\nmech = xoauth2\n' \
	"$port" "$w/ca.pem" >"$MAILKEY_CONFIG"
"$MK" -vv check fake >"$w/out" 2>"$w/err"
rc=$?
wait
b64=$(printf 'user=a@example.test\001auth=Bearer fake-token-for-faults\001\001' | base64 -w0)
check "no SASL-IR: the login works in two steps (exit $rc)" sh -c "test $rc = 0 && grep -q '^imap .* OK' '$w/out'"
check "the fake got the response on a line of its own" grep -qx "$b64"$'\r' "$w/port.rec"
check "the trace shows the second step redacted" grep -q 'C: <redacted>' "$w/err"
check "and neither the token nor its base64 form" \
	sh -c "! grep -qF 'fake-token-for-faults' '$w/err' && ! grep -qF '$b64' '$w/err' && ! grep -qF '${b64:8:40}' '$w/err'"
finish "imap faults"
