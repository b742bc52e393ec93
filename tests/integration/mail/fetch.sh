#!/usr/bin/env bash
# mailkey fetch and check against the real Dovecot: messages sent with
# mailkey send come back byte for byte over IMAP (implicit TLS + XOAUTH2,
# STARTTLS + OAUTHBEARER), a second run fetches nothing, check reports each
# login, a refused token is reported with exit 77, curl lists the mailbox
# with a token from mailkey, and the -vv trace never shows a token (in
# clear or base64), also where it goes in a second SASL step.
. "$(dirname "$0")/../broker/lib.sh"
seed() { # account user: the token is also kept in $work/tok.ACCOUNT for the trace checks
	"$top/tests/servers/get-token" "$work/srv" --user "$2" | json '["access_token"]' >"$work/tok.$1"
	"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" "$1" 3600 <"$work/tok.$1"
}
# The trace of a login must show neither the token nor the base64 SASL
# response (XOAUTH2) that carries it.
no_secret() { # trace account user
	local t b64
	t=$(cat "$work/tok.$2")
	b64=$(printf 'user=%s\001auth=Bearer %s\001\001' "$3" "$t" | base64 -w0)
	test -n "$t" && ! grep -qF -e "$t" -e "$b64" -e "${b64:20:40}" "$1"
}
acct() { # name user imap mech [extra]
	printf '[account %s]\nprovider = generic\nissuer = %s\nuser = %s\nclient_id = %s\ncafile = %s\nimap = %s\nsmtp = localhost:%s\nsmtp_tls = starttls\nmech = %s\n%s\n\n' \
		"$1" "$MK_OP_ISSUER" "$2" "$MK_CLIENT_ID" "$MK_CA_FILE" "$3" "$MK_SMTP_PORT" "$4" "${5:-}" >>"$MAILKEY_CONFIG"
}
acct alice "$MK_USER1" "localhost:$MK_IMAPS_PORT" xoauth2
acct bobx "$MK_USER2" "localhost:$MK_IMAPS_PORT" xoauth2 "pop3 = localhost:$MK_POP3S_PORT"
acct bobo "$MK_USER2" "localhost:$MK_IMAP_PORT" oauthbearer "imap_tls = starttls
pop3 = localhost:$MK_POP3_PORT
pop3_tls = starttls"
acct bad "$MK_USER2" "localhost:$MK_IMAPS_PORT" xoauth2 "source_address = 127.0.0.8"
seed alice "$MK_USER1"
seed bobx "$MK_USER2"
seed bobo "$MK_USER2"
printf 'not-a-token\n' | "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" bad 3600

u=$(date +%s%N)
{
	printf 'From: %s\nTo: %s\nSubject: fetch %s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n' "$MK_USER1" "$MK_USER2" "$u"
	printf '.leading dot\nGrüße\n..two\nend\n'
} >"$work/m1.eml"
{
	printf 'From: %s\nTo: %s\nSubject: big %s\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n' "$MK_USER1" "$MK_USER2" "$u"
	head -c 7500000 /dev/urandom | base64 -w 76
} >"$work/m2.eml"
"$MK" send --account alice "$MK_USER2" <"$work/m1.eml"
rc1=$?
"$MK" send --account alice "$MK_USER2" <"$work/m2.eml"
rc2=$?
check "two messages sent with mailkey send (exit $rc1 and $rc2)" test "$rc1.$rc2" = 0.0
for _ in $(seq 1 100); do
	[ "$(ls "$MK_MAIL_ROOT/$MK_USER2/Maildir/new" 2>/dev/null | wc -l)" -ge 2 ] && break
	sleep 0.1
done

