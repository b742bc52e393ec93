#!/usr/bin/env bash
# The harness's own check, with tools nobody here wrote (curl, msmtp): the
# servers of tests/servers/up in a fresh directory, tokens from oidc-provider
# (code flow and device flow, curl only), IMAP/POP3/SMTP logins with them
# over STARTTLS and implicit TLS verified against the test CA (never -k),
# messages sent through Postfix (curl OAUTHBEARER, msmtp XOAUTH2) and read
# back over IMAP and POP3, and wrong tokens refused. One line per check, then
# "N passed, M failed"; exit 0 only if every check passed.
# MK_KEEP=1 keeps the directory (logs) even on success.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d /tmp/mk-smoke.XXXXXX)
pass=0 failn=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { # description command...
	local d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
finish() {
	"$top/tests/servers/down" "$dir"
	if [ "$failn" -ne 0 ] || [ -n "${MK_KEEP:-}" ]; then
		echo "# servers' logs kept in $dir"
	else
		rm -rf "$dir"
	fi
}
trap finish EXIT

if ! "$top/tests/servers/up" "$dir"; then
	bad "tests/servers/up"
	echo "$pass passed, $failn failed"
	exit 1
fi
# shellcheck disable=SC1091
. "$dir/env"
json() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }
c=(curl -sS --max-time 20 --cacert "$MK_CA_FILE")

# --- the provider
meta=$(curl -sS "$MK_OP_ISSUER/.well-known/oauth-authorization-server")
check "RFC 8414 metadata names the issuer" test "$(json issuer <<<"$meta")" = "$MK_OP_ISSUER"
check "metadata: PKCE S256, iss in authorization responses" \
	grep -q '"code_challenge_methods_supported":\["S256"\].*"authorization_response_iss_parameter_supported":true' <<<"$meta"
resp=$("$top/tests/servers/get-token" "$dir")
AT=$(json access_token <<<"$resp")
check "code flow (curl): access and refresh token for alice" test -n "$AT" -a -n "$(json refresh_token <<<"$resp")"
resp=$("$top/tests/servers/get-token" "$dir" --device --user "$MK_USER2")
BAT=$(json access_token <<<"$resp")
check "device flow (curl): access token for bob" test -n "$BAT"
introspect() { # token on stdin
	curl -sS "$MK_OP_ISSUER/token/introspection" --data-urlencode "client_id=$MK_INTROSPECT_CLIENT_ID" \
		--data-urlencode "client_secret@$MK_INTROSPECT_SECRET_FILE" --data-urlencode "token@-"
}
intro=$(printf %s "$AT" | introspect)
check "introspection: active, email = alice" test "$(json active <<<"$intro")/$(json email <<<"$intro")" = "True/$MK_USER1"

# --- logins (curl always picks OAUTHBEARER when XOAUTH2 is offered too)
check "IMAP STARTTLS login (curl)" \
	"${c[@]}" --ssl-reqd "imap://127.0.0.1:$MK_IMAP_PORT/" -u "$MK_USER1:" --oauth2-bearer "$AT" -o /dev/null
check "IMAPS login (curl)" \
	"${c[@]}" "imaps://127.0.0.1:$MK_IMAPS_PORT/" -u "$MK_USER1:" --oauth2-bearer "$AT" -o /dev/null
check "Dovecot submission STARTTLS login (curl)" \
	"${c[@]}" --ssl-reqd "smtp://127.0.0.1:$MK_DOVECOT_SUBMISSION_PORT" -u "$MK_USER1:" --oauth2-bearer "$AT" -X NOOP -o /dev/null

# --- sending through Postfix
subject="smoke $(date +%s%N)"
printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nhello bob\r\n.leading dot\r\n' "$MK_USER1" "$MK_USER2" "$subject" >"$dir/m1.eml"
check "Postfix submission STARTTLS: send (curl)" "${c[@]}" --ssl-reqd "smtp://127.0.0.1:$MK_SMTP_PORT" \
	-u "$MK_USER1:" --oauth2-bearer "$AT" --mail-from "$MK_USER1" --mail-rcpt "$MK_USER2" -T "$dir/m1.eml"
printf 'From: %s\r\nTo: %s\r\nSubject: %s implicit\r\n\r\nsecond\r\n' "$MK_USER1" "$MK_USER2" "$subject" >"$dir/m2.eml"
check "Postfix submission implicit TLS: send (curl)" "${c[@]}" "smtps://127.0.0.1:$MK_SMTPS_PORT" \
	-u "$MK_USER1:" --oauth2-bearer "$AT" --mail-from "$MK_USER1" --mail-rcpt "$MK_USER2" -T "$dir/m2.eml"

