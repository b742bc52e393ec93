/* `mailkey daemon`: the resident service of docs/protocol.md. It keeps every
 * account's token in memory, refreshes each ahead of expiry in a small pool
 * of worker threads (one refresh per account at a time, shared with CLI
 * processes through the store's per-account lock), answers mailkey's line
 * protocol and Postfix's socketmap on one Unix socket, runs notify_command
 * while a grant is lost, and runs the outgoing queue. See
 * docs/mailkey-daemon.8. */
#ifndef MK_BROKER_DAEMON_H
#define MK_BROKER_DAEMON_H

#include "common/error.h"

struct mk_daemon_params {
	const char *config_path;    /* resolved path of the configuration */
	const char *state_dir;	    /* resolved state directory */
	const char *cafile;	    /* --cafile for every account (tests), or NULL */
	const char *socket_path;    /* --socket, or NULL: the config's `socket`, else default_socket */
	const char *default_socket; /* the mode's default */
	const char *allow_group;    /* --allow-group, or NULL: the config's `allow_group` */
	const char *core_path;	    /* mailkey-core, for `queue run`; NULL = never run the queue */
	unsigned workers;	    /* refresh threads; 0 = 4 */
	/* What the program on top runs beside the daemon (cli/ starts the
	 * gateway: broker/ does not know it). on_listening is called once the
	 * socket answers, with its path; non-zero stops the daemon with err.
	 * on_stopping is called when a stop begins, before the socket closes.
	 * Both may be NULL. */
	int (*on_listening)(void *ctx, const char *socket_path, struct mk_error *err);
	void (*on_stopping)(void *ctx);
	/* on_reload after a SIGHUP loaded the configuration (NULL ok). */
	void (*on_reload)(void *ctx);
	void *hook_ctx;
};

/* Run in the foreground until SIGTERM or SIGINT: 0 after a clean stop
 * (in-flight refreshes finished and stored). -1 with err when it cannot
 * start: MK_ERR_TEMP when another daemon answers on the socket (exit 75),
 * MK_ERR_CONFIG / MK_ERR_NOINPUT for the configuration, MK_ERR_USAGE for an
 * unknown group, MK_ERR_IO for the socket or state directory. */
int mk_daemon_run(const struct mk_daemon_params *p, struct mk_error *err);

#endif
