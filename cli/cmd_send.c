/* mailkey send, and mailkey called as `sendmail`: submission with an OAuth
 * token. The message is read completely before any connection is made, and
 * the exit status says whether it was accepted: 0 only when the server took
 * it for every recipient, 75 when trying later may work (the caller keeps the
 * message), never 0 for a message that was not sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "broker/config/config.h"
#include "cli/cli.h"
#include "cli/cmd_queue.h"
#include "cli/mail_login.h"
#include "cli/sendmail_args.h"
#include "common/log.h"
#include "mail/message.h"
#include "mail/smtp.h"

#define MK_SEND_MSG_MAX ((size_t)64 << 20)

static const char help[] =
	"usage: mailkey send [--account A] [-t] [-f FROM] [-F NAME] [-i] [-v] [RECIPIENT...] < message\n"
	"       sendmail [options] [--] [RECIPIENT...] < message   (mailkey installed as sendmail)\n\n"
	"Send the RFC 5322 message on standard input through the account's SMTP server, logging in\n"
	"with a fresh OAuth token (XOAUTH2 or OAUTHBEARER).\n\n"
	"  --account A     the account; without it: the account whose user is the sender (-f, or\n"
	"                  the From: address), else default_account from the config, else the only one\n"
	"  -t              also take recipients from To, Cc and Bcc (Bcc is removed before sending)\n"
	"  -f FROM, -r FROM  envelope sender (default: the account's user); -f '<>' the null sender\n"
	"  -F NAME         the sender's name, for the From: field added when the message has none\n"
	"  --queue, -odq   put the message in the outgoing queue (fsync'd) and exit 0; `mailkey queue\n"
	"                  run` sends it. The default as sendmail when the account has queue = yes\n"
	"  --no-queue, -odi  send now even when the account has queue = yes\n"
	"  -v              show the SMTP dialogue (tokens are redacted)\n"
	"  -i, -oi, -bm    accepted: the message always ends at the end of the input\n"
	"  -oX..., -OX=Y, -B T, -N D, -R R, -V ID, -h N (as sendmail), -L L, -n, -U, -m, -G\n"
	"                  accepted and ignored, for sendmail compatibility\n"
	"  -bs, -bd, -bp, -bi, -q...  refused (exit 64): mailkey only sends one message\n"
	"                  (the queue is `mailkey queue` and `mailkey queue run`)\n"
	"  -h, --help      this text (as sendmail: --help only)\n\n"
	"Exit status: 0 sent to every recipient (with --queue: queued and on disk); 75 try later (nothing or "
	"not everything was sent);\n"
	"77 the account needs `mailkey login`; 69 refused by the server; 64 usage; 65 bad message;\n"
	"78 no account could be chosen (set default_account, see `man mailkey`).\n";

static int read_all(FILE *fp, struct mk_buf *out)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (mk_buf_add(out, chunk, n) != 0)
			return -1;
	return ferror(fp) ? -1 : 0;
}

/* The account to send with: --account, else the one whose user is the
 * sender (a mail program that sends for several addresses picks the
 * account by -f or From:, as msmtp does), else default_account, else the
 * only one. */
static int choose_account(struct mk_cli *cli, struct mk_broker *b, const struct mk_sendmail_args *args,
			  const char *sender, const char **name_r, struct mk_error *err)
{
	size_t n = mk_broker_account_count(b);
	const char *def = mk_broker_default_account(b);
	char *path;

	if (args->account != NULL) {
		*name_r = args->account;
		return 0;
	}
	for (size_t i = 0; sender != NULL && *sender != '\0' && i < n; i++)
		if (strcasecmp(mk_broker_account_at(b, i)->user, sender) == 0) {
			*name_r = mk_broker_account_at(b, i)->name;
			mk_log(MK_LOG_DEBUG, "account %s: its user is the sender %s", *name_r, sender);
			return 0;
		}
	if (def != NULL) {
		*name_r = def;
		return 0;
	}
	if (n == 1) {
		*name_r = mk_broker_account_at(b, 0)->name;
		return 0;
	}
	path = cli->config_path != NULL ? strdup(cli->config_path) : mk_config_default_path();
	if (n == 0)
		mk_error_set(err, MK_ERR_CONFIG,
			     "no account is configured in %s: add an [account NAME] section",
			     path != NULL ? path : "the configuration file");
	else
		mk_error_set(
			err, MK_ERR_CONFIG,
			"%zu accounts are configured and none has user = %s: set `default_account = NAME` "
			"at the top of %s (before the first section), or choose one with --account NAME",
			n, sender != NULL && *sender != '\0' ? sender : "the sender (no -f and no From:)",
			path != NULL ? path : "the configuration file");
	free(path);
	return -1;
}

