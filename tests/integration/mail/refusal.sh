#!/usr/bin/env bash
# What mailkey does when a mail server refuses the token, against the real
# servers, with real refresh tokens:
#   1. a refused (revoked) access token plus a valid refresh token: one
#      refresh, a second login, success, for SMTP, IMAP and POP3;
#   2. the grant itself revoked: exit 77 naming `mailkey login`;
#   3. the provider down while the cached token is still valid: Dovecot
#      cannot introspect, the servers refuse (Postfix: 535 5.7.8 "reason
#      unavailable"), the refresh cannot reach the token endpoint: exit 75
#      (try later, the caller keeps the mail), never 77; `check` says "temp"
#      for each protocol.
. "$(dirname "$0")/../broker/lib.sh"
grant() { # -> "access refresh" of a new grant for alice
	"$top/tests/servers/get-token" "$work/srv" --user "$MK_USER1" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["access_token"], d["refresh_token"])'
}
revoke() { # token on stdin
	curl -sS -o /dev/null -w '%{http_code}' "$MK_OP_ISSUER/token/revocation" \
		--data-urlencode "client_id=$MK_CLIENT_ID" --data-urlencode "token@-"
}
seed() { # account access refresh: the store says the access token is good for an hour
	printf '%s\n%s\n' "$2" "$3" |
		"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" "$1" 3600 "$MK_OP_ISSUER/token"
}
stored_access() { "$MK" token "$1" 2>/dev/null; }
refreshes() { counts | json '["byGrant"].get("refresh_token", 0)'; }
# Each account logs in from its own address: Dovecot delays the next login
# from an address that just failed one.
acct() { # name source_address
	printf '[account %s]\nprovider = generic\nissuer = %s\nuser = %s\nclient_id = %s\ncafile = %s\nsmtp = localhost:%s\nsmtp_tls = starttls\nimap = localhost:%s\npop3 = localhost:%s\nmech = xoauth2\ntimeout = 20\nsource_address = %s\n\n' \
		"$1" "$MK_OP_ISSUER" "$MK_USER1" "$MK_CLIENT_ID" "$MK_CA_FILE" "$MK_SMTP_PORT" "$MK_IMAPS_PORT" \
		"$MK_POP3S_PORT" "$2" >>"$MAILKEY_CONFIG"
}
u=$(date +%s%N)
msg() { printf 'From: %s\nTo: %s\nSubject: %s %s\n\nbody\n' "$MK_USER1" "$MK_USER1" "$1" "$u"; }
delivered() { # subject
	for _ in $(seq 1 100); do
		grep -qs -- "^Subject: $1 $u\$" "$MK_MAIL_ROOT/$MK_USER1/Maildir/new/"* && return 0
		sleep 0.1
	done
	return 1
}

# --- 1. A refused token with a valid refresh token: refresh once, log in again.
n=10
for p in smtp imap pop3; do
	n=$((n + 1))
	acct "r$p" "127.0.0.$n"
	read -r old _ < <(grant)
	check "$p: the old grant's token is revoked at the provider" test "$(printf %s "$old" | revoke)" = 200
	read -r _ rt < <(grant)
	seed "r$p" "$old" "$rt"
done
r0=$(refreshes)
msg retry | "$MK" -v send --account rsmtp "$MK_USER1" 2>"$work/rs.err"
rc=$?
check "smtp: a refused token with a refresh token: send exits 0 ($rc)" test $rc = 0
check "smtp: it said it refreshed and tried again" grep -q "refreshing it and trying once more" "$work/rs.err"
check "smtp: and the message is delivered" delivered retry
r1=$(refreshes)
check "smtp: exactly one refresh at the provider ($r0 -> $r1)" test "$r1" = $((r0 + 1))
tok=$(stored_access rsmtp)
check "smtp: the store holds the new access token" test -n "$tok" -a "$tok" != "$old"
"$MK" -v fetch rimap --maildir "$work/md-imap" >"$work/ri.out" 2>"$work/ri.err"
rc=$?
r2=$(refreshes)
check "imap: fetch with a refused token and a refresh token exits 0 ($rc)" test $rc = 0
check "imap: it said it refreshed and tried again" grep -q "refreshing it and trying once more" "$work/ri.err"
check "imap: exactly one refresh ($r1 -> $r2)" test "$r2" = $((r1 + 1))
"$MK" -v fetch rpop3 --pop3 --maildir "$work/md-pop3" >"$work/rp.out" 2>"$work/rp.err"
rc=$?
r3=$(refreshes)
check "pop3: fetch --pop3 with a refused token and a refresh token exits 0 ($rc)" test $rc = 0
check "pop3: it said it refreshed and tried again" grep -q "refreshing it and trying once more" "$work/rp.err"
check "pop3: exactly one refresh ($r2 -> $r3)" test "$r3" = $((r2 + 1))

