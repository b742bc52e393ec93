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
rc=$?
check "send over STARTTLS with XOAUTH2 exits 0 ($rc: $(cat "$work/e1"))" test $rc = 0
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
rc=$?
check "send -t exits 0 ($rc)" test $rc = 0
check "MAIL and both RCPTs went in one pipelined write (RFC 2920)" grep -q 'C: MAIL FROM:<.*RCPT TO:<.*RCPT TO:<' "$work/e3"
fb=$(delivered "t $u" "$MK_USER2")
fa=$(delivered "t $u" "$MK_USER1")
check "-t delivered to the To and the Bcc recipient" test -n "$fb" -a -n "$fa"
check "no Bcc header in the delivered copy" sh -c "! grep -q '^Bcc:' '$fb'"
# Postfix's cleanup drops Bcc by itself, so the delivered copy proves little:
# look at what mailkey put on the wire (the trace of the DATA write, CRLF
# shown as \x0d\x0a).
grep -a '^mailkey: trace: C: From: ' "$work/e3" >"$work/e3.data"
check "the DATA mailkey sent is in the trace, with To and the body" \
	sh -c "grep -q 'Subject: t $u' '$work/e3.data' && grep -q 'To: Bob <$MK_USER2>' '$work/e3.data' && grep -q 'hidden copy' '$work/e3.data'"
check "and it has no Bcc line (stripped by mailkey, not by Postfix)" sh -c "! grep -qi 'bcc' '$work/e3.data'"

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
# shown. There is no refresh token to fall back on, but the token has not
# expired, so the refusal may be the server failing to reach the provider:
# exit 75 (a sendmail caller keeps the mail), naming mailkey login. Own source address:
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
check "a refused, unexpired token without a refresh token exits 75 ($rc)" test $rc = 75
check "and names mailkey login" grep -q 'mailkey login bad' "$work/e5"
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
check "and the hint names the cafile that was given, not 'set cafile' ($(cat "$work/e6"))" \
	sh -c "grep -qF 'not in cafile $work/other-ca.pem' '$work/e6' && ! grep -q 'set cafile' '$work/e6'"
printf 'Subject: cafile %s\n\nx\n' "$u" | MAILKEY_CONFIG=$work/config-other "$MK" --cafile "$MK_CA_FILE" send --account ob "$MK_USER2" 2>"$work/e6b"
rc=$?
check "--cafile overrides the account's cafile for the mail connection too (exit $rc: $(cat "$work/e6b"))" test $rc = 0
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

# 7. Servers named by address. The test servers' certificate has
# IP:127.0.0.1, which Mbed TLS 2.28 does not match by itself.
sed -e "s|^smtp = localhost:$MK_SMTP_PORT|smtp = 127.0.0.1:$MK_SMTP_PORT|" \
	-e "s|^smtp = localhost:$MK_SMTPS_PORT|smtp = 127.0.0.1:$MK_SMTPS_PORT|" "$MAILKEY_CONFIG" >"$work/config-ip"
printf 'From: %s\nSubject: ip %s\n\nby address\n' "$MK_USER1" "$u" |
	MAILKEY_CONFIG=$work/config-ip "$MK" send --account xo "$MK_USER2" 2>"$work/e8"
rc=$?
check "smtp = 127.0.0.1:PORT (STARTTLS) is trusted through its IP SAN (exit $rc: $(cat "$work/e8"))" test $rc = 0
check "and delivered" test -n "$(delivered "ip $u" "$MK_USER2")"
printf 'From: %s\nSubject: ips %s\n\nby address\n' "$MK_USER1" "$u" |
	MAILKEY_CONFIG=$work/config-ip "$MK" send --account ob "$MK_USER2" 2>"$work/e9"
rc=$?
check "smtp = 127.0.0.1:PORT (implicit TLS) too (exit $rc: $(cat "$work/e9"))" test $rc = 0
# A certificate from the right CA whose CN is 127.0.0.1 but whose only SAN is
# DNS:localhost: an address is matched against IP SANs only, never the CN.
ipcert() { # name subject san
	(cd "$work" && openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null &&
		printf 'subjectAltName=%s\n' "$3" >"$1.ext" &&
		openssl x509 -req -in "$1.csr" -CA "$MK_CA_FILE" -CAkey "$MK_CA_KEY" -CAcreateserial -days 1 \
			-extfile "$1.ext" -out "$1.pem" 2>/dev/null)
}
tls_probe() { # cert host -> $work/probe.err, rc: mailkey against openssl s_server on host
	local port spid
	port=$(python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$2")
	openssl s_server -quiet -accept "[$2]:$port" -cert "$work/$1.pem" -key "$work/$1.key" >/dev/null 2>&1 &
	spid=$!
	for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/$2/$port") 2>/dev/null && break; sleep 0.1; done
	printf '[account probe]\nprovider = generic\nissuer = %s\nuser = %s\nclient_id = x\ncafile = %s\nsmtp = %s:%s\ntimeout = 2\n' \
		"$MK_OP_ISSUER" "$MK_USER1" "$MK_CA_FILE" "$([ "$2" = ::1 ] && echo "[::1]" || echo "$2")" "$port" >"$work/config-probe"
	printf 'x\n' | "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" probe 3600
	printf 'Subject: x\n\nx\n' | MAILKEY_CONFIG=$work/config-probe "$MK" -vv send --account probe "$MK_USER2" 2>"$work/probe.err"
	rc=$?
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
}
ipcert cnonly "/CN=127.0.0.1" "DNS:localhost"
tls_probe cnonly 127.0.0.1
check "a certificate with CN=127.0.0.1 and no IP SAN is refused for 127.0.0.1 (exit 75, $rc)" \
	sh -c "test $rc = 75 && grep -q 'does not list the address 127.0.0.1' '$work/probe.err'"
check "and the error says what is missing, not 'set cafile'" \
	sh -c "grep -q 'IP:127.0.0.1 is needed' '$work/probe.err' && ! grep -q 'set cafile' '$work/probe.err'"
ipcert other "/CN=x" "IP:127.0.0.2,DNS:localhost"
tls_probe other 127.0.0.1
check "an IP SAN for another address does not match (exit 75, $rc)" \
	sh -c "test $rc = 75 && grep -q 'does not list the address 127.0.0.1' '$work/probe.err'"
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	ipcert v6 "/CN=x" "IP:::1"
	tls_probe v6 ::1
	check "[::1] with a certificate for IP:::1: the handshake succeeds ($(grep -a 'TLS with' "$work/probe.err"))" \
		grep -q 'TLS with ::1: TLSv1' "$work/probe.err"
	ipcert v6no "/CN=::1" "IP:127.0.0.1"
	tls_probe v6no ::1
	check "[::1] with a certificate for IP:127.0.0.1 only is refused (exit 75, $rc)" \
		sh -c "test $rc = 75 && grep -q 'does not list the address ::1' '$work/probe.err'"
else
	bad "IPv6 loopback ::1 is not available here, so the IPv6 address check cannot run"
fi
finish
