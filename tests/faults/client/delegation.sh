#!/usr/bin/env bash
# The CLI asks a running daemon when a refresh is due (issue 9: "the daemon
# owns refreshes when it runs"), against a fake daemon at $MAILKEY_SOCKET
# (tests/faults/client/fake_daemon.py) for the answers a real one gives only
# by accident: both programs (the `mailkey` front end and `mailkey-core`)
# take a due token from the daemon's answer, exit 75 / 77 with the daemon's
# message, serve a token that is still good from the store without asking,
# and refresh inline exactly as before when no daemon is there. The tests
# with a real daemon are tests/integration/daemon (helper dtest).
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
MK=$build/cli/mailkey CORE=$build/cli/mailkey-core SEED=$build/tests/tools/mk-store-seed
w=$(mktemp -d /tmp/mk-delegation.XXXXXX)
fake=
cleanup() { [ -n "$fake" ] && kill "$fake" 2>/dev/null; wait 2>/dev/null; rm -rf "$w"; }
trap cleanup EXIT
pass=0 failn=0
check() { local d=$1; shift; if "$@"; then echo "ok   - $d"; pass=$((pass + 1)); else echo "FAIL - $d"; failn=$((failn + 1)); fi; }

export MAILKEY_CONFIG=$w/config MAILKEY_STATE_DIR=$w/state MAILKEY_SOCKET=$w/sock
# A token endpoint nothing listens on: an inline refresh fails with 75.
printf '[account fake]\nprovider = generic\nissuer = https://127.0.0.1:1\nuser = a@example.test\nclient_id = x\ntimeout = 3\nmech = xoauth2\n' >"$w/config"
seed() { # EXPIRES_IN [AGE]
	printf 'stored-token\nstored-refresh\n' |
		MK_SEED_AGE=${2:-0} MK_SEED_TOKEN_ENDPOINT=https://127.0.0.1:1/token "$SEED" "$w/state" fake "$1" ||
		{ echo "FAIL - mk-store-seed"; exit 1; }
}
answers() { printf '%s\n' "$@" >"$w/answers"; }
asked() { wc -l <"$w/log" | tr -d ' '; }
run() { # PROGRAM ARGS...: $out, $err, $rc
	"$@" >"$w/out" 2>"$w/err"
	rc=$?
	out=$(cat "$w/out")
}

check "the front end links no libcurl or libmicrohttpd" bash -c "! ldd '$MK' | grep -Eq 'libcurl|libmicrohttpd'"

: >"$w/log"
answers "token OK daemon-token" "sasl OK ZGFlbW9uLXNhc2w=" "* ERR 70 unexpected"
python3 "$top/tests/faults/client/fake_daemon.py" "$w/sock" "$w/answers" "$w/log" &
fake=$!
for _ in $(seq 1 100); do [ -e "$w/sock.ready" ] && break; sleep 0.05; done
check "the fake daemon listens" test -S "$w/sock"

# A token that is still good: from the store, the daemon not asked.
seed 3600
for p in "$MK" "$CORE"; do
	run "$p" token fake
	check "$(basename "$p"): a good token comes from the store ($rc, $out)" test "$rc:$out" = "0:stored-token"
done
check "nobody asked the daemon for a good token ($(asked))" test "$(asked)" = 0

# Expired: the daemon's token.
seed -10
for p in "$MK" "$CORE"; do
	: >"$w/log"
	run "$p" token fake
	check "$(basename "$p"): an expired token is replaced by the daemon's ($rc, $out)" \
		test "$rc:$out" = "0:daemon-token"
	check "$(basename "$p") asked 'MK1 token fake'" test "$(cat "$w/log")" = "MK1 token fake"
done
# Due (10 s of 100 left) but valid: the daemon's too.
seed 10 90
run "$MK" token fake
check "mailkey: a due token is replaced by the daemon's ($rc, $out)" test "$rc:$out" = "0:daemon-token"
run "$CORE" token fake
check "mailkey-core: a due token is replaced by the daemon's ($rc, $out)" test "$rc:$out" = "0:daemon-token"
# --refresh (a server refused the token): "token fake fresh", even for a good one.
seed 3600
: >"$w/log"
run "$MK" token fake --refresh
check "token --refresh: the daemon's token ($rc, $out)" test "$rc:$out" = "0:daemon-token"
check "and the request was 'MK1 token fake fresh'" test "$(cat "$w/log")" = "MK1 token fake fresh"

