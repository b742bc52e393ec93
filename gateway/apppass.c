/* App passwords on disk (apppass.h): generation, the keyed verifier, and
 * the locked atomic replace of STATE/app-passwords. The text format is
 * apppass_format.c's. */
#include "gateway/apppass.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/md.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fsutil.h"
#include "common/secret.h"
#include "gateway/apppass_format.h"

#define PW_CHARS 26    /* 130 bits in base32 */
#define PW_RAND 17     /* bytes drawn for them (136 bits, 130 used) */
#define NORM_MAX 64    /* longest normalised input we check */
#define TOUCH_EVERY 60 /* s between writes of LAST_USED */

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567"; /* RFC 4648 §6, lower case */

/* STATE/NAME, heap. */
static char *state_path(const char *state_dir, const char *name, struct mk_error *err)
{
	struct mk_buf b;

	mk_buf_init(&b, 4096);
	if (mk_buf_addf(&b, "%s/%s", state_dir, name) != 0) {
		mk_buf_free(&b);
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	return mk_buf_take(&b);
}

static int fill_random(void *p, size_t n, struct mk_error *err)
{
	unsigned char *q = p;

	while (n > 0) {
		ssize_t got = getrandom(q, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return mk_error_errno(err, MK_ERR_INTERNAL, errno, "cannot get random bytes");
		}
		q += got;
		n -= (size_t)got;
	}
	return 0;
}

/* Read and parse the file into set; a missing file is an empty set. */
static int load(const char *path, struct gw_apppass_set *set, struct mk_error *err)
{
	struct mk_buf text;
	int rc = -1;

	mk_buf_init_secret(&text, GW_APPPASS_FILE_MAX);
	if (mk_fs_read_file(path, &text, err) != 0) {
		if (err->cls == MK_ERR_NOINPUT) {
			mk_error_init(err);
			rc = 0;
		}
		goto out;
	}
	if (gw_apppass_parse(text.data != NULL ? text.data : "", text.len, set, err) != 0) {
		if (err->cls == MK_ERR_DATA) {
			char why[MK_ERROR_MSG_SIZE];
			memcpy(why, err->msg, sizeof(why));
			mk_error_set(err, MK_ERR_DATA,
				     "%s is damaged, %s: restore it from a backup, or remove that line and "
				     "add the "
				     "password again (`mailkey app-password add`)",
				     path, why);
		}
		goto out;
	}
	rc = 0;
out:
	mk_buf_free(&text);
	return rc;
}

static int store(const char *path, const struct gw_apppass_set *set, struct mk_error *err)
{
	struct mk_buf text;
	int rc = -1;

	mk_buf_init_secret(&text, GW_APPPASS_FILE_MAX);
	if (gw_apppass_format(set, &text, err) != 0)
		goto out;
	/* A killed earlier writer may have left its temp file. */
	mk_fs_remove_temps(path);
	if (mk_fs_write_atomic(path, text.data, text.len, 0600, err) != 0) {
		char why[MK_ERROR_MSG_SIZE];
		memcpy(why, err->msg, sizeof(why));
		mk_error_set(err, err->cls, "%s: the state directory must be writable (and not full)", why);
		goto out;
	}
	rc = 0;
out:
	mk_buf_free(&text);
	return rc;
}

/* The exclusive lock of every writer: STATE/app-passwords.lock. Creates
 * the state directory (0700) when it is missing. */
static int lock(const char *state_dir, int *fd_r, struct mk_error *err)
{
	char *path = NULL;
	int fd = -1, rc = -1;

	*fd_r = -1;
	if (mk_fs_mkdir_p(state_dir, 0700, 1, err) != 0)
		return -1;
	if ((path = state_path(state_dir, GW_APPPASS_FILE ".lock", err)) == NULL)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		mk_error_errno(err, MK_ERR_IO, errno,
			       "cannot open the lock file %s: make the state directory writable", path);
		goto out;
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		mk_error_errno(err, MK_ERR_IO, errno, "cannot lock %s", path);
		close(fd);
		goto out;
	}
	*fd_r = fd;
	rc = 0;
out:
	free(path);
	return rc;
}

static void unlock(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

static int check_names(const char *account, const char *name, struct mk_error *err)
{
	if (!gw_apppass_account_valid(account))
		return mk_error_set(err, MK_ERR_USAGE, "'%s' is not an account name",
				    account != NULL ? account : "");
	if (!gw_apppass_name_valid(name))
		return mk_error_set(
			err, MK_ERR_USAGE,
			"'%s' is not a valid app-password name: use 1 to %d letters, digits, '.', '_' "
			"or '-'",
			name != NULL ? name : "", GW_APPPASS_NAME_MAX);
	return 0;
}

static int mac(const unsigned char salt[GW_APPPASS_SALT_LEN], const char *pw, size_t len,
	       unsigned char out[GW_APPPASS_MAC_LEN])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);

	if (md == NULL ||
	    mbedtls_md_hmac(md, salt, GW_APPPASS_SALT_LEN, (const unsigned char *)pw, len, out) != 0)
		return -1;
	return 0;
}

