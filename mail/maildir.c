#define _GNU_SOURCE /* syncfs */
#include "mail/maildir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fsutil.h"
#include "common/str.h"

int mk_maildir_init(const char *dir, struct mk_error *err)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	char path[4096];

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
		if (mk_fs_mkdir_p(path, 0700, 0, err) != 0)
			return -1;
	}
	return 0;
}

int mk_maildir_new_name(char *name, size_t size, struct mk_error *err)
{
	static unsigned counter;
	char host[64] = "localhost";
	struct timeval tv;
	int n;

	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p != '\0'; p++)
		if (*p == '/' || *p == ':' || *p == ' ' || *p == '\n')
			*p = '_';
	gettimeofday(&tv, NULL);
	/* maildir(5): time.MusecPpidQcounter.host is unique on this host. */
	n = snprintf(name, size, "%lld.M%ldP%dQ%u.%s", (long long)tv.tv_sec, (long)tv.tv_usec, (int)getpid(),
		     ++counter, host);
	if (n < 0 || (size_t)n >= size)
		return mk_error_set(err, MK_ERR_INTERNAL, "maildir name too long");
	return 0;
}

/* tmp/NAME with msg, CRLF made LF; fdatasync'ed when sync. */
static int write_tmp(const char *dir, const char *name, const char *msg, size_t len, bool sync,
		     struct mk_error *err)
{
	char tmp[4096];
	struct mk_buf b;
	int fd = -1, rc = -1;

	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name);
	mk_buf_init(&b, len + 1);
	/* CRLF becomes LF; copied a line at a time. */
	for (size_t i = 0; i < len;) {
		const char *cr = memchr(msg + i, '\r', len - i);
		size_t run = cr != NULL ? (size_t)(cr - (msg + i)) : len - i;
		bool crlf = cr != NULL && i + run + 1 < len && cr[1] == '\n';
		if (mk_buf_add(&b, msg + i, run + (cr != NULL && !crlf)) != 0) {
			mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
			goto out;
		}
		i += run + (cr != NULL);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot create %s", tmp);
		goto out;
	}
	for (size_t off = 0; off < b.len;) {
		ssize_t w = write(fd, b.data + off, b.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			mk_error_errno(err, MK_ERR_IO, errno, "cannot write %s", tmp);
			goto out;
		}
		off += (size_t)w;
	}
	if ((sync && fdatasync(fd) != 0) || close(fd) != 0) {
		fd = -1;
		mk_error_errno(err, MK_ERR_IO, errno, "cannot write %s", tmp);
		goto out;
	}
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	mk_buf_free(&b);
	return rc;
}

static int move_new(const char *dir, const char *name, struct mk_error *err)
{
	char tmp[4096], dst[4096];

	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name);
	snprintf(dst, sizeof(dst), "%s/new/%s", dir, name);
	if (rename(tmp, dst) != 0) {
		int e = errno;
		unlink(tmp);
		return mk_error_errno(err, MK_ERR_IO, e, "cannot move %s into new/", tmp);
	}
	return 0;
}

int mk_maildir_deliver_as(const char *dir, const char *name, const char *msg, size_t len,
			  struct mk_error *err)
{
	/* The data is durable before the name appears in new/: a power loss
	 * never leaves an empty or partial message there. */
	if (write_tmp(dir, name, msg, len, true, err) != 0)
		return -1;
	return move_new(dir, name, err);
}

int mk_maildir_write_tmp(const char *dir, const char *name, const char *msg, size_t len, struct mk_error *err)
{
	return write_tmp(dir, name, msg, len, false, err);
}

void mk_maildir_drop_tmp(const char *dir, const char *name)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name);
	unlink(tmp);
}

int mk_maildir_commit(const char *dir, const char *const *names, size_t n, struct mk_error *err)
{
	int fd;

	if (n == 0)
		return 0;
	/* One flush for the whole batch instead of one per message: after it
	 * every tmp/ file is durable, so each name that appears in new/ below
	 * has its whole message behind it, whatever happens next. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot open %s", dir);
	if (syncfs(fd) != 0) {
		int e = errno;
		close(fd);
		return mk_error_errno(err, MK_ERR_IO, e, "cannot sync %s", dir);
	}
	close(fd);
	for (size_t i = 0; i < n; i++)
		if (move_new(dir, names[i], err) != 0)
			return -1;
	return mk_maildir_sync_new(dir, err);
}

int mk_maildir_deliver(const char *dir, const char *msg, size_t len, struct mk_error *err)
{
	char name[MK_MAILDIR_NAME_MAX];

	if (mk_maildir_new_name(name, sizeof(name), err) != 0 ||
	    mk_maildir_deliver_as(dir, name, msg, len, err) != 0)
		return -1;
	return mk_maildir_sync_new(dir, err);
}

int mk_maildir_sync_new(const char *dir, struct mk_error *err)
{
	char path[4096];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/new", dir);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return mk_error_errno(err, MK_ERR_IO, errno, "cannot open %s", path);
	if (fsync(fd) != 0)
		rc = mk_error_errno(err, MK_ERR_IO, errno, "cannot sync %s", path);
	close(fd);
	return rc;
}

bool mk_maildir_has(const char *dir, const char *name)
{
	char path[4096];
	size_t nl = strlen(name);
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/new/%s", dir, name);
	if (access(path, F_OK) == 0)
		return true;
	/* maildir(5): a reader moves it to cur/NAME:2,FLAGS. Only looked up
	 * after an interrupted fetch, so the scan is rare. */
	snprintf(path, sizeof(path), "%s/cur", dir);
	d = opendir(path);
	if (d == NULL)
		return false;
	while (!found && (e = readdir(d)) != NULL)
		found = strncmp(e->d_name, name, nl) == 0 && (e->d_name[nl] == '\0' || e->d_name[nl] == ':');
	closedir(d);
	return found;
}

