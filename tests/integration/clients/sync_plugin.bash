# shellcheck shell=bash disable=SC2154
# Sourced after lib.sh by the client tests whose program loads mailkey's
# Cyrus SASL plugin through libsasl2 (mbsync.sh, postfix.sh). Not a test
# itself (clients.cmake registers *.sh only).
#
# $plugins: a directory holding a libmailkey-xoauth2.so that a program
# without sanitizers can load. A sanitizer build's plugin needs libasan
# loaded first, which mbsync and Postfix are not, so then a plain Release
# build of the plugin alone is made from the same tree (as
# tests/integration/postfix/relay.sh does; about 7 s).
# $nosasl: libsasl2's own plugins without mailkey's (symbolic links), the
# directory of a system where libsasl2-modules-mailkey is not installed even
# when this machine has it.
plugins=$build/sasl-helper/cyrus/plugins
# (ldd's output taken whole: `ldd | grep -q` under pipefail fails when grep
# stops reading first and ldd gets SIGPIPE)
if grep -q 'libasan\|libubsan' <<<"$(ldd "$plugins/libmailkey-xoauth2.so" 2>/dev/null)"; then
	if cmake -S "$top" -B "$work/plain" -DMK_TESTS=OFF -DMK_WERROR=OFF -DCMAKE_BUILD_TYPE=Release >"$work/plain.log" 2>&1 &&
		cmake --build "$work/plain" -j2 --target mailkey_cyrus >>"$work/plain.log" 2>&1; then
		plugins=$work/plain/sasl-helper/cyrus/plugins
	else
		tail -20 "$work/plain.log"
	fi
fi
check "a plugin without sanitizers ($plugins)" \
	sh -c "test -f '$plugins/libmailkey-xoauth2.so' && ! ldd '$plugins/libmailkey-xoauth2.so' | grep -q 'libasan\|libubsan'"
sasl_libdir=$(pkg-config --variable=libdir libsasl2 2>/dev/null || echo /usr/lib/x86_64-linux-gnu)/sasl2
nosasl=$work/sasl-without-mailkey
mkdir -p "$nosasl"
for f in "$sasl_libdir"/*.so*; do
	case $f in */libmailkey-*) ;; *) ln -sf "$f" "$nosasl/" ;; esac
done
