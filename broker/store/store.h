/* The encrypted token store: one sealed record per account, so handing out
 * one account's token reads and decrypts only that account's bytes however
 * many accounts there are.
 *
 * The interface is a backend's (struct mk_store_ops): read an account's
 * record with its generation; a locked read-modify-write (lock the account,
 * read, write with the generation read, unlock); remove; list. The file
 * backend (store_file.c) keeps STATE_DIR/accounts/NAME.tok, each sealed with
 * AES-256-GCM and the account name as associated data (store_format.h), a
 * flock()ed NAME.lock per account and one key file (or a key_command). A
 * shared backend (PostgreSQL: an advisory lock per account, compare-and-swap
 * on the generation) fits the same table. */
#ifndef MK_BROKER_STORE_H
#define MK_BROKER_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/tokens.h"
#include "common/error.h"

struct mk_store;
struct mk_store_lock; /* one account's lock, held */

/* Called once per stored account by list; non-zero stops the walk and is
 * returned. */
typedef int (*mk_store_each_fn)(const char *account, void *arg);

struct mk_store_ops {
	/* 0 found (*gen_r its generation, >= 1), 1 nothing stored (r cleared,
	 * *gen_r 0), -1 error: MK_ERR_DATA naming the record (corrupt, another
	 * account's, wrong key), MK_ERR_IO. Never modifies the record. */
	int (*read)(struct mk_store *s, const char *account, struct mk_tokens *r, uint64_t *gen_r,
		    struct mk_error *err);
	/* Exclusive lock on one account, blocking; locks of different accounts
	 * never wait on each other. */
	int (*lock)(struct mk_store *s, const char *account, struct mk_store_lock **r, struct mk_error *err);
	void (*unlock)(struct mk_store *s, struct mk_store_lock **l);
	/* With l held: store t as the account's record if its generation is
	 * still expected (0: nothing stored); the new record has expected + 1.
	 * Durable when it returns. Errors: MK_ERR_TEMP (changed meanwhile:
	 * read again), MK_ERR_DATA (the record there is unreadable: it is never
	 * overwritten), MK_ERR_IO. */
	int (*write)(struct mk_store *s, struct mk_store_lock *l, const struct mk_tokens *t,
		     uint64_t expected, struct mk_error *err);
	/* With l held: forget the account if its generation is still expected
	 * (nothing stored is fine). Errors as write. */
	int (*remove)(struct mk_store *s, struct mk_store_lock *l, uint64_t expected, struct mk_error *err);
	/* Every stored account, in no particular order. */
	int (*list)(struct mk_store *s, mk_store_each_fn each, void *arg, struct mk_error *err);
	/* Can records be read and written (before a login asks for consent)? */
	int (*check)(struct mk_store *s, struct mk_error *err);
	void (*free)(struct mk_store *s);
};

/* Every backend's handle starts with this. */
struct mk_store {
	const struct mk_store_ops *ops;
};

/* The file backend in state_dir; touches nothing yet. key_command (may be
 * NULL) is run with /bin/sh and its output hashed into the key. On first use
 * an old single-file store (tokens.store) is migrated into records. */
int mk_store_new(const char *state_dir, const char *key_command, struct mk_store **r, struct mk_error *err);
void mk_store_free(struct mk_store **s);

/* The default state directory: $MAILKEY_STATE_DIR, $XDG_STATE_HOME/mailkey,
 * ~/.local/state/mailkey. Heap string. */
char *mk_store_default_dir(void);

/* The operations of s (see struct mk_store_ops). gen_r may be NULL. */
int mk_store_read(struct mk_store *s, const char *account, struct mk_tokens *r, uint64_t *gen_r,
		  struct mk_error *err);
int mk_store_lock(struct mk_store *s, const char *account, struct mk_store_lock **r, struct mk_error *err);
void mk_store_unlock(struct mk_store *s, struct mk_store_lock **l);
int mk_store_write(struct mk_store *s, struct mk_store_lock *l, const struct mk_tokens *t, uint64_t expected,
		   struct mk_error *err);
int mk_store_remove(struct mk_store *s, struct mk_store_lock *l, uint64_t expected, struct mk_error *err);
int mk_store_list(struct mk_store *s, mk_store_each_fn each, void *arg, struct mk_error *err);
int mk_store_check(struct mk_store *s, struct mk_error *err);

/* Lock, read, store t (NULL: remove), unlock: one account's whole update. */
int mk_store_put(struct mk_store *s, const char *account, const struct mk_tokens *t, struct mk_error *err);

/* A record's plain text, shared by the backends:
 * {"account":NAME,"generation":N,"tokens":{...}}. decode: 0, or -1 with
 * MK_ERR_DATA (malformed, or another account's). */
char *mk_store_encode(const char *account, uint64_t generation, const struct mk_tokens *t);
int mk_store_decode(const char *account, const char *text, size_t len, struct mk_tokens *r, uint64_t *gen_r,
		    struct mk_error *err);

/* Make jansson wipe every block it frees (tokens pass through it). Call once
 * at program start. */
void mk_store_json_wipe_on_free(void);

#endif
