#!/usr/bin/env bash
# clients_mutt: docs/clients/mutt.md with Debian's Mutt 2.2. A real
# `mailkey login`; Mutt sends in batch mode (SMTP, STARTTLS, OAUTHBEARER;
# once XOAUTH2) and reads in tmux (IMAPS: the message's subject in the index,
# its body in the pager); after the 20 s token has expired, both again, and
# the provider counts a refresh. Where the debug log writes the SASL string
# (levels 1, 2, 4, 5), that the token is on no command line or screen, and
# what the person sees once the grant is gone.
# shellcheck disable=SC1091,SC2154,SC2016,SC2119 # lib.sh sets work, failn, ...
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tui_lib"
client_account
client_login || { finish_clients; exit; }
tui_file "$HOME/.config/mutt/muttrc"
recipe muttrc >"$work/muttrc"
tui_user <"$work/muttrc" >"$HOME/.config/mutt/muttrc"
recipe send >"$work/send.sh"
send_cmd=$(cat "$work/send.sh")
MUA=mutt MUA_HELLO="Hello from Mutt"

# mutt -d N writes ~/.muttdebug0 (and renames older ones): keep_log NAME
# moves it to $work/NAME.log.
keep_log() {
	mv "$HOME/.muttdebug0" "$work/$1.log" 2>/dev/null
	rm -f "$HOME"/.muttdebug*
}

# Round 1: send (debug levels 1 and 2), XOAUTH2, read (debug level 4),
# read with XOAUTH2.
mua_sent_ok mu-send-1 "-d 1" "send 1 (-d 1)"
keep_log mu-d1
check "debug level 1: the log exists, without the SASL string ($(auth_lines "$work"/mu-d1.log))" \
	sh -c "ls '$work'/mu-d1.log >/dev/null 2>&1 && test $(auth_lines "$work"/mu-d1.log) = 0"
mua_sent_ok mu-send-2 "-d 2" "send 2 (-d 2)"
keep_log mu-d2
check "debug level 2: the log has the SMTP AUTH line with the token" \
	sh -c "grep -q '> AUTH OAUTHBEARER ' '$work'/mu-d2.log* && test $(auth_lines "$work"/mu-d2.log*) -ge 1"
x0=$(grep -c "sasl_method=XOAUTH2, sasl_username=$MK_USER1" "$MK_POSTFIX_LOG")
mua_sent_ok mu-send-x "-e 'set smtp_authenticators=xoauth2'" "send with xoauth2"
check "Postfix saw the XOAUTH2 login" test "$(grep -c "sasl_method=XOAUTH2, sasl_username=$MK_USER1" "$MK_POSTFIX_LOG")" -gt "$x0"
mua_read mu-read-1 mu1 "-d 4"
keep_log mu-r4
check "debug level 4: IMAP logged in, the SASL string not written" \
	sh -c "grep -q 'Authenticating (OAUTHBEARER)' '$work'/mu-r4.log* && test $(auth_lines "$work"/mu-r4.log*) = 0"
x0=$(grep -c "imap-login: Info: Login: user=<$MK_USER1>, method=XOAUTH2" "$MK_DOVECOT_LOG")
mua_read mu-read-x mux "-e 'set imap_authenticators=xoauth2'"
check "Dovecot saw the XOAUTH2 IMAP login" test "$(grep -c "imap-login: Info: Login: user=<$MK_USER1>, method=XOAUTH2" "$MK_DOVECOT_LOG")" -gt "$x0"

# Round 2, after the token has expired: read (debug level 5), send.
await_expiry
r0=$(refreshes)
mua_read mu-read-2 mu2 "-d 5"
keep_log mu-r5
check "debug level 5: the log has the IMAP AUTHENTICATE line with the token" \
	sh -c "grep -q 'AUTHENTICATE OAUTHBEARER ' '$work'/mu-r5.log* && test $(auth_lines "$work"/mu-r5.log*) -ge 1"
r1=$(refreshes)
check "the expired token was refreshed for the IMAP login ($r0 -> $r1)" test "$r1" -gt "$r0"
mua_sent_ok mu-send-3 "" "send 3 (after the expiry)"

# The grant gone: a batch send, then the full-screen program.
mailkey logout gmail >/dev/null 2>&1
mua_send mu-send-gone
rc=$?
check "without tokens the send fails (exit $rc) and says why" \
	sh -c "test $rc != 0 && grep -qF 'run \`mailkey login gmail\`' '$work/send.out' && grep -qF 'Could not send the message' '$work/send.out'"
[ "$failn" = 0 ] || sed 's/^/  mutt: /' "$work/send.out"
tui_start mug mutt
tui_wait mug "Mutt: (no mailbox)" 30
check "the full-screen program opens no mailbox" grep -qF -- "---Mutt: (no mailbox) [Msgs:0]" "$work/mug.screen" || tui_show mug
check "mailkey's message went to mutt's stderr" grep -qF 'run `mailkey login gmail`' "$work/mug.err"
tui_keys mug q
rc=$(tui_exit mug 20)
check "mutt quits (exit $rc)" test "$rc" = 0
finish_clients
