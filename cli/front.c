/* mailkey: the front end every mail program calls.
 *
 * `mailkey token ACCOUNT` runs on every mail connection (msmtp passwordeval,
 * mbsync PassCmd), so it must cost about as much as `cat`. This program
 * links no network library: it reads the one account's record (whatever the
 * number of accounts stored) and prints a token that is not due for refresh.
 * A token that is due (or missing) comes from `mailkey daemon` when one
 * runs, since the daemon owns refreshes then; anything else (a refresh with
 * no daemon, every other command) is handed to mailkey-core with the same
 * arguments by execv. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "broker/client/client.h"
#include "broker/config/config.h"
#include "broker/daemon/proto.h"
#include "broker/policy.h"
#include "broker/store/store.h"
#include "common/base64.h"
#include "common/error.h"
#include "common/secret.h"
#include "sasl-helper/mech.h"

static void exec_core(char **argv)
{
	const char *env = getenv("MAILKEY_CORE");
	char self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n;

	if (env != NULL && *env != '\0') {
		execv(env, argv);
		fprintf(stderr, "mailkey: cannot run $MAILKEY_CORE (%s): %s\n", env, strerror(errno));
		exit(EX_UNAVAILABLE);
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash != NULL) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/mailkey-core", self);
			execv(path, argv);
		}
	}
	execv(MK_LIBEXECDIR "/mailkey-core", argv);
	fprintf(stderr, "mailkey: cannot find mailkey-core next to this program or in %s: %s\n",
		MK_LIBEXECDIR, strerror(errno));
	exit(EX_UNAVAILABLE);
}

/* `sasl ACCOUNT [--mech M]` is served here too; its other options (--host,
 * --port, --raw, --help) are left to mailkey-core's cmd_sasl. 0 when argv
 * (starting at the verb) is that simple form. */
static int parse_sasl(int argc, char **argv, const char **name, const struct mk_sasl_mech **mech)
{
	if (strcmp(argv[0], "sasl") != 0)
		return -1;
	*name = NULL;
	*mech = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--mech") == 0 && i + 1 < argc && *mech == NULL) {
			/* An unknown name is core's to report. */
			if ((*mech = mk_sasl_mech_find(argv[++i])) == NULL)
				return -1;
		} else if (argv[i][0] != '-' && *name == NULL)
			*name = argv[i];
		else
			return -1;
	}
	return *name != NULL ? 0 : -1;
}

/* Same output as cmd_sasl: base64 of the initial client response. mech NULL
 * = the account's own. */
static int print_sasl(const struct mk_sasl_mech *mech, const struct mk_account *a, const char *token)
{
	struct mk_sasl_creds creds = { 0 };
	struct mk_buf raw, b64;
	struct mk_error err;
	int rc = 1;

	if (mech == NULL)
		mech = a->mech == MK_MECH_XOAUTH2 ? &mk_sasl_xoauth2 : &mk_sasl_oauthbearer;
	creds.user = a->user;
	creds.token = token;
	mk_buf_init_secret(&raw, 64 * 1024);
	mk_buf_init_secret(&b64, 96 * 1024);
	if (mech->start(&creds, &raw, &err) != MK_SASL_OK || mk_base64_encode(raw.data, raw.len, &b64) != 0)
		goto out; /* core repeats it and reports the problem */
	fputs(mk_buf_str(&b64), stdout);
	fputc('\n', stdout);
	rc = fflush(stdout) == 0 ? 0 : EX_IOERR;
out:
	mk_buf_free(&raw);
	mk_buf_free(&b64);
	return rc;
}

/* The due or missing token from a running daemon, printed as the fast path
 * prints it (the daemon builds the SASL string too). 1 = no daemon (core
 * refreshes), else the exit status: the daemon's code on ERR, so a caller
 * gets 75 or 77 without mailkey-core. */
