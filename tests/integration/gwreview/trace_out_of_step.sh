#!/usr/bin/env bash
# gwreview_trace_out_of_step: a client whose AUTH or PASS is refused before
# it is read (AUTH before EHLO, PASS before USER, a cancelled AUTHENTICATE)
# has often pipelined its password already; that line then reaches the
# gateway as a "command". The -vv trace showed such lines whole: the app
# password (or its base64) went to the log. Lines that are no command the
# gateway knows must be traced redacted, as LOGIN and AUTH lines are.
. "$(dirname "$0")/lib.sh"
gw_config
gw_start
check "the gateway listens" test $? = 0
b64() { printf '%s' "$1" | base64 -w0; }
U=$(b64 alice)
PS=$(pw alice smtp) PP=$(pw alice pop3) PQ=$(pw alice pop3b) PI=$(pw alice imap) PJ=$(pw alice imap2)
raw "$P_SMTP" --timeout 3 r "s:AUTH LOGIN $U\r\n$(b64 "$PS")\r\n" r r >/dev/null 2>&1
raw "$P_POP3" --timeout 3 r "s:PASS $PP\r\n$PP\r\n" r r >/dev/null 2>&1
raw "$P_POP3" --timeout 3 r "s:AUTH LOGIN\r\n*\r\n$(b64 "$PQ")\r\n" r r r >/dev/null 2>&1
raw "$P_IMAP" --timeout 3 r "s:a AUTHENTICATE PLAIN\r\n*\r\n$(b64 "$PI")\r\n" r r r >/dev/null 2>&1
raw "$P_IMAP" --timeout 3 r "s:a LOGIN alice\r\n$PJ\r\n" r r >/dev/null 2>&1
sleep 0.5
inlog() { grep -F -e "$1" -e "$(b64 "$1")" "$GLOG" | head -3 | tr '\n' '|'; }
for c in "smtp: AUTH LOGIN before EHLO, then the base64 password:$PS" \
	"pop3: PASS before USER, then the password again:$PP" \
	"pop3: AUTH LOGIN cancelled, then the base64 password:$PQ" \
	"imap: AUTHENTICATE PLAIN cancelled, then the base64 password:$PI" \
	"imap: LOGIN without a password, then the password:$PJ"; do
	what=${c%:*} p=${c##*:}
	l=$(inlog "$p")
	check "$what: not in the -vv log (${l:-none})" test -z "$l"
done
finish
