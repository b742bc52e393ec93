#include "broker/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/store/store_format.h"
#include "common/buf.h"
#include "common/fsutil.h"
#include "common/secret.h"

#define MK_STORE_MAX (16u << 20)

struct mk_store {
	char *dir;
	char *path;
	char *key_path;
	char *lock_path;
	char *key_command;
	int lock_fd;
	bool have_key;
	unsigned char key[MK_STORE_KEY_LEN];
};

static void wipe_free(void *p)
{
	if (p != NULL)
		explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

void mk_store_json_wipe_on_free(void)
{
	json_set_alloc_funcs(malloc, wipe_free);
}

char *mk_store_default_dir(void)
{
	return mk_fs_xdg_path("MAILKEY_STATE_DIR", "XDG_STATE_HOME", ".local/state", "mailkey");
}

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

int mk_store_new(const char *state_dir, const char *key_command, struct mk_store **r, struct mk_error *err)
{
	struct mk_store *s = calloc(1, sizeof(*s));

	*r = NULL;
	if (s == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	s->lock_fd = -1;
	s->dir = strdup(state_dir);
	s->path = join(state_dir, "tokens.store");
	s->key_path = join(state_dir, "store.key");
	s->lock_path = join(state_dir, "tokens.lock");
	s->key_command = key_command != NULL ? strdup(key_command) : NULL;
	if (s->dir == NULL || s->path == NULL || s->key_path == NULL || s->lock_path == NULL ||
	    (key_command != NULL && s->key_command == NULL)) {
		mk_store_free(&s);
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	}
	*r = s;
	return 0;
}

void mk_store_free(struct mk_store **sp)
{
	struct mk_store *s = *sp;

	if (s == NULL)
		return;
	mk_store_unlock(s);
	free(s->dir);
	free(s->path);
	free(s->key_path);
	free(s->lock_path);
	free(s->key_command);
	mk_secret_wipe(s->key, sizeof(s->key));
	free(s);
	*sp = NULL;
}

const char *mk_store_path(const struct mk_store *s)
{
	return s->path;
}

int mk_store_lock(struct mk_store *s, struct mk_error *err)
{
	if (s->lock_fd >= 0)
		return 0;
	if (mk_fs_mkdir_p(s->dir, 0700, 1, err) != 0)
		return -1;
	s->lock_fd = open(s->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0)
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot open lock file %s", s->lock_path);
	while (flock(s->lock_fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		close(s->lock_fd);
		s->lock_fd = -1;
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot lock %s", s->lock_path);
	}
	return 0;
}

void mk_store_unlock(struct mk_store *s)
{
	if (s->lock_fd >= 0) {
		flock(s->lock_fd, LOCK_UN);
		close(s->lock_fd);
		s->lock_fd = -1;
	}
}

static int key_from_command(struct mk_store *s, struct mk_error *err)
{
	struct mk_buf out;
	char chunk[256];
	FILE *fp;
	size_t n;
	int rc = -1, status;

	mk_buf_init_secret(&out, 64 * 1024);
	fp = popen(s->key_command, "r");
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
		mbedtls_sha256_finish_ret(&h, s->key);
		mbedtls_sha256_free(&h);
	}
	s->have_key = true;
	rc = 0;
out:
	mk_buf_free(&out);
	return rc;
}

static bool store_exists(const struct mk_store *s)
{
	struct stat st;

	return stat(s->path, &st) == 0 || errno != ENOENT;
}

/* A new random key at key_path. replace: over a damaged one (rename);
 * otherwise only if there is none (link: a racing creator's key wins).
 * 0 made, 1 someone else's key appeared meanwhile, -1 error. */
static int make_key(struct mk_store *s, bool replace, struct mk_error *err)
{
	int rc;

	if (getrandom(s->key, sizeof(s->key), 0) != (ssize_t)sizeof(s->key))
		return mk_error_errno(err, MK_ERR_INTERNAL, errno, "no randomness for the store key");
	rc = replace ? mk_fs_write_atomic(s->key_path, s->key, sizeof(s->key), 0600, err)
		     : mk_fs_create_exclusive(s->key_path, s->key, sizeof(s->key), 0600, err);
	if (rc == 0)
		s->have_key = true;
	else
		mk_secret_wipe(s->key, sizeof(s->key));
	if (rc < 0)
		mk_error_prefix(err, "cannot create key file %s", s->key_path);
	return rc;
}

/* Load the key file; create it when create is set (the caller holds the lock
 * and is about to write the store) and there is none. 0 loaded, 1 no usable
 * key and create not set (there can be no store that needs it), -1 error. */
static int load_key(struct mk_store *s, bool create, struct mk_error *err)
{
	struct mk_buf b;
	struct stat st;
	int rc = -1;

	if (s->have_key)
		return 0;
	if (s->key_command != NULL)
		return key_from_command(s, err);
	mk_buf_init_secret(&b, MK_STORE_KEY_LEN + 1);
	for (int attempt = 0; attempt < 2; attempt++) {
		mk_buf_reset(&b);
		if (mk_fs_read_file(s->key_path, &b, err) == 0) {
			if (b.len == MK_STORE_KEY_LEN)
				break;
			/* Damaged (a kill while an older mailkey created it left
			 * 0 bytes). Without a store nothing was ever encrypted
			 * with it, so a new key loses nothing; with a store the
			 * key is the only way to read it and stays as it is. */
			if (!store_exists(s)) {
				if (!create) {
					rc = 1;
					goto out;
				}
				rc = make_key(s, true, err);
				goto out;
			}
			mk_error_set(
				err, MK_ERR_DATA,
				"key file %s is damaged (%zu bytes, expected %d) and the store %s needs it: "
				"restore the key file from a backup, or move both files away and run "
				"`mailkey login` again",
				s->key_path, b.len, MK_STORE_KEY_LEN, s->path);
			goto out;
		}
		if (err != NULL && err->cls != MK_ERR_NOINPUT)
			goto out;
		if (!create) {
			rc = 1; /* no key yet: there can be no store either */
			goto out;
		}
		rc = make_key(s, false, err);
		if (rc != 1)
			goto out;
		rc = -1; /* another process made one just now: use it */
	}
	if (b.len != MK_STORE_KEY_LEN) {
		mk_error_set(err, MK_ERR_IO, "key file %s keeps changing", s->key_path);
		goto out;
	}
	if (stat(s->key_path, &st) == 0 && (st.st_mode & 077) != 0) {
		mk_error_set(err, MK_ERR_DATA, "key file %s is readable by other users: chmod 600 it",
			     s->key_path);
		goto out;
	}
	memcpy(s->key, b.data, MK_STORE_KEY_LEN);
	s->have_key = true;
	rc = 0;
out:
	mk_buf_free(&b);
	return rc;
}

static json_t *empty_doc(void)
{
	return json_pack("{s:i, s:{}}", "version", 1, "accounts");
}

int mk_store_read(struct mk_store *s, json_t **doc_r, struct mk_error *err)
{
	struct mk_buf blob, plain;
	json_error_t jerr;
	struct mk_error e;
	int rc = -1, k;

	*doc_r = NULL;
	mk_buf_init(&blob, MK_STORE_MAX);
	mk_buf_init_secret(&plain, MK_STORE_MAX);
	mk_error_init(&e);
	if (mk_fs_read_file(s->path, &blob, &e) != 0) {
		if (e.cls == MK_ERR_NOINPUT) {
			*doc_r = empty_doc();
			rc = *doc_r != NULL ? 0 : mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		} else {
			*err = e;
		}
		goto out;
	}
	k = load_key(s, false, err);
	if (k == 1) {
		mk_error_set(err, MK_ERR_DATA, "the store %s exists but its key file %s is missing", s->path,
			     s->key_path);
		goto out;
	}
	if (k != 0)
		goto out;
	if (mk_store_unseal(s->key, (const unsigned char *)blob.data, blob.len, &plain, &e) != 0) {
		mk_error_set(
			err, MK_ERR_DATA,
			"cannot read the token store %s: %s; it was left untouched (restore it, or move it "
			"away and run `mailkey login` again)",
			s->path, e.msg);
		goto out;
	}
	*doc_r = json_loadb(plain.data, plain.len, 0, &jerr);
	if (*doc_r == NULL || !json_is_object(json_object_get(*doc_r, "accounts"))) {
		json_decref(*doc_r);
		*doc_r = NULL;
		mk_error_set(err, MK_ERR_DATA, "the token store %s decrypts but its contents are malformed",
			     s->path);
		goto out;
	}
	rc = 0;
out:
	mk_buf_free(&blob);
	mk_buf_free(&plain);
	return rc;
}

int mk_store_write(struct mk_store *s, json_t *doc, struct mk_error *err)
{
	unsigned char nonce[MK_STORE_NONCE_LEN];
	struct mk_buf out;
	char *text = NULL;
	int rc = -1;

	mk_buf_init(&out, MK_STORE_MAX + 64);
	if (mk_fs_mkdir_p(s->dir, 0700, 1, err) != 0)
		goto out;
	/* Under the lock no other write is running: any temp file is what a
	 * killed write left behind. */
	mk_fs_remove_temps(s->path);
	mk_fs_remove_temps(s->key_path);
	if (load_key(s, true, err) != 0)
		goto out;
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	/* A fresh random nonce per write: GCM must never see one twice. */
	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce)) {
		mk_error_errno(err, MK_ERR_INTERNAL, errno, "no randomness for the store nonce");
		goto out;
	}
	if (mk_store_seal(s->key, nonce, text, strlen(text), &out, err) != 0)
		goto out;
	if (mk_fs_write_atomic(s->path, out.data, out.len, 0600, err) != 0)
		goto out;
	rc = 0;
out:
	mk_secret_free_str(text);
	mk_buf_free(&out);
	return rc;
}

