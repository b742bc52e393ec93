# Shared by the gateway tests (tests/integration/gateway/*.sh): the servers
# and helpers of ../daemon/lib.sh (the provider, Dovecot, Postfix, a state
# dir and a daemon socket of the test's own), accounts with real grants of
# the provider, a [gateway] section on free loopback ports, `mailkey gateway`
# in the background (waited for by polling its listeners), app passwords,
# and the files each client is given (netrc, curl -K configs, 0600 password
# files). Every client gets only an app password and the gateway's CA.
# shellcheck disable=SC1091,SC2034
. "$(dirname "${BASH_SOURCE[0]}")/../daemon/lib.sh"
gwdir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GLOG=$work/gateway.log
GWCA=$work/gateway-ca.pem
gpid=
umask 077
mkdir -p "$work/c"
chmod 755 "$work" # umask 077 above: the mail servers' users must still reach $work/srv

gw_cleanup() {
	if [ -n "$gpid" ]; then
		kill -KILL "$gpid" 2>/dev/null
		wait "$gpid" 2>/dev/null
	fi
	if [ "$failn" -gt 0 ] && [ -s "$GLOG" ]; then
		echo "--- last lines of the gateway's log"
		tail -40 "$GLOG"
	fi
}
trap 'gw_cleanup; daemon_cleanup; cleanup' EXIT

# free_ports N: N loopback ports nothing listens on (bound together, so
# distinct, then released).
free_ports() {
	python3 - "$1" <<'PY'
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))
PY
}
read -r GW_IMAP GW_IMAPS GW_POP3 GW_POP3S GW_SMTP GW_SMTPS GW_FIXED <<<"$(free_ports 7)"

# gw_account NAME USER MECH [EXTRA]: an account whose upstream is the test
# servers: IMAPS, POP3S, submission with STARTTLS, verified with the test CA.
gw_account() {
	printf '[account %s]\nprovider = generic\nissuer = %s\nuser = %s\nclient_id = %s\ncafile = %s\nimap = localhost:%s\npop3 = localhost:%s\nsmtp = localhost:%s\nsmtp_tls = starttls\nmech = %s\n%s\n\n' \
		"$1" "$MK_OP_ISSUER" "$2" "$MK_CLIENT_ID" "$MK_CA_FILE" "$MK_IMAPS_PORT" "$MK_POP3S_PORT" "$MK_SMTP_PORT" "$3" "${4:-}" >>"$MAILKEY_CONFIG"
}
# gw_grant NAME USER [CLIENT]: a real grant of the provider (access and
# refresh token, code flow) imported into the store; the JSON stays in
# $work/grant.NAME.json.
gw_grant() {
	"$top/tests/servers/get-token" "$work/srv" --user "$2" --client "${3:-$MK_CLIENT_ID}" >"$work/grant.$1.json" &&
		"$MK" import "$1" --force <"$work/grant.$1.json" 2>>"$work/import.err"
}
# gw_section [EXTRA]: the [gateway] section on the free ports (the file's
# last section, so EXTRA lines belong to it).
gw_section() {
	printf '[gateway]\nimap = 127.0.0.1:%s\nimaps = 127.0.0.1:%s\npop3 = 127.0.0.1:%s\npop3s = 127.0.0.1:%s\nsmtp = 127.0.0.1:%s\nsmtps = 127.0.0.1:%s\n%s\n' \
		"$GW_IMAP" "$GW_IMAPS" "$GW_POP3" "$GW_POP3S" "$GW_SMTP" "$GW_SMTPS" "${1:-}" >>"$MAILKEY_CONFIG"
}
# greets PORT [TLS]: something on PORT answers with a greeting line.
greets() {
	python3 - "$@" <<'PY' 2>/dev/null
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
if len(sys.argv) > 2:
    c = ssl.create_default_context(cafile=sys.argv[2])
    s = c.wrap_socket(s, server_hostname="127.0.0.1")
sys.exit(0 if s.recv(512)[:1] in (b"*", b"+", b"2") else 1)
PY
}
gw_listening() {
	local p
	for p in ${GW_PORTS:-$GW_IMAP $GW_POP3 $GW_SMTP}; do greets "$p" || return 1; done
}
# start_gateway [ARGS]: `mailkey $GW_MKOPTS gateway` in the background (pid in $gpid,
# stderr appended to $GLOG), back once every plaintext listener greets (at
# most 20 s); then the CA it exports is in $GWCA.
start_gateway() {
	# shellcheck disable=SC2086
	"$MK" ${GW_MKOPTS:-} gateway --socket "$SOCK" "$@" 2>>"$GLOG" &
	gpid=$!
	wait_until 200 gw_listening || return 1
	"$MK" gateway ca >"$GWCA" 2>>"$GLOG" && grep -q 'BEGIN CERTIFICATE' "$GWCA"
}
stop_gateway() {
	local rc
	[ -n "$gpid" ] || return 0
	kill -TERM "$gpid" 2>/dev/null
	wait_until 100 sh -c "! kill -0 $gpid 2>/dev/null" || kill -KILL "$gpid"
	wait "$gpid"
	rc=$?
	gpid=
	return $rc
}
gw_alive() { [ -n "$gpid" ] && kill -0 "$gpid" 2>/dev/null; }
# app_pass ACCOUNT NAME: a new app password, kept (0600) in $work/pw.NAME;
# fails unless `add` printed exactly one non-empty line.
app_pass() {
	"$MK" app-password add "$1" "$2" >"$work/pw.$2" 2>>"$work/apppass.err" &&
		[ "$(wc -l <"$work/pw.$2")" = 1 ] && [ -n "$(tr -d '\n' <"$work/pw.$2")" ]
}
pw() { tr -d '\n' <"$work/pw.$1"; }
# netrc FILE USER PWNAME [HOST]: a netrc for curl (0600).
netrc() { printf 'machine %s login %s password %s\n' "${4:-127.0.0.1}" "$2" "$(pw "$3")" >"$1"; }
# The servers' Maildir for a user, and a wait for N messages in its new/.
maildir() { echo "$MK_MAIL_ROOT/$1/Maildir"; }
nmail() { find "$(maildir "$1")/new" "$(maildir "$1")/cur" -type f 2>/dev/null | wc -l; }
wait_mail() { wait_until "${3:-150}" sh -c "[ \$(find '$(maildir "$1")/new' '$(maildir "$1")/cur' -type f 2>/dev/null | wc -l) -ge $2 ]"; }
# The gateway's resident set (KiB) and thread count.
gw_rss() { awk '/^VmRSS/ {print $2}' "/proc/$gpid/status"; }
gw_threads() { awk '/^Threads/ {print $2}' "/proc/$gpid/status"; }
# A tree under $work for throwaway files of one client.
cdir() { mkdir -p "$work/c/$1" && echo "$work/c/$1"; }

