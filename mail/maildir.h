/* Delivery into a Maildir (tmp/ then new/, the maildir(5) way) and the
 * small state that keeps `mailkey fetch` from fetching a message twice. */
#ifndef MK_MAIL_MAILDIR_H
#define MK_MAIL_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Create DIR and DIR/{tmp,new,cur} (0700) if missing. */
int mk_maildir_init(const char *dir, struct mk_error *err);

/* Write msg (CRLF line ends become LF) to tmp/, fsync, then move it to new/
 * under a unique name. Errors: MK_ERR_IO. */
int mk_maildir_deliver(const char *dir, const char *msg, size_t len, struct mk_error *err);

/* A batch of deliveries announced in the state file before any of them is
 * made: each UID with the Maildir name it will get. */
#define MK_MAILDIR_NAME_MAX 160
struct mk_maildir_entry {
	uint64_t uid;
	char name[MK_MAILDIR_NAME_MAX];
};

/* A new unique maildir(5) name (time.MusecPpidQcounter.host) in name. */
int mk_maildir_new_name(char *name, size_t size, struct mk_error *err);

/* Like mk_maildir_deliver, under the given name: tmp/NAME, fsync, rename to
 * new/NAME. The directory new/ is not synced: see mk_maildir_sync_new. */
int mk_maildir_deliver_as(const char *dir, const char *name, const char *msg, size_t len,
			  struct mk_error *err);

/* A batch: each message written to tmp/NAME without a flush, then
 * mk_maildir_commit makes them all durable with one syncfs, moves them into
 * new/ and syncs new/. mk_maildir_drop_tmp removes a tmp/NAME a killed run
 * left behind. */
int mk_maildir_write_tmp(const char *dir, const char *name, const char *msg, size_t len,
			 struct mk_error *err);
int mk_maildir_commit(const char *dir, const char *const *names, size_t n, struct mk_error *err);
void mk_maildir_drop_tmp(const char *dir, const char *name);

/* fsync DIR/new, so the renames made into it survive a power loss. */
int mk_maildir_sync_new(const char *dir, struct mk_error *err);

/* Whether NAME was delivered: new/NAME, or cur/NAME with flags (a mail
 * reader may have moved it). */
bool mk_maildir_has(const char *dir, const char *name);

/* The state file: "UIDVALIDITY LASTUID\n", then the batch in flight, one
 * "UID NAME\n" a line (none when idle). Missing = 0 0 and no batch. With
 * pend == NULL the batch lines are ignored. *pend is malloc'ed. */
int mk_maildir_state_load(const char *path, uint64_t *uidvalidity, uint64_t *last_uid, struct mk_error *err);
int mk_maildir_state_load_batch(const char *path, uint64_t *uidvalidity, uint64_t *last_uid,
				struct mk_maildir_entry **pend, size_t *n_pend, struct mk_error *err);
int mk_maildir_state_save(const char *path, uint64_t uidvalidity, uint64_t last_uid, struct mk_error *err);
int mk_maildir_state_save_batch(const char *path, uint64_t uidvalidity, uint64_t last_uid,
				const struct mk_maildir_entry *pend, size_t n_pend, struct mk_error *err);

#endif
