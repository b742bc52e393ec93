#define _GNU_SOURCE
#include "broker/queue/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"

/* The envelope of 1000 recipients of 256 bytes fits in this. */
#define MK_SPOOL_HEAD_MAX ((size_t)300 * 1024)
#define MK_SPOOL_FILE_MAX ((size_t)80 << 20)

struct mk_spool {
	char *root;
	int lock_fd;
	unsigned seq;
};

static int path_of(const struct mk_spool *sp, const char *sub, const char *id, const char *ext, char *out,
		   struct mk_error *err)
{
	int n = snprintf(out, PATH_MAX, "%s/%s%s%s%s", sp->root, sub, id != NULL ? "/" : "",
			 id != NULL ? id : "", ext != NULL ? ext : "");

	if (n < 0 || n >= PATH_MAX)
		return mk_error_set(err, MK_ERR_IO, "the queue path under %s is too long", sp->root);
	return 0;
}

static int fsync_dir(const char *dir, struct mk_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot open %s", dir);
	rc = fsync(fd);
	close(fd);
	if (rc != 0)
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot fsync %s", dir);
	return 0;
}

int mk_spool_open(const char *state_dir, bool create, struct mk_spool **r, struct mk_error *err)
{
	static const char *const subs[] = { "tmp", "new", "state", "failed" };
	struct mk_spool *sp = calloc(1, sizeof(*sp));
	char p[PATH_MAX];
	int n;

	*r = NULL;
	if (sp == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	sp->lock_fd = -1;
	n = snprintf(p, sizeof(p), "%s/queue", state_dir);
	if (n < 0 || (size_t)n >= sizeof(p) - 64 || (sp->root = strdup(p)) == NULL) {
		free(sp);
		return mk_error_set(err, MK_ERR_IO, "the state directory's path is too long");
	}
	for (size_t i = 0; create && i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", sp->root, subs[i]);
		if (mk_fs_mkdir_p(p, 0700, 1, err) != 0) {
			mk_spool_free(&sp);
			return -1;
		}
	}
	*r = sp;
	return 0;
}

void mk_spool_free(struct mk_spool **sp)
{
	if (*sp == NULL)
		return;
	if ((*sp)->lock_fd >= 0)
		close((*sp)->lock_fd);
	free((*sp)->root);
	free(*sp);
	*sp = NULL;
}

int mk_spool_add(struct mk_spool *sp, const struct mk_spool_env_in *env, const char *msg, size_t len,
		 char *id_r, struct mk_error *err)
{
	struct mk_buf head;
	struct timespec ts;
	char tmp[PATH_MAX], dst[PATH_MAX], dir[PATH_MAX];
	int fd = -1, rc = -1;

	mk_buf_init(&head, MK_SPOOL_HEAD_MAX);
	if (mk_spool_env_format(env, &head, err) != 0)
		goto out;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* Names sort by the time they were queued: the queue runs oldest first. */
	snprintf(id_r, MK_SPOOL_ID_MAX, "%010lld.%09ld.%d.%u", (long long)ts.tv_sec, ts.tv_nsec,
		 (int)getpid(), sp->seq++);
	if (path_of(sp, "tmp", id_r, NULL, tmp, err) != 0 || path_of(sp, "new", id_r, NULL, dst, err) != 0 ||
	    path_of(sp, "new", NULL, NULL, dir, err) != 0)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot create %s", tmp);
		goto out;
	}
	if (mk_fs_write_all(fd, head.data, head.len) != 0 || mk_fs_write_all(fd, msg, len) != 0 ||
	    fsync(fd) != 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot write %s", tmp);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		mk_error_errno(err, MK_ERR_IO, errno, "cannot write %s", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, dst) != 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot move %s into the queue", tmp);
		goto out;
	}
	/* The rename is durable only once the directory is. */
	if (fsync_dir(dir, err) != 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	mk_buf_free(&head);
	return rc;
}

