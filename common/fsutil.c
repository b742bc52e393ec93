#define _GNU_SOURCE /* mkostemp */
#include "fsutil.h"

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

static int write_all(int fd, const void *data, size_t len)
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

int mk_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct mk_error *err)
{
	struct mk_buf tmp;
	char *dir = NULL;
	int fd = -1, dfd = -1, rc = -1, e;

	mk_buf_init(&tmp, 4096);
	dir = mk_fs_dirname(path);
	if (dir == NULL || mk_buf_addf(&tmp, "%s.tmp.XXXXXX", path) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	/* O_CLOEXEC: a helper exec'd meanwhile (notify_command) must not
	 * inherit a descriptor of the store being written. */
	fd = mkostemp(tmp.data, O_CLOEXEC);
	if (fd < 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot create a temporary file next to %s", path);
		goto out;
	}
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot write %s", tmp.data);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		mk_error_errno(err, MK_ERR_IO, errno, "cannot write %s", tmp.data);
		goto out;
	}
	fd = -1;
	if (rename(tmp.data, path) != 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot replace %s", path);
		goto out;
	}
	/* The rename is durable only once the directory entry is on disk. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot sync directory %s", dir);
		rc = -1;
		tmp.len = 0; /* the new file is in place; nothing to remove */
		goto out;
	}
	tmp.len = 0;
	rc = 0;
out:
	e = errno;
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (rc != 0 && tmp.len > 0)
		unlink(tmp.data);
	free(dir);
	mk_buf_free(&tmp);
	errno = e;
	return rc;
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