int mk_cmd_send(struct mk_cli *cli, int argc, char **argv)
{
	struct mk_sendmail_args *args = NULL;
	const char *rcpts[MK_SENDMAIL_RCPT_MAX], *acct_name = NULL, *from, *verb, *m;
	size_t nrcpt = 0;
	struct mk_buf msg, out, addrs, sender;
	struct mk_broker *b;
	const struct mk_account *a;
	struct mk_smtp *smtp = NULL;
	struct mk_error err;
	bool sendmail_mode, queue;
	int rc = EX_USAGE;

	/* argv[0] is "send", or the program's name when it was called as
	 * sendmail (main.c). */
	sendmail_mode = strcmp(argv[0], "send") != 0;
	verb = sendmail_mode ? "sendmail" : "send";
	mk_buf_init(&msg, MK_SEND_MSG_MAX);
	mk_buf_init(&out, MK_SEND_MSG_MAX + 1024);
	mk_buf_init(&addrs, (size_t)1 << 20);
	mk_buf_init(&sender, MK_SENDMAIL_ADDR_MAX + 1);
	mk_error_init(&err);
	args = calloc(1, sizeof(*args));
	if (args == NULL) {
		rc = EX_OSERR;
		goto out;
	}
	if (mk_sendmail_parse(argc, argv, sendmail_mode, args, &err) != 0) {
		fprintf(stderr, "mailkey %s: %s; `%s --help` lists the options\n", verb, err.msg,
			sendmail_mode ? argv[0] : "mailkey send");
		goto out;
	}
	if (args->help) {
		fputs(help, stdout);
		rc = 0;
		goto out;
	}
	if (args->verbose > 0)
		mk_log_set_level(MK_LOG_TRACE);
	for (size_t i = 0; i < args->nrcpt; i++)
		if (mk_sendmail_rcpt_addresses(args->rcpts[i], &addrs, &err) != 0) {
			fprintf(stderr, "mailkey %s: %s\n", verb, err.msg);
			goto out;
		}
	/* Everything is read before anything is sent: a failure later never
	 * leaves half a message anywhere. */
	if (read_all(stdin, &msg) != 0) {
		mk_error_set(&err, msg.len >= MK_SEND_MSG_MAX ? MK_ERR_DATA : MK_ERR_IO,
			     "cannot read the message from standard input%s",
			     msg.len >= MK_SEND_MSG_MAX ? " (larger than 64 MiB)" : "");
		rc = mk_cli_fail(cli, verb, &err);
		goto out;
	}
	/* An empty input is sent as an empty message, as sendmail does. */
	m = msg.data != NULL ? msg.data : "";
	if (args->read_rcpts && mk_msg_recipients(m, msg.len, &addrs) != 0) {
		mk_error_set(&err, MK_ERR_DATA, "cannot read the message's header");
		rc = mk_cli_fail(cli, verb, &err);
		goto out;
	}
	for (char *p = addrs.data, *nl; p != NULL && *p != '\0'; p = nl + 1) {
		if (nrcpt >= MK_SENDMAIL_RCPT_MAX) {
			fprintf(stderr, "mailkey %s: more than %d recipients\n", verb, MK_SENDMAIL_RCPT_MAX);
			goto out;
		}
		/* Each address ends in '\n' (mk_msg_recipients and
		 * mk_sendmail_rcpt_addresses); a last one without stops the list
		 * rather than reading past it. */
		nl = strchr(p, '\n');
		rcpts[nrcpt++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
	}
	if (nrcpt == 0) {
		fprintf(stderr, "mailkey %s: no recipients (name them, or use -t to read To/Cc/Bcc)\n", verb);
		goto out;
	}
	if (args->from == NULL && mk_sendmail_header_from(m, msg.len, &sender) != 0) {
		mk_error_set(&err, MK_ERR_DATA, "the From: address is too long");
		rc = mk_cli_fail(cli, verb, &err);
		goto out;
	}
	if (mk_cli_broker(cli, &b, &err) != 0 ||
	    choose_account(cli, b, args, args->from != NULL ? args->from : mk_buf_str(&sender), &acct_name,
			   &err) != 0) {
		rc = mk_cli_fail(cli, verb, &err);
		goto out;
	}
	/* The account's queue = yes makes queueing the default for programs
	 * that call sendmail (cron); `mailkey send` queues when asked. */
	if (mk_broker_account(b, acct_name, &a, &err) != 0) {
		rc = mk_cli_fail(cli, verb, &err);
		goto out;
	}
	queue = !args->no_queue && (args->queue || (sendmail_mode && a->queue));
	if (!queue && mk_cli_smtp_login(cli, b, acct_name, &a, &smtp, &err) != 0) {
		rc = mk_cli_fail(cli, verb, &err);
		goto out;
	}
	from = args->from != NULL ? args->from : a->user;
	/* RFC 5322 §3.6 requires a From: field; programs that call sendmail
	 * (cron, scripts) often leave it to sendmail, which adds one. */
	if (!mk_sendmail_has_from(m, msg.len) &&
	    (mk_sendmail_from_field(args->fullname, *from != '\0' ? from : a->user, &out) != 0 ||
	     (!mk_sendmail_starts_with_header(m, msg.len) && mk_buf_addc(&out, '\n') != 0))) {
		mk_error_set(&err, MK_ERR_DATA, "the message is too large");
		rc = mk_cli_fail(cli, verb, &err);
		goto out;
	}
	if (args->read_rcpts ? mk_msg_strip_bcc(m, msg.len, &out) != 0 : mk_buf_add(&out, m, msg.len) != 0) {
		mk_error_set(&err, MK_ERR_DATA, "cannot read the message's header");
		rc = mk_cli_fail(cli, verb, &err);
		goto out;
	}
	if (queue)
		rc = mk_cli_queue_add(cli, acct_name, from, rcpts, nrcpt, out.data != NULL ? out.data : "",
				      out.len, &err);
	else
		rc = mk_smtp_send(smtp, from, rcpts, nrcpt, out.data != NULL ? out.data : "", out.len, NULL,
				  &err);
	rc = rc == 0 ? 0 : mk_cli_fail(cli, verb, &err);
out:
	mk_smtp_close(&smtp);
	mk_buf_free(&msg);
	mk_buf_free(&out);
	mk_buf_free(&addrs);
	mk_buf_free(&sender);
	free(args);
	return rc;
}
