#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cmd_util.h"
#include "common/secret.h"

static const char help[] =
	"usage: mailkey refresh ACCOUNT\n\n"
	"Refresh ACCOUNT's access token now and store the result (a rotated refresh token is\n"
	"stored before anything else happens). Prints nothing on success.\n";

int mk_cmd_refresh(struct mk_cli *cli, int argc, char **argv)
{
	struct mk_broker *b;
	struct mk_error err;
	char *tok = NULL;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	if (argc != 2 || argv[1][0] == '-') {
		fputs(help, stderr);
		return EX_USAGE;
	}
	mk_error_init(&err);
	if (mk_cli_broker(cli, &b, &err) != 0 || mk_broker_token(b, argv[1], true, &tok, &err) != 0)
		return mk_cli_fail(cli, "refresh", &err);
	mk_secret_free_str(tok);
	return 0;
}
