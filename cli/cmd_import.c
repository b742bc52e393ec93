/* `mailkey import ACCOUNT`: take over a grant another tool holds (its token
 * file on stdin), so moving to mailkey needs no new consent. The formats are
 * parsed by import_fmt.c; this file reads stdin, checks the account and
 * stores through the broker like a login does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "broker/oauth/flow.h"
#include "cli/cli.h"
#include "cli/cmd_util.h"
#include "cli/import_fmt.h"
#include "common/log.h"
#include "common/secret.h"

static const char help[] =
	"usage: mailkey import ACCOUNT [--format json|mutt_oauth2|sasl-xoauth2] [--force] < TOKENFILE\n\n"
	"Store tokens that another program obtained, read as JSON from standard input (never\n"
	"from the command line), so the grant moves over without a new consent.\n\n"
	"  --format F  json (default): a token endpoint's answer: access_token, refresh_token,\n"
	"              expires_in or expires_at, scope, token_type;\n"
	"              mutt_oauth2: mutt_oauth2.py's token file, decrypted\n"
	"              (gpg -d FILE | mailkey import ACCOUNT --format mutt_oauth2);\n"
	"              sasl-xoauth2: the sasl-xoauth2 plugin's token file\n"
	"  --force     replace tokens already stored for ACCOUNT (without it: exit 73)\n\n"
	"The refresh token only works with the client it was issued to: the account's\n"
	"client_id must be the one the other program used. Malformed input: exit 65, the\n"
	"store untouched.\n";

static int64_t local_mktime(struct tm *tm)
{
	return (int64_t)mktime(tm);
}

/* All of stdin up to MK_IMPORT_MAX_INPUT + 1 bytes (so an oversized input is
 * seen as such) into a heap buffer of cap bytes that the caller wipes. */
