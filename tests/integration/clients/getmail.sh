#!/usr/bin/env bash
# clients_getmail: docs/clients/getmail.md with Debian's getmail6 6.18: IMAPS
# with use_xoauth2 and password_command ("mailkey", "token", "gmail") fetches
# a delivered message into the Maildir (the token in no argv: strace), and
# after the token expired the next one with a refreshed token; after
# `mailkey logout gmail` getmail exits 127 with the doc's line. No leak: not
# in its output, nor with --trace, nor when the server refuses the login.
# shellcheck disable=SC1091,SC2016,SC2154
. "$(dirname "$0")/lib.sh"
client_account gmail
client_login gmail || { finish_clients; exit; }
# (not in $(...): lib.sh records the blocks asked for)
umask 077
mkdir -p "$HOME/.getmail"
recipe getmailrc >"$HOME/.getmail/getmailrc"
recipe run >"$work/run.sh"
umask 022
# getmail refuses to deliver as root, and this test may run as root: then
# (only then) the deliveries go as nobody (getmail's destination `user`); the
# retriever, which runs mailkey and logs in, stays as it is.
if [ "$(id -u)" = 0 ]; then
	sed -i 's|^path = .*|&\nuser = nobody|' "$HOME/.getmail/getmailrc"
	mkdir -p "$HOME/Mail/gmail/cur" "$HOME/Mail/gmail/new" "$HOME/Mail/gmail/tmp"
	chown -R nobody "$HOME/Mail"
	chmod 711 "$HOME"
fi
cd "$HOME" || exit 1
md=$HOME/Mail/gmail
b64() { printf %s "$1" | base64 -w0; }
not_in() { ! grep -qF -- "$1" "$2"; }
# fetched SUBJECT: the file of the message with that Subject in the Maildir.
fetched() { grep -l -- "^Subject: $1\$" "$md"/new/* "$md"/cur/* 2>/dev/null | head -1; }
run_getmail() { timeout 60 "$@" sh "$work/run.sh" >"$work/run.out" 2>&1; }

# --- round 1: the doc's run block; every program's argv seen by strace
deliver "getmail one"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run_getmail \
	strace -f -qq -e trace=execve -s 65536 -o "$work/execve.log"
rc=$?
check "getmail with the doc's getmailrc fetches (exit $rc: $(head -c 300 "$work/run.out"))" test "$rc" = 0
f=$(fetched "getmail one")
check "the delivered message is in ~/Mail/gmail" test -n "$f"
check "with its body" grep -q "body of getmail one" "${f:-/dev/null}"
t1=$(mailkey token gmail)
check "password_command ran mailkey token gmail" grep -q '\["mailkey", "token", "gmail"\]' "$work/execve.log"
check "the token is in no program's argv" not_in "$t1" "$work/execve.log"
check "nor in getmail's output" not_in "$t1" "$work/run.out"
check "Dovecot saw an XOAUTH2 IMAP login of $MK_USER1" wait_until 50 grep -q "imap-login: Info: Login: user=<$MK_USER1>, method=XOAUTH2" "$MK_DOVECOT_LOG"
check "delete = false: the message stayed on the server" test -n "$(find "$MK_MAIL_ROOT/$MK_USER1/Maildir/new" "$MK_MAIL_ROOT/$MK_USER1/Maildir/cur" -type f)"

# --- round 2, after the token expired: a refreshed token; only the new one
r0=$(refreshes)
await_expiry gmail
deliver "getmail two"
run_getmail
rc=$?
check "after the token expired getmail fetches again (exit $rc: $(head -c 300 "$work/run.out"))" test "$rc" = 0
f=$(fetched "getmail two")
check "the second message arrived, with its body" grep -q "body of getmail two" "${f:-/dev/null}"
check "read_all = false: the first one was not fetched twice" \
	test "$(grep -l -- '^Subject: getmail one$' "$md"/new/* "$md"/cur/* | wc -l)" = 1
r1=$(refreshes)
check "the provider counted a refresh ($r0 -> $r1)" test "$r1" -gt "$r0"
t2=$(mailkey token gmail)
check "the token changed" test "$t2" != "$t1"

# --- the leak the doc names: --trace
timeout 60 getmail --trace >"$work/trace.out" 2>&1
rc=$?
check "getmail --trace runs (exit $rc)" test "$rc" = 0
check "--trace traced the login (it ran password_command)" grep -qF 'password_command' "$work/trace.out"
check "--trace prints neither the token nor the AUTHENTICATE base64" \
	sh -c "! grep -qF -e '$t2' -e '$(b64 "user=$MK_USER1"$'\001'"auth=Bearer $t2"$'\001\001')' '$work/trace.out'"

# --- the grant gone: getmail's line, exit 127
mailkey logout gmail >/dev/null 2>&1
deliver "getmail never"
run_getmail
rc=$?
check "after mailkey logout gmail getmail exits 127 (got $rc)" test "$rc" = 127
check "getmail's line: External program error (mailkey exited with 77)" \
	grep -qF 'getmailrc: operation error (External program error (mailkey exited with 77))' "$work/run.out"
check "and not mailkey's own line (getmail drops it)" not_in 'mailkey login gmail' "$work/run.out"
check "nothing fetched" test -z "$(fetched "getmail never")"

# --- POP3: getmail's POP3 retrievers have no use_xoauth2 (port 1: nothing
# is sent anywhere)
sed -e 's/^type = SimpleIMAPSSLRetriever$/type = SimplePOP3SSLRetriever/' -e 's/^port = .*/port = 1/' \
	-e '/^mailboxes = /d' -e '/^ca_certs = /d' "$HOME/.getmail/getmailrc" >"$HOME/.getmail/pop"
timeout 60 getmail -r pop >"$work/pop.out" 2>&1
check "a POP3 retriever: getmail ignores use_xoauth2, and says so" \
	grep -qF 'ignoring unknown parameter "use_xoauth2"' "$work/pop.out"

# --- a login the server refuses (last: Dovecot delays the next login from
# this address): a wrong username with a valid token; no token printed
client_login gmail
t3=$(mailkey token gmail)
# (as root only: the doc's getmailrc without the test's `user = nobody`)
if [ "$(id -u)" = 0 ]; then
	sed '/^user = nobody$/d' "$HOME/.getmail/getmailrc" >"$HOME/.getmail/asroot"
	deliver "getmail root"
	timeout 60 getmail -r asroot >"$work/root.out" 2>&1
	check "as root getmail logs in but refuses to deliver" grep -qF 'refuse to deliver mail as root' "$work/root.out"
fi
sed "s/^username = .*/username = $MK_USER2/" "$HOME/.getmail/getmailrc" >"$HOME/.getmail/wrong"
timeout 60 getmail -r wrong >"$work/refused.out" 2>&1
rc=$?
check "a refused login: getmail exits 127 (got $rc)" test "$rc" = 127
check "and says credential/login error" grep -qF 'credential/login error ([AUTHENTICATIONFAILED] Authentication failed.)' "$work/refused.out"
check "its output holds neither the token nor the AUTHENTICATE base64" \
	sh -c "! grep -qF -e '$t3' -e '$(b64 "user=$MK_USER2"$'\001'"auth=Bearer $t3"$'\001\001')' '$work/refused.out'"
# the programs' output, when a check failed (or MK_KEEP_OUT is set)
if [ "$failn" != 0 ] || [ -n "${MK_KEEP_OUT:-}" ]; then sed 's/^/  out: /' "$work"/*.out; fi
finish_clients
