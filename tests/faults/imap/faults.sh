#!/usr/bin/env bash
# IMAP fault catalogue: one tiny fake server per fault; each must give the
# right exit status and message, and nothing may be reported fetched.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
MK=$build/broker/mailkey
w=$(mktemp -d /tmp/mk-ifaults.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$w"' EXIT
pass=0 failn=0
check() { local d=$1; shift; if "$@"; then echo "ok   - $d"; pass=$((pass + 1)); else echo "FAIL - $d"; failn=$((failn + 1)); fi; }
(cd "$w" && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=fault CA" -keyout ca.key -out ca.pem \
	-addext basicConstraints=critical,CA:TRUE 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout srv.key -out srv.csr 2>/dev/null &&
	printf 'subjectAltName=DNS:localhost\n' >ext && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
	-CAcreateserial -days 1 -extfile ext -out srv.pem 2>/dev/null) || { echo "0 passed, 1 failed"; exit 1; }
export MAILKEY_CONFIG=$w/config MAILKEY_STATE_DIR=$w/state
printf 'fake-token-for-faults\n' | "$build/tests/tools/mk-store-seed" "$w/state" fake 3600
run() { # mode
	rm -f "$w/port"
	python3 "$top/tests/faults/imap/fake_imap.py" "$1" "$w/port" "$w/srv.pem" "$w/srv.key" &
	for _ in $(seq 1 50); do [ -s "$w/port" ] && break; sleep 0.1; done
	printf '[account fake]\nprovider = generic\nissuer = https://unused.example\nuser = a@example.test\nclient_id = x\nimap = localhost:%s\nimap_tls = starttls\ncafile = %s\ntimeout = 3\nmech = xoauth2\n' \
		"$(cat "$w/port")" "$w/ca.pem" >"$MAILKEY_CONFIG"
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
echo "imap faults: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
