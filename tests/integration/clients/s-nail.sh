#!/usr/bin/env bash
# clients_s_nail: docs/clients/s-nail.md with Debian's s-nail 14.9.24: the
# doc's ~/.mailrc account (v15-compat, XOAUTH2 through `oauthbearer`, the
# token from `vput ! password mailkey token gmail`) sends to bob over
# STARTTLS and reads alice's INBOX over IMAPS (the token in no argv:
# strace); a session that outlives the token keeps its login (`account
# gmail` typed again does not log in anew); after the expiry a new s-nail
# reads and sends with a refreshed token. After `mailkey logout
# gmail` s-nail exits 68 without logging in; without the doc's `if` it logs
# in with an empty token. Leaks: -vv prints the token (Credentials line, AUTH
# line); -v does not.
# shellcheck disable=SC1091,SC2016,SC2154
. "$(dirname "$0")/lib.sh"
client_account gmail
client_login gmail || { finish_clients; exit; }
# (not in $(...): lib.sh records the blocks asked for)
umask 077
recipe mailrc >"$HOME/.mailrc"
recipe send >"$work/send.sh"
recipe read >"$work/read.sh"
umask 022
# s-nail always takes root's home from the password file: as root (only
# then) the test points it at $HOME's files.
if [ "$(id -u)" = 0 ]; then
	export MAILRC=$HOME/.mailrc DEAD=$HOME/dead.letter MBOX=$HOME/mbox
fi
cd "$HOME" || exit 1
b64() { printf %s "$1" | base64 -w0; }
xo() { b64 "user=$MK_USER1"$'\001'"auth=Bearer $1"$'\001\001'; }
not_in() { ! grep -qF -- "$1" "$2"; }
# sent SUBJECT BODY: delivered to bob, with the line BODY.
sent() { local f; f=$(delivered "$1") && grep -qx -- "$2" "$f"; }
# nsent SUBJECT: how many messages with that Subject bob has.
nsent() { grep -l -- "^Subject: $1\$" "$MK_MAIL_ROOT/$MK_USER2/Maildir/new/"* 2>/dev/null | wc -l; }
# count SUBJECT N: wait (10 s at most) until bob has N messages with SUBJECT.
count() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(nsent "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# logins_are N: Dovecot has logged N XOAUTH2 IMAP logins of alice (its log
# may lag: 5 s at most), and not more.
logins_are() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(imap_logins)" -ge "$1" ] && break
		sleep 0.1
	done
	[ "$(imap_logins)" = "$1" ]
}
imap_logins() { grep -c "imap-login: Info: Login: user=<$MK_USER1>, method=XOAUTH2" "$MK_DOVECOT_LOG"; }
trace() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=execve -s 65536 -o "$1" "${@:2}"; }

# --- round 1: the doc's send and read; every program's argv seen by strace
trace "$work/execve.send" sh "$work/send.sh" >"$work/send.out" 2>&1
rc=$?
check "the doc's s-nail send exits 0 (got $rc: $(head -c 200 "$work/send.out"))" test "$rc" = 0
check "delivered to bob, with its body" sent 'hello from s-nail' 'It works.'
check "Postfix saw an XOAUTH2 login of $MK_USER1" wait_until 50 grep -q "sasl_method=XOAUTH2, sasl_username=$MK_USER1" "$MK_POSTFIX_LOG"
deliver "s-nail one"
printf 'print $\nquit\n' >"$work/cmds1"
trace "$work/execve.read" sh "$work/read.sh" <"$work/cmds1" >"$work/read1.out" 2>&1
rc=$?
check "the doc's s-nail read exits 0 (got $rc)" test "$rc" = 0
check "it printed alice's message, with its body" grep -qx 'body of s-nail one' "$work/read1.out"
check "Dovecot saw an XOAUTH2 IMAP login of $MK_USER1" logins_are 1
t1=$(mailkey token gmail)
check "vput ! ran mailkey token gmail (send)" grep -q '"mailkey", "token", "gmail"' "$work/execve.send"
check "vput ! ran mailkey token gmail (read)" grep -q '"mailkey", "token", "gmail"' "$work/execve.read"
check "the token is in no program's argv" sh -c "! grep -qF -e '$t1' -e '$(xo "$t1")' '$work/execve.send' '$work/execve.read'"
check "nor in s-nail's output" sh -c "! grep -qF -e '$t1' '$work/send.out' '$work/read1.out'"

# --- a session longer than the token: after the expiry (inside the
# session) `account gmail` again reads a message delivered meanwhile, on the
# connection it has: no new login
r0=$(refreshes)
e=$(expires_at gmail)
n=$(date +%s)
{
	printf 'sleep %s\n' "$((e > n ? e - n + 1 : 0))"
	declare -f deliver
	printf 'MK_LMTP_PORT=%s MK_USER1=%s MK_USER2=%s\n' "$MK_LMTP_PORT" "$MK_USER1" "$MK_USER2"
	printf 'deliver "s-nail two"\n'
} >"$work/wait.sh"
check "the token lives ~20 s ($((e - n)) s left)" test "$((e - n))" -le 40
printf 'headers\n!bash %s\naccount gmail\nprint $\nquit\n' "$work/wait.sh" >"$work/cmds2"
sh "$work/read.sh" <"$work/cmds2" >"$work/session.out" 2>&1
rc=$?
check "the session exits 0 (got $rc)" test "$rc" = 0
check "after the expiry, account gmail opened the INBOX again: the new message, with its body" \
	grep -qx 'body of s-nail two' "$work/session.out"