"$MK" -vv fetch bobx --maildir "$work/mdx" >"$work/f1" 2>"$work/f1.trace"
rc=$?
check "fetch over IMAPS with XOAUTH2 (exit $rc: $(cat "$work/f1"))" sh -c "test $rc = 0 && grep -q '2 new messages' '$work/f1'"
check "the IMAP trace (-vv) shows AUTHENTICATE redacted" grep -q 'C: a[0-9]* AUTHENTICATE XOAUTH2 <redacted>' "$work/f1.trace"
check "and neither the token nor its base64 form" no_secret "$work/f1.trace" bobx "$MK_USER2"
same() { # original, fetched file: headers present, body identical (LF line ends)
	python3 - "$1" "$2" <<'PY'
import sys
o = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
g = open(sys.argv[2], "rb").read()
oh, ob = o.split(b"\n\n", 1)
gh, gb = g.split(b"\n\n", 1)
sys.exit(0 if gb == ob and all(l in gh.split(b"\n") for l in oh.split(b"\n")) else 1)
PY
}
f1=$(grep -l "^Subject: fetch $u" "$work/mdx/new/"* | head -1)
f2=$(grep -l "^Subject: big $u" "$work/mdx/new/"* | head -1)
check "the text message comes back byte for byte (dots, 8-bit)" same "$work/m1.eml" "$f1"
check "the 10 MB message comes back byte for byte" same "$work/m2.eml" "$f2"
"$MK" fetch bobx --maildir "$work/mdx" >"$work/f2" 2>&1
check "a second run fetches nothing" grep -q "0 new messages" "$work/f2"
check "and the Maildir still has exactly two" test "$(ls "$work/mdx/new" | wc -l)" = 2
printf 'From: %s\nSubject: third %s\n\nthree\n' "$MK_USER1" "$u" | "$MK" send --account alice "$MK_USER2"
rc=$?
check "a third message sent (exit $rc)" test $rc = 0
for _ in $(seq 1 100); do
	[ "$(ls "$MK_MAIL_ROOT/$MK_USER2/Maildir/new" | wc -l)" -ge 3 ] && break
	sleep 0.1
done
"$MK" fetch bobx --maildir "$work/mdx" --json >"$work/f3"
check "a new message is fetched once ($(cat "$work/f3"))" test "$(json '["fetched"]' <"$work/f3")" = 1
"$MK" fetch bobo --maildir "$work/mdo" >"$work/f4" 2>&1
check "fetch over STARTTLS with OAUTHBEARER ($(cat "$work/f4"))" grep -q "3 new messages" "$work/f4"

# What the man page says: IMAP leaves the server's copies unread, POP3's
# RETR makes Dovecot mark them \Seen (S in the Maildir file name's flags).
seen() { find "$MK_MAIL_ROOT/$MK_USER2/Maildir/cur" "$MK_MAIL_ROOT/$MK_USER2/Maildir/new" -type f -name '*:2,*S*' | wc -l; }
check "after the IMAP fetches no server copy is \\Seen ($(seen))" test "$(seen)" = 0
"$MK" -vv fetch bobx --pop3 --maildir "$work/mdp" >"$work/p1" 2>"$work/p1.trace"
rc=$?
check "fetch over POP3S with XOAUTH2 (exit $rc: $(cat "$work/p1"))" sh -c "test $rc = 0 && grep -q '3 new messages' '$work/p1'"
check "after the POP3 fetch the three server copies are \\Seen ($(seen))" test "$(seen)" = 3
check "the POP3 trace (-vv) shows AUTH redacted" grep -q 'C: AUTH XOAUTH2 <redacted>' "$work/p1.trace"
check "and neither the token nor its base64 form" no_secret "$work/p1.trace" bobx "$MK_USER2"
f2=$(grep -l "^Subject: big $u" "$work/mdp/new/"* | head -1)
check "the 10 MB message comes back byte for byte over POP3" same "$work/m2.eml" "$f2"
f1=$(grep -l "^Subject: fetch $u" "$work/mdp/new/"* | head -1)
check "and the dot lines are unstuffed over POP3" same "$work/m1.eml" "$f1"
"$MK" fetch bobx --pop3 --maildir "$work/mdp" >"$work/p2" 2>&1
check "a second POP3 run fetches nothing, STAT counts 3" grep -q "0 new messages.*(3 in the mailbox)" "$work/p2"
"$MK" fetch bobo --pop3 --maildir "$work/mdq" >"$work/p3" 2>&1
check "fetch over POP3 STLS with OAUTHBEARER ($(cat "$work/p3"))" grep -q "3 new messages" "$work/p3"