static int read_stdin(char **buf_r, size_t *cap_r, size_t *len_r, struct mk_error *err)
{
	size_t cap = MK_IMPORT_MAX_INPUT + 1, len = 0;
	char *buf = malloc(cap);
	ssize_t n;

	*buf_r = buf;
	*cap_r = cap;
	*len_r = 0;
	if (buf == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	while (len < cap) {
		n = read(0, buf + len, cap - len);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mk_error_errno(err, MK_ERR_IO, errno, "cannot read the token file from stdin");
		len += (size_t)n;
	}
	*len_r = len;
	return 0;
}

/* Say where the input disagrees with the account: the refresh will go to
 * the account's endpoint as its client, and a grant of another client or
 * user fails there (or logs into the wrong mailbox). */
static void warn_mismatch(const struct mk_account *a, const struct mk_import *im, const char *endpoint)
{
	if (im->client_id != NULL && a->client_id != NULL && strcmp(im->client_id, a->client_id) != 0)
		fprintf(stderr,
			"mailkey import: warning: the tokens were issued to client_id %.200s, account %s "
			"uses %.200s: the refresh will fail unless they are the same client (set client_id "
			"in the config)\n",
			im->client_id, a->name, a->client_id);
	if (im->token_endpoint != NULL && endpoint != NULL && strcmp(im->token_endpoint, endpoint) != 0)
		fprintf(stderr,
			"mailkey import: warning: the input refreshes at %.300s, account %s at %.300s: "
			"refreshes go to the account's endpoint\n",
			im->token_endpoint, a->name, endpoint);
	if (im->user != NULL && a->user != NULL && strcasecmp(im->user, a->user) != 0)
		fprintf(stderr,
			"mailkey import: warning: the tokens are for %.200s, account %s logs in as "
			"%.200s\n",
			im->user, a->name, a->user);
	if (im->registration != NULL && a->provider != NULL && strcmp(a->provider, "generic") != 0 &&
	    strcmp(im->registration, a->provider) != 0)
		fprintf(stderr,
			"mailkey import: warning: the mutt_oauth2 registration is %.64s, account %s's "
			"provider is %.64s\n",
			im->registration, a->name, a->provider);
}

int mk_cmd_import(struct mk_cli *cli, int argc, char **argv)
{
	enum mk_import_format fmt = MK_IMPORT_JSON;
	const char *name = NULL, *fname;
	struct mk_broker *b;
	const struct mk_account *a;
	struct mk_oauth_params op = { 0 };
	struct mk_endpoints ep = { 0 };
	struct mk_import im = { 0 };
	struct mk_tokens cur = { 0 };
	struct mk_error err;
	bool force = false;
	char *buf = NULL;
	size_t cap = 0, len = 0;
	int rc = EX_USAGE, found;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	for (int i = 1; i < argc; i++) {
		fname = NULL;
		if (strcmp(argv[i], "--force") == 0)
			force = true;
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			fname = argv[++i];
		else if (strncmp(argv[i], "--format=", 9) == 0)
			fname = argv[i] + 9;
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else {
			fprintf(stderr, "mailkey import: unexpected '%.64s' (tokens go on stdin)\n%s",
				argv[i], help);
			return EX_USAGE;
		}
		if (fname != NULL && mk_import_format_parse(fname, &fmt) != 0) {
			fprintf(stderr,
				"mailkey import: unknown --format '%.64s': use json, mutt_oauth2 or "
				"sasl-xoauth2\n",
				fname);
			return EX_USAGE;
		}
	}
	if (name == NULL) {
		fputs(help, stderr);
		return EX_USAGE;
	}
	mk_error_init(&err);
	if (mk_cli_broker(cli, &b, &err) != 0 || mk_broker_account(b, name, &a, &err) != 0)
		return mk_cli_fail(cli, "import", &err);
	/* Checked before reading: the store is not touched in any case. */
	found = mk_broker_load_tokens(b, name, &cur, &err);
	mk_tokens_clear(&cur);
	if (found < 0)
		return mk_cli_fail(cli, "import", &err);
	if (found == 0 && !force) {
		fprintf(stderr,
			"mailkey import: account %s already has tokens stored: nothing was changed; add "
			"--force to replace them (or `%s logout %s` first)\n",
			name, mk_hint_cmd(), name);
		return EX_CANTCREAT;
	}
	if (isatty(0))
		fprintf(stderr, "mailkey import: reading the %s token file from stdin (end with Ctrl-D)\n",
			fmt == MK_IMPORT_JSON	       ? "JSON"
			: fmt == MK_IMPORT_MUTT_OAUTH2 ? "mutt_oauth2"
						       : "sasl-xoauth2");
	if (read_stdin(&buf, &cap, &len, &err) != 0 ||
	    mk_import_parse(fmt, buf, len, (int64_t)time(NULL), local_mktime, &im, &err) != 0) {
		mk_error_prefix(&err, "account %s: nothing was stored", name);
		rc = mk_cli_fail(cli, "import", &err);
		goto out;
	}
	mk_log_register_secret(im.tokens.access_token);
	mk_log_register_secret(im.tokens.refresh_token);
	/* Refreshes go where a login's would: the account's token endpoint,
	 * discovered from its issuer when the config names none. */
	op.acct = a;
	if (mk_endpoints_resolve(&op, &ep, &err) != 0 || ep.token == NULL) {
		if (err.cls == MK_ERR_NONE)
			mk_error_set(&err, MK_ERR_CONFIG, "account %s has no token endpoint", name);
		mk_error_prefix(&err, "account %s: nothing was stored", name);
		rc = mk_cli_fail(cli, "import", &err);
		goto out;
	}
	warn_mismatch(a, &im, ep.token);
	if (mk_oauth_stamp(&im.tokens, &ep, NULL) != 0) {
		mk_error_set(&err, MK_ERR_INTERNAL, "out of memory");
		rc = mk_cli_fail(cli, "import", &err);
		goto out;
	}
	if (mk_broker_save_tokens(b, name, &im.tokens, &err) != 0) {
		rc = mk_cli_fail(cli, "import", &err);
		goto out;
	}
	fprintf(stderr, "Imported the tokens of account %s: access token %s%s.\n", name,
		im.expired ? "expired (it is refreshed on first use)" : "valid",
		im.tokens.refresh_token != NULL
			? ", refresh token stored"
			: "; NO refresh token, so you will have to log in when it expires");
	rc = 0;
out:
	mk_endpoints_free(&ep);
	mk_import_clear(&im);
	mk_secret_free(buf, cap);
	return rc;
}
