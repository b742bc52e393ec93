#!/usr/bin/env bash
# clients_curl: docs/clients/curl.md with Debian's curl 7.88: gcurl (the token
# in a config on stdin, `-K -`) sends over STARTTLS and implicit TLS, reads a
# message over IMAP and over POP3 (contents checked), the same after the token
# expired (a refresh counted). The token is in no argv: every curl's argv is
# recorded by a wrapper, and a curl blocked on a silent server is looked at
# in /proc (cmdline, environ), next to `--oauth2-bearer "$tok"`, where it is.
# Failures: a refused token (67), the grant gone (77). Leak: -v.
# shellcheck disable=SC1091,SC2016,SC2154
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
client_account gmail
client_login gmail || { finish_clients; exit; }
mkdir -p "$HOME/bin" "$work/spy"
umask 077
recipe gcurl >"$HOME/bin/gcurl"
recipe send-587 >"$work/send-587.sh"
recipe send-465 >"$work/send-465.sh"
recipe imap-read >"$work/imap-read.sh"
recipe pop3-read >"$work/pop3-read.sh"
umask 022
chmod 700 "$HOME/bin/gcurl"
export PATH=$HOME/bin:$PATH
# curl on PATH is a spy: it records its pid and argv, then is curl.
real_curl=$(command -v curl)
cat >"$work/bin/curl" <<SH
#!/bin/sh
echo \$\$ >"$work/spy/pid"
printf '%s\0' "\$@" >"$work/spy/argv.\$\$"
exec $real_curl "\$@"
SH
chmod 755 "$work/bin/curl"
cd "$HOME" || exit 1

# got SUBJECT N BODY: N messages with SUBJECT for bob, one with the line BODY.
got() {
	local i n
	for ((i = 0; i < 100; i++)); do
		n=$(grep -lE -- "^Subject: $1"$'\r'"?\$" "$MK_MAIL_ROOT/$MK_USER2/Maildir/new/"* 2>/dev/null | wc -l)
		[ "$n" -ge "$2" ] && break
		sleep 0.1
	done
	[ "$n" -ge "$2" ] && grep -lE -- "^Subject: $1"$'\r'"?\$" "$MK_MAIL_ROOT/$MK_USER2/Maildir/new/"* | xargs grep -qE -- "^$3"$'\r'"?\$"
}
round() {
	local n=$1
	printf 'From: %s\r\nTo: %s\r\nSubject: curl 587\r\n\r\nround %s over STARTTLS\r\n' "$MK_USER1" "$MK_USER2" "$n" >message.eml
	run_ok "round $n: send over 587 with STARTTLS" "$work/send-587.sh"
	check "round $n: delivered to bob, with its body" got 'curl 587' "$n" "round $n over STARTTLS"
	printf 'From: %s\r\nTo: %s\r\nSubject: curl 465\r\n\r\nround %s over implicit TLS\r\n' "$MK_USER1" "$MK_USER2" "$n" >message.eml
	run_ok "round $n: send over 465 with implicit TLS" "$work/send-465.sh"
	check "round $n: delivered to bob, with its body" got 'curl 465' "$n" "round $n over implicit TLS"
	deliver "for curl $n"
	rm -f newest.eml first.eml
	run_ok "round $n: IMAP read of the newest unread message" "$work/imap-read.sh"
	check "round $n: newest.eml is the message just delivered, with its body" \
		sh -c "grep -q '^Subject: for curl $n' newest.eml && grep -q '^body of for curl $n' newest.eml"
	run_ok "round $n: POP3 list and read of message 1" "$work/pop3-read.sh"
	check "round $n: the POP3 list shows $n message(s)" test "$(grep -c '^[0-9]* [0-9]*' "$work/out")" = "$n"
	check "round $n: first.eml is the first message delivered, with its body" \
		sh -c "grep -q '^Subject: for curl 1' first.eml && grep -q '^body of for curl 1' first.eml"
}
across_expiry round

