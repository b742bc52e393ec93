/* mailkey append: put a message into an IMAP mailbox (a copy in Sent, a
 * draft, an import), read whole from standard input first. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "cli/cmd_util.h"
#include "cli/mail_login.h"

static const char help[] =
	"usage: mailkey append ACCOUNT [--mailbox M] < message\n\n"
	"Store the message on standard input in IMAP mailbox M (default INBOX) of ACCOUNT,\n"
	"logging in with its OAuth token. Exit 0 only when the server confirmed it.\n";

int mk_cmd_append(struct mk_cli *cli, int argc, char **argv)
{
	const char *name = NULL, *mailbox = "INBOX";
	const struct mk_account *a;
	struct mk_broker *b;
	struct mk_imap *imap = NULL;
	struct mk_buf msg;
	struct mk_error err;
	char chunk[65536];
	size_t n;
	int rc;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--mailbox") == 0 && i + 1 < argc)
			mailbox = argv[++i];
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else {
			fprintf(stderr, "mailkey append: unexpected '%s'\n%s", argv[i], help);
			return EX_USAGE;
		}
	}
	if (name == NULL) {
		fputs(help, stderr);
		return EX_USAGE;
	}
	mk_error_init(&err);
	mk_buf_init(&msg, (size_t)64 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (mk_buf_add(&msg, chunk, n) != 0) {
			mk_error_set(&err, MK_ERR_DATA, "the message is larger than 64 MiB");
			goto fail;
		}
	if (ferror(stdin) || msg.len == 0) {
		mk_error_set(&err, msg.len == 0 ? MK_ERR_DATA : MK_ERR_IO, "no message on standard input");
		goto fail;
	}
	if (mk_cli_broker(cli, &b, &err) != 0 || mk_cli_imap_login(cli, b, name, &a, &imap, &err) != 0 ||
	    mk_imap_append(imap, mailbox, msg.data, msg.len, &err) != 0)
		goto fail;
	fprintf(stderr, "Stored the message (%zu bytes) in %s of account %s.\n", msg.len, mailbox, name);
	rc = 0;
	goto out;
fail:
	rc = mk_cli_fail(cli, "append", &err);
out:
	mk_imap_close(&imap);
	mk_buf_free(&msg);
	return rc;
}
