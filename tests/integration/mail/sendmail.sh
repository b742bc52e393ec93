#!/usr/bin/env bash
# mailkey as the system sendmail, against the real Postfix (Dovecot SASL,
# LMTP delivery): a `sendmail` symlink to the front end (and one to
# mailkey-core) with the options callers pass (-t -i -oi -f -F -r -bm -oem
# -odi, attached forms, ignored -oX), the refused modes (exit 64), the
# account chosen by the sender or by default_account (else exit 78), the exit
# codes 75/77/69, and real callers: Python's subprocess and mutt. Every
# delivered copy is read back over IMAP with curl, and the envelope sender
# from its Return-Path (Dovecot LMTP writes MAIL FROM there).
. "$(dirname "$0")/../broker/lib.sh"
mkdir -p "$work/bin"
ln -s "$MK" "$work/bin/sendmail"
SM=$work/bin/sendmail
seed() { # account user
	"$top/tests/servers/get-token" "$work/srv" --user "$2" | json '["access_token"]' |
		"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" "$1" 3600
}
# alice logs in with XOAUTH2 over STARTTLS, bob with OAUTHBEARER over
# implicit TLS: the AUTH line of the trace says which account was used.
cat >"$work/accounts" <<CFG
[account alice]
provider = generic
issuer = $MK_OP_ISSUER
user = $MK_USER1
client_id = $MK_CLIENT_ID
cafile = $MK_CA_FILE
smtp = localhost:$MK_SMTP_PORT
smtp_tls = starttls
mech = xoauth2

[account bob]
provider = generic
issuer = $MK_OP_ISSUER
user = $MK_USER2
client_id = $MK_CLIENT_ID
cafile = $MK_CA_FILE
smtp = localhost:$MK_SMTPS_PORT
mech = oauthbearer

CFG
cp "$work/accounts" "$MAILKEY_CONFIG"
{ printf 'default_account = bob\n\n'; cat "$work/accounts"; } >"$work/config-default"
seed alice "$MK_USER1"
seed bob "$MK_USER2"
# Tokens for reading back over IMAP (curl, OAUTHBEARER).
AT1=$("$top/tests/servers/get-token" "$work/srv" --user "$MK_USER1" | json '["access_token"]')
AT2=$("$top/tests/servers/get-token" "$work/srv" --user "$MK_USER2" | json '["access_token"]')
imap_get() { # user token subject -> the message, CR removed (waits for delivery)
	local uid=
	for _ in $(seq 1 100); do
		uid=$(curl -sS --cacert "$MK_CA_FILE" --ssl-reqd -u "$1:" --oauth2-bearer "$2" \
			"imap://127.0.0.1:$MK_IMAP_PORT/INBOX" -X "UID SEARCH SUBJECT \"$3\"" |
			tr -s ' \r' '\n' | grep -E '^[0-9]+$' | head -1)
		[ -n "$uid" ] && break
		sleep 0.1
	done
	[ -n "$uid" ] || return 1
	curl -sS --cacert "$MK_CA_FILE" --ssl-reqd -u "$1:" --oauth2-bearer "$2" \
		"imap://127.0.0.1:$MK_IMAP_PORT/INBOX;UID=$uid" | tr -d '\r'
}
header() { # name < message -> the field's value, unfolded
	python3 -c 'import email,sys
v = email.message_from_bytes(sys.stdin.buffer.read()).get(sys.argv[1])
print("" if v is None else " ".join(v.split()))' "$1"
}
from_of() { # < message -> "display name|address" of From:, RFC 2047 and quotes decoded
	python3 -c 'import email,email.policy,sys
a = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)["From"].addresses[0]
print(a.display_name + "|" + a.addr_spec)'
}
u=$(date +%s%N)