/* At most max bytes of path into out; *size_r the file's size. */
static int read_head(const char *path, size_t max, struct mk_buf *out, size_t *size_r, struct mk_error *err)
{
	char chunk[65536];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int rc = -1;

	if (fd < 0)
		return mk_error_errno(err, errno == ENOENT ? MK_ERR_NOINPUT : MK_ERR_IO, errno,
				      "cannot open %s", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		mk_error_set(err, MK_ERR_IO, "%s is not a regular file", path);
		goto out;
	}
	*size_r = (size_t)st.st_size;
	while (out->len < max) {
		size_t want = max - out->len < sizeof(chunk) ? max - out->len : sizeof(chunk);
		ssize_t n = read(fd, chunk, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mk_error_errno(err, MK_ERR_IO, errno, "cannot read %s", path);
			goto out;
		}
		if (n == 0)
			break;
		if (mk_buf_add(out, chunk, (size_t)n) != 0) {
			mk_error_set(err, MK_ERR_DATA, "%s is too large", path);
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct mk_spool_item *)a)->id, ((const struct mk_spool_item *)b)->id);
}

static void load_item(struct mk_spool *sp, struct mk_spool_item *it)
{
	char p[PATH_MAX];
	struct mk_buf b;
	struct mk_error e;
	size_t size = 0;

	mk_buf_init(&b, MK_SPOOL_HEAD_MAX + 1);
	if (path_of(sp, it->failed ? "failed" : "new", it->id, NULL, p, &e) != 0 ||
	    read_head(p, MK_SPOOL_HEAD_MAX, &b, &size, &e) != 0 ||
	    mk_spool_env_parse(b.data != NULL ? b.data : "", b.len, &it->env, &e) != 0) {
		snprintf(it->st.error, sizeof(it->st.error), "%s", e.msg);
		goto out;
	}
	it->size = size - it->env.body_off;
	mk_buf_reset(&b);
	if (path_of(sp, it->failed ? "failed" : "state", it->id, it->failed ? ".reply" : NULL, p, &e) == 0 &&
	    read_head(p, 16384, &b, &size, &e) == 0) {
		if (it->failed) {
			size_t n = strcspn(mk_buf_str(&b), "\n");
			snprintf(it->st.error, sizeof(it->st.error), "%.*s", (int)n, mk_buf_str(&b));
		} else if (mk_spool_state_parse(b.data, b.len, &it->st, &e) != 0) {
			snprintf(it->st.error, sizeof(it->st.error), "%s", e.msg);
		}
	}
out:
	mk_buf_free(&b);
}

static int list_dir(struct mk_spool *sp, bool failed, struct mk_spool_item **items, size_t *n, size_t *cap,
		    struct mk_error *err)
{
	char p[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (path_of(sp, failed ? "failed" : "new", NULL, NULL, p, err) != 0)
		return -1;
	d = opendir(p);
	if (d == NULL)
		return errno == ENOENT ? 0 : mk_error_errno(err, MK_ERR_IO, errno, "cannot read %s", p);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l >= MK_SPOOL_ID_MAX ||
		    (failed && l > 6 && strcmp(de->d_name + l - 6, ".reply") == 0))
			continue;
		if (*n == *cap) {
			size_t nc = *cap == 0 ? 64 : *cap * 2;
			struct mk_spool_item *q = realloc(*items, nc * sizeof(*q));
			if (q == NULL) {
				closedir(d);
				return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
			}
			*items = q;
			*cap = nc;
		}
		memset(&(*items)[*n], 0, sizeof(**items));
		memcpy((*items)[*n].id, de->d_name, l + 1);
		(*items)[*n].failed = failed;
		(*n)++;
	}
	closedir(d);
	return 0;
}

int mk_spool_list(struct mk_spool *sp, bool failed, struct mk_spool_item **items, size_t *n,
		  struct mk_error *err)
{
	size_t cap = 0;

	*items = NULL;
	*n = 0;
	if (list_dir(sp, false, items, n, &cap, err) != 0 ||
	    (failed && list_dir(sp, true, items, n, &cap, err) != 0)) {
		mk_spool_items_free(*items, *n);
		*items = NULL;
		*n = 0;
		return -1;
	}
	if (*n > 0)
		qsort(*items, *n, sizeof(**items), by_id);
	for (size_t i = 0; i < *n; i++)
		load_item(sp, &(*items)[i]);
	return 0;
}

void mk_spool_items_free(struct mk_spool_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mk_spool_env_free(&items[i].env);
	free(items);
}

