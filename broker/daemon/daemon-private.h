/* The daemon's state, shared by its files (server.c: the loop; conn.c: the
 * connections; acct.c: the accounts and their refreshes; child.c: notify
 * and queue processes; status.c: status and events). Everything here is
 * touched by the loop's thread only; the workers see nothing but their jobs
 * (pool.h). */
#ifndef MK_BROKER_DAEMON_PRIVATE_H
#define MK_BROKER_DAEMON_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker/config/config.h"
#include "broker/daemon/daemon.h"
#include "broker/daemon/pool.h"
#include "broker/daemon/proto.h"
#include "broker/store/store.h"
#include "common/buf.h"

#define MK_D_IDLE_MS 10000	     /* a connection that sends nothing for this long is dropped */
#define MK_D_BACKLOG_MAX (64 * 1024) /* unread answers beyond this: dropped */
#define MK_D_IN_MAX 4096	     /* buffered request bytes per connection */
#define MK_D_OUT_MAX (8u << 20)	     /* one status answer of many accounts fits */
#define MK_D_MAX_SLEEP 30	     /* the loop wakes at least this often (seconds) */
#define MK_D_NOTIFY_TIMEOUT 10	     /* notify_command is killed after this (seconds) */
#define MK_D_ACCEPT_PAUSE_MS 250     /* no fd for a new connection: accept again after this */
#define MK_D_RETRY_MIN 5	     /* an ask after expiry retries a failed refresh at most this often */
#define MK_D_SECRETS_TRIM 600	     /* seconds between rebuilds of the log's secret table */
#define MK_D_SHORT_LEFT 5	     /* a token with less left is not handed out during a refresh */

enum mk_dstate {
	MK_DSTATE_OK = 0,
	MK_DSTATE_REFRESHING,
	MK_DSTATE_BACKOFF,
	MK_DSTATE_NEEDS_CONSENT,
	MK_DSTATE_NO_TOKENS,
	MK_DSTATE_LAST
};

enum mk_dwait {
	MK_DWAIT_TOKEN = 0,
	MK_DWAIT_SASL,
	MK_DWAIT_REFRESH,
	MK_DWAIT_SOCKMAP,
};

struct dacct;

struct dconn {
	int fd;
	uint64_t id;
	uid_t uid;
	int dialect;   /* -1 not yet known, 0 line protocol, 1 socketmap */
	bool events;   /* subscribed: gets EVENT lines, never idle-dropped */
	bool closing;  /* close once out is written */
	bool overflow; /* answers not read: drop */
	bool dead;     /* dropped; freed after this batch of events */
	bool rdhup;    /* the client shut its side: answer, then close */
	bool want_out; /* EPOLLOUT armed */
	bool in_idle;  /* in the idle list */
	struct mk_buf in, out;
	int64_t last_ms; /* monotonic ms of the last request byte */
	/* A request waiting for its account (at most one: answers go in order,
	 * so nothing after it is read until it is answered). */
	struct dacct *parked;
	struct dconn *wprev, *wnext;
	enum mk_dwait wkind;
	bool wfresh;
	uint64_t wserial; /* the account's token serial when asked */
	enum mk_proto_mech wmech;
	struct dconn *iprev, *inext; /* idle list, oldest first */
	struct dconn *cnext, *cprev; /* every connection */
};

struct dacct {
	char *name;
	const struct mk_account *a; /* in d->cfg */
	/* The cache of the account's record. */
	char *token; /* secret; NULL = none */
	int64_t obtained_at, expires_at;
	bool has_refresh, needs_consent, found;
	char last_error[MK_ERROR_MSG_SIZE];
	int64_t last_error_at;
	uint64_t serial; /* bumped whenever token changes */
	/* Refreshing. */
	bool in_flight, in_flight_force;
	unsigned failures; /* consecutive */
	int64_t retry_at;  /* backoff: no background attempt before */
	int64_t last_attempt, last_refresh_at;
	unsigned long refreshes;
	/* notify_command while the grant is lost. */
	int64_t notify_next, notify_deadline;
	pid_t notify_pid;
	unsigned long notifies;
	struct dconn *waiters;
	unsigned nwaiters;
	bool seen; /* reload bookkeeping */
};