# 0. mailkey send -f: the envelope sender is -f, not the account's user
# (Postfix's log and the Return-Path of the delivered copy say so).
printf 'From: %s\nSubject: sf %s\n\nx\n' "$MK_USER1" "$u" | "$MK" send --account alice -f "$MK_USER2" "$MK_USER1" 2>"$work/e0"
rc=$?
check "mailkey send -f ADDR exits 0 ($rc)" test $rc = 0
imap_get "$MK_USER1" "$AT1" "sf $u" >"$work/d0"
check "the delivered copy's Return-Path is the -f address" test "$(header Return-Path <"$work/d0")" = "<$MK_USER2>"
check "Postfix logged the -f address as the sender, logged in as alice" \
	sh -c "grep -q 'from=<$MK_USER2>' '$MK_POSTFIX_LOG' && grep -q 'sasl_username=$MK_USER1' '$MK_POSTFIX_LOG'"

# 1. The classic script call: -t -i -oi -f, recipients from To/Cc/Bcc; the
# account is the one whose user is the -f address (alice: XOAUTH2).
printf 'From: %s\nTo: %s\nBcc: %s\nSubject: sm1 %s\n\nline one\n.\nline after a lone dot\n' \
	"$MK_USER1" "$MK_USER2" "$MK_USER1" "$u" >"$work/m1"
"$SM" -t -i -oi -f "$MK_USER1" -v <"$work/m1" 2>"$work/e1"
rc=$?
check "sendmail -t -i -oi -f exits 0 ($rc)" test $rc = 0
check "the account is alice, whose user is the -f address (AUTH XOAUTH2)" grep -q 'C: AUTH XOAUTH2 <redacted>' "$work/e1"
check "MAIL FROM is the -f address" grep -q "C: MAIL FROM:<$MK_USER1>" "$work/e1"
check "no Bcc: line went over the wire" sh -c "! grep -qi '^C: Bcc:' '$work/e1' && ! grep -qi 'Bcc: $MK_USER1' '$work/e1'"
imap_get "$MK_USER2" "$AT2" "sm1 $u" >"$work/d1"
check "delivered to bob (To), read back over IMAP" grep -qxF "Subject: sm1 $u" "$work/d1"
check "a lone dot does not end the message (-i): the line after it arrived" grep -qx 'line after a lone dot' "$work/d1"
check "Return-Path is the -f address" test "$(header Return-Path <"$work/d1")" = "<$MK_USER1>"
imap_get "$MK_USER1" "$AT1" "sm1 $u" >"$work/d1a"
check "delivered to alice (Bcc)" grep -qxF "Subject: sm1 $u" "$work/d1a"

# 2. mutt's defaults: -oem -oi, recipients after --, no -f: the account is
# chosen by the From: address (bob: OAUTHBEARER); -odi, -bm accepted.
printf 'From: Bob <%s>\nTo: %s\nSubject: sm2 %s\n\nhi\n' "$MK_USER2" "$MK_USER1" "$u" |
	"$SM" -oem -odi -bm -oi -v -- "$MK_USER1" 2>"$work/e2"
rc=$?
check "sendmail -oem -odi -bm -oi -- RCPT exits 0 ($rc)" test $rc = 0
check "the account is bob, the From: address (AUTH OAUTHBEARER)" grep -q 'C: AUTH OAUTHBEARER <redacted>' "$work/e2"
imap_get "$MK_USER1" "$AT1" "sm2 $u" >"$work/d2"
check "delivered to alice" grep -qxF "Subject: sm2 $u" "$work/d2"
check "Return-Path is bob's (the account's user)" test "$(header Return-Path <"$work/d2")" = "<$MK_USER2>"

# 3. Attached forms (-fADDR, -rADDR, -FNAME) and bundled letters (-ti).
printf 'To: %s\nSubject: sm3 %s\n\nno From: here\n' "$MK_USER2" "$u" |
	"$SM" -ti "-f$MK_USER1" "-FCron Daemon" 2>"$work/e3"
