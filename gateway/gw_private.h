/* What gateway.c (listeners, accept loop, start/stop) and session.c (one
 * client connection) share. */
#ifndef MK_GATEWAY_GW_PRIVATE_H
#define MK_GATEWAY_GW_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>

#include "gateway/gateway.h"
#include "gateway/gwconfig.h"

struct gw_tls;
struct gw_limit;

struct gw_listener {
	int fd;
	struct gw_listener_cfg cfg;
};

struct gw_session {
	struct mk_gateway *g;
	const struct gw_listener *l;
	int fd;	      /* open while the session is in g's list */
	int cancelfd; /* eventfd: written to end the relay */
	char peer[64];
	struct gw_lconn *lc;	  /* the client, for the login's deadline */
	long long login_until_ms; /* CLOCK_MONOTONIC: end of login_timeout */
	/* Set once logged in (under g->mu): for closing after a revoke. */
	bool logged_in;
	char account[128];
	char pwname[72];
	struct gw_session *next, *prev;
};

/* The accounts in use: a reload (SIGHUP) swaps in new ones while a
 * session may still read the old; the last holder frees them. */
struct gw_accounts {
	const struct mk_config *cfg;
	struct mk_config *own; /* cfg when a reload loaded it (the first is the caller's) */
	unsigned refs;	       /* under the gateway's mu; the gateway's own is one */
};

struct mk_gateway {
	struct gw_accounts *accts; /* under mu */
	char *config_path;
	char *state_dir, *token_socket, *cafile;
	char hostname[128];
	struct gw_config *gc;
	struct gw_tls *tls;
	struct gw_limit *limit;
	struct gw_listener ls[GW_LISTENERS_MAX];
	size_t nl;
	int stopfd, inofd, wd;
	bool accepting; /* the accept thread runs */
	pthread_t accept_thr;
	pthread_attr_t attr; /* of session threads: small stack, detached */
	pthread_mutex_t mu;
	pthread_cond_t cv;	     /* nsess went down */
	struct gw_session *sessions; /* under mu */
	unsigned nsess;		     /* under mu */
	bool stopping;		     /* under mu */
};

/* The accounts now, held until gw_accounts_release. */
struct gw_accounts *gw_accounts_hold(struct mk_gateway *g);
void gw_accounts_release(struct mk_gateway *g, struct gw_accounts *a);

/* Start a detached thread for the accepted socket fd from listener l
 * (gw_limit_conn_open already said yes: the session closes it). */
int gw_session_start(struct mk_gateway *g, const struct gw_listener *l, int fd, const char *peer);

#endif
