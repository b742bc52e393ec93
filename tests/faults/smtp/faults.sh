#!/usr/bin/env bash
# SMTP fault catalogue: one tiny fake server per fault; each must give the
# right exit status and message, and nothing may be reported sent.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
MK=$build/broker/mailkey
w=$(mktemp -d /tmp/mk-faults.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$w"' EXIT
pass=0 failn=0
check() { local d=$1; shift; if "$@"; then echo "ok   - $d"; pass=$((pass + 1)); else echo "FAIL - $d"; failn=$((failn + 1)); fi; }

# A CA and a localhost certificate for the fake's TLS.
(cd "$w" && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=fault CA" -keyout ca.key -out ca.pem \
	-addext basicConstraints=critical,CA:TRUE 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout srv.key -out srv.csr 2>/dev/null &&
	printf 'subjectAltName=DNS:localhost\n' >ext && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
	-CAcreateserial -days 1 -extfile ext -out srv.pem 2>/dev/null) || { echo "0 passed, 1 failed"; exit 1; }
export MAILKEY_CONFIG=$w/config MAILKEY_STATE_DIR=$w/state
printf 'fake-token-for-faults\n' | "$build/tests/tools/mk-store-seed" "$w/state" fake 3600

run() { # mode -> sets rc, err
	rm -f "$w/port"
	python3 "$top/tests/faults/smtp/fake_smtp.py" "$1" "$w/port" "$w/srv.pem" "$w/srv.key" &
	for _ in $(seq 1 50); do [ -s "$w/port" ] && break; sleep 0.1; done
	printf '[account fake]\nprovider = generic\nissuer = https://unused.example\nuser = a@example.test\nclient_id = x\nsmtp = localhost:%s\nsmtp_tls = starttls\ncafile = %s\ntimeout = 3\nmech = xoauth2\n' \
		"$(cat "$w/port")" "$w/ca.pem" >"$MAILKEY_CONFIG"
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
echo "smtp faults: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
