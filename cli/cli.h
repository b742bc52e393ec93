/* Shared state of one `mailkey` invocation and the subcommand signature.
 * Each subcommand lives in cmd_<verb>.c as
 *     int mk_cmd_<verb>(struct mk_cli *cli, int argc, char **argv);
 * argv[0] is the verb; it returns a sysexits(3) status and prints its own
 * errors through mk_cli_fail(). */
#ifndef MK_CLI_H
#define MK_CLI_H

#include <stdbool.h>

#include "broker/broker.h"
#include "common/error.h"

/* The system service's paths (`--system`; dist/systemd's system unit). */
#define MK_SYSTEM_CONFIG "/etc/mailkey/config"
#define MK_SYSTEM_STATE_DIR "/var/lib/mailkey"
#define MK_SYSTEM_SOCKET "/run/mailkey/socket"

struct mk_cli {
	const char *config_path;  /* --config / $MAILKEY_CONFIG */
	const char *state_dir;	  /* --state-dir / $MAILKEY_STATE_DIR */
	const char *cafile;	  /* --cafile: trust this CA bundle (tests) */
	int verbose;		  /* -v count: 1 debug, 2 protocol trace */
	bool json;		  /* --json where the command supports it */
	bool system;		  /* --system: the system service's config, state and socket */
	struct mk_broker *broker; /* opened on first mk_cli_broker() */
};

/* Open the broker on first use. Errors as mk_broker_open. */
int mk_cli_broker(struct mk_cli *cli, struct mk_broker **r, struct mk_error *err);

/* Print "mailkey: <verb>: <message>" (or JSON with --json) to stderr and
 * return the sysexits status of err's class. */
int mk_cli_fail(struct mk_cli *cli, const char *verb, const struct mk_error *err);

/* Subcommands. Declared weak while the suite is being built in parallel, so
 * that the dispatcher can say "not built" instead of failing to link. */
#define MK_CLI_CMD(v) int mk_cmd_##v(struct mk_cli *cli, int argc, char **argv) __attribute__((weak))
MK_CLI_CMD(login);
MK_CLI_CMD(token);
MK_CLI_CMD(sasl);
MK_CLI_CMD(status);
MK_CLI_CMD(refresh);
MK_CLI_CMD(revoke);
MK_CLI_CMD(logout);
MK_CLI_CMD(accounts);
MK_CLI_CMD(app_password);
MK_CLI_CMD(config);
MK_CLI_CMD(send);
MK_CLI_CMD(check);
MK_CLI_CMD(fetch);
MK_CLI_CMD(append);
MK_CLI_CMD(import);
MK_CLI_CMD(queue);
MK_CLI_CMD(daemon);
MK_CLI_CMD(gateway);
#undef MK_CLI_CMD

#endif
