/* mailkey gateway: the local IMAP/POP3/SMTP listeners of [gateway] in the
 * foreground. When a daemon already serves this store its tokens are asked
 * of it; otherwise the daemon core runs in this process as well. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "broker/client/client.h"
#include "broker/config/config.h"
#include "broker/store/store.h"
#include "cli/cli.h"
#include "cli/cmd_daemon.h"
#include "cli/cmd_util.h"
#include "common/buf.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/secret.h"
#include "common/sighold.h"
#include "gateway/gateway.h"
#include "gateway/gwconfig.h"
#include "gateway/tls.h"

static const char help[] =
	"usage: mailkey gateway [--socket PATH] [--system] [--allow-group GROUP]\n"
	"       mailkey gateway ca\n\n"
	"Run the gateway in the foreground: local IMAP, POP3 and SMTP listeners (the config's\n"
	"[gateway] section) for programs that only know a password. They log in with an app\n"
	"password (`mailkey app-password add ACCOUNT NAME`); the gateway logs in to the\n"
	"account's servers with a token and relays the session. When `mailkey daemon` already\n"
	"serves this store its tokens are used; otherwise the daemon runs in this process too\n"
	"(the options are then the daemon's). Logs go to standard error.\n\n"
	"  ca    print the certificate of the gateway's local CA (PEM), making it first if\n"
	"        needed: give it to clients that connect with TLS or STARTTLS\n\n"
	"Signals: SIGHUP reloads the accounts ([gateway] changes take a restart); SIGTERM and\n"
	"SIGINT stop (exit 0). Exit 78 for a bad [gateway] or a port in\n"
	"use. See `man mailkey`, GATEWAY.\n";

static int paths(struct mk_cli *cli, char **config, char **state)
{
	bool sys = cli->system;

	*config = cli->config_path != NULL ? strdup(cli->config_path)
		  : sys			   ? strdup(MK_SYSTEM_CONFIG)
					   : mk_config_default_path();
	*state = cli->state_dir != NULL ? strdup(cli->state_dir)
		 : sys			? strdup(MK_SYSTEM_STATE_DIR)
					: mk_store_default_dir();
	return *config != NULL && *state != NULL ? 0 : -1;
}

static int load(const char *path, struct mk_config **cfg, struct gw_config **gc)
{
	struct mk_buf problems;
	struct mk_error err;
	int rc = 0;

	mk_buf_init(&problems, 1 << 16);
	mk_error_init(&err);
	if (mk_config_load(path, &problems, cfg, &err) != 0 ||
	    gw_config_parse(*cfg, &problems, gc, &err) != 0) {
		fputs(problems.len > 0 ? mk_buf_str(&problems) : err.msg, stderr);
		if (problems.len == 0)
			fputc('\n', stderr);
		rc = mk_error_to_sysexit(err.cls);
	}
	mk_buf_free(&problems);
	return rc;
}

static int cmd_ca(struct mk_cli *cli)
{
	struct mk_config *cfg = NULL;
	struct gw_config *gc = NULL;
	struct gw_tls *tls = NULL;
	struct mk_error err;
	struct mk_buf pem;
	char *config = NULL, *state = NULL, *dir = NULL;
	int rc;

	mk_error_init(&err);
	mk_buf_init(&pem, 1 << 20);
	if (paths(cli, &config, &state) != 0) {
		rc = EX_OSERR;
		goto out;
	}
	if ((rc = load(config, &cfg, &gc)) != 0)
		goto out;
	if (gc->cert != NULL) {
		fprintf(stderr,
			"mailkey gateway ca: [gateway] cert = %s is your own certificate: clients must trust "
			"its issuer; there is no mailkey CA to give them\n",
			gc->cert);
		rc = EX_USAGE;
		goto out;
	}
	if ((dir = malloc(strlen(state) + sizeof("/gateway"))) == NULL) {
		rc = EX_OSERR;
		goto out;
	}
	snprintf(dir, strlen(state) + sizeof("/gateway"), "%s/gateway", state);
	if (mk_fs_mkdir_p(state, 0700, 0, &err) != 0 ||
	    gw_tls_ensure(dir, (const char *const *)gc->names, &tls, &err) != 0 ||
	    mk_fs_read_file(gw_tls_ca_file(tls), &pem, &err) != 0) {
		rc = mk_cli_fail(cli, "gateway ca", &err);
		goto out;
	}
	fwrite(pem.data, 1, pem.len, stdout);
	rc = fflush(stdout) == 0 ? 0 : EX_IOERR;
out:
	gw_tls_free(&tls);
	gw_config_free(&gc);
	mk_config_free(&cfg);
	mk_buf_free(&pem);
	free(dir);
	free(config);
	free(state);
	return rc;
}

/* A daemon serves this store: run only the gateway, asking it for tokens. */
static int gateway_only(struct mk_cli *cli, const char *config, const char *state, const char *sock)
{
	struct mk_config *cfg = NULL;
	struct gw_config *gc = NULL;
	struct mk_gateway *g = NULL;
	struct mk_error err;
	sigset_t set;
	int rc, sig = 0;

	if ((rc = load(config, &cfg, &gc)) != 0)
		goto out;
	if (gc->n == 0) {
		fprintf(stderr,
			"mailkey gateway: %s has no [gateway] listener: add a [gateway] section with e.g. "
			"`imap = 127.0.0.1:1143` and `smtp = 127.0.0.1:1587`\n",
			config);
		rc = EX_CONFIG;
		goto out;
	}
	/* Blocked before any thread exists; read here with sigwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	mk_sig_hold_disable();
	mk_error_init(&err);
	{
		struct mk_gateway_params gp = {
			.config = cfg, .state_dir = state, .token_socket = sock, .cafile = cli->cafile
		};
		if (mk_gateway_start(&gp, &g, &err) < 0) {
			/* That daemon runs a gateway of its own when this
			 * config names listeners: the port is most likely its. */
			if (err.cls == MK_ERR_CONFIG && strstr(err.msg, "another program") != NULL)
				mk_error_set(
					&err, MK_ERR_CONFIG,
					"a [gateway] port is in use, most likely by the gateway of the "
					"mailkey daemon that serves this store (%s; it runs one when "
					"[gateway] names listeners, see its log): nothing more to start, "
					"or stop that daemon first",
					sock);
			rc = mk_cli_fail(cli, "gateway", &err);
			goto out;
		}
	}
	mk_log(MK_LOG_INFO, "gateway: tokens from the daemon at %s", sock);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			mk_log(MK_LOG_INFO, "gateway: SIGHUP: reloading %s", config);
			mk_gateway_reload(g);
			continue;
		}
		break;
	}
	mk_log(MK_LOG_INFO, "gateway: %s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	mk_gateway_stop(&g);
	rc = 0;
out:
	gw_config_free(&gc);
	mk_config_free(&cfg);
	return rc;
}

