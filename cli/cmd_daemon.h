/* `mailkey daemon`, shared with `mailkey gateway` (which runs the daemon
 * core itself when no daemon serves the store). */
#ifndef MK_CLI_CMD_DAEMON_H
#define MK_CLI_CMD_DAEMON_H

#include <stdbool.h>

#include "cli/cli.h"

/* argv as `mailkey daemon`'s. gateway: [gateway] must name a listener
 * (78 otherwise), messages say `mailkey gateway`. */
int mk_cli_daemon_main(struct mk_cli *cli, int argc, char **argv, bool gateway);

#endif
