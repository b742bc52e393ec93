#!/usr/bin/env bash
# Where `cmake --install` puts the Cyrus SASL plugin, the systemd files, the
# shell completions, the man pages and the guides: a fresh build tree of the source
# (tests off, only the plugin built; the completions, man and docs components
# need no program), installed by component with DESTDIR into a scratch directory
# for several prefixes.
#   /usr        -> libsasl2's own directory, usr/lib/x86_64-linux-gnu/sasl2
#                  on Debian (pkg-config libsasl2's libdir + /sasl2),
#                  systemd's and bash-completion's and fish's directories
#                  from their pkg-config files, zsh's vendor-completions,
#                  usr/share/man, usr/share/doc/mailkey (the guides, the
#                  client recipes in clients/, examples/config, which the
#                  test's mailkey accepts with a scratch secret file)
#   /usr/local  -> usr/local/lib/sasl2, usr/local/lib/systemd/...,
#                  usr/local/share/{bash-completion/completions,
#                  zsh/site-functions,fish/vendor_completions.d,man}
#   MK_SASL_PLUGIN_DIR=/opt/sasl2, MK_*_COMPLETION_DIR -> there
# Then `mailkey --version` and `mailkey-core --version` of the test's build
# print "mailkey X.Y.Z", X.Y.Z being project()'s VERSION, and what mailkey
# does when mailkey-core is missing.
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
		DESTDIR=$dest cmake --install "$b" --component systemd >>"$work/install.log" 2>&1 &&
		DESTDIR=$dest cmake --install "$b" --component completions >>"$work/install.log" 2>&1 &&
		DESTDIR=$dest cmake --install "$b" --component man >>"$work/install.log" 2>&1 &&
		DESTDIR=$dest cmake --install "$b" --component docs >>"$work/install.log" 2>&1
}
if ! install_to "$work/usr" -DCMAKE_INSTALL_PREFIX=/usr; then
	tail -20 "$work/configure.log" "$work/build.log" "$work/install.log"
	bad "configure, build and install with prefix /usr"
fi
check "prefix /usr: the plugin is in libsasl2's directory ($sasl_dir)" test -f "$work/usr$sasl_dir/libmailkey-xoauth2.so"
check "prefix /usr: that is usr/lib/x86_64-linux-gnu/sasl2 on this Debian" \
	test -f "$work/usr/usr/lib/x86_64-linux-gnu/sasl2/libmailkey-xoauth2.so"
check "prefix /usr: nothing under usr/local" test ! -e "$work/usr/usr/local"
bash_dir=$(pkg-config --variable=completionsdir bash-completion)
fish_dir=$(pkg-config --variable=completionsdir fish)
echo "# bash-completion loads from $bash_dir, fish from $fish_dir"
same() { cmp -s "$1" "$2"; }
check "prefix /usr: bash completion at $bash_dir/mailkey" same "$work/usr$bash_dir/mailkey" "$top/dist/completions/mailkey.bash"
check "prefix /usr: that is usr/share/bash-completion/completions/mailkey" \
	test -f "$work/usr/usr/share/bash-completion/completions/mailkey"
check "prefix /usr: zsh completion at usr/share/zsh/vendor-completions/_mailkey" \
	same "$work/usr/usr/share/zsh/vendor-completions/_mailkey" "$top/dist/completions/_mailkey"
check "prefix /usr: Debian's zsh has that directory on \$fpath" \
	zsh -fc '(( ${fpath[(I)/usr/share/zsh/vendor-completions]} ))'
check "prefix /usr: fish completion at $fish_dir/mailkey.fish" same "$work/usr$fish_dir/mailkey.fish" "$top/dist/completions/mailkey.fish"
check "prefix /usr: that is usr/share/fish/vendor_completions.d/mailkey.fish" \
	test -f "$work/usr/usr/share/fish/vendor_completions.d/mailkey.fish"
for page in man1/mailkey.1 man8/mailkey-daemon.8 man8/mailkey-gateway.8; do
	check "prefix /usr: usr/share/man/$page" same "$work/usr/usr/share/man/$page" "$top/docs/${page#*/}"
done
check "prefix /usr: man finds and renders the installed mailkey(1)" \
	sh -c "LC_ALL=C MANPATH='$work/usr/usr/share/man' MANWIDTH=80 man mailkey 2>/dev/null | grep -q 'accounts \[--json | --names\]'"
check "the components install no program (usr/bin, usr/libexec)" test ! -e "$work/usr/usr/bin" -a ! -e "$work/usr/usr/libexec"
# bash-completion's on-demand loader finds the installed file (XDG_DATA_DIRS).
check "prefix /usr: bash-completion loads mailkey's completion from the installed tree" \
	bash --norc --noprofile -c "source /usr/share/bash-completion/bash_completion; XDG_DATA_DIRS='$work/usr/usr/share'
		__load_completion mailkey && complete -p mailkey | grep -q -- '-F _mailkey mailkey\$'"
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

