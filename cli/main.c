/* mailkey-core: the full `mailkey` program, git-style subcommands. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "broker/store/store.h"
#include "cli/cli.h"
#include "common/error.h"
#include "common/log.h"
#include "common/secret.h"

static const struct {
	const char *verb;
	int (*fn)(struct mk_cli *, int, char **);
	const char *summary;
} verbs[] = {
	{ "login", mk_cmd_login, "consent once in a browser (or --device, --manual) and store the tokens" },
	{ "token", mk_cmd_token, "print a valid access token, refreshing it first if due" },
	{ "sasl", mk_cmd_sasl, "print the base64 XOAUTH2 or OAUTHBEARER string" },
	{ "status", mk_cmd_status, "show each account's token state (--json for scripts)" },
	{ "refresh", mk_cmd_refresh, "refresh an account's access token now" },
	{ "revoke", mk_cmd_revoke, "revoke the grant at the provider, then forget the tokens" },
	{ "logout", mk_cmd_logout, "forget an account's tokens on this machine" },
	{ "accounts", mk_cmd_accounts, "list the configured accounts" },
	{ "app-password", mk_cmd_app_password, "add, list or revoke the gateway's app passwords" },
	{ "config", mk_cmd_config, "`config check`: validate the configuration file" },
	{ "send", mk_cmd_send, "send a message (sendmail-compatible)" },
	{ "check", mk_cmd_check, "log in over IMAP, SMTP and POP3 and report" },
	{ "fetch", mk_cmd_fetch, "fetch new mail into a Maildir (or --list the mailboxes)" },
	{ "append", mk_cmd_append, "store a message in an IMAP mailbox (e.g. a copy in Sent)" },
	{ "import", mk_cmd_import, "store tokens from mutt_oauth2, sasl-xoauth2 or JSON (stdin)" },
	{ "queue", mk_cmd_queue, "list the outgoing queue; `queue run` sends it" },
	{ "daemon", mk_cmd_daemon, "run the resident service: fresh tokens on a socket, Postfix socketmap" },
	{ "gateway", mk_cmd_gateway, "local IMAP/POP3/SMTP for password-only programs (app passwords)" },
};

static void usage(FILE *fp)
{
	int w = 0;

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].fn != NULL && (int)strlen(verbs[i].verb) > w)
			w = (int)strlen(verbs[i].verb);
	fputs("usage: mailkey [--system] [--config FILE] [--state-dir DIR] [--cafile FILE] [-v] [--json] "
	      "COMMAND [ARGS]\n\n"
	      "OAuth 2.0 tokens for mail: consent once, then every mail program gets a fresh token.\n\n"
	      "commands:\n",
	      fp);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].fn != NULL)
			fprintf(fp, "  %-*s %s\n", w, verbs[i].verb, verbs[i].summary);
	fputs("\n`mailkey COMMAND --help` describes a command; `man mailkey` all of them and the exit "
	      "codes.\n",
	      fp);
}

/* --system as root: become the owner of the state directory (the mailkey
 * user the service runs as) before anything is read or written, so every
 * file written belongs to the daemon's user and `sudo mailkey --system
 * login` just works. Stays root when the directory is missing or root's.
 * Returns 0, or a sysexits status after saying why. */
