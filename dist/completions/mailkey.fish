# fish completion for mailkey(1): commands, their subcommands and options,
# and the names of the configured accounts where a command takes an ACCOUNT.
# The names come from `mailkey accounts --names`, run with the --system,
# --config and --state-dir given earlier on the line (and $MAILKEY_CONFIG),
# its errors discarded: no configuration means no names, and nothing printed.

set -l __mailkey_commands login token sasl status refresh revoke logout accounts app-password config send check fetch append import queue daemon gateway help

# The words of the line before the cursor, split as:
# the program and its --system/--config/--state-dir (global), the command,
# its subcommand, and the number of positional words after them.
# Prints: cmd, sub, positional count, then the global words, one a line.
function __mailkey_parse
    set -l tokens (commandline -opc)
    set -l global $tokens[1]
    set -l cmd ''
    set -l sub ''
    set -l n 0
    set -l i 2
    set -l count (count $tokens)
    while test $i -le $count
        set -l w $tokens[$i]
        switch $w
            case --config --state-dir
                if test $i -lt $count
                    set -a global $w $tokens[(math $i + 1)]
                end
                set i (math $i + 2)
                continue
            case '--config=*' '--state-dir=*'
                set -a global (string split -m1 = -- $w)
            case --cafile
                set i (math $i + 2)
                continue
            case --system
                set -a global $w
            case '-*'
            case '*'
                set cmd $w
                break
        end
        set i (math $i + 1)
    end
    if test -n "$cmd"
        set -l args (__mailkey_args $cmd)
        set -l subs (__mailkey_subs $cmd)
        set i (math $i + 1)
        while test $i -le $count
            set -l w $tokens[$i]
            if contains -- $w $args
                set i (math $i + 1)
            else if string match -q -- '-*' $w
            else if test -z "$sub" -a $n -eq 0; and contains -- $w $subs
                set sub $w
            else
                set n (math $n + 1)
            end
            set i (math $i + 1)
        end
    end
    printf '%s\n' "$cmd" "$sub" $n $global
end

# The options of a command that take a value.
function __mailkey_args
    switch $argv[1]
        case login
            echo --timeout
        case sasl
            printf '%s\n' --mech --host --port
        case send
            printf '%s\n' --account -f -F -r
        case fetch
            printf '%s\n' --mailbox --maildir
        case append
            echo --mailbox
        case import
            echo --format
        case daemon gateway
            printf '%s\n' --socket --allow-group
    end
end

function __mailkey_subs
    switch $argv[1]
        case app-password
            printf '%s\n' add list revoke
        case config
            echo check
        case queue
            echo run
        case gateway
            echo ca
    end
end

# True when no command is on the line yet.
function __mailkey_no_command
    set -l p (__mailkey_parse)
    test -z "$p[1]"
end

# True when the command (and subcommand: "-" for none) is the one given.
function __mailkey_using
    set -l p (__mailkey_parse)
    test "$p[1]" = "$argv[1]"; or return 1
    test (count $argv) -lt 2; and return 0
    if test "$argv[2]" = -
        test -z "$p[2]"
    else
        test "$p[2]" = "$argv[2]"
    end
end

# True when the word under the cursor is the subcommand of a command that has them.
function __mailkey_wants_sub
    set -l p (__mailkey_parse)
    test "$p[1]" = "$argv[1]" -a -z "$p[2]" -a "$p[3]" = 0
end

# True when the word under the cursor is a command's ACCOUNT.
function __mailkey_wants_account
    set -l p (__mailkey_parse)
    test "$p[3]" = 0; or return 1
    switch "$p[1] $p[2]"
        case 'login ' 'token ' 'sasl ' 'status ' 'refresh ' 'revoke ' 'logout ' 'check ' 'fetch ' \
            'append ' 'import ' 'app-password add' 'app-password list' 'app-password revoke' 'queue run'
            return 0
    end
    return 1
end

function __mailkey_accounts
    set -l p (__mailkey_parse)
    set -l mk (string replace -r '^~/' "$HOME/" -- $p[4..-1])
    $mk accounts --names 2>/dev/null </dev/null
