#!/usr/bin/env bash
# The completions follow the program: every command of `mailkey --help`, the
# global options of its usage line (and --help, --version), every subcommand
# and option of `mailkey CMD --help` (and `mailkey CMD SUB --help`) is offered
# by the real completion of bash, zsh and fish at its place on the line; and
# every option they offer for a command is one its help names (no stale
# ones). A copy of the files with one option and one command taken out must
# fail the same check. No servers; the build's mailkey answers --help.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
export PATH=$build/cli:$PATH
work=$(mktemp -d /tmp/mk-compl-drift.XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config
mkdir -p "$HOME"
unset MAILKEY_CONFIG MAILKEY_STATE_DIR
source "$here/lib.sh"
pass=0 failn=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }

# Options named in a help text: a "-x" or "--word" at the start of a word
# (after a blank, "[", "|", "(" or ","), outside `quoted commands` (the
# other commands a help refers to, as `mailkey send --queue`).
options_of() {
	sed 's/`[^`]*`//g' | grep -oE -- '(^|[][ |(,])--?[A-Za-z][A-Za-z0-9-]*' | sed -E 's/^[][ |(,]//' | sort -u
}
# What the help texts name that is not an option to offer:
#   send: sendmail's options accepted and ignored (-oX -OX -B -N -R -V -h -L -n
#         -U -m -G) or refused (-bs -bd -bp -bi -q); -h is sendmail's, --help
#         is offered
#   import: gpg's -d in an example command line
#   daemon: "--system ... (unless --config, --state-dir, --socket)": the global
#         options, offered before the command
skip_opt() { # cmd opt
	case "$1 $2" in
	"daemon --config" | "daemon --state-dir") return 0 ;;
	"send -oX" | "send -OX" | "send -B" | "send -N" | "send -R" | "send -V" | "send -h" | "send -L" | \
		"send -n" | "send -U" | "send -m" | "send -G" | "send -bs" | "send -bd" | "send -bp" | "send -bi" | \
		"send -q" | "import -d") return 0 ;;
	esac
	return 1
}

mkhelp=$(mailkey --help) || { echo "FAIL - mailkey --help"; exit 1; }
commands=$(awk '/^commands:/ { p = 1; next } p && /^  [a-z]/ { print $1 }' <<<"$mkhelp")
globals=$( (sed -n '1p' <<<"$mkhelp" | sed 's/COMMAND.*//' | options_of; printf '%s\n' --help --version) | sort -u)
[ "$(wc -w <<<"$commands")" -ge 18 ] && ok "mailkey --help lists $(wc -w <<<"$commands") commands" ||
	bad "mailkey --help lists the commands (got: $(echo $commands))"
grep -qx -- --cafile <<<"$globals" && ok "the usage line gives the global options: $(echo $globals)" ||
	bad "the usage line gives the global options (got: $(echo $globals))"

# Per command: its options, its subcommands (`mailkey CMD WORD` in its help),
# their options.
declare -A copts subs sopts sown
queries=("mailkey " "mailkey -")
for c in $commands; do
	h=$(mailkey "$c" --help 2>&1)
	copts[$c]=$(options_of <<<"$h")
	subs[$c]=$(grep -oE "mailkey $c [a-z][a-z-]*" <<<"$h" | awk '{ print $3 }' | sort -u | tr '\n' ' ')
	queries+=("mailkey $c -")
	[ -n "${subs[$c]}" ] && queries+=("mailkey $c ")
	for s in ${subs[$c]}; do
		sh=$(mailkey "$c" "$s" --help 2>&1)
		sopts[$c $s]=$(options_of <<<"$sh")
		# Its own help (app-password add), or the command's (queue run)?
		[ "$(head -1 <<<"$sh")" != "$(head -1 <<<"$h")" ] && sown[$c $s]=1
		queries+=("mailkey $c $s -")
	done
done
echo "# subcommands: $(for c in $commands; do [ -n "${subs[$c]}" ] && printf '%s(%s) ' "$c" "${subs[$c]% }"; done)"
for need in "app-password add" "app-password list" "app-password revoke" "config check" "queue run" "gateway ca"; do
	grep -qw -- "${need#* }" <<<"${subs[${need%% *}]}" && ok "found subcommand $need in the help" ||
		bad "found subcommand $need in the help"
done

