#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "broker/cli/cli.h"
#include "broker/cli/cmd_util.h"
#include "common/secret.h"

static const char help[] =
	"usage: mailkey token ACCOUNT [--refresh]\n\n"
	"Print a valid access token for ACCOUNT on standard output, refreshing it first when\n"
	"less than the refresh margin is left (default 600 s, at most half its lifetime).\n"
	"For msmtp `passwordeval`, mbsync `PassCmd`, mutt and others.\n\n"
	"  --refresh   refresh now even if the token looks valid (a server just rejected it)\n";

int mk_cmd_token(struct mk_cli *cli, int argc, char **argv)
{
	const char *name = NULL;
	bool force = false;
	struct mk_broker *b;
	struct mk_error err;
	char *tok = NULL;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--refresh") == 0)
			force = true;
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else {
			fprintf(stderr, "mailkey token: unexpected '%s'\n%s", argv[i], help);
			return EX_USAGE;
		}
	}
	if (name == NULL) {
		fputs(help, stderr);
		return EX_USAGE;
	}
	mk_error_init(&err);
	if (mk_cli_broker(cli, &b, &err) != 0 || mk_broker_token(b, name, force, &tok, &err) != 0)
		return mk_cli_fail(cli, "token", &err);
	fputs(tok, stdout);
	fputc('\n', stdout);
	mk_secret_free_str(tok);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}
