#!/usr/bin/env bash
# mailkey daemon against the real provider with 20-second tokens: token and
# socketmap answers over the socket, background refresh with nobody asking,
# `fresh` (one refresh, another token), a second daemon refused (75), a new
# grant in the store picked up without a restart, SIGHUP, SIGTERM.
. "$(dirname "$0")/../broker/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
sock=$work/run/socket
q() { python3 "$here/mkd.py" "$sock" "$@"; }
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d'"$1"')'; }
refreshes() { counts | json '["byGrant"].get("refresh_token", 0)'; }
wait_log() { # pattern seconds
	local end=$((SECONDS + $2))
	while [ $SECONDS -le $end ]; do
		grep -q -- "$1" "$work/daemon.log" && return 0
		sleep 0.1
	done
	return 1
}
seed() { # account client -> stores a fresh grant from the provider
	"$top/tests/servers/get-token" "$work/srv" --client "$2" >"$work/grant.json" || return 1
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["access_token"]); print(d["refresh_token"])' \
		"$work/grant.json" | MK_SEED_TOKEN_ENDPOINT=$MK_OP_ISSUER/token \
		"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" "$1" \
		"$(json '["expires_in"]' <"$work/grant.json")"
}
account short "$MK_SHORT_CLIENT_ID" "smtp = localhost:$MK_SMTP_PORT
smtp_tls = starttls
mech = xoauth2
relay_key = short-relay"
check "a grant for the 20-second client is stored" seed short "$MK_SHORT_CLIENT_ID"
"$MK" daemon --socket "$sock" 2>"$work/daemon.log" &
dpid=$!
check "the daemon says it listens" wait_log "listening on $sock" 10
check "the socket is 0600 in a 0700 directory" \
	test "$(stat -c %a "$sock")/$(stat -c %a "$work/run")" = 600/700
check "ping answers the version" sh -c "python3 '$here/mkd.py' '$sock' 'MK1 ping' | grep -q '^OK mailkey .* protocol 1$'"
t1=$(q "MK1 token short" | sed -n 's/^OK //p')
check "token over the socket" test -n "$t1"
check "it is active at the provider" test "$(printf %s "$t1" | introspect)" = True
sm=$(q --sockmap "short anykey")
check "socketmap NAME=account answers OK user:token" test "$sm" = "OK $MK_USER1:$t1"
check "socketmap relay by [host]:port" test "$(q --sockmap "relay [localhost]:$MK_SMTP_PORT")" = "OK $MK_USER1:$t1"
check "socketmap relay by relay_key" test "$(q --sockmap "relay short-relay")" = "OK $MK_USER1:$t1"
check "socketmap relay with no match: NOTFOUND" test "$(q --sockmap "relay [smtp.example.org]:587")" = "NOTFOUND "
check "socketmap of an unknown map: PERM" sh -c "python3 '$here/mkd.py' '$sock' --sockmap 'nosuch k' | grep -q '^PERM '"

# mailkey itself finds the daemon ($MAILKEY_SOCKET) and gets the same token.
export MAILKEY_SOCKET=$sock
check "mailkey token prints a token the daemon serves too" \
	test "$("$MK" token short)" = "$(q "MK1 token short" | sed -n 's/^OK //p')"

# A queued message is sent by the daemon's queue run at once.
u=$(date +%s%N)
printf 'From: %s\nSubject: dq %s\n\nqueued while the daemon runs\n' "$MK_USER1" "$u" |
	"$MK" send --queue --account short "$MK_USER2"
check "send --queue exits 0" test $? = 0
check "the daemon starts a queue run" wait_log "queue run started" 10
check "and it ends with exit 0" wait_log "queue run ended (exit 0)" 30
check "the queue is empty" test -z "$(ls "$MAILKEY_STATE_DIR/queue/new")"
delivered() {
	local i
	for i in $(seq 1 100); do
		grep -qs "^Subject: dq $u" "$MK_MAIL_ROOT/$MK_USER2/Maildir/new/"* && return 0
		sleep 0.1
	done
	return 1
}
check "the message arrived" delivered

# A second daemon on the same socket: 75, and the first still answers.
"$MK" daemon --socket "$sock" 2>"$work/second.err"
rc=$?
check "a second daemon on the socket exits 75 (got $rc)" test $rc = 75
check "and says another daemon runs" grep -q "another mailkey daemon" "$work/second.err"
check "the first one still answers" test "$(q "MK1 token short" | sed -n 's/^OK //p')" = "$t1"

# Nobody asks: the daemon refreshes ahead of expiry by itself.
before=$(refreshes)
end=$((SECONDS + 3 * MK_SHORT_TTL))
while [ $SECONDS -le $end ] && [ $(($(refreshes) - before)) -lt 2 ]; do sleep 0.5; done
after=$(refreshes)
check "two background refreshes within $((3 * MK_SHORT_TTL)) s with no client ($before -> $after)" \
	test $((after - before)) -ge 2
check "the log says so" grep -q "refreshed account short (valid for" "$work/daemon.log"
t2=$(q "MK1 token short" | sed -n 's/^OK //p')
check "the token now is another one, and active" \
	test -n "$t2" -a "$t2" != "$t1" -a "$(printf %s "$t2" | introspect)" = True
st=$(q "MK1 status" | sed -n 's/^OK //p')
check "status: state ok and a refresh count" \
	test "$(printf %s "$st" | json '[0]["state"]')/$(printf %s "$st" | json '[0]["refreshes"] >= 2')" = ok/True

# fresh: another token, one request to the provider.
before=$(refreshes)
t3=$(q "MK1 token short fresh" | sed -n 's/^OK //p')
after=$(refreshes)
check "token fresh gives another token" test -n "$t3" -a "$t3" != "$t2"
check "with one refresh request ($before -> $after)" test $((after - before)) -le 1 -a $((after - before)) -ge 1

# A login elsewhere writes a new grant: picked up without a restart.
account other "$MK_CLIENT_ID"
kill -HUP $dpid
check "SIGHUP reloads the configuration" wait_log "reloaded the configuration (2 accounts)" 10
check "the new account is served (no tokens yet: 77)" \
	sh -c "python3 '$here/mkd.py' '$sock' 'MK1 token other' | grep -q '^ERR 77 .*mailkey login other'"
check "the first account keeps its cached token over the reload" \
	test "$(q "MK1 token short" | sed -n 's/^OK //p')" = "$t3"
check "a grant for the new account is stored (as a login would)" seed other "$MK_CLIENT_ID"
to=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$work/grant.json")
got=
for _ in $(seq 1 50); do
	got=$(q "MK1 token other" | sed -n 's/^OK //p')
	[ -n "$got" ] && break
	sleep 0.1
done
check "the daemon hands out the new grant's token without a restart" test "$got" = "$to"

kill -TERM $dpid
wait $dpid
rc=$?
check "SIGTERM: exit 0 (got $rc)" test $rc = 0
check "the log says stopped" grep -q "daemon: stopped" "$work/daemon.log"
check "the socket is gone" test ! -e "$sock"
check "no token in the daemon's log" sh -c "! grep -qF -e '$t1' -e '$t2' -e '$t3' -e '$to' '$work/daemon.log'"
finish
