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
check "bytes injected after the STARTTLS reply: exit 76, no AUTH sent ($rc)" \
	sh -c "test $rc = 76 && grep -q 'possible injection' '$w/err'"
run dropdata
check "connection dropped mid-DATA: exit 75, not reported sent ($rc)" \
	sh -c "test $rc = 75 && grep -q 'may not have been accepted' '$w/err' && ! test -s '$w/out'"
finish "smtp faults"
