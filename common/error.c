#include "error.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static const struct {
	const char *name;
	int sysexit;
} classes[MK_ERR_CLASS_LAST] = {
	[MK_ERR_NONE] = { "none", EX_OK },
	[MK_ERR_INTERNAL] = { "internal", EX_SOFTWARE },
	[MK_ERR_CONN] = { "connection", EX_TEMPFAIL },
	[MK_ERR_PROTO] = { "protocol", EX_PROTOCOL },
	[MK_ERR_IMPL] = { "unsupported", EX_UNAVAILABLE },
	[MK_ERR_RESP] = { "refused", EX_UNAVAILABLE },
	[MK_ERR_TEMP] = { "temporary", EX_TEMPFAIL },
	[MK_ERR_CONFIG] = { "config", EX_CONFIG },
	[MK_ERR_USAGE] = { "usage", EX_USAGE },
	[MK_ERR_AUTH] = { "auth", EX_NOPERM },
	[MK_ERR_CONSENT] = { "needs-consent", EX_NOPERM },
	[MK_ERR_DATA] = { "data", EX_DATAERR },
	[MK_ERR_NOINPUT] = { "noinput", EX_NOINPUT },
	[MK_ERR_IO] = { "io", EX_IOERR },
};

void mk_error_init(struct mk_error *err)
{
	err->cls = MK_ERR_NONE;
	err->msg[0] = '\0';
}

int mk_error_vset(struct mk_error *err, enum mk_error_class cls, const char *fmt, va_list ap)
{
	if (err == NULL)
		return -1;
	err->cls = cls;
	if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) < 0)
		err->msg[0] = '\0';
	return -1;
}

int mk_error_set(struct mk_error *err, enum mk_error_class cls, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mk_error_vset(err, cls, fmt, ap);
	va_end(ap);
	return -1;
}

int mk_error_errno(struct mk_error *err, enum mk_error_class cls, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	mk_error_vset(err, cls, fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(errnum));
	return -1;
}

void mk_error_prefix(struct mk_error *err, const char *fmt, ...)
{
	char prefix[256];
	size_t plen, mlen;
	va_list ap;
	int n;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(prefix, sizeof(prefix) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	plen = strlen(prefix);
	memcpy(prefix + plen, ": ", 3);
	plen += 2;
	/* Shift the old message right; the message is cut at the end if the
	 * whole no longer fits, which keeps the most specific context first. */
	mlen = strnlen(err->msg, sizeof(err->msg) - 1);
	if (plen + mlen > sizeof(err->msg) - 1)
		mlen = sizeof(err->msg) - 1 - plen;
	memmove(err->msg + plen, err->msg, mlen);
	memcpy(err->msg, prefix, plen);
	err->msg[plen + mlen] = '\0';
}

int mk_error_to_sysexit(enum mk_error_class cls)
{
	if ((unsigned)cls >= MK_ERR_CLASS_LAST)
		return EX_SOFTWARE;
	return classes[cls].sysexit;
}

const char *mk_error_class_name(enum mk_error_class cls)
{
	if ((unsigned)cls >= MK_ERR_CLASS_LAST)
		return "internal";
	return classes[cls].name;
}
