/* Ask a running `mailkey daemon` (docs/protocol.md). Linked by the fast
 * front end and the Cyrus plugin too, so it needs nothing but libc and
 * common/: no libcurl, no jansson. */
#ifndef MK_BROKER_CLIENT_H
#define MK_BROKER_CLIENT_H

#include "common/error.h"

/* The socket the daemon listens on by default: $MAILKEY_SOCKET, else
 * $XDG_RUNTIME_DIR/mailkey/socket, else /run/user/<uid>/mailkey/socket.
 * Heap string, NULL on ENOMEM. */
char *mk_client_default_socket(void);

/* The socket of the daemon that serves the store in state_dir: $MAILKEY_SOCKET
 * when set, else the path a running daemon recorded in STATE_DIR/daemon.socket
 * (MK_CLIENT_SOCKET_FILE), else NULL: no daemon serves this store, so the
 * caller refreshes itself. A daemon of another store (another --state-dir)
 * is never asked, so its tokens are never handed out for this one. Heap
 * string. */
#define MK_CLIENT_SOCKET_FILE "daemon.socket"
char *mk_client_socket_for_state(const char *state_dir);

/* Send one request line (without "MK1 " and without '\n': "token alice",
 * "token alice fresh", "sasl alice xoauth2", "status") and read its
 * answer, within timeout_ms for the whole exchange.
 *   0: OK; *payload_r is a heap string (wiped and freed with
 *      mk_secret_free_str), the answer without "OK ".
 *   1: no daemon there (no socket, ECONNREFUSED): the caller does the work
 *      itself. Nothing set in err.
 *  -1: the daemon answered ERR (err's class from mk_proto_code_class, its
 *      message the daemon's), or the exchange broke or timed out
 *      (MK_ERR_TEMP, saying the daemon did not answer).
 * socket_path NULL = mk_client_default_socket(). */
/* How long a caller waits for a token: the daemon may be waiting on the
 * provider (its HTTP timeouts) for a refresh that callers asking together
 * share; but while the caller's stored token is still valid the daemon
 * answers at once, so one that does not (stopped, hung) costs seconds. */
#define MK_CLIENT_REFRESH_WAIT_MS 90000
#define MK_CLIENT_QUICK_WAIT_MS 5000

int mk_client_request(const char *socket_path, const char *request, unsigned timeout_ms, char **payload_r,
		      struct mk_error *err);

#endif
