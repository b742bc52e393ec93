#!/usr/bin/env bash
# sysmode_cli: see tests/integration/sysmode.cmake.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
MK=$build/cli/mailkey
pass=0 failn=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
[ -x "$MK" ] || { echo "FAIL - no $MK: build first"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "FAIL - sysmode_cli runs as root (it tests what root does)"; exit 1; }
id nobody >/dev/null 2>&1 || { echo "FAIL - no user nobody"; exit 1; }
work=$(mktemp -d /tmp/mk-sysmode.XXXXXX)
trap '[ -n "${MK_KEEP:-}" ] || rm -rf "$work"' EXIT
chmod 755 "$work" # the user the process becomes must reach the config
unset MAILKEY_CONFIG MAILKEY_STATE_DIR MAILKEY_SOCKET
cat >"$work/config" <<CFG
[account work]
provider = google
user = me@example.com
client_id = x
CFG
chmod 644 "$work/config"
run() { # run NAME ARGS...: stdout in $work/NAME.out, stderr in $work/NAME.err, $rc
	local n=$1
	shift
	"$@" >"$work/$n.out" 2>"$work/$n.err"
	rc=$?
}
has() { grep -qF -- "$2" "$work/$1.err"; }
nobody_group=$(id -gn nobody)

# 1. Root with --system becomes the state directory's owner.
mkdir -m 700 "$work/state"
chown nobody:"$nobody_group" "$work/state"
run add "$MK" --system -v --config "$work/config" --state-dir "$work/state" app-password add work scanner
check "app-password add as root with --system exits 0 (got $rc: $(head -c 300 "$work/add.err"))" test $rc = 0
check "the revoke hint names the system form" has add '(`sudo mailkey --system app-password revoke work scanner` removes it)'
check "-v says it runs as the directory's owner ($(head -c 300 "$work/add.err"))" has add "running as nobody"
check "the app-passwords file belongs to nobody ($(stat -c %U:%G "$work/state/app-passwords" 2>&1))" \
	test "$(stat -c %U:%G "$work/state/app-passwords" 2>/dev/null)" = "nobody:$nobody_group"
check "it is 0600" test "$(stat -c %a "$work/state/app-passwords" 2>/dev/null)" = 600
check "its lock file belongs to nobody too" test "$(stat -c %U "$work/state/app-passwords.lock" 2>/dev/null)" = nobody
bad_owned=$(find "$work/state" ! -user nobody | head -3)
check "nothing in the state directory belongs to root ($bad_owned)" test -z "$bad_owned"
# The process's uid really was nobody's: a file only root may read cannot be read.
install -m 600 /dev/null "$work/rootonly"
printf '[account work]\nprovider = google\nuser = me@example.com\nclient_id = x\n' >"$work/rootonly"
run drop "$MK" --system --config "$work/rootonly" --state-dir "$work/state" accounts
check "after the switch a root-only config cannot be read (rc $rc: $(head -c 300 "$work/drop.err"))" test $rc = 74
# 3. ... and says how to get at it.
check "the message says to use sudo or the file's group" has drop "run the command with sudo, or as a user in the file's group"
# Without --system nothing changes: root stays root.
mkdir -m 700 "$work/state2"
chown nobody:"$nobody_group" "$work/state2"
run add2 "$MK" -v --config "$work/config" --state-dir "$work/state2" app-password add work scanner
check "without --system root stays root (rc $rc)" test $rc = 0 -a "$(stat -c %U "$work/state2/app-passwords" 2>/dev/null)" = root
check "and -v does not claim a switch" test "$(grep -c 'running as' "$work/add2.err")" = 0
# A root-owned state directory: root stays root.
mkdir -m 700 "$work/state3"
run add3 "$MK" --system -v --config "$work/config" --state-dir "$work/state3" app-password add work scanner
check "with a root-owned state directory root stays root (rc $rc)" \
	test $rc = 0 -a "$(stat -c %U "$work/state3/app-passwords" 2>/dev/null)" = root

# 2. The hints name the command that works: in system mode sudo mailkey --system.
run tok "$MK" --system --config "$work/config" --state-dir "$work/state" token work
check "token without a login in system mode exits 77 (got $rc)" test $rc = 77
check "it says to run sudo mailkey --system login work ($(cat "$work/tok.err"))" has tok 'run `sudo mailkey --system login work`'
check "and no plain mailkey login" test "$(grep -c '`mailkey login' "$work/tok.err")" = 0
run tok2 "$MK" --config "$work/config" --state-dir "$work/state3" token work
check "token without a login in user mode exits 77 (got $rc)" test $rc = 77
check "it says to run mailkey login work ($(cat "$work/tok2.err"))" has tok2 'run `mailkey login work`'
check "and nothing of sudo" test "$(grep -c sudo "$work/tok2.err")" = 0
# The daemon started as root in system mode runs as the state directory's
# owner, and the socketmap's text (what Postfix logs) names the system form.
mkdir -m 700 "$work/run"
chown nobody:"$nobody_group" "$work/run"
"$MK" --system -v --config "$work/config" --state-dir "$work/state" daemon --socket "$work/run/socket" \
	>"$work/daemon.out" 2>"$work/daemon.err" &
