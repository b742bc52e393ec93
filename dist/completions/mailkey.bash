# bash completion for mailkey(1)                           -*- shell-script -*-
# Commands, their subcommands and options, and the names of the configured
# accounts where a command takes an ACCOUNT. The names come from
# `mailkey accounts --names`, run with the --system, --config and --state-dir
# given earlier on the line (and $MAILKEY_CONFIG), its errors discarded: no
# configuration means no names, and nothing printed.

# The value of an option word as the shell would see it: quotes and a
# leading ~/ undone, without evaluating anything.
_mailkey_word()
{
	local v=$1
	case $v in
	\'*\') v=${v:1:${#v}-2} ;;
	\"*\") v=${v:1:${#v}-2} ;;
	esac
	[[ $v == \~/* ]] && v=$HOME/${v#\~/}
	printf '%s' "$v"
}

# What a command takes: opts (every option), args (the options among them
# that take a value), subs (its subcommands) and pos (what each positional
# word is: account, name, command; one per position, the last one repeats
# only when it is "rcpt").
_mailkey_spec()
{
	opts="--help" args="" subs="" pos=""
	case $1 in
	login) opts+=" --no-browser --device --manual --timeout" args="--timeout" pos=account ;;
	token) opts+=" --refresh" pos=account ;;
	sasl) opts+=" --mech --host --port --raw" args="--mech --host --port" pos=account ;;
	status) opts+=" --json" pos=account ;;
	refresh | revoke | logout) pos=account ;;
	accounts) opts+=" --json --names" ;;
	app-password)
		case $2 in
		add | revoke) pos="account name" ;;
		list) opts+=" --json" pos=account ;;
		*) subs="add list revoke" ;;
		esac
		;;
	config) [[ $2 ]] || subs=check ;;
	send)
		opts+=" --account --queue --no-queue -t -f -F -r -i -oi -bm -odq -odi -v"
		args="--account -f -F -r" pos=rcpt
		;;
	check) opts+=" --json" pos=account ;;
	fetch) opts+=" --mailbox --pop3 --maildir --list --json" args="--mailbox --maildir" pos=account ;;
	append) opts+=" --mailbox" args="--mailbox" pos=account ;;
	import) opts+=" --format --force" args="--format" pos=account ;;
	queue)
		case $2 in
		run) opts+=" --now -v" pos=account ;;
		*) opts+=" --json --failed" subs=run ;;
		esac
		;;
	daemon) opts+=" --socket --system --allow-group" args="--socket --allow-group" ;;
	gateway)
		case $2 in
		ca) ;;
		*) opts+=" --socket --system --allow-group" args="--socket --allow-group" subs=ca ;;
		esac
		;;
	help) pos=command ;;
	esac
}

_mailkey_commands="login token sasl status refresh revoke logout accounts app-password config send check fetch append import queue daemon gateway help"

_mailkey()
{
	local cur prev words cword split
	_init_completion -s || return

	# The program on the line and the options that say which configuration.
	local -a mk=("$(_mailkey_word "${words[0]}")")
	local i=1 w cmd=
	while ((i < cword)); do
		w=${words[i]}
		case $w in
		--config | --state-dir)
			((i + 1 < cword)) && mk+=("$w" "$(_mailkey_word "${words[i + 1]}")")
			((i += 2))
			;;
		--config=* | --state-dir=*) mk+=("${w%%=*}" "$(_mailkey_word "${w#*=}")") && ((i++)) ;;
		--cafile) ((i += 2)) ;;
		--system) mk+=("$w") && ((i++)) ;;
		-*) ((i++)) ;;
		*)
			cmd=$w
			break
			;;
		esac
	done

	if [[ -z $cmd ]]; then
		case $prev in
		--config | --cafile)
			_filedir
			return
			;;
		--state-dir)
			_filedir -d
			return
			;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--system --config --state-dir --cafile -v --verbose --json --help --version" -- "$cur"))
			[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
		else
			COMPREPLY=($(compgen -W "$_mailkey_commands" -- "$cur"))
		fi
		return
	fi

	local opts args subs pos sub= n=0
	_mailkey_spec "$cmd"
	for ((i++; i < cword; i++)); do
		w=${words[i]}
		if [[ " $args " == *" $w "* ]]; then
			((i++))
		elif [[ $w == -* ]]; then
			:
		elif [[ $subs && -z $sub && $n == 0 && " $subs " == *" $w "* ]]; then
			sub=$w
			_mailkey_spec "$cmd" "$sub"
		else
			((n++))
		fi
	done

	if [[ " $args " == *" $prev "* ]]; then
		case $prev in
		--maildir) _filedir -d ;;
		--socket) _filedir ;;
		--allow-group) _allowed_groups "$cur" ;;
		--mech) COMPREPLY=($(compgen -W "xoauth2 oauthbearer" -- "$cur")) ;;
		--format) COMPREPLY=($(compgen -W "json mutt_oauth2 sasl-xoauth2" -- "$cur")) ;;
		--account) COMPREPLY=($(compgen -W "$(_mailkey_accounts "${mk[@]}")" -- "$cur")) ;;
		esac
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	if [[ $subs && -z $sub && $n == 0 ]]; then
		COMPREPLY=($(compgen -W "$subs" -- "$cur"))
		return
	fi
	local -a kinds=($pos)
	case ${kinds[n]-} in
	account) COMPREPLY=($(compgen -W "$(_mailkey_accounts "${mk[@]}")" -- "$cur")) ;;
	command) COMPREPLY=($(compgen -W "$_mailkey_commands" -- "$cur")) ;;
	esac
}

# The account names, one a line ("$@": the program and its --system,
# --config, --state-dir).
_mailkey_accounts()
{
	"$@" accounts --names 2>/dev/null </dev/null
}

complete -F _mailkey mailkey