# --- 2. The grant is gone (revoked with all its tokens): 77, log in again.
acct gone 127.0.0.21
read -r at rt < <(grant)
seed gone "$at" "$rt"
check "the whole grant is revoked" test "$(printf %s "$rt" | revoke)" = 200
msg gone | "$MK" send --account gone "$MK_USER1" 2>"$work/g.err"
rc=$?
check "send with a revoked grant exits 77 ($rc)" test $rc = 77
check "and says to run mailkey login gone" grep -q "mailkey login gone" "$work/g.err"
"$MK" fetch gone --maildir "$work/md-gone" 2>"$work/g2.err"
rc=$?
check "fetch with a revoked grant exits 77 ($rc)" test $rc = 77
"$MK" check gone --json >"$work/g3.json" 2>"$work/g3.err"
rc=$?
check "check with a revoked grant exits 77 ($rc)" test $rc = 77
check "and reports needs-consent, exit 77, for each protocol ($(cat "$work/g3.json"))" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if len(d) == 3 and all(not e["ok"] and e["error"] == "needs-consent" and e["exit"] == 77 for e in d) else 1)' "$work/g3.json"

# --- 3. The provider is down, the cached token still valid for the store.
# One account per command, each from its own address (Dovecot's penalty).
read -r at rt < <(grant)
n=21
for a in down downi downp downc downj; do
	n=$((n + 1))
	acct "$a" "127.0.0.$n"
	seed "$a" "$at" "$rt"
done
msg up | "$MK" send --account down "$MK_USER1"
check "with the provider up, the token works (exit $?)" delivered up
oppid=$(awk '$1 == "op" { print $2 }' "$work/srv/pids")
kill "$oppid"
for _ in $(seq 1 50); do kill -0 "$oppid" 2>/dev/null || break; sleep 0.1; done
check "the provider is stopped" sh -c "! kill -0 $oppid 2>/dev/null"
msg down | "$MK" send --account down "$MK_USER1" 2>"$work/d1.err"
rc=$?
check "send: provider down, server refuses: exit 75, not 77 ($rc: $(cat "$work/d1.err"))" test $rc = 75
"$MK" fetch downi --maildir "$work/md-down" 2>"$work/d2.err"
rc=$?
check "fetch (IMAP): exit 75 ($rc: $(cat "$work/d2.err"))" test $rc = 75
"$MK" fetch downp --pop3 --maildir "$work/md-down" 2>"$work/d3.err"
rc=$?
check "fetch --pop3: exit 75 ($rc: $(cat "$work/d3.err"))" test $rc = 75
"$MK" check downc >"$work/d4.out" 2>"$work/d4.err"
rc=$?
check "check: exit 75 ($rc)" test $rc = 75
check "check says temp for each protocol ($(cat "$work/d4.out"))" \
	test "$(grep -cE '^(imap|smtp|pop3) .*FAILED \(temporary, exit 75\)' "$work/d4.out")" = 3
"$MK" check downj --json >"$work/d5.json" 2>"$work/d5.err"
rc=$?
check "check --json: exit 75 ($rc)" test $rc = 75
check "check --json says temp for each protocol ($(cat "$work/d5.json"))" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if len(d) == 3 and all(not e["ok"] and e["error"] == "temporary" and e["exit"] == 75 for e in d) else 1)' "$work/d5.json"
finish
