#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "broker/oauth/oauth.h"
#include "cli/cli.h"
#include "cli/cmd_util.h"
#include "common/sighold.h"
#include "common/str.h"

static const char help[] =
	"usage: mailkey login ACCOUNT [--no-browser | --device | --manual] [--timeout SECONDS]\n\n"
	"Sign in once and store the account's tokens, encrypted.\n\n"
	"  (default)     open your browser ($BROWSER or xdg-open) and wait for the answer on 127.0.0.1\n"
	"  --no-browser  print the address to open instead of opening a browser\n"
	"  --device      device flow: enter a code on another device (not offered by Google for mail)\n"
	"  --manual      paste the address the browser ends up on (for machines without a browser)\n"
	"  --timeout S   how long to wait for consent (default 300)\n";

int mk_cmd_login(struct mk_cli *cli, int argc, char **argv)
{
	enum mk_login_mode mode = MK_LOGIN_BROWSER;
	const char *name = NULL;
	struct mk_broker *b;
	const struct mk_account *a;
	struct mk_oauth_params op = { 0 };
	struct mk_tokens t = { 0 };
	struct mk_error err;
	unsigned wait_s = 300;
	int rc;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-browser") == 0)
			mode = MK_LOGIN_NO_BROWSER;
		else if (strcmp(argv[i], "--device") == 0)
			mode = MK_LOGIN_DEVICE;
		else if (strcmp(argv[i], "--manual") == 0)
			mode = MK_LOGIN_MANUAL;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			if (mk_str_to_uint(argv[++i], 86400, &wait_s) != 0 || wait_s == 0) {
				fprintf(stderr, "mailkey login: --timeout takes seconds from 1 to 86400\n");
				return EX_USAGE;
			}
		} else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else {
			fprintf(stderr, "mailkey login: unexpected '%s'\n%s", argv[i], help);
			return EX_USAGE;
		}
	}
	if (name == NULL) {
		fputs(help, stderr);
		return EX_USAGE;
	}
	mk_error_init(&err);
	if (mk_cli_broker(cli, &b, &err) != 0 || mk_broker_account(b, name, &a, &err) != 0)
		return mk_cli_fail(cli, "login", &err);
	/* Before any browser or code: a store that cannot take the tokens
	 * would throw away the person's consent at the end. */
	if (mk_broker_check_store(b, &err) != 0) {
		mk_error_prefix(
			&err, "account %s: nothing was started because the tokens could not be stored", name);
		return mk_cli_fail(cli, "login", &err);
	}
	op.acct = a;
	op.wait_s = wait_s;
	op.progress = stderr;
	op.progress_is_tty = isatty(2);
	/* Signals are deferred from the code exchange until the tokens are
	 * stored (flow.h); they act once that is done. */
	if (mk_oauth_login(&op, mode, &t, &err) != 0 || mk_broker_save_tokens(b, name, &t, &err) != 0) {
		mk_tokens_clear(&t);
		/* 77 promises the command that helps (mailkey(1), EXIT STATUS). */
		if (mk_error_to_sysexit(err.cls) == EX_NOPERM)
			mk_error_login_hint(&err, name);
		mk_sig_release();
		return mk_cli_fail(cli, "login", &err);
	}
	mk_sig_release();
	fprintf(stderr, "Logged in: account %s, scope %s", name, t.scope ? t.scope : "(not reported)");
	if (t.expires_at > 0)
		fprintf(stderr, ", access token valid for %lld s",
			(long long)(t.expires_at - (int64_t)time(NULL)));
	fprintf(stderr, "%s.\n",
		t.refresh_token
			? ""
			: "; NO refresh token was issued, so you will have to log in again when it expires");
	rc = 0;
	mk_tokens_clear(&t);
	return rc;
}