end

complete -c mailkey -f

# Global options (before the command).
complete -c mailkey -n __mailkey_no_command -l system -d 'the system service\'s files (/etc/mailkey/config, /var/lib/mailkey)'
complete -c mailkey -n __mailkey_no_command -l config -r -F -d 'configuration file'
complete -c mailkey -n __mailkey_no_command -l state-dir -x -a '(__fish_complete_directories)' -d 'state directory (the store)'
complete -c mailkey -n __mailkey_no_command -l cafile -r -F -d 'CA bundle for every TLS connection'
complete -c mailkey -n __mailkey_no_command -s v -l verbose -d 'more output (-vv: protocol traces)'
complete -c mailkey -n __mailkey_no_command -l json -d 'machine-readable output'
complete -c mailkey -n __mailkey_no_command -s h -l help -d 'list the commands'
complete -c mailkey -n __mailkey_no_command -l version -d 'print the version'

# Commands.
complete -c mailkey -n __mailkey_no_command -a login -d 'consent in a browser and store the tokens'
complete -c mailkey -n __mailkey_no_command -a token -d 'print a valid access token'
complete -c mailkey -n __mailkey_no_command -a sasl -d 'print the XOAUTH2 or OAUTHBEARER string'
complete -c mailkey -n __mailkey_no_command -a status -d 'each account\'s token state'
complete -c mailkey -n __mailkey_no_command -a refresh -d 'refresh an account\'s token now'
complete -c mailkey -n __mailkey_no_command -a revoke -d 'revoke the grant at the provider'
complete -c mailkey -n __mailkey_no_command -a logout -d 'forget an account\'s tokens here'
complete -c mailkey -n __mailkey_no_command -a accounts -d 'list the configured accounts'
complete -c mailkey -n __mailkey_no_command -a app-password -d 'the gateway\'s app passwords'
complete -c mailkey -n __mailkey_no_command -a config -d 'config check: validate the configuration'
complete -c mailkey -n __mailkey_no_command -a send -d 'send a message (sendmail-compatible)'
complete -c mailkey -n __mailkey_no_command -a check -d 'log in over IMAP, SMTP and POP3'
complete -c mailkey -n __mailkey_no_command -a fetch -d 'fetch new mail into a Maildir'
complete -c mailkey -n __mailkey_no_command -a append -d 'store a message in an IMAP mailbox'
complete -c mailkey -n __mailkey_no_command -a import -d 'store tokens from another program'
complete -c mailkey -n __mailkey_no_command -a queue -d 'the outgoing queue'
complete -c mailkey -n __mailkey_no_command -a daemon -d 'run the resident service'
complete -c mailkey -n __mailkey_no_command -a gateway -d 'local IMAP/POP3/SMTP for password-only programs'
complete -c mailkey -n __mailkey_no_command -a help -d 'describe a command'
complete -c mailkey -n '__mailkey_using help' -a "$__mailkey_commands"

# Account names.
complete -c mailkey -n __mailkey_wants_account -a '(__mailkey_accounts)' -d account

# Every command's --help.
complete -c mailkey -n 'not __mailkey_no_command' -l help -d 'describe this command'

complete -c mailkey -n '__mailkey_using login' -l no-browser -d 'print the address instead of opening a browser'
complete -c mailkey -n '__mailkey_using login' -l device -d 'device flow: a code on another device'
complete -c mailkey -n '__mailkey_using login' -l manual -d 'paste the address the browser ends up on'
complete -c mailkey -n '__mailkey_using login' -l timeout -x -d 'seconds to wait for consent'

complete -c mailkey -n '__mailkey_using token' -l refresh -d 'refresh now'

complete -c mailkey -n '__mailkey_using sasl' -l mech -x -a 'xoauth2 oauthbearer' -d mechanism
complete -c mailkey -n '__mailkey_using sasl' -l host -x -d 'OAUTHBEARER host='
complete -c mailkey -n '__mailkey_using sasl' -l port -x -d 'OAUTHBEARER port='
complete -c mailkey -n '__mailkey_using sasl' -l raw -d 'print the decoded string'

