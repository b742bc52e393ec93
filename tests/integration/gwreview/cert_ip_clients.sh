#!/usr/bin/env bash
# gwreview_cert_ip_clients: docs/config.md has the gateway listen on
# 127.0.0.1, and issue 10 names fetchmail 6.4 and mbsync as clients. Both
# check only the DNS names of a certificate (not its IP addresses), so with
# the generated certificate they refuse `127.0.0.1` ("hostname mismatch",
# "certificate owner does not match hostname") though curl, openssl and
# Python accept it. A user who copies the listener address into fetchmail's
# `poll` or mbsync's `Host` must get a verified session: the generated
# certificate has to carry what these clients compare (or the set-up must
# say otherwise, and this test be changed with it).
. "$(dirname "$0")/lib.sh"
gw_config
gw_start
check "the gateway listens" test $? = 0
"$MK" gateway ca >"$work/ca.pem" 2>"$work/ca.err"
CA=$work/ca.pem
PA=$(pw alice review)
# Something to fetch.
printf 'Subject: cert-ip\r\n\r\nhello\r\n' | /usr/bin/python3 -c '
import smtplib, ssl, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.starttls(context=ssl.create_default_context(cafile=sys.argv[2]))
s.login("alice", sys.argv[3]); s.sendmail("alice@example.test", ["alice@example.test"], sys.stdin.buffer.read()); s.quit()' "$P_SMTP" "$CA" "$PA"
check "a message sent through the gateway" test $? = 0
out=$(curl -sS --cacert "$CA" "pop3s://127.0.0.1:$P_POP3S/" -u "alice:$PA" 2>&1)
check "curl verifies 127.0.0.1 (the control): $out" test -n "$out"

cat >"$work/fetchmailrc" <<FM
poll 127.0.0.1 service $P_POP3 protocol pop3 user "alice@example.test" password "$PA" sslproto tls1.2+ sslcertck sslcertfile $CA keep mda "cat >> $work/fm.mbox"
FM
chmod 600 "$work/fetchmailrc"
HOME=$work timeout 60 fetchmail -f "$work/fetchmailrc" --nodetach --nosyslog >"$work/fm.out" 2>&1
rc=$?
check "fetchmail 6.4, poll 127.0.0.1 with STLS and sslcertck, fetches (rc $rc: $(grep -i 'mismatch\|error' "$work/fm.out" | head -2 | tr '\n' ' '))" test "$rc" = 0 -a -s "$work/fm.mbox"

mkdir -p "$work/mbs"
cat >"$work/mbsyncrc" <<MB
IMAPAccount gw
Host 127.0.0.1
Port $P_IMAP
User alice@example.test
Pass $PA
AuthMechs LOGIN
SSLType STARTTLS
CertificateFile $CA

IMAPStore gw-remote
Account gw

MaildirStore gw-local
Path $work/mbs/
Inbox $work/mbs/INBOX

Channel gw
Far :gw-remote:
Near :gw-local:
Patterns INBOX
Create Near
Sync Pull
MB
HOME=$work timeout 60 mbsync -c "$work/mbsyncrc" gw >"$work/mbs.out" 2>&1
rc=$?
n=$(find "$work/mbs/INBOX" -type f 2>/dev/null | grep -c /cur/\\\|/new/)
check "mbsync, Host 127.0.0.1 with STARTTLS, syncs (rc $rc, $n messages: $(head -c 200 "$work/mbs.out"))" test "$rc" = 0 -a "$n" -gt 0
finish
