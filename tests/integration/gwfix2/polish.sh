#!/usr/bin/env bash
# gwfix2_polish: what the gateway tells a client and an admin. A client
# still before login hears a goodbye in its protocol when the gateway
# stops; a failed upstream login names no local setting; `names` takes DNS
# names and IP literals only; beside a running daemon, `mailkey gateway`
# says when an option is unknown and whose the port in use is.
# shellcheck disable=SC1091
. "$(dirname "$0")/../gwreview/lib.sh"
acct noimap "$MK_USER1" xoauth2 "smtp = localhost:$MK_SMTP_PORT
smtp_tls = starttls"
"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" noimap 3600 <"$work/tok.alice"
cp "$MAILKEY_CONFIG" "$work/config.accounts"
# names: a label left empty is a typo, refused with its line (78).
cp "$work/config.accounts" "$work/config.names"
printf '[gateway]\nimap = 127.0.0.1:%s\nnames = mail.lan bad..name\n' "$P_IMAP" >>"$work/config.names"
MAILKEY_CONFIG=$work/config.names timeout 20 "$MK" gateway 2>"$work/names.err"
rc=$?
check "names = bad..name: exit 78 ($rc: $(cat "$work/names.err"))" test "$rc" = 78
check "names = bad..name: the line is named" grep -q "config.names:[0-9][0-9]*:.*bad\.\.name" "$work/names.err"
gw_config
gw_start
check "the gateway listens" test $? = 0
PN=$(pw noimap review)
out=$(/usr/bin/python3 "$top/tests/integration/gwcore/client.py" imap plain "$P_IMAP" noimap "$PN")
check "an upstream login that cannot be done: refused as unavailable ($out)" \
	sh -c 'case "$1" in "REFUSED"*UNAVAILABLE*) exit 0 ;; esac; exit 1' _ "$out"
check "and the client is told no setting or path ($out)" \
	sh -c 'case "$1" in *"[account"*|*"imap ="*|*"/"*) exit 1 ;; esac; exit 0' _ "$out"
check "the log has the detail" grep -q "noimap has no imap server" "$GLOG"
# SIGHUP with a file that does not load: logged, the accounts in use stay.
PA=$(pw alice review)
cp "$MAILKEY_CONFIG" "$work/config.good"
printf '[account broken\n' >>"$MAILKEY_CONFIG"
kill -HUP "$gpid"
wait_until 50 grep -q "reload failed, keeping the configuration in use" "$GLOG"
check "SIGHUP with a broken file: the reload is refused and logged" test $? = 0
out=$(/usr/bin/python3 "$top/tests/integration/gwcore/client.py" imap plain "$P_IMAP" alice "$PA")
check "and alice still logs in ($out)" test "${out%% *}" = OK
cp "$work/config.good" "$MAILKEY_CONFIG"
# Three clients before login, each past its greeting; then SIGTERM.
/usr/bin/python3 - "$P_IMAP" "$P_POP3" "$P_SMTP" >"$work/bye.out" 2>&1 <<'PY' &
import socket, sys, time
fs = []
for p in sys.argv[1:4]:
    s = socket.create_connection(("127.0.0.1", int(p)), timeout=20)
    f = s.makefile("rb")
    f.readline()
    fs.append((s, f))
print("READY", flush=True)
for s, f in fs:
    print(f.readline().decode(errors="replace").strip() or "EOF", flush=True)
PY
cpid=$!
wait_until 100 grep -q READY "$work/bye.out"
check "the clients are connected" test $? = 0
gw_stop
check "SIGTERM exits 0" test $? = 0
wait "$cpid"
check "imap before login: * BYE on stop ($(sed -n 2p "$work/bye.out"))" sh -c "sed -n 2p '$work/bye.out' | grep -q '^\* BYE'"
check "pop3 before login: -ERR on stop ($(sed -n 3p "$work/bye.out"))" sh -c "sed -n 3p '$work/bye.out' | grep -q '^-ERR'"
check "smtp before login: 421 4.3.2 on stop ($(sed -n 4p "$work/bye.out"))" sh -c "sed -n 4p '$work/bye.out' | grep -q '^421 4.3.2'"
# Beside a running daemon (with its own gateway on these ports).
"$MK" daemon --socket "$SOCK" 2>>"$work/daemon.log" &
dpid2=$!
wait_until 150 listening "$P_IMAP"
check "the daemon runs its gateway" test $? = 0
timeout 20 "$MK" gateway --bogus 2>"$work/bogus.err"
rc=$?
check "gateway --bogus beside a daemon: 64 ($rc)" test "$rc" = 64
check "it says the option is unknown and points to --help ($(cat "$work/bogus.err"))" \
	sh -c "grep -q \"unknown option '--bogus'\" '$work/bogus.err' && grep -q -- '--help' '$work/bogus.err'"
timeout 20 "$MK" gateway 2>"$work/clash.err"
rc=$?
check "gateway beside a daemon that runs one: 78 ($rc)" test "$rc" = 78
check "it names the daemon, not another program ($(cat "$work/clash.err"))" \
	sh -c "grep -q 'daemon' '$work/clash.err' && ! grep -q 'another program' '$work/clash.err'"
kill -TERM "$dpid2"
wait_until 200 sh -c "! kill -0 $dpid2 2>/dev/null"
wait "$dpid2"
check "the daemon stops (0)" test $? = 0
finish
