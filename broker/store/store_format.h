/* The store file formats, pure (no I/O), so they can be fuzzed:
 *
 *   "MKST" | version (1 byte) | nonce (12) | ciphertext | tag (16)
 *
 * AES-256-GCM. Version 1 is the old single-file store (every account in one
 * file, read only to migrate it): the 17-byte header is the additional
 * authenticated data, so a changed version byte or nonce fails the tag like
 * any other change. Version 2 is one account's record: the associated data is
 * the header followed by "mailkey account " and the account name, so a record
 * copied over another account's file fails the tag too. */
#ifndef MK_BROKER_STORE_FORMAT_H
#define MK_BROKER_STORE_FORMAT_H

#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

#define MK_STORE_KEY_LEN 32
#define MK_STORE_NONCE_LEN 12
#define MK_STORE_TAG_LEN 16
#define MK_STORE_HEADER_LEN 17
#define MK_STORE_VERSION 1
#define MK_STORE_RECORD_VERSION 2

/* Encrypt plain with key and a fresh nonce (the caller's: never reuse one)
 * and append the whole file image to out. Errors: MK_ERR_INTERNAL. */
int mk_store_seal(const unsigned char key[MK_STORE_KEY_LEN], const unsigned char nonce[MK_STORE_NONCE_LEN],
		  const void *plain, size_t len, struct mk_buf *out, struct mk_error *err);

/* Check and decrypt a file image into plain_r (a secret buffer; appended).
 * Errors: MK_ERR_DATA ("not a mailkey store", "unsupported version N",
 * "truncated", "wrong key or corrupted"): plain_r is left empty. */
int mk_store_unseal(const unsigned char key[MK_STORE_KEY_LEN], const unsigned char *blob, size_t len,
		    struct mk_buf *plain_r, struct mk_error *err);

/* The same for one account's record (version 2, name bound in). */
int mk_store_seal_record(const unsigned char key[MK_STORE_KEY_LEN],
			 const unsigned char nonce[MK_STORE_NONCE_LEN], const char *name, const void *plain,
			 size_t len, struct mk_buf *out, struct mk_error *err);
/* Errors as mk_store_unseal; a record of another account (or renamed) is
 * "wrong key or corrupted" like any other change. */
int mk_store_unseal_record(const unsigned char key[MK_STORE_KEY_LEN], const char *name,
			   const unsigned char *blob, size_t len, struct mk_buf *plain_r,
			   struct mk_error *err);

#endif
