/* mailkey daemon: the resident service (broker/daemon/daemon.h), in the
 * foreground, logging to stderr (journald under systemd). */
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
#include "cli/cmd_util.h"

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
	"See `man mailkey-daemon`.\n";

int mk_cmd_daemon(struct mk_cli *cli, int argc, char **argv)
{
	struct mk_daemon_params p = { 0 };
	struct mk_error err;
	char *config = NULL, *state = NULL, *def_sock = NULL, self[PATH_MAX];
	bool system = false;
	ssize_t n;
	int rc = EX_USAGE;

	if (mk_cli_wants_help(argc, argv, help))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--system") == 0)
			system = true;
		else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			p.socket_path = argv[++i];
		else if (strcmp(argv[i], "--allow-group") == 0 && i + 1 < argc)
			p.allow_group = argv[++i];
		else {
			fprintf(stderr,
				"mailkey daemon: unexpected '%s'; `mailkey daemon --help` shows the usage\n",
				argv[i]);
			return EX_USAGE;
		}
	}
	mk_error_init(&err);
	if (system) {
		config = strdup(cli->config_path != NULL ? cli->config_path : "/etc/mailkey/config");
		state = strdup(cli->state_dir != NULL ? cli->state_dir : "/var/lib/mailkey");
		def_sock = strdup("/run/mailkey/socket");
	} else {
		config = cli->config_path != NULL ? strdup(cli->config_path) : mk_config_default_path();
		state = cli->state_dir != NULL ? strdup(cli->state_dir) : mk_store_default_dir();
		def_sock = mk_client_default_socket(); /* where clients look */
	}
	if (config == NULL || state == NULL || def_sock == NULL) {
		fprintf(stderr, "mailkey daemon: out of memory\n");
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
	rc = mk_daemon_run(&p, &err) == 0 ? 0 : mk_cli_fail(cli, "daemon", &err);
out:
	free(config);
	free(state);
	free(def_sock);
	return rc;
}
