#!/usr/bin/env bash
# gwcore_e2e: `mailkey daemon` with a [gateway] section against the real
# Dovecot (XOAUTH2 and OAUTHBEARER upstream) and Postfix; Python's imaplib,
# poplib and smtplib, each given only an app password, log in and run a
# command through the relay: plaintext on loopback, STARTTLS and implicit
# TLS verified against `mailkey gateway ca`. A wrong password gets the
# protocol's failure and leaves the store as it was; an account without a
# grant gets the temporary failure naming `mailkey login` and notify_command
# runs; the log holds no app password and no token; SIGTERM exits 0.
. "$(dirname "$0")/../daemon/lib.sh"
gw=$top/tests/integration/gwcore
cl() { /usr/bin/python3 "$gw/client.py" "$@"; }
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
seed() { # account user
	"$top/tests/servers/get-token" "$work/srv" --user "$2" | json '["access_token"]' >"$work/tok.$1"
	"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" "$1" 3600 <"$work/tok.$1"
}
acct() { # name user mech [extra]
	printf '[account %s]\nprovider = generic\nissuer = %s\nuser = %s\nclient_id = %s\ncafile = %s\nmech = %s\n%s\n\n' \
		"$1" "$MK_OP_ISSUER" "$2" "$MK_CLIENT_ID" "$MK_CA_FILE" "$3" "${4:-}" >>"$MAILKEY_CONFIG"
}
cat >"$work/notify.sh" <<SH
#!/bin/sh
echo "\$MAILKEY_ACCOUNT" >>"$work/notified"
SH
chmod +x "$work/notify.sh"
acct alice "$MK_USER1" xoauth2 "imap = localhost:$MK_IMAPS_PORT
pop3 = localhost:$MK_POP3S_PORT
smtp = localhost:$MK_SMTP_PORT
smtp_tls = starttls"
acct bobo "$MK_USER2" oauthbearer "imap = localhost:$MK_IMAP_PORT
imap_tls = starttls
pop3 = localhost:$MK_POP3_PORT
pop3_tls = starttls
smtp = localhost:$MK_SMTPS_PORT"
acct nogrant "$MK_USER2" xoauth2 "imap = localhost:$MK_IMAPS_PORT
pop3 = localhost:$MK_POP3S_PORT
smtp = localhost:$MK_SMTPS_PORT
notify_command = $work/notify.sh"
seed alice "$MK_USER1"
seed bobo "$MK_USER2"
P_IMAP=$(freeport) P_IMAPS=$(freeport) P_POP3=$(freeport) P_POP3S=$(freeport) P_SMTP=$(freeport) P_SMTPS=$(freeport) P_FIXED=$(freeport)
cp "$MAILKEY_CONFIG" "$work/config.accounts"
# IPv6 in brackets, where this machine has ::1.
v6=
python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null && v6=", [::1]:$P_IMAP"
cat >>"$MAILKEY_CONFIG" <<CFG
[gateway]
imap = 127.0.0.1:$P_IMAP$v6
imaps = 127.0.0.1:$P_IMAPS
pop3 = 127.0.0.1:$P_POP3
pop3s = 127.0.0.1:$P_POP3S
smtp = 127.0.0.1:$P_SMTP
smtps = 127.0.0.1:$P_SMTPS
pop3s = 127.0.0.1:$P_FIXED bobo
fail_delay = 1
CFG

"$MK" config check >"$work/check.out" 2>&1
check "config check accepts [gateway] ($(cat "$work/check.out"))" grep -q "OK, 3 accounts, $([ -n "$v6" ] && echo 8 || echo 7) gateway listeners" "$work/check.out"
pw() { "$MK" app-password add "$1" "$2" 2>>"$work/pw.err"; }
PA=$(pw alice python)
PB=$(pw bobo python)
PN=$(pw nogrant python)
check "app passwords made (${#PA} ${#PB} ${#PN} characters)" test -n "$PA" -a -n "$PB" -a -n "$PN"
store_before=$("$build/tests/tools/mk-store-show" "$MAILKEY_STATE_DIR" alice; "$build/tests/tools/mk-store-show" --token "$MAILKEY_STATE_DIR" alice)
check "the store holds alice's token (${#store_before} bytes shown)" grep -qF "$(cat "$work/tok.alice")" <<<"$store_before"

