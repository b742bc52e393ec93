#!/usr/bin/env bash
# What one shell's completion offers, run for real (lib.sh): bash through
# bash-completion's bash_completion and COMP_WORDS/COMPREPLY, fish through
# `complete -C`, zsh through an interactive zsh on a pty with compinit.
# Commands, subcommands, an option of fetch, option values, files and
# directories, and account names read by the build's mailkey from a test
# configuration of two accounts: through $MAILKEY_CONFIG, --config FILE,
# --config=FILE and --config ~/FILE given earlier on the line (which wins);
# none, and nothing on standard error, when there is no configuration. Then
# the shell's own loader finds the file where it is installed.
#   shells.sh bash|zsh|fish
set -uo pipefail
sh=${1:?usage: shells.sh bash|zsh|fish}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
export PATH=$build/cli:$PATH
work=$(mktemp -d /tmp/mk-compl-$sh.XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config XDG_STATE_HOME=$work/home/.state
mkdir -p "$HOME"
unset MAILKEY_CONFIG MAILKEY_STATE_DIR XDG_DATA_DIRS
source "$here/lib.sh"
pass=0 failn=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
# The checks are queued and run by flush, one batch of lines per
# environment: one shell process (for zsh, one session on its pty) for all.
qk=() qd=() ql=() qa=()
queue() { qk+=("$1") qd+=("$2") ql+=("$3") qa+=("$4"); }
expect() { queue expect "$1" "$2" "$3"; }   # description LINE expected (sorted, space-separated)
has() { queue has "$1" "$2" "${*:3}"; }     # description LINE word...
lacks() { queue lacks "$1" "$2" "${*:3}"; } # description LINE word...
files() { queue files "$1" "$2" "$3"; }     # description LINE expected names
flush() {
	zsh_err=$work/err "${sh}_complete" "${ql[@]}" >"$work/batch" 2>>"$work/err"
	for i in "${!qk[@]}"; do "check_${qk[i]}" "${qd[i]}" "${ql[i]}" "${qa[i]}"; done
	qk=() qd=() ql=() qa=()
}
# Candidates for LINE in the batch, sorted, on one line.
cands() { offers "$work/batch" "$1" | sort -u | tr '\n' ' ' | sed 's/ $//'; }
check_expect() {
	local got
	got=$(cands "$2")
	if [ "$got" = "$3" ]; then ok "$1"; else bad "$1: '$2' offered '$got', expected '$3'"; fi
}
check_lacks() {
	local got w extra=
	got=" $(cands "$2") "
	for w in $3; do [[ $got == *" $w "* ]] && extra+=" $w"; done
	if [ -z "$extra" ]; then ok "$1"; else bad "$1: '$2' offered$extra"; fi
}
check_has() {
	local got w miss=
	got=" $(cands "$2") "
	for w in $3; do [[ $got == *" $w "* ]] || miss+=" $w"; done
	if [ -z "$miss" ]; then ok "$1"; else bad "$1: '$2' lacks$miss (offered:$got)"; fi
}
# File candidates as names: zsh adds "ca.pem" under the typed prefix, bash
# and fish the whole path; a directory may end in "/".
check_files() {
	local got
	got=$(cands "$2" | tr ' ' '\n' | sed 's|/$||; s|.*/||' | sort | tr '\n' ' ' | sed 's/ $//')
	if [ "$got" = "$3" ]; then ok "$1"; else bad "$1: '$2' offered '$got', expected '$3'"; fi
}

check_prog=$(command -v mailkey)
[ "$check_prog" = "$build/cli/mailkey" ] && ok "mailkey on PATH is the build's ($check_prog)" ||
	bad "mailkey on PATH is the build's (got $check_prog)"

# The configurations: two accounts; one other account; none.
cat >"$work/two.conf" <<'EOF'
[account gmail]
provider = google
user = you@gmail.com
client_id = 1234-abc.apps.googleusercontent.com

[account work-365]
provider = microsoft
user = you@example.org
client_id = 00000000-0000-0000-0000-000000000000
EOF
cat >"$HOME/one.conf" <<'EOF'
[account solo]
provider = google
user = solo@gmail.com
client_id = 1
EOF
mkdir -p "$work/files/sub.d" "$work/files/maildir.d"
: >"$work/files/ca.pem"
: >"$work/err"

commands=$(mailkey --help | awk '/^commands:/ { p = 1; next } p && /^  [a-z]/ { print $1 }' | sort | tr '\n' ' ')
expect "commands: every one of mailkey --help, and help" "mailkey " "$(printf '%s\n' $commands help | sort -u | tr '\n' ' ' | sed 's/ $//')"
expect "a command from its first letters" "mailkey fe" "fetch"
expect "fetch's options from --ma" "mailkey fetch --ma" "--mailbox --maildir"
has "fetch's options" "mailkey fetch -" --mailbox --pop3 --maildir --list --json --help
has "global options" "mailkey --" --system --config --state-dir --cafile --json --help --version
expect "app-password's subcommands" "mailkey app-password " "add list revoke"
expect "queue run's options" "mailkey queue run --" "--help --now"
expect "sasl --mech's values" "mailkey sasl gmail --mech " "oauthbearer xoauth2"
expect "import --format's values" "mailkey import gmail --format " "json mutt_oauth2 sasl-xoauth2"
expect "help COMMAND: the commands" "mailkey help fe" "fetch"

# No configuration: no names, nothing said.
expect "no configuration: no account names for fetch" "mailkey fetch " ""
expect "no configuration: none for send --account" "mailkey send --account " ""
expect "a missing --config file: no account names" "mailkey --config $work/nope.conf token " ""
flush
[ ! -s "$work/err" ] && ok "no configuration: nothing on standard error" ||
	bad "no configuration: nothing on standard error (got: $(head -3 "$work/err"))"

export MAILKEY_CONFIG=$work/two.conf
expect "MAILKEY_CONFIG: fetch ACCOUNT" "mailkey fetch " "gmail work-365"
expect "MAILKEY_CONFIG: names from their first letters" "mailkey token w" "work-365"
expect "MAILKEY_CONFIG: app-password revoke ACCOUNT" "mailkey app-password revoke " "gmail work-365"
expect "MAILKEY_CONFIG: queue run ACCOUNT" "mailkey queue run " "gmail work-365"
expect "MAILKEY_CONFIG: send --account" "mailkey send --account " "gmail work-365"
expect "MAILKEY_CONFIG: after an option of fetch" "mailkey fetch --pop3 " "gmail work-365"
lacks "only the first positional word is an ACCOUNT" "mailkey fetch gmail " gmail work-365
expect "--config on the line wins over MAILKEY_CONFIG" "mailkey --config $HOME/one.conf status " "solo"
expect "--config=FILE on the line" "mailkey --config=$HOME/one.conf login " "solo"
expect "--config ~/FILE on the line" "mailkey --config ~/one.conf refresh " "solo"
expect "--system and --state-dir pass through, --config still wins" \
	"mailkey --system --state-dir $work/state --config $HOME/one.conf logout " "solo"
flush
unset MAILKEY_CONFIG
expect "--config FILE without MAILKEY_CONFIG" "mailkey -v --config $work/two.conf check " "gmail work-365"
flush
[ ! -s "$work/err" ] && ok "nothing on standard error throughout" ||
	bad "nothing on standard error throughout (got: $(head -3 "$work/err"))"
[ ! -e "$work/state" ] && ok "completing made no state directory" || bad "completing made no state directory"

# Files and directories.
files "--config completes files" "mailkey --config $work/files/c" ca.pem
files "--maildir completes directories only" "mailkey fetch gmail --maildir $work/files/" "maildir.d sub.d"
files "--state-dir completes directories only" "mailkey --state-dir $work/files/" "maildir.d sub.d"
flush

# The control for "nothing on standard error": a completion file that
# writes there is caught.
mkdir -p "$work/noisy"
cp "$compl_dir"/* "$work/noisy/"
sed -i 's/^\tlocal cur prev words cword split$/&\n\techo mk-noise >\&2/' "$work/noisy/mailkey.bash"
sed -i 's/^_mailkey() {$/&\n  print -u2 mk-noise/' "$work/noisy/_mailkey"
sed -i 's/^function __mailkey_parse$/&\n    echo mk-noise >\&2/' "$work/noisy/mailkey.fish"
: >"$work/err"
compl_dir=$work/noisy zsh_err=$work/err "${sh}_complete" "mailkey fe" >/dev/null 2>>"$work/err"
grep -q mk-noise "$work/err" && ok "control: a completion that writes to standard error is caught" ||
	bad "control: a completion that writes to standard error is caught"

# The shell's own loader, from where the file is installed.
share=$work/share
case $sh in
bash)
	# bash-completion loads completions/NAME on demand from XDG_DATA_DIRS.
	mkdir -p "$share/bash-completion/completions"
	cp "$compl_dir/mailkey.bash" "$share/bash-completion/completions/mailkey"
	out=$(XDG_DATA_DIRS=$share MAILKEY_CONFIG=$work/two.conf bash --norc --noprofile -c '
		source /usr/share/bash-completion/bash_completion
		complete -p mailkey >/dev/null 2>&1 && echo "loaded too early"
		__load_completion mailkey && complete -p mailkey
		COMP_WORDS=(mailkey fetch ""); COMP_CWORD=2; COMP_LINE="mailkey fetch "; COMP_POINT=14
		_mailkey mailkey "" fetch; echo "${COMPREPLY[*]}"' 2>&1)
	;;
fish)
	# fish autoloads vendor_completions.d/NAME.fish of each XDG_DATA_DIRS entry.
	mkdir -p "$share/fish/vendor_completions.d"
	cp "$compl_dir/mailkey.fish" "$share/fish/vendor_completions.d/"
	out=$(XDG_DATA_DIRS=$share MAILKEY_CONFIG=$work/two.conf fish -c '
		complete -c mailkey | string match -q "*__mailkey*"; and echo "loaded too early"
		complete -C "mailkey fetch " | string replace -r "\t.*" "" | string join " "' 2>&1)
	;;
zsh)
	# compinit registers #compdef files found on $fpath (zcomp.zsh does
	# compinit with the directory first on $fpath).
	mkdir -p "$share/zsh/vendor-completions"
	cp "$compl_dir/_mailkey" "$share/zsh/vendor-completions/"
	out=$(compl_dir=$share/zsh/vendor-completions MAILKEY_CONFIG=$work/two.conf zsh_err=$work/err \
		zsh_complete "mailkey fetch " | sed 1d | sort | tr '\n' ' ')
	;;
esac
echo "$out" | sed 's/^/# /'
grep -q "gmail work-365" <<<"$out" && ! grep -q "too early" <<<"$out" &&
	ok "$sh's own loader finds the installed file and completes account names" ||
	bad "$sh's own loader finds the installed file and completes account names"

echo "$(basename "$0") $sh: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