dpid=$!
for _ in $(seq 100); do [ -S "$work/run/socket" ] && break; sleep 0.1; done
check "the daemon listens ($(head -c 300 "$work/daemon.err"))" test -S "$work/run/socket"
check "its process runs as nobody ($(ps -o user= -p $dpid 2>&1))" test "$(ps -o user= -p $dpid 2>/dev/null | tr -d ' ')" = nobody
check "its socket belongs to nobody" test "$(stat -c %U "$work/run/socket" 2>/dev/null)" = nobody
req="work anykey"
/usr/bin/python3 "$top/tests/integration/daemon/ask.py" --timeout 5 --raw "$work/run/socket" \
	"$(printf '%d:%s,' ${#req} "$req" | xxd -p | tr -d '\n')" >"$work/sm.out" 2>&1
check "the socketmap answer for an account without a login is TEMP naming sudo mailkey --system login work ($(head -c 300 "$work/sm.out"))" \
	grep -qF 'TEMP mailkey: account work needs a new login: run `sudo mailkey --system login work` (`sudo mailkey --system status work` says why' "$work/sm.out"
kill -TERM $dpid 2>/dev/null
wait $dpid 2>/dev/null

# A socket group the daemon's user is not in: the fatal error names the fix.
mkdir -m 700 "$work/run2"
chown nobody:"$nobody_group" "$work/run2"
run grpd timeout 20 "$MK" --system --config "$work/config" --state-dir "$work/state" daemon \
	--socket "$work/run2/socket" --allow-group root
check "a daemon that cannot give its socket to the group exits 74 (got $rc)" test $rc = 74
check "and names SupplementaryGroups and systemctl edit ($(head -c 400 "$work/grpd.err"))" \
	has grpd "to group root: Operation not permitted: the daemon's user must be in group root: for the system service, add SupplementaryGroups=root with \`systemctl edit mailkey\`"

# login --manual with nothing pasted: 66 (no input), naming the account.
run man "$MK" --system --config "$work/config" --state-dir "$work/state3" login work --manual </dev/null
check "login --manual with nothing pasted exits 66 (got $rc)" test $rc = 66
check "and names the account ($(tail -c 300 "$work/man.err"))" has man 'run `sudo mailkey --system login work --manual` again'

# 3./4. client_secret_file missing or group-readable.
cat >"$work/secret.conf" <<CFG
[account work]
provider = google
user = me@example.com
client_id = x
client_secret_file = $work/no-such-secret

[account home]
provider = microsoft
user = me@home.example
client_id = y
CFG
run miss "$MK" --config "$work/secret.conf" --state-dir "$work/state3" accounts
check "accounts with a missing client_secret_file exits 78 (got $rc)" test $rc = 78
check "and says what to do ($(cat "$work/miss.err"))" has miss "put the OAuth client's secret in that file and chmod 600 it, or remove the client_secret_file line if the client is public"
run names "$MK" --config "$work/secret.conf" --state-dir "$work/state3" accounts --names
check "accounts --names does not read the secret file: exits 0 (got $rc: $(cat "$work/names.err"))" test $rc = 0
check "and lists both names" test "$(cat "$work/names.out")" = "$(printf 'work\nhome')"
printf 'sekrit\n' >"$work/no-such-secret"
chmod 640 "$work/no-such-secret"
run grp "$MK" --config "$work/secret.conf" --state-dir "$work/state3" accounts
check "a group-readable client_secret_file exits 78 (got $rc)" test $rc = 78
check "and says group or other users ($(cat "$work/grp.err"))" has grp "is readable by its group or other users: chmod 600 it"
run names2 "$MK" --config "$work/secret.conf" --state-dir "$work/state3" accounts --names
check "accounts --names with a group-readable secret exits 0 (got $rc)" test $rc = 0
run broken "$MK" --config "$work/no-config" --state-dir "$work/state3" accounts --names
check "accounts --names still fails without a config (got $rc)" test $rc = 66

# 5. --help's rows line up; unknown subcommands are named.
run help "$MK" --help
cols=$(sed -n '/^commands:/,/^$/p' "$work/help.out" | grep '^  [a-z]' | awk '{ match($0, /^  [a-z-]+ +/); print RLENGTH }' | sort -u)
check "every command row's summary starts in one column ($cols)" test "$(wc -l <<<"$cols")" = 1
check "app-password is among them" grep -q '^  app-password ' "$work/help.out"
for c in "config foo:the one there is: check" "queue foo:the one there is: run" "gateway foo:the one there is: ca" \
	"app-password foo:unknown subcommand foo"; do
	args=${c%%:*} want=${c#*:}
	# shellcheck disable=SC2086
	run sub "$MK" --config "$work/config" --state-dir "$work/state3" $args
	check "mailkey $args exits 64 (got $rc)" test $rc = 64
	check "mailkey $args names the subcommand ($(head -1 "$work/sub.err"))" grep -qF -- "${want/unknown subcommand foo/foo}" "$work/sub.err"
	[ "${args%% *}" = app-password ] || check "mailkey $args says unknown subcommand 'foo'" has sub "unknown subcommand 'foo'"
done

echo "sysmode_cli: $pass passed, $failn failed"
[ $failn = 0 ]
