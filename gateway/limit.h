/* Per-source limits of the gateway: open connections, and failed logins
 * (a brute-force guard that never touches tokens or passwords). A source is
 * the client's IP address as text. Thread-safe (one mutex). */
#ifndef MK_GATEWAY_LIMIT_H
#define MK_GATEWAY_LIMIT_H

#include <stdbool.h>
#include <time.h>

struct gw_limit;

struct gw_limit_params {
	unsigned max_connections; /* all sources (0 = 200) */
	unsigned max_per_source;  /* open connections from one source (0 = 50) */
	unsigned max_failures;	  /* failed logins from one source within window (0 = 10) */
	unsigned window_s;	  /* (0 = 600) */
};

struct gw_limit *gw_limit_new(const struct gw_limit_params *p);
void gw_limit_free(struct gw_limit **l);

/* A connection opens: false when a cap is reached (the caller answers
 * with the protocol's "too many connections" and closes). Every true is
 * paired with one conn_close. */
bool gw_limit_conn_open(struct gw_limit *l, const char *source);
void gw_limit_conn_close(struct gw_limit *l, const char *source);

/* Before checking a password: seconds until this source may try again
 * (0 = go ahead). A blocked source is refused without a check, the right
 * password included; other sources are not affected. */
unsigned gw_limit_login_wait(struct gw_limit *l, const char *source, time_t now);
/* A failed login from source at now. */
void gw_limit_login_failed(struct gw_limit *l, const char *source, time_t now);

#endif