# The guides (component docs), the same set as the Debian package's: what the
# man pages, the units and the programs' messages name by path, the client
# recipes, and the sample config.
doc=$work/usr/usr/share/doc/mailkey
for f in README.md docs/providers.md docs/config.md docs/protocol.md docs/postfix.md docs/gateway.md \
	docs/clients.md docs/benchmarks.md; do
	check "prefix /usr: usr/share/doc/mailkey/${f#docs/}" same "$doc/${f#docs/}" "$top/$f"
done
nrecipes=0
for r in "$top"/docs/clients/*.md; do
	[ -e "$r" ] || continue
	nrecipes=$((nrecipes + 1))
	check "prefix /usr: the recipe usr/share/doc/mailkey/clients/$(basename "$r")" same "$doc/clients/$(basename "$r")" "$r"
done
check "prefix /usr: as many recipes installed as docs/clients has ($nrecipes)" \
	test "$(find "$doc/clients" -name '*.md' 2>/dev/null | wc -l)" = "$nrecipes" -a "$nrecipes" -gt 0
check "prefix /usr: usr/share/doc/mailkey/examples/config" same "$doc/examples/config" "$top/dist/examples/config"
# Every /usr/share/doc/mailkey/... path that an installed man page, unit or
# guide names is installed.
# (NAME.md: the README's placeholder.)
named=$(grep -rhoE '/usr/share/doc/mailkey(/[A-Za-z0-9._-]+)+' "$work/usr" 2>/dev/null | sed 's/\.$//' |
	grep -vx '/usr/share/doc/mailkey/NAME.md' | sort -u)
missing=
for pth in $named; do [ -e "$work/usr$pth" ] || missing="$missing $pth"; done
check "prefix /usr: every /usr/share/doc/mailkey path the installed files name exists ($(echo $named | wc -w) named;${missing:- none} missing)" \
	test -n "$named" -a -z "$missing"
# Links between the guides are relative, so they work installed and in docs/.
# (clients.md's rows link recipes that are still being written: not here.)
links_ok() { # dir
	local f l bad=
	for f in "$1"/*.md; do
		case $(basename "$f") in clients.md | README.md) continue ;; esac
		for l in $(grep -oE '\]\([A-Za-z0-9._/-]+\.md(#[A-Za-z0-9_-]*)?\)' "$f" | sed -E 's/^\]\(//; s/\)$//; s/#.*//'); do
			[ -e "$(dirname "$f")/$l" ] || bad="$bad $(basename "$f")->$l"
		done
	done
	[ -z "$bad" ] || echo "# broken links in $1:$bad"
	[ -z "$bad" ]
}
check "prefix /usr: the guides' relative links resolve in usr/share/doc/mailkey" links_ok "$doc"
check "the guides' relative links resolve in docs/" links_ok "$top/docs"
srcpaths=$(grep -nE '(^|[^./A-Za-z])docs/[a-z-]+\.(md|[18])' "$doc"/{config,providers,protocol,postfix,gateway}.md \
	"$work/usr/usr/share/man/man1/mailkey.1" "$work/usr/usr/share/man/man8/"*.8 2>/dev/null)
check "prefix /usr: the installed guides and man pages name no source path docs/NAME (${srcpaths:-none})" test -z "$srcpaths"
# The sample config is one that `mailkey config check` accepts once its
# secret file exists (the test's build; a scratch secret in place of
# ~/.config/mailkey/gmail-secret), and refuses while it does not.
mk=${MK_BUILD_DIR:-$top/build}/cli/mailkey
if [ -x "$mk" ]; then
	printf 'not-a-real-secret\n' >"$work/gmail-secret"
	chmod 600 "$work/gmail-secret"
	sed "s|^client_secret_file = .*|client_secret_file = $work/gmail-secret|" "$doc/examples/config" >"$work/sample.conf"
	config_check() { # want-rc want-text config
		local out rc
		out=$(HOME=$work "$mk" --config "$3" config check 2>&1)
		rc=$?
		echo "# mailkey config check: exit $rc: $out"
		[ "$rc" = "$1" ] && grep -qF -- "$2" <<<"$out"
	}
	check "examples/config passes mailkey config check with a secret file" \
		config_check 0 "OK, 2 accounts" "$work/sample.conf"
	check "examples/config without its secret file: exit 78 naming client_secret_file" \
		config_check 78 "client_secret_file: cannot open $work/.config/mailkey/gmail-secret" "$doc/examples/config"
	check "examples/config has a google and a microsoft account" \
		sh -c "grep -qx 'provider = google' '$doc/examples/config' && grep -qx 'provider = microsoft' '$doc/examples/config'"
else
	bad "the test's build has cli/mailkey to check examples/config ($mk)"
fi