static int become_state_owner(const char *state_dir, bool verbose)
{
	struct stat st;
	struct passwd *pw;
	char *name;
	gid_t gid;

	if (geteuid() != 0 || state_dir == NULL || stat(state_dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid == 0)
		return 0;
	errno = 0;
	pw = getpwuid(st.st_uid);
	if (pw == NULL) {
		fprintf(stderr,
			"mailkey: the state directory %s belongs to uid %lu, which has no user name: give it "
			"to the service's user (chown -R mailkey:mailkey %s)\n",
			state_dir, (unsigned long)st.st_uid, state_dir);
		return EX_NOUSER;
	}
	name = strdup(pw->pw_name);
	gid = pw->pw_gid;
	if (name == NULL) {
		fprintf(stderr, "mailkey: out of memory\n");
		return EX_OSERR;
	}
	if (initgroups(name, gid) != 0 || setgid(gid) != 0 || setuid(st.st_uid) != 0) {
		fprintf(stderr, "mailkey: cannot become user %s, who owns %s: %s\n", name, state_dir,
			strerror(errno));
		free(name);
		return EX_OSERR;
	}
	/* No way back: a process that can regain root must not go on. */
	if (setuid(0) == 0 || seteuid(0) == 0 || getuid() != st.st_uid || geteuid() != st.st_uid ||
	    getgid() != gid || getegid() != gid) {
		fprintf(stderr, "mailkey: could not drop root for user %s: stopping\n", name);
		free(name);
		return EX_OSERR;
	}
	if (verbose)
		fprintf(stderr, "mailkey: running as %s (uid %lu), who owns %s\n", name,
			(unsigned long)st.st_uid, state_dir);
	free(name);
	return 0;
}

/* True when this program was started under the name `sendmail` (a symlink
 * such as /usr/sbin/sendmail -> mailkey): it then is `mailkey send` with
 * sendmail's options. */
static bool called_as_sendmail(const char *argv0)
{
	const char *base = argv0 != NULL ? strrchr(argv0, '/') : NULL;

	base = base != NULL ? base + 1 : argv0;
	return base != NULL && strcmp(base, "sendmail") == 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "cafile", required_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "system", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct mk_cli cli = { 0 };
	int c, rc = EX_USAGE;

	mk_secret_harden_process();
	mk_store_json_wipe_on_free();
	cli.config_path = getenv("MAILKEY_CONFIG");
	cli.state_dir = getenv("MAILKEY_STATE_DIR");
	if (argc > 0 && called_as_sendmail(argv[0])) {
		if (mk_cmd_send == NULL) {
			fprintf(stderr, "mailkey: send is not available in this build\n");
			return EX_UNAVAILABLE;
		}
		rc = mk_cmd_send(&cli, argc, argv);
		mk_broker_free(&cli.broker);
		mk_log_forget_secrets();
		return rc;
	}
	/* '+': stop at the command; its own options follow it. */
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cli.config_path = optarg;
			break;
		case 's':
			cli.state_dir = optarg;
			break;
		case 'a':
			cli.cafile = optarg;
			break;
		case 'v':
			cli.verbose++;
			break;
		case 'j':
			cli.json = true;
			break;
		case 'S':
			cli.system = true;
			mk_hint_set_system(true);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("mailkey %s\n", MK_VERSION);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	/* The system service's files (mailkey daemon --system, the units in
	 * dist/systemd): what an admin runs as the mailkey user to see what the
	 * daemon sees, `mailkey --system status`. --config/--state-dir and
	 * $MAILKEY_SOCKET still win. */
	if (cli.system) {
		if (cli.config_path == NULL)
			cli.config_path = MK_SYSTEM_CONFIG;
		if (cli.state_dir == NULL)
			cli.state_dir = MK_SYSTEM_STATE_DIR;
		if (setenv("MAILKEY_SOCKET", MK_SYSTEM_SOCKET, 0) != 0) {
			fprintf(stderr, "mailkey: out of memory\n");
			return EX_OSERR;
		}
	}
	mk_log_set_level(cli.verbose >= 2 ? MK_LOG_TRACE : cli.verbose == 1 ? MK_LOG_DEBUG : MK_LOG_INFO);
	/* Root with --system acts as the state directory's owner (also for
	 * --state-dir, which is how the tests point it elsewhere). */
	if (cli.system && (rc = become_state_owner(cli.state_dir, cli.verbose > 0)) != 0)
		return rc;
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		char help_opt[] = "--help";
		char *help_argv[3] = { NULL, help_opt, NULL };
		if (optind + 1 >= argc) {
			usage(stdout);
			return 0;
		}
		help_argv[0] = argv[optind + 1];
		for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
			if (strcmp(verbs[i].verb, help_argv[0]) == 0 && verbs[i].fn != NULL)
				return verbs[i].fn(&cli, 2, help_argv);
		fprintf(stderr, "mailkey: no command '%s'\n", help_argv[0]);
		return EX_USAGE;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i].verb, argv[optind]) != 0)
			continue;
		if (verbs[i].fn == NULL) {
			fprintf(stderr, "mailkey: %s is not available in this build\n", verbs[i].verb);
			return EX_UNAVAILABLE;
		}
		rc = verbs[i].fn(&cli, argc - optind, argv + optind);
		mk_broker_free(&cli.broker);
		mk_log_forget_secrets();
		return rc;
	}
	fprintf(stderr, "mailkey: unknown command '%s'; `mailkey --help` lists them\n", argv[optind]);
	return EX_USAGE;
}
