#!/usr/bin/env bash
# clients_mpop: docs/clients/mpop.md with Debian's mpop 1.4: POP3S with
# XOAUTH2 and passwordeval "mailkey token gmail" fetches a delivered message
# into the Maildir (the token in no argv: strace), and after the token
# expired the next one with a refreshed token; OAUTHBEARER as the doc says;
# after `mailkey logout gmail` mpop exits 78 with mailkey's line and its
# own. Where it leaks: --debug shows the AUTH line; a refused login prints no
# token.
# shellcheck disable=SC1091,SC2016,SC2154
. "$(dirname "$0")/lib.sh"
client_account gmail
client_login gmail || { finish_clients; exit; }
# (not in $(...): lib.sh records the blocks asked for)
umask 077
recipe mpoprc >"$HOME/.mpoprc"
recipe run >"$work/run.sh"
umask 022
cd "$HOME" || exit 1
md=$HOME/Mail/gmail
b64() { printf %s "$1" | base64 -w0; }
not_in() { ! grep -qF -- "$1" "$2"; }
# fetched SUBJECT: the file of the message with that Subject in the Maildir.
fetched() { grep -l -- "^Subject: $1\$" "$md"/new/* "$md"/cur/* 2>/dev/null | head -1; }
run_mpop() { timeout 60 "$@" sh "$work/run.sh" >"$work/run.out" 2>&1; }

# --- round 1: the doc's run block; every program's argv seen by strace
deliver "mpop one"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run_mpop \
	strace -f -qq -e trace=execve -s 65536 -o "$work/execve.log"
rc=$?
check "mpop with the doc's ~/.mpoprc fetches (exit $rc: $(head -c 200 "$work/run.out"))" test "$rc" = 0
f=$(fetched "mpop one")
check "the delivered message is in ~/Mail/gmail" test -n "$f"
check "with its body" grep -q "body of mpop one" "${f:-/dev/null}"
t1=$(mailkey token gmail)
check "passwordeval ran mailkey token gmail" grep -q '"mailkey", "token", "gmail"' "$work/execve.log"
check "mpop itself ran" grep -q 'execve("/usr/bin/mpop", \["mpop", "gmail"\]' "$work/execve.log"
check "the token is in no program's argv" not_in "$t1" "$work/execve.log"
check "nor in mpop's output" not_in "$t1" "$work/run.out"
check "Dovecot saw an XOAUTH2 POP3 login of $MK_USER1" wait_until 50 grep -q "pop3-login: Info: Login: user=<$MK_USER1>, method=XOAUTH2" "$MK_DOVECOT_LOG"
check "keep off: the message left the server" test -z "$(find "$MK_MAIL_ROOT/$MK_USER1/Maildir/new" "$MK_MAIL_ROOT/$MK_USER1/Maildir/cur" -type f)"

# --- round 2, after the token expired: a refreshed token
r0=$(refreshes)
await_expiry gmail
deliver "mpop two"
run_mpop
rc=$?
check "after the token expired mpop fetches again (exit $rc: $(head -c 200 "$work/run.out"))" test "$rc" = 0
f=$(fetched "mpop two")
check "the second message arrived, with its body" grep -q "body of mpop two" "${f:-/dev/null}"
r1=$(refreshes)
check "the provider counted a refresh ($r0 -> $r1)" test "$r1" -gt "$r0"
t2=$(mailkey token gmail)
check "the token changed" test "$t2" != "$t1"

# --- auth oauthbearer and delivery mbox, as the doc says
sed -e 's/^auth xoauth2$/auth oauthbearer/' -e "s|^delivery .*|delivery mbox $HOME/Mail/gmail.mbox|" "$HOME/.mpoprc" >"$work/ob.rc"
chmod 600 "$work/ob.rc"
deliver "mpop three"
timeout 60 mpop -C "$work/ob.rc" gmail >"$work/ob.out" 2>&1
rc=$?
check "auth oauthbearer fetches too (exit $rc)" test "$rc" = 0
check "that message is in the mbox, with its body" \
	sh -c "grep -qx 'Subject: mpop three' '$HOME/Mail/gmail.mbox' && grep -qx 'body of mpop three' '$HOME/Mail/gmail.mbox'"
check "Dovecot saw an OAUTHBEARER POP3 login" wait_until 50 grep -q "pop3-login: Info: Login: user=<$MK_USER1>, method=OAUTHBEARER" "$MK_DOVECOT_LOG"

# --- the leak the doc names: --debug shows the AUTH line
timeout 60 mpop --debug gmail >"$work/debug.out" 2>&1
rc=$?
check "mpop --debug fetches (exit $rc)" test "$rc" = 0
tr -d '\r' <"$work/debug.out" >"$work/debug.txt"
check "--debug prints AUTH XOAUTH2" grep -qx -- '--> AUTH XOAUTH2' "$work/debug.txt"
check "and on the next line the token in base64" \
	grep -qx -- "--> $(b64 "user=$MK_USER1"$'\001'"auth=Bearer $t2"$'\001\001')" "$work/debug.txt"

# --- the grant gone: mailkey's line and mpop's, exit 78
mailkey logout gmail >/dev/null 2>&1
deliver "mpop never"
run_mpop
rc=$?
check "after mailkey logout gmail mpop exits 78 (got $rc)" test "$rc" = 78
check "mailkey's line names mailkey login gmail" grep -qF 'mailkey token: account gmail has no tokens yet: run `mailkey login gmail`' "$work/run.out"
check "mpop's line" grep -qF "mpop: cannot read output of 'mailkey token gmail'" "$work/run.out"
check "nothing fetched" test -z "$(fetched "mpop never")"

# --- a login the server refuses (last: Dovecot delays the next login from
# this address): a wrong user with a valid token; no token in the output
client_login gmail
t3=$(mailkey token gmail)
sed "s/^user .*/user $MK_USER2/" "$HOME/.mpoprc" >"$work/wrong.rc"
chmod 600 "$work/wrong.rc"
timeout 60 mpop -C "$work/wrong.rc" gmail >"$work/refused.out" 2>&1
rc=$?
check "a refused login: mpop exits 77 (got $rc: $(head -c 200 "$work/refused.out"))" test "$rc" = 77
check "its output holds neither the token nor the AUTH line's base64" \
	sh -c "! grep -qF -e '$t3' -e '$(b64 "user=$MK_USER2"$'\001'"auth=Bearer $t3"$'\001\001')' '$work/refused.out'"
# the programs' output, when a check failed (or MK_KEEP_OUT is set)
if [ "$failn" != 0 ] || [ -n "${MK_KEEP_OUT:-}" ]; then sed 's/^/  out: /' "$work"/*.out; fi
finish_clients
