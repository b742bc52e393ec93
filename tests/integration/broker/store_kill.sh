#!/usr/bin/env bash
# Kill the first write of a store (key creation included) just before each of
# its file system calls, by strace's syscall injection, so every crash point
# is hit, not only lucky ones. After each kill: the key file is absent or
# whole (never 0 bytes), the next write succeeds and reads what was there,
# and it leaves no temporary file of a killed write behind.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
seed=$build/tests/tools/mk-store-seed
work=$(mktemp -d /tmp/mk-storekill.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 failn=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
command -v strace >/dev/null || { echo "FAIL - strace is needed (apt install strace)"; exit 1; }
[ -x "$seed" ] || { echo "FAIL - no $seed: build first"; exit 1; }

# Which calls the first write makes, and how often.
# LeakSanitizer cannot run under ptrace.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
echo tok-first | strace -f -qq -o "$work/trace" -e trace=%file,%desc,fsync,getrandom,flock "$seed" "$work/probe" a 3600
calls="openat write fsync link rename unlink close fchmod getrandom flock mkdir"
rounds=0
for c in $calls; do
	n=$(grep -c "^[0-9]* *$c(" "$work/trace")
	for k in $(seq 1 "$n"); do
		d=$work/s-$c-$k
		# strace ends itself with the tracee's SIGKILL: keep the shell quiet about it.
		(echo tok-first | strace -f -qq -o /dev/null -e trace="$c" -e inject="$c:signal=KILL:when=$k" \
			"$seed" "$d" a 3600 >/dev/null 2>&1) 2>/dev/null
		rounds=$((rounds + 1))
		ksize=$(stat -c %s "$d/store.key" 2>/dev/null || echo none)
		check "kill before $c #$k: key file absent or whole (size $ksize)" test "$ksize" = none -o "$ksize" = 32
		echo tok-second | "$seed" "$d" b 3600 2>"$d.err"
		rc=$?
		check "kill before $c #$k: the next write works ($(cat "$d.err"))" test $rc = 0
		left=$(find "$d" -name '*.tmp.*' 2>/dev/null | wc -l)
		check "kill before $c #$k: no temporary files left after it ($left)" test "$left" = 0
	done
done
check "the kill points were found ($rounds)" test "$rounds" -ge 20
echo "$(basename "$0"): $rounds kill points, $pass passed, $failn failed"
[ "$failn" -eq 0 ]
