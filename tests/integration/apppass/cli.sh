#!/usr/bin/env bash
# `mailkey app-password`: every error class of add, list and revoke asserts
# its exit code and message; the files are 0600 in a 0700 directory; the
# password is printed once, alone, on stdout and never on stderr; --json is
# JSON; a password that could not be shown is not kept. What was written is
# checked through the library the gateway uses (mk-apppass-tool).
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
MK=$build/cli/mailkey
tool=$build/tests/integration/mk-apppass-tool
work=$(mktemp -d /tmp/mk-apppass.XXXXXX)
trap 'chattr -i "$work/ro" 2>/dev/null; [ -n "${MK_KEEP:-}" ] || rm -rf "$work"' EXIT
pass=0 failn=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
[ -x "$MK" ] && [ -x "$tool" ] || { echo "FAIL - no $MK or $tool: build first"; exit 1; }

cat >"$work/config" <<CFG
[account work]
provider = google
user = me@example.com
client_id = x

[account home]
provider = microsoft
user = me@home.example
client_id = y
CFG
export MAILKEY_CONFIG=$work/config MAILKEY_STATE_DIR=$work/state/deep
# Every stderr of the run, to look for passwords in at the end.
errs=$work/all.err
: >"$errs"
run() { # run NAME ARGS...: stdout in $work/NAME.out, stderr in $work/NAME.err, $rc
	local n=$1
	shift
	"$@" >"$work/$n.out" 2>"$work/$n.err"
	rc=$?
	cat "$work/$n.err" >>"$errs"
}
has() { grep -qF -- "$2" "$work/$1.err"; }
pwre='^[a-z2-7]{4}(-[a-z2-7]{4}){5}-[a-z2-7]{2}$'

# add: the state directory does not exist yet.
run add1 "$MK" app-password add work scanner
check "add exits 0 (got $rc: $(cat "$work/add1.err"))" test $rc = 0
check "add prints one line on stdout" test "$(wc -l <"$work/add1.out")" = 1
pw1=$(cat "$work/add1.out")
check "the line is the password alone, in groups of four ($pw1)" grep -qE "$pwre" "$work/add1.out"
check "stderr names the user name to give the program" has add1 "user name me@example.com"
check "stderr says it is not shown again" has add1 "not shown again"
check "the state directory was created 0700" test "$(stat -c %a "$work/state/deep")" = 700
check "app-passwords is 0600" test "$(stat -c %a "$work/state/deep/app-passwords")" = 600
check "its lock file is 0600" test "$(stat -c %a "$work/state/deep/app-passwords.lock")" = 600
check "the file has the record, not the password" \
	sh -c "grep -q '^v1 work scanner ' '$work/state/deep/app-passwords' && ! grep -qF '$pw1' '$work/state/deep/app-passwords' && ! grep -qF '$(tr -d - <<<"$pw1")' '$work/state/deep/app-passwords'"
printf 'work %s\nhome %s\nwork %s\n' "$pw1" "$pw1" "$(tr 'a-z-' 'A-Z ' <<<"$pw1")" | "$tool" verify "$MAILKEY_STATE_DIR" >"$work/v1" 2>&1
check "the gateway's check accepts it for work only, typed in capitals with spaces too ($(tr '\n' ' ' <"$work/v1"))" \
	test "$(cat "$work/v1")" = "$(printf 'work scanner\nhome -\nwork scanner')"
run add2 "$MK" app-password add work fetchmail
pw2=$(cat "$work/add2.out")
check "a second password for the same account (rc $rc)" test $rc = 0 -a "$pw2" != "$pw1"
run add3 "$MK" app-password add home scanner
pw3=$(cat "$work/add3.out")
check "the same name under another account (rc $rc)" test $rc = 0
check "its user name is home's" has add3 "user name me@home.example"
printf 'work %s\nwork %s\nhome %s\nhome %s\n' "$pw1" "$pw2" "$pw3" "$pw1" | "$tool" verify "$MAILKEY_STATE_DIR" >"$work/v2" 2>&1
check "each password opens its own account only" \
	test "$(cat "$work/v2")" = "$(printf 'work scanner\nwork fetchmail\nhome scanner\nhome -')"

