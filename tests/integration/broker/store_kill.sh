#!/usr/bin/env bash
# Kill the store's writes just before each of their file system calls, by
# strace's syscall injection, so every crash point is hit, not only lucky
# ones.
# 1. The first write of a store (key creation included). After each kill:
#    the key file is absent or whole (never 0 bytes), the account's record is
#    absent or whole, the next writes succeed, and they leave no temporary
#    file of a killed write behind.
# 2. The migration of an old single-file store (three accounts) into one
#    record per account. After each kill: every account still has its token
#    (from the old file or its record), the next use finishes the migration,
#    and no temporary file is left.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
seed=$build/tests/tools/mk-store-seed
show=$build/tests/tools/mk-store-show
work=$(mktemp -d /tmp/mk-storekill.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 failn=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
command -v strace >/dev/null || { echo "FAIL - strace is needed (apt install strace)"; exit 1; }
[ -x "$seed" ] && [ -x "$show" ] || { echo "FAIL - no $seed or $show: build first"; exit 1; }

# LeakSanitizer cannot run under ptrace.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
calls="openat write fsync link rename unlink close fchmod getrandom flock mkdir"

# How often the traced command ($@) makes each call.
count_calls() {
	strace -f -qq -o "$work/trace" -e trace=%file,%desc,fsync,getrandom,flock "$@" >/dev/null 2>&1
}
# Run "$@" killed just before the k-th call c.
killed_at() {
	local c=$1 k=$2
	shift 2
	# strace ends itself with the tracee's SIGKILL: keep the shell quiet about it.
	(strace -f -qq -o /dev/null -e trace="$c" -e inject="$c:signal=KILL:when=$k" "$@" >/dev/null 2>&1) 2>/dev/null
}
temps() { find "$1" -name '*.tmp.*' 2>/dev/null | wc -l; }

# 1. The first write.
echo tok-first | count_calls "$seed" "$work/probe" a 3600
rounds=0
for c in $calls; do
	n=$(grep -c "^[0-9]* *$c(" "$work/trace")
	for k in $(seq 1 "$n"); do
		d=$work/s-$c-$k
		echo tok-first | killed_at "$c" "$k" "$seed" "$d" a 3600 2>/dev/null
		rounds=$((rounds + 1))
		ksize=$(stat -c %s "$d/store.key" 2>/dev/null || echo none)
		check "kill before $c #$k: key file absent or whole (size $ksize)" test "$ksize" = none -o "$ksize" = 32
		got=$("$show" --token "$d" a 2>"$d.show")
		check "kill before $c #$k: the record is absent or whole ($got $(cat "$d.show"))" \
			sh -c "[ '$got' = tok-first ] || grep -q 'no such account' '$d.show'"
		echo tok-second | "$seed" "$d" a 3600 2>"$d.err" && echo tok-b | "$seed" "$d" b 3600 2>>"$d.err"
		rc=$?
		check "kill before $c #$k: the next writes work ($(cat "$d.err"))" test $rc = 0
		check "kill before $c #$k: they read back" test "$("$show" --token "$d" a)" = tok-second
		left=$(temps "$d")
		check "kill before $c #$k: no temporary files left after them ($left)" test "$left" = 0
	done
done
check "the kill points of the first write were found ($rounds)" test "$rounds" -ge 20

# 2. The migration.
tpl=$work/legacy
echo tok-legacy | MK_SEED_LEGACY=1 MK_SEED_COUNT=3 "$seed" "$tpl" a 3600 ||
	{ echo "FAIL - cannot write an old store"; exit 1; }
cp -a "$tpl" "$work/probe2"
count_calls "$show" --token "$work/probe2" a
check "the probe migrated" test -e "$work/probe2/tokens.store.migrated" -a ! -e "$work/probe2/tokens.store"
mrounds=0
for c in $calls; do
	n=$(grep -c "^[0-9]* *$c(" "$work/trace")
	for k in $(seq 1 "$n"); do
		d=$work/m-$c-$k
		cp -a "$tpl" "$d"
		killed_at "$c" "$k" "$show" --token "$d" a 2>/dev/null
		mrounds=$((mrounds + 1))
		for acct in a a-1 a-2; do
			got=$("$show" --token "$d" "$acct" 2>"$d.err")
			check "migration killed before $c #$k: $acct keeps its token ($got $(cat "$d.err"))" \
				test "$got" = tok-legacy
		done
		check "migration killed before $c #$k: finished by the next use" \
			test -e "$d/tokens.store.migrated" -a ! -e "$d/tokens.store"
		for acct in a a-1 a-2; do echo "tok-new-$acct" | "$seed" "$d" "$acct" 3600 2>>"$d.err"; done
		check "migration killed before $c #$k: writes work after it" \
			test "$("$show" --token "$d" a-2)" = tok-new-a-2
		left=$(temps "$d")
		check "migration killed before $c #$k: no temporary files left ($left)" test "$left" = 0
	done
done
check "the kill points of the migration were found ($mrounds)" test "$mrounds" -ge 30
echo "$(basename "$0"): $rounds + $mrounds kill points, $pass passed, $failn failed"
[ "$failn" -eq 0 ]
