# Shared by the queue tests (after ../broker/lib.sh): account xo on Postfix
# submission with a stored token, and counting at bob's Maildir.
cat >>"$MAILKEY_CONFIG" <<CFG
[account xo]
provider = generic
issuer = $MK_OP_ISSUER
user = $MK_USER1
client_id = $MK_CLIENT_ID
cafile = $MK_CA_FILE
smtp = localhost:$MK_SMTP_PORT
smtp_tls = starttls
mech = xoauth2

CFG
"$top/tests/servers/get-token" "$work/srv" --user "$MK_USER1" | json '["access_token"]' |
	"$build/tests/tools/mk-store-seed" "$MAILKEY_STATE_DIR" xo 3600
# How many copies of each "Subject: PREFIX N" bob has: "N count" lines.
subject_counts() { # prefix
	cat "$MK_MAIL_ROOT/$MK_USER2/Maildir/new/"* 2>/dev/null | grep -a "^Subject: $1 " | sort | uniq -c |
		awk '{print $NF, $1}'
}
# Wait (bounded) until n distinct subjects with prefix have arrived, then
# until Postfix's queue is empty, and succeed when each came exactly once.
wait_delivered() { # prefix n
	local i
	for i in $(seq 1 300); do
		[ "$(subject_counts "$1" | wc -l)" -ge "$2" ] && break
		sleep 0.1
	done
	postfix_idle
	[ "$(subject_counts "$1" | wc -l)" = "$2" ] && [ -z "$(subject_counts "$1" | awk '$2 != 1')" ]
}
postfix_idle() {
	local i
	for i in $(seq 1 300); do
		[ -z "$(find "$MK_SERVERS_DIR/postfix/spool/incoming" "$MK_SERVERS_DIR/postfix/spool/active" \
			"$MK_SERVERS_DIR/postfix/spool/maildrop" -type f 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	return 1
}