struct mk_daemon {
	char *config_path, *state_dir, *cafile, *socket_path, *lock_path, *core_path, *acct_dir, *queue_new;
	struct mk_config *cfg;
	struct mk_store *store;
	struct dacct **accts;
	size_t n;
	size_t *index, index_size; /* open addressing over accts by name: slot = i + 1 */
	int epfd, lfd, sigfd, tfd, inofd, storelockfd, lockfd;
	/* Out of fds: the listening socket is out of the epoll set until this
	 * monotonic ms (0 = listening), or a level-triggered accept spins. */
	int64_t accept_resume_ms;
	int wd_accounts, wd_queue;
	struct mk_pool *pool;
	bool has_group;
	bool socket_from_config; /* the path is the config's `socket` */
	gid_t allow_gid;
	char *group_name;
	bool stopping;
	struct dconn *conns, *idle_head, *idle_tail, *dead;
	size_t nconns;
	uint64_t next_id;
	/* The queue runner. */
	pid_t queue_pid;
	bool queue_again;
	int64_t queue_next; /* 0 = nothing scheduled */
	unsigned long queue_runs;
	int64_t started_at;
	int64_t secrets_next; /* next secrets_trim */
	unsigned nworkers;
	void (*on_reload)(void *ctx); /* the params' hook (the gateway) */
	void *hook_ctx;
};

/* Clocks: unix seconds (token times are wall-clock) and monotonic ms. */
int64_t mk_d_now(void);
int64_t mk_d_mono_ms(void);

/* acct.c */
int mk_d_accts_load(struct mk_daemon *d, struct mk_error *err); /* first load */
int mk_d_reload(struct mk_daemon *d);				/* SIGHUP */
struct dacct *mk_d_acct_find(struct mk_daemon *d, const char *name);
void mk_d_acct_free_all(struct mk_daemon *d);
void mk_d_acct_ask(struct mk_daemon *d, struct dacct *ac, struct dconn *c, enum mk_dwait kind, bool fresh,
		   enum mk_proto_mech mech);
void mk_d_store_changed(struct mk_daemon *d, const char *name); /* inotify */
void mk_d_store_changed_all(struct mk_daemon *d);
void mk_d_jobs_done(struct mk_daemon *d);
/* Start due refreshes and notifies; the next moment something is due. */
int64_t mk_d_tick(struct mk_daemon *d, int64_t now);
enum mk_dstate mk_d_acct_state(const struct dacct *ac, int64_t now);
const char *mk_d_state_name(enum mk_dstate s);
int64_t mk_d_acct_next_refresh(const struct dacct *ac);
void mk_d_unpark(struct dconn *c);

/* conn.c */
void mk_d_accept(struct mk_daemon *d);
void mk_d_accept_resume(struct mk_daemon *d); /* after a pause for fd exhaustion, when due */
void mk_d_conn_io(struct mk_daemon *d, struct dconn *c, uint32_t events);
void mk_d_conn_drop(struct mk_daemon *d, struct dconn *c, const char *why);
int mk_d_conn_flush(struct mk_daemon *d, struct dconn *c); /* -1: dropped */
/* A parked request's answer, from its account's state: the token (as the
 * request's kind wants it), or the account's error. */
void mk_d_answer_ok(struct mk_daemon *d, struct dconn *c, struct dacct *ac);
void mk_d_answer_err(struct mk_daemon *d, struct dconn *c, struct dacct *ac, int code, const char *msg);
void mk_d_conn_resume(struct mk_daemon *d, struct dconn *c); /* after unpark: next requests */
void mk_d_conn_reap(struct mk_daemon *d);		     /* free the dropped */
void mk_d_conn_event(struct mk_daemon *d, struct dconn *c, const char *line); /* may drop c */
int mk_d_idle_timeout_ms(struct mk_daemon *d);
void mk_d_idle_sweep(struct mk_daemon *d);
bool mk_d_peer_allowed(struct mk_daemon *d, int fd, uid_t *uid_r, pid_t *pid_r);

/* status.c */
int mk_d_status_json(struct mk_daemon *d, struct mk_buf *out);
void mk_d_event(struct mk_daemon *d, const char *event, const struct dacct *ac, const char *detail);

/* child.c */
void mk_d_notify_start(struct mk_daemon *d, struct dacct *ac);
void mk_d_queue_start(struct mk_daemon *d);
void mk_d_children_reap(struct mk_daemon *d);
int64_t mk_d_children_tick(struct mk_daemon *d, int64_t now); /* kills overdue; next deadline */
void mk_d_children_stop(struct mk_daemon *d);

#endif
