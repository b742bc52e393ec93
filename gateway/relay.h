/* After a successful login: bytes both ways between the client and the
 * upstream, without parsing, until either side closes. An upstream that
 * ends the session (IMAP BYE for an expired token, SMTP 421) has its last
 * words passed on and then the client side is closed too, so the client
 * reconnects and gets a fresh token. poll(2) with no timer while both sides
 * are quiet: an idle session costs no CPU. */
#ifndef MK_GATEWAY_RELAY_H
#define MK_GATEWAY_RELAY_H

#include <stdint.h>

#include "common/error.h"

struct gw_lconn;
struct mk_conn;

struct gw_relay_stats {
	uint64_t to_upstream; /* bytes client -> upstream */
	uint64_t to_client;   /* bytes upstream -> client */
	int ended_by;	      /* 0 client closed, 1 upstream closed, 2 idle timeout, 3 cancelled */
};

/* Relay until a side closes (returns 0), idle_ms passes with no byte either
 * way (0 = never; returns 0, ended_by 2), or cancel_fd (an eventfd, -1 =
 * none) becomes readable (returns 0, ended_by 3: the app password was
 * revoked or the gateway stops). Bytes either side had already buffered are
 * sent first. -1 with err for an I/O or TLS error. st may be NULL. */
int gw_relay(struct gw_lconn *client, struct mk_conn *upstream, unsigned idle_ms, int cancel_fd,
	     struct gw_relay_stats *st, struct mk_error *err);

#endif
