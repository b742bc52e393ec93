/* mailkey daemon: the resident service (broker/daemon/daemon.h), in the
 * foreground, logging to stderr (journald under systemd), with the gateway
 * (gateway/gateway.h) when [gateway] names a listener. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "broker/client/client.h"
#include "broker/config/config.h"
#include "broker/daemon/daemon.h"
#include "broker/store/store.h"
#include "cli/cli.h"
#include "cli/cmd_daemon.h"
#include "cli/cmd_util.h"
#include "gateway/gateway.h"
#include "gateway/gwconfig.h"

static const char help[] =
	"usage: mailkey daemon [--socket PATH] [--system] [--allow-group GROUP]\n\n"
	"Run in the foreground: keep every account's token fresh (refreshed ahead of expiry),\n"
	"answer `mailkey token` and Postfix's socketmap on a Unix socket, run notify_command while\n"
	"a grant is lost, and send the outgoing queue. Logs go to standard error.\n\n"
	"  --socket PATH        listen here (default: the config's `socket`, else\n"
	"                       $XDG_RUNTIME_DIR/mailkey/socket, or /run/mailkey/socket with --system)\n"
	"  --system             system service: /etc/mailkey/config, state in /var/lib/mailkey,\n"
	"                       socket /run/mailkey/socket (unless --config, --state-dir, --socket)\n"
	"  --allow-group GROUP  members of GROUP may use the socket too (e.g. postfix)\n\n"
	"Signals: SIGHUP reloads the configuration; SIGTERM and SIGINT stop after in-flight\n"
	"refreshes are stored. Exit 75 when another daemon already answers on the socket.\n"
	"When the configuration's [gateway] section names listeners, the gateway runs too\n"
	"(`mailkey gateway --help`); a bad [gateway] exits 78.\n"
	"See `man mailkey-daemon`.\n";

/* The gateway beside the daemon: its own copy of the configuration, which
 * it loads again itself on SIGHUP ([gateway] changes need a restart). */
struct gw_hook {
	struct mk_config *cfg;
	const char *state_dir, *cafile;
	struct mk_gateway *g;
};

static int gw_listening(void *ctx, const char *socket_path, struct mk_error *err)
{
	struct gw_hook *h = ctx;
	struct mk_gateway_params gp = {
		.config = h->cfg, .state_dir = h->state_dir, .token_socket = socket_path, .cafile = h->cafile
	};

	return mk_gateway_start(&gp, &h->g, err) < 0 ? -1 : 0;
}

static void gw_reload(void *ctx)
{
	struct gw_hook *h = ctx;

	mk_gateway_reload(h->g);
}

static void gw_stopping(void *ctx)
{
	struct gw_hook *h = ctx;

	mk_gateway_stop(&h->g);
}

/* [gateway] checked before anything starts: 0 go on (*cfg_r set when it
 * names listeners), else the exit status. A configuration that does not
 * load at all is left to the daemon, which says why. */
static int gateway_config(const char *verb, const char *path, bool required, struct mk_config **cfg_r)
{
	struct mk_buf problems;
	struct mk_error err;
	struct mk_config *cfg = NULL;
	struct gw_config *gc = NULL;
	int rc = 0;

	*cfg_r = NULL;
	mk_buf_init(&problems, 1 << 16);
	mk_error_init(&err);
	if (mk_config_load(path, NULL, &cfg, &err) != 0) {
		if (required) {
			fprintf(stderr, "mailkey %s: %s\n", verb, err.msg);
			rc = mk_error_to_sysexit(err.cls);
		}
		goto out;
	}
	if (gw_config_parse(cfg, &problems, &gc, &err) != 0) {
		fputs(mk_buf_str(&problems), stderr);
		fprintf(stderr, "mailkey %s: fix [gateway] in %s (see `man mailkey`, GATEWAY)\n", verb, path);
		rc = EX_CONFIG;
		goto out;
	}
	if (gc->n == 0) {
		if (required) {
			fprintf(stderr,
				"mailkey %s: %s has no [gateway] listener: add a [gateway] section with e.g. "
				"`imap = 127.0.0.1:1143` and `smtp = 127.0.0.1:1587`\n",
				verb, path);
			rc = EX_CONFIG;
		}
		goto out;
	}
	*cfg_r = cfg;
	cfg = NULL;
out:
	gw_config_free(&gc);
	mk_config_free(&cfg);
	mk_buf_free(&problems);
	return rc;
}

int mk_cmd_daemon(struct mk_cli *cli, int argc, char **argv)
{
	return mk_cli_daemon_main(cli, argc, argv, false);
}

int mk_cli_daemon_main(struct mk_cli *cli, int argc, char **argv, bool gateway)
{
	const char *verb = gateway ? "gateway" : "daemon";
	struct mk_daemon_params p = { 0 };
	struct gw_hook hook = { 0 };
	struct mk_error err;
	char *config = NULL, *state = NULL, *def_sock = NULL, self[PATH_MAX];
	bool system = false;
	ssize_t n;
	int rc = EX_USAGE;

	if (!gateway && mk_cli_wants_help(argc, argv, help))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--system") == 0)
			system = true;
		else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			p.socket_path = argv[++i];
		else if (strcmp(argv[i], "--allow-group") == 0 && i + 1 < argc)
			p.allow_group = argv[++i];
		else if ((strcmp(argv[i], "--socket") == 0 || strcmp(argv[i], "--allow-group") == 0)) {
			fprintf(stderr,
				"mailkey %s: %s needs a value (%s); `mailkey %s --help` shows the "
				"usage\n",
				verb, argv[i], strcmp(argv[i], "--socket") == 0 ? "a PATH" : "a GROUP", verb);
			return EX_USAGE;
		} else {
			fprintf(stderr, "mailkey %s: unexpected '%s'; `mailkey %s --help` shows the usage\n",
				verb, argv[i], verb);
			return EX_USAGE;
		}
	}
	mk_error_init(&err);
	if (system || cli->system) {
		mk_hint_set_system(true); /* hints name `sudo mailkey --system` */
		config = strdup(cli->config_path != NULL ? cli->config_path : MK_SYSTEM_CONFIG);
		state = strdup(cli->state_dir != NULL ? cli->state_dir : MK_SYSTEM_STATE_DIR);
		def_sock = strdup(MK_SYSTEM_SOCKET);
	} else {
		config = cli->config_path != NULL ? strdup(cli->config_path) : mk_config_default_path();
		state = cli->state_dir != NULL ? strdup(cli->state_dir) : mk_store_default_dir();
		def_sock = mk_client_default_socket(); /* where clients look */
	}
	if (config == NULL || state == NULL || def_sock == NULL) {
		fprintf(stderr, "mailkey %s: out of memory\n", verb);
		rc = EX_OSERR;
		goto out;
	}
	p.config_path = config;
	p.state_dir = state;
	p.cafile = cli->cafile;
	p.default_socket = def_sock;
	/* `queue run` is this very program. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		p.core_path = self;
	}
	if ((rc = gateway_config(verb, config, gateway, &hook.cfg)) != 0)
		goto out;
	if (hook.cfg != NULL) {
		hook.state_dir = state;
		hook.cafile = cli->cafile;
		p.on_listening = gw_listening;
		p.on_stopping = gw_stopping;
		p.on_reload = gw_reload;
		p.hook_ctx = &hook;
	}
	rc = mk_daemon_run(&p, &err) == 0 ? 0 : mk_cli_fail(cli, verb, &err);
	mk_gateway_stop(&hook.g); /* when the daemon could not start after it */
out:
	mk_config_free(&hook.cfg);
	free(config);
	free(state);
	free(def_sock);
	return rc;
}
