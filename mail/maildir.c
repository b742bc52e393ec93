#include "mail/maildir.h"

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

int mk_maildir_deliver(const char *dir, const char *msg, size_t len, struct mk_error *err)
{
	static unsigned counter;
	char host[64] = "localhost", tmp[4096], dst[4096];
	struct timeval tv;
	struct mk_buf b;
	int fd = -1, rc = -1;

	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p != '\0'; p++)
		if (*p == '/' || *p == ':')
			*p = '_';
	gettimeofday(&tv, NULL);
	/* maildir(5): time.MusecPpidQcounter.host is unique on this host. */
	snprintf(tmp, sizeof(tmp), "%s/tmp/%lld.M%ldP%dQ%u.%s", dir, (long long)tv.tv_sec, (long)tv.tv_usec,
		 (int)getpid(), ++counter, host);
	snprintf(dst, sizeof(dst), "%s/new/%s", dir, strrchr(tmp, '/') + 1);
	mk_buf_init(&b, len + 1);
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n')
			continue;
		mk_buf_addc(&b, msg[i]);
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
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		mk_error_errno(err, MK_ERR_IO, errno, "cannot write %s", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, dst) != 0) {
		mk_error_errno(err, MK_ERR_IO, errno, "cannot move %s into new/", tmp);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	mk_buf_free(&b);
	return rc;
}

int mk_maildir_state_load(const char *path, uint64_t *uidvalidity, uint64_t *last_uid, struct mk_error *err)
{
	struct mk_buf b;
	struct mk_error e;
	const char *sp;
	int rc = -1;

	*uidvalidity = *last_uid = 0;
	mk_buf_init(&b, 256);
	if (mk_fs_read_file(path, &b, &e) != 0) {
		mk_buf_free(&b);
		if (e.cls == MK_ERR_NOINPUT)
			return 0;
		*err = e;
		return -1;
	}
	sp = strchr(mk_buf_str(&b), ' ');
	if (sp == NULL || mk_str_to_u64(b.data, (size_t)(sp - b.data), UINT32_MAX, uidvalidity) != 0 ||
	    mk_str_to_u64(sp + 1, strcspn(sp + 1, "\n"), UINT32_MAX, last_uid) != 0)
		mk_error_set(err, MK_ERR_DATA,
			     "the fetch state %s is damaged; remove it to fetch everything again", path);
	else
		rc = 0;
	mk_buf_free(&b);
	return rc;
}

int mk_maildir_state_save(const char *path, uint64_t uidvalidity, uint64_t last_uid, struct mk_error *err)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%llu %llu\n", (unsigned long long)uidvalidity,
			 (unsigned long long)last_uid);

	return mk_fs_write_atomic(path, line, (size_t)n, 0600, err);
}
