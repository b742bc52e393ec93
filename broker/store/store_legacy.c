/* The old single-file store (tokens.store: every account in one sealed JSON
 * document) becomes one record per account on first use.
 *
 * Under the store-wide lock that old mailkeys took for every write: each
 * account's record is written (atomic replace, fsync'd) unless one is there
 * already, and only when all are on disk is the old file renamed to
 * tokens.store.migrated. A kill at any moment leaves the old file in place,
 * and the next use finishes the job; a record written before the kill is
 * the old file's own entry (nothing writes records before the migration is
 * done), so it is kept as it is. The old file is kept, renamed, rather than
 * removed: should anything have gone wrong, nothing is lost. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "broker/store/store_impl.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/fsutil.h"
#include "common/log.h"

#define MK_LEGACY_MAX (16u << 20)

static int read_legacy(struct mk_file_store *fs, json_t **doc_r, struct mk_error *err)
{
	struct mk_buf blob, plain;
	struct mk_error e;
	int rc = -1, k;

	*doc_r = NULL;
	mk_buf_init(&blob, MK_LEGACY_MAX);
	mk_buf_init_secret(&plain, MK_LEGACY_MAX);
	mk_error_init(&e);
	if (mk_fs_read_file(fs->legacy_path, &blob, &e) != 0) {
		if (e.cls == MK_ERR_NOINPUT)
			rc = 1;
		else if (err != NULL)
			*err = e;
		goto out;
	}
	k = mk_file_store_load_key(fs, false, err);
	if (k == 1) {
		mk_error_set(err, MK_ERR_DATA, "the store %s exists but its key file %s is missing",
			     fs->legacy_path, fs->key_path);
		goto out;
	}
	if (k != 0)
		goto out;
	if (mk_store_unseal(fs->key, (const unsigned char *)blob.data, blob.len, &plain, &e) != 0) {
		mk_error_set(
			err, MK_ERR_DATA,
			"cannot read the token store %s to migrate it: %s; it was left untouched (restore "
			"it, or move it away and run `%s login` again)",
			fs->legacy_path, e.msg, mk_hint_cmd());
		goto out;
	}
	*doc_r = json_loadb(plain.data, plain.len, 0, NULL);
	if (*doc_r == NULL || !json_is_object(json_object_get(*doc_r, "accounts"))) {
		json_decref(*doc_r);
		*doc_r = NULL;
		mk_error_set(err, MK_ERR_DATA, "the token store %s decrypts but its contents are malformed",
			     fs->legacy_path);
		goto out;
	}
	rc = 0;
out:
	mk_buf_free(&blob);
	mk_buf_free(&plain);
	return rc;
}

/* One account of the old store into its record, unless it has one. */
static int migrate_account(struct mk_file_store *fs, const char *name, json_t *entry, struct mk_error *err)
{
	struct mk_store *s = &fs->base;
	struct mk_store_lock *l = NULL;
	struct mk_tokens old = { 0 }, cur = { 0 };
	uint64_t gen = 0;
	int rc = -1, found;

	if (mk_store_tokens_from_json(entry, &old) != 0)
		return mk_error_set(err, MK_ERR_DATA, "the entry of account %s in %s is malformed", name,
				    fs->legacy_path);
	if (mk_store_lock(s, name, &l, err) != 0)
		goto out;
	found = mk_store_read(s, name, &cur, &gen, err);
	if (found < 0)
		goto out;
	/* What a killed earlier run of the migration left (a write replaces
	 * them anyway). */
	if (found == 0)
		mk_fs_remove_temps(l->record);
	rc = found == 0 ? 0 : mk_store_write(s, l, &old, 0, err);
out:
	mk_store_unlock(s, &l);
	mk_tokens_clear(&old);
	mk_tokens_clear(&cur);
	return rc;
}

int mk_file_store_migrate(struct mk_file_store *fs, struct mk_error *err)
{
	struct stat st;
	json_t *doc = NULL, *entry;
	const char *name;
	int fd = -1, rc = -1, r;

	if (stat(fs->legacy_path, &st) != 0 && errno == ENOENT) {
		fs->migrated = true;
		return 0;
	}
	if (mk_file_store_lock_all(fs, &fd, err) != 0)
		return -1;
	fs->holding_all = true;
	/* Someone may have migrated it while this process waited. */
	r = read_legacy(fs, &doc, err);
	if (r < 0)
		goto out;
	fs->migrated = true; /* the record operations below must not recurse */
	if (r == 1) {
		rc = 0;
		goto out;
	}
	mk_fs_remove_temps(fs->legacy_path);
	json_object_foreach(json_object_get(doc, "accounts"), name, entry)
	{
		if (migrate_account(fs, name, entry, err) != 0) {
			mk_error_prefix(err, "migrating %s to one record per account failed",
					fs->legacy_path);
			goto out;
		}
	}
	if (rename(fs->legacy_path, fs->migrated_path) != 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot rename %s to %s", fs->legacy_path,
			       fs->migrated_path);
		goto out;
	}
	if (mk_fs_sync_dir(fs->dir, err) != 0)
		goto out;
	mk_log(MK_LOG_INFO,
	       "moved the token store %s into one record per account in %s (the old file is now %s)",
	       fs->legacy_path, fs->acct_dir, fs->migrated_path);
	rc = 0;
out:
	if (rc != 0)
		fs->migrated = false;
	json_decref(doc);
	fs->holding_all = false;
	mk_file_store_unlock_all(&fd);
	return rc;
}
