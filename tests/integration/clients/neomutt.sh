#!/usr/bin/env bash
# clients_neomutt: docs/clients/neomutt.md with Debian's NeoMutt. A real
# `mailkey login`; NeoMutt sends in batch mode (SMTP, STARTTLS, OAUTHBEARER;
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
tui_file "$HOME/.config/neomutt/neomuttrc"
recipe neomuttrc >"$HOME/.config/neomutt/neomuttrc"
recipe send >"$work/send.sh"
send_cmd=$(cat "$work/send.sh")
MUA=neomutt MUA_HELLO="Hello from NeoMutt"

# Round 1: send (debug levels 1 and 2), XOAUTH2, read (debug level 4),
# read with XOAUTH2.
mua_sent_ok nm-send-1 "-d 1 -l $work/nm-d1.log" "send 1 (-d 1)"
check "debug level 1: the log exists, without the SASL string ($(auth_lines "$work"/nm-d1.log*))" \
	sh -c "ls '$work'/nm-d1.log* >/dev/null 2>&1 && test $(auth_lines "$work"/nm-d1.log*) = 0"
mua_sent_ok nm-send-2 "-d 2 -l $work/nm-d2.log" "send 2 (-d 2)"
check "debug level 2: the log has the SMTP AUTH line with the token" \
	sh -c "grep -q '> AUTH OAUTHBEARER ' '$work'/nm-d2.log* && test $(auth_lines "$work"/nm-d2.log*) -ge 1"
x0=$(grep -c "sasl_method=XOAUTH2, sasl_username=$MK_USER1" "$MK_POSTFIX_LOG")
mua_sent_ok nm-send-x "-e 'set smtp_authenticators=xoauth2'" "send with xoauth2"
check "Postfix saw the XOAUTH2 login" test "$(grep -c "sasl_method=XOAUTH2, sasl_username=$MK_USER1" "$MK_POSTFIX_LOG")" -gt "$x0"
mua_read nm-read-1 nm1 "-d 4 -l $work/nm-r4.log"
check "debug level 4: IMAP logged in, the SASL string not written" \
	sh -c "grep -q 'Authenticating (OAUTHBEARER)' '$work'/nm-r4.log* && test $(auth_lines "$work"/nm-r4.log*) = 0"
x0=$(grep -c "imap-login: Info: Login: user=<$MK_USER1>, method=XOAUTH2" "$MK_DOVECOT_LOG")
mua_read nm-read-x nmx "-e 'set imap_authenticators=xoauth2'"
check "Dovecot saw the XOAUTH2 IMAP login" test "$(grep -c "imap-login: Info: Login: user=<$MK_USER1>, method=XOAUTH2" "$MK_DOVECOT_LOG")" -gt "$x0"

# Round 2, after the token has expired: read (debug level 5), send.
await_expiry
r0=$(refreshes)
mua_read nm-read-2 nm2 "-d 5 -l $work/nm-r5.log"
check "debug level 5: the log has the IMAP AUTHENTICATE line with the token" \
	sh -c "grep -q 'AUTHENTICATE OAUTHBEARER ' '$work'/nm-r5.log* && test $(auth_lines "$work"/nm-r5.log*) -ge 1"
r1=$(refreshes)
check "the expired token was refreshed for the IMAP login ($r0 -> $r1)" test "$r1" -gt "$r0"
mua_sent_ok nm-send-3 "" "send 3 (after the expiry)"

# The grant gone: a batch send, then the full-screen program.
mailkey logout gmail >/dev/null 2>&1
mua_send nm-send-gone
rc=$?
check "without tokens the send fails (exit $rc) and says why" \
	sh -c "test $rc != 0 && grep -qF 'run \`mailkey login gmail\`' '$work/send.out' && grep -qF 'Could not send the message' '$work/send.out'"
[ "$failn" = 0 ] || sed 's/^/  neomutt: /' "$work/send.out"
tui_start nmg neomutt
tui_wait nmg "Unable to open mailbox" 30
check "the full-screen program says 'Unable to open mailbox'" grep -qF "Unable to open mailbox imaps://localhost:$MK_IMAPS_PORT/INBOX" "$work/nmg.screen" || tui_show nmg
check "mailkey's message went to neomutt's stderr" grep -qF 'run `mailkey login gmail`' "$work/nmg.err"
tui_keys nmg q
rc=$(tui_exit nmg 20)
check "neomutt quits (exit $rc)" test "$rc" = 0
finish_clients
