#!/usr/bin/env bash
# daemon_exit_codes: with the daemon running, every error class `mailkey
# token` and `mailkey sasl` can hit exits with its sysexits code, the socket
# answers the same code, and no secret shows in any message:
#   0  valid token (and a due one while the token endpoint is down: warning)
#   64 unknown account, bad usage
#   75 token endpoint down and the token expired
#   77 never logged in; grant gone (invalid_grant at the provider)
#   78 broken configuration
# and `mailkey daemon` itself: 75 when another daemon already listens on the
# socket (which keeps serving), 64 for a bad option, 78 for a bad config.
. "$(dirname "$0")/lib.sh"
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
account ok "$MK_CLIENT_ID"
account never "$MK_CLIENT_ID"
account gone "$MK_CLIENT_ID"
account down "$MK_CLIENT_ID" "token_endpoint = http://127.0.0.1:$closed/token"
account due "$MK_CLIENT_ID" "token_endpoint = http://127.0.0.1:$closed/token"
grant ok "$MK_CLIENT_ID"
check "a real grant for ok" test $? = 0
grant gone "$MK_CLIENT_ID"
check "a real grant for gone" test $? = 0
# (no newline: curl's --data-urlencode NAME@FILE would send it as part of the token)
json '["refresh_token"]' <"$work/grant.json" | tr -d '\n' >"$work/gone.rt"
json '["access_token"]' <"$work/grant.json" | tr -d '\n' >"$work/gone.at"
# down: expired 60 s ago; due: valid 100 s more but past the 600 s margin.
printf 'expired-access-token-xyz\nsome-refresh-token-abc\n' | "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" down -60
printf 'still-valid-token-xyz\nsome-refresh-token-abc\n' | "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" due 100
start_daemon
check "the daemon answers ping" test $? = 0
# gone: revoked at the provider once the daemon runs, then expired by a
# forced refresh (invalid_grant).
curl -sS "$MK_OP_ISSUER/token/revocation" --data-urlencode "client_id=$MK_CLIENT_ID" \
	--data-urlencode "token@$work/gone.rt" >/dev/null
check "gone's grant is revoked at the provider" test "$(active "$(cat "$work/gone.at")")" = False

t() { # want cmd... : run mailkey with a bound, check its exit code
	local want=$1 rc
	shift
	timeout 60 "$MK" "$@" >"$work/out" 2>"$work/err"
	rc=$?
	check "mailkey $* -> $want (got $rc: $(head -c 160 "$work/err" | tr '\n' ' '))" test $rc = "$want"
}
t 0 token ok
check "  prints an active token" test "$(active "$(cat "$work/out")")" = True
t 0 sasl ok
check "  prints a base64 SASL string with the token" \
	sh -c "base64 -d <'$work/out' | grep -aqF 'auth=Bearer $(stored_token ok)'"
t 0 sasl ok --mech xoauth2
t 64 token nosuch
check "  the message names the unknown account" grep -q nosuch "$work/err"
t 64 sasl nosuch
t 64 token
t 64 sasl ok --mech plain
t 64 token ok --bogus
t 77 token never
check "  the message says to run mailkey login never" grep -q 'mailkey login never' "$work/err"
t 77 sasl never
t 77 token gone --refresh
check "  the message says to run mailkey login gone" grep -q 'mailkey login gone' "$work/err"
t 77 token gone
t 77 sasl gone
t 75 token down
check "  nothing on stdout" test ! -s "$work/out"
t 75 sasl down
t 75 token down --refresh
t 0 token due
check "  prints the still valid token" test "$(cat "$work/out")" = still-valid-token-xyz
echo "  (its stderr: $(head -c 200 "$work/err" | tr '\n' ' '))"
printf '[account x]\nprovider = nonsense\n' >"$work/bad.config"
MAILKEY_CONFIG=$work/bad.config t 78 token x
MAILKEY_CONFIG=$work/bad.config t 78 sasl x

# The socket gives the same codes.
sock() { # want request
	local a
	a=$(ask "$2")
	check "socket: $2 -> ERR $1 ($a)" test "${a:0:7}" = "ERR $1 "
}
sock 64 "MK1 token nosuch"
sock 77 "MK1 token never"
sock 77 "MK1 token gone"
sock 75 "MK1 token down"
sock 64 "MK1 token bad/name"
a=$(ask "MK1 token due")
check "socket: a due token while the endpoint is down is still served ($(printf %s "$a" | head -c 20))" \
	test "$a" = "OK still-valid-token-xyz"

# mailkey daemon itself.
timeout 20 "$MK" daemon --socket "$SOCK" >"$work/d2.out" 2>"$work/d2.err"
rc=$?
check "a second daemon on the same socket exits 75 ($rc: $(head -c 200 "$work/d2.err"))" test $rc = 75
check "  saying another daemon runs there" grep -qiE 'already|another|running' "$work/d2.err"
check "  and the first one still serves" test -n "$(ask_ok "MK1 token ok")"
timeout 20 "$MK" daemon --bogus --socket "$work/other.sock" >/dev/null 2>"$work/d3.err"
rc=$?
check "mailkey daemon --bogus exits 64 ($rc)" test $rc = 64
check "  and listens nowhere" test ! -e "$work/other.sock"
MAILKEY_CONFIG=$work/bad.config timeout 20 "$MK" daemon --socket "$work/other.sock" >/dev/null 2>"$work/d4.err"
rc=$?
check "mailkey daemon with a bad config exits 78 ($rc: $(head -c 200 "$work/d4.err"))" test $rc = 78
check "  naming the file and line" grep -qF "$work/bad.config:2" "$work/d4.err"

secrets=("$(cat "$work/gone.rt")" "$(cat "$work/gone.at")" "$(stored_token ok)" some-refresh-token-abc)
leaks=0
for f in "$work"/*.err "$DLOG"; do
	for s in "${secrets[@]}"; do grep -qF -e "$s" "$f" && { echo "secret in $f"; leaks=$((leaks + 1)); }; done
done
check "no secret in any message or in the daemon's log ($leaks)" test $leaks = 0
check "the daemon is still running" daemon_alive
stop_daemon
check "SIGTERM: the daemon exits 0" test $? = 0
finish