"$MK" check bobx >"$work/c1" 2>&1
rc=$?
check "check logs in over IMAP, SMTP and POP3 (exit $rc)" \
	sh -c "test $rc = 0 && grep -q '^imap .*OK' '$work/c1' && grep -q '^smtp .*OK' '$work/c1' && grep -q '^pop3 .*OK' '$work/c1'"
"$MK" check bobo >"$work/c3" 2>&1
rc=$?
check "check over STARTTLS/STLS with OAUTHBEARER (exit $rc)" sh -c "test $rc = 0 && test \"\$(grep -c ' OK ' '$work/c3')\" = 3"
"$MK" check bad --json >"$work/c2" 2>&1
rc=$?
check "check with a refused, unexpired token (no refresh token) exits 75 ($rc)" test $rc = 75
check "and names the server's reason" grep -q "AUTHENTICATIONFAILED" "$work/c2"

# The second SASL step (Microsoft's POP3 takes the response only after "+ ",
# so the Microsoft preset never sends an initial response): logged in, and
# the trace shows the step redacted. The preset's servers are overridden.
printf '[account msp]\nprovider = microsoft\nuser = %s\nclient_id = %s\ncafile = %s\npop3 = localhost:%s\nimap = 127.0.0.1:%s\nsmtp = localhost:%s\nsmtp_tls = starttls\n\n' \
	"$MK_USER2" "$MK_CLIENT_ID" "$MK_CA_FILE" "$MK_POP3S_PORT" "$MK_IMAPS_PORT" "$MK_SMTP_PORT" >>"$MAILKEY_CONFIG"
seed msp "$MK_USER2"
"$MK" -vv fetch msp --pop3 --maildir "$work/mdm" >"$work/p4" 2>"$work/p4.trace"
rc=$?
check "POP3 in two steps (AUTH, then the response after \"+ \") logs in (exit $rc: $(cat "$work/p4"))" \
	sh -c "test $rc = 0 && grep -q '3 new messages' '$work/p4'"
check "the trace shows AUTH without a response, \"+ \", then the response redacted" \
	sh -c "grep -A2 'C: AUTH XOAUTH2' '$work/p4.trace' | tr -d '\n' | grep -q 'S: + mailkey: trace: C: <redacted>'"
check "and neither the token nor its base64 form" no_secret "$work/p4.trace" msp "$MK_USER2"
# A server named by address: the certificate's IP:127.0.0.1 SAN is matched.
"$MK" fetch msp --maildir "$work/mdi" >"$work/i1" 2>&1
rc=$?
check "imap = 127.0.0.1:PORT is trusted through the certificate's IP SAN (exit $rc: $(cat "$work/i1"))" \
	sh -c "test $rc = 0 && grep -q '3 new messages' '$work/i1'"

# curl (nobody here wrote it) lists the mailbox with mailkey's token.
curl -sS --cacert "$MK_CA_FILE" "imaps://localhost:$MK_IMAPS_PORT/INBOX" -u "$MK_USER2:" \
	--oauth2-bearer "$("$MK" token bobx)" -X 'SEARCH ALL' >"$work/curl.out"
check "curl --oauth2-bearer \"\$(mailkey token)\" searches the mailbox" grep -qE '^\* SEARCH 1 2 3' "$work/curl.out"
# LIST and APPEND (Dovecot offers LITERAL+, so the literal goes without
# waiting for "+"), then the appended message comes back byte for byte.
"$MK" fetch bobx --list >"$work/list"
check "fetch --list shows INBOX" grep -qx INBOX "$work/list"
{ printf 'From: %s\nSubject: appended %s\n\n' "$MK_USER2" "$u"; head -c 6000 /dev/urandom | base64 -w 60; } >"$work/m4.eml"
"$MK" append bobx <"$work/m4.eml" 2>"$work/a1"
check "append stores a 6 kB message ($(cat "$work/a1"))" grep -q "Stored the message" "$work/a1"
"$MK" fetch bobx --maildir "$work/mdx" >"$work/f5"
f4=$(grep -l "^Subject: appended $u" "$work/mdx/new/"* | head -1)
check "the appended message is fetched back byte for byte" same "$work/m4.eml" "$f4"
"$MK" append bobx --mailbox 'No"Such' <"$work/m4.eml" 2>/dev/null
check "a mailbox name with a quote is refused before anything is sent (exit 64)" test $? = 64
finish