int mk_store_check(struct mk_store *s, struct mk_error *err)
{
	json_t *doc = NULL;
	int rc = -1;

	if (mk_store_lock(s, err) != 0)
		return -1;
	if (mk_store_read(s, &doc, err) != 0)
		goto out;
	/* No store yet: still make sure the key will be there (key_command
	 * runs, a key file is sound or can be made). */
	if (load_key(s, false, err) < 0)
		goto out;
	if (access(s->dir, W_OK | X_OK) != 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot write in the state directory %s", s->dir);
		goto out;
	}
	rc = 0;
out:
	json_decref(doc);
	mk_store_unlock(s);
	return rc;
}

static int get_str(json_t *o, const char *k, char **dst)
{
	json_t *v = json_object_get(o, k);

	*dst = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*dst = strdup(json_string_value(v));
	return *dst == NULL ? -1 : 0;
}

int mk_store_get(json_t *doc, const char *name, struct mk_tokens *r, struct mk_error *err)
{
	json_t *a = json_object_get(json_object_get(doc, "accounts"), name);

	memset(r, 0, sizeof(*r));
	if (a == NULL)
		return 1;
	if (!json_is_object(a) || get_str(a, "access_token", &r->access_token) != 0 ||
	    get_str(a, "refresh_token", &r->refresh_token) != 0 ||
	    get_str(a, "id_token", &r->id_token) != 0 || get_str(a, "token_type", &r->token_type) != 0 ||
	    get_str(a, "scope", &r->scope) != 0 || get_str(a, "issuer", &r->issuer) != 0 ||
	    get_str(a, "token_endpoint", &r->token_endpoint) != 0 ||
	    get_str(a, "last_error", &r->last_error) != 0) {
		mk_tokens_clear(r);
		return mk_error_set(err, MK_ERR_DATA, "the stored entry of account %s is malformed", name);
	}
	r->obtained_at = json_integer_value(json_object_get(a, "obtained_at"));
	r->expires_at = json_integer_value(json_object_get(a, "expires_at"));
	/* Older mailkeys stored 0 for "no expires_in": such a token would
	 * never be refreshed ahead of time. */
	if (r->expires_at <= 0)
		r->expires_at = r->obtained_at + MK_TOKENS_ASSUMED_LIFETIME;
	r->last_error_at = json_integer_value(json_object_get(a, "last_error_at"));
	r->needs_consent = json_is_true(json_object_get(a, "needs_consent"));
	return 0;
}