# msmtp with XOAUTH2, the token read by passwordeval from a 0600 file.
(
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
)
printf 'From: %s\r\nTo: %s\r\nSubject: %s msmtp\r\n\r\nvia msmtp\r\n' "$MK_USER1" "$MK_USER2" "$subject" >"$dir/m3.eml"
check "Postfix submission STARTTLS: send (msmtp XOAUTH2, passwordeval, 0600 token file)" \
	msmtp -C "$dir/msmtprc" "$MK_USER2" <"$dir/m3.eml"

# --- reading back. Delivery is asynchronous (Postfix queue -> LMTP).
imap_bob=("${c[@]}" --ssl-reqd -u "$MK_USER2:" --oauth2-bearer "$BAT")
found=0
for _ in $(seq 1 100); do
	found=$("${imap_bob[@]}" "imap://127.0.0.1:$MK_IMAP_PORT/INBOX" -X "SEARCH SUBJECT \"$subject\"" | tr -cd '0-9 ' | wc -w)
	[ "$found" -ge 3 ] && break
	sleep 0.1
done
check "three messages delivered to bob (IMAP SEARCH, got $found)" test "$found" -ge 3
uid=$("${imap_bob[@]}" "imap://127.0.0.1:$MK_IMAP_PORT/INBOX" -X "UID SEARCH SUBJECT \"$subject\"" |
	tr -s ' \r' '\n' | grep -E '^[0-9]+$' | head -1)
body=$("${imap_bob[@]}" "imap://127.0.0.1:$MK_IMAP_PORT/INBOX;UID=${uid:-0}" | tr -d '\r')
check "IMAP read-back: subject" grep -qxF "Subject: $subject" <<<"$body"
check "IMAP read-back: body, dot-stuffed line intact" grep -qx '\.leading dot' <<<"$body"
pop=$("${c[@]}" --ssl-reqd -u "$MK_USER2:" --oauth2-bearer "$BAT" "pop3://127.0.0.1:$MK_POP3_PORT/1" | tr -d '\r')
check "POP3 STLS read-back: subject and body" test "$(grep -cxF -e "Subject: $subject" -e 'hello bob' <<<"$pop")" = 2
pops=$("${c[@]}" -u "$MK_USER2:" --oauth2-bearer "$BAT" "pop3s://127.0.0.1:$MK_POP3S_PORT/")
check "POP3S lists three messages" test "$(grep -c . <<<"$pops")" -ge 3

# --- refusals. Dovecot 2.3 delays every login from an address that just
# failed one (anvil auth penalty, 4-15 s): each negative login comes from its
# own loopback address.
refused() { # expected-exit description curl-args...
	local want=$1 d=$2 rc
	shift 2
	"${c[@]}" "$@" -o /dev/null 2>/dev/null
	rc=$?
	check "$d (curl exit $want, got $rc)" test "$rc" = "$want"
}
refused 67 "IMAP refuses a wrong token" --interface 127.0.0.2 \
	"imaps://127.0.0.1:$MK_IMAPS_PORT/" -u "$MK_USER1:" --oauth2-bearer "not-a-token"
refused 67 "IMAP refuses alice's token for bob" --interface 127.0.0.3 \
	"imap://127.0.0.1:$MK_IMAP_PORT/" --ssl-reqd -u "$MK_USER2:" --oauth2-bearer "$AT"
refused 67 "Postfix refuses a wrong token" --interface 127.0.0.4 --ssl-reqd "smtp://127.0.0.1:$MK_SMTP_PORT" \
	-u "$MK_USER1:" --oauth2-bearer "not-a-token" --mail-from "$MK_USER1" --mail-rcpt "$MK_USER2" -T "$dir/m1.eml"
refused 67 "POP3 refuses a wrong token" --interface 127.0.0.5 \
	"pop3s://127.0.0.1:$MK_POP3S_PORT/" -u "$MK_USER2:" --oauth2-bearer "not-a-token"
refused 60 "TLS without the test CA fails verification" --interface 127.0.0.6 --capath /nonexistent \
	--cacert /etc/ssl/certs/ca-certificates.crt "imaps://127.0.0.1:$MK_IMAPS_PORT/" -u "$MK_USER1:" --oauth2-bearer "$AT"
printf 'not-a-token\n' >"$dir/alice.token"
msmtp -C "$dir/msmtprc" --source-ip=127.0.0.7 "$MK_USER2" <"$dir/m3.eml" >/dev/null 2>&1
rc=$?
check "msmtp XOAUTH2 with a wrong token refused (exit 77, got $rc)" test "$rc" = 77

echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
