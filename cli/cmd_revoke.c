#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "broker/oauth/oauth.h"
#include "cli/cli.h"
#include "cli/cmd_util.h"

static const char help[] = "usage: mailkey revoke ACCOUNT\n\n"
			   "Revoke ACCOUNT's grant at the provider (RFC 7009), then forget the tokens here.\n"
			   "Google revokes the grant for every client of the same Google Cloud project;\n"
			   "Microsoft has no revocation endpoint, so only the local tokens are deleted.\n";

int mk_cmd_revoke(struct mk_cli *cli, int argc, char **argv)
{
	struct mk_broker *b;
	const struct mk_account *a;
	struct mk_oauth_params op = { 0 };
	struct mk_tokens t = { 0 };
	struct mk_error err;
	int found;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	if (argc != 2 || argv[1][0] == '-') {
		fputs(help, stderr);
		return EX_USAGE;
	}
	mk_error_init(&err);
	if (mk_cli_broker(cli, &b, &err) != 0 || mk_broker_account(b, argv[1], &a, &err) != 0 ||
	    (found = mk_broker_load_tokens(b, argv[1], &t, &err)) < 0)
		return mk_cli_fail(cli, "revoke", &err);
	if (found == 1) {
		fprintf(stderr, "Account %s has no stored tokens; nothing to revoke.\n", argv[1]);
		return 0;
	}
	if (strcmp(a->provider, "google") == 0)
		fprintf(stderr,
			"Note: Google revokes this grant for every client of the Google Cloud project.\n");
	op.acct = a;
	if (mk_oauth_revoke(&op, &t, &err) != 0) {
		mk_tokens_clear(&t);
		if (err.cls != MK_ERR_IMPL)
			return mk_cli_fail(cli, "revoke", &err);
		fprintf(stderr,
			"%s; only the tokens on this machine are deleted. Remove the app's access in your "
			"account's security settings to end the grant.\n",
			err.msg);
	} else {
		fprintf(stderr, "Revoked the grant of account %s at the provider.\n", argv[1]);
	}
	mk_tokens_clear(&t);
	if (mk_broker_forget_tokens(b, argv[1], &err) != 0)
		return mk_cli_fail(cli, "revoke", &err);
	return 0;
}
