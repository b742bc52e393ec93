#!/usr/bin/env bash
# gwreview_shared_user: two accounts for one mailbox (the same `user`, e.g.
# a second client registration, or a test account next to the real one) are
# allowed. `mailkey app-password add alice2 NAME` says "Give the program
# the user name alice@example.test", but the gateway maps that user name to
# the first account with it (alice) and refuses alice2's password as
# invalid credentials. Following the printed advice must work: either the
# gateway tries each account the user name names (the password picks one),
# or the advice names a user name that picks alice2.
. "$(dirname "$0")/lib.sh"
acct alice2 "$MK_USER1" xoauth2 "imap = localhost:$MK_IMAPS_PORT
pop3 = localhost:$MK_POP3S_PORT
smtp = localhost:$MK_SMTP_PORT
smtp_tls = starttls"
"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" alice2 3600 <"$work/tok.alice"
gw_config
P1=$(pw alice one)
P2=$("$MK" app-password add alice2 two 2>"$work/add2.err")
check "app password for alice2 made" test -n "$P2"
user=$(sed -n 's/.*Give the program the user name \([^ ]*\) and the password.*/\1/p' "$work/add2.err")
check "the add command names a user name ($(cat "$work/add2.err"))" test -n "$user"
gw_start
check "the gateway listens" test $? = 0
cl() { /usr/bin/python3 "$top/tests/integration/gwcore/client.py" "$@"; }
out=$(cl imap plain "$P_IMAP" "$user" "$P2")
check "imap: alice2's password with the user name its add command gave ($user): $out" test "${out%% *}" = OK
out=$(cl pop3 plain "$P_POP3" "$user" "$P2")
check "pop3: the same: $out" test "${out%% *}" = OK
out=$(cl imap plain "$P_IMAP" "$MK_USER1" "$P1")
check "imap: alice's own password with the mail address still works: $out" test "${out%% *}" = OK
out=$(cl imap plain "$P_IMAP" alice2 "$P1")
check "imap: alice's password is not alice2's: $out" test "${out%% *}" != OK
finish
