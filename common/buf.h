/* A growable byte buffer with a hard cap (curl's dynbuf).
 *
 * Going over the cap is an error (errno E2BIG), never a silent truncation.
 * The contents are always NUL-terminated so text can be read with
 * mk_buf_str(). A buffer made with mk_buf_init_secret() wipes every block it
 * lets go of (on growth, reset and free), for tokens and SASL strings. */
#ifndef MK_COMMON_BUF_H
#define MK_COMMON_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct mk_buf {
	char *data;  /* NULL until the first add */
	size_t len;  /* bytes of content, excluding the terminating NUL */
	size_t size; /* bytes allocated */
	size_t max;  /* cap on len */
	bool secret; /* wipe memory before releasing it */
};

/* Cannot fail; allocates nothing. max is the largest len allowed. */
void mk_buf_init(struct mk_buf *b, size_t max);
void mk_buf_init_secret(struct mk_buf *b, size_t max);

/* Append n bytes. Returns 0, or -1 with errno E2BIG (cap) or ENOMEM; on
 * failure the buffer is unchanged. */
int mk_buf_add(struct mk_buf *b, const void *p, size_t n);
int mk_buf_addstr(struct mk_buf *b, const char *s);
int mk_buf_addc(struct mk_buf *b, char c);
int mk_buf_addf(struct mk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mk_buf_vaddf(struct mk_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Drop the first n bytes (n > len drops all). */
void mk_buf_consume(struct mk_buf *b, size_t n);

/* Shorten to len bytes (no-op if already shorter). */
void mk_buf_truncate(struct mk_buf *b, size_t len);

/* Empty the buffer, keeping its memory (wiped first if secret). */
void mk_buf_reset(struct mk_buf *b);

/* The contents as a string; "" for an empty buffer. Valid until the next
 * change to the buffer. */
const char *mk_buf_str(const struct mk_buf *b);

/* Hand the allocated string to the caller (who frees it, with
 * mk_secret_free_str if secret) and leave the buffer empty. Returns NULL
 * with errno ENOMEM when the buffer was empty and "" cannot be allocated. */
char *mk_buf_take(struct mk_buf *b);

/* Release memory (wiped if secret). Idempotent. */
void mk_buf_free(struct mk_buf *b);

#endif