start_daemon
check "the daemon (with the gateway) answers ping" test $? = 0
listening() { python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1).close()' "$1" 2>/dev/null; }
wait_until 100 listening "$P_SMTPS"
check "the gateway listens" listening "$P_IMAP"
"$MK" gateway ca >"$work/ca.pem" 2>"$work/ca.err"
check "mailkey gateway ca prints a PEM certificate ($(head -c 200 "$work/ca.err"))" grep -q "BEGIN CERTIFICATE" "$work/ca.pem"
CA=$work/ca.pem

# IMAP: the user name is the account's mail address or its name, any case.
out=$(cl imap plain "$P_IMAP" "$MK_USER1" "$PA")
check "imaplib, plaintext on loopback, XOAUTH2 upstream: $out" test "${out%% *}" = OK
out=$(cl imap starttls "$P_IMAP" ALICE "$PA" "$CA")
check "imaplib, STARTTLS verified against the gateway CA, user ALICE: $out" test "${out%% *}" = OK
out=$(cl imap tls "$P_IMAPS" alice "$PA" "$CA")
check "imaplib, implicit TLS: $out" test "${out%% *}" = OK
if [ -n "$v6" ]; then
	out=$(GW_HOST=::1 cl imap starttls "$P_IMAP" alice "$PA" "$CA")
	check "imaplib over [::1], STARTTLS verified (IP:::1 in the certificate): $out" test "${out%% *}" = OK
	wait_until 50 grep -q "gateway: imap ::1 account alice" "$DLOG"
	check "... logged with the IPv6 peer" grep -q "gateway: imap ::1 account alice" "$DLOG"
fi
out=$(cl imap plain "$P_IMAP" "$MK_USER2" "$PB")
check "imaplib, OAUTHBEARER upstream (STARTTLS to Dovecot): $out" test "${out%% *}" = OK
out=$(cl imap tls "$P_IMAPS" alice "$PA" "$MK_CA_FILE")
check "imaplib does not trust the gateway without its CA: $out" test "${out%% *}" = ERROR

# POP3.
out=$(cl pop3 plain "$P_POP3" alice "$PA")
check "poplib, plaintext, XOAUTH2 upstream: $out" test "${out%% *}" = OK
out=$(cl pop3 starttls "$P_POP3" bobo "$PB" "$CA")
check "poplib, STLS, OAUTHBEARER upstream: $out" test "${out%% *}" = OK
out=$(cl pop3 tls "$P_POP3S" alice "$PA" "$CA")
check "poplib, implicit TLS: $out" test "${out%% *}" = OK
out=$(cl pop3 tls "$P_FIXED" scanner-user "$PB" "$CA")
check "a listener with a fixed account takes any user name: $out" test "${out%% *}" = OK
out=$(cl pop3 tls "$P_FIXED" bobo "$PA" "$CA")
check "... and only that account's passwords: $out" sh -c "echo \"\$1\" | grep -q '^REFUSED.*\[AUTH\]'" _ "$out"

# SMTP: a message sent through the gateway arrives (read back through it).
subj="gwcore $(date +%s%N)"
out=$(cl smtp plain "$P_SMTP" alice "$PA" "" "$MK_USER1" "$MK_USER2" "$subj")
check "smtplib, plaintext, Postfix STARTTLS upstream: $out" test "$out" = "OK sent"
out=$(cl smtp starttls "$P_SMTP" bobo "$PB" "$CA" "$MK_USER2" "$MK_USER2" "$subj")
check "smtplib, STARTTLS, OAUTHBEARER upstream on implicit TLS: $out" test "$out" = "OK sent"
out=$(cl smtp tls "$P_SMTPS" alice "$PA" "$CA" "$MK_USER1" "$MK_USER2" "$subj")
check "smtplib, implicit TLS: $out" test "$out" = "OK sent"
found() { cl imap plain "$P_IMAP" bobo "$PB" "" "search=$subj" | grep -q "found=3"; }
wait_until 100 found
check "the three messages arrived, read back through the gateway ($(cl imap plain "$P_IMAP" bobo "$PB" "" "search=$subj"))" found