/* What a client typed, as we stored it: lower case, without '-' and
 * blanks (people copy "ABCD-EFGH ..." by hand). The length of the result,
 * or -1 when it is longer than any password of ours. */
static long normalise(const char *in, char out[NORM_MAX])
{
	size_t n = 0;

	for (; *in != '\0'; in++) {
		char c = *in;
		if (c == '-' || c == ' ' || c == '\t')
			continue;
		if (n == NORM_MAX)
			return -1;
		out[n++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	return (long)n;
}

int gw_apppass_add(const char *state_dir, const char *account, const char *name, char **password_r,
		   struct mk_error *err)
{
	struct gw_apppass_set set = { 0 };
	struct gw_apppass_rec rec;
	unsigned char rnd[PW_RAND];
	char pw[PW_CHARS], *shown = NULL, *path = NULL;
	int fd = -1, rc = -1;

	*password_r = NULL;
	memset(&rec, 0, sizeof(rec));
	if (check_names(account, name, err) != 0)
		goto out;
	if ((path = state_path(state_dir, GW_APPPASS_FILE, err)) == NULL)
		goto out;
	if (fill_random(rnd, sizeof(rnd), err) != 0 || fill_random(rec.salt, sizeof(rec.salt), err) != 0)
		goto out;
	/* 26 groups of 5 bits, most significant first. */
	for (size_t i = 0; i < PW_CHARS; i++) {
		size_t bit = i * 5, byte = bit / 8, sh = bit % 8;
		unsigned v = (unsigned)rnd[byte] << 8 | (byte + 1 < sizeof(rnd) ? rnd[byte + 1] : 0);
		pw[i] = b32[(v >> (11 - sh)) & 31];
	}
	/* "abcd-efgh-...-yz": 26 letters, 6 dashes. */
	if ((shown = malloc(PW_CHARS + PW_CHARS / 4 + 1)) == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = 0, j = 0; i < PW_CHARS; i++) {
		if (i > 0 && i % 4 == 0)
			shown[j++] = '-';
		shown[j++] = pw[i];
		shown[j] = '\0';
	}
	if (mac(rec.salt, pw, sizeof(pw), rec.verifier) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "HMAC-SHA-256 is not available");
		goto out;
	}
	memcpy(rec.account, account, strlen(account) + 1);
	memcpy(rec.name, name, strlen(name) + 1);
	rec.created = (int64_t)time(NULL);
	if (lock(state_dir, &fd, err) != 0 || load(path, &set, err) != 0)
		goto out;
	if (gw_apppass_set_add(&set, &rec, err) != 0) {
		if (err->cls == MK_ERR_USAGE)
			mk_error_set(
				err, MK_ERR_USAGE,
				"account %s already has an app password named %s: choose another name, or "
				"revoke that one first (`mailkey app-password revoke %s %s`)",
				account, name, account, name);
		goto out;
	}
	if (store(path, &set, err) != 0) {
		mk_error_prefix(err, "the app password was not added");
		goto out;
	}
	*password_r = shown;
	shown = NULL;
	rc = 0;
out:
	unlock(fd);
	gw_apppass_set_free(&set);
	mk_secret_wipe(&rec, sizeof(rec));
	mk_secret_wipe(rnd, sizeof(rnd));
	mk_secret_wipe(pw, sizeof(pw));
	mk_secret_free_str(shown);
	free(path);
	return rc;
}

int gw_apppass_list(const char *state_dir, const char *account, struct gw_apppass_info **r, size_t *n_r,
		    struct mk_error *err)
{
	struct gw_apppass_set set = { 0 };
	struct gw_apppass_info *out = NULL;
	char *path = NULL;
	size_t n = 0;
	int rc = -1;

	*r = NULL;
	*n_r = 0;
	if ((path = state_path(state_dir, GW_APPPASS_FILE, err)) == NULL || load(path, &set, err) != 0)
		goto out;
	if (set.n > 0 && (out = calloc(set.n, sizeof(*out))) == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < set.n; i++) {
		const struct gw_apppass_rec *rec = &set.recs[i];
		if (account != NULL && strcmp(rec->account, account) != 0)
			continue;
		/* Both fit: the format caps them below the info's arrays. */
		memcpy(out[n].account, rec->account, strlen(rec->account) + 1);
		memcpy(out[n].name, rec->name, strlen(rec->name) + 1);
		out[n].created = (time_t)rec->created;
		out[n].last_used = (time_t)rec->last_used;
		n++;
	}
	*r = out;
	*n_r = n;
	out = NULL;
	rc = 0;
out:
	free(out);
	gw_apppass_set_free(&set);
	free(path);
	return rc;
}

int gw_apppass_revoke(const char *state_dir, const char *account, const char *name, struct mk_error *err)
{
	struct gw_apppass_set set = { 0 };
	char *path = NULL;
	int fd = -1, rc = -1;
	long i;

	if (check_names(account, name, err) != 0)
		goto out;
	if ((path = state_path(state_dir, GW_APPPASS_FILE, err)) == NULL)
		goto out;
	if (lock(state_dir, &fd, err) != 0 || load(path, &set, err) != 0)
		goto out;
	if ((i = gw_apppass_set_find(&set, account, name)) < 0) {
		mk_error_set(
			err, MK_ERR_NOINPUT,
			"account %s has no app password named %s: `mailkey app-password list %s` shows its "
			"passwords",
			account, name, account);
		goto out;
	}
	gw_apppass_set_remove(&set, (size_t)i);
	if (store(path, &set, err) != 0) {
		mk_error_prefix(err, "the app password was not revoked");
		goto out;
	}
	rc = 0;
out:
	unlock(fd);
	gw_apppass_set_free(&set);
	free(path);
	return rc;
}

int gw_apppass_verify(const char *state_dir, const char *account, const char *password, char *name_r,
		      size_t name_size, struct mk_error *err)
{
	struct gw_apppass_set set = { 0 };
	unsigned char m[GW_APPPASS_MAC_LEN];
	char norm[NORM_MAX], *path = NULL;
	size_t match = 0, found = 0, mine = 0;
	long len;
	int rc = -1;

	if (name_r != NULL && name_size > 0)
		name_r[0] = '\0';
	if (account == NULL || password == NULL || (len = normalise(password, norm)) <= 0) {
		mk_error_set(err, MK_ERR_AUTH, "wrong app password");
		goto out;
	}
	if ((path = state_path(state_dir, GW_APPPASS_FILE, err)) == NULL || load(path, &set, err) != 0)
		goto out;
	/* Every password of the account is checked, and which one matched is
	 * kept with masks, not branches: the time says how many passwords the
	 * account has (not secret), never which one was nearly right. */
	for (size_t i = 0; i < set.n; i++) {
		size_t eq, mask;
		if (strcmp(set.recs[i].account, account) != 0)
			continue;
		mine++;
		if (mac(set.recs[i].salt, norm, (size_t)len, m) != 0) {
			mk_error_set(err, MK_ERR_INTERNAL, "HMAC-SHA-256 is not available");
			goto out;
		}
		eq = (size_t)mk_secret_equal(m, set.recs[i].verifier, sizeof(m));
		mask = (size_t)0 - eq;
		match = (match & ~mask) | (i & mask);
		found |= eq;
	}
	if (mine == 0) {
		/* An account without passwords costs what one with one does. */
		static const unsigned char zero[GW_APPPASS_SALT_LEN];
		if (mac(zero, norm, (size_t)len, m) != 0) {
			mk_error_set(err, MK_ERR_INTERNAL, "HMAC-SHA-256 is not available");
			goto out;
		}
	}
	if (!found) {
		mk_error_set(err, MK_ERR_AUTH, "wrong app password for account %s", account);
		goto out;
	}
	if (name_r != NULL && name_size > 0) {
		size_t n = strlen(set.recs[match].name);
		if (n >= name_size)
			n = name_size - 1;
		memcpy(name_r, set.recs[match].name, n);
		name_r[n] = '\0';
	}
	rc = 0;
out:
	gw_apppass_set_free(&set);
	mk_secret_wipe(m, sizeof(m));
	mk_secret_wipe(norm, sizeof(norm));
	free(path);
	return rc;
}

int gw_apppass_touch(const char *state_dir, const char *account, const char *name, time_t now,
		     struct mk_error *err)
{
	struct gw_apppass_set set = { 0 };
	char *path = NULL;
	int fd = -1, rc = -1;
	long i = -1;

	if (check_names(account, name, err) != 0)
		goto out;
	if ((path = state_path(state_dir, GW_APPPASS_FILE, err)) == NULL)
		goto out;
	/* First without the lock: most logins find a recent LAST_USED and
	 * write nothing. Then again under it, as another writer may have
	 * changed the file in between. */
	for (int locked = 0; locked < 2; locked++) {
		if (locked && lock(state_dir, &fd, err) != 0)
			goto out;
		gw_apppass_set_free(&set);
		if (load(path, &set, err) != 0)
			goto out;
		if ((i = gw_apppass_set_find(&set, account, name)) < 0) {
			mk_error_set(err, MK_ERR_NOINPUT,
				     "account %s has no app password named %s (revoked?)", account, name);
			goto out;
		}
		if ((int64_t)now - set.recs[i].last_used < TOUCH_EVERY) {
			rc = 0;
			goto out;
		}
	}
	set.recs[i].last_used = (int64_t)now;
	if (store(path, &set, err) != 0)
		goto out;
	rc = 0;
out:
	unlock(fd);
	gw_apppass_set_free(&set);
	free(path);
	return rc;
}

bool gw_apppass_exists(const char *state_dir, const char *account, const char *name)
{
	struct gw_apppass_set set = { 0 };
	struct mk_error err;
	char *path;
	bool r = false;

	mk_error_init(&err);
	/* Any failure to read the file counts as "gone": a session must not
	 * outlive a password we can no longer prove is there. */
	if ((path = state_path(state_dir, GW_APPPASS_FILE, &err)) != NULL && load(path, &set, &err) == 0)
		r = gw_apppass_set_find(&set, account, name) >= 0;
	gw_apppass_set_free(&set);
	free(path);
	return r;
}
