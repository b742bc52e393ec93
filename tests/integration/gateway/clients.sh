#!/usr/bin/env bash
# gateway_clients: msmtp (auth plain and auth login, the password from a
# 0600 file through passwordeval) and Python's imaplib, poplib and smtplib
# (pyclients.py: every mode and mechanism, IMAP LOGIN with literals) through
# `mailkey gateway` to the real Dovecot and Postfix, each given only an app
# password and the gateway's CA. alice's upstream logins use XOAUTH2, bob's
# OAUTHBEARER (the servers' logs show which).
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
app_pass alice msmtp
check "an app password for alice" test $? = 0
app_pass bob py
check "an app password for bob" test $? = 0

d=$(cdir msmtp)
u=$(date +%s%N)
cat >"$d/msmtprc" <<RC
defaults
tls_trust_file $GWCA
logfile $d/msmtp.log
from $MK_USER1
user alice
passwordeval cat $work/pw.msmtp
host 127.0.0.1

account plain-plain
port $GW_SMTP
auth plain
tls off

account plain-login : plain-plain
auth login

account starttls-plain : plain-plain
tls on
tls_starttls on

account starttls-login : starttls-plain
auth login

account implicit-plain : plain-plain
port $GW_SMTPS
tls on
tls_starttls off

account implicit-login : implicit-plain
auth login
RC
n=0
for a in plain-plain plain-login starttls-plain starttls-login implicit-plain implicit-login; do
	printf 'From: %s\nTo: %s\nSubject: msmtp %s %s\n\nhello %s\n' "$MK_USER1" "$MK_USER2" "$u" "$a" "$a" |
		timeout 60 msmtp -C "$d/msmtprc" -a "$a" "$MK_USER2" 2>"$d/err"
	rc=$?
	check "msmtp $a sends a message (exit $rc $(head -c 200 "$d/err"))" test $rc = 0
	[ $rc = 0 ] && n=$((n + 1))
done
check "msmtp's log shows TLS where asked ($(grep -c 'tls=on' "$d/msmtp.log") of 4)" test "$(grep -c 'tls=on auth=on.*exitcode=EX_OK' "$d/msmtp.log")" = 4
wait_mail "$MK_USER2" 6
check "Postfix delivered the six to bob ($(nmail "$MK_USER2"))" test "$(nmail "$MK_USER2")" -ge 6
check "Postfix logged alice's logins as sasl_method=XOAUTH2" grep -q "sasl_method=XOAUTH2, sasl_username=$MK_USER1" "$MK_POSTFIX_LOG"

# Python, as bob: smtplib sends to bob himself, then imaplib and poplib read.
/usr/bin/python3 "$gwdir/pyclients.py" "$GWCA" "$MK_USER2" "$work/pw.py" "$GW_IMAP" "$GW_IMAPS" "$GW_POP3" "$GW_POP3S" \
	"$GW_SMTP" "$GW_SMTPS" "$MK_USER2" "$u" >"$work/py.out" 2>&1
rc=$?
cat "$work/py.out"
pass=$((pass + $(grep -c '^ok ' "$work/py.out")))
failn=$((failn + $(grep -c '^FAIL ' "$work/py.out")))
check "pyclients.py ran every check ($(grep -c -e '^ok ' -e '^FAIL ' "$work/py.out") of 26, exit $rc)" \
	test "$(grep -c -e '^ok ' -e '^FAIL ' "$work/py.out")" = 26 -a $rc = 0
check "Dovecot logged bob's IMAP logins as method=OAUTHBEARER" grep -q "imap-login: Info: Login: user=<$MK_USER2>, method=OAUTHBEARER" "$MK_DOVECOT_LOG"
check "and his POP3 logins" grep -q "pop3-login: Info: Login: user=<$MK_USER2>, method=OAUTHBEARER" "$MK_DOVECOT_LOG"
check "Postfix logged bob's as sasl_method=OAUTHBEARER" grep -q "sasl_method=OAUTHBEARER, sasl_username=$MK_USER2" "$MK_POSTFIX_LOG"
check "no app password in the gateway's log" sh -c "! grep -qF -e '$(pw msmtp)' -e '$(pw py)' '$GLOG'"
finish
