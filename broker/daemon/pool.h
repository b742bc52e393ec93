/* The refresh workers: a few threads, each with its own broker handle
 * (opened with daemon_mode: the store and broker handles are not shared
 * between threads), taking jobs from one queue. The loop learns of finished
 * jobs through an eventfd. */
#ifndef MK_BROKER_DAEMON_POOL_H
#define MK_BROKER_DAEMON_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/broker.h"
#include "broker/daemon/proto.h"
#include "broker/tokens.h"
#include "common/error.h"

struct mk_job {
	char account[MK_PROTO_ACCOUNT_MAX + 1];
	bool force; /* refresh even when not due (`fresh`, `refresh`) */
	/* Results, filled by the worker. */
	int rc;		     /* 0 ok, -1 err */
	struct mk_error err; /* rc -1: class and message (no secret) */
	bool changed;	     /* the stored access token changed (a refresh happened) */
	int found;	     /* the record after the job: 0 found (t), 1 none, -1 unreadable */
	struct mk_tokens t;  /* that record (secrets: mk_tokens_clear) */
	struct mk_job *next;
};

struct mk_pool;

/* Start n threads. The params' strings must outlive the pool. A worker
 * closes its broker handle when nothing is queued, unless keep_handles
 * (opening one runs the store's key_command). Errors: MK_ERR_INTERNAL. */
int mk_pool_new(const struct mk_broker_params *bp, unsigned n, bool keep_handles, struct mk_pool **r,
		struct mk_error *err);
/* Stop taking jobs, let the running ones finish (their store writes
 * complete), join the threads, drop what was queued. */
void mk_pool_free(struct mk_pool **p);
/* The first half of mk_pool_free: stop and join; finished jobs can still
 * be taken. */
void mk_pool_stop(struct mk_pool *p);

/* The eventfd that becomes readable when jobs are done. */
int mk_pool_fd(const struct mk_pool *p);
/* Queue a job (ownership passes to the pool until mk_pool_take). */
void mk_pool_submit(struct mk_pool *p, struct mk_job *j);
/* The finished jobs (a list through ->next, oldest first), the eventfd
 * drained; the caller frees them with mk_job_free. */
struct mk_job *mk_pool_take(struct mk_pool *p);
/* The configuration changed: each worker reopens its handle before its
 * next job. */
void mk_pool_reload(struct mk_pool *p);

struct mk_job *mk_job_new(const char *account, bool force);
void mk_job_free(struct mk_job *j);

#endif
