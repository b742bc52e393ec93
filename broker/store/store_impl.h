/* Inside the store: the file backend's handle, shared by store_file.c and
 * the migration of the old single-file store (store_legacy.c). */
#ifndef MK_BROKER_STORE_IMPL_H
#define MK_BROKER_STORE_IMPL_H

#include <jansson.h>
#include <stdbool.h>

#include "broker/store/store.h"
#include "broker/store/store_format.h"

struct mk_file_store {
	struct mk_store base;
	char *dir;	     /* STATE_DIR */
	char *acct_dir;	     /* STATE_DIR/accounts: NAME.tok, NAME.lock */
	char *legacy_path;   /* STATE_DIR/tokens.store (before records) */
	char *migrated_path; /* where it goes once migrated */
	char *key_path;
	char *lock_path; /* STATE_DIR/tokens.lock: key creation, migration */
	char *key_command;
	bool have_key;
	bool migrated;	  /* no old store left to migrate (checked once) */
	bool holding_all; /* this handle holds tokens.lock (migrating) */
	unsigned char key[MK_STORE_KEY_LEN];
};

/* The file backend's account lock: NAME.lock flock()ed. */
struct mk_store_lock {
	int fd;
	char *account;
	char *record; /* NAME.tok */
};

/* One account's tokens as JSON (the old store's entries, a record's
 * "tokens"): from_json 0, or -1 when malformed. */
int mk_store_tokens_from_json(json_t *a, struct mk_tokens *r);
json_t *mk_store_tokens_to_json(const struct mk_tokens *t);

/* The store-wide lock (tokens.lock), which old mailkeys took for every
 * write: *fd_r >= 0 held; -1 with 0 returned when this handle holds it
 * already (flock on a second descriptor would wait for ourselves). */
int mk_file_store_lock_all(struct mk_file_store *fs, int *fd_r, struct mk_error *err);
void mk_file_store_unlock_all(int *fd);

/* Load the key (create: make one if there is none). 0, 1 no key and create
 * not set, -1 error. */
int mk_file_store_load_key(struct mk_file_store *fs, bool create, struct mk_error *err);

/* Move the old single-file store into records, once, under the store-wide
 * lock (store_legacy.c). Sets fs->migrated when there is nothing (left) to
 * migrate. */
int mk_file_store_migrate(struct mk_file_store *fs, struct mk_error *err);

#endif