rc=$?
check "sendmail -ti -fADDR -FNAME exits 0 ($rc)" test $rc = 0
imap_get "$MK_USER2" "$AT2" "sm3 $u" >"$work/d3"
check "-F: the From: field added to a message without one has the name ($(from_of <"$work/d3"))" \
	test "$(from_of <"$work/d3")" = "Cron Daemon|$MK_USER1"
check "-fADDR: Return-Path" test "$(header Return-Path <"$work/d3")" = "<$MK_USER1>"
printf 'Subject: sm4 %s\n\nhello\n' "$u" | "$SM" -r "$MK_USER1" -F 'Jörg "the cron" Müller' "$MK_USER2" 2>"$work/e4"
rc=$?
check "sendmail -r ADDR -F 'non-ASCII name' exits 0 ($rc)" test $rc = 0
imap_get "$MK_USER2" "$AT2" "sm4 $u" >"$work/d4"
check "a non-ASCII -F name arrives as RFC 2047 words" grep -q '^From: =?UTF-8?B?' "$work/d4"
check "that decode to it ($(from_of <"$work/d4"))" test "$(from_of <"$work/d4")" = "Jörg \"the cron\" Müller|$MK_USER1"
check "-r ADDR: Return-Path" test "$(header Return-Path <"$work/d4")" = "<$MK_USER1>"
printf 'Subject: sm4b %s\nFrom: %s\n\nkept\n' "$u" "$MK_USER1" | "$SM" -F 'Not Used' "$MK_USER2" 2>>"$work/e4"
imap_get "$MK_USER2" "$AT2" "sm4b $u" >"$work/d4b"
check "-F leaves an existing From: alone" test "$(header From <"$work/d4b")" = "$MK_USER1"

# 4. Other -o/-O and sendmail options are accepted and ignored (as msmtp).
printf 'From: %s\nSubject: sm5 %s\n\nx\n' "$MK_USER1" "$u" |
	"$SM" -oQ/var/spool -oXfoo -o Kbar -ODeliveryMode=b -B8BITMIME -N never -R hdrs -V envid -h 5 \
		-L label -n -U -m -Ac "$MK_USER2" 2>"$work/e5"
rc=$?
check "unknown -oX, -O, -B, -N, -R, -V, -h N, -L, -n, -U, -m, -Ac are ignored: exit 0 ($rc, $(head -c 200 "$work/e5"))" test $rc = 0
check "and the message arrives" test -n "$(imap_get "$MK_USER2" "$AT2" "sm5 $u")"

# 5. Modes mailkey cannot do: exit 64 with a clear message, nothing read.
for mode in -bs -bd -bp -bi -bv -q -q15m -qR; do
	"$SM" "$mode" </dev/null 2>"$work/e6"
	rc=$?
	check "sendmail $mode is refused with exit 64 ($rc): $(head -1 "$work/e6")" \
		sh -c "test $rc = 64 && grep -q -- 'not supported' '$work/e6'"
done
"$SM" -X /tmp/log "$MK_USER2" </dev/null 2>"$work/e7"
check "an unknown option is refused with exit 64 ($?)" test $? = 64
check "and named" grep -q -- "-X" "$work/e7"
"$SM" -t -f </dev/null 2>"$work/e8"
check "-f without an address: exit 64 ($?)" test $? = 64
"$SM" -f "$MK_USER1> SIZE=1" "$MK_USER2" </dev/null 2>"$work/e9"
check "-f with a space or '>' (MAIL FROM injection): exit 64 ($?)" test $? = 64
"$SM" -F "$(printf 'x\nBcc: evil@example.test')" "$MK_USER2" </dev/null 2>"$work/e10"
check "-F with a line break (header injection): exit 64 ($?)" test $? = 64

