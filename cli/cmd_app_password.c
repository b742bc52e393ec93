/* mailkey app-password add|list|revoke: the gateway's local credentials
 * (gateway/apppass.h). The password is printed once, alone on stdout, and
 * never anywhere else. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "broker/store/store.h"
#include "cli/cli.h"
#include "cli/cmd_util.h"
#include "common/log.h"
#include "common/secret.h"
#include "common/sighold.h"
#include "gateway/apppass.h"

static const char help[] =
	"usage: mailkey app-password add ACCOUNT NAME\n"
	"       mailkey app-password list [ACCOUNT] [--json]\n"
	"       mailkey app-password revoke ACCOUNT NAME\n\n"
	"Passwords for programs that cannot do OAuth (scanners, fetchmail, old mail clients),\n"
	"to log in through `mailkey gateway`. They are not the account's password and\n"
	"mailkey keeps only a verifier of each.\n\n"
	"  add ACCOUNT NAME      make a new random password for ACCOUNT, named NAME (letters,\n"
	"                        digits, '.', '_', '-'); printed once on stdout, never again\n"
	"  list [ACCOUNT]        name, account, creation and last use of every password\n"
	"  --json                list: a JSON array (created, last_used: Unix seconds or null)\n"
	"  revoke ACCOUNT NAME   remove one; a running gateway closes its sessions\n";

static const char help_add[] =
	"usage: mailkey app-password add ACCOUNT NAME\n\n"
	"Make a new random app password for ACCOUNT (an account of the configuration) and\n"
	"print it once on stdout. NAME says which program uses it (\"scanner\", \"fetchmail\"):\n"
	"1 to 64 letters, digits, '.', '_' or '-', unique per account. Give the program the\n"
	"account's user name (or the account's name) and this password.\n";

static const char help_list[] =
	"usage: mailkey app-password list [ACCOUNT] [--json]\n\n"
	"Show every app password (or ACCOUNT's): account, name, when it was created\n"
	"and when it was last used. Never the passwords themselves.\n"
	"  --json  a JSON array of {account, name, created, last_used}, times in Unix\n"
	"          seconds, last_used null when never used\n";

static const char help_revoke[] =
	"usage: mailkey app-password revoke ACCOUNT NAME\n\n"
	"Remove ACCOUNT's app password NAME. A running gateway closes the sessions\n"
	"that logged in with it; the account's tokens are not touched.\n";

static char *state_dir(const struct mk_cli *cli)
{
	return cli->state_dir != NULL && *cli->state_dir != '\0' ? strdup(cli->state_dir)
								 : mk_store_default_dir();
}

static int usage_fail(const char *sub, const char *what, const char *arg, const char *text)
{
	fprintf(stderr, "mailkey app-password%s%s: %s%s%s\n%s", sub != NULL ? " " : "",
		sub != NULL ? sub : "", what, arg != NULL ? " " : "", arg != NULL ? arg : "", text);
	return EX_USAGE;
}

static int nomem(struct mk_cli *cli)
{
	struct mk_error err;

	mk_error_set(&err, MK_ERR_INTERNAL, "out of memory");
	return mk_cli_fail(cli, "app-password", &err);
}

static int cmd_add(struct mk_cli *cli, int argc, char **argv)
{
	const struct mk_account *a = NULL;
	struct mk_broker *b;
	struct mk_error err;
	char *pw = NULL, *dir = NULL;
	int rc, out_failed;

	if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-')
		return usage_fail("add", "expected ACCOUNT NAME", NULL, help_add);
	mk_error_init(&err);
	/* The account must exist: a password for a typo would never work. */
	if (mk_cli_broker(cli, &b, &err) != 0 || mk_broker_account(b, argv[1], &a, &err) != 0)
		return mk_cli_fail(cli, "app-password add", &err);
	if ((dir = state_dir(cli)) == NULL)
		return nomem(cli);
	/* SIGINT/SIGTERM wait until the password is both stored and printed:
	 * a password that is stored must have been shown, or be taken back. */
	mk_sig_hold();
	if (gw_apppass_add(dir, argv[1], argv[2], &pw, &err) != 0) {
		mk_sig_release();
		free(dir);
		return mk_cli_fail(cli, "app-password add", &err);
	}
	mk_log_register_secret(pw);
	out_failed = printf("%s\n", pw) < 0;
	out_failed |= fflush(stdout) != 0 || ferror(stdout);
	mk_secret_free_str(pw);
	if (out_failed) {
		struct mk_error e2;
		mk_error_init(&e2);
		/* Nobody saw it: keep no password that nobody can know. */
		if (gw_apppass_revoke(dir, argv[1], argv[2], &e2) == 0)
			mk_error_set(
				&err, MK_ERR_IO,
				"cannot write the password to stdout, so it was not kept: run the command "
				"again with stdout on a terminal or a file");
		else
			mk_error_set(
				&err, MK_ERR_IO,
				"cannot write the password to stdout, and removing it again failed (%s): run "
				"`%s app-password revoke %s %s`, then add it again",
				e2.msg, mk_hint_cmd(), argv[1], argv[2]);
		mk_sig_release();
		free(dir);
		return mk_cli_fail(cli, "app-password add", &err);
	}
	mk_sig_release();
	fprintf(stderr,
		"mailkey: app password '%s' added for account %s. Give the program the user name %s and the "
		"password above; it is not shown again (`%s app-password revoke %s %s` removes it).\n",
		argv[2], a->name, a->user != NULL && *a->user != '\0' ? a->user : a->name, mk_hint_cmd(),
		a->name, argv[2]);
	rc = 0;
	free(dir);
	return rc;
}