int mk_spool_load(struct mk_spool *sp, const char *id, struct mk_buf *out, struct mk_error *err)
{
	char p[PATH_MAX];
	struct mk_spool_env env;
	size_t size;

	if (path_of(sp, "new", id, NULL, p, err) != 0 ||
	    read_head(p, MK_SPOOL_FILE_MAX, out, &size, err) != 0)
		return -1;
	if (size > MK_SPOOL_FILE_MAX)
		return mk_error_set(err, MK_ERR_DATA, "%s is larger than %zu bytes", p, MK_SPOOL_FILE_MAX);
	if (mk_spool_env_parse(out->data != NULL ? out->data : "", out->len, &env, err) != 0)
		return -1;
	mk_buf_consume(out, env.body_off);
	mk_spool_env_free(&env);
	return 0;
}

int mk_spool_set_state(struct mk_spool *sp, const char *id, const struct mk_spool_state *st,
		       struct mk_error *err)
{
	char p[PATH_MAX];
	struct mk_buf b;
	int rc = -1;

	mk_buf_init(&b, 4096);
	if (path_of(sp, "state", id, NULL, p, err) != 0)
		goto out;
	if (mk_spool_state_format(st, &b) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	rc = mk_fs_write_atomic(p, b.data, b.len, 0600, err);
out:
	mk_buf_free(&b);
	return rc;
}

int mk_spool_done(struct mk_spool *sp, const char *id, struct mk_error *err)
{
	char p[PATH_MAX];

	if (path_of(sp, "new", id, NULL, p, err) != 0)
		return -1;
	if (unlink(p) != 0 && errno != ENOENT)
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot remove the sent message %s", p);
	if (path_of(sp, "state", id, NULL, p, err) == 0)
		unlink(p); /* a stale state file of a gone message is harmless */
	return 0;
}

int mk_spool_sync(struct mk_spool *sp, struct mk_error *err)
{
	char p[PATH_MAX];

	if (path_of(sp, "new", NULL, NULL, p, err) != 0)
		return -1;
	return fsync_dir(p, err);
}

int mk_spool_fail(struct mk_spool *sp, const char *id, const char *reply, char *path_r, struct mk_error *err)
{
	char src[PATH_MAX], dst[PATH_MAX], rp[PATH_MAX], dir[PATH_MAX];
	struct mk_buf b;
	int rc = -1;

	mk_buf_init(&b, 8192);
	if (path_of(sp, "new", id, NULL, src, err) != 0 || path_of(sp, "failed", id, NULL, dst, err) != 0 ||
	    path_of(sp, "failed", id, ".reply", rp, err) != 0 ||
	    path_of(sp, "failed", NULL, NULL, dir, err) != 0)
		goto out;
	if (mk_buf_addf(&b, "%s\n", reply) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	/* The reply first: a kill before the rename leaves the message queued
	 * (it is tried again) and a reply without a message, never the reverse. */
	if (mk_fs_write_atomic(rp, b.data, b.len, 0600, err) != 0)
		goto out;
	if (rename(src, dst) != 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot move %s to %s", src, dst);
		goto out;
	}
	if (fsync_dir(dir, err) != 0 || mk_spool_sync(sp, err) != 0)
		goto out;
	if (path_of(sp, "state", id, NULL, src, err) == 0)
		unlink(src);
	if (path_r != NULL)
		snprintf(path_r, PATH_MAX, "%s", dst);
	rc = 0;
out:
	mk_buf_free(&b);
	return rc;
}

int mk_spool_lock(struct mk_spool *sp, struct mk_error *err)
{
	char p[PATH_MAX];

	if (sp->lock_fd >= 0)
		return 0;
	if (path_of(sp, "lock", NULL, NULL, p, err) != 0)
		return -1;
	sp->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->lock_fd < 0)
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot open %s", p);
	if (flock(sp->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(sp->lock_fd);
		sp->lock_fd = -1;
		if (e == EWOULDBLOCK)
			return 1;
		return mk_error_errno(err, MK_ERR_IO, e, "cannot lock %s", p);
	}
	return 0;
}

int mk_spool_clean_tmp(struct mk_spool *sp, unsigned max_age)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct mk_error e;
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	int n = 0;
	DIR *d;

	if (path_of(sp, "tmp", NULL, NULL, dir, &e) != 0 || (d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || path_of(sp, "tmp", de->d_name, NULL, p, &e) != 0)
			continue;
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime > (time_t)max_age &&
		    unlink(p) == 0)
			n++;
	}
	closedir(d);
	return n;
}
