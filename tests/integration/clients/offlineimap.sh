#!/usr/bin/env bash
# clients_offlineimap: docs/clients/offlineimap.md with the real OfflineIMAP
# (offlineimap3, its own XOAUTH2, oauth2_access_token_eval running
# `mailkey token`): `offlineimap -o` with the doc's ~/.offlineimaprc syncs a
# delivered message into the Maildir (the token in no argv, not in the
# output), and after the token expired a new run syncs the next one with a
# refreshed token. The doc's warnings: without a grant it exits 100 with
# mailkey's exit status 77 in its traceback; `-d imap` prints the token; a
# long-running OfflineIMAP (autorefresh) keeps its first token and fails
# once it has expired.
# shellcheck disable=SC1091,SC2154,SC2016
. "$(dirname "$0")/lib.sh"
client_account
client_login || { finish_clients; exit; }
md=$HOME/Mail/gmail/INBOX
synced() { grep -l -- "^Subject: $1\$" "$md"/new/* "$md"/cur/* 2>/dev/null | head -1; }
not_in() { ! grep -qF -- "$1" "$2"; }
opid=
trap '[ -n "$opid" ] && kill "$opid" 2>/dev/null; daemon_cleanup; cleanup' EXIT
# (the blocks are taken here, not in $(...): lib.sh records what was asked for)
recipe offlineimaprc >"$HOME/.offlineimaprc"
chmod 600 "$HOME/.offlineimaprc"
recipe run >"$work/run.sh"
# run_oi OUT [PREFIX...]: the doc's run block, both streams in OUT; its status.
run_oi() {
	local out=$1
	shift
	timeout 60 "$@" bash "$work/run.sh" >"$out" 2>&1
}

# --- a sync; every program's argv seen by strace (LeakSanitizer cannot run
# under ptrace, hence detect_leaks=0)
deliver "offlineimap one"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run_oi "$work/sync1.out" \
	strace -f -qq -e trace=execve -s 65536 -o "$work/execve.log"
rc=$?
check "offlineimap -o with the doc's config syncs (exit $rc)" test "$rc" = 0
[ "$rc" = 0 ] || tail -5 "$work/sync1.out"
f=$(synced "offlineimap one")
check "the delivered message is in ~/Mail/gmail/INBOX, with its body" grep -q "body of offlineimap one" "${f:-/dev/null}"
t1=$(mailkey token gmail)
check "oauth2_access_token_eval ran mailkey token gmail" grep -q '"mailkey", "token", "gmail"' "$work/execve.log"
check "the token is in no program's argv" not_in "$t1" "$work/execve.log"
check "nor in OfflineIMAP's output" not_in "$t1" "$work/sync1.out"
check "Dovecot saw an XOAUTH2 login of $MK_USER1" grep -q "imap-login: Info: Login: user=<$MK_USER1>, method=XOAUTH2" "$MK_DOVECOT_LOG"

# --- after the token expired: a new run, a refreshed token
r0=$(refreshes)
await_expiry
deliver "offlineimap two"
run_oi "$work/sync2.out"
rc=$?
check "after the token expired offlineimap -o syncs again (exit $rc)" test "$rc" = 0
[ "$rc" = 0 ] || tail -5 "$work/sync2.out"
f=$(synced "offlineimap two")
check "the second message arrived, with its body" grep -q "body of offlineimap two" "${f:-/dev/null}"
r1=$(refreshes)
check "the provider counted a refresh ($r0 -> $r1)" test "$r1" -gt "$r0"
t2=$(mailkey token gmail)
check "the token changed" test "$t2" != "$t1"
check "the output has no token" not_in "$t2" "$work/sync2.out"

# --- the leak the doc names: -d imap
timeout 60 offlineimap -o -d imap >"$work/debug.out" 2>&1
check "offlineimap -d imap prints the access token" grep -qF "xoauth2handler: access_token \"$t2" "$work/debug.out"
check "and the SASL string with it" grep -qF "auth=Bearer $t2" "$work/debug.out"

# --- no grant: exit 100, mailkey's 77 and message
MAILKEY_STATE_DIR=$work/empty-state run_oi "$work/nogrant.out"
rc=$?
check "without a grant offlineimap exits 100 ($rc)" test "$rc" = 100
check "its traceback ends with mailkey's exit status 77" \
	grep -qF "Command '['mailkey', 'token', 'gmail']' returned non-zero exit status 77." "$work/nogrant.out"
check "mailkey says run mailkey login gmail" grep -qF 'no tokens yet: run `mailkey login gmail`' "$work/nogrant.out"

# --- a long-running OfflineIMAP (autorefresh every 6 s) with the same
# config: it syncs with the token it read at start, and fails once that
# token has expired (last: Dovecot delays logins after a failure).
sed 's/^remoterepository = .*/&\nautorefresh = 0.1/' "$HOME/.offlineimaprc" >"$work/autorefresh.rc"
deliver "offlineimap three"
timeout 90 offlineimap -c "$work/autorefresh.rc" >"$work/auto.out" 2>&1 &
opid=$!
check "with autorefresh it first syncs" wait_until 200 sh -c "grep -qs '^Subject: offlineimap three\$' '$md'/new/* '$md'/cur/*"
check "and fails once its token expired: All authentication types failed" \
	wait_until 450 grep -q 'All authentication types failed' "$work/auto.out"
check "XOAUTH2: [AUTHENTICATIONFAILED]" grep -q "XOAUTH2: b'\[AUTHENTICATIONFAILED\] Authentication failed.'" "$work/auto.out"
kill "$opid" 2>/dev/null
wait "$opid" 2>/dev/null
opid=
finish_clients