static int from_daemon(const char *state_dir, bool sasl, const char *name, const struct mk_sasl_mech *mech,
		       const struct mk_account *a, const struct mk_tokens *t)
{
	char req[64 + MK_PROTO_ACCOUNT_MAX];
	char *payload = NULL, *sock;
	struct mk_error err;
	int n, rc;

	if (strlen(name) > MK_PROTO_ACCOUNT_MAX)
		return 1;
	n = snprintf(req, sizeof(req), "%s %s%s", sasl ? "sasl" : "token", name,
		     mech == NULL		? ""
		     : mech == &mk_sasl_xoauth2 ? " xoauth2"
						: " oauthbearer");
	if (n < 0 || (size_t)n >= sizeof(req))
		return 1;
	mk_error_init(&err);
	/* Only the daemon of this very store (see mk_client_socket_for_state). */
	if ((sock = mk_client_socket_for_state(state_dir)) == NULL)
		return 1;
	rc = mk_client_request(sock, req,
			       t->access_token != NULL &&
					       !mk_policy_is_expired((int64_t)time(NULL), t->expires_at)
				       ? MK_CLIENT_QUICK_WAIT_MS
				       : MK_CLIENT_REFRESH_WAIT_MS,
			       &payload, &err);
	free(sock);
	if (rc == 1)
		return 1;
	if (rc == 0 && *payload != '\0') {
		fputs(payload, stdout);
		fputc('\n', stdout);
		mk_secret_free_str(payload);
		return fflush(stdout) == 0 ? 0 : EX_IOERR;
	}
	if (rc == 0) {
		mk_secret_free_str(payload);
		mk_error_set(&err, MK_ERR_TEMP,
			     "the mailkey daemon sent an empty answer for account %s: check "
			     "`mailkey status`, or try again later",
			     name);
	}
	/* As mailkey-core does when its own refresh fails for now: the current
	 * token serves until it expires. */
	if (err.cls == MK_ERR_TEMP && t->access_token != NULL && !t->needs_consent &&
	    !mk_policy_is_expired((int64_t)time(NULL), t->expires_at)) {
		if (!sasl) {
			fputs(t->access_token, stdout);
			fputc('\n', stdout);
			return fflush(stdout) == 0 ? 0 : EX_IOERR;
		}
		if (print_sasl(mech, a, t->access_token) == 0)
			return 0;
	}
	fprintf(stderr, "mailkey: %s\n", err.msg);
	rc = mk_error_to_sysexit(err.cls);
	return rc == 0 || rc == 1 ? EX_SOFTWARE : rc;
}

static bool called_as_sendmail(const char *argv0)
{
	const char *base = argv0 != NULL ? strrchr(argv0, '/') : NULL;

	base = base != NULL ? base + 1 : argv0;
	return base != NULL && strcmp(base, "sendmail") == 0;
}

/* The whole fast path; 1 = not served here. */
static int try_fast(int argc, char **argv)
{
	const char *config = getenv("MAILKEY_CONFIG"), *state = getenv("MAILKEY_STATE_DIR"), *name = NULL;
	char *cpath = NULL, *sdir = NULL;
	struct mk_config *cfg = NULL;
	struct mk_store *store = NULL;
	struct mk_tokens t = { 0 };
	struct mk_error err;
	const struct mk_account *a;
	const struct mk_sasl_mech *mech = NULL;
	int i = 1, rc = 1, found;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--config") == 0)
			config = argv[i + 1];
		else if (strcmp(argv[i], "--state-dir") == 0)
			state = argv[i + 1];
		else
			return 1; /* anything else (-v, --cafile, ...) is core's */
	}
	if (i >= argc)
		return 1;
	if (argc - i == 2 && strcmp(argv[i], "token") == 0 && argv[i + 1][0] != '-')
		name = argv[i + 1];
	else if (parse_sasl(argc - i, argv + i, &name, &mech) != 0)
		return 1;
	mk_error_init(&err);
	cpath = config != NULL ? strdup(config) : mk_config_default_path();
	sdir = state != NULL ? strdup(state) : mk_store_default_dir();
	if (cpath == NULL || sdir == NULL || mk_config_load(cpath, NULL, &cfg, &err) != 0)
		goto out;
	a = mk_config_find(cfg, name);
	if (a == NULL || mk_store_new(sdir, mk_config_key_command(cfg), &store, &err) != 0)
		goto out;
	found = mk_store_read(store, name, &t, NULL, &err);
	/* A grant marked gone is core's to report (77, with the login hint). */
	if (found < 0 || t.needs_consent)
		goto out;
	if (found == 1 || t.access_token == NULL ||
	    mk_policy_should_refresh((int64_t)time(NULL), t.obtained_at, t.expires_at, a->refresh_margin)) {
		rc = from_daemon(sdir, strcmp(argv[i], "sasl") == 0, name, mech, a, &t);
		goto out;
	}
	if (mech != NULL || strcmp(argv[i], "sasl") == 0)
		rc = print_sasl(mech, a, t.access_token);
	else {
		fputs(t.access_token, stdout);
		fputc('\n', stdout);
		rc = fflush(stdout) == 0 ? 0 : EX_IOERR;
	}
out:
	mk_tokens_clear(&t);
	mk_store_free(&store);
	mk_config_free(&cfg);
	free(cpath);
	free(sdir);
	return rc;
}

int main(int argc, char **argv)
{
	int rc;

	mk_secret_harden_process();
	mk_store_json_wipe_on_free();
	/* Called as sendmail (a symlink to this program): every argument is
	 * sendmail's, none is a mailkey command; mailkey-core sends. */
	if (argc > 0 && called_as_sendmail(argv[0]))
		exec_core(argv);
	rc = try_fast(argc, argv);
	if (rc != 1)
		return rc;
	/* Problems of any kind are reported by the full program, which also
	 * knows how to refresh. */
	exec_core(argv);
	return EX_UNAVAILABLE;
}
