/* The file backend: STATE_DIR/accounts/NAME.tok per account (sealed, the
 * name bound in), NAME.lock beside it, one key file (or key_command). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/store/store_impl.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/fsutil.h"
#include "common/secret.h"

/* A record holds one account's tokens: a few KiB. */
#define MK_RECORD_MAX (1u << 20)
/* An encoded name must leave room for ".tok.tmp.XXXXXX" in NAME_MAX. */
#define MK_NAME_FILE_MAX 200

static const struct mk_store_ops file_ops;

static char *join(const char *dir, const char *name)
{
	struct mk_buf b;

	mk_buf_init(&b, 4096);
	if (mk_buf_addf(&b, "%s/%s", dir, name) != 0) {
		mk_buf_free(&b);
		return NULL;
	}
	return mk_buf_take(&b);
}

static bool plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.' || c == '@';
}

/* acct_dir/NAME.suffix. Configured names use only plain characters and
 * stay as they are; anything else is %XX, so no name can reach outside the
 * directory or collide with another. A leading '.' is escaped too (no
 * hidden files, no "..").  NULL with err set. */
static char *account_path(const struct mk_file_store *fs, const char *account, const char *suffix,
			  struct mk_error *err)
{
	struct mk_buf b;
	size_t start;

	if (*account == '\0') {
		mk_error_set(err, MK_ERR_USAGE, "an empty account name");
		return NULL;
	}
	mk_buf_init(&b, 4096);
	if (mk_buf_addf(&b, "%s/", fs->acct_dir) != 0)
		goto oom;
	start = b.len;
	for (const char *p = account; *p != '\0'; p++) {
		if (plain_char(*p) && !(p == account && *p == '.')) {
			if (mk_buf_addc(&b, *p) != 0)
				goto oom;
		} else if (mk_buf_addf(&b, "%%%02X", (unsigned char)*p) != 0) {
			goto oom;
		}
	}
	if (b.len - start > MK_NAME_FILE_MAX) {
		mk_buf_free(&b);
		mk_error_set(err, MK_ERR_USAGE, "account name too long for the store (%zu bytes)",
			     strlen(account));
		return NULL;
	}
	if (mk_buf_addf(&b, "%s", suffix) != 0)
		goto oom;
	return mk_buf_take(&b);
oom:
	mk_buf_free(&b);
	mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The account of a record file name (NAME.tok), or NULL when it is none
 * of ours. Heap string. */
static char *account_of(const char *file)
{
	size_t n = strlen(file), j = 0;
	char *r;

	if (n <= 4 || strcmp(file + n - 4, ".tok") != 0 || file[0] == '.')
		return NULL;
	if ((r = malloc(n)) == NULL)
		return NULL;
	for (size_t i = 0; i < n - 4; i++) {
		if (file[i] == '%') {
			int hi = i + 2 < n - 4 ? hexval(file[i + 1]) : -1,
			    lo = hi >= 0 ? hexval(file[i + 2]) : -1;
			if (lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			r[j++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (plain_char(file[i])) {
			r[j++] = file[i];
		} else {
			goto bad;
		}
	}
	r[j] = '\0';
	return r;
bad:
	free(r);
	return NULL;
}

int mk_store_new(const char *state_dir, const char *key_command, struct mk_store **r, struct mk_error *err)
{
	struct mk_file_store *fs = calloc(1, sizeof(*fs));
	struct mk_store *s = (struct mk_store *)fs;

	*r = NULL;
	if (fs == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	fs->base.ops = &file_ops;
	fs->dir = strdup(state_dir);
	fs->acct_dir = join(state_dir, "accounts");
	fs->legacy_path = join(state_dir, "tokens.store");
	fs->migrated_path = join(state_dir, "tokens.store.migrated");
	fs->key_path = join(state_dir, "store.key");
	fs->lock_path = join(state_dir, "tokens.lock");
	fs->key_command = key_command != NULL ? strdup(key_command) : NULL;
	if (fs->dir == NULL || fs->acct_dir == NULL || fs->legacy_path == NULL || fs->migrated_path == NULL ||
	    fs->key_path == NULL || fs->lock_path == NULL ||
	    (key_command != NULL && fs->key_command == NULL)) {
		mk_store_free(&s);
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	}
	*r = s;
	return 0;
}

static void file_free(struct mk_store *s)
{
	struct mk_file_store *fs = (struct mk_file_store *)s;

	free(fs->dir);
	free(fs->acct_dir);
	free(fs->legacy_path);
	free(fs->migrated_path);
	free(fs->key_path);
	free(fs->lock_path);
	free(fs->key_command);
	mk_secret_wipe(fs->key, sizeof(fs->key));
	free(fs);
}

/* flock path, creating it (0600). */
static int lock_file(const char *path, int *fd_r, struct mk_error *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	*fd_r = -1;
	if (fd < 0)
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot open lock file %s", path);
	while (flock(fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		mk_error_errno(err, MK_ERR_IO, errno, "cannot lock %s", path);
		close(fd);
		return -1;
	}
	*fd_r = fd;
	return 0;
}

int mk_file_store_lock_all(struct mk_file_store *fs, int *fd_r, struct mk_error *err)
{
	*fd_r = -1;
	if (fs->holding_all)
		return 0;
	if (mk_fs_mkdir_p(fs->dir, 0700, 1, err) != 0)
		return -1;
	return lock_file(fs->lock_path, fd_r, err);
}

void mk_file_store_unlock_all(int *fd)
{
	if (*fd >= 0) {
		flock(*fd, LOCK_UN);
		close(*fd);
		*fd = -1;
	}
}

static int key_from_command(struct mk_file_store *fs, struct mk_error *err)
{
	struct mk_buf out;
	char chunk[256];
	FILE *fp;
	size_t n;
	int rc = -1, status;

	mk_buf_init_secret(&out, 64 * 1024);
	fp = popen(fs->key_command, "r");
	if (fp == NULL)
		return mk_error_errno(err, MK_ERR_CONFIG, errno, "cannot run key_command");
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (mk_buf_add(&out, chunk, n) != 0)
			break;
	mk_secret_wipe(chunk, sizeof(chunk));
	status = pclose(fp);
	if (status != 0 || out.len == 0) {
		mk_error_set(err, MK_ERR_CONFIG, "key_command failed or printed nothing (exit status %d)",
			     status);
		goto out;
	}
	/* Any secret text works (a passphrase from pass or a keyring): the key
	 * is its SHA-256 under a label. */
	{
		mbedtls_sha256_context h;
		mbedtls_sha256_init(&h);
		mbedtls_sha256_starts_ret(&h, 0);
		mbedtls_sha256_update_ret(&h, (const unsigned char *)"mailkey store key v1\n", 21);
		mbedtls_sha256_update_ret(&h, (const unsigned char *)out.data, out.len);
		mbedtls_sha256_finish_ret(&h, fs->key);
		mbedtls_sha256_free(&h);
	}
	fs->have_key = true;
	rc = 0;
out:
	mk_buf_free(&out);
	return rc;
}

static int count_record(const char *account, void *arg)
{
	(void)account;
	++*(size_t *)arg;
	return 1; /* one is enough */
}

/* Is anything encrypted with the key file (the old store, a record)? */
static bool anything_stored(struct mk_file_store *fs)
{
	struct stat st;
	size_t n = 0;

	if (stat(fs->legacy_path, &st) == 0 || errno != ENOENT)
		return true;
	return file_ops.list(&fs->base, count_record, &n, NULL) != 0 || n > 0;
}

/* A new random key at key_path. replace: over a damaged one (rename);
 * otherwise only if there is none (link: a racing creator's key wins).
 * 0 made, 1 someone else's key appeared meanwhile, -1 error. */
static int make_key(struct mk_file_store *fs, bool replace, struct mk_error *err)
{
	int rc;

	if (getrandom(fs->key, sizeof(fs->key), 0) != (ssize_t)sizeof(fs->key))
		return mk_error_errno(err, MK_ERR_INTERNAL, errno, "no randomness for the store key");
	rc = replace ? mk_fs_write_atomic(fs->key_path, fs->key, sizeof(fs->key), 0600, err)
		     : mk_fs_create_exclusive(fs->key_path, fs->key, sizeof(fs->key), 0600, err);
	if (rc == 0)
		fs->have_key = true;
	else
		mk_secret_wipe(fs->key, sizeof(fs->key));
	if (rc < 0)
		mk_error_prefix(err, "cannot create key file %s", fs->key_path);
	return rc;
}

/* Create the key: under the store-wide lock, since writers of different
 * accounts no longer share a lock and a killed creation's temp file may only
 * be removed when no other creation runs. */
static int create_key(struct mk_file_store *fs, bool replace, struct mk_error *err)
{
	int fd, rc;

	if (mk_file_store_lock_all(fs, &fd, err) != 0)
		return -1;
	mk_fs_remove_temps(fs->key_path);
	rc = make_key(fs, replace, err);
	mk_file_store_unlock_all(&fd);
	return rc;
}

int mk_file_store_load_key(struct mk_file_store *fs, bool create, struct mk_error *err)
{
	struct mk_buf b;
	struct stat st;
	int rc = -1;

	if (fs->have_key)
		return 0;
	if (fs->key_command != NULL)
		return key_from_command(fs, err);
	mk_buf_init_secret(&b, MK_STORE_KEY_LEN + 1);
	for (int attempt = 0; attempt < 2; attempt++) {
		mk_buf_reset(&b);
		if (mk_fs_read_file(fs->key_path, &b, err) == 0) {
			if (b.len == MK_STORE_KEY_LEN)
				break;
			/* Damaged (a kill while an older mailkey created it left
			 * 0 bytes). With nothing stored nothing was ever
			 * encrypted with it, so a new key loses nothing; with
			 * records the key is the only way to read them. */
			if (!anything_stored(fs)) {
				if (!create) {
					rc = 1;
					goto out;
				}
				rc = create_key(fs, true, err);
				goto out;
			}
			mk_error_set(
				err, MK_ERR_DATA,
				"key file %s is damaged (%zu bytes, expected %d) and the records in %s need "
				"it: "
				"restore the key file from a backup, or move the state directory %s away and "
				"run `%s login` again",
				fs->key_path, b.len, MK_STORE_KEY_LEN, fs->acct_dir, fs->dir, mk_hint_cmd());
			goto out;
		}
		if (err != NULL && err->cls != MK_ERR_NOINPUT)
			goto out;
		if (!create) {
			rc = 1; /* no key yet: there can be no record either */
			goto out;
		}
		rc = create_key(fs, false, err);
		if (rc != 1)
			goto out;
		rc = -1; /* another process made one just now: use it */
	}
	if (b.len != MK_STORE_KEY_LEN) {
		mk_error_set(err, MK_ERR_IO, "key file %s keeps changing", fs->key_path);
		goto out;
	}
	if (stat(fs->key_path, &st) == 0 && (st.st_mode & 077) != 0) {
		mk_error_set(err, MK_ERR_DATA,
			     "key file %s is readable by its group or other users: chmod 600 it",
			     fs->key_path);
		goto out;
	}
	memcpy(fs->key, b.data, MK_STORE_KEY_LEN);
	fs->have_key = true;
	rc = 0;
out:
	mk_buf_free(&b);
	return rc;
}

static int migrate_once(struct mk_file_store *fs, struct mk_error *err)
{
	return fs->migrated ? 0 : mk_file_store_migrate(fs, err);
}

/* Read and open the record at path: 0 found, 1 none, -1 error. */
static int read_record(struct mk_file_store *fs, const char *account, const char *path, struct mk_tokens *r,
		       uint64_t *gen_r, struct mk_error *err)
{
	struct mk_buf blob, plain;
	struct mk_error e;
	int rc = -1, k;

	memset(r, 0, sizeof(*r));
	*gen_r = 0;
	mk_buf_init(&blob, MK_RECORD_MAX);
	mk_buf_init_secret(&plain, MK_RECORD_MAX);
	mk_error_init(&e);
	if (mk_fs_read_file(path, &blob, &e) != 0) {
		if (e.cls == MK_ERR_NOINPUT)
			rc = 1;
		else if (err != NULL)
			*err = e;
		goto out;
	}
	k = mk_file_store_load_key(fs, false, err);
	if (k == 1) {
		mk_error_set(err, MK_ERR_DATA, "the token record %s exists but the key file %s is missing",
			     path, fs->key_path);
		goto out;
	}
	if (k != 0)
		goto out;
	if (mk_store_unseal_record(fs->key, account, (const unsigned char *)blob.data, blob.len, &plain,
				   &e) != 0 ||
	    mk_store_decode(account, plain.data, plain.len, r, gen_r, &e) != 0) {
		mk_error_set(err, MK_ERR_DATA,
			     "cannot read the token record %s of account %s: %s; it was left untouched "
			     "(restore it, or remove it and run `%s login %s` again)",
			     path, account, e.msg, mk_hint_cmd(), account);
		goto out;
	}
	rc = 0;
out:
	mk_buf_free(&blob);
	mk_buf_free(&plain);
	return rc;
}

static int file_read(struct mk_store *s, const char *account, struct mk_tokens *r, uint64_t *gen_r,
		     struct mk_error *err)
{
	struct mk_file_store *fs = (struct mk_file_store *)s;
	char *path;
	int rc;

	memset(r, 0, sizeof(*r));
	*gen_r = 0;
	if (migrate_once(fs, err) != 0)
		return -1;
	if ((path = account_path(fs, account, ".tok", err)) == NULL)
		return -1;
	rc = read_record(fs, account, path, r, gen_r, err);
	free(path);
	return rc;
}

/* The accounts directory, 0700; a new one made durable in its parent. */
static int make_acct_dir(struct mk_file_store *fs, struct mk_error *err)
{
	struct stat st;

	if (stat(fs->acct_dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 077) == 0)
		return 0;
	if (mk_fs_mkdir_p(fs->acct_dir, 0700, 1, err) != 0)
		return -1;
	return mk_fs_sync_dir(fs->dir, err);
}

static int file_lock(struct mk_store *s, const char *account, struct mk_store_lock **r, struct mk_error *err)
{
	struct mk_file_store *fs = (struct mk_file_store *)s;
	struct mk_store_lock *l;
	char *lpath = NULL;

	*r = NULL;
	/* Before any account lock: the migration takes them itself. */
	if (migrate_once(fs, err) != 0)
		return -1;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	l->fd = -1;
	if ((l->account = strdup(account)) == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto fail;
	}
	if ((l->record = account_path(fs, account, ".tok", err)) == NULL ||
	    (lpath = account_path(fs, account, ".lock", err)) == NULL)
		goto fail;
	if (mk_fs_mkdir_p(fs->dir, 0700, 1, err) != 0 || make_acct_dir(fs, err) != 0 ||
	    lock_file(lpath, &l->fd, err) != 0)
		goto fail;
	free(lpath);
	*r = l;
	return 0;
fail:
	free(lpath);
	free(l->account);
	free(l->record);
	free(l);
	return -1;
}

static void file_unlock(struct mk_store *s, struct mk_store_lock **lp)
{
	struct mk_store_lock *l = *lp;

	(void)s;
	if (l->fd >= 0) {
		flock(l->fd, LOCK_UN);
		close(l->fd);
	}
	free(l->account);
	free(l->record);
	free(l);
	*lp = NULL;
}

/* Under l: the record's generation now, which must be expected. */
static int check_generation(struct mk_file_store *fs, struct mk_store_lock *l, uint64_t expected,
			    struct mk_error *err)
{
	struct mk_tokens cur;
	uint64_t gen;
	int found = read_record(fs, l->account, l->record, &cur, &gen, err);

	mk_tokens_clear(&cur);
	if (found < 0)
		return -1;
	if (gen != expected)
		return mk_error_set(err, MK_ERR_TEMP,
				    "the tokens of account %s changed meanwhile (generation %llu, expected "
				    "%llu): try again",
				    l->account, (unsigned long long)gen, (unsigned long long)expected);
	return 0;
}

/* A key creation killed after its link() leaves a temp file of the key
 * beside a whole key; only under the store-wide lock is no creation running
 * whose temp file it could be. A write is rare (a login, a refresh an hour),
 * and the lock is held for one directory scan. */
static int tidy_key_temps(struct mk_file_store *fs, struct mk_error *err)
{
	int fd;

	if (fs->key_command != NULL)
		return 0;
	if (mk_file_store_lock_all(fs, &fd, err) != 0)
		return -1;
	mk_fs_remove_temps(fs->key_path);
	mk_file_store_unlock_all(&fd);
	return 0;
}

static int file_write(struct mk_store *s, struct mk_store_lock *l, const struct mk_tokens *t,
		      uint64_t expected, struct mk_error *err)
{
	struct mk_file_store *fs = (struct mk_file_store *)s;
	unsigned char nonce[MK_STORE_NONCE_LEN];
	struct mk_buf out;
	char *text = NULL;
	int rc = -1;

	mk_buf_init(&out, MK_RECORD_MAX + 64);
	if (check_generation(fs, l, expected, err) != 0)
		goto out;
	/* Under the account's lock no other write of it runs: any temp file
	 * is what a killed write left behind. */
	mk_fs_remove_temps(l->record);
	if (mk_file_store_load_key(fs, true, err) != 0 || tidy_key_temps(fs, err) != 0)
		goto out;
	if ((text = mk_store_encode(l->account, expected + 1, t)) == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	/* A fresh random nonce per write: GCM must never see one twice. */
	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce)) {
		mk_error_errno(err, MK_ERR_INTERNAL, errno, "no randomness for the store nonce");
		goto out;
	}
	if (mk_store_seal_record(fs->key, nonce, l->account, text, strlen(text), &out, err) != 0 ||
	    mk_fs_write_atomic(l->record, out.data, out.len, 0600, err) != 0)
		goto out;
	rc = 0;
out:
	mk_secret_free_str(text);
	mk_buf_free(&out);
	return rc;
}

static int file_remove(struct mk_store *s, struct mk_store_lock *l, uint64_t expected, struct mk_error *err)
{
	struct mk_file_store *fs = (struct mk_file_store *)s;

	if (check_generation(fs, l, expected, err) != 0)
		return -1;
	mk_fs_remove_temps(l->record);
	if (expected == 0)
		return 0;
	if (unlink(l->record) != 0 && errno != ENOENT)
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot remove %s", l->record);
	/* The lock file stays: removing it would let two processes hold
	 * "the" lock on different files. */
	return mk_fs_sync_dir(fs->acct_dir, err);
}

static int file_list(struct mk_store *s, mk_store_each_fn each, void *arg, struct mk_error *err)
{
	struct mk_file_store *fs = (struct mk_file_store *)s;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	/* Not migrate_once: listing is also how the key code asks whether
	 * anything is stored, from inside the migration. */
	d = opendir(fs->acct_dir);
	if (d == NULL)
		return errno == ENOENT
			       ? 0
			       : mk_error_errno(err, MK_ERR_IO, errno, "cannot list %s", fs->acct_dir);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *name = account_of(de->d_name);
		if (name != NULL)
			rc = each(name, arg);
		free(name);
	}
	closedir(d);
	return rc;
}

struct check_ctx {
	struct mk_file_store *fs;
	struct mk_error *err;
	int failed;
};

static int check_one(const char *account, void *arg)
{
	struct check_ctx *c = arg;
	struct mk_tokens t;
	uint64_t gen;
	char *path = account_path(c->fs, account, ".tok", c->err);
	int rc = path != NULL ? read_record(c->fs, account, path, &t, &gen, c->err) : -1;

	free(path);
	mk_tokens_clear(&t);
	if (rc < 0)
		c->failed = 1;
	return rc < 0 ? 1 : 0;
}

static int file_check(struct mk_store *s, struct mk_error *err)
{
	struct mk_file_store *fs = (struct mk_file_store *)s;
	struct check_ctx c = { fs, err, 0 };
	int rc;

	if (migrate_once(fs, err) != 0)
		return -1;
	if (mk_fs_mkdir_p(fs->dir, 0700, 1, err) != 0)
		return -1;
	/* Every record must open with the key a login would write with: a
	 * changed key or key_command is found before anyone gives consent.
	 * A login is rare; this is the one linear pass over the records. */
	rc = file_list(s, check_one, &c, err);
	if (c.failed || rc < 0)
		return -1;
	/* Nothing stored yet: still make sure the key will be there
	 * (key_command runs, a key file is sound or can be made). */
	if (mk_file_store_load_key(fs, false, err) < 0)
		return -1;
	if (access(fs->dir, W_OK | X_OK) != 0)
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot write in the state directory %s",
				      fs->dir);
	return 0;
}

static const struct mk_store_ops file_ops = {
	.read = file_read,
	.lock = file_lock,
	.unlock = file_unlock,
	.write = file_write,
	.remove = file_remove,
	.list = file_list,
	.check = file_check,
	.free = file_free,
};
