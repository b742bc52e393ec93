#!/usr/bin/env bash
# Run the real completion of each shell for command lines, with the
# completion files of a directory (default: the source's dist/completions).
# Each prints, per LINE, "== LINE" and then the candidates, one a line.
# A LINE ending in a space completes an empty word; otherwise its last
# word. Sourced by the completions tests; `mailkey` is the first PATH's.
compl_dir=${compl_dir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/dist/completions}
compl_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# bash: bash-completion's own bash_completion, then the file; COMP_WORDS as
# readline makes them (split at blanks, and "=" a word of its own, as
# COMP_WORDBREAKS says), then the function `complete -p mailkey` names.
bash_complete() { # LINE...
	bash --norc --noprofile -c '
		source /usr/share/bash-completion/bash_completion || exit 2
		source "$0" || exit 2
		fn=$(complete -p mailkey | sed -n "s/.*-F \([^ ]*\) mailkey$/\1/p")
		[ -n "$fn" ] || { echo "no complete -F for mailkey" >&2; exit 2; }
		for line; do
			read -ra ws <<<"$line"
			COMP_WORDS=()
			for w in "${ws[@]}"; do
				while [[ $w == *=* ]]; do
					[ -n "${w%%=*}" ] && COMP_WORDS+=("${w%%=*}")
					COMP_WORDS+=("=")
					w=${w#*=}
				done
				[ -n "$w" ] && COMP_WORDS+=("$w")
			done
			[[ $line == *" " || $line == *= ]] && COMP_WORDS+=("")
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMP_LINE=$line COMP_POINT=${#line} COMPREPLY=()
			"$fn" mailkey "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
			echo "== $line"
			[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"
		done' "$compl_dir/mailkey.bash" "$@"
}

# fish: `complete -C` with the file sourced (no config files read).
fish_complete() { # LINE...
	fish --no-config -c '
		source $argv[1]; or exit 2
		for l in $argv[2..-1]
			echo "== $l"
			complete -C "$l" | string replace -r "\t.*" ""
		end' "$compl_dir/mailkey.fish" "$@"
}

# zsh: an interactive zsh on a pty with compinit and the directory on
# $fpath (zcomp.zsh); its standard error goes to $zsh_err (default: ours).
zsh_complete() { # LINE...
	local err=${zsh_err:-/dev/stderr}
	zsh -f "$compl_lib/zcomp.zsh" "$compl_dir" "$err" "$@" | sed '/^== end$/d'
}

# The candidates for LINE in a complete_* output (file $1).
offers() { # out-file LINE
	awk -v l="== $2" '$0 == l { p = 1; next } /^== / { p = 0 } p' "$1"
}
