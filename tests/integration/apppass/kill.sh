#!/usr/bin/env bash
# Kill `mailkey app-password add` and `revoke`, and a login's touch of
# LAST_USED (mk-apppass-tool verify --touch, the library call the gateway
# makes), just before each file-system call they make once they reach the
# state directory, by strace's syscall injection: with SIGKILL, SIGTERM and
# SIGINT at every such point, so every crash point is hit, not only lucky
# ones. After each kill:
#   - the file parses (never damaged, never half-written) and every password
#     that was there before still opens its account;
#   - a password printed on stdout opens its account (reported = stored); an
#     add that exits 0 printed one; a revoke that exits 0 removed it;
#   - SIGTERM and SIGINT wait for the write and the print (mailkey defers
#     them), so those adds always finish: the password is shown and kept;
#   - the next add works and leaves no temporary file behind.
# Then a random-delay loop of SIGKILLs over the whole run of add.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
core=$build/cli/mailkey-core
tool=$build/tests/integration/mk-apppass-tool
work=$(mktemp -d /tmp/mk-apppass-kill.XXXXXX)
trap '[ -n "${MK_KEEP:-}" ] || rm -rf "$work"' EXIT
pass=0 failn=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
command -v strace >/dev/null || { echo "FAIL - strace is needed (apt install strace)"; exit 1; }
[ -x "$core" ] && [ -x "$tool" ] || { echo "FAIL - no $core or $tool: build first"; exit 1; }
# LeakSanitizer cannot run under ptrace.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
calls="openat read write fsync rename unlink close fchmod getrandom flock mkdir"
pwre='^[a-z2-7]{4}(-[a-z2-7]{4}){5}-[a-z2-7]{2}$'

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
export MAILKEY_CONFIG=$work/config
# The template state: three passwords whose values we know.
tpl=$work/tpl
: >"$work/known"
for an in "work p1" "work p2" "home p1"; do
	set -- $an
	p=$(MAILKEY_STATE_DIR=$tpl "$core" app-password add "$1" "$2" 2>/dev/null) ||
		{ echo "FAIL - cannot set up the template"; exit 1; }
	echo "$1 $p" >>"$work/known"
done
expect_known=$(printf 'work p1\nwork p2\nhome p1')
temps() { find "$1" -name '*.tmp.*' 2>/dev/null | wc -l; }

# The kill points of "$@" run on a copy of the template: "call k" for every
# traced call from the first that names the state directory to the end.
points() {
	rm -rf "$work/probe"
	cp -a "$tpl" "$work/probe"
	MAILKEY_STATE_DIR=$work/probe strace -f -qq -o "$work/trace" -e trace=$(tr ' ' , <<<"$calls") \
		"$@" >/dev/null 2>&1 </dev/null
	awk -v dir="$work/probe" '
		{ name = $2; sub(/\(.*/, "", name); n[name]++ }
		index($0, dir) { on = 1 }
		on && name != "" { print name, n[name] }' "$work/trace"
}
killed_at() { # killed_at SIG CALL K OUT ARGS...: run ARGS, signalled just before the K-th CALL
	local sig=$1 c=$2 k=$3 out=$4
	shift 4
	(strace -f -qq -o /dev/null -e trace="$c" -e inject="$c:signal=$sig:when=$k" "$@" >"$out" 2>"$out.err" </dev/null) 2>/dev/null
}

landed=0 reported=0 failed_adds=0
one_round() { # one_round WHAT SIG CALL K
	local what=$1 sig=$2 c=$3 k=$4 d=$work/r-$1-$2-$3-$4 rc got
	cp -a "$tpl" "$d"
	case $what in
	add) MAILKEY_STATE_DIR=$d killed_at "$sig" "$c" "$k" "$d.out" "$core" app-password add work new ;;
	revoke) MAILKEY_STATE_DIR=$d killed_at "$sig" "$c" "$k" "$d.out" "$core" app-password revoke work p2 ;;
	touch) grep '^work' "$work/known" | head -1 >"$d.in"
		killed_at "$sig" "$c" "$k" "$d.out" sh -c "exec '$tool' verify '$d' --touch <'$d.in'" ;;
	esac
	rc=$?
	landed=$((landed + 1))
	local at="$what, SIG$sig before $c #$k (exit $rc)"
	n=$("$tool" check "$d" 2>"$d.check")
	check "$at: the file is whole ($(cat "$d.check"))" test $? = 0
	got=$("$tool" verify "$d" <"$work/known")
	case $what in
	revoke)
		if [ $rc = 0 ]; then
			check "$at: revoke exited 0, so p2 is gone" test "$got" = "$(printf 'work p1\nwork -\nhome p1')"
		else
			check "$at: p2 is there or gone, the others kept" \
				sh -c "[ '$got' = '$expect_known' ] || [ '$got' = \"\$(printf 'work p1\nwork -\nhome p1')\" ]"
		fi ;;
	*) check "$at: every earlier password still works ($got)" test "$got" = "$expect_known" ;;
	esac
	if [ "$what" = add ]; then
		if grep -qE "$pwre" "$d.out"; then
			reported=$((reported + 1))
			check "$at: the password it printed is stored" \
				test "$(printf 'work %s\n' "$(cat "$d.out")" | "$tool" verify "$d")" = "work new"
		else
			failed_adds=$((failed_adds + 1))
			check "$at: no password printed, so the command failed" test $rc != 0
			check "$at: and stdout is empty" test ! -s "$d.out"
		fi
		if [ "$sig" != KILL ]; then
			check "$at: SIG$sig waited for the add to finish" grep -qE "$pwre" "$d.out"
		fi
	fi
	if [ "$what" = touch ] && [ "$sig" = KILL ]; then
		check "$at: the touch left LAST_USED old or new, the rest intact ($n records)" test "$n" = 3
	fi
	MAILKEY_STATE_DIR=$d "$core" app-password add home after >/dev/null 2>"$d.err"
	check "$at: the next add works ($(cat "$d.err"))" test $? = 0
	check "$at: and no temporary file is left ($(temps "$d"))" test "$(temps "$d")" = 0
	rm -rf "$d" "$d".*
}