# add: errors.
run dup "$MK" app-password add work scanner
check "a duplicate name exits 64 (got $rc)" test $rc = 64
check "and says how to reuse the name" sh -c "grep -q 'already has an app password named scanner' '$work/dup.err' && grep -qF 'mailkey app-password revoke work scanner' '$work/dup.err'"
check "and prints nothing on stdout" test ! -s "$work/dup.out"
run unk "$MK" app-password add nosuch scanner
check "an account not in the configuration exits 64, like every command (got $rc)" test $rc = 64
check "and names the configured accounts" sh -c "grep -q \"no account 'nosuch'\" '$work/unk.err' && grep -q 'configured: ' '$work/unk.err'"
run badname "$MK" app-password add work 'my scanner'
check "an invalid name exits 64 (got $rc)" test $rc = 64
check "and says which characters" has badname "letters, digits"
run noargs "$MK" app-password add work
check "add without NAME exits 64 (got $rc)" test $rc = 64
check "and shows its usage" has noargs "usage: mailkey app-password add ACCOUNT NAME"
run extra "$MK" app-password add work a b
check "add with one argument too many exits 64 (got $rc)" test $rc = 64
run opt "$MK" app-password add --bogus work
check "add with an option exits 64 (got $rc)" test $rc = 64
run nocfg env MAILKEY_CONFIG="$work/none" "$MK" app-password add work x
check "add without a configuration file exits 66 (got $rc)" test $rc = 66
check "and says how to make one" sh -c "grep -qi 'config' '$work/nocfg.err'"
printf '[account broken\n' >"$work/badcfg"
run badcfg env MAILKEY_CONFIG="$work/badcfg" "$MK" app-password add work x
check "add with a broken configuration exits 78 (got $rc)" test $rc = 78
check "and names the file" has badcfg "$work/badcfg"
: >"$work/plain"
run nodir env MAILKEY_STATE_DIR="$work/plain/state" "$MK" app-password add work x
check "add with a state directory that cannot be made exits 74 (got $rc)" test $rc = 74
check "and names the directory" has nodir "$work/plain/state"
check "and prints no password" test ! -s "$work/nodir.out"
# An immutable state directory (root ignores modes, not chattr).
mkdir -p "$work/ro"
MAILKEY_STATE_DIR=$work/ro "$MK" app-password add work before >/dev/null 2>>"$errs"
if chattr +i "$work/ro" 2>/dev/null; then
	sum=$(sha256sum <"$work/ro/app-passwords")
	run ro env MAILKEY_STATE_DIR="$work/ro" "$MK" app-password add work x
	check "add into an unwritable state directory exits 74 (got $rc)" test $rc = 74
	check "and says it was not added" has ro "was not added"
	check "and prints no password" test ! -s "$work/ro.out"
	run rorev env MAILKEY_STATE_DIR="$work/ro" "$MK" app-password revoke work before
	check "revoke in an unwritable state directory exits 74 (got $rc)" test $rc = 74
	check "and says it was not revoked" has rorev "was not revoked"
	check "the file is untouched" test "$(sha256sum <"$work/ro/app-passwords")" = "$sum"
	chattr -i "$work/ro"
else
	bad "chattr +i is not supported on $work: the unwritable-directory case did not run"
fi
# A password nobody could see is not kept: stdout closed.
run closed sh -c "exec '$MK' app-password add work unseen >&-"
check "add with stdout closed exits 74 (got $rc)" test $rc = 74
check "and says the password was not kept" has closed "was not kept"
run closedlist "$MK" app-password list work
check "and it is not in the list" sh -c "! grep -q unseen '$work/closedlist.out'"

# list.
run list "$MK" app-password list
check "list exits 0 (got $rc)" test $rc = 0
check "list has a header and the three passwords" \
	sh -c "head -1 '$work/list.out' | grep -q 'ACCOUNT.*NAME.*CREATED.*LAST USED' && test \$(grep -c 'scanner\|fetchmail' '$work/list.out') = 3"
