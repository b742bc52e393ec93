#!/usr/bin/env bash
# gwreview_imap_literal_desync: an IMAP LOGIN that fails in the middle,
# after a literal (a NUL in the user literal, no space before the next
# literal), while LITERAL+ bytes are on their way. The gateway answered BAD
# and went on reading: the rest of the command, and the LITERAL+ password
# after it, were parsed as new commands. The password became the tag of a
# "BAD Missing command" reply, and -vv wrote that reply, password and all,
# to the log. A broken command's later bytes must never be taken for
# commands (BAD, then close, as for a LITERAL+ literal that is too big), and
# no app password may reach the log.
. "$(dirname "$0")/lib.sh"
gw_config
gw_start
check "the gateway listens" test $? = 0
P=$(pw alice desync)
n=${#P}
probe() { # name raw-send-step
	local out
	out=$(raw "$P_IMAP" --timeout 5 r "$2" R 2>&1)
	check "$1: no reply is tagged with the password (the literal was not taken for a command): $(tr '\n' '|' <<<"$out" | head -c 300)" \
		bash -c '! grep -qF -- "$1" <<<"$2"' _ "$P" "$out"
	check "$1: the connection is closed after the BAD" grep -q "^CLOSED" <<<"$out"
}
probe "NUL in the user literal" "s:a LOGIN {6+}\r\nal\x00ice {$n+}\r\n$P\r\n"
probe "no space before the password literal" "s:b LOGIN {5+}\r\nalice{$n+}\r\n$P\r\n"
probe "junk after the user literal" "s:c LOGIN {5+}\r\nalice) {$n+}\r\n$P\r\n"
sleep 0.5
check "the -vv log holds no app password ($(grep -cF -- "$P" "$GLOG") lines)" sh -c '! grep -qF -- "$1" "$2"' _ "$P" "$GLOG"
# A correct LITERAL+ login still works and the connection stays usable.
out=$(raw "$P_IMAP" r "s:d LOGIN {5+}\r\nalice {$n+}\r\n$P\r\n" r "s:e LOGOUT\r\n" r r)
check "a well-formed LITERAL+ LOGIN logs in: $(tr '\n' '|' <<<"$out" | cut -c1-200)" grep -q "^d OK" <<<"$out"
finish
