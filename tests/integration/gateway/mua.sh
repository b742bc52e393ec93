#!/usr/bin/env bash
# gateway_mua: mail programs nobody here wrote, each given only an app
# password and the gateway's CA: mutt sends (smtp_pass, AUTH PLAIN and
# LOGIN over STARTTLS) and reads (imap_pass; the LOGIN command over
# STARTTLS, AUTHENTICATE PLAIN over IMAPS: every message copied to a local
# mbox by `push`, under `script` for the terminal it needs), neomutt the
# same over IMAPS, mbsync (AuthMechs LOGIN, CertificateFile = the CA) pulls
# the INBOX into a Maildir over STARTTLS and over IMAPS, and fetchmail 6.4
# (no OAuth at all) fetches over POP3S (USER/PASS) into an MDA. fetchmail and
# mbsync check DNS names only, so they connect to "localhost".
. "$(dirname "$0")/lib.sh"
gw_account alice "$MK_USER1" xoauth2
gw_account bob "$MK_USER2" oauthbearer
gw_grant alice "$MK_USER1"
check "alice has a real grant" test $? = 0
gw_grant bob "$MK_USER2"
check "bob has a real grant" test $? = 0
gw_section "fail_delay = 0"
start_gateway
check "mailkey gateway listens and exports its CA" test $? = 0
app_pass alice mutt-a
app_pass bob mutt-b
check "app passwords for both" test $? = 0
d=$(cdir mutt)
: >"$d/certs"
# mutt needs a terminal to read a mailbox: script(1) gives it one.
tty_run() { TERM=xterm timeout 60 script -qec "$1" /dev/null </dev/null >"$2" 2>&1; }
base() { # user pwname url authenticators
	cat <<RC
set ssl_ca_certificates_file = "$GWCA"
set certificate_file = "$d/certs"
set ssl_force_tls = yes
set ssl_starttls = yes
set imap_user = "$1"
set imap_pass = "$(pw "$2")"
set imap_authenticators = "$4"
set folder = "$3"
set spoolfile = "+INBOX"
set header_cache = ""
set message_cachedir = ""
set confirmcreate = no
set confirmappend = no
set quit = yes
set mbox_type = mbox
set move = no
set wait_key = no
set timeout = 5
RC
}
u=$(date +%s%N)
for m in plain login; do
	{
		base alice mutt-a "imap://127.0.0.1:$GW_IMAP/" login
		cat <<RC
set from = "$MK_USER1"
set use_from = yes
set envelope_from = yes
set smtp_url = "smtp://alice@127.0.0.1:$GW_SMTP/"
set smtp_pass = "$(pw mutt-a)"
set smtp_authenticators = "$m"
set record = ""
RC
	} >"$d/send-$m.rc"
	echo "body $m" | timeout 60 mutt -n -F "$d/send-$m.rc" -s "mutt $u $m" "$MK_USER2" >"$d/send-$m.out" 2>&1
	rc=$?
	check "mutt sends over STARTTLS with smtp_authenticators=$m (exit $rc $(head -c 200 "$d/send-$m.out"))" test $rc = 0
done
wait_mail "$MK_USER2" 2
check "both reached bob ($(nmail "$MK_USER2"))" test "$(nmail "$MK_USER2")" = 2
check "Postfix saw alice's XOAUTH2 login" grep -q "sasl_method=XOAUTH2, sasl_username=$MK_USER1" "$MK_POSTFIX_LOG"
# Three more for bob, by curl, so that the readers have five.
for i in 1 2 3; do
	printf 'From: %s\r\nSubject: curl %s %s\r\n\r\nx\r\n' "$MK_USER1" "$u" "$i" >"$d/c$i"
	printf 'user = "alice:%s"\n' "$(pw mutt-a)" | curl -sS --max-time 30 --cacert "$GWCA" -K - "smtps://127.0.0.1:$GW_SMTPS" \
		--mail-from "$MK_USER1" --mail-rcpt "$MK_USER2" -T "$d/c$i"
done
wait_mail "$MK_USER2" 5
check "five messages for bob" test "$(nmail "$MK_USER2")" = 5

read_with() { # program rcfile url out
	rm -f "$4"
	tty_run "$1 -n -F $2 -R -f $3 -e \"push '<tag-pattern>~A<enter><tag-prefix><copy-message>$4<enter><quit>'\"" "$4.log"
}
base "$MK_USER2" mutt-b "imap://127.0.0.1:$GW_IMAP/" login >"$d/read-login.rc"
read_with mutt "$d/read-login.rc" "imap://127.0.0.1:$GW_IMAP/INBOX" "$d/mutt1.mbox"
check "mutt reads (LOGIN command over STARTTLS): 5 messages copied ($(grep -c '^From ' "$d/mutt1.mbox" 2>/dev/null))" \
	test "$(grep -c '^From ' "$d/mutt1.mbox" 2>/dev/null)" = 5
