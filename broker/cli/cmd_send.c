/* mailkey send: sendmail-compatible submission with an OAuth token.
 * The message is read completely before any connection is made, and the
 * exit status says whether it was accepted: 0 only when the server took it
 * for every recipient, 75 when trying later may work (the caller keeps the
 * message), never 0 for a message that was not sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "broker/cli/cli.h"
#include "broker/cli/cmd_util.h"
#include "broker/cli/mail_login.h"
#include "common/log.h"
#include "mail/message.h"
#include "mail/smtp.h"

#define MK_SEND_MSG_MAX ((size_t)64 << 20)
#define MK_SEND_RCPT_MAX 1000

static const char help[] =
	"usage: mailkey send [--account A] [-t] [-f FROM] [-i] [-v] [RECIPIENT...] < message\n\n"
	"Send the RFC 5322 message on standard input through the account's SMTP server, logging in\n"
	"with a fresh OAuth token (XOAUTH2 or OAUTHBEARER). Usable as a system sendmail.\n\n"
	"  --account A  the account (default: the only one configured)\n"
	"  -t           take recipients from To, Cc and Bcc (Bcc is removed before sending)\n"
	"  -f FROM      envelope sender (default: the account's user)\n"
	"  -i, -oi      accepted: the message always ends at end of input\n"
	"  -F, -o*, -B  accepted and ignored, for sendmail compatibility\n\n"
	"Exit status: 0 sent to every recipient; 75 try later (nothing or not everything was sent);\n"
	"77 the account needs `mailkey login`; 69 refused by the server; 64 usage; 65 bad message.\n";

static int read_all(FILE *fp, struct mk_buf *out)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (mk_buf_add(out, chunk, n) != 0)
			return -1;
	return ferror(fp) ? -1 : 0;
}

int mk_cmd_send(struct mk_cli *cli, int argc, char **argv)
{
	const char *acct_name = NULL, *from = NULL;
	const char *rcpts[MK_SEND_RCPT_MAX];
	size_t nrcpt = 0;
	bool from_headers = false;
	struct mk_buf msg, stripped, hdr_rcpts;
	struct mk_broker *b;
	const struct mk_account *a;
	struct mk_smtp *smtp = NULL;
	struct mk_error err;
	int rc = EX_USAGE;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	mk_buf_init(&msg, MK_SEND_MSG_MAX);
	mk_buf_init(&stripped, MK_SEND_MSG_MAX);
	mk_buf_init(&hdr_rcpts, 1 << 20);
	mk_error_init(&err);
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		if (strcmp(o, "--account") == 0 && i + 1 < argc)
			acct_name = argv[++i];
		else if (strcmp(o, "-t") == 0)
			from_headers = true;
		else if (strcmp(o, "-f") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (strncmp(o, "-f", 2) == 0 && o[2] != '\0')
			from = o + 2;
		else if (strcmp(o, "-F") == 0 && i + 1 < argc)
			i++;
		else if (strcmp(o, "-i") == 0 || strncmp(o, "-o", 2) == 0 || strncmp(o, "-B", 2) == 0 ||
			 strncmp(o, "-F", 2) == 0)
			continue;
		else if (strcmp(o, "-v") == 0)
			mk_log_set_level(MK_LOG_TRACE);
		else if (strcmp(o, "--") == 0)
			continue;
		else if (o[0] == '-') {
			fprintf(stderr, "mailkey send: unknown option '%s'\n%s", o, help);
			goto out;
		} else if (nrcpt < MK_SEND_RCPT_MAX)
			rcpts[nrcpt++] = o;
		else {
			fprintf(stderr, "mailkey send: more than %d recipients\n", MK_SEND_RCPT_MAX);
			goto out;
		}
	}
	/* Everything is read before anything is sent: a failure later never
	 * leaves half a message anywhere. */
	if (read_all(stdin, &msg) != 0) {
		mk_error_set(&err, msg.len >= MK_SEND_MSG_MAX ? MK_ERR_DATA : MK_ERR_IO,
			     "cannot read the message from standard input%s",
			     msg.len >= MK_SEND_MSG_MAX ? " (larger than 64 MiB)" : "");
		rc = mk_cli_fail(cli, "send", &err);
		goto out;
	}
	if (from_headers) {
		if (mk_msg_recipients(msg.data ? msg.data : "", msg.len, &hdr_rcpts) != 0 ||
		    mk_msg_strip_bcc(msg.data ? msg.data : "", msg.len, &stripped) != 0) {
			mk_error_set(&err, MK_ERR_DATA, "cannot read the message's header");
			rc = mk_cli_fail(cli, "send", &err);
			goto out;
		}
		for (char *p = hdr_rcpts.data, *nl; p != NULL && *p != '\0' && nrcpt < MK_SEND_RCPT_MAX;
		     p = nl + 1) {
			nl = strchr(p, '\n');
			*nl = '\0';
			rcpts[nrcpt++] = p;
		}
	}
	if (nrcpt == 0) {
		fprintf(stderr, "mailkey send: no recipients (name them, or use -t to read To/Cc/Bcc)\n");
		goto out;
	}
	if (mk_cli_broker(cli, &b, &err) != 0) {
		rc = mk_cli_fail(cli, "send", &err);
		goto out;
	}
	if (acct_name == NULL) {
		if (mk_broker_account_count(b) != 1) {
			fprintf(stderr,
				"mailkey send: %zu accounts are configured; choose one with --account\n",
				mk_broker_account_count(b));
			goto out;
		}
		acct_name = mk_broker_account_at(b, 0)->name;
	}
	if (mk_cli_smtp_login(cli, b, acct_name, &a, &smtp, &err) != 0) {
		rc = mk_cli_fail(cli, "send", &err);
		goto out;
	}
	if (from == NULL)
		from = a->user;
	if (from_headers)
		rc = mk_smtp_send(smtp, from, rcpts, nrcpt, stripped.data ? stripped.data : "", stripped.len,
				  NULL, &err);
	else
		rc = mk_smtp_send(smtp, from, rcpts, nrcpt, msg.data ? msg.data : "", msg.len, NULL, &err);
	rc = rc == 0 ? 0 : mk_cli_fail(cli, "send", &err);
out:
	mk_smtp_close(&smtp);
	mk_buf_free(&msg);
	mk_buf_free(&stripped);
	mk_buf_free(&hdr_rcpts);
	return rc;
}
