#!/usr/bin/env bash
# POP3 fault catalogue: a server that does not offer STLS, or refuses it,
# never gets a token: mailkey stops before AUTH, which the fake's record of
# received lines shows.
. "$(dirname "$0")/../lib.sh"

run() { # mode
	# A fresh token each time: a refused login leaves the account needing one.
	printf 'fake-token-for-faults\n' | "$build/tests/tools/mk-store-seed" "$w/state" fake 3600
	start_fake "$top/tests/faults/pop3/fake_pop3.py" "$1"
	printf '[account fake]\nprovider = generic\nissuer = https://unused.example\nuser = a@example.test\nclient_id = x\npop3 = localhost:%s\npop3_tls = starttls\ncafile = %s\ntimeout = 3\nmech = xoauth2\n' \
		"$port" "$w/ca.pem" >"$MAILKEY_CONFIG"
	"$MK" fetch fake --pop3 --maildir "$w/md" >"$w/out" 2>"$w/err"
	rc=$?
	wait
}
run nostls
check "no STLS in CAPA: exit 69, says it will not send a token in the clear ($rc)" \
	sh -c "test $rc = 69 && grep -q 'does not offer STLS; refusing to send a token in the clear' '$w/err'"
check "the server got CAPA and no AUTH" sh -c "grep -q '^CAPA' '$w/port.rec' && ! grep -qi '^AUTH' '$w/port.rec'"
run stlserr
check "STLS answered -ERR: exit 69, the server's words shown ($rc)" \
	sh -c "test $rc = 69 && grep -q 'STLS refused: -ERR not now' '$w/err'"
check "the server got STLS and no AUTH" sh -c "grep -q '^STLS' '$w/port.rec' && ! grep -qi '^AUTH' '$w/port.rec'"
finish "pop3 faults"
