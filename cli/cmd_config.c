#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "broker/config/config.h"
#include "cli/cli.h"
#include "cli/cmd_util.h"
#include "gateway/gwconfig.h"

static const char help[] = "usage: mailkey config check\n\n"
			   "Validate the configuration file and name the file and line of every problem.\n";

int mk_cmd_config(struct mk_cli *cli, int argc, char **argv)
{
	struct mk_config *cfg = NULL;
	struct gw_config *gw = NULL;
	struct mk_buf problems;
	struct mk_error err;
	char *path;
	int rc;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	if (argc != 2 || strcmp(argv[1], "check") != 0) {
		if (argc >= 2 && strcmp(argv[1], "check") != 0)
			fprintf(stderr, "mailkey config: unknown subcommand '%s' (the one there is: check)\n",
				argv[1]);
		else if (argc > 2)
			fprintf(stderr, "mailkey config check: unexpected '%s'\n", argv[2]);
		fputs(help, stderr);
		return EX_USAGE;
	}
	path = cli->config_path != NULL ? strdup(cli->config_path) : mk_config_default_path();
	if (path == NULL)
		return EX_OSERR;
	mk_buf_init(&problems, 1 << 16);
	mk_error_init(&err);
	/* [gateway] is checked by gateway/, after the rest parsed (its
	 * listeners may name accounts). */
	if (mk_config_load(path, &problems, &cfg, &err) != 0 ||
	    gw_config_parse(cfg, &problems, &gw, &err) != 0) {
		if (problems.len > 0)
			fputs(mk_buf_str(&problems), stderr);
		else
			fprintf(stderr, "mailkey config: %s\n", err.msg);
		rc = mk_error_to_sysexit(err.cls);
	} else {
		printf("%s: OK, %zu account%s", path, mk_config_account_count(cfg),
		       mk_config_account_count(cfg) == 1 ? "" : "s");
		if (gw->n > 0)
			printf(", %zu gateway listener%s", gw->n, gw->n == 1 ? "" : "s");
		putchar('\n');
		rc = 0;
	}
	gw_config_free(&gw);
	mk_config_free(&cfg);
	mk_buf_free(&problems);
	free(path);
	return rc;
}