# 6. Which account: no -f and no From: with two accounts and no
# default_account is exit 78 naming what to set; default_account picks one;
# the sender's own account still wins over it; --account wins over both.
printf 'Subject: sm7 %s\n\nx\n' "$u" | "$SM" "$MK_USER2" 2>"$work/e11"
rc=$?
check "no account matches the sender: exit 78 ($rc)" test $rc = 78
check "the message names default_account and the config file" \
	sh -c "grep -q 'default_account = NAME' '$work/e11' && grep -qF '$MAILKEY_CONFIG' '$work/e11'"
printf 'Subject: sm7b %s\n\nx\n' "$u" | "$SM" -f carol@example.test "$MK_USER2" 2>"$work/e11b"
rc=$?
check "an unknown -f sender: exit 78 ($rc) naming it" sh -c "test $rc = 78 && grep -q 'carol@example.test' '$work/e11b'"
printf 'Subject: sm8 %s\n\nx\n' "$u" | MAILKEY_CONFIG=$work/config-default "$SM" -v "$MK_USER1" 2>"$work/e12"
rc=$?
check "default_account = bob: exit 0 ($rc), bob's login (OAUTHBEARER)" \
	sh -c "test $rc = 0 && grep -q 'C: AUTH OAUTHBEARER <redacted>' '$work/e12'"
check "and bob is the sender" test "$(imap_get "$MK_USER1" "$AT1" "sm8 $u" | header Return-Path)" = "<$MK_USER2>"
printf 'Subject: sm9 %s\n\nx\n' "$u" | MAILKEY_CONFIG=$work/config-default "$SM" -v -f "$MK_USER1" "$MK_USER2" 2>"$work/e13"
check "with default_account, -f of another account's user picks that account (XOAUTH2)" \
	grep -q 'C: AUTH XOAUTH2 <redacted>' "$work/e13"
printf 'Subject: sm10 %s\n\nx\n' "$u" | "$SM" -v --account bob -f "$MK_USER1" "$MK_USER2" 2>"$work/e14"
check "--account wins over the sender (OAUTHBEARER)" grep -q 'C: AUTH OAUTHBEARER <redacted>' "$work/e14"
{ printf 'default_account = nobody\n\n'; cat "$work/accounts"; } >"$work/config-bad"
printf 'Subject: x\n\nx\n' | MAILKEY_CONFIG=$work/config-bad "$SM" "$MK_USER2" 2>"$work/e15"
rc=$?
check "default_account naming no account: exit 78 ($rc) at line 1" \
	sh -c "test $rc = 78 && grep -q 'config-bad:1:.*default_account = nobody' '$work/e15'"

# 7. Exit codes a sendmail caller acts on: 75 (keep the mail and retry),
# 77 (log in), 69 (refused for good).
cat >>"$MAILKEY_CONFIG" <<CFG
[account down]
provider = generic
issuer = $MK_OP_ISSUER
user = down@example.test
client_id = $MK_CLIENT_ID
cafile = $MK_CA_FILE
smtp = 127.0.0.1:9
smtp_tls = starttls

[account new]
provider = generic
issuer = $MK_OP_ISSUER
user = new@example.test
client_id = $MK_CLIENT_ID
cafile = $MK_CA_FILE
smtp = localhost:$MK_SMTP_PORT
smtp_tls = starttls

CFG
printf 'x\n' | "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" down 3600
printf 'From: down@example.test\nSubject: x\n\nx\n' | "$SM" -t -i "$MK_USER2" 2>"$work/e16"
rc=$?
check "SMTP server unreachable: exit 75, the caller keeps the mail ($rc)" test $rc = 75
printf 'Subject: x\n\nx\n' | "$SM" -f new@example.test "$MK_USER2" 2>"$work/e17"
rc=$?
check "an account never logged in: exit 77 ($rc), naming mailkey login" \
	sh -c "test $rc = 77 && grep -q 'mailkey login new' '$work/e17'"
head -c 42000000 /dev/zero | tr '\0' 'a' | fold -w 998 | { printf 'Subject: big\n\n'; cat; } >"$work/big"
"$SM" -f "$MK_USER1" "$MK_USER2" <"$work/big" 2>"$work/e18"
rc=$?
check "a message over the server's size limit: exit 69 ($rc)" test $rc = 69
rm -f "$work/big"

