#!/usr/bin/env bash
# gateway_curl: curl (nobody here wrote it) through `mailkey gateway` to the
# real Dovecot and Postfix, given only an app password (in a netrc file or a
# -K config, never on argv) and the gateway's CA (--cacert, never -k): IMAP,
# POP3 and SMTP; SASL PLAIN and LOGIN (--login-options; POP3 has PLAIN
# only, and IMAP's LOGIN command is left to the other clients, as curl
# always prefers SASL); plaintext on loopback, STARTTLS (--ssl-reqd) and
# implicit TLS.
# Upstream XOAUTH2 for alice, OAUTHBEARER for bob: Dovecot's and Postfix's
# logs show the method the gateway used. A wrong password is refused with
# the protocol's failure and never reaches the upstream.
. "$(dirname "$0")/lib.sh"
gw_account alice "$MK_USER1" xoauth2
gw_account bob "$MK_USER2" oauthbearer
gw_grant alice "$MK_USER1"
check "alice has a real grant" test $? = 0
gw_grant bob "$MK_USER2"
check "bob has a real grant" test $? = 0
gw_section "fail_delay = 0"
start_gateway
check "mailkey gateway listens and exports its CA" test $? = 0
app_pass alice curl-a
check "an app password for alice is printed once, alone on a line" test $? = 0
app_pass bob curl-b
check "an app password for bob" test $? = 0
netrc "$work/netrc.a" alice curl-a
netrc "$work/netrc.b" "$MK_USER2" curl-b # bob by his address
# -K config: the user and password in a 0600 file.
printf 'user = "alice:%s"\n' "$(pw curl-a)" >"$work/curl-a.cfg"

c=(curl -sS --max-time 30 --cacert "$GWCA")
L=127.0.0.1
u=$(date +%s%N)
msg() { printf 'From: %s\r\nTo: %s\r\nSubject: curl %s %s\r\n\r\nbody %s\r\n' "$MK_USER1" "$MK_USER2" "$u" "$1" "$1" >"$work/m.$1"; }
sent=0
# --- SMTP: every mode and mechanism, alice then bob
for mode in plain starttls implicit; do
	for mech in PLAIN LOGIN; do
		case $mode in
		plain) url=smtp://$L:$GW_SMTP extra=() ;;
		starttls) url=smtp://$L:$GW_SMTP extra=(--ssl-reqd) ;;
		implicit) url=smtps://$L:$GW_SMTPS extra=() ;;
		esac
		for who in a b; do
			msg "$mode-$mech-$who"
			"${c[@]}" "${extra[@]}" --netrc-file "$work/netrc.$who" --login-options "AUTH=$mech" "$url" \
				--mail-from "$MK_USER1" --mail-rcpt "$MK_USER2" -T "$work/m.$mode-$mech-$who" 2>"$work/err"
			rc=$?
			check "curl SMTP $mode AUTH $mech as $who sends a message (exit $rc $(head -c 200 "$work/err"))" test $rc = 0
			[ $rc = 0 ] && sent=$((sent + 1))
		done
	done
done
msg kcfg
"${c[@]}" -K "$work/curl-a.cfg" --ssl-reqd "smtp://$L:$GW_SMTP" --mail-from "$MK_USER1" --mail-rcpt "$MK_USER2" \
	-T "$work/m.kcfg" 2>"$work/err"
rc=$?
check "curl SMTP with the password in a -K config (exit $rc $(head -c 200 "$work/err"))" test $rc = 0
[ $rc = 0 ] && sent=$((sent + 1))
check "all 13 sends succeeded ($sent)" test "$sent" = 13
wait_mail "$MK_USER2" 13
check "Postfix delivered all $sent to bob's Maildir ($(nmail "$MK_USER2"))" test "$(nmail "$MK_USER2")" = "$sent"
for m in "$work"/m.*; do
	s=$(sed -n 's/^Subject: \(.*\)\r$/\1/p' "$m")
	grep -rqlF "Subject: $s" "$(maildir "$MK_USER2")" || bad "message \"$s\" not delivered"
done
check "Postfix logged alice's logins as sasl_method=XOAUTH2" grep -q "sasl_method=XOAUTH2, sasl_username=$MK_USER1" "$MK_POSTFIX_LOG"
check "and bob's as sasl_method=OAUTHBEARER" grep -q "sasl_method=OAUTHBEARER, sasl_username=$MK_USER2" "$MK_POSTFIX_LOG"

