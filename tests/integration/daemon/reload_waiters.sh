#!/usr/bin/env bash
# mailkey daemon: SIGHUP with a configuration that drops accounts while a
# client waits on one of them (its refresh in flight) with a request for
# another dropped account queued behind it. The waiter is answered, the
# queued request finds no account, and the daemon keeps running (it used to
# look the second account up after freeing it: a use-after-free). The token
# endpoint is a listener that never answers (a fault no real server makes
# on purpose), so that the refresh stays in flight.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
MK=$build/cli/mailkey
work=$(mktemp -d /tmp/mk-dreload.XXXXXX)
pass=0 failn=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
dpid= hpid=
cleanup() {
	[ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null
	[ -n "$hpid" ] && kill "$hpid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
# A TCP listener that accepts nothing: connect succeeds, no answer comes.
python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(16)
open(sys.argv[1],"w").write(str(s.getsockname()[1])); time.sleep(600)' "$work/port" &
hpid=$!
for _ in $(seq 1 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
export MAILKEY_CONFIG=$work/config MAILKEY_STATE_DIR=$work/state
acct() { printf '[account %s]\nprovider = generic\nissuer = http://127.0.0.1:%s\nuser = %s@example.test\nclient_id = x\n\n' "$1" "$port" "$1"; }
{ acct one; acct two; } >"$MAILKEY_CONFIG"
for a in one two; do
	printf 'access-%s-0123456789\nrefresh-%s-0123456789\n' $a $a |
		MK_SEED_TOKEN_ENDPOINT=http://127.0.0.1:$port/token "$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" $a 3600
done
sock=$work/run/socket
"$MK" daemon --socket "$sock" 2>"$work/daemon.log" &
dpid=$!
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
check "the daemon listens" test -S "$sock"
# Parked on `two` (a forced refresh that hangs), `one` queued behind it.
python3 - "$sock" >"$work/client.out" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(sys.argv[1])
s.sendall(b"MK1 token two fresh\nMK1 token one\n")
buf = b""
try:
    while buf.count(b"\n") < 2:
        c = s.recv(4096)
        if not c:
            break
        buf += c
except socket.timeout:
    pass
print(buf.decode(errors="replace"), end="")
PY
cpid=$!
for _ in $(seq 1 50); do grep -q '"waiting":1' <(python3 "$top/tests/integration/daemon/mkd.py" "$sock" 'MK1 status') && break; sleep 0.1; done
acct three >"$MAILKEY_CONFIG"
kill -HUP "$dpid"
wait "$cpid"
check "the waiter is told its account was removed" grep -q '^ERR 64 the account was removed' "$work/client.out"
check "the request queued behind it finds no account" grep -q "^ERR 64 no account 'one'" "$work/client.out"
check "the daemon still runs" kill -0 "$dpid"
check "and answers" sh -c "python3 '$top/tests/integration/daemon/mkd.py' '$sock' 'MK1 ping' | grep -q '^OK mailkey'"
check "no sanitizer report" sh -c "! grep -q 'Sanitizer' '$work/daemon.log'"
echo "$(basename "$0"): $pass passed, $failn failed"
[ "$failn" -eq 0 ]
