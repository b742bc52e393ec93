#!/usr/bin/env bash
# The systemd files of dist/systemd, as configured into the build: both units
# pass `systemd-analyze verify` (system and --user) with nothing said about
# them, the system unit's offline security exposure stays low, both stop
# restarting on the exits a restart cannot fix (64, 66, 78: the built daemon
# is run into each), the unit's directory modes are tmpfiles.d's, and the
# sysusers.d and tmpfiles.d snippets make the mailkey user and its
# directories in a scratch root, and the built daemon speaks sd_notify as
# Type=notify needs. systemd-analyze verify exits 0 even for
# unknown keys, so any line naming our files is a failure; a broken copy
# proves that check can fail.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
work=$(mktemp -d /tmp/mk-units.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 failn=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }

# verify runs ExecStart's binary check and man: lookups: point ExecStart at
# the built mailkey and MANPATH at the source's pages.
mkdir -p "$work/system" "$work/user" "$work/man/man1" "$work/man/man8" "$work/xdg"
cp "$top/docs/mailkey.1" "$work/man/man1/"
cp "$top/docs/mailkey-daemon.8" "$work/man/man8/"
export MANPATH=$work/man XDG_RUNTIME_DIR=$work/xdg
for kind in system user; do
	src=$build/dist/systemd/$kind/mailkey.service
	check "the $kind unit is configured into the build" test -s "$src"
	sed "s|^ExecStart=[^ ]*/mailkey |ExecStart=$build/cli/mailkey |" "$src" >"$work/$kind/mailkey.service"
	check "the $kind unit's ExecStart names the built mailkey" \
		grep -q "^ExecStart=$build/cli/mailkey daemon" "$work/$kind/mailkey.service"
done
check "the system unit runs the daemon in system mode" grep -q '^ExecStart=.* daemon --system$' "$work/system/mailkey.service"
check "the system unit is Type=notify" grep -q '^Type=notify$' "$work/system/mailkey.service"
check "the system unit runs as the mailkey user" grep -q '^User=mailkey$' "$work/system/mailkey.service"

# Restarts: exits that only the admin can fix stop the service (64 usage,
# 66 no config file, 78 config error) instead of a restart every 5 s.
for kind in system user; do
	check "the $kind unit: RestartPreventExitStatus=64 66 78" \
		grep -qx 'RestartPreventExitStatus=64 66 78' "$work/$kind/mailkey.service"
done
# The directories: the unit's modes are tmpfiles.d's (a different
# ConfigurationDirectoryMode= makes systemd warn at every start), and
# StateDirectory= alone makes /var/lib/mailkey writable (no ReadWritePaths=).
tmpfiles=$top/dist/systemd/tmpfiles.d/mailkey.conf
unit_key() { sed -n "s/^$1=//p" "$work/system/mailkey.service"; }
tmp_mode() { awk -v p="$1" '$1 == "d" && $2 == p { print $3 }' "$tmpfiles"; }
check "ConfigurationDirectory=mailkey, ConfigurationDirectoryMode=0750" \
	test "$(unit_key ConfigurationDirectory) $(unit_key ConfigurationDirectoryMode)" = "mailkey 0750"
check "tmpfiles.d makes /etc/mailkey with the unit's mode ($(tmp_mode /etc/mailkey))" \
	test "$(tmp_mode /etc/mailkey)" = "$(unit_key ConfigurationDirectoryMode)"
check "tmpfiles.d makes /var/lib/mailkey with StateDirectoryMode= ($(tmp_mode /var/lib/mailkey))" \
	test "$(tmp_mode /var/lib/mailkey)" = "$(unit_key StateDirectoryMode)" -a "$(unit_key StateDirectory)" = mailkey
check "the system unit has no ReadWritePaths= (StateDirectory= is writable under ProtectSystem=strict)" \
	sh -c "! grep -q '^ReadWritePaths=' '$work/system/mailkey.service' && grep -qx 'ProtectSystem=strict' '$work/system/mailkey.service'"
# The built daemon really exits with those codes, and each is in the list.
prevent=" $(unit_key RestartPreventExitStatus) "
daemon_rc() { # want label args...
	local want=$1 label=$2 rc
	shift 2
	timeout 10 "$build/cli/mailkey" --state-dir "$work/rc-state" "$@" >"$work/rc.out" 2>&1 </dev/null
	rc=$?
	check "the daemon exits $want for $label (got $rc: $(head -c 200 "$work/rc.out"))" test "$rc" = "$want"
	check "exit $want is in RestartPreventExitStatus" test "${prevent#* $want }" != "$prevent"
}
printf '[account gmail]\nprovider = google\nuser = you@gmail.com\nclient_id = x\nbogus_key = 1\n' >"$work/bad.conf"
: >"$work/empty0.conf"
daemon_rc 66 "a missing config file" --config "$work/none.conf" daemon --socket "$work/rc/socket"
daemon_rc 78 "an unknown key in the config" --config "$work/bad.conf" daemon --socket "$work/rc/socket"
daemon_rc 64 "an unknown option" --config "$work/none.conf" daemon --bogus
daemon_rc 64 "an unknown --allow-group" --config "$work/empty0.conf" daemon --socket "$work/rc/socket" \
	--allow-group no-such-group-mk

