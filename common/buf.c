#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"

#define MK_BUF_MIN_ALLOC 64

void mk_buf_init(struct mk_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->size = 0;
	b->max = max;
	b->secret = false;
}

void mk_buf_init_secret(struct mk_buf *b, size_t max)
{
	mk_buf_init(b, max);
	b->secret = true;
}

/* Make room for len + need + NUL. */
static int grow(struct mk_buf *b, size_t need)
{
	size_t want, nsize;
	char *n;

	if (need > b->max - b->len) {
		errno = E2BIG;
		return -1;
	}
	want = b->len + need + 1;
	if (want <= b->size)
		return 0;
	nsize = b->size ? b->size : MK_BUF_MIN_ALLOC;
	while (nsize < want)
		nsize = nsize > (size_t)-1 / 2 ? want : nsize * 2;
	if (nsize > b->max + 1)
		nsize = b->max + 1 > want ? b->max + 1 : want;
	if (b->secret) {
		/* realloc could leave the old copy behind unwiped. */
		n = malloc(nsize);
		if (n == NULL) {
			errno = ENOMEM;
			return -1;
		}
		if (b->data != NULL) {
			memcpy(n, b->data, b->len + 1);
			mk_secret_free(b->data, b->size);
		}
	} else {
		n = realloc(b->data, nsize);
		if (n == NULL) {
			errno = ENOMEM;
			return -1;
		}
	}
	b->data = n;
	b->size = nsize;
	return 0;
}

int mk_buf_add(struct mk_buf *b, const void *p, size_t n)
{
	if (grow(b, n) != 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int mk_buf_addstr(struct mk_buf *b, const char *s)
{
	return mk_buf_add(b, s, strlen(s));
}

int mk_buf_addc(struct mk_buf *b, char c)
{
	return mk_buf_add(b, &c, 1);
}

int mk_buf_vaddf(struct mk_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	if (grow(b, (size_t)n) != 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int mk_buf_addf(struct mk_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = mk_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void mk_buf_consume(struct mk_buf *b, size_t n)
{
	if (b->data == NULL)
		return;
	if (n >= b->len) {
		mk_buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	if (b->secret)
		mk_secret_wipe(b->data + b->len, n);
	b->data[b->len] = '\0';
}

void mk_buf_truncate(struct mk_buf *b, size_t len)
{
	if (b->data == NULL || len >= b->len)
		return;
	if (b->secret)
		mk_secret_wipe(b->data + len, b->len - len);
	b->len = len;
	b->data[len] = '\0';
}

void mk_buf_reset(struct mk_buf *b)
{
	if (b->data == NULL)
		return;
	if (b->secret)
		mk_secret_wipe(b->data, b->size);
	b->len = 0;
	b->data[0] = '\0';
}

const char *mk_buf_str(const struct mk_buf *b)
{
	return b->data != NULL ? b->data : "";
}

char *mk_buf_take(struct mk_buf *b)
{
	char *p = b->data;

	if (p == NULL) {
		p = calloc(1, 1);
		if (p == NULL)
			errno = ENOMEM;
	}
	b->data = NULL;
	b->len = 0;
	b->size = 0;
	return p;
}

void mk_buf_free(struct mk_buf *b)
{
	if (b->data != NULL) {
		if (b->secret)
			mk_secret_free(b->data, b->size);
		else
			free(b->data);
	}
	b->data = NULL;
	b->len = 0;
	b->size = 0;
}
