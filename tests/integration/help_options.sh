#!/usr/bin/env bash
# Every option a command parses (the "--name" strings its cmd_*.c compares
# argv against) is listed by `mailkey COMMAND --help` and in the man page
# section of that command; every command of the dispatcher is in the man
# page. No servers: this reads the sources and runs mailkey-core.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${MK_BUILD_DIR:-$top/build}
core=$build/cli/mailkey-core
pass=0 failn=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; failn=$((failn + 1)); }
# The man page as plain text of its source: "\-\-pop3" -> "--pop3".
man=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$top/docs/mailkey.1")
for src in "$top"/cli/cmd_*.c; do
	verb=$(basename "$src" .c)
	verb=${verb#cmd_}
	verb=${verb//_/-} # cmd_app_password.c is `mailkey app-password`
	help=$("$core" "$verb" --help 2>&1)
	[ -n "$help" ] && ok "$verb --help prints its help" || bad "$verb --help prints its help"
	# Options as the parser compares them: strcmp(x, "--opt") or "--opt=" prefixes.
	files=("$src")
	[ "$verb" = send ] && files+=("$top/cli/sendmail_args.c") # send's parser
	for opt in $(grep -hoE 'str(n)?cmp\([^,]+, "--[a-z0-9-]+' "${files[@]}" | grep -oE -- '--[a-z0-9-]+' | sort -u); do
		[ "$opt" = --help ] && continue
		if grep -qF -- "$opt" <<<"$help"; then ok "$verb --help lists $opt"; else bad "$verb --help lists $opt"; fi
		# The man page's paragraph for the verb: from its ".BI/.B verb" line to the next .TP.
		para=$(awk -v v="$verb" '/^\.TP/{p=0} $0 ~ "^\\.BI? \"?" v "( |\"|$)"{p=1} p' <<<"$man")
		if grep -qF -- "$opt" <<<"$para"; then ok "man page: $verb $opt"; else bad "man page: $verb $opt"; fi
	done
done
for verb in $(grep -oE '^\s*\{ "[a-z-]+", mk_cmd_' "$top/cli/main.c" | grep -oE '"[a-z-]+"' | tr -d '"'); do
	if grep -qE "^\.BI? \"?$verb( |\"|$)" <<<"$man"; then ok "man page has $verb"; else bad "man page has $verb"; fi
done
echo "$(basename "$0"): $pass passed, $failn failed"
[ "$failn" -eq 0 ]