# -v shows the SASL response; the token in it was passed in no argv.
printf 'From: %s\r\nTo: %s\r\nSubject: curl -v\r\n\r\nverbose\r\n' "$MK_USER1" "$MK_USER2" >message.eml
gcurl -v --ssl-reqd "smtp://localhost:$MK_SMTP_PORT" --mail-from "$MK_USER1" --mail-rcpt "$MK_USER2" -T message.eml 2>"$work/v.err"
check "gcurl -v sends (exit $?)" got 'curl -v' 1 verbose
b64=$(awk '/^< 334/ {a = 1; next} a && /^> / {print $2; exit}' "$work/v.err" | tr -d '\r')
vtok=$(printf %s "$b64" | base64 -d 2>/dev/null | tr '\001' '\n' | sed -n 's/^auth=Bearer //p')
check "-v prints the SASL response after 334: the token in base64 (as the doc says)" test -n "$vtok"
check "the server accepted that token: it is mailkey's (active at the provider)" test "$(active "$vtok")" = True
gcurl -v "imaps://localhost:$MK_IMAPS_PORT/INBOX" -X NOOP >/dev/null 2>"$work/vi.err"
b64=$(awk '$3 == "AUTHENTICATE" && $4 == "OAUTHBEARER" {print $5; exit}' "$work/vi.err" | tr -d '\r')
check "IMAP: -v prints the token in base64 in the AUTHENTICATE line" sh -c "printf %s '$b64' | base64 -d | grep -qF 'auth=Bearer $vtok'"
gcurl -v "pop3s://localhost:$MK_POP3S_PORT/" >/dev/null 2>"$work/vp.err"
b64=$(awk '/^< \+ *\r?$/ {a = 1; next} a && /^> / {print $2; exit}' "$work/vp.err" | tr -d '\r')
check "POP3: -v prints the token in base64 after '+'" sh -c "printf %s '$b64' | base64 -d | grep -qF 'auth=Bearer $vtok'"
gcurl -v --login-options AUTH=XOAUTH2 "pop3s://localhost:$MK_POP3S_PORT/" >"$work/x.out" 2>"$work/vx.err"
check "--login-options AUTH=XOAUTH2: curl 7.88 still picks OAUTHBEARER (as the doc says; exit $?)" sh -c "grep -q '^> AUTH OAUTHBEARER' '$work/vx.err' && ! grep -q '^> AUTH XOAUTH2' '$work/vx.err' && grep -q '^< +OK Logged in' '$work/vx.err'"
# (curl on PATH is also the test's own: count those with -K.)
nargv=$(grep -lzx -- -K "$work"/spy/argv.* | wc -l)
check "the spy saw every gcurl's curl ($nargv argvs, 16 runs)" test "$nargv" = 16
check "no curl's argv holds that token, nor any oauth2-bearer option" \
	sh -c "! cat '$work'/spy/argv.* | tr '\0' '\n' | grep -qF -e '$vtok' -e 'oauth2-bearer'"

# A curl blocked on a silent server, looked at in /proc while it runs.
python3 "$here/curl_stall.py" >"$work/stall.port" &
stall=$!
trap 'kill "$stall" 2>/dev/null; daemon_cleanup; cleanup' EXIT
wait_until 50 test -s "$work/stall.port"
port=$(cat "$work/stall.port")
tok=$(mailkey token gmail)
rm -f "$work/spy/pid"
gcurl --max-time 30 "pop3s://localhost:$port/" >/dev/null 2>&1 &
g=$!
wait_until 50 test -s "$work/spy/pid"
cpid=$(cat "$work/spy/pid")
wait_until 50 sh -c "tr '\0' ' ' </proc/$cpid/cmdline | grep -q '^$real_curl .*pop3s://localhost:$port/'"
check "the blocked curl is running (pid $cpid)" sh -c "tr '\0' ' ' </proc/$cpid/cmdline | grep -q 'pop3s://localhost:$port/'"
check "its /proc/PID/cmdline does not hold the token" sh -c "! tr '\0' '\n' </proc/$cpid/cmdline | grep -qF '$tok'"
check "nor its /proc/PID/environ" sh -c "! tr '\0' '\n' </proc/$cpid/environ | grep -qF '$tok'"
kill "$cpid" 2>/dev/null
wait "$g"
# The wrong way, for comparison: curl blanks its own copy of the token once
# it has parsed its options, but timeout (which started it) shows it.
timeout 30 "$real_curl" -sS --oauth2-bearer "$tok" "pop3s://localhost:$port/" >/dev/null 2>&1 &
w=$!
wait_until 50 sh -c "pgrep -P $w >/dev/null && tr '\0' ' ' </proc/\$(pgrep -P $w)/cmdline | grep -q 'oauth2-bearer  *pop3s'"
wc=$(pgrep -P "$w")
check "--oauth2-bearer \"\$(mailkey token gmail)\" under timeout: the token is in timeout's /proc/PID/cmdline" \
	sh -c "tr '\0' '\n' </proc/$w/cmdline | grep -qxF '$tok'"
check "and curl has blanked its own copy" sh -c "! tr '\0' '\n' </proc/${wc:-0}/cmdline | grep -qF '$tok' && tr '\0' ' ' </proc/${wc:-0}/cmdline | grep -q '^$real_curl '"
kill "$w" "$stall" 2>/dev/null
wait "$w" "$stall" 2>/dev/null

# The server refuses the token (revoked at the provider, still in mailkey's
# store): curl exits 67. Its own source address (Dovecot's auth penalty).
printf %s "$tok" | curl -sS "$MK_OP_ISSUER/token/revocation" -d "client_id=$MK_SHORT_CLIENT_ID" --data-urlencode token@- >/dev/null
check "the token is revoked at the provider" test "$(active "$tok")" = False
gcurl --interface 127.0.0.2 "pop3s://localhost:$MK_POP3S_PORT/" >/dev/null 2>"$work/refused.err"
rc=$?
check "a refused token: gcurl exits 67 (got $rc)" test "$rc" = 67
check "and curl says 'Login denied'" grep -q 'curl: (67) Login denied' "$work/refused.err"

# The grant gone: gcurl exits with mailkey's 77 and its message.
mailkey logout gmail >/dev/null 2>&1
rm -f "$work/spy/pid"
gcurl "pop3s://localhost:$MK_POP3S_PORT/" >/dev/null 2>"$work/gone.err"
rc=$?
check "grant gone: gcurl exits 77 (got $rc)" test "$rc" = 77
check "grant gone: mailkey's message names mailkey login gmail" grep -q 'run `mailkey login gmail`' "$work/gone.err"
check "grant gone: curl was not started" test ! -e "$work/spy/pid"
finish_clients
