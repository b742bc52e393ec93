/* One lifecycle API for secrets: wipe, wipe-and-free, constant-time compare.
 * Tokens, codes, client secrets and keys go through these and nothing else. */
#ifndef MK_COMMON_SECRET_H
#define MK_COMMON_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* Overwrite n bytes with zeros in a way the compiler may not drop. NULL ok. */
void mk_secret_wipe(void *p, size_t n);

/* Wipe n bytes, then free. NULL ok. */
void mk_secret_free(void *p, size_t n);

/* Wipe a NUL-terminated string (strlen bytes), then free. NULL ok. */
void mk_secret_free_str(char *s);

/* Wipe-free *sp and set it to NULL. */
void mk_secret_clear_str(char **sp);

/* strdup that reports failure as NULL; for symmetry with mk_secret_free_str. */
char *mk_secret_strdup(const char *s);

/* Constant-time comparison of n bytes: the time taken depends on n only. */
bool mk_secret_equal(const void *a, const void *b, size_t n);

/* Constant-time comparison of two strings: depends only on the length of
 * `known`, the value we hold (e.g. the `state` we sent), not on the contents
 * of `given`. NULL never equals anything. */
bool mk_secret_streq(const char *known, const char *given);

/* Process hardening for programs that hold the store key: no core dumps
 * (RLIMIT_CORE=0), not ptrace-attachable by the same user (PR_SET_DUMPABLE 0),
 * umask 077. Returns 0, or -1 with errno. */
int mk_secret_harden_process(void);

#endif