check "including the two it sent" test "$(grep -c "^Subject: mutt $u" "$d/mutt1.mbox" 2>/dev/null)" = 2
base "$MK_USER2" mutt-b "imaps://127.0.0.1:$GW_IMAPS/" plain >"$d/read-plain.rc"
read_with mutt "$d/read-plain.rc" "imaps://127.0.0.1:$GW_IMAPS/INBOX" "$d/mutt2.mbox"
check "mutt reads (AUTHENTICATE PLAIN over IMAPS): 5 messages" test "$(grep -c '^From ' "$d/mutt2.mbox" 2>/dev/null)" = 5
read_with neomutt "$d/read-plain.rc" "imaps://127.0.0.1:$GW_IMAPS/INBOX" "$d/neomutt.mbox"
check "neomutt reads (AUTHENTICATE PLAIN over IMAPS): 5 messages" test "$(grep -c '^From ' "$d/neomutt.mbox" 2>/dev/null)" = 5
check "Dovecot saw bob's OAUTHBEARER logins" grep -q "imap-login: Info: Login: user=<$MK_USER2>, method=OAUTHBEARER" "$MK_DOVECOT_LOG"

# mbsync: AuthMechs LOGIN (the IMAP LOGIN command), the password by PassCmd.
d=$(cdir mbsync)
for t in STARTTLS IMAPS; do
	port=$GW_IMAP
	[ $t = IMAPS ] && port=$GW_IMAPS
	mkdir -p "$d/$t"
	cat >"$d/$t.rc" <<RC
IMAPAccount gw
Host localhost
Port $port
User $MK_USER2
PassCmd "cat $work/pw.mutt-b"
AuthMechs LOGIN
SSLType $t
CertificateFile $GWCA

IMAPStore gw-far
Account gw

MaildirStore gw-near
Path $d/$t/
Inbox $d/$t/INBOX

Channel gw
Far :gw-far:
Near :gw-near:
Patterns INBOX
Create Near
Sync Pull
SyncState *
RC
	timeout 60 mbsync -c "$d/$t.rc" gw >"$d/$t.out" 2>&1
	rc=$?
	n=$(find "$d/$t/INBOX/new" "$d/$t/INBOX/cur" -type f 2>/dev/null | wc -l)
	check "mbsync over $t pulls the 5 messages ($n, exit $rc $(head -c 200 "$d/$t.out"))" test $rc = 0 -a "$n" = 5
done

# fetchmail 6.4 over POP3S (USER/PASS), into a Maildir by an MDA script.
d=$(cdir fetchmail)
mkdir -p "$d/home" "$d/md/new" "$d/md/cur" "$d/md/tmp"
cat >"$d/deliver" <<'SH2'
#!/bin/sh
f=$(date +%s%N).$$
cat >"$1/tmp/$f" && mv "$1/tmp/$f" "$1/new/$f"
SH2
chmod 700 "$d/deliver"
cat >"$d/rc" <<RC
set no syslog
poll localhost service $GW_POP3S protocol POP3 auth password
  user "$MK_USER2" is "bob" here
  password "$(pw mutt-b)"
  ssl sslcertck sslcertfile "$GWCA"
  keep fetchall
  mda "$d/deliver $d/md"
RC
FETCHMAILHOME=$d/home timeout 60 fetchmail -f "$d/rc" --nosyslog -v >"$d/out" 2>&1
rc=$?
n=$(find "$d/md/new" -type f | wc -l)
check "fetchmail (POP3S, USER/PASS) delivers the 5 messages to its MDA ($n, exit $rc)" test $rc = 0 -a "$n" = 5
check "fetchmail's trace shows USER and PASS" sh -c "grep -q 'POP3> USER $MK_USER2' '$d/out' && grep -q 'POP3> PASS \*' '$d/out'"
check "Dovecot saw bob's OAUTHBEARER POP3 login" grep -q "pop3-login: Info: Login: user=<$MK_USER2>, method=OAUTHBEARER" "$MK_DOVECOT_LOG"
check "no app password in the gateway's log" sh -c "! grep -qF -e '$(pw mutt-a)' -e '$(pw mutt-b)' '$GLOG'"
finish
