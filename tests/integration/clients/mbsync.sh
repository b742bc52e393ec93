#!/usr/bin/env bash
# clients_mbsync: docs/clients/mbsync.md with the real mbsync (isync 1.4)
# and mailkey's Cyrus plugin (a build without sanitizers, on SASL_PATH, as
# libsasl2-modules-mailkey would put it into libsasl2's directory):
# saslpluginviewer lists the plugin; without it mbsync fails as the doc
# shows; with it the doc's ~/.mbsyncrc syncs a delivered message into the
# Maildir (the token in no argv), and after the token expired syncs the next
# one with a refreshed token. Without a grant PassCmd exits 77. The leaks:
# -D prints the AUTHENTICATE line, and a refused login (a wrong User) prints
# it with the live token in its base64.
# shellcheck disable=SC1091,SC2154,SC2016
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_plugin.bash"
client_account
client_login || { finish_clients; exit; }
md=$HOME/Mail/gmail/INBOX
# synced SUBJECT: the file of the message with that Subject in the Maildir.
synced() { grep -l -- "^Subject: $1\$" "$md"/new/* "$md"/cur/* 2>/dev/null | head -1; }
# run_mbsync PLUGIN_DIR OUT [PREFIX...]: the doc's run block with that
# SASL_PATH, output (both streams) in OUT; its exit status.
run_mbsync() {
	local dir=$1 out=$2
	shift 2
	SASL_PATH=$dir timeout 60 "$@" bash "$work/run.sh" >"$out" 2>&1
}
b64() { printf %s "$1" | base64 -w0; }
not_in() { ! grep -qF -- "$1" "$2"; }

# --- the plugin, as saslpluginviewer shows it
# (the blocks are taken here, not in $(...): lib.sh records what was asked for)
recipe check-plugin >"$work/check-plugin.sh"
recipe run >"$work/run.sh"
SASL_PATH=$plugins bash "$work/check-plugin.sh" >"$work/viewer.out" 2>&1
check "saslpluginviewer -c | grep mailkey lists the plugin" grep -q 'Plugin "mailkey-xoauth2"' "$work/viewer.out"
SASL_PATH=$nosasl bash "$work/check-plugin.sh" >"$work/viewer-none.out" 2>&1
check "and prints nothing without it" test ! -s "$work/viewer-none.out"

recipe mbsyncrc >"$HOME/.mbsyncrc"
chmod 600 "$HOME/.mbsyncrc"
deliver "mbsync one"

# --- without the plugin: the doc's error, exit 1, nothing synced
run_mbsync "$nosasl" "$work/noplugin.out"
rc=$?
check "without the plugin mbsync exits 1 ($rc)" test "$rc" = 1
check "and says the SASL mechanism is not available ($(head -c 120 "$work/noplugin.out"))" \
	grep -q 'selected SASL mechanism(s) not available' "$work/noplugin.out"
check "selected: XOAUTH2" grep -q 'selected: XOAUTH2' "$work/noplugin.out"
check "nothing was synced" test -z "$(synced "mbsync one")"

# --- with it: the message arrives; every program's argv seen by strace
# (LeakSanitizer cannot run under ptrace, hence detect_leaks=0)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run_mbsync "$plugins" "$work/sync1.out" \
	strace -f -qq -e trace=execve -s 65536 -o "$work/execve.log"
rc=$?
check "mbsync with the doc's config syncs (exit $rc $(head -c 200 "$work/sync1.out"))" test "$rc" = 0
f=$(synced "mbsync one")
check "the delivered message is in ~/Mail/gmail/INBOX" test -n "$f"
check "with its body" grep -q "body of mbsync one" "${f:-/dev/null}"
t1=$(mailkey token gmail)
check "PassCmd ran mailkey token gmail" grep -q '"mailkey", "token", "gmail"' "$work/execve.log"
check "the token is in no program's argv" not_in "$t1" "$work/execve.log"
check "nor in mbsync's output" not_in "$t1" "$work/sync1.out"
check "Dovecot saw an XOAUTH2 login of $MK_USER1" grep -q "imap-login: Info: Login: user=<$MK_USER1>, method=XOAUTH2" "$MK_DOVECOT_LOG"

# --- after the token expired: the next message, with a refreshed token
r0=$(refreshes)
await_expiry
deliver "mbsync two"
run_mbsync "$plugins" "$work/sync2.out"
rc=$?
check "after the token expired mbsync syncs again (exit $rc $(head -c 200 "$work/sync2.out"))" test "$rc" = 0
f=$(synced "mbsync two")
check "the second message arrived, with its body" grep -q "body of mbsync two" "${f:-/dev/null}"
r1=$(refreshes)
check "the provider counted a refresh ($r0 -> $r1)" test "$r1" -gt "$r0"
t2=$(mailkey token gmail)
check "the token changed" test "$t2" != "$t1"

# --- the leaks the doc names
SASL_PATH=$plugins timeout 60 mbsync -D gmail >"$work/debug.out" 2>&1
check "mbsync -D prints the AUTHENTICATE line with the token in its base64" \
	grep -qF "AUTHENTICATE XOAUTH2 $(b64 "user=$MK_USER1"$'\001'"auth=Bearer $t2"$'\001\001')" "$work/debug.out"

# --- no grant: PassCmd exits 77 (a store without tokens)
MAILKEY_STATE_DIR=$work/empty-state run_mbsync "$plugins" "$work/nogrant.out"
rc=$?
check "without a grant mbsync fails ($rc)" test "$rc" != 0
check "mbsync says PassCmd exited with status 77" grep -q 'Skipping account gmail, PassCmd exited with status 77' "$work/nogrant.out"
check "mailkey says run mailkey login gmail" grep -qF 'no tokens yet: run `mailkey login gmail`' "$work/nogrant.out"

# --- a refused login (last: Dovecot delays the next login from this
# address): a wrong User prints the command, with the still valid token
sed "s/^User .*/User $MK_USER2/" "$HOME/.mbsyncrc" >"$work/wrong-user.rc"
SASL_PATH=$plugins timeout 60 mbsync -c "$work/wrong-user.rc" gmail >"$work/refused.out" 2>&1
rc=$?
check "a login the server refuses: exit 1 ($rc)" test "$rc" = 1
check "the error shows AUTHENTICATE XOAUTH2 with base64 of user=...auth=Bearer TOKEN" \
	grep -qF "IMAP command 'AUTHENTICATE XOAUTH2 $(b64 "user=$MK_USER2"$'\001'"auth=Bearer $t2"$'\001\001')' returned an error" "$work/refused.out"
check "and that token is still active" test "$(printf %s "$t2" | introspect)" = True
finish_clients