/* A batch line: "UID NAME", NAME a maildir(5) unique name. */
static int parse_entry(const char *line, size_t len, struct mk_maildir_entry *e)
{
	const char *sp = memchr(line, ' ', len);
	size_t nl;

	if (sp == NULL || mk_str_to_u64(line, (size_t)(sp - line), UINT32_MAX, &e->uid) != 0)
		return -1;
	nl = len - (size_t)(sp + 1 - line);
	if (nl == 0 || nl >= sizeof(e->name) || memchr(sp + 1, '/', nl) != NULL ||
	    memchr(sp + 1, ':', nl) != NULL || memchr(sp + 1, '\0', nl) != NULL || (nl <= 2 && sp[1] == '.'))
		return -1;
	memcpy(e->name, sp + 1, nl);
	e->name[nl] = '\0';
	return 0;
}

int mk_maildir_state_load_batch(const char *path, uint64_t *uidvalidity, uint64_t *last_uid,
				struct mk_maildir_entry **pend, size_t *n_pend, struct mk_error *err)
{
	struct mk_buf b;
	struct mk_error e;
	const char *sp, *p, *end;
	size_t cap = 0;
	int rc = -1;

	*uidvalidity = *last_uid = 0;
	if (pend != NULL) {
		*pend = NULL;
		*n_pend = 0;
	}
	mk_buf_init(&b, (size_t)1 << 20);
	if (mk_fs_read_file(path, &b, &e) != 0) {
		mk_buf_free(&b);
		if (e.cls == MK_ERR_NOINPUT)
			return 0;
		*err = e;
		return -1;
	}
	p = mk_buf_str(&b);
	end = p + b.len;
	sp = strchr(p, ' ');
	if (sp == NULL || mk_str_to_u64(b.data, (size_t)(sp - b.data), UINT32_MAX, uidvalidity) != 0 ||
	    mk_str_to_u64(sp + 1, strcspn(sp + 1, "\n"), UINT32_MAX, last_uid) != 0)
		goto damaged;
	p = sp + 1 + strcspn(sp + 1, "\n");
	while (pend != NULL && p < end && *p == '\n' && p + 1 < end) {
		const char *line = p + 1;
		size_t len = strcspn(line, "\n");
		if (*n_pend == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct mk_maildir_entry *ne = realloc(*pend, nc * sizeof(*ne));
			if (ne == NULL) {
				mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
				goto out;
			}
			*pend = ne;
			cap = nc;
		}
		if (parse_entry(line, len, &(*pend)[*n_pend]) != 0)
			goto damaged;
		(*n_pend)++;
		p = line + len;
	}
	rc = 0;
	goto out;
damaged:
	mk_error_set(err, MK_ERR_DATA, "the fetch state %s is damaged; remove it to fetch everything again",
		     path);
out:
	if (rc != 0 && pend != NULL) {
		free(*pend);
		*pend = NULL;
		*n_pend = 0;
	}
	mk_buf_free(&b);
	return rc;
}

int mk_maildir_state_load(const char *path, uint64_t *uidvalidity, uint64_t *last_uid, struct mk_error *err)
{
	return mk_maildir_state_load_batch(path, uidvalidity, last_uid, NULL, NULL, err);
}

int mk_maildir_state_save_batch(const char *path, uint64_t uidvalidity, uint64_t last_uid,
				const struct mk_maildir_entry *pend, size_t n_pend, struct mk_error *err)
{
	struct mk_buf b;
	int rc;

	mk_buf_init(&b, (size_t)1 << 20);
	rc = mk_buf_addf(&b, "%llu %llu\n", (unsigned long long)uidvalidity, (unsigned long long)last_uid);
	for (size_t i = 0; rc == 0 && i < n_pend; i++)
		rc = mk_buf_addf(&b, "%llu %s\n", (unsigned long long)pend[i].uid, pend[i].name);
	rc = rc == 0 ? mk_fs_write_atomic(path, b.data, b.len, 0600, err)
		     : mk_error_set(err, MK_ERR_INTERNAL, "the fetch state is too large");
	mk_buf_free(&b);
	return rc;
}

int mk_maildir_state_save(const char *path, uint64_t uidvalidity, uint64_t last_uid, struct mk_error *err)
{
	return mk_maildir_state_save_batch(path, uidvalidity, last_uid, NULL, 0, err);
}