# --- IMAP: bob reads what was sent (STATUS counts what Dovecot has).
for mode in plain starttls implicit; do
	for mech in PLAIN LOGIN; do
		case $mode in
		plain) url=imap://$L:$GW_IMAP extra=() ;;
		starttls) url=imap://$L:$GW_IMAP extra=(--ssl-reqd) ;;
		implicit) url=imaps://$L:$GW_IMAPS extra=() ;;
		esac
		what="AUTHENTICATE $mech"
		"${c[@]}" "${extra[@]}" --netrc-file "$work/netrc.b" --login-options "AUTH=$mech" "$url/INBOX" \
			-X 'STATUS INBOX (MESSAGES)' >"$work/out" 2>"$work/err"
		rc=$?
		check "curl IMAP $mode with $what: STATUS says 13 messages (exit $rc $(head -c 200 "$work/out" "$work/err" | tr '\r\n' '  '))" \
			grep -q "^\* STATUS INBOX (MESSAGES 13)" "$work/out"
	done
done
"${c[@]}" -K "$work/curl-a.cfg" "imaps://$L:$GW_IMAPS/" >"$work/out" 2>"$work/err"
check "curl IMAPS LIST as alice (-K config) shows INBOX ($(head -c 200 "$work/err"))" grep -q '^\* LIST .* INBOX' "$work/out"
"${c[@]}" --netrc-file "$work/netrc.b" "imaps://$L:$GW_IMAPS/INBOX;UID=1" >"$work/out" 2>"$work/err"
check "curl IMAPS fetches a whole message (UID 1) through the relay" grep -q "^Subject: curl $u " "$work/out"
check "Dovecot logged alice's IMAP logins as method=XOAUTH2" grep -q "imap-login: Info: Login: user=<$MK_USER1>, method=XOAUTH2" "$MK_DOVECOT_LOG"
check "and bob's as method=OAUTHBEARER" grep -q "imap-login: Info: Login: user=<$MK_USER2>, method=OAUTHBEARER" "$MK_DOVECOT_LOG"

# --- POP3 (SASL PLAIN: the gateway's only POP3 mechanism besides USER/PASS,
# which curl does not choose when SASL is offered): LIST has a line per message.
for mode in plain starttls implicit; do
	case $mode in
	plain) url=pop3://$L:$GW_POP3 extra=() ;;
	starttls) url=pop3://$L:$GW_POP3 extra=(--ssl-reqd) ;;
	implicit) url=pop3s://$L:$GW_POP3S extra=() ;;
	esac
	"${c[@]}" "${extra[@]}" --netrc-file "$work/netrc.b" --login-options AUTH=PLAIN "$url/" >"$work/out" 2>"$work/err"
	rc=$?
	n=$(grep -cE '^[0-9]+ [0-9]+' "$work/out")
	check "curl POP3 $mode AUTH PLAIN: LIST shows 13 messages ($n, exit $rc $(head -c 200 "$work/err"))" test "$n" = 13
done
"${c[@]}" --netrc-file "$work/netrc.b" "pop3s://$L:$GW_POP3S/1" >"$work/out" 2>"$work/err"
check "curl POP3S RETR 1 returns a message" grep -q "^Subject: curl $u " "$work/out"
check "Dovecot logged bob's POP3 logins as method=OAUTHBEARER" grep -q "pop3-login: Info: Login: user=<$MK_USER2>, method=OAUTHBEARER" "$MK_DOVECOT_LOG"

# --- a wrong password: the protocol's failure, nothing reaches Dovecot.
printf 'machine %s login alice password %s\n' "$L" "wrong-$(pw curl-a)" >"$work/netrc.x"
logins0=$(grep -c 'Login: user=' "$MK_DOVECOT_LOG")
"${c[@]}" -v --netrc-file "$work/netrc.x" --login-options AUTH=PLAIN "imap://$L:$GW_IMAP/" >/dev/null 2>"$work/err"
check "IMAP, wrong password: curl exits 67 (login denied) and the answer is NO [AUTHENTICATIONFAILED]" \
	sh -c "grep -q '^< A[0-9]* NO \[AUTHENTICATIONFAILED\]' '$work/err'"
"${c[@]}" -v --netrc-file "$work/netrc.x" --login-options AUTH=PLAIN "pop3://$L:$GW_POP3/" >/dev/null 2>"$work/err"
check "POP3, wrong password: -ERR [AUTH]" grep -q '^< -ERR \[AUTH\]' "$work/err"
"${c[@]}" -v --netrc-file "$work/netrc.x" --login-options AUTH=PLAIN "smtp://$L:$GW_SMTP" --mail-from "$MK_USER1" \
	--mail-rcpt "$MK_USER2" -T "$work/m.kcfg" >/dev/null 2>"$work/err"
check "SMTP, wrong password: 535 5.7.8" grep -q '^< 535 5.7.8' "$work/err"
check "no wrong password reached Dovecot" test "$(grep -c 'Login: user=' "$MK_DOVECOT_LOG")" = "$logins0"
check "no password or token in the gateway's log" sh -c "! grep -qF -e '$(pw curl-a)' -e '$(pw curl-b)' -e '$(json '["access_token"]' <"$work/grant.alice.json")' '$GLOG'"
check "the gateway is still running" gw_alive
finish