# Wrong passwords: the protocol's failure, the store untouched.
out=$(cl imap plain "$P_IMAP" alice "${PA}x")
check "imap wrong password: NO [AUTHENTICATIONFAILED] ($out)" sh -c "echo '$out' | grep -q 'REFUSED.*AUTHENTICATIONFAILED'"
out=$(cl smtp plain "$P_SMTP" alice "${PB}" "" a b c)
check "smtp another account's password: 535 ($out)" sh -c "echo '$out' | grep -q '^REFUSED 535'"
out=$(cl pop3 plain "$P_POP3" nobody@example.test "$PA")
check "pop3 unknown user: -ERR [AUTH] ($out)" sh -c "echo '$out' | grep -q 'REFUSED.*\[AUTH\]'"
store_after=$("$build/tests/tools/mk-store-show" "$MAILKEY_STATE_DIR" alice; "$build/tests/tools/mk-store-show" --token "$MAILKEY_STATE_DIR" alice)
check "wrong passwords left the store as it was" test "$store_before" = "$store_after"

# No grant: a temporary failure naming `mailkey login`, and notify_command.
out=$(cl imap plain "$P_IMAP" nogrant "$PN")
check "imap without a grant: NO [UNAVAILABLE] naming mailkey login ($out)" sh -c "echo \"\$1\" | grep -q 'UNAVAILABLE.*mailkey login nogrant'" _ "$out"
out=$(cl smtp plain "$P_SMTP" nogrant "$PN" "" a b c)
check "smtp without a grant: 454 naming mailkey login ($out)" sh -c "echo \"\$1\" | grep -q '^REFUSED 454.*mailkey login nogrant'" _ "$out"
out=$(cl pop3 plain "$P_POP3" nogrant "$PN")
check "pop3 without a grant: -ERR [SYS/TEMP] naming mailkey login ($out)" sh -c "echo \"\$1\" | grep -q 'SYS/TEMP.*mailkey login nogrant'" _ "$out"
wait_until 50 test -s "$work/notified"
check "notify_command ran for the account ($(tr '\n' ' ' <"$work/notified" 2>/dev/null))" grep -qx nogrant "$work/notified"

# A revoked app password closes its open session (inotify on the file).
PR=$(pw alice revokeme)
cl imap plain "$P_IMAP" alice "$PR" "" hold >"$work/hold.out" 2>&1 &
hpid=$!
wait_until 100 grep -q "LOGGED IN" "$work/hold.out"
check "a session logs in with the password to revoke" grep -q "LOGGED IN" "$work/hold.out"
"$MK" app-password revoke alice revokeme 2>>"$work/pw.err"
wait "$hpid"
check "revoking it closed the session ($(tail -1 "$work/hold.out"))" grep -q "^CLOSED" "$work/hold.out"
out=$(cl imap plain "$P_IMAP" alice "$PA")
check "the account's other password still works: $out" test "${out%% *}" = OK

# The log: one line per session, never a secret.
wait_until 50 grep -q "gateway: imap 127.0.0.1 account alice password python" "$DLOG"
check "the log names the sessions" grep -q "gateway: imap 127.0.0.1 account alice password python" "$DLOG"
leaks=$(grep -cF -e "$PA" -e "$PB" -e "$PN" -e "$PR" -e "$(cat "$work/tok.alice")" -e "$(cat "$work/tok.bobo")" "$DLOG")
check "no app password or token in the log ($leaks lines)" test "$leaks" = 0
stop_daemon
check "SIGTERM: exit 0" test $? = 0
finish