check "one more IMAP login, at the session's start ($(imap_logins) in all)" logins_are 2

# --- round 2, after the expiry: a new s-nail reads with a new token
printf 'print $\nquit\n' >"$work/cmds3"
sh "$work/read.sh" <"$work/cmds3" >"$work/read2.out" 2>&1
rc=$?
check "after the expiry the doc's read exits 0 (got $rc)" test "$rc" = 0
check "it printed the new message, with its body" grep -qx 'body of s-nail two' "$work/read2.out"
check "a new IMAP login ($(imap_logins) in all)" logins_are 3
r1=$(refreshes)
check "the provider counted a refresh ($r0 -> $r1)" test "$r1" -gt "$r0"
t2=$(mailkey token gmail)
check "the token changed" test "$t2" != "$t1"

# --- and a send after the expiry
sh "$work/send.sh" >"$work/send2.out" 2>&1
rc=$?
check "after the expiry the doc's send exits 0 (got $rc)" test "$rc" = 0
check "two messages delivered to bob" count 'hello from s-nail' 2

# --- what the doc says about the settings
echo x | s-nail -A gmail -S smtp-auth=xoauth2 -s 'never xoauth2' "$MK_USER2" >"$work/xoauth2.out" 2>&1
check "smtp-auth=xoauth2 is unknown" grep -qF 'Unsupported smtp authentication method: xoauth2' "$work/xoauth2.out"
sed '/^set v15-compat$/d' "$HOME/.mailrc" >"$work/nov15.rc"
echo x | MAILRC=$work/nov15.rc s-nail -A gmail -s 'never nov15' "$MK_USER2" >"$work/nov15.out" 2>&1
check "without v15-compat there is no oauthbearer" grep -qF 'Unsupported SMTP authentication method: oauthbearer' "$work/nov15.out"

# --- the leaks the doc names: -vv prints the token, -v does not
echo x | s-nail -vv -A gmail -s 's-nail vv' "$MK_USER2" >"$work/vv.out" 2>&1
rc=$?
check "s-nail -vv sends (exit $rc)" test "$rc" = 0
check "-vv prints the Credentials line with the token" \
	grep -qF "s-nail: Credentials: host localhost:$MK_SMTP_PORT, user $MK_USER1, pass $t2" "$work/vv.out"
check "-vv prints AUTH XOAUTH2 with the token in its base64" grep -qF ">>> AUTH XOAUTH2 $(xo "$t2")" "$work/vv.out"
echo x | s-nail -v -A gmail -s 's-nail v' "$MK_USER2" >"$work/v.out" 2>&1
rc=$?
check "s-nail -v sends (exit $rc)" test "$rc" = 0
check "-v prints neither the token nor its base64" sh -c "! grep -qF -e '$t2' -e '$(xo "$t2")' '$work/v.out'"

# --- the grant gone: mailkey's line and s-nail's, exit 68, no login tried
mailkey logout gmail >/dev/null 2>&1
s0=$(grep -c 'authentication failed' "$MK_POSTFIX_LOG")
sh "$work/send.sh" >"$work/gone.out" 2>&1
rc=$?
check "after mailkey logout gmail s-nail exits 68 (got $rc)" test "$rc" = 68
check "mailkey's line names mailkey login gmail" grep -qF 'mailkey token: account gmail has no tokens yet: run `mailkey login gmail`' "$work/gone.out"
check "s-nail's line" grep -qF 's-nail: account: failed to switch to account: gmail' "$work/gone.out"
sh "$work/read.sh" <"$work/cmds1" >"$work/gone-read.out" 2>&1
rc=$?
check "reading: exit 68 too (got $rc)" test "$rc" = 68
check "no login was tried" test "$(grep -c 'authentication failed' "$MK_POSTFIX_LOG")" = "$s0"
check "nothing was sent" test "$(nsent 'hello from s-nail')" = 2

# --- without the doc's `if`, s-nail logs in with an empty token (last: a
# refused login makes Dovecot and Postfix slow down this address)
sed '/^  if \$? -ne 0$/,/^  endif$/d' "$HOME/.mailrc" >"$work/noif.rc"
check "the doc's if ... endif removed" test "$(wc -l <"$work/noif.rc")" = "$(($(wc -l <"$HOME/.mailrc") - 3))"
echo x | MAILRC=$work/noif.rc s-nail -A gmail -s 'never noif' "$MK_USER2" >"$work/noif.out" 2>&1
rc=$?
check "without it s-nail tries to log in, and the server refuses (exit $rc)" grep -qF 'SMTP server: 535' "$work/noif.out"
# the programs' output, when a check failed (or MK_KEEP_OUT is set)
if [ "$failn" != 0 ] || [ -n "${MK_KEEP_OUT:-}" ]; then sed 's/^/  out: /' "$work"/*.out; fi
finish_clients
