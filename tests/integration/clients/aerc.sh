#!/usr/bin/env bash
# clients_aerc: docs/clients/aerc.md with Debian's aerc 0.14, in tmux (it
# needs a terminal), its configuration under $HOME/.config/aerc. A real
# `mailkey login`; aerc reads over IMAPS with OAUTHBEARER (the delivered
# message's subject in the list, its body in the viewer) and sends over SMTPS
# (composed with :compose, the body written by an $EDITOR script). After the
# 20 s token has expired: a new aerc reads (the provider counts a refresh),
# and the aerc running since before the expiry sends again (it reruns
# outgoing-cred-cmd); but when its IMAP connection drops, it retries with the
# token of its start, refused for good. Also: a too open accounts.conf is
# refused; the STARTTLS send (smtp+oauthbearer on 587) hangs; XOAUTH2
# (imaps+xoauth2, smtps+xoauth2) reads and sends; the trace log holds no
# token, no command line does; what the person sees once the grant is gone.
# shellcheck disable=SC1091,SC2154,SC2016,SC2119 # lib.sh sets work, failn, ...
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tui_lib"
client_account
client_login || { finish_clients; exit; }
conf=$HOME/.config/aerc
tui_file "$conf/accounts.conf"
recipe accounts >"$work/accounts.conf"
tui_user <"$work/accounts.conf" >"$conf/accounts.conf"
# aerc.conf: Debian's default with the recipe's log lines in [general].
recipe aerc-log >"$work/aerc-log"
python3 - /usr/share/aerc/aerc.conf "$work/aerc-log" "$conf/aerc.conf" <<'PY'
import sys
conf, log, out = (open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3])
lines = [l for l in log.splitlines() if l.strip() and l.strip() != "[general]"]
assert "\n[general]\n" in "\n" + conf, "no [general] in aerc.conf"
open(out, "w").write(("\n" + conf).replace("\n[general]\n", "\n[general]\n" + "\n".join(lines) + "\n", 1)[1:])
PY
mkdir -p "$HOME/.cache"
LOG=$HOME/.cache/aerc.log
# The test CA: Go's TLS takes SSL_CERT_FILE instead of the system's bundle.
# The editor: a script that appends $work/body to the message.
printf '#!/bin/sh\ncat "%s/body" >>"$1"\n' "$work" >"$work/editor"
chmod 700 "$work/editor"
AERC="SSL_CERT_FILE=$MK_CA_FILE EDITOR=$work/editor aerc"

# ae_read NAME SUBJECT: in the running aerc NAME, wait for SUBJECT in the
# message list, select it (search), open it, see its body, close it.
ae_read() {
	local n=$1 s=$2
	tui_wait "$n" "$s" 45
	check "$n: the message list shows '$s'" grep -qF "$s" "$work/$n.screen" || tui_show "$n"
	tui_type "$n" ":search $s"
	tui_keys "$n" Enter
	sleep 0.3
	tui_keys "$n" Enter
	tui_wait "$n" "body of $s" 30
	check "$n: the viewer shows its body" grep -q "body of $s" "$work/$n.screen" || tui_show "$n"
	tui_type "$n" ":close"
	tui_keys "$n" Enter
}
# ae_send NAME SUBJECT: compose to bob in aerc NAME and send; a check that
# bob has it, with its body, unless a third argument says "nowait".
ae_send() {
	local n=$1 s=$2 f
	printf 'aerc says %s\n' "$s" >"$work/body"
	tui_type "$n" ":compose -H \"To: $MK_USER2\" -H \"Subject: $s\""
	tui_keys "$n" Enter
	tui_wait "$n" "Send this email?" 30
	check "$n: the composer offers to send '$s'" grep -qF "Send this email?" "$work/$n.screen" || tui_show "$n"
	sleep 0.5
	tui_keys "$n" y
	[ "${3:-}" = nowait ] && return 0
	f=$(delivered "$s") || for _ in 1 2 3; do f=$(delivered "$s") && break; done
	check "$n: bob has '$s', with its body" has_line "aerc says $s" "$f" || tui_show "$n"
}
ae_quit() {
	local rc
	tui_type "$1" ":quit"
	tui_keys "$1" Enter
	rc=$(tui_exit "$1" 20)
	check "$1: aerc quits (exit $rc)" test "$rc" = 0
}

# accounts.conf must be 0600: with 0644 aerc refuses to start.
mkdir -p "$work/lax/aerc"
cp "$conf/accounts.conf" "$work/lax/aerc/"
chmod 644 "$work/lax/aerc/accounts.conf"
XDG_CONFIG_HOME=$work/lax timeout 30 aerc </dev/null >"$work/lax.out" 2>&1
rc=$?
check "a 0644 accounts.conf: aerc refuses (exit $rc)" \
	sh -c "test $rc = 1 && grep -qF 'has too open permissions' '$work/lax.out'"

# Round 1: read, send; a1 stays running.
deliver ae-read-1
tui_start a1 "$AERC"
ae_read a1 ae-read-1
ae_send a1 ae-send-1
tok1=$(stored_token gmail)
check "the token is on no command line while aerc runs" test -n "$tok1" -a "$(token_in_argv "$tok1" && echo yes)" = ""

# STARTTLS (submission on 587): aerc 0.14 never sends. Its wait overlaps
# the expiry's.
mkdir -p "$work/stls/aerc"
sed -e "s|^outgoing = smtps+\(.*\):$MK_SMTPS_PORT\$|outgoing = smtp+\1:$MK_SMTP_PORT\nsmtp-starttls = true|" \
	"$conf/accounts.conf" >"$work/stls/aerc/accounts.conf"
