#!/bin/sh
# kill -9 at random moments while mk-gwtls-ensure makes (or re-issues) the
# gateway's CA and server certificate. Whatever is left on disk must be
# consistent, judged by openssl: a cert.pem always has its key.pem, and any
# ca.pem beside it signs it; a ca.pem beside a ca.key is that key's; keys are
# 0600 and whole. The next run must then complete the set. Finally four processes
# start on a fresh directory at once and must agree on one set.
set -eu
: "${MK_BUILD_DIR:?}"
tool=$MK_BUILD_DIR/tests/tools/mk-gwtls-ensure
[ -x "$tool" ] || { echo "FAIL: $tool not built"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; ls -la "$d" 2>/dev/null; exit 1; }

pub_of_key() { openssl pkey -in "$1" -pubout 2>/dev/null; }
pub_of_crt() { openssl x509 -in "$1" -noout -pubkey 2>/dev/null; }
mode_of() { stat -c %a "$1"; }

# The invariants on whatever a kill left.
check() {
	d=$1
	for k in ca.key key.pem; do
		[ -e "$d/$k" ] || continue
		[ "$(mode_of "$d/$k")" = 600 ] || fail "$k has mode $(mode_of "$d/$k")"
		pub_of_key "$d/$k" >/dev/null || fail "$k is not a whole key"
	done
	if [ -e "$d/ca.pem" ] && [ -e "$d/ca.key" ]; then
		[ "$(pub_of_key "$d/ca.key")" = "$(pub_of_crt "$d/ca.pem")" ] || fail "ca.pem does not match ca.key"
	fi
	if [ -e "$d/cert.pem" ]; then
		[ -e "$d/key.pem" ] || fail "cert.pem without key.pem"
		[ "$(pub_of_key "$d/key.pem")" = "$(pub_of_crt "$d/cert.pem")" ] || fail "cert.pem does not match key.pem"
	fi
	if [ -e "$d/cert.pem" ] && [ -e "$d/ca.pem" ]; then
		openssl verify -CAfile "$d/ca.pem" "$d/cert.pem" >/dev/null 2>&1 || fail "ca.pem does not sign cert.pem"
	fi
}

complete() {
	d=$1
	shift
	"$tool" "$d" "$@" || fail "the run after a kill failed"
	for f in ca.key ca.pem key.pem cert.pem; do [ -e "$d/$f" ] || fail "$f missing after a full run"; done
	check "$d"
	[ -z "$(find "$d" -name '*.tmp.*')" ] || fail "temp files left after a full run"
	for n in "$@"; do
		openssl x509 -in "$d/cert.pem" -noout -ext subjectAltName | grep -qi "$n" || fail "$n not in the SANs"
	done
}

# A sleep of 0..max ms (the tool takes a few ms to a few tens).
rsleep() { sleep "$(awk -v s="$(od -An -N2 -tu2 /dev/urandom)" -v m="$1" 'BEGIN{printf "%.3f", (s % (m + 1)) / 1000}')"; }

# Kill moments spread over a whole run's time (ASan builds are slower).
t0=$(date +%s%N)
"$tool" "$work/timing/gateway"
span=$((($(date +%s%N) - t0) / 1000000 + 5))

killed=0
states=""
i=0
while [ $i -lt 60 ]; do
	d=$work/k$i/gateway
	case $((i % 3)) in
	0) names="" ;;                               # first use
	1) "$tool" "$d" >/dev/null; names="mail.lan" ;; # re-issue for a new name
	2) "$tool" "$d" >/dev/null; rm -f "$d/ca.key"; names="" ;; # a new CA
	esac
	# shellcheck disable=SC2086
	"$tool" "$d" $names &
	pid=$!
	rsleep $span
	if kill -9 $pid 2>/dev/null; then killed=$((killed + 1)); fi
	wait $pid 2>/dev/null || true # its status is the kill's, not under test
	check "$d"
	# Which files the kill left: the moments must differ to prove anything.
	st=$(cd "$d" 2>/dev/null && ls -A | grep -v '\.tmp\.' | tr '\n' , || echo none)
	case " $states " in *" $st "*) ;; *) states="$states $st" ;; esac
	# shellcheck disable=SC2086
	complete "$d" $names
	i=$((i + 1))
done
[ $killed -ge 10 ] || fail "only $killed of 60 runs were killed mid-way: the test proves nothing"
nstates=$(echo $states | wc -w)
[ "$nstates" -ge 4 ] || fail "the kills left only $nstates distinct states ($states): too few moments tested"
echo "kill -9 (span $span ms): $killed of 60 runs killed mid-way, $nstates distinct states left ($states), every one consistent"

# Concurrent first use: one set, every process content with it.
j=0
while [ $j -lt 5 ]; do
	d=$work/race$j/gateway
	pids=""
	for p in 1 2 3 4; do
		"$tool" "$d" & pids="$pids $!"
	done
	for p in $pids; do wait "$p" || fail "a concurrent first use failed"; done
	complete "$d"
	j=$((j + 1))
done
echo "concurrent first use: consistent"
