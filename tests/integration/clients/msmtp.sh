#!/usr/bin/env bash
# clients_msmtp: docs/clients/msmtp.md with Debian's msmtp 1.8: OAUTHBEARER on
# STARTTLS and XOAUTH2 on implicit TLS with passwordeval "mailkey token gmail",
# msmtp as mutt's sendmail and as cron's, the same after the token expired
# (a refresh counted), and its failures: server down (75), token refused
# (77), grant gone (mailkey 77, msmtp 78). Where it leaks the token: --debug.
# shellcheck disable=SC1091,SC2016,SC2154
. "$(dirname "$0")/lib.sh"
client_account gmail
client_login gmail || { finish_clients; exit; }
# (not recipe_to: its subshell would not count the block as run)
umask 077
recipe msmtprc >"$HOME/.msmtprc"
recipe send >"$work/send.sh"
recipe muttrc >"$HOME/.muttrc"
recipe cron >"$work/cron.sh"
umask 022
cd "$HOME" || exit 1

# count SUBJECT N: wait (10 s at most) until bob has N messages with SUBJECT.
count() {
	local i n
	for ((i = 0; i < 100; i++)); do
		n=$(grep -l -- "^Subject: $1\$" "$MK_MAIL_ROOT/$MK_USER2/Maildir/new/"* 2>/dev/null | wc -l)
		[ "$n" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# got SUBJECT N BODY: N messages with SUBJECT, and one has the line BODY.
got() {
	count "$1" "$2" && grep -l -- "^Subject: $1\$" "$MK_MAIL_ROOT/$MK_USER2/Maildir/new/"* | xargs grep -qx -- "$3"
}

# Each way of sending, once per round (N: the round).
sends() {
	local n=$1 rc
	sh "$work/send.sh" 2>"$work/send.err"
	rc=$?
	check "round $n: the recipe's msmtp send (587, STARTTLS, OAUTHBEARER) exits 0 (got $rc)" test "$rc" = 0
	check "round $n: delivered to bob, with its body" got 'hello from msmtp' "$n" 'It works.'
	printf 'To: %s\nSubject: msmtp smtps\n\nround %s\n' "$MK_USER2" "$n" | msmtp -a gmail-smtps "$MK_USER2"
	rc=$?
	check "round $n: msmtp -a gmail-smtps (implicit TLS, XOAUTH2) exits 0 (got $rc)" test "$rc" = 0
	check "round $n: delivered, with its body" got 'msmtp smtps' "$n" "round $n"
}
sends 1
grep -q 'auth=on.*smtpstatus=250' "$HOME/.msmtp.log"
check "the logfile has a line per message" test "$(grep -c 'smtpstatus=250' "$HOME/.msmtp.log")" = 2

# mutt with msmtp as its sendmail.
printf 'sent by mutt\n' | mutt -n -F "$HOME/.muttrc" -s "mutt via msmtp" "$MK_USER2" >"$work/mutt.out" 2>&1
rc=$?
check "mutt -s ... sends through msmtp (exit $rc)" test "$rc" = 0
check "mutt's message delivered, with its body" got 'mutt via msmtp' 1 'sent by mutt'
[ "$rc" = 0 ] || sed 's/^/  mutt: /' "$work/mutt.out"

# cron's call of sendmail (msmtp-mta makes /usr/sbin/sendmail msmtp).
printf 'From: root (Cron Daemon)\nTo: %s\nSubject: Cron <you@host> backup\n\nbackup done\n' "$MK_USER2" >"$HOME/job-output"
sh "$work/cron.sh"
rc=$?
check "cron's sendmail call, with msmtp (exit $rc)" test "$rc" = 0
check "cron's mail delivered" got 'Cron <you@host> backup' 1 'backup done'

# After the token expired: msmtp's passwordeval gets a refreshed one.
r0=$(refreshes)
await_expiry gmail
sends 2
r1=$(refreshes)
check "the provider counted a refresh ($r0 -> $r1)" test "$r1" -gt "$r0"

# Leaks: --debug shows the AUTH line (the token in base64); the logfile never.
tok=$(mailkey token gmail)
printf 'To: %s\nSubject: msmtp debug\n\nx\n' "$MK_USER2" | msmtp --debug "$MK_USER2" >"$work/debug.out" 2>&1
rc=$?
check "msmtp --debug sends (exit $rc)" test "$rc" = 0
auth=$(sed -n 's/^--> AUTH OAUTHBEARER //p' "$work/debug.out" | tr -d '\r')
check "--debug prints the AUTH line, whose base64 holds the token (as the doc says)" \
	sh -c "printf %s '$auth' | base64 -d | grep -qF 'auth=Bearer $tok'"
check "the logfile holds neither the token nor its base64" \
	sh -c "! grep -qF -e '$tok' -e '${auth:-none}' '$HOME/.msmtp.log'"

# The server down: 75 and msmtp's message.
sed "s/^port $MK_SMTP_PORT\$/port 1/" "$HOME/.msmtprc" >"$work/down.rc"
chmod 600 "$work/down.rc"
printf 'Subject: never\n\nx\n' | msmtp -C "$work/down.rc" "$MK_USER2" 2>"$work/down.err"
rc=$?
check "server down: msmtp exits 75 (got $rc)" test "$rc" = 75
check "server down: 'cannot connect to localhost, port 1'" grep -q 'cannot connect to localhost, port 1' "$work/down.err"

# The token revoked at the provider while mailkey still holds it: the server
# refuses, msmtp exits 77. Its own source address (Dovecot's auth penalty).
printf %s "$tok" | curl -sS "$MK_OP_ISSUER/token/revocation" -d "client_id=$MK_SHORT_CLIENT_ID" --data-urlencode token@- >/dev/null
check "the token is revoked at the provider" test "$(active "$tok")" = False
printf 'Subject: never\n\nx\n' | msmtp --source-ip=127.0.0.3 "$MK_USER2" 2>"$work/refused.err"
rc=$?
check "token refused by the server: msmtp exits 77 (got $rc)" test "$rc" = 77
check "and says 'authentication failed (method OAUTHBEARER)'" grep -q 'authentication failed (method OAUTHBEARER)' "$work/refused.err"

# mailkey cannot refresh for now (the token expired, the provider down):
# mailkey exits 75, msmtp still 78.
await_expiry gmail
kill -TERM "$(op_pid)"
wait_until 50 sh -c "! (exec 3<>/dev/tcp/127.0.0.1/$MK_OP_PORT) 2>/dev/null"
mailkey token gmail >/dev/null 2>&1
rc=$?
check "provider down, token expired: mailkey token exits 75 (got $rc)" test "$rc" = 75
printf 'Subject: never\n\nx\n' | msmtp "$MK_USER2" 2>"$work/later.err"
rc=$?
check "provider down: msmtp exits 78 all the same (got $rc)" test "$rc" = 78
check "provider down: mailkey's line says the refresh failed" grep -q 'refreshing account gmail failed' "$work/later.err"

# The grant gone (mailkey logout): mailkey exits 77, msmtp 78 with both lines.
mailkey logout gmail >/dev/null 2>&1
mailkey token gmail >/dev/null 2>&1
rc=$?
check "after logout, mailkey token exits 77 (got $rc)" test "$rc" = 77
printf 'Subject: never\n\nx\n' | msmtp "$MK_USER2" 2>"$work/gone.err"
rc=$?
check "grant gone: msmtp exits 78 (got $rc)" test "$rc" = 78
check "grant gone: mailkey's line names mailkey login gmail" grep -q 'run `mailkey login gmail`' "$work/gone.err"
check "grant gone: msmtp's line" grep -qF "msmtp: cannot read output of 'mailkey token gmail'" "$work/gone.err"
[ "$failn" = 0 ] || sed 's/^/  stderr: /' "$work"/*.err
finish_clients