complete -c mailkey -n '__mailkey_using status' -l json -d 'JSON output'

complete -c mailkey -n '__mailkey_using accounts' -l json -d 'a JSON array'
complete -c mailkey -n '__mailkey_using accounts' -l names -d 'only the names, one a line'

complete -c mailkey -n '__mailkey_wants_sub app-password' -a add -d 'make a new app password'
complete -c mailkey -n '__mailkey_wants_sub app-password' -a list -d 'list the app passwords'
complete -c mailkey -n '__mailkey_wants_sub app-password' -a revoke -d 'remove an app password'
complete -c mailkey -n '__mailkey_using app-password list' -l json -d 'a JSON array'

complete -c mailkey -n '__mailkey_wants_sub config' -a check -d 'validate the configuration file'

complete -c mailkey -n '__mailkey_using send' -l account -x -a '(__mailkey_accounts)' -d 'the account to send with'
complete -c mailkey -n '__mailkey_using send' -l queue -d 'put the message in the outgoing queue'
complete -c mailkey -n '__mailkey_using send' -l no-queue -d 'send now even with queue = yes'
complete -c mailkey -n '__mailkey_using send' -s t -d 'recipients from To, Cc and Bcc'
complete -c mailkey -n '__mailkey_using send' -s f -x -d 'envelope sender'
complete -c mailkey -n '__mailkey_using send' -s r -x -d 'envelope sender'
complete -c mailkey -n '__mailkey_using send' -s F -x -d 'the sender\'s name'
complete -c mailkey -n '__mailkey_using send' -s i -d 'accepted (the message ends at the end of input)'
complete -c mailkey -n '__mailkey_using send' -o oi -d 'accepted (as -i)'
complete -c mailkey -n '__mailkey_using send' -o bm -d 'accepted (deliver a message)'
complete -c mailkey -n '__mailkey_using send' -o odq -d 'as --queue'
complete -c mailkey -n '__mailkey_using send' -o odi -d 'as --no-queue'
complete -c mailkey -n '__mailkey_using send' -s v -d 'show the SMTP dialogue'

complete -c mailkey -n '__mailkey_using check' -l json -d 'JSON output'

complete -c mailkey -n '__mailkey_using fetch' -l mailbox -x -d 'the IMAP mailbox (default INBOX)'
complete -c mailkey -n '__mailkey_using fetch' -l pop3 -d 'fetch over POP3'
complete -c mailkey -n '__mailkey_using fetch' -l maildir -x -a '(__fish_complete_directories)' -d 'where to deliver'
complete -c mailkey -n '__mailkey_using fetch' -l list -d 'list the IMAP mailboxes'
complete -c mailkey -n '__mailkey_using fetch' -l json -d 'one JSON line'

complete -c mailkey -n '__mailkey_using append' -l mailbox -x -d 'the IMAP mailbox (default INBOX)'

complete -c mailkey -n '__mailkey_using import' -l format -x -a 'json mutt_oauth2 sasl-xoauth2' -d 'the token file\'s program'
complete -c mailkey -n '__mailkey_using import' -l force -d 'replace stored tokens'

complete -c mailkey -n '__mailkey_using queue -' -l json -d 'a JSON array'
complete -c mailkey -n '__mailkey_using queue -' -l failed -d 'also the messages moved aside'
complete -c mailkey -n '__mailkey_wants_sub queue' -a run -d 'send what is due'
complete -c mailkey -n '__mailkey_using queue run' -l now -d 'also what is not due yet'
complete -c mailkey -n '__mailkey_using queue run' -s v -d 'show the SMTP dialogue'

for c in daemon 'gateway -'
    complete -c mailkey -n "__mailkey_using $c" -l socket -r -F -d 'the socket to listen on'
    complete -c mailkey -n "__mailkey_using $c" -l system -d 'system service'
    complete -c mailkey -n "__mailkey_using $c" -l allow-group -x -a '(__fish_complete_groups)' -d 'a group that may use the socket'
end
complete -c mailkey -n '__mailkey_wants_sub gateway' -a ca -d 'print the local CA\'s certificate'