# sasl: the front end asks for the SASL string itself (the daemon builds it).
seed -10
: >"$w/log"
run "$MK" sasl fake
check "sasl: the daemon's string ($rc, $out)" test "$rc:$out" = "0:ZGFlbW9uLXNhc2w="
run "$MK" sasl fake --mech oauthbearer
check "sasl --mech oauthbearer: the daemon's string ($rc)" test "$rc:$out" = "0:ZGFlbW9uLXNhc2w="
check "requests 'MK1 sasl fake' and 'MK1 sasl fake oauthbearer'" \
	test "$(tr '\n' '|' <"$w/log")" = "MK1 sasl fake|MK1 sasl fake oauthbearer|"
# mailkey-core's sasl builds the string from the daemon's token.
run "$CORE" sasl fake
want=$(printf 'user=a@example.test\001auth=Bearer daemon-token\001\001' | base64 -w0)
check "mailkey-core sasl: built from the daemon's token ($rc)" test "$rc:$out" = "0:$want"

# ERR 75 / 77: the daemon's class and message, with no token printed.
for code in 75 77; do
	if [ $code = 75 ]; then msg="the token endpoint of fake is down: try again later"; else
		msg="account fake needs a new login: run \`mailkey login fake\`"; fi
	answers "* ERR $code $msg"
	for p in "$MK" "$CORE"; do
		run "$p" token fake
		check "$(basename "$p"): daemon ERR $code -> exit $code ($rc)" test "$rc" = "$code"
		check "$(basename "$p"): with the daemon's message" grep -qF -- "$msg" "$w/err"
		check "$(basename "$p"): and no token" test -z "$out"
	done
	run "$MK" sasl fake
	check "mailkey sasl: daemon ERR $code -> exit $code ($rc)" test "$rc" = "$code"
done
check "the front end's message starts with 'mailkey: '" grep -q '^mailkey: ' "$w/err"

# ERR 75 while the stored token is due but not yet expired: that token
# serves (as when mailkey's own refresh fails for now).
answers "* ERR 75 the token endpoint of fake is down: try again later"
seed 10 90
for p in "$MK" "$CORE"; do
	run "$p" token fake
	check "$(basename "$p"): daemon ERR 75, token still valid: the stored one ($rc, $out)" \
		test "$rc:$out" = "0:stored-token"
done
# ERR 77 then is final: the grant is gone.
answers "* ERR 77 account fake needs a new login: run \`mailkey login fake\`"
run "$MK" token fake
check "daemon ERR 77 with a still-valid token: exit 77 ($rc)" test "$rc" = 77

# Garbage from the daemon: try later (75), the daemon named.
answers "* HTTP/1.1 400 Bad Request"
seed -10
for p in "$MK" "$CORE"; do
	run "$p" token fake
	check "$(basename "$p"): a garbage answer -> exit 75 ($rc)" test "$rc" = 75
	check "$(basename "$p"): the message names the daemon" grep -q 'mailkey daemon' "$w/err"
done

# No daemon: inline, exactly as before (here the refresh itself fails for
# the unreachable token endpoint, which only an inline refresh can say).
kill "$fake"
wait "$fake" 2>/dev/null
fake=
for sock in "$w/sock" "$w/none/sock"; do
	: >"$w/log"
	export MAILKEY_SOCKET=$sock
	for p in "$MK" "$CORE"; do
		run "$p" token fake
		check "$(basename "$p"), no daemon at $(basename "$(dirname "$sock")")/sock: inline refresh, exit 75 ($rc)" \
			test "$rc" = 75
		check "$(basename "$p"): the inline refresh's own message" grep -q 'refreshing account fake failed' "$w/err"
	done
done
check "the stale socket was there (a refused connect, not a missing file)" test -S "$w/sock"
seed 10 90
run "$MK" token fake
check "no daemon, due token, endpoint down: the stored one as before ($rc, $out)" test "$rc:$out" = "0:stored-token"

echo "delegation: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