for what in add revoke touch; do
	case $what in
	add) points "$core" app-password add work new >"$work/points-$what" ;;
	revoke) points "$core" app-password revoke work p2 >"$work/points-$what" ;;
	touch) grep '^work' "$work/known" | head -1 >"$work/touch.in"
		points sh -c "exec '$tool' verify '$work/probe' --touch <'$work/touch.in'" >"$work/points-$what" ;;
	esac
	np=$(wc -l <"$work/points-$what")
	check "$what: kill points found ($np)" test "$np" -ge 8
	while read -r c k; do
		for sig in KILL TERM INT; do one_round "$what" "$sig" "$c" "$k"; done
	done <"$work/points-$what"
done
check "at least 100 signals landed mid-write ($landed)" test "$landed" -ge 100
check "some adds were cut before their password was shown ($failed_adds) and some finished ($reported)" \
	test "$failed_adds" -ge 1 -a "$reported" -ge 1

# Random moments: SIGKILL after a random delay within one add's run time,
# in a fresh state each time; it landed mid-write when the process died and
# had already created the lock file (the first step of the write).
t0=$(date +%s%N)
MAILKEY_STATE_DIR=$work/timing "$core" app-password add work t >/dev/null 2>&1
span=$((($(date +%s%N) - t0) / 1000)) # µs
rmid=0 rounds=${MK_KILL_COUNT:-150}
for i in $(seq 1 "$rounds"); do
	d=$work/rand-$i
	mkdir -p "$d"
	cp -a "$tpl/." "$d/"
	rm -f "$d/app-passwords.lock"
	MAILKEY_STATE_DIR=$d "$core" app-password add work new >"$d.out" 2>/dev/null &
	pid=$!
	# Most of a run is the program starting; the write is near its end,
	# so the delays cover the last 60 % of it and a little beyond.
	us=$((RANDOM * 32768 + RANDOM))
	us=$((span * 2 / 5 + us % (span * 7 / 10 + 1)))
	sleep "$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))"
	kill -KILL $pid 2>/dev/null
	{ wait $pid; } 2>/dev/null
	rc=$?
	[ $rc = 137 ] && [ -e "$d/app-passwords.lock" ] && rmid=$((rmid + 1))
	"$tool" check "$d" >/dev/null 2>"$d.check"
	check "random kill $i (exit $rc): the file is whole ($(cat "$d.check"))" test $? = 0
	check "random kill $i: every earlier password still works" test "$("$tool" verify "$d" <"$work/known")" = "$expect_known"
	if grep -qE "$pwre" "$d.out"; then
		check "random kill $i: the password it printed is stored" \
			test "$(printf 'work %s\n' "$(cat "$d.out")" | "$tool" verify "$d")" = "work new"
	else
		check "random kill $i: no password printed, the command failed" test $rc != 0
	fi
	rm -rf "$d" "$d".*
done
echo "random SIGKILLs: $rmid of $rounds landed mid-write (one add takes ${span} µs here)"
check "at least 10 random SIGKILLs landed mid-write ($rmid)" test "$rmid" -ge 10
echo "$(basename "$0"): $landed kill points (add, revoke, touch x KILL, TERM, INT) + $rounds random; $pass passed, $failn failed"
[ "$failn" -eq 0 ]