static void when(char *buf, size_t size, time_t t)
{
	struct tm tm;

	if (t == 0 || localtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, size, "%s", t == 0 ? "never" : "?");
}

static int print_json(const struct gw_apppass_info *v, size_t n)
{
	json_t *arr = json_array();
	char *s = NULL;
	int rc = -1;

	if (arr == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:I, s:o}", "account", v[i].account, "name", v[i].name,
				      "created", (json_int_t)v[i].created, "last_used",
				      v[i].last_used != 0 ? json_integer((json_int_t)v[i].last_used)
							  : json_null());
		if (o == NULL || json_array_append_new(arr, o) != 0)
			goto out;
	}
	if ((s = json_dumps(arr, JSON_INDENT(2))) == NULL)
		goto out;
	rc = puts(s) < 0 ? -1 : 0;
out:
	free(s);
	json_decref(arr);
	return rc;
}

static void print_table(const struct gw_apppass_info *v, size_t n)
{
	int wa = (int)strlen("ACCOUNT"), wn = (int)strlen("NAME");
	char c[64], u[64];

	for (size_t i = 0; i < n; i++) {
		int la = (int)strlen(v[i].account), ln = (int)strlen(v[i].name);
		wa = la > wa ? la : wa;
		wn = ln > wn ? ln : wn;
	}
	printf("%-*s  %-*s  %-16s  %s\n", wa, "ACCOUNT", wn, "NAME", "CREATED", "LAST USED");
	for (size_t i = 0; i < n; i++) {
		when(c, sizeof(c), v[i].created);
		when(u, sizeof(u), v[i].last_used);
		printf("%-*s  %-*s  %-16s  %s\n", wa, v[i].account, wn, v[i].name, c, u);
	}
}

static int cmd_list(struct mk_cli *cli, int argc, char **argv)
{
	struct gw_apppass_info *v = NULL;
	const char *account = NULL;
	struct mk_error err;
	char *dir = NULL;
	size_t n = 0;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			cli->json = true;
		else if (argv[i][0] == '-')
			return usage_fail("list", "unknown option", argv[i], help_list);
		else if (account == NULL)
			account = argv[i];
		else
			return usage_fail("list", "unexpected", argv[i], help_list);
	}
	mk_error_init(&err);
	if ((dir = state_dir(cli)) == NULL)
		return nomem(cli);
	rc = gw_apppass_list(dir, account, &v, &n, &err);
	free(dir);
	if (rc != 0)
		return mk_cli_fail(cli, "app-password list", &err);
	if (cli->json) {
		rc = print_json(v, n);
	} else if (n == 0) {
		fprintf(stderr,
			"mailkey app-password list: no app passwords%s%s: `%s app-password add %s NAME` "
			"makes one\n",
			account != NULL ? " for account " : "", account != NULL ? account : "", mk_hint_cmd(),
			account != NULL ? account : "ACCOUNT");
	} else {
		print_table(v, n);
	}
	free(v);
	if (rc != 0 || fflush(stdout) != 0) {
		mk_error_set(&err, MK_ERR_IO, "cannot write the list to stdout");
		return mk_cli_fail(cli, "app-password list", &err);
	}
	return 0;
}

static int cmd_revoke(struct mk_cli *cli, int argc, char **argv)
{
	struct mk_error err;
	char *dir;
	int rc;

	if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-')
		return usage_fail("revoke", "expected ACCOUNT NAME", NULL, help_revoke);
	mk_error_init(&err);
	if ((dir = state_dir(cli)) == NULL)
		return nomem(cli);
	/* No check against the configuration: an account that is gone from it
	 * may still have passwords to remove. */
	mk_sig_hold();
	rc = gw_apppass_revoke(dir, argv[1], argv[2], &err);
	mk_sig_release();
	free(dir);
	if (rc != 0)
		return mk_cli_fail(cli, "app-password revoke", &err);
	fprintf(stderr, "mailkey: app password '%s' of account %s revoked.\n", argv[2], argv[1]);
	return 0;
}

int mk_cmd_app_password(struct mk_cli *cli, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct mk_cli *, int, char **);
		const char *help;
	} subs[] = {
		{ "add", cmd_add, help_add },
		{ "list", cmd_list, help_list },
		{ "revoke", cmd_revoke, help_revoke },
	};

	if (argc < 2)
		return usage_fail(NULL, "expected add, list or revoke", NULL, help);
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name) != 0)
			continue;
		if (mk_cli_wants_help(argc - 1, argv + 1, subs[i].help))
			return 0;
		return subs[i].fn(cli, argc - 1, argv + 1);
	}
	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	return usage_fail(NULL, "unknown subcommand", argv[1], help);
}
