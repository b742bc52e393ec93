#include <stdio.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "cli/cmd_util.h"

static const char help[] = "usage: mailkey logout ACCOUNT\n\n"
			   "Forget ACCOUNT's tokens on this machine. The grant stays valid at the provider\n"
			   "(see `mailkey revoke` to end it there).\n";

int mk_cmd_logout(struct mk_cli *cli, int argc, char **argv)
{
	struct mk_broker *b;
	const struct mk_account *a;
	struct mk_error err;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	if (argc != 2 || argv[1][0] == '-') {
		fputs(help, stderr);
		return EX_USAGE;
	}
	mk_error_init(&err);
	if (mk_cli_broker(cli, &b, &err) != 0 || mk_broker_account(b, argv[1], &a, &err) != 0 ||
	    mk_broker_forget_tokens(b, argv[1], &err) != 0)
		return mk_cli_fail(cli, "logout", &err);
	fprintf(stderr, "Forgot the tokens of account %s on this machine.\n", argv[1]);
	return 0;
}