# 8. The front end hands every sendmail call to mailkey-core, even one whose
# arguments look like a mailkey command; a symlink to mailkey-core works too.
cat >"$work/fake-core" <<'SH'
#!/bin/sh
printf '%s\n' "$@" >"$(dirname "$0")/fake-core.args"
printf '%s\n' "$0" >"$(dirname "$0")/fake-core.argv0"
SH
chmod +x "$work/fake-core"
MAILKEY_CORE=$work/fake-core "$SM" token alice >"$work/o19" </dev/null
check "'sendmail token alice' is not served as a token by the front end" \
	sh -c "! test -s '$work/o19' && test \"\$(tr '\n' ' ' <'$work/fake-core.args')\" = 'token alice '"
mkdir -p "$work/bin2" && ln -s "$MK-core" "$work/bin2/sendmail"
printf 'From: %s\nSubject: sm11 %s\n\nx\n' "$MK_USER1" "$u" | "$work/bin2/sendmail" -oi "$MK_USER2"
check "a sendmail symlink to mailkey-core sends too ($?)" test -n "$(imap_get "$MK_USER2" "$AT2" "sm11 $u")"

# 9. Real callers. Python's subprocess, as many scripts do it.
python3 - "$SM" "$MK_USER1" "$MK_USER2" "py $u" <<'PY'
import subprocess, sys
sm, frm, to, subj = sys.argv[1:]
msg = f"From: {frm}\nTo: {to}\nSubject: {subj}\n\nfrom python\n"
p = subprocess.run([sm, "-t", "-i"], input=msg.encode(), capture_output=True)
sys.stderr.buffer.write(p.stderr)
sys.exit(p.returncode)
PY
check "python subprocess.run([sendmail, -t, -i]) exits 0 ($?)" test $? = 0
check "and the message arrives" grep -qx 'from python' <<<"$(imap_get "$MK_USER2" "$AT2" "py $u")"
# mutt in batch mode with set sendmail (Debian's default value carries
# -oem -oi; mutt adds -f with use_envelope_from, then -- and the recipients).
# mutt keeps sendmail's stderr to itself: a wrapper records the call and
# the trace, then runs the symlink (so the name is still sendmail).
mkdir -p "$work/home"
cat >"$work/bin/sm-logged" <<SH
#!/bin/sh
printf '%s\n' "\$*" >"$work/mutt.args"
exec "$SM" -v "\$@" 2>"$work/e20"
SH
chmod +x "$work/bin/sm-logged"
printf 'body from mutt\n' | HOME=$work/home mutt -n -F /dev/null \
	-e "set sendmail='$work/bin/sm-logged -oem -oi'; set from='$MK_USER2'; set use_envelope_from=yes; set record=''; set copy=no" \
	-s "mutt $u" -- "$MK_USER1" >/dev/null 2>"$work/e21"
rc=$?
check "mutt -e 'set sendmail=…' in batch mode sends ($rc)" test $rc = 0
check "mutt called it with -oem -oi -f bob (args: $(cat "$work/mutt.args" 2>/dev/null))" \
	grep -q -- "-oem -oi -f $MK_USER2 -- $MK_USER1" "$work/mutt.args"
check "so bob's account logged in (OAUTHBEARER)" grep -q 'C: AUTH OAUTHBEARER <redacted>' "$work/e20"
imap_get "$MK_USER1" "$AT1" "mutt $u" >"$work/d20"
check "mutt's message arrives" grep -qx 'body from mutt' "$work/d20"
check "with bob as the envelope sender" test "$(header Return-Path <"$work/d20")" = "<$MK_USER2>"
check "no token in any output" sh -c "! grep -qF -e '$AT1' -e '$AT2' '$work'/e*"
finish
