# Shared by the daemon tests (tests/integration/daemon/*.sh): the servers of
# ../broker/lib.sh (export MK_SHORT_TTL before sourcing this to choose the
# lifetime of the `shortlived` client's tokens), a daemon on a socket of its
# own, and helpers to talk to it, to give accounts real grants and to read
# the provider's counters.
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/../broker/lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The socket in a directory of its own: the daemon tightens the directory it
# listens in to 0700, and $work must stay searchable for the mail servers.
mkdir -p "$work/d"
SOCK=$work/d/daemon.sock
DLOG=$work/daemon.log
# The CLI finds the daemon through MAILKEY_SOCKET; the default location is
# kept inside $work too so that no test ever talks to a real user's daemon.
export MAILKEY_SOCKET=$SOCK XDG_RUNTIME_DIR=$work/run
mkdir -m 700 -p "$XDG_RUNTIME_DIR"
: >"$MAILKEY_CONFIG"
dpid=
daemon_cleanup() {
	if [ -n "$dpid" ]; then
		kill -CONT "$dpid" 2>/dev/null
		kill -KILL "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
	fi
	# A test may leave the provider stopped when it fails midway.
	[ -f "$work/srv/pids" ] && kill -CONT "$(op_pid)" 2>/dev/null
	if [ "$failn" -gt 0 ] && [ -s "$DLOG" ]; then
		echo "--- last lines of the daemon's log"
		tail -30 "$DLOG"
	fi
}
trap 'daemon_cleanup; cleanup' EXIT

# ask LINE...: each line over one connection, the answers on stdout.
ask() { /usr/bin/python3 "$here/ask.py" "$SOCK" "$@"; }
# The payload of an OK answer to one request, or nothing (status 1).
ask_ok() { local a; a=$(ask "$1") || return 1; case $a in "OK "*) printf '%s\n' "${a#OK }" ;; *) return 1 ;; esac; }
# wait_until TENTHS CMD...: poll CMD every 0.1 s, at most TENTHS times.
wait_until() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
pinged() { ask_ok "MK1 ping" >/dev/null 2>&1; }
# start_daemon [ARGS]: `mailkey daemon --socket $SOCK ARGS` in the
# background (pid in $dpid, stderr appended to $DLOG), back once it answers.
start_daemon() {
	"$MK" daemon --socket "$SOCK" "$@" 2>>"$DLOG" &
	dpid=$!
	wait_until 150 pinged
}
# stop_daemon: SIGTERM, then wait at most 10 s; the exit status of the daemon.
stop_daemon() {
	local rc
	kill -TERM "$dpid" 2>/dev/null
	wait_until 100 sh -c "! kill -0 $dpid 2>/dev/null" || kill -KILL "$dpid"
	wait "$dpid"
	rc=$?
	dpid=
	return $rc
}
daemon_alive() { [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; }
op_pid() { awk '$1 == "op" {print $2}' "$work/srv/pids"; }
# A real grant of the provider for an account, through `mailkey import`:
# grant NAME [CLIENT_ID] (default: the shortlived client).
grant() {
	"$top/tests/servers/get-token" "$work/srv" --user "$MK_USER1" --client "${2:-$MK_SHORT_CLIENT_ID}" >"$work/grant.json" &&
		"$MK" import "$1" --force <"$work/grant.json" 2>>"$work/import.err"
}
# The provider's counters: refresh-token grants that succeeded / failed.
refreshes() { counts | json '["byGrant"].get("refresh_token", 0)'; }
refresh_errors() { counts | json '["byGrant"].get("refresh_token:error", 0)'; }
reset_counts() { curl -sS -X POST "$MK_OP_ADMIN/reset-counts"; }
# One field of the daemon's status for an account ("state", "expires_at", ...).
dstatus() { # account field
	ask_ok "MK1 status" | python3 -c '
import json, sys
for a in json.load(sys.stdin):
    if a.get("account") == sys.argv[1]:
        print(a.get(sys.argv[2]))' "$1" "$2"
}
# The access token the store holds for an account (empty when unreadable).
stored_token() { "$build/tests/tools/mk-store-show" --token "$MAILKEY_STATE_DIR" "$1" 2>/dev/null; }
active() { printf %s "$1" | introspect; }
now() { date +%s.%N; }
# wait_refreshes R0 SECONDS: wait until the provider counts more than R0
# refresh grants or SECONDS pass; prints the seconds it waited.
wait_refreshes() {
	/usr/bin/python3 - "$MK_OP_ADMIN/counts" "$1" "$2" <<'PY'
import json, sys, time, urllib.request
t0 = time.monotonic()
while time.monotonic() - t0 < float(sys.argv[3]):
    with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
        if json.load(r)["byGrant"].get("refresh_token", 0) > int(sys.argv[2]):
            break
    time.sleep(0.05)
print("%.2f" % (time.monotonic() - t0))
PY
}
le() { python3 -c "import sys; sys.exit(0 if float('${1:-inf}') <= float('$2') else 1)"; }
