# Shared by the daemon tests that need no server (sourced, not run):
# paths, check/ok/bad, a work directory removed at exit with the daemon
# ($dpid) and any helper processes ($pids) stopped, and a config and state
# directory of their own. $1: a short name for the work directory.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
MK=$build/cli/mailkey
work=$(mktemp -d "/tmp/mk-d$1.XXXXXX")
pass=0 failn=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
finish() {
	echo "$(basename "$0"): $pass passed, $failn failed"
	[ "$failn" -eq 0 ]
}
dpid= pids=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
export MAILKEY_CONFIG=$work/config MAILKEY_STATE_DIR=$work/state
