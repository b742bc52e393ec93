#!/usr/bin/env bash
# clients_python: docs/clients/python.md's script, as it is, with Debian's
# python3: smtplib (STARTTLS, XOAUTH2) sends, imaplib (IMAPS, XOAUTH2) reads
# (contents checked), the same after the token expired (a refresh counted);
# failures: the server down (75), the token revoked at the provider (the
# script's --refresh retry gets invalid_grant: 77), the grant gone (77).
# Leak: -d (smtplib's debug level) prints the AUTH line.
# shellcheck disable=SC1091,SC2016,SC2154
. "$(dirname "$0")/lib.sh"
client_account gmail
client_login gmail || { finish_clients; exit; }
mkdir -p "$HOME/bin"
umask 077
recipe mailkey-py >"$HOME/bin/mailkey-py"
recipe send >"$work/send.sh"
recipe read >"$work/read.sh"
umask 022
chmod 700 "$HOME/bin/mailkey-py"
export PATH=$HOME/bin:$PATH
cd "$HOME" || exit 1

# got SUBJECT N BODY: N messages with SUBJECT for bob, one with the line BODY.
got() {
	local i n
	for ((i = 0; i < 100; i++)); do
		n=$(grep -l -- "^Subject: $1\$" "$MK_MAIL_ROOT/$MK_USER2/Maildir/new/"* 2>/dev/null | wc -l)
		[ "$n" -ge "$2" ] && break
		sleep 0.1
	done
	[ "$n" -ge "$2" ] && grep -l -- "^Subject: $1\$" "$MK_MAIL_ROOT/$MK_USER2/Maildir/new/"* | xargs grep -qx -- "$3"
}
round() {
	run_ok "round $1: the recipe's send (smtplib, STARTTLS, XOAUTH2)" "$work/send.sh"
	check "round $1: delivered to bob, with its body" got 'hello from Python' "$1" 'It works.'
	deliver "for python $1"
	run_ok "round $1: the recipe's read (imaplib, IMAPS, XOAUTH2)" "$work/read.sh" "$work/read.out"
	check "round $1: it printed the message just delivered, with its body" \
		sh -c "grep -qx 'Subject: for python $1' '$work/read.out' && grep -qx 'body of for python $1' '$work/read.out'"
}
across_expiry round

# mailkey sasl prints the same string, base64-encoded (as the doc says).
tok=$(mailkey token gmail)
check "mailkey sasl --mech xoauth2, decoded, is user=...^Aauth=Bearer TOKEN^A^A" \
	test "$(mailkey sasl gmail --mech xoauth2 | base64 -d | od -An -c | tr -d ' \n')" = "$(printf 'user=%s\001auth=Bearer %s\001\001' "$MK_USER1" "$tok" | od -An -c | tr -d ' \n')"

# Leaks: -d prints smtplib's AUTH line (the token in base64); imaplib's
# debug output does not show the AUTHENTICATE response.
echo 'debug' | mailkey-py -d send "$MK_USER2" 'python debug' >/dev/null 2>"$work/d.err"
check "mailkey-py -d send works (exit $?)" got 'python debug' 1 debug
b64=$(sed -n "s/^send: 'AUTH XOAUTH2 \([A-Za-z0-9+/=]*\).*/\1/p" "$work/d.err")
dtok=$(printf %s "$b64" | base64 -d 2>/dev/null | tr '\001' '\n' | sed -n 's/^auth=Bearer //p')
check "-d prints the AUTH line, the token in base64" sh -c "test -n '$dtok' && test '$(active "${dtok:-x}")' = True"
mailkey-py -d read >/dev/null 2>"$work/di.err"
check "mailkey-py -d read works (exit $?)" grep -q 'AUTHENTICATE XOAUTH2' "$work/di.err"
check "imaplib's debug output holds neither the token nor its base64" \
	sh -c "! grep -qF -e '$dtok' -e '$(printf 'user=%s\001auth=Bearer %s\001\001' "$MK_USER1" "$dtok" | base64 -w0)' '$work/di.err'"

# The server down: 75.
sed "s/(\"localhost\", $MK_SMTP_PORT)/(\"localhost\", 1)/" "$HOME/bin/mailkey-py" >"$work/down.py"
check "the copy for the down server differs" sh -c "! cmp -s '$HOME/bin/mailkey-py' '$work/down.py'"
echo x | python3 "$work/down.py" send "$MK_USER2" never 2>"$work/down.err"
rc=$?
check "server down: exit 75 (got $rc)" test "$rc" = 75
check "server down: 'Connection refused; try again later'" grep -q 'Connection refused; try again later' "$work/down.err"

# The token revoked at the provider while mailkey still holds it: the server
# refuses it, the script's `mailkey token --refresh` gets invalid_grant: 77.
tok=$(mailkey token gmail)
printf %s "$tok" | curl -sS "$MK_OP_ISSUER/token/revocation" -d "client_id=$MK_SHORT_CLIENT_ID" --data-urlencode token@- >/dev/null
check "the token is revoked at the provider" test "$(active "$tok")" = False
e0=$(refresh_errors)
echo x | mailkey-py send "$MK_USER2" never 2>"$work/revoked.err"
rc=$?
check "revoked: exit 77 (got $rc)" test "$rc" = 77
check "revoked: the refresh was tried and refused ($(refresh_errors) refresh errors, were $e0)" test "$(refresh_errors)" -gt "$e0"
check "revoked: mailkey's message: invalid_grant, run mailkey login gmail" grep -q 'invalid_grant.*run `mailkey login gmail` again' "$work/revoked.err"

# The grant gone (mailkey logout): 77, with mailkey's message.
mailkey logout gmail >/dev/null 2>&1
mailkey-py read >/dev/null 2>"$work/gone.err"
rc=$?
check "grant gone: exit 77 (got $rc)" test "$rc" = 77
check "grant gone: mailkey's message names mailkey login gmail" grep -q 'run `mailkey login gmail`' "$work/gone.err"
[ "$failn" = 0 ] || sed 's/^/  stderr: /' "$work"/*.err
finish_clients