check "list says never for unused ones" grep -q 'fetchmail .* never$' "$work/list.out"
printf 'work %s\n' "$pw2" | "$tool" verify "$MAILKEY_STATE_DIR" --touch >/dev/null
run listj "$MK" app-password list --json
check "list --json exits 0 (got $rc)" test $rc = 0
check "list --json is a JSON array with the fields, last use recorded by a login" python3 - "$work/listj.out" <<'PY'
import json, sys, time
v = json.load(open(sys.argv[1]))
assert isinstance(v, list) and len(v) == 3, v
assert all(set(o) == {"account", "name", "created", "last_used"} for o in v), v
names = [(o["account"], o["name"]) for o in v]
assert names == [("work", "scanner"), ("work", "fetchmail"), ("home", "scanner")], names
assert all(abs(o["created"] - time.time()) < 600 for o in v), v
byname = {(o["account"], o["name"]): o for o in v}
assert byname[("work", "scanner")]["last_used"] is None
assert abs(byname[("work", "fetchmail")]["last_used"] - time.time()) < 600
PY
run listj2 "$MK" --json app-password list home
check "--json before the command, one account" python3 -c "import json,sys; v=json.load(open(sys.argv[1])); assert [o['name'] for o in v]==['scanner'], v" "$work/listj2.out"
run listempty "$MK" app-password list nosuch
check "list of an account without passwords exits 0 (got $rc)" test $rc = 0 -a ! -s "$work/listempty.out"
check "and says how to add one" has listempty "mailkey app-password add nosuch NAME"
run listempj "$MK" app-password list nosuch --json
check "its --json is []" test "$(tr -d ' \n' <"$work/listempj.out")" = "[]"
run listbad "$MK" app-password list --bogus
check "list with an unknown option exits 64 (got $rc)" test $rc = 64
run list2 "$MK" app-password list work home
check "list with two accounts exits 64 (got $rc)" test $rc = 64
run listnostate env MAILKEY_STATE_DIR="$work/never" "$MK" app-password list --json
check "list with no state at all is an empty list (rc $rc)" test $rc = 0 -a "$(tr -d ' \n' <"$work/listnostate.out")" = "[]"
check "and creates nothing" test ! -e "$work/never"

# revoke.
run rev0 "$MK" app-password revoke work nosuch
check "revoking an unknown name exits 66 (got $rc)" test $rc = 66
check "and says how to see the names" has rev0 "mailkey app-password list work"
run rev1 "$MK" app-password revoke work
check "revoke without NAME exits 64 (got $rc)" test $rc = 64
check "and shows its usage" has rev1 "usage: mailkey app-password revoke ACCOUNT NAME"
run rev2 "$MK" app-password revoke work scanner
check "revoke exits 0 (got $rc)" test $rc = 0
printf 'work %s\nwork %s\n' "$pw1" "$pw2" | "$tool" verify "$MAILKEY_STATE_DIR" >"$work/v3" 2>&1
check "the revoked password no longer works, the other one does" \
	test "$(cat "$work/v3")" = "$(printf 'work -\nwork fetchmail')"
run rev3 "$MK" app-password revoke work scanner
check "revoking it again exits 66 (got $rc)" test $rc = 66
run revnodir env MAILKEY_STATE_DIR="$work/plain/state" "$MK" app-password revoke work x
check "revoke with a state directory that cannot be made exits 74 (got $rc)" test $rc = 74

# The usage of the command itself, and --help everywhere.
run none "$MK" app-password
check "no subcommand exits 64 (got $rc)" test $rc = 64
run unknown "$MK" app-password show
check "an unknown subcommand exits 64 (got $rc)" test $rc = 64
check "and names it" has unknown "unknown subcommand show"
for s in "" add list revoke; do
	run "help$s" "$MK" app-password $s --help
	check "app-password $s --help exits 0 (got $rc)" test $rc = 0
	check "app-password $s --help prints a usage" grep -q '^usage: mailkey app-password' "$work/help$s.out"
done

# A damaged file: reported with its line, never rewritten.
printf 'v1 work cut 00' >>"$MAILKEY_STATE_DIR/app-passwords"
sum=$(sha256sum <"$MAILKEY_STATE_DIR/app-passwords")
run dmg "$MK" app-password list
check "list of a damaged file exits 65 (got $rc)" test $rc = 65
check "and names the file and the line" sh -c "grep -qF '$MAILKEY_STATE_DIR/app-passwords' '$work/dmg.err' && grep -q 'line 4' '$work/dmg.err'"
check "and says what to do" has dmg "restore it from a backup"
run dmgadd "$MK" app-password add work new
check "add to a damaged file exits 65 (got $rc)" test $rc = 65 -a ! -s "$work/dmgadd.out"
run dmgrev "$MK" app-password revoke work fetchmail
check "revoke in a damaged file exits 65 (got $rc)" test $rc = 65
check "the damaged file is untouched" test "$(sha256sum <"$MAILKEY_STATE_DIR/app-passwords")" = "$sum"

# No password ever reached stderr (with or without its dashes).
for p in "$pw1" "$pw2" "$pw3"; do
	check "password never on stderr" sh -c "! grep -qiF -e '$p' -e '$(tr -d - <<<"$p")' '$errs'"
done
check "no temporary files are left" sh -c "! find '$work' -name '*.tmp.*' | grep -q ."
echo "$(basename "$0"): $pass passed, $failn failed"
[ "$failn" -eq 0 ]
