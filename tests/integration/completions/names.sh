#!/usr/bin/env bash
# `mailkey accounts --names`, what the completions run on every Tab: the
# names of the configuration's accounts, one a line, in the file's order,
# and nothing else; it reads only the configuration (no state directory
# made, the store's key_command not run, even with --json or --system given
# too); no accounts: nothing, exit 0; no configuration: exit 66 and the usual
# message on standard error (the completions discard it); an unknown option
# still exits 64. No servers.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
mk=$build/cli/mailkey
work=$(mktemp -d /tmp/mk-compl-names.XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config XDG_STATE_HOME=$work/home/.state
mkdir -p "$HOME"
unset MAILKEY_CONFIG MAILKEY_STATE_DIR
pass=0 failn=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }

cat >"$work/two.conf" <<EOF
[account zeta]
provider = google
user = you@gmail.com
client_id = 1234-abc.apps.googleusercontent.com

[account alpha.work]
provider = microsoft
user = you@example.org
client_id = 00000000-0000-0000-0000-000000000000

[store]
key_command = touch $work/key-command-ran
EOF
run() { # args...: stdout to $work/out, stderr to $work/err, status in rc
	"$mk" "$@" >"$work/out" 2>"$work/err"
	rc=$?
}
run --config "$work/two.conf" --state-dir "$work/state" accounts --names
check "two accounts: their names, one a line, in the file's order" test "$(cat "$work/out")" = "$(printf 'zeta\nalpha.work')"
check "exit 0 (got $rc), nothing on standard error" test $rc = 0 -a ! -s "$work/err"
check "no state directory made" test ! -e "$work/state"
check "the store's key_command not run" test ! -e "$work/key-command-ran"
run --json --config "$work/two.conf" --state-dir "$work/state" accounts --names
check "--json before the command: still only the names" test "$(cat "$work/out")" = "$(printf 'zeta\nalpha.work')"
MAILKEY_CONFIG=$work/two.conf run --state-dir "$work/state" accounts --json --names
check "MAILKEY_CONFIG, and --json after the command: the names" test "$(cat "$work/out")" = "$(printf 'zeta\nalpha.work')"
run --system --config "$work/two.conf" accounts --names
check "--system with --config: the names of that file" test "$(cat "$work/out")" = "$(printf 'zeta\nalpha.work')"
check "nothing touched the store either way" test ! -e "$work/state" -a ! -e "$work/key-command-ran"
# The full listing still answers beside it.
run --config "$work/two.conf" --state-dir "$work/state" accounts
check "plain \`accounts\` still lists both (exit $rc)" grep -q '^alpha.work: microsoft' "$work/out"

: >"$work/empty.conf"
run --config "$work/empty.conf" accounts --names
check "no accounts: nothing at all, exit 0 (got $rc)" test $rc = 0 -a ! -s "$work/out" -a ! -s "$work/err"
run accounts --names
check "no configuration: exit 66 (got $rc), nothing on standard output" test $rc = 66 -a ! -s "$work/out"
check "no configuration: the message names the file and what to do" \
	grep -q "no configuration file at $XDG_CONFIG_HOME/mailkey/config: create it" "$work/err"
run --config "$work/two.conf" accounts --bogus
check "an unknown option: exit 64 (got $rc)" test $rc = 64
check "--help names --names" sh -c "'$mk' accounts --help | grep -q -- '--names'"

echo "$(basename "$0"): $pass passed, $failn failed"
[ "$failn" -eq 0 ]
