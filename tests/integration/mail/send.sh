#!/usr/bin/env bash
# mailkey send against the real Postfix (Dovecot SASL, LMTP delivery):
# both mechanisms, STARTTLS and implicit TLS, the delivered bytes compared
# with what was sent, -t with Bcc, msmtp using `mailkey token`, a refused
# token, and certificates that must not be trusted.
. "$(dirname "$0")/../broker/lib.sh"
seed() { # account user
	"$top/tests/servers/get-token" "$work/srv" --user "$2" | json '["access_token"]' |
		"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" "$1" 3600
}
cat >>"$MAILKEY_CONFIG" <<CFG
[account xo]
provider = generic
issuer = $MK_OP_ISSUER
user = $MK_USER1
client_id = $MK_CLIENT_ID
cafile = $MK_CA_FILE
smtp = localhost:$MK_SMTP_PORT
smtp_tls = starttls
mech = xoauth2

[account ob]
provider = generic
issuer = $MK_OP_ISSUER
user = $MK_USER1
client_id = $MK_CLIENT_ID
cafile = $MK_CA_FILE
smtp = localhost:$MK_SMTPS_PORT
mech = oauthbearer

CFG
seed xo "$MK_USER1"
seed ob "$MK_USER1"

# Find bob's delivered copy by subject and compare its message part.
delivered() { # subject -> path
	local f
	for _ in $(seq 1 100); do
		f=$(grep -l -- "^Subject: $1\$" "$MK_MAIL_ROOT/$2/Maildir/new/"* 2>/dev/null | head -1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.1
	done
	return 1
}
same_bytes() { # original delivered: the body byte for byte (line ends as the
	# server stores them, LF) and every header line (servers add Date, Message-ID)
	python3 - "$1" "$2" <<'PY'
import sys
orig = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n").replace(b"\r", b"\n")
head, body = orig.split(b"\n\n", 1)
got = open(sys.argv[2], "rb").read()
ghead, gbody = got.split(b"\n\n", 1)
ok = gbody == body and all(line in ghead.split(b"\n") for line in head.split(b"\n"))
sys.exit(0 if ok else 1)
PY
}
u=$(date +%s%N)

# 1. STARTTLS + XOAUTH2: dot lines, 8-bit text, mixed line ends.
{
	printf 'From: %s\nTo: %s\nSubject: xo %s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n' "$MK_USER1" "$MK_USER2" "$u"
	printf '.a line starting with a dot\n..two dots\n.\nGrüße aus Köln, naïve café\r\nCRLF line\rbare CR line\nend\n'
} >"$work/m1.eml"
"$MK" send --account xo "$MK_USER2" <"$work/m1.eml" 2>"$work/e1"
check "send over STARTTLS with XOAUTH2 exits 0 ($?)" test $? = 0 -o -z "$(cat "$work/e1")"
f=$(delivered "xo $u" "$MK_USER2")
check "delivered to bob" test -n "$f"
check "delivered bytes equal the sent message (dots, 8-bit, line ends)" same_bytes "$work/m1.eml" "$f"

# 2. Implicit TLS + OAUTHBEARER with a 10 MB attachment.
{
	printf 'From: %s\nTo: %s\nSubject: ob %s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain\n\nsee attached\n--XX\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n' "$MK_USER1" "$MK_USER2" "$u"
	head -c 7500000 /dev/urandom | base64 -w 76
	printf -- '--XX--\n'
} >"$work/m2.eml"
"$MK" send --account ob "$MK_USER2" <"$work/m2.eml" 2>"$work/e2"
rc=$?
check "send over implicit TLS with OAUTHBEARER, $(($(stat -c %s "$work/m2.eml") / 1000000)) MB, exits 0 ($rc)" test $rc = 0
f=$(delivered "ob $u" "$MK_USER2")
check "the 10 MB message arrives byte for byte" same_bytes "$work/m2.eml" "$f"

# 3. -t: recipients from To/Cc/Bcc; the Bcc line is not delivered.
printf 'From: %s\nTo: Bob <%s>\nBcc: %s\nSubject: t %s\n\nhidden copy\n' "$MK_USER1" "$MK_USER2" "$MK_USER1" "$u" >"$work/m3.eml"
"$MK" -vv send --account xo -t <"$work/m3.eml" 2>"$work/e3"
check "send -t exits 0 ($?)" test $? = 0
check "MAIL and both RCPTs went in one pipelined write (RFC 2920)" grep -q 'C: MAIL FROM:<.*RCPT TO:<.*RCPT TO:<' "$work/e3"
fb=$(delivered "t $u" "$MK_USER2")
fa=$(delivered "t $u" "$MK_USER1")
check "-t delivered to the To and the Bcc recipient" test -n "$fb" -a -n "$fa"
check "no Bcc header in the delivered copy" sh -c "! grep -q '^Bcc:' '$fb'"

# 4. msmtp (Debian) with passwordeval "mailkey token".
umask 077
cat >"$work/msmtprc" <<RC
account xo
host localhost
port $MK_SMTP_PORT
tls on
tls_starttls on
tls_trust_file $MK_CA_FILE
auth xoauth2
user $MK_USER1
from $MK_USER1
passwordeval MAILKEY_CONFIG=$MAILKEY_CONFIG MAILKEY_STATE_DIR=$MAILKEY_STATE_DIR $MK token xo
account default : xo
RC
umask 022
printf 'From: %s\nTo: %s\nSubject: msmtp %s\n\nvia msmtp\n' "$MK_USER1" "$MK_USER2" "$u" | msmtp -C "$work/msmtprc" "$MK_USER2"
check "msmtp sends with auth xoauth2 and passwordeval mailkey token ($?)" test $? = 0
check "and it is delivered" test -n "$(delivered "msmtp $u" "$MK_USER2")"

# 5. A refused token: the error challenge is answered, the server's reason
# shown, and exit 77 (no refresh token to fall back on). Own source address:
# Dovecot delays the next login from an address that just failed one.
cat >>"$MAILKEY_CONFIG" <<CFG
[account bad]
provider = generic
issuer = $MK_OP_ISSUER
user = $MK_USER1
client_id = $MK_CLIENT_ID
cafile = $MK_CA_FILE
smtp = localhost:$MK_SMTP_PORT
smtp_tls = starttls
mech = xoauth2
source_address = 127.0.0.7

CFG
printf 'not-a-valid-token\n' | "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" bad 3600
printf 'Subject: never\n\nx\n' | "$MK" -vv send --account bad "$MK_USER2" 2>"$work/e5"
rc=$?
check "a refused token exits 77 ($rc)" test $rc = 77
check "the server's 535 reason is shown" grep -q "535" "$work/e5"
check "the error challenge was decoded (status 401)" grep -q "status 401" "$work/e5"
check "and answered with an empty line, AUTH redacted in the trace" \
	sh -c "grep -q 'C: AUTH XOAUTH2 <redacted>' '$work/e5' && ! grep -q 'not-a-valid-token' '$work/e5'"

# 6. Certificates that must not be trusted.
(cd "$work" && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=other CA" -keyout o.key -out other-ca.pem \
	-addext basicConstraints=critical,CA:TRUE 2>/dev/null)
sed "s|^cafile = $MK_CA_FILE|cafile = $work/other-ca.pem|" "$MAILKEY_CONFIG" >"$work/config-other"
printf 'Subject: x\n\nx\n' | MAILKEY_CONFIG=$work/config-other "$MK" send --account ob "$MK_USER2" 2>"$work/e6"
rc=$?
check "a server certificate from another CA is refused (exit 75, $rc)" \
	sh -c "test $rc = 75 && grep -q 'cannot be trusted' '$work/e6'"
(cd "$work" && openssl req -newkey rsa:2048 -nodes -subj "/CN=wrong.example" -keyout w.key -out w.csr 2>/dev/null &&
	printf 'subjectAltName=DNS:wrong.example\n' >w.ext &&
	openssl x509 -req -in w.csr -CA "$MK_CA_FILE" -CAkey "$MK_CA_KEY" -CAcreateserial -days 1 -extfile w.ext -out w.pem 2>/dev/null)
wport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl s_server -quiet -accept "127.0.0.1:$wport" -cert "$work/w.pem" -key "$work/w.key" >/dev/null 2>&1 &
spid=$!
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$wport") 2>/dev/null && break; sleep 0.1; done
sed "s|^smtp = localhost:$MK_SMTPS_PORT|smtp = localhost:$wport|" "$MAILKEY_CONFIG" >"$work/config-wrong"
printf 'Subject: x\n\nx\n' | MAILKEY_CONFIG=$work/config-wrong "$MK" send --account ob "$MK_USER2" 2>"$work/e7"
rc=$?
kill $spid 2>/dev/null
check "a certificate for another host name is refused (exit 75, $rc)" \
	sh -c "test $rc = 75 && grep -q 'cannot be trusted' '$work/e7' && grep -qi 'CN' '$work/e7'"
finish
