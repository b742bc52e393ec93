/* Delivery into a Maildir (tmp/ then new/, the maildir(5) way) and the
 * small state that keeps `mailkey fetch` from fetching a message twice. */
#ifndef MK_MAIL_MAILDIR_H
#define MK_MAIL_MAILDIR_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Create DIR and DIR/{tmp,new,cur} (0700) if missing. */
int mk_maildir_init(const char *dir, struct mk_error *err);

/* Write msg (CRLF line ends become LF) to tmp/, fsync, then move it to new/
 * under a unique name. Errors: MK_ERR_IO. */
int mk_maildir_deliver(const char *dir, const char *msg, size_t len, struct mk_error *err);

/* The state file: "UIDVALIDITY LASTUID\n". Missing = 0 0. */
int mk_maildir_state_load(const char *path, uint64_t *uidvalidity, uint64_t *last_uid, struct mk_error *err);
int mk_maildir_state_save(const char *path, uint64_t uidvalidity, uint64_t last_uid, struct mk_error *err);

#endif
