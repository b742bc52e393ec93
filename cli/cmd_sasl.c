#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "cli/cmd_util.h"
#include "common/base64.h"
#include "common/secret.h"
#include "common/str.h"
#include "sasl-helper/mech.h"

static const char help[] =
	"usage: mailkey sasl ACCOUNT [--mech xoauth2|oauthbearer] [--host HOST --port PORT] [--raw]\n\n"
	"Print the base64 SASL initial response for ACCOUNT (a valid token, refreshed if due), for mail\n"
	"programs that want the whole string rather than the token. The mechanism defaults to the\n"
	"account's (the provider preset's).\n\n"
	"  --mech M     xoauth2 or oauthbearer instead of the account's mechanism\n"
	"  --host H --port P  OAUTHBEARER only: add host= and port= (the server the string is for);\n"
	"               give both or neither (RFC 7628 defines no default port)\n"
	"  --raw        print the decoded string, ^A shown as \\001 (debugging; it contains the token)\n";

int mk_cmd_sasl(struct mk_cli *cli, int argc, char **argv)
{
	const char *name = NULL, *mech_name = NULL;
	struct mk_sasl_creds creds = { 0 };
	const struct mk_sasl_mech *mech;
	const struct mk_account *a;
	struct mk_broker *b;
	struct mk_buf raw, b64;
	struct mk_error err;
	char *tok = NULL;
	bool want_raw = false;
	int rc = EX_USAGE;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--mech") == 0 && i + 1 < argc)
			mech_name = argv[++i];
		else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc)
			creds.host = argv[++i];
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			if (mk_str_to_uint(argv[++i], 65535, &creds.port) != 0 || creds.port == 0) {
				fprintf(stderr, "mailkey sasl: --port takes a number from 1 to 65535\n");
				return EX_USAGE;
			}
		} else if (strcmp(argv[i], "--raw") == 0)
			want_raw = true;
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else {
			fprintf(stderr, "mailkey sasl: unexpected '%s'\n%s", argv[i], help);
			return EX_USAGE;
		}
	}
	if (name == NULL) {
		fputs(help, stderr);
		return EX_USAGE;
	}
	if (mech_name != NULL && mk_sasl_mech_find(mech_name) == NULL) {
		fprintf(stderr, "mailkey sasl: unknown mechanism '%s' (xoauth2 or oauthbearer)\n", mech_name);
		return EX_USAGE;
	}
	/* host= without port= (or the reverse) is legal OAUTHBEARER, but the
	 * port depends on the protocol (993, 465, 587...), so no default is
	 * right; a lone one is almost always a forgotten option. */
	if ((creds.host != NULL) != (creds.port != 0)) {
		fprintf(stderr,
			"mailkey sasl: %s without %s: give both (the server's name and port, e.g. "
			"--host imap.example.org --port 993) or neither\n",
			creds.host != NULL ? "--host" : "--port", creds.host != NULL ? "--port" : "--host");
		return EX_USAGE;
	}
	mk_error_init(&err);
	if (mk_cli_broker(cli, &b, &err) != 0 || mk_broker_account(b, name, &a, &err) != 0)
		return mk_cli_fail(cli, "sasl", &err);
	mech = mech_name != NULL ? mk_sasl_mech_find(mech_name)
				 : (a->mech == MK_MECH_XOAUTH2 ? &mk_sasl_xoauth2 : &mk_sasl_oauthbearer);
	if (creds.host != NULL && mech == &mk_sasl_xoauth2) {
		fprintf(stderr, "mailkey sasl: XOAUTH2 has no host or port field: --host and --port apply to "
				"OAUTHBEARER only (use --mech oauthbearer, or leave them out)\n");
		return EX_USAGE;
	}
	if (mk_broker_token_for(b, name, false, &a, &tok, &err) != 0)
		return mk_cli_fail(cli, "sasl", &err);
	creds.user = a->user;
	creds.token = tok;
	mk_buf_init_secret(&raw, 64 * 1024);
	mk_buf_init_secret(&b64, 96 * 1024);
	if (mech->start(&creds, &raw, &err) != MK_SASL_OK) {
		rc = mk_cli_fail(cli, "sasl", &err);
		goto out;
	}
	if (want_raw) {
		for (size_t i = 0; i < raw.len; i++)
			if (raw.data[i] == '\x01')
				fputs("\\001", stdout);
			else
				fputc(raw.data[i], stdout);
		fputc('\n', stdout);
	} else {
		if (mk_base64_encode(raw.data, raw.len, &b64) != 0) {
			mk_error_set(&err, MK_ERR_INTERNAL, "out of memory");
			rc = mk_cli_fail(cli, "sasl", &err);
			goto out;
		}
		fputs(mk_buf_str(&b64), stdout);
		fputc('\n', stdout);
	}
	rc = fflush(stdout) == 0 ? 0 : EX_IOERR;
out:
	mk_buf_free(&raw);
	mk_buf_free(&b64);
	mk_secret_free_str(tok);
	return rc;
}
