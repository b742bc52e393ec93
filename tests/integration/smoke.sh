#!/usr/bin/env bash
# The harness's own check, with tools nobody here wrote (curl, msmtp): a token
# from oidc-provider, IMAP and SMTP logins with it, a message sent through
# Postfix and read back over IMAP and POP3, and a wrong token refused.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d /tmp/mk-smoke.XXXXXX)
pass=0 failn=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { # description, command...
	local d=$1; shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
cleanup() { "$top/tests/servers/down" "$dir"; rm -rf "$dir"; }
trap cleanup EXIT

"$top/tests/servers/up" "$dir" || { echo "0 passed, 1 failed"; exit 1; }
# shellcheck disable=SC1091
. "$dir/env"
json() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
AT=$("$top/tests/servers/get-token" "$dir" | json access_token)
BAT=$("$top/tests/servers/get-token" "$dir" --user "$MK_USER2" | json access_token)
check "oidc-provider issued access tokens" test -n "$AT" -a -n "$BAT"

introspect() {
	curl -sS "$MK_OP_ISSUER/token/introspection" --data-urlencode "client_id=$MK_INTROSPECT_CLIENT_ID" \
		--data-urlencode "client_secret@$MK_INTROSPECT_SECRET_FILE" --data-urlencode "token@-" | json active
}
check "introspection calls the token active" test "$(printf %s "$AT" | introspect)" = True

c=(curl -sS --max-time 20 --cacert "$MK_CA_FILE")
check "IMAP STARTTLS login (curl, OAUTHBEARER)" \
	"${c[@]}" --ssl-reqd "imap://127.0.0.1:$MK_IMAP_PORT/" -u "$MK_USER1:" --oauth2-bearer "$AT" -o /dev/null
check "IMAPS login (curl)" "${c[@]}" "imaps://127.0.0.1:$MK_IMAPS_PORT/" -u "$MK_USER1:" --oauth2-bearer "$AT" -o /dev/null

subject="smoke $(date +%s%N)"
printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nhello bob\r\n.leading dot\r\n' "$MK_USER1" "$MK_USER2" "$subject" >"$dir/m1.eml"
check "SMTP submission STARTTLS send (curl)" "${c[@]}" --ssl-reqd "smtp://127.0.0.1:$MK_SMTP_PORT" \
	-u "$MK_USER1:" --oauth2-bearer "$AT" --mail-from "$MK_USER1" --mail-rcpt "$MK_USER2" -T "$dir/m1.eml"
printf 'From: %s\r\nTo: %s\r\nSubject: %s implicit\r\n\r\nsecond\r\n' "$MK_USER1" "$MK_USER2" "$subject" >"$dir/m2.eml"
check "SMTP implicit TLS send (curl)" "${c[@]}" "smtps://127.0.0.1:$MK_SMTPS_PORT" \
	-u "$MK_USER1:" --oauth2-bearer "$AT" --mail-from "$MK_USER1" --mail-rcpt "$MK_USER2" -T "$dir/m2.eml"

# msmtp with XOAUTH2 (curl always picks OAUTHBEARER) and passwordeval.
umask 077
printf '%s\n' "$AT" >"$dir/alice.token"
cat >"$dir/msmtprc" <<RC
account smoke
host 127.0.0.1
port $MK_SMTP_PORT
tls on
tls_starttls on
tls_trust_file $MK_CA_FILE
auth xoauth2
user $MK_USER1
from $MK_USER1
passwordeval cat $dir/alice.token
logfile $dir/msmtp.log
account default : smoke
RC
umask 022
printf 'From: %s\r\nTo: %s\r\nSubject: %s msmtp\r\n\r\nvia msmtp\r\n' "$MK_USER1" "$MK_USER2" "$subject" >"$dir/m3.eml"
check "SMTP XOAUTH2 send (msmtp, passwordeval)" msmtp -C "$dir/msmtprc" "$MK_USER2" <"$dir/m3.eml"

# Delivery is asynchronous (Postfix queue -> LMTP): wait for all three.
found=0
for _ in $(seq 1 100); do
	found=$("${c[@]}" --ssl-reqd "imap://127.0.0.1:$MK_IMAP_PORT/INBOX" -u "$MK_USER2:" --oauth2-bearer "$BAT" \
		-X "SEARCH SUBJECT \"$subject\"" | tr -cd '0-9 ' | wc -w)
	[ "$found" -ge 3 ] && break
	sleep 0.1
done
check "three messages delivered to bob (IMAP SEARCH)" test "$found" -ge 3

uid=$("${c[@]}" --ssl-reqd "imap://127.0.0.1:$MK_IMAP_PORT/INBOX" -u "$MK_USER2:" --oauth2-bearer "$BAT" \
	-X "UID SEARCH SUBJECT \"$subject\"" | tr -s ' ' '\n' | grep -E '^[0-9]+' | head -1 | tr -d '\r')
body=$("${c[@]}" --ssl-reqd "imap://127.0.0.1:$MK_IMAP_PORT/INBOX;UID=$uid" -u "$MK_USER2:" --oauth2-bearer "$BAT")
check "IMAP read-back has the subject" grep -q "Subject: $subject" <<<"$body"
check "IMAP read-back keeps the dot line" grep -q '^\.leading dot' <<<"$body"
pop=$("${c[@]}" --ssl-reqd "pop3://127.0.0.1:$MK_POP3_PORT/1" -u "$MK_USER2:" --oauth2-bearer "$BAT")
check "POP3 read-back (STLS) has the subject" grep -q "Subject: $subject" <<<"$pop"
pops=$("${c[@]}" "pop3s://127.0.0.1:$MK_POP3S_PORT/" -u "$MK_USER2:" --oauth2-bearer "$BAT")
check "POP3S lists three messages" test "$(grep -c . <<<"$pops")" -ge 3

# Refusals. Each negative login binds its own source address: Dovecot delays
# the next login from an address that just failed one.
"${c[@]}" --interface 127.0.0.2 "imaps://127.0.0.1:$MK_IMAPS_PORT/" -u "$MK_USER1:" --oauth2-bearer "not-a-token" -o /dev/null 2>/dev/null
rc=$?
check "IMAP refuses a wrong token (curl exit 67, got $rc)" test "$rc" = 67
"${c[@]}" --interface 127.0.0.3 "imaps://127.0.0.1:$MK_IMAPS_PORT/" -u "$MK_USER2:" --oauth2-bearer "$AT" -o /dev/null 2>/dev/null
rc=$?
check "IMAP refuses alice's token for bob (curl exit 67, got $rc)" test "$rc" = 67
"${c[@]}" --interface 127.0.0.4 --ssl-reqd "smtp://127.0.0.1:$MK_SMTP_PORT" -u "$MK_USER1:" --oauth2-bearer "not-a-token" \
	--mail-from "$MK_USER1" --mail-rcpt "$MK_USER2" -T "$dir/m1.eml" 2>/dev/null
rc=$?
check "SMTP refuses a wrong token (curl exit 67, got $rc)" test "$rc" = 67
"${c[@]}" --interface 127.0.0.5 --capath /nonexistent --cacert /etc/ssl/certs/ca-certificates.crt \
	"imaps://127.0.0.1:$MK_IMAPS_PORT/" -u "$MK_USER1:" --oauth2-bearer "$AT" -o /dev/null 2>/dev/null
rc=$?
check "TLS verification fails without the test CA (curl exit 60, got $rc)" test "$rc" = 60

echo "smoke: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
