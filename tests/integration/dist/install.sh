#!/usr/bin/env bash
# Where `cmake --install` puts the Cyrus SASL plugin and the systemd files:
# a fresh build tree of the source (tests off, only the plugin built),
# installed with DESTDIR into a scratch directory for several prefixes.
#   /usr        -> libsasl2's own directory, usr/lib/x86_64-linux-gnu/sasl2
#                  on Debian (pkg-config libsasl2's libdir + /sasl2), and
#                  systemd's directories from its pkg-config file
#   /usr/local  -> usr/local/lib/sasl2 and usr/local/lib/systemd/...
#   MK_SASL_PLUGIN_DIR=/opt/sasl2 -> there
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
work=$(mktemp -d /tmp/mk-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 failn=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }

b=$work/build
sasl_dir=$(pkg-config --variable=libdir libsasl2)/sasl2
unit_dir=$(pkg-config --variable=systemdsystemunitdir systemd)
user_dir=$(pkg-config --variable=systemduserunitdir systemd)
echo "# libsasl2 looks in $sasl_dir; systemd units: $unit_dir, $user_dir"
install_to() { # dest cmake-args...
	local dest=$1
	shift
	cmake -S "$top" -B "$b" -DMK_TESTS=OFF -DMK_WERROR=OFF -DCMAKE_BUILD_TYPE=Release "$@" >"$work/configure.log" 2>&1 &&
		cmake --build "$b" -j2 --target mailkey_cyrus >"$work/build.log" 2>&1 &&
		DESTDIR=$dest cmake --install "$b" --component sasl-plugin >"$work/install.log" 2>&1 &&
		DESTDIR=$dest cmake --install "$b" --component systemd >>"$work/install.log" 2>&1
}
if ! install_to "$work/usr" -DCMAKE_INSTALL_PREFIX=/usr; then
	tail -20 "$work/configure.log" "$work/build.log" "$work/install.log"
	bad "configure, build and install with prefix /usr"
fi
check "prefix /usr: the plugin is in libsasl2's directory ($sasl_dir)" test -f "$work/usr$sasl_dir/libmailkey-xoauth2.so"
check "prefix /usr: that is usr/lib/x86_64-linux-gnu/sasl2 on this Debian" \
	test -f "$work/usr/usr/lib/x86_64-linux-gnu/sasl2/libmailkey-xoauth2.so"
check "prefix /usr: nothing under usr/local" test ! -e "$work/usr/usr/local"
check "prefix /usr: the system unit is in $unit_dir" test -f "$work/usr$unit_dir/mailkey.service"
check "prefix /usr: the user unit is in $user_dir" test -f "$work/usr$user_dir/mailkey.service"
check "prefix /usr: the system unit runs /usr/bin/mailkey" \
	grep -q '^ExecStart=/usr/bin/mailkey daemon --system$' "$work/usr$unit_dir/mailkey.service"
check "prefix /usr: sysusers.d and tmpfiles.d snippets" \
	test -f "$work/usr$(pkg-config --variable=sysusersdir systemd)/mailkey.conf" -a \
	-f "$work/usr$(pkg-config --variable=tmpfilesdir systemd)/mailkey.conf"
# The plugin libsasl2 would load: it exports its entry point only.
syms=$(nm -D --defined-only "$work/usr$sasl_dir/libmailkey-xoauth2.so" 2>/dev/null | awk '$2 == "T" { print $3 }')
check "the installed plugin exports sasl_client_plug_init only (got: $(echo $syms))" test "$syms" = sasl_client_plug_init

# The same build tree, another prefix: the directories follow it.
install_to "$work/local" -DCMAKE_INSTALL_PREFIX=/usr/local || bad "install with prefix /usr/local"
check "prefix /usr/local: usr/local/lib/sasl2 (libsasl2 reads it only through SASL_PATH)" \
	test -f "$work/local/usr/local/lib/sasl2/libmailkey-xoauth2.so"
check "prefix /usr/local: configure says where libsasl2 looks instead" grep -q "does not look" "$work/configure.log"
check "prefix /usr/local: units in usr/local/lib/systemd" \
	test -f "$work/local/usr/local/lib/systemd/system/mailkey.service" -a -f "$work/local/usr/local/lib/systemd/user/mailkey.service"
install_to "$work/opt" -DCMAKE_INSTALL_PREFIX=/usr -DMK_SASL_PLUGIN_DIR=/opt/sasl2 || bad "install with MK_SASL_PLUGIN_DIR"
check "MK_SASL_PLUGIN_DIR=/opt/sasl2 puts it there" test -f "$work/opt/opt/sasl2/libmailkey-xoauth2.so"

echo "$(basename "$0"): $pass passed, $failn failed"
[ "$failn" -eq 0 ]
