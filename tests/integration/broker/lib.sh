# Shared by the broker integration tests: servers up, a config pointing at the
# test provider, a BROWSER that is headless Chromium, check/ok/bad helpers.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
MK=$build/cli/mailkey
work=$(mktemp -d /tmp/mk-broker.XXXXXX)
chmod 755 "$work" # the mail servers' users must reach $work/srv
pass=0 failn=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
finish() {
	echo "$(basename "$0"): $pass passed, $failn failed"
	[ "$failn" -eq 0 ]
}
cleanup() { "$top/tests/servers/down" "$work/srv"; [ -n "${MK_KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

# up picks free ports and checks that its servers hold them; a test started
# at the same moment may take one in between (up then says "run up again"):
# up cleans up after itself, so a second or third try is a fresh start.
mk_up() {
	local i
	for i in 1 2 3; do
		"$top/tests/servers/up" "$work/srv" >/dev/null && return 0
		echo "tests/servers/up failed (try $i of 3)" >&2
	done
	return 1
}
mk_up || { echo "0 passed, 1 failed"; exit 1; }
# shellcheck disable=SC1091
. "$work/srv/env"
export MAILKEY_CONFIG=$work/config MAILKEY_STATE_DIR=$work/state
unset DISPLAY WAYLAND_DISPLAY
account() { # name client_id [extra lines]
	printf '[account %s]\nprovider = generic\nissuer = %s\nuser = %s\nclient_id = %s\ncafile = %s\n%s\n\n' \
		"$1" "$MK_OP_ISSUER" "$MK_USER1" "$2" "$MK_CA_FILE" "${3:-}" >>"$MAILKEY_CONFIG"
}
# BROWSER for mailkey: headless Chromium approves (or denies) consent and
# saves what the final page showed.
browser() { # mode(approve|deny) outfile
	cat >"$work/browser-$1" <<SH
#!/bin/sh
exec node "$top/tests/browser/consent.mjs" --user "$MK_USER1" $([ "$1" = deny ] && echo --deny) --url "\$1" >"$2" 2>&1
SH
	chmod +x "$work/browser-$1"
	echo "$work/browser-$1"
}
# The browser runs on after mailkey has its answer; wait for its report.
wait_file() { local i; for i in $(seq 1 150); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d'"$1"')'; }
introspect() { # token on stdin -> active
	curl -sS "$MK_OP_ISSUER/token/introspection" --data-urlencode "client_id=$MK_INTROSPECT_CLIENT_ID" \
		--data-urlencode "client_secret@$MK_INTROSPECT_SECRET_FILE" --data-urlencode "token@-" | json '["active"]'
}
counts() { curl -sS "$MK_OP_ADMIN/counts"; }