# The check itself: $1 = directory of the three files; failures named on
# stdout, the count of failures as its status (capped).
drift_check() { # dir label
	local dir=$1 sh out c s o n=0 all
	for sh in bash zsh fish; do
		out=$work/$2.$sh
		compl_dir=$dir "${sh}_complete" "${queries[@]}" >"$out" 2>"$out.err"
		[ -s "$out.err" ] && { echo "$sh wrote to stderr: $(head -3 "$out.err")"; n=$((n + 1)); }
		for c in $commands; do
			grep -qx -- "$c" <<<"$(offers "$out" "mailkey ")" || { echo "$sh: command $c not offered"; n=$((n + 1)); }
		done
		for o in $globals; do
			grep -qx -- "$o" <<<"$(offers "$out" "mailkey -")" || { echo "$sh: global option $o not offered"; n=$((n + 1)); }
		done
		for c in $commands; do
			# Everything offered for the command and its subcommands.
			all=$(offers "$out" "mailkey $c -"; for s in ${subs[$c]}; do offers "$out" "mailkey $c $s -"; done)
			for o in ${copts[$c]}; do
				skip_opt "$c" "$o" && continue
				grep -qx -- "$o" <<<"$all" || { echo "$sh: $c $o not offered"; n=$((n + 1)); }
			done
			for s in ${subs[$c]}; do
				grep -qx -- "$s" <<<"$(offers "$out" "mailkey $c ")" || { echo "$sh: subcommand $c $s not offered"; n=$((n + 1)); }
				for o in ${sopts[$c $s]}; do
					skip_opt "$c" "$o" && continue
					# A subcommand's help that is the command's own names
					# the other subcommands' options too: only its own
					# usage line's options must be offered after SUB.
					if [ -z "${sown[$c $s]-}" ]; then
						grep -qx -- "$o" <<<"$all" || { echo "$sh: $c $s $o not offered"; n=$((n + 1)); }
					else
						grep -qx -- "$o" <<<"$(offers "$out" "mailkey $c $s -")" ||
							{ echo "$sh: $c $s $o not offered after $s"; n=$((n + 1)); }
					fi
				done
			done
			# No stale option: each one offered is in the help.
			for o in $all; do
				[ "$o" = --help ] && continue
				grep -qx -- "$o" <<<"${copts[$c]}$(for s in ${subs[$c]}; do printf '\n%s' "${sopts[$c $s]}"; done)" ||
					{ echo "$sh: $c offers $o, which \`mailkey $c --help\` does not name"; n=$((n + 1)); }
			done
		done
	done
	return $((n > 100 ? 100 : n))
}

drift_check "$top/dist/completions" real >"$work/real.txt"
rc=$?
sed 's/^/# /' "$work/real.txt"
[ $rc = 0 ] && ok "bash, zsh and fish offer every command, subcommand and option, and none that is stale" ||
	bad "bash, zsh and fish offer every command, subcommand and option ($rc problems)"
for sh in bash zsh fish; do
	n=$(grep -c . "$work/real.$sh")
	[ "$n" -gt 100 ] && ok "$sh: $n lines of candidates for ${#queries[@]} lines" || bad "$sh: candidates for ${#queries[@]} lines (got $n)"
done

# The control: without fetch's --pop3 and without the import command, each
# shell's file must fail the check, naming both.
mkdir -p "$work/broken"
sed -e 's/ --pop3//' -e 's/ import / /' "$top/dist/completions/mailkey.bash" >"$work/broken/mailkey.bash"
sed -e "/'(--mailbox --list)--pop3/d" -e "/^    'import:/d" "$top/dist/completions/_mailkey" >"$work/broken/_mailkey"
sed -e '/-l pop3/d' -e "/-a import -d/d" "$top/dist/completions/mailkey.fish" >"$work/broken/mailkey.fish"
drift_check "$work/broken" broken >"$work/broken.txt"
sed 's/^/# control: /' "$work/broken.txt"
for sh in bash zsh fish; do
	grep -q "^$sh: fetch --pop3 not offered" "$work/broken.txt" && ok "control: $sh without --pop3 fails" ||
		bad "control: $sh without --pop3 fails"
	grep -q "^$sh: command import not offered" "$work/broken.txt" && ok "control: $sh without import fails" ||
		bad "control: $sh without import fails"
done

echo "$(basename "$0"): $pass passed, $failn failed"
[ "$failn" -eq 0 ]