verify() { # label file [--user]
	local out rc
	out=$(systemd-analyze ${3:+"$3"} verify "$2" 2>&1)
	rc=$?
	[ -z "$out" ] || echo "$out" | sed 's/^/# /'
	[ $rc = 0 ] && ! grep -qF -- "$(basename "$2")" <<<"$out"
}
check "systemd-analyze verify: the system unit" verify system "$work/system/mailkey.service"
check "systemd-analyze --user verify: the user unit" verify user "$work/user/mailkey.service" --user
# The control: an unknown key and a bad Type= must be caught.
sed -e 's/^Type=notify$/Type=notifyy/' -e 's/^\[Service\]$/[Service]\nBogusKey=1/' \
	"$work/system/mailkey.service" >"$work/system/broken.service"
refused() { ! verify "$@"; }
check "the verify check refuses a broken unit" refused system "$work/system/broken.service"
out=$(systemd-analyze verify "$work/system/broken.service" 2>&1)
check "systemd-analyze names the broken unit's errors" grep -q "broken.service:.*BogusKey" <<<"$out"

# Offline security score (systemd 252: lower is safer; "OK" is below 4).
score=$(systemd-analyze security --offline=yes "$work/system/mailkey.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for mailkey.service: \([0-9.]*\).*/\1/p')
echo "# system unit exposure: ${score:-unknown}"
check "the system unit's exposure is at most 2.0 (got ${score:-none})" \
	awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'

# Type=notify holds only if the daemon really speaks sd_notify: READY=1 once
# it listens, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on SIGTERM.
cat >"$work/notify.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
print("bound", flush=True)
try:
    while True:
        print(s.recv(4096).decode().replace("\n", " ").strip(), flush=True)
except socket.timeout:
    pass
PY
python3 "$work/notify.py" "$work/notify.sock" >"$work/notify.out" 2>&1 &
npid=$!
wait_line() { # file text: poll (bounded, 10 s)
	local _
	for _ in $(seq 1 100); do grep -qx -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
wait_line "$work/notify.out" bound
: >"$work/empty.conf"
NOTIFY_SOCKET=$work/notify.sock "$build/cli/mailkey" --config "$work/empty.conf" --state-dir "$work/state" \
	daemon --socket "$work/run/socket" 2>"$work/daemon.log" &
dpid=$!
check "the daemon says READY=1 on NOTIFY_SOCKET" wait_line "$work/notify.out" READY=1
kill -HUP $dpid
check "SIGHUP: RELOADING=1" wait_line "$work/notify.out" RELOADING=1
check "then READY=1 again" sh -c "for i in \$(seq 1 100); do [ \$(grep -cx READY=1 '$work/notify.out') -ge 2 ] && exit 0; sleep 0.1; done; exit 1"
kill -TERM $dpid
wait $dpid
drc=$?
check "SIGTERM: STOPPING=1" wait_line "$work/notify.out" STOPPING=1
check "and exit 0 (got $drc)" test $drc = 0
kill $npid 2>/dev/null

# sysusers.d and tmpfiles.d in a scratch root.
root=$work/root
mkdir -p "$root/etc"
: >"$root/etc/passwd"
: >"$root/etc/group"
systemd-sysusers --root="$root" "$top/dist/systemd/sysusers.d/mailkey.conf" 2>/dev/null
check "systemd-sysusers makes the mailkey user" grep -q '^mailkey:x:[0-9]*:[0-9]*:.*:/var/lib/mailkey:' "$root/etc/passwd"
uid=$(awk -F: '$1 == "mailkey" { print $3 }' "$root/etc/passwd")
gid=$(awk -F: '$1 == "mailkey" { print $3 }' "$root/etc/group")
systemd-tmpfiles --root="$root" --create "$top/dist/systemd/tmpfiles.d/mailkey.conf" 2>/dev/null
check "systemd-tmpfiles makes /var/lib/mailkey 0700 mailkey:mailkey" \
	test "$(stat -c '%a %u %g' "$root/var/lib/mailkey" 2>/dev/null)" = "700 $uid $gid"
check "systemd-tmpfiles makes /etc/mailkey 0750 root:mailkey" \
	test "$(stat -c '%a %u %g' "$root/etc/mailkey" 2>/dev/null)" = "750 0 $gid"

echo "$(basename "$0"): $pass passed, $failn failed"
[ "$failn" -eq 0 ]
