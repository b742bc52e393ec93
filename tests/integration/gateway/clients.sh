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
# -vv: the trace of every line must still hold no secret (checked at the end).
GW_MKOPTS=-vv start_gateway
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
# No secret in the -vv trace: not the app passwords, in clear or in the
# base64 of SASL PLAIN and LOGIN steps, not the tokens nor their XOAUTH2 or
# OAUTHBEARER form.
secrets() {
	local p u t
	for p in msmtp:alice py:"$MK_USER2"; do
		u=${p#*:} p=$(pw "${p%%:*}")
		printf '%s\n' "$p" "$(printf %s "$p" | base64 -w0)" "$(printf '\0%s\0%s' "$u" "$p" | base64 -w0)" \
			"$(printf '\0%s\0%s' "$u" "$p" | base64 -w0 | cut -c 5-30)"
	done
	for t in alice bob; do
		t=$(json '["access_token"]' <"$work/grant.$t.json")
		printf '%s\n' "$t" "$(printf %s "$t" | cut -c 1-24)"
	done
}
secrets >"$work/secrets"
check "the -vv trace has lines ($(wc -l <"$GLOG"))" test "$(wc -l <"$GLOG")" -gt 50
check "and shows LOGIN/AUTH as <redacted> ($(grep -c '<redacted>' "$GLOG"))" grep -q '<redacted>' "$GLOG"
check "no app password (clear or base64) and no token in the -vv trace ($(grep -cFf "$work/secrets" "$GLOG") lines)" \
	sh -c "! grep -qFf '$work/secrets' '$GLOG'"
finish
