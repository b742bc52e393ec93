#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "broker/config/config.h"
#include "cli/cli.h"
#include "cli/cmd_util.h"

static const char help[] =
	"usage: mailkey accounts [--json | --names]\n\nList the configured accounts with provider, user "
	"and mail servers.\n\n"
	"  --json   a JSON array of {account, provider, user, mech}\n"
	"  --names  only the names, one a line (for shell completion): reads the configuration\n"
	"           and nothing else, prints nothing when there are no accounts\n";

/* --names: only the configuration is read (no store, no key_command), so a
 * shell's completion can run it on every Tab. */
static int names(struct mk_cli *cli)
{
	char *path = cli->config_path != NULL ? strdup(cli->config_path) : mk_config_default_path();
	struct mk_config *cfg = NULL;
	struct mk_error err;
	int rc = 0;

	mk_error_init(&err);
	if (path == NULL) {
		fprintf(stderr, "mailkey accounts: out of memory\n");
		return EX_OSERR;
	}
	if (mk_config_load_names(path, NULL, &cfg, &err) != 0)
		rc = mk_cli_fail(cli, "accounts", &err);
	for (size_t i = 0; rc == 0 && i < mk_config_account_count(cfg); i++)
		puts(mk_config_account_at(cfg, i)->name);
	if (rc == 0 && fflush(stdout) != 0)
		rc = EX_IOERR;
	mk_config_free(&cfg);
	free(path);
	return rc;
}

static void server(const char *what, const struct mk_mail_endpoint *e)
{
	if (e->host != NULL)
		printf("  %s %s:%u (%s)", what, e->host, e->port,
		       e->tls == MK_TLS_STARTTLS ? "STARTTLS" : "TLS");
}

int mk_cmd_accounts(struct mk_cli *cli, int argc, char **argv)
{
	struct mk_broker *b;
	struct mk_error err;
	json_t *arr;
	bool only_names = false;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--names") == 0)
			only_names = true;
		else if (strcmp(argv[i], "--json") == 0)
			cli->json = true;
		else {
			fprintf(stderr, "mailkey accounts: unexpected '%s'\n%s", argv[i], help);
			return EX_USAGE;
		}
	}
	if (only_names)
		return names(cli);
	mk_error_init(&err);
	if (mk_cli_broker(cli, &b, &err) != 0)
		return mk_cli_fail(cli, "accounts", &err);
	if (mk_broker_account_count(b) == 0 && !cli->json) {
		char *path = cli->config_path != NULL ? strdup(cli->config_path) : mk_config_default_path();
		/* An empty list is a true answer (exit 0), but say so. */
		fprintf(stderr,
			"mailkey accounts: no accounts configured in %s: add an [account NAME] section "
			"(see `man mailkey`, section CONFIGURATION)\n",
			path != NULL ? path : "the configuration file");
		free(path);
		return 0;
	}
	arr = cli->json ? json_array() : NULL;
	for (size_t i = 0; i < mk_broker_account_count(b); i++) {
		const struct mk_account *a = mk_broker_account_at(b, i);
		if (arr != NULL) {
			json_array_append_new(
				arr, json_pack("{s:s, s:s, s:s, s:s}", "account", a->name, "provider",
					       a->provider, "user", a->user, "mech",
					       a->mech == MK_MECH_XOAUTH2 ? "xoauth2" : "oauthbearer"));
			continue;
		}
		printf("%s: %s, %s, %s", a->name, a->provider, a->user,
		       a->mech == MK_MECH_XOAUTH2 ? "XOAUTH2" : "OAUTHBEARER");
		server("imap", &a->imap);
		server("smtp", &a->smtp);
		server("pop3", &a->pop3);
		putchar('\n');
	}
	if (arr != NULL) {
		char *s = json_dumps(arr, JSON_INDENT(2));
		if (s != NULL)
			puts(s);
		free(s);
		json_decref(arr);
	}
	return 0;
}
