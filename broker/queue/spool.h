/* The outgoing queue on disk, Maildir-like, under STATE_DIR/queue (0700):
 *   tmp/ID      being written by `send --queue` (never read from)
 *   new/ID      queued: envelope + message (spool_env.h), 0600, fsync'd,
 *               renamed from tmp/ (atomic), its directory fsync'd
 *   state/ID    attempts, next attempt, last error (atomic replace)
 *   failed/ID   refused for good, with failed/ID.reply (the server's words)
 *   lock        held by `queue run` (flock), so two runs never send twice
 * A message leaves new/ only after the server's 250 for its DATA (unlink) or
 * by rename into failed/: a kill at any moment leaves it in one place. */
#ifndef MK_BROKER_QUEUE_SPOOL_H
#define MK_BROKER_QUEUE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/queue/spool_env.h"
#include "common/buf.h"
#include "common/error.h"

#define MK_SPOOL_ID_MAX 64

struct mk_spool;

struct mk_spool_item {
	char id[MK_SPOOL_ID_MAX];
	bool failed; /* in failed/ */
	size_t size; /* bytes of the message (without the envelope) */
	struct mk_spool_env env;
	struct mk_spool_state st; /* failed: st.error is the reply file's first line */
};

/* Open (and with create, make) the spool under state_dir. Errors: MK_ERR_IO. */
int mk_spool_open(const char *state_dir, bool create, struct mk_spool **r, struct mk_error *err);
void mk_spool_free(struct mk_spool **sp);

/* Queue one message: written to tmp/, fsync'd, renamed into new/, new/
 * fsync'd; only then 0. id_r (MK_SPOOL_ID_MAX) gets its name. */
int mk_spool_add(struct mk_spool *sp, const struct mk_spool_env_in *env, const char *msg, size_t len,
		 char *id_r, struct mk_error *err);

/* Every queued (and with failed, every refused) message, oldest first, with
 * envelope and state; a file that cannot be parsed is listed with its
 * error in st.error and env.account NULL. Free with mk_spool_items_free. */
int mk_spool_list(struct mk_spool *sp, bool failed, struct mk_spool_item **items, size_t *n,
		  struct mk_error *err);
void mk_spool_items_free(struct mk_spool_item *items, size_t n);

/* The message bytes of new/ID (without the envelope) into out. */
int mk_spool_load(struct mk_spool *sp, const char *id, struct mk_buf *out, struct mk_error *err);

/* Record a failed attempt (atomic replace of state/ID). */
int mk_spool_set_state(struct mk_spool *sp, const char *id, const struct mk_spool_state *st,
		       struct mk_error *err);

/* The server took the message: remove new/ID (and its state). The
 * directory is fsync'd by mk_spool_sync (batched: see cmd_queue.c). */
int mk_spool_done(struct mk_spool *sp, const char *id, struct mk_error *err);
int mk_spool_sync(struct mk_spool *sp, struct mk_error *err);

/* Refused for good: write failed/ID.reply, rename new/ID to failed/ID,
 * fsync both directories, drop the state. path_r (may be NULL, size
 * PATH_MAX) gets the new path. */
int mk_spool_fail(struct mk_spool *sp, const char *id, const char *reply, char *path_r, struct mk_error *err);

/* Remove tmp/ files older than max_age seconds (writers killed before
 * their rename: their sender never got exit 0). Returns how many. */
int mk_spool_clean_tmp(struct mk_spool *sp, unsigned max_age);

/* Take the run lock: 0 taken, 1 another run holds it, -1 error. Released
 * by mk_spool_free. */
int mk_spool_lock(struct mk_spool *sp, struct mk_error *err);

#endif
