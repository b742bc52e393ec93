#!/usr/bin/env bash
# clients_fetchmail: docs/clients/fetchmail.md with the real fetchmail 6.4,
# which has no OAuth: the doc's [gateway] (POP3S) and `mailkey gateway`, an
# app password and the exported CA, the doc's ~/.fetchmailrc and MDA. The
# gateway logs in upstream with XOAUTH2 and a token of its daemon core.
# fetchmail fetches a delivered message into the Maildir, and after the
# token expired the next one (the gateway refreshed, fetchmail's password is
# the same). Its -v trace hides the password; the doc's failures: a revoked
# app password (exit 3) and no gateway (exit 2).
# shellcheck disable=SC1091,SC2154,SC2016
. "$(dirname "$0")/lib.sh"
# The gateway, as tests/integration/gateway/lib.sh starts it (not sourced:
# it sources daemon/lib.sh again).
GLOG=$work/gateway.log
gpid=
gw_cleanup() {
	if [ -n "$gpid" ]; then
		kill -KILL "$gpid" 2>/dev/null
		wait "$gpid" 2>/dev/null
	fi
	if [ "$failn" -gt 0 ] && [ -s "$GLOG" ]; then
		echo "--- last lines of the gateway's log"
		tail -40 "$GLOG"
	fi
}
trap 'gw_cleanup; daemon_cleanup; cleanup' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
listens() { python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)' "$1" 2>/dev/null; }
stop_gateway() {
	kill -TERM "$gpid" 2>/dev/null
	wait_until 100 sh -c "! kill -0 $gpid 2>/dev/null" || kill -KILL "$gpid"
	wait "$gpid"
	local rc=$?
	gpid=
	return $rc
}
not_in() { ! grep -qF -- "$1" "$2"; }
GW_POP3S=$(free_port)
gwports() { sed "s/\b1995\b/$GW_POP3S/g"; }
md=$HOME/Maildir
fetched() { grep -l -- "^Subject: $1\$" "$md"/new/* 2>/dev/null | head -1; }
nfetched() { find "$md/new" -type f 2>/dev/null | wc -l; }

client_account
client_login || { finish_clients; exit; }
# (the blocks are taken here, not in $(...): lib.sh records what was asked for)
recipe gateway >"$work/gateway.ini"
recipe gateway-run >"$work/gateway-run.sh"
recipe app-password >"$work/app-password.sh"
recipe fetchmailrc >"$work/fetchmailrc"
recipe to-maildir >"$work/to-maildir"
recipe run >"$work/run.sh"
printf '\n' >>"$MAILKEY_CONFIG"
gwports <"$work/gateway.ini" >>"$MAILKEY_CONFIG"

# --- the gateway, as the doc starts it (exec: $gpid is mailkey's)
bash -c "exec $(cat "$work/gateway-run.sh")" 2>>"$GLOG" &
gpid=$!
check "mailkey gateway listens on the doc's pop3s port" wait_until 200 listens "$GW_POP3S"
(umask 077 && bash "$work/app-password.sh" >"$work/pw" 2>"$work/app-password.err")
rc=$?
check "the doc's app-password commands run (exit $rc $(head -c 200 "$work/app-password.err"))" test "$rc" = 0
check "add printed one password line" test "$(wc -l <"$work/pw")" = 1 -a -s "$work/pw"
check "the CA is exported" grep -q 'BEGIN CERTIFICATE' "$HOME/mailkey-gateway-ca.pem"
pw=$(tr -d '\n' <"$work/pw")
gwports <"$work/fetchmailrc" | sed "s/PASTE-THE-APP-PASSWORD/$pw/" >"$HOME/.fetchmailrc"
chmod 600 "$HOME/.fetchmailrc"
mkdir -p "$HOME/bin"
cp "$work/to-maildir" "$HOME/bin/to-maildir"

# --- a fetch
deliver "fetchmail one"
timeout 60 bash "$work/run.sh" >"$work/fetch1.out" 2>&1
rc=$?
check "fetchmail with the doc's .fetchmailrc fetches (exit $rc $(grep -v 'as root' "$work/fetch1.out" | head -c 200))" test "$rc" = 0
f=$(fetched "fetchmail one")
check "the delivered message is in ~/Maildir, with its body" grep -q "body of fetchmail one" "${f:-/dev/null}"
check "the gateway logged in upstream with a token" grep -Eq "pop3-login: Info: Login: user=<$MK_USER1>, method=(XOAUTH2|OAUTHBEARER)" "$MK_DOVECOT_LOG"

# --- after the token expired: the gateway refreshes, fetchmail's password stays
r0=$(refreshes)
t1=$(mailkey token gmail)
await_expiry
deliver "fetchmail two"
timeout 60 bash "$work/run.sh" >"$work/fetch2.out" 2>&1
rc=$?
check "after the token expired fetchmail fetches again (exit $rc $(grep -v 'as root' "$work/fetch2.out" | head -c 200))" test "$rc" = 0
f=$(fetched "fetchmail two")
check "the second message arrived, with its body" grep -q "body of fetchmail two" "${f:-/dev/null}"
check "keep: the first one was not fetched twice ($(nfetched) in ~/Maildir)" test "$(nfetched)" = 2
r1=$(refreshes)
check "the provider counted a refresh ($r0 -> $r1)" test "$r1" -gt "$r0"
t2=$(mailkey token gmail)
check "the token changed" test "$t2" != "$t1"

# --- the leaks: none; -v hides the password
timeout 60 fetchmail -v >"$work/verbose.out" 2>&1
rc=$?
check "fetchmail -v with nothing new exits 1 ($rc)" test "$rc" = 1
check "its trace shows the login as POP3> PASS *" grep -q 'POP3> PASS \*$' "$work/verbose.out"
for f in fetch1 fetch2 verbose; do
	check "no app password in fetchmail's $f output" not_in "$pw" "$work/$f.out"
done
check "no app password in the gateway's log" not_in "$pw" "$GLOG"
check "no token in the gateway's log" sh -c "! grep -qF -e '$t1' -e '$t2' '$GLOG'"

# --- the doc's failures: the app password revoked (3), no gateway (2)
mailkey app-password revoke gmail fetchmail 2>>"$work/app-password.err"
check "mailkey app-password revoke gmail fetchmail" test $? = 0
deliver "fetchmail three"
timeout 60 fetchmail >"$work/revoked.out" 2>&1
rc=$?
check "with the app password revoked fetchmail exits 3 ($rc)" test "$rc" = 3
check "and says Authorization failure on $MK_USER1@localhost" grep -q "Authorization failure on $MK_USER1@localhost" "$work/revoked.out"
stop_gateway
check "the gateway stops (SIGTERM: exit 0)" test $? = 0
timeout 60 fetchmail >"$work/nogw.out" 2>&1
rc=$?
check "without the gateway fetchmail exits 2 ($rc)" test "$rc" = 2
check "and says Connection refused" grep -qF "connection to localhost:$GW_POP3S [127.0.0.1/$GW_POP3S] failed: Connection refused." "$work/nogw.out"
grep -h "Authorization failure\|Connection refused" "$work/revoked.out" "$work/nogw.out" | sed 's/^/# /'
# The doc's fixes: the daemon runs the same listeners; a new app password
# pasted into ~/.fetchmailrc; the message waiting meanwhile arrives.
start_daemon
check "mailkey daemon starts" test $? = 0
check "and runs the gateway's pop3s listener" wait_until 200 listens "$GW_POP3S"
mailkey app-password add gmail fetchmail >"$work/pw2" 2>>"$work/app-password.err"
check "a new app password of the same name" test $? = 0 -a -s "$work/pw2"
pw2=$(tr -d '\n' <"$work/pw2")
sed -i "s/$pw/$pw2/" "$HOME/.fetchmailrc"
timeout 60 fetchmail >"$work/fetch3.out" 2>&1
rc=$?
check "with it fetchmail fetches again, through the daemon (exit $rc)" test "$rc" = 0
f=$(fetched "fetchmail three")
check "the message delivered meanwhile arrived" grep -q "body of fetchmail three" "${f:-/dev/null}"
finish_clients