static int put_str(json_t *o, const char *k, const char *v)
{
	return v == NULL ? 0 : json_object_set_new(o, k, json_string(v));
}

int mk_store_put(json_t *doc, const char *name, const struct mk_tokens *t, struct mk_error *err)
{
	json_t *accounts = json_object_get(doc, "accounts");
	json_t *a = json_object();

	if (a == NULL || put_str(a, "access_token", t->access_token) != 0 ||
	    put_str(a, "refresh_token", t->refresh_token) != 0 || put_str(a, "id_token", t->id_token) != 0 ||
	    put_str(a, "token_type", t->token_type) != 0 || put_str(a, "scope", t->scope) != 0 ||
	    put_str(a, "issuer", t->issuer) != 0 || put_str(a, "token_endpoint", t->token_endpoint) != 0 ||
	    put_str(a, "last_error", t->last_error) != 0 ||
	    json_object_set_new(a, "obtained_at", json_integer(t->obtained_at)) != 0 ||
	    json_object_set_new(a, "expires_at", json_integer(t->expires_at)) != 0 ||
	    json_object_set_new(a, "last_error_at", json_integer(t->last_error_at)) != 0 ||
	    json_object_set_new(a, "needs_consent", json_boolean(t->needs_consent)) != 0 ||
	    json_object_set_new(accounts, name, a) != 0) {
		json_decref(a);
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	}
	return 0;
}

void mk_store_remove(json_t *doc, const char *name)
{
	json_object_del(json_object_get(doc, "accounts"), name);
}