chmod 600 "$work/stls/aerc/accounts.conf"
cp "$conf/aerc.conf" "$work/stls/aerc/"
sed -i "s|^log-file = .*|log-file = $work/stls.log|" "$work/stls/aerc/aerc.conf"
ehlo0=$(grep -c "submission/smtpd.*lost connection after EHLO" "$MK_POSTFIX_LOG")
tui_start st "XDG_CONFIG_HOME=$work/stls $AERC"
tui_wait st "Connected" 30
ae_send st ae-starttls nowait
t_stls=$(date +%s)

# XOAUTH2 (the URL schemes imaps+xoauth2, smtps+xoauth2): read and send.
mkdir -p "$work/xo/aerc"
sed -e 's/^source = imaps+oauthbearer:/source = imaps+xoauth2:/' -e 's/^outgoing = smtps+oauthbearer:/outgoing = smtps+xoauth2:/' \
	"$conf/accounts.conf" >"$work/xo/aerc/accounts.conf"
chmod 600 "$work/xo/aerc/accounts.conf"
cp "$conf/aerc.conf" "$work/xo/aerc/"
sed -i "s|^log-file = .*|log-file = $work/xo.log|" "$work/xo/aerc/aerc.conf"
tui_start xo "XDG_CONFIG_HOME=$work/xo $AERC"
tui_wait xo ae-read-1 45
check "xoauth2: the message list shows ae-read-1" grep -qF ae-read-1 "$work/xo.screen" || tui_show xo
check "xoauth2: Dovecot saw an XOAUTH2 IMAP login" grep -q "imap-login: Info: Login: user=<$MK_USER1>, method=XOAUTH2" "$MK_DOVECOT_LOG"
ae_send xo ae-xoauth2
check "xoauth2: Postfix saw an XOAUTH2 login" grep -q "sasl_method=XOAUTH2, sasl_username=$MK_USER1" "$MK_POSTFIX_LOG"
ae_quit xo

# Round 2, after the expiry: a new aerc reads; the old one sends.
await_expiry
r0=$(refreshes)
deliver ae-read-2
tui_start a2 "$AERC"
ae_read a2 ae-read-2
r1=$(refreshes)
check "the new aerc's IMAP login refreshed the expired token ($r0 -> $r1)" test "$r1" -gt "$r0"
ae_quit a2
ae_send a1 ae-send-2
tok2=$(stored_token gmail)
check "a token from after the expiry ($([ "$tok1" != "$tok2" ] && echo new))" test -n "$tok2" -a "$tok1" != "$tok2"

# The STARTTLS send, at least 15 s later: still "Sending...", nothing sent.
while [ $(($(date +%s) - t_stls)) -lt 15 ]; do sleep 1; done
tui_screen st >"$work/st.screen"
# (it shows Sending..., or, when the keys came fast, stays on the review)
check "STARTTLS: after $(($(date +%s) - t_stls)) s aerc still shows Sending... or the review" \
	grep -qF -e "Sending..." -e "Send this email?" "$work/st.screen" || tui_show st
check "STARTTLS: bob has nothing" sh -c "! grep -lqs '^Subject: ae-starttls\$' '$MK_MAIL_ROOT/$MK_USER2/Maildir/new/'*"
check "STARTTLS: Postfix saw aerc leave after EHLO" \
	test "$(grep -c "submission/smtpd.*lost connection after EHLO" "$MK_POSTFIX_LOG")" -gt "$ehlo0"
tx kill-session -t st

# The trace log: aerc's own lines, no token, no SASL string.
check "aerc's log is written at trace level" grep -q '^TRACE ' "$LOG"
neither() { not_in "$1" "$3" && not_in "$2" "$3"; }
check "the log holds neither token" neither "$tok1" "$tok2" "$LOG"
check "nor a SASL string" test "$(auth_lines "$LOG" "$work/stls.log" "$work/xo.log")" = 0

# The grant gone: aerc (still running) cannot send, a new one will not start.
mailkey logout gmail >/dev/null 2>&1
ae_send a1 ae-send-gone nowait
tui_wait a1 "exit status 77" 20
check "the running aerc shows the command's exit status 77" \
	grep -qF "ReadCredentials(outgoing): failed to read password: exit status 77" "$work/a1.screen" || tui_show a1
# a1's IMAP connection dropped (doveadm kick), its token long expired: aerc
# 0.14 retries with the token source-cred-cmd gave it at start, for good
# (mailkey has no token to give it now: the error would be exit status 77).
doveadm -c "$work/srv/dovecot/dovecot.conf" kick "$MK_USER1" >"$work/kick.out" 2>&1
check "doveadm kicks a1's IMAP session" grep -qF "$MK_USER1" "$work/kick.out"
tui_wait a1 "OAUTHBEARER authentication error (invalid_token): reconnect in" 30
check "a1 cannot log in again: its old token is refused" \
	grep -qF "gmail: OAUTHBEARER authentication error (invalid_token): reconnect in" "$work/a1.screen" || tui_show a1

ae_quit a1
tui_start ag "$AERC"
rc=$(tui_exit ag 30)
check "a new aerc stops at once (exit $rc) and names the failing command's status" \
	sh -c "test '$rc' = 1 && grep -qF 'Failed to load config: Invalid source credentials for gmail: failed to read password: exit status 77' '$work/ag.err'"
check "(mailkey's own message is not shown)" sh -c "! grep -q 'mailkey login' '$work/ag.err'"
finish_clients
