#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "broker/policy.h"
#include "cli/cli.h"
#include "cli/cmd_util.h"
#include "common/log.h"
#include "common/secret.h"

static const char help[] =
	"usage: mailkey token ACCOUNT [--refresh]\n\n"
	"Print a valid access token for ACCOUNT on standard output, refreshing it first when\n"
	"less than the refresh margin is left (default 600 s, at most half its lifetime).\n"
	"For msmtp `passwordeval`, mbsync `PassCmd`, mutt and others.\n\n"
	"  --refresh   refresh now even if the token looks valid (a server just rejected it)\n\n"
	"When a refresh fails for a passing reason (network, timeout, HTTP 408/429/5xx) and the\n"
	"current token has not expired, it is printed with a warning on standard error (exit 0).\n"
	"Exit status: 0 a token was printed; 75 no valid token now, try later; 77 the grant is\n"
	"gone, run `mailkey login ACCOUNT`; 78 configuration; 64 usage.\n";

/* After a forced refresh failed for a passing reason: the stored token, if
 * it has not expired. A caller that asked for --refresh still gets a token
 * that may work (only the server knows whether it rejects it), and 75 only
 * when there is none. Heap secret, or NULL. */
static char *still_valid(struct mk_broker *b, const char *name, long *left_r)
{
	struct mk_tokens t = { 0 };
	struct mk_error e;
	int64_t now = (int64_t)time(NULL);
	char *tok = NULL;

	if (mk_broker_load_tokens(b, name, &t, &e) == 0 && t.access_token != NULL && !t.needs_consent &&
	    !mk_policy_is_expired(now, t.expires_at)) {
		tok = strdup(t.access_token);
		*left_r = (long)(t.expires_at - now);
	}
	mk_tokens_clear(&t);
	return tok;
}

int mk_cmd_token(struct mk_cli *cli, int argc, char **argv)
{
	const char *name = NULL;
	bool force = false;
	struct mk_broker *b;
	struct mk_error err;
	char *tok = NULL;
	long left = 0;

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
	if (mk_cli_broker(cli, &b, &err) != 0)
		return mk_cli_fail(cli, "token", &err);
	if (mk_broker_token(b, name, force, &tok, &err) != 0) {
		if (!force || mk_error_to_sysexit(err.cls) != EX_TEMPFAIL ||
		    (tok = still_valid(b, name, &left)) == NULL)
			return mk_cli_fail(cli, "token", &err);
		mk_log_register_secret(tok);
		mk_log(MK_LOG_WARN, "%s; printing the current token, which is valid for %ld s more", err.msg,
		       left);
	}
	fputs(tok, stdout);
	fputc('\n', stdout);
	mk_secret_free_str(tok);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}
