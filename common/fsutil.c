#define _GNU_SOURCE /* mkostemp */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *mk_fs_xdg_path(const char *override, const char *xdg_var, const char *home_rel, const char *rel)
{
	const char *v = getenv(override);
	const char *xdg = getenv(xdg_var);
	const char *home = getenv("HOME");
	struct mk_buf b;

	if (v != NULL && *v != '\0')
		return strdup(v);
	mk_buf_init(&b, 4096);
	if ((xdg != NULL && *xdg == '/'
		     ? mk_buf_addf(&b, "%s/%s", xdg, rel)
		     : mk_buf_addf(&b, "%s/%s/%s", home != NULL ? home : "", home_rel, rel)) != 0) {
		mk_buf_free(&b);
		return NULL; /* over 4096 bytes or out of memory */
	}
	return mk_buf_take(&b);
}

char *mk_fs_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n;
	char *d;

	if (slash == NULL)
		return strdup(".");
	n = slash == path ? 1 : (size_t)(slash - path);
	d = malloc(n + 1);
	if (d == NULL)
		return NULL;
	memcpy(d, path, n);
	d[n] = '\0';
	return d;
}

int mk_fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write data to a new temp file next to path (name in tmp), fsync'd and
 * closed. On failure nothing is left behind. */
static int write_temp(const char *path, const void *data, size_t len, mode_t mode, struct mk_buf *tmp,
		      struct mk_error *err)
{
	int fd;

	if (mk_buf_addf(tmp, "%s.tmp.XXXXXX", path) != 0)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	/* O_CLOEXEC: a helper exec'd meanwhile (notify_command) must not
	 * inherit a descriptor of the store being written. */
	fd = mkostemp(tmp->data, O_CLOEXEC);
	if (fd < 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot create a temporary file next to %s", path);
		tmp->len = 0;
		return -1;
	}
	if (fchmod(fd, mode) != 0 || mk_fs_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot write %s", tmp->data);
		close(fd);
		goto fail;
	}
	if (close(fd) != 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot write %s", tmp->data);
		goto fail;
	}
	return 0;
fail:
	unlink(tmp->data);
	tmp->len = 0;
	return -1;
}

/* The new directory entry is durable only once the directory is on disk. */
int mk_fs_sync_dir(const char *dir, struct mk_error *err)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0 || fsync(dfd) != 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot sync directory %s", dir);
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	close(dfd);
	return 0;
}

int mk_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct mk_error *err)
{
	struct mk_buf tmp;
	char *dir = NULL;
	int rc = -1, e;

	mk_buf_init(&tmp, 4096);
	dir = mk_fs_dirname(path);
	if (dir == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (write_temp(path, data, len, mode, &tmp, err) != 0)
		goto out;
	if (rename(tmp.data, path) != 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot replace %s", path);
		unlink(tmp.data);
		goto out;
	}
	rc = mk_fs_sync_dir(dir, err);
out:
	e = errno;
	free(dir);
	mk_buf_free(&tmp);
	errno = e;
	return rc;
}

int mk_fs_create_exclusive(const char *path, const void *data, size_t len, mode_t mode, struct mk_error *err)
{
	struct mk_buf tmp;
	char *dir = NULL;
	int rc = -1, e;

	mk_buf_init(&tmp, 4096);
	dir = mk_fs_dirname(path);
	if (dir == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (write_temp(path, data, len, mode, &tmp, err) != 0)
		goto out;
	/* link() never replaces: of two creators exactly one wins, and the
	 * final name only ever shows a complete file. */
	if (link(tmp.data, path) != 0) {
		e = errno;
		unlink(tmp.data);
		if (e == EEXIST)
			rc = 1;
		else
			mk_error_errno(err, MK_ERR_IO, e, "cannot create %s", path);
		errno = e;
		goto out;
	}
	unlink(tmp.data);
	rc = mk_fs_sync_dir(dir, err);
out:
	e = errno;
	free(dir);
	mk_buf_free(&tmp);
	errno = e;
	return rc;
}

int mk_fs_remove_temps(const char *path)
{
	char *dir = mk_fs_dirname(path);
	const char *base = strrchr(path, '/');
	struct dirent *de;
	size_t blen;
	DIR *d;
	int n = 0;

	base = base != NULL ? base + 1 : path;
	blen = strlen(base);
	d = dir != NULL ? opendir(dir) : NULL;
	if (d == NULL) {
		free(dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, base, blen) == 0 && strncmp(de->d_name + blen, ".tmp.", 5) == 0 &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	closedir(d);
	free(dir);
	return n;
}

int mk_fs_read_file(const char *path, struct mk_buf *out, struct mk_error *err)
{
	char chunk[4096];
	size_t start = out->len;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mk_error_errno(err, errno == ENOENT ? MK_ERR_NOINPUT : MK_ERR_IO, errno,
				      "cannot open %s", path);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			mk_error_errno(err, MK_ERR_IO, errno, "cannot read %s", path);
			goto out;
		}
		if (n == 0)
			break;
		if (mk_buf_add(out, chunk, (size_t)n) != 0) {
			if (errno == E2BIG)
				mk_error_set(err, MK_ERR_DATA, "%s is larger than %zu bytes", path, out->max);
			else
				mk_error_set(err, MK_ERR_INTERNAL, "out of memory reading %s", path);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc != 0)
		mk_buf_truncate(out, start); /* no half-read file left for the caller */
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	return rc;
}

int mk_fs_mkdir_p(const char *path, mode_t mode, int tighten, struct mk_error *err)
{
	char *p = strdup(path);
	int rc = -1;
	struct stat st;

	if (p == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	if (*p == '\0') {
		/* The walk below starts at p + 1, past the NUL of "". */
		mk_error_set(err, MK_ERR_IO, "cannot create a directory with an empty name");
		goto out;
	}
	for (char *s = p + 1;; s++) {
		char c = *s;
		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			mk_error_errno(err, MK_ERR_IO, errno, "cannot create directory %s", p);
			goto out;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		mk_error_set(err, MK_ERR_IO, "%s is not a directory", path);
		goto out;
	}
	if (tighten && (st.st_mode & 077) != 0 && chmod(path, st.st_mode & 0700) != 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot restrict permissions of %s", path);
		goto out;
	}
	rc = 0;
out:
	free(p);
	return rc;
}
