/* Files that must never be seen half-written or with loose permissions. */
#ifndef MK_COMMON_FSUTIL_H
#define MK_COMMON_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "error.h"

/* Write all len bytes to fd, retrying short writes and EINTR. 0, or -1
 * with errno set. */
int mk_fs_write_all(int fd, const void *data, size_t len);

/* Replace path atomically with data: write a temp file in the same
 * directory (mode `mode`, 0600 for anything secret), fsync it, rename it over
 * path, fsync the directory. On any failure the old file is untouched and the
 * temp file removed. Errors: MK_ERR_IO. */
int mk_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct mk_error *err);

/* Create path with data unless it exists: a temp file in the same directory
 * (mode `mode`), fsync'd, then link()ed to path and the directory fsync'd.
 * A kill at any moment leaves either no file at path or the whole one (and
 * perhaps a path.tmp.* file, see mk_fs_remove_temps). 0 created, 1 path
 * already existed (nothing changed), -1 error (MK_ERR_IO). */
int mk_fs_create_exclusive(const char *path, const void *data, size_t len, mode_t mode, struct mk_error *err);

/* fsync the directory dir, so that entries just created, renamed or
 * removed in it are durable. Errors: MK_ERR_IO. */
int mk_fs_sync_dir(const char *dir, struct mk_error *err);

/* Remove the path.tmp.* files that killed writes of path left behind. Only
 * call when no other writer of path can be running (under its lock). Returns
 * how many were removed. */
int mk_fs_remove_temps(const char *path);

/* Read a whole file into out (appended; at most out->max bytes, more is an
 * error). Errors: MK_ERR_NOINPUT (missing), MK_ERR_IO, MK_ERR_DATA (too big). */
int mk_fs_read_file(const char *path, struct mk_buf *out, struct mk_error *err);

/* mkdir -p with `mode` for every directory created; an existing directory
 * whose mode allows group/other access is tightened when `tighten` is set.
 * Errors: MK_ERR_IO. */
int mk_fs_mkdir_p(const char *path, mode_t mode, int tighten, struct mk_error *err);

/* A per-user path by the XDG base directory rules: $override if set and
 * non-empty, else $xdg_var/rel if $xdg_var is absolute, else ~/home_rel/rel.
 * E.g. ("MAILKEY_CONFIG", "XDG_CONFIG_HOME", ".config", "mailkey/config").
 * Heap string; NULL on ENOMEM. */
char *mk_fs_xdg_path(const char *override, const char *xdg_var, const char *home_rel, const char *rel);

/* The directory part of path (heap; "." when there is none). NULL on ENOMEM. */
char *mk_fs_dirname(const char *path);

#endif
