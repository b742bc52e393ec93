# Shared by the fault catalogues: a work dir, a CA and a localhost
# certificate for the fakes' TLS, a mailkey store holding a (fake) token,
# and the check/summary helpers. Source it; then use $w, $MK, check, finish.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
MK=$build/cli/mailkey
w=$(mktemp -d /tmp/mk-faults.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$w"' EXIT
pass=0 failn=0
check() { local d=$1; shift; if "$@"; then echo "ok   - $d"; pass=$((pass + 1)); else echo "FAIL - $d"; failn=$((failn + 1)); fi; }
finish() { echo "$1: $pass passed, $failn failed"; [ "$failn" -eq 0 ]; }

(cd "$w" && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=fault CA" -keyout ca.key -out ca.pem \
	-addext basicConstraints=critical,CA:TRUE 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout srv.key -out srv.csr 2>/dev/null &&
	printf 'subjectAltName=DNS:localhost\n' >ext && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
	-CAcreateserial -days 1 -extfile ext -out srv.pem 2>/dev/null) || { echo "0 passed, 1 failed"; exit 1; }
export MAILKEY_CONFIG=$w/config MAILKEY_STATE_DIR=$w/state
printf 'fake-token-for-faults\n' | "$build/tests/tools/mk-store-seed" "$w/state" fake 3600

# start_fake SCRIPT MODE: a fake server in the background; sets $port.
start_fake() {
	rm -f "$w/port" "$w/port.rec"
	python3 "$1" "$2" "$w/port" "$w/srv.pem" "$w/srv.key" &
	for _ in $(seq 1 50); do [ -s "$w/port" ] && break; sleep 0.1; done
	port=$(cat "$w/port")
}
