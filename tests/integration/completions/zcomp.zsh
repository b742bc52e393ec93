#!/usr/bin/env zsh
# A real zsh completion run: an interactive zsh on a pseudo-terminal (the
# zpty module), compinit with DIR first on $fpath, then for each LINE the
# line is typed followed by Tab. Every match zsh's completion system adds is
# printed (compadd is wrapped to echo what it adds), after "== LINE"; then
# "== end". The inner zsh's standard error (where a completion function's
# errors go; zle draws on the terminal itself) is appended to ERRFILE.
#   zcomp.zsh DIR ERRFILE LINE...
# The environment (PATH, MAILKEY_CONFIG) is the inner zsh's.
zmodload zsh/zpty || exit 2
dir=$1 err=$2
shift 2
zpty mk 'TERM=dumb zsh -f -i' || exit 2

send() { zpty -w -n mk "$1"; }
# Read until a line with $1 in it (the inner zsh's output; what it echoes of
# the typed commands never has it); print the matches.
collect() {
  local line start=$SECONDS
  while (( SECONDS - start < 20 )); do
    if ! zpty -r -t mk line; then
      sleep 0.02
      continue
    fi
    line=${line//$'\r'/}
    line=${line%$'\n'}
    case $line in
      (*"$1"*) return 0 ;;
      (*'<<match>>'*) print -r -- "${line#*<<match>>}" ;;
    esac
  done
  print -r -- "timeout waiting for $1"
  return 1
}

# The inner shell: no rc files, no listing (nothing to answer), compadd
# wrapped. Calls that only collect matches (-O, -A, -D) are not additions.
send "PS1='> '; unsetopt autolist listambiguous beep; fpath=(${(q)dir} \$fpath)"$'\n'
send 'autoload -Uz compinit && compinit -u -D'$'\n'
send 'compadd() { local -a __mk; if (( ${@[(I)-[OAD]*]} )); then builtin compadd "$@"; return; fi; builtin compadd -O __mk "$@"; (( $#__mk )) && print -rl -- "<<mat""ch>>"${^__mk} >/dev/tty; builtin compadd "$@"; }'$'\n'
# Tab: complete-word, then a mark, so the rest is typed only after the
# completion is over (typeahead can cut a completion short).
send 'mk-tab() { zle complete-word; print -r -- "<<tab-""done>>" >/dev/tty; }; zle -N mk-tab; bindkey "^I" mk-tab'$'\n'
send "exec 2>>${(q)err}; print '<<re''ady>>'"$'\n'
collect '<<ready>>' || exit 1
for l in "$@"; do
  print -r -- "== $l"
  send "$l"$'\t'
  collect '<<tab-done>>' || exit 1
  # Kill the line (whatever the completion inserted) and mark the end.
  send $'\C-e\C-u'"print mk_''done"$'\n'
  collect mk_done || exit 1
done
print -r -- "== end"
zpty -d mk