int mk_cmd_gateway(struct mk_cli *cli, int argc, char **argv)
{
	char *config = NULL, *state = NULL, *sock = NULL, *pong = NULL;
	struct mk_error err;
	int rc;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	if (argc >= 2 && strcmp(argv[1], "ca") == 0) {
		if (argc != 2) {
			fprintf(stderr, "mailkey gateway ca: takes no arguments\n");
			return EX_USAGE;
		}
		return cmd_ca(cli);
	}
	if (argc >= 2 && argv[1][0] != '-') {
		fprintf(stderr,
			"mailkey gateway: unknown subcommand '%s' (the one there is: ca); `mailkey gateway "
			"--help` shows the usage\n",
			argv[1]);
		return EX_USAGE;
	}
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--system") == 0) {
			cli->system = true;
			mk_hint_set_system(true);
		}
	if (paths(cli, &config, &state) != 0) {
		rc = EX_OSERR;
		goto out;
	}
	mk_error_init(&err);
	sock = mk_client_socket_for_state(state);
	if (sock != NULL && mk_client_request(sock, "ping", 2000, &pong, &err) == 0) {
		for (int i = 1; i < argc; i++)
			if (strcmp(argv[i], "--socket") == 0 || strcmp(argv[i], "--allow-group") == 0)
				i++; /* its value */
			else if (strcmp(argv[i], "--system") != 0) {
				fprintf(stderr,
					"mailkey gateway: unknown option '%s'; `mailkey gateway --help` "
					"shows the usage\n",
					argv[i]);
				rc = EX_USAGE;
				goto out;
			}
		for (int i = 1; i < argc; i++)
			if (strcmp(argv[i], "--system") != 0) {
				fprintf(stderr,
					"mailkey gateway: a daemon already serves this store (%s): '%s' is "
					"its "
					"option; give it to `mailkey daemon`\n",
					sock, argv[i]);
				rc = EX_USAGE;
				goto out;
			}
		rc = gateway_only(cli, config, state, sock);
		goto out;
	}
	rc = mk_cli_daemon_main(cli, argc, argv, true);
out:
	mk_secret_free_str(pong);
	free(sock);
	free(config);
	free(state);
	return rc;
}
