/* The gateway: local IMAP, POP3 and SMTP listeners for programs that only
 * know a password (scanners, fetchmail 6.4, old profiles, smtplib scripts).
 * A client logs in with an app password that mailkey generated; the gateway
 * logs in upstream with XOAUTH2/OAUTHBEARER and a token from the daemon,
 * then relays bytes both ways (docs/gateway.md).
 *
 * One thread per client connection: a connection blocks only itself (the
 * upstream login, a token wait, a slow client), the accept loop never. */
#ifndef MK_GATEWAY_H
#define MK_GATEWAY_H

#include "broker/config/config.h"
#include "common/error.h"

struct mk_gateway;

struct mk_gateway_params {
	const struct mk_config *config; /* borrowed for the gateway's life; [gateway] + accounts */
	const char *state_dir;		/* STATE: app-passwords, gateway/ (TLS material) */
	/* The daemon socket that serves this store's tokens (token ACCOUNT
	 * [fresh]); the gateway asks it for every upstream login. */
	const char *token_socket;
	const char *cafile; /* `mailkey --cafile` for every upstream (tests), or NULL */
};

/* Parse [gateway], load or create the TLS material, bind every listener
 * and start the accept thread. MK_ERR_CONFIG for a bad [gateway] (a
 * non-loopback address without `remote = yes`, a port in use, a missing
 * cert file), with what to change. 1 when [gateway] names no listener
 * (nothing started, *r NULL). */
int mk_gateway_start(const struct mk_gateway_params *p, struct mk_gateway **r, struct mk_error *err);

/* The app-password file changed (revoke): sessions logged in with a
 * password that no longer exists are closed. Thread-safe. */
void mk_gateway_passwords_changed(struct mk_gateway *g);

/* SIGHUP: load the configuration file again and serve its accounts to
 * new logins (open sessions run on). A file that does not load is logged
 * and the accounts in use stay; [gateway] changes are logged as needing a
 * restart. Call from one thread at a time. NULL ok. */
void mk_gateway_reload(struct mk_gateway *g);

/* Stop accepting, close every session, join the threads, free. NULL ok. */
void mk_gateway_stop(struct mk_gateway **g);

#endif
