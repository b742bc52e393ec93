#!/usr/bin/env bash
# SMTP fault catalogue: one tiny fake server per fault; each must give the
# right exit status and message, and nothing may be reported sent.
. "$(dirname "$0")/../lib.sh"

run() { # mode -> sets rc, err
	start_fake "$top/tests/faults/smtp/fake_smtp.py" "$1"
	printf '[account fake]\nprovider = generic\nissuer = https://unused.example\nuser = a@example.test\nclient_id = x\nsmtp = localhost:%s\nsmtp_tls = starttls\ncafile = %s\ntimeout = 3\nmech = xoauth2\n' \
		"$port" "$w/ca.pem" >"$MAILKEY_CONFIG"
	printf 'Subject: fault %s\n\nbody\n' "$1" | "$MK" send b@example.test >"$w/out" 2>"$w/err"
	rc=$?
	wait
}
run greet4xx
check "421 greeting: exit 75, says try later ($rc)" sh -c "test $rc = 75 && grep -q '421' '$w/err'"
run greet5xx
check "554 greeting: exit 69 ($rc)" sh -c "test $rc = 69 && grep -q '554' '$w/err'"
run garbage
check "garbage greeting: exit 76 ($rc)" sh -c "test $rc = 76 && grep -q 'malformed SMTP reply' '$w/err'"
run longline
check "over-long line: exit 76 ($rc)" sh -c "test $rc = 76 && grep -q 'longer than' '$w/err'"
run hang
check "a server that hangs: exit 75 after the timeout ($rc)" sh -c "test $rc = 75 && grep -q 'did not answer in time' '$w/err'"
run inject
check "bytes injected after the STARTTLS reply: exit 76 ($rc)" \
	sh -c "test $rc = 76 && grep -q 'possible injection' '$w/err'"
check "and no AUTH was sent (the fake got EHLO and STARTTLS only)" \
	sh -c "grep -q '^STARTTLS' '$w/port.rec' && ! grep -qi 'AUTH' '$w/port.rec'"
run dropdata
check "connection dropped mid-DATA: exit 75, says it may not have been accepted ($rc)" \
	sh -c "test $rc = 75 && grep -q 'may not have been accepted' '$w/err'"
check "the fake had got as far as DATA" grep -q '^DATA' "$w/port.rec"
run nostarttls
check "no STARTTLS in EHLO: exit 69, says it will not send a token in the clear ($rc)" \
	sh -c "test $rc = 69 && grep -q 'does not offer STARTTLS; refusing to send a token in the clear' '$w/err'"
check "the fake got EHLO and no AUTH" sh -c "grep -q '^EHLO' '$w/port.rec' && ! grep -qi 'AUTH' '$w/port.rec'"
run starttls454
check "STARTTLS answered 454: exit 75, the server's words shown ($rc)" \
	sh -c "test $rc = 75 && grep -q 'STARTTLS refused: 454 4.7.0 TLS not available' '$w/err'"
check "the fake got STARTTLS and no AUTH" sh -c "grep -q '^STARTTLS' '$w/port.rec' && ! grep -qi 'AUTH' '$w/port.rec'"
finish "smtp faults"