# The same build tree, another prefix: the directories follow it.
install_to "$work/local" -DCMAKE_INSTALL_PREFIX=/usr/local || bad "install with prefix /usr/local"
check "prefix /usr/local: usr/local/lib/sasl2 (libsasl2 reads it only through SASL_PATH)" \
	test -f "$work/local/usr/local/lib/sasl2/libmailkey-xoauth2.so"
check "prefix /usr/local: configure says where libsasl2 looks instead" grep -q "does not look" "$work/configure.log"
check "prefix /usr/local: units in usr/local/lib/systemd" \
	test -f "$work/local/usr/local/lib/systemd/system/mailkey.service" -a -f "$work/local/usr/local/lib/systemd/user/mailkey.service"
check "prefix /usr/local: bash completion in usr/local/share/bash-completion/completions" \
	test -f "$work/local/usr/local/share/bash-completion/completions/mailkey"
check "prefix /usr/local: zsh completion in usr/local/share/zsh/site-functions (on Debian zsh's \$fpath)" \
	test -f "$work/local/usr/local/share/zsh/site-functions/_mailkey"
check "prefix /usr/local: fish completion in usr/local/share/fish/vendor_completions.d" \
	test -f "$work/local/usr/local/share/fish/vendor_completions.d/mailkey.fish"
check "prefix /usr/local: man pages in usr/local/share/man" \
	test -f "$work/local/usr/local/share/man/man1/mailkey.1" -a -f "$work/local/usr/local/share/man/man8/mailkey-gateway.8"
check "prefix /usr/local: the guides in usr/local/share/doc/mailkey" \
	test -f "$work/local/usr/local/share/doc/mailkey/postfix.md" -a -f "$work/local/usr/local/share/doc/mailkey/examples/config"
check "prefix /usr/local: nothing under usr/share" test ! -e "$work/local/usr/share"
install_to "$work/opt" -DCMAKE_INSTALL_PREFIX=/usr -DMK_SASL_PLUGIN_DIR=/opt/sasl2 \
	-DMK_BASH_COMPLETION_DIR=/opt/bash -DMK_ZSH_COMPLETION_DIR=/opt/zsh -DMK_FISH_COMPLETION_DIR=/opt/fish ||
	bad "install with MK_SASL_PLUGIN_DIR and MK_*_COMPLETION_DIR"
check "MK_SASL_PLUGIN_DIR=/opt/sasl2 puts it there" test -f "$work/opt/opt/sasl2/libmailkey-xoauth2.so"
check "MK_{BASH,ZSH,FISH}_COMPLETION_DIR put them there" \
	test -f "$work/opt/opt/bash/mailkey" -a -f "$work/opt/opt/zsh/_mailkey" -a -f "$work/opt/opt/fish/mailkey.fish"

# --version, from the test's build (MK_BUILD_DIR).
build=${MK_BUILD_DIR:-$top/build}
version=$(sed -n 's/^project(mailkey VERSION \([0-9][0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
echo "# project() VERSION: ${version:-none}"
check "CMakeLists.txt's project() has a VERSION X.Y.Z" grep -qxE '[0-9]+\.[0-9]+\.[0-9]+' <<<"$version"
for prog in mailkey mailkey-core; do
	out=$("$build/cli/$prog" --version 2>"$work/version.err")
	rc=$?
	check "$prog --version prints 'mailkey $version' (got '$out'), exits 0 (got $rc), nothing else" \
		test "$out" = "mailkey $version" -a $rc = 0 -a ! -s "$work/version.err"
done
check "the man page's header names the same version" grep -q "^\.TH MAILKEY 1 .*\"mailkey $version\"" "$top/docs/mailkey.1"
# mailkey alone (no mailkey-core beside it): the core compiled-in
# (LIBEXECDIR/mailkey, the build's prefix) answers if installed there; if
# not, exit 69 with a message that names mailkey-core and where it looked.
mkdir -p "$work/alone"
cp "$build/cli/mailkey" "$work/alone/"
libexec=$(strings "$work/alone/mailkey" | sed -n 's|^\(/.*/libexec/mailkey\)$|\1|p' | head -1)
echo "# mailkey looks for mailkey-core next to itself, then in ${libexec:-?}"
out=$(env -u MAILKEY_CORE "$work/alone/mailkey" --version 2>&1)
rc=$?
if [ -n "$libexec" ] && [ -x "$libexec/mailkey-core" ]; then
	check "without mailkey-core beside it, the installed $libexec/mailkey-core answers (got '$out', $rc)" \
		sh -c "[ $rc = 0 ] && echo '$out' | grep -qx 'mailkey [0-9.]*'"
else
	check "without mailkey-core: exit 69 (got $rc)" test $rc = 69
	check "without mailkey-core: the message names it and where it looked (got: $out)" \
		grep -q "cannot find mailkey-core next to this program or in $libexec" <<<"$out"
fi

echo "$(basename "$0"): $pass passed, $failn failed"
[ "$failn" -eq 0 ]
