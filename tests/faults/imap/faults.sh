#!/usr/bin/env bash
# IMAP fault catalogue: one tiny fake server per fault; each must give the
# right exit status and message, and nothing may be reported fetched.
. "$(dirname "$0")/../lib.sh"

run() { # mode
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
check "BYE in mid-session: refresh tried, and with no refresh token: exit 77 naming both ($rc)" \
	sh -c "test $rc = 77 && grep -q 'ended the session: Session expired' '$w/err' && grep -q 'mailkey login fake' '$w/err' && test -z \"\$(ls '$w/md/new')\""
finish "imap faults"
