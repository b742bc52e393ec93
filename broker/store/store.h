/* The encrypted token store: one file (store_format.h) in the state
 * directory, a key file beside it (or a key_command), and a lock file that
 * serialises writers across processes. */
#ifndef MK_BROKER_STORE_H
#define MK_BROKER_STORE_H

#include <jansson.h>
#include <stdbool.h>

#include "broker/tokens.h"
#include "common/error.h"

struct mk_store;

/* Remember where the store lives; touches nothing yet. key_command (may be
 * NULL) is run with /bin/sh and its output hashed into the key. */
int mk_store_new(const char *state_dir, const char *key_command, struct mk_store **r, struct mk_error *err);
void mk_store_free(struct mk_store **s);

/* The default state directory: $MAILKEY_STATE_DIR, $XDG_STATE_HOME/mailkey,
 * ~/.local/state/mailkey. Heap string. */
char *mk_store_default_dir(void);

/* Take / drop the exclusive lock (creating the directory 0700). Blocking. */
int mk_store_lock(struct mk_store *s, struct mk_error *err);
void mk_store_unlock(struct mk_store *s);

/* Read the store: *doc_r = {"version":1,"accounts":{...}} (an empty one when
 * there is no file yet). Errors: MK_ERR_DATA naming the file (corrupt,
 * truncated, wrong key), MK_ERR_IO. The file is never modified here. */
int mk_store_read(struct mk_store *s, json_t **doc_r, struct mk_error *err);

/* Encrypt doc with a fresh nonce and atomically replace the file (0600).
 * Call with the lock held. */
int mk_store_write(struct mk_store *s, json_t *doc, struct mk_error *err);

/* Can the store be read and written (before a login asks anyone for
 * consent)? Takes and drops the lock, decrypts the store if there is one,
 * checks the key (key_command, key file) and that the directory is writable.
 * Changes nothing but creating the directory and lock file. Errors as
 * mk_store_read, MK_ERR_CONFIG (key_command), MK_ERR_IO. */
int mk_store_check(struct mk_store *s, struct mk_error *err);

/* Tokens of account name in doc: 0 found, 1 absent. */
int mk_store_get(json_t *doc, const char *name, struct mk_tokens *r, struct mk_error *err);
int mk_store_put(json_t *doc, const char *name, const struct mk_tokens *t, struct mk_error *err);
void mk_store_remove(json_t *doc, const char *name);

const char *mk_store_path(const struct mk_store *s);

/* Make jansson wipe every block it frees (tokens pass through it). Call once
 * at program start. */
void mk_store_json_wipe_on_free(void);

#endif
