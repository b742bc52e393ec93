/* The outgoing queue as the CLI uses it (cmd_queue.c): `send --queue`
 * adds through this. */
#ifndef MK_CLI_CMD_QUEUE_H
#define MK_CLI_CMD_QUEUE_H

#include <stddef.h>

#include "cli/cli.h"
#include "common/error.h"

/* Put one message (ready to send: From: added, Bcc removed) with its
 * envelope into the spool under the state directory; 0 only once it is on
 * disk (file and directory fsync'd). Errors: MK_ERR_IO, MK_ERR_DATA. */
int mk_cli_queue_add(struct mk_cli *cli, const char *account, const char *from, const char *const *rcpts,
		     size_t nrcpt, const char *msg, size_t len, struct mk_error *err);

#endif
