#!/usr/bin/env bash
# daemon_peer: who may talk to the socket, and clients that misbehave.
# - The default socket ($XDG_RUNTIME_DIR/mailkey/socket) is 0600 in a 0700
#   directory.
# - A client running as `nobody` is refused by SO_PEERCRED even when the
#   socket file lets it connect (here chmod 0666 on purpose): the connection
#   is closed with no answer, and the daemon logs the refusal.
# - Garbage bytes, an over-long line and a stalled client (half a line, then
#   nothing) are dropped, while another client keeps getting tokens promptly.
. "$(dirname "$0")/lib.sh"
account a "$MK_CLIENT_ID"
grant a "$MK_CLIENT_ID"
check "a real grant is imported" test $? = 0

# The default place and modes (MAILKEY_SOCKET, which the daemon honours too,
# unset).
env -u MAILKEY_SOCKET "$MK" daemon 2>>"$DLOG" &
dpid=$!
def=$XDG_RUNTIME_DIR/mailkey/socket
wait_until 150 test -S "$def"
check "without --socket it listens on \$XDG_RUNTIME_DIR/mailkey/socket" test -S "$def"
check "that directory is 0700 ($(stat -c %a "$XDG_RUNTIME_DIR/mailkey"))" test "$(stat -c %a "$XDG_RUNTIME_DIR/mailkey")" = 700
check "the socket is 0600 ($(stat -c %a "$def"))" test "$(stat -c %a "$def")" = 600
check "mailkey token finds it there with MAILKEY_SOCKET unset" \
	sh -c "unset MAILKEY_SOCKET; '$MK' token a >/dev/null"
stop_daemon
check "SIGTERM: the daemon exits 0" test $? = 0

start_daemon
check "the daemon answers ping on --socket" test $? = 0
tok=$(ask_ok "MK1 token a")
check "our own uid gets a token" test -n "$tok"

# nobody, first through the socket's own mode, then past it.
chmod 755 "$work" "$work/d"
asnobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$here/ask.py" "$@"; }
asnobody "$SOCK" "MK1 token a" >"$work/nobody0.out" 2>"$work/nobody0.err"
rc=$?
check "nobody cannot even connect to the 0600 socket (ask.py exit $rc: $(cat "$work/nobody0.err"))" \
	test $rc = 4 -a "$(cat "$work/nobody0.err")" = EACCES
chmod 666 "$SOCK"
lines0=$(wc -l <"$DLOG")
asnobody --timeout 5 "$SOCK" "MK1 token a" >"$work/nobody.out" 2>"$work/nobody.err"
rc=$?
check "past the file mode, nobody is closed without an answer (ask.py exit $rc, want 2: $(head -c 200 "$work/nobody.err"))" test $rc = 2
check "nothing was answered to nobody" test ! -s "$work/nobody.out"
asnobody --timeout 5 --raw "$SOCK" "$(printf '8:relay x,' | xxd -p)" >"$work/nobody-sm.out"
rc=$?
check "nor in the socketmap dialect (exit $rc, answer '$(head -c 80 "$work/nobody-sm.out")')" \
	test $rc = 0 -a ! -s "$work/nobody-sm.out"
nuid=$(id -u nobody)
wait_until 30 sh -c "tail -n +$((lines0 + 1)) '$DLOG' | grep -qiE 'uid[ =]*$nuid|nobody'"
check "the daemon logs the refusal with the peer's uid" sh -c "tail -n +$((lines0 + 1)) '$DLOG' | grep -iE 'uid[ =]*$nuid|nobody' | grep -qiE 'refus|denied|reject|not allowed'"
chmod 600 "$SOCK"
check "the daemon still serves us" test -n "$(ask_ok "MK1 token a")"

# A steady client: one request every 20 ms over one connection, each answer
# timed, for as long as the misbehaving ones run.
/usr/bin/python3 - "$SOCK" "$work/steady.stop" >"$work/steady.out" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1]); f = s.makefile("rb")
worst, n, bad = 0.0, 0, 0
while not os.path.exists(sys.argv[2]):
    t = time.monotonic(); s.sendall(b"MK1 token a\n"); a = f.readline()
    worst = max(worst, time.monotonic() - t); n += 1
    if not a.startswith(b"OK "): bad += 1
    time.sleep(0.02)
print(n, bad, "%.3f" % worst)
PY
steady=$!

# Garbage: binary bytes with a newline, an unknown verb, another version.
/usr/bin/python3 "$here/ask.py" --raw "$SOCK" "$(head -c 300 /dev/urandom | tr -d '0-9' | head -c 100 | xxd -p | tr -d '\n')0a" >"$work/garbage.out"
rc=$?
garbage_ok() { [ ! -s "$work/garbage.out" ] || { head -c 7 "$work/garbage.out" | grep -q '^ERR 64 ' && [ "$(wc -l <"$work/garbage.out")" = 1 ]; }; }
check "garbage: the daemon closes the connection (ask.py exit $rc, want 0)" test $rc = 0
check "garbage: one ERR 64 answer or none ($(head -c 60 "$work/garbage.out" | tr -cd '[:print:]'))" garbage_ok
out=$(ask "MK1 frobnicate a")
check "an unknown verb: ERR 64 ($out)" test "${out:0:7}" = "ERR 64 "
out=$(ask "MK9 ping")
check "another protocol version: ERR 69 ($out)" test "${out:0:7}" = "ERR 69 "
/usr/bin/python3 "$here/ask.py" --raw "$SOCK" "$(head -c 5000 /dev/zero | tr '\0' 'x' | xxd -p | tr -d '\n')" >"$work/long.out"
check "a line over 1024 bytes is answered ERR 64 or dropped and closed (exit $?)" \
	sh -c "! grep -q '^OK' '$work/long.out'"
# Stalled: half a line, then silence. The protocol drops it after 10 s.
secs=$(/usr/bin/python3 "$here/ask.py" --timeout 20 --stall "$SOCK" "MK1 tok")
rc=$?
check "a stalled client is dropped within 10..15 s (exit $rc after ${secs}s)" \
	python3 -c "import sys; sys.exit(0 if $rc == 0 and 9.5 <= float('${secs:-0}'.split()[-1]) <= 15 else 1)"
# Many stalled at once must not starve anyone either.
stalled=()
for i in $(seq 1 20); do
	/usr/bin/python3 "$here/ask.py" --timeout 20 --stall "$SOCK" "MK1 t" >/dev/null &
	stalled+=($!)
done
sleep 1
tok2=$(ask_ok "MK1 token a")
check "with 20 stalled clients a new client still gets a token" test -n "$tok2"
check "the daemon logs the dropped clients" grep -qiE 'dropped|idle|timed out' "$DLOG"
touch "$work/steady.stop"
wait $steady
read -r n badn worst <"$work/steady.out"
check "the steady client kept getting tokens: $n requests, $badn not OK, slowest ${worst}s (want < 0.5 s)" \
	python3 -c "import sys; sys.exit(0 if $n >= 100 and $badn == 0 and $worst < 0.5 else 1)"
dropped=0
for p in "${stalled[@]}"; do wait "$p" && dropped=$((dropped + 1)); done
check "the daemon dropped all 20 stalled clients ($dropped)" test $dropped = 20
check "the daemon is still running" daemon_alive
stop_daemon
check "SIGTERM: the daemon exits 0" test $? = 0
finish
