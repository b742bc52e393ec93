#include "error.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "common/buf.h"
#include "common/secret.h"

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

/* UNSAFE: " … " is 5 bytes (the ellipsis is 3 in UTF-8). */
static const char elision[] = " \xe2\x80\xa6 ";

/* A byte that starts a character (not a UTF-8 continuation byte). */
static bool char_start(const char *s, size_t i)
{
	return ((unsigned char)s[i] & 0xc0) != 0x80;
}

size_t mk_error_fit(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src), mark = sizeof(elision) - 1, head, tail, t0, h;

	if (len < size) {
		memcpy(dst, src, len + 1);
		return len;
	}
	if (size < 32) { /* too small to elide: a plain cut */
		snprintf(dst, size, "%s", src);
		return strlen(dst);
	}
	/* Keep about a quarter for the end: hints and the innermost reason
	 * are there; the rest is the start with the outer context. */
	tail = (size - 1) / 4;
	head = size - 1 - mark - tail;
	/* The end starts after a space within its first 48 bytes, else at a
	 * character boundary. */
	t0 = len - tail;
	for (size_t i = t0; i < len && i < t0 + 48; i++)
		if (src[i] == ' ') {
			t0 = i + 1;
			break;
		}
	while (t0 < len && !char_start(src, t0))
		t0++;
	/* The start ends before a space within its last 48 bytes (and before
	 * the punctuation in front of it), else at a character boundary. */
	h = head;
	for (size_t i = head; i > 0 && i + 48 > head; i--)
		if (src[i] == ' ') {
			h = i;
			break;
		}
	while (h > 0 && !char_start(src, h))
		h--;
	while (h > 0 && strchr(" :;,(", src[h - 1]) != NULL)
		h--;
	memcpy(dst, src, h);
	memcpy(dst + h, elision, mark);
	memcpy(dst + h + mark, src + t0, len - t0);
	dst[h + mark + len - t0] = '\0';
	return h + mark + len - t0;
}

/* Set err->msg to a + sep + b, fitted. Works in place (a or b may be
 * err->msg). Without memory, the plain cut end is marked instead. */
static void set_joined(struct mk_error *err, const char *a, const char *sep, const char *b)
{
	size_t la = strlen(a), ls = strlen(sep), lb = strlen(b);
	char *full = malloc(la + ls + lb + 1);

	if (full == NULL) {
		char tmp[MK_ERROR_MSG_SIZE];
		snprintf(tmp, sizeof(tmp), "%s%s%s", a, sep, b);
		mk_error_fit(err->msg, sizeof(err->msg), tmp);
		return;
	}
	memcpy(full, a, la);
	memcpy(full + la, sep, ls);
	memcpy(full + la + ls, b, lb + 1);
	mk_error_fit(err->msg, sizeof(err->msg), full);
	/* Messages hold no secrets by rule; wiped anyway, as they may quote a
	 * server. */
	mk_secret_free(full, la + ls + lb + 1);
}

/* vsnprintf into a heap string of the right size; NULL on failure. */
static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	char *s;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	if (vsnprintf(s, (size_t)n + 1, fmt, ap) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

int mk_error_vset(struct mk_error *err, enum mk_error_class cls, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	if (err == NULL)
		return -1;
	err->cls = cls;
	va_copy(ap2, ap);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (n < 0) {
		err->msg[0] = '\0';
	} else if ((size_t)n >= sizeof(err->msg)) {
		char *full = vformat(fmt, ap2);
		if (full != NULL) {
			mk_error_fit(err->msg, sizeof(err->msg), full);
			mk_secret_free_str(full);
		} else {
			set_joined(err, err->msg, "", "");
		}
	}
	va_end(ap2);
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
	char *full;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	full = vformat(fmt, ap);
	va_end(ap);
	err->cls = cls;
	set_joined(err, full != NULL ? full : "", ": ", strerror(errnum));
	mk_secret_free_str(full);
	return -1;
}

void mk_error_prefix(struct mk_error *err, const char *fmt, ...)
{
	char *prefix;
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	prefix = vformat(fmt, ap);
	va_end(ap);
	if (prefix == NULL)
		return;
	set_joined(err, prefix, ": ", err->msg);
	mk_secret_free_str(prefix);
}

static bool hint_system;

const char *mk_hint_cmd(void)
{
	return hint_system ? "sudo mailkey --system" : "mailkey";
}

void mk_hint_set_system(bool on)
{
	hint_system = on;
}

char *mk_hint_subst(char *dst, size_t size, const char *src)
{
	static const char from[] = "`mailkey ";
	size_t o = 0;

	if (size == 0)
		return dst;
	while (*src != '\0' && o + 1 < size) {
		if (strncmp(src, from, sizeof(from) - 1) == 0) {
			int k = snprintf(dst + o, size - o, "`%s ", mk_hint_cmd());
			if (k < 0 || (size_t)k >= size - o) {
				o = size - 1;
				break;
			}
			o += (size_t)k;
			src += sizeof(from) - 1;
		} else {
			dst[o++] = *src++;
		}
	}
	dst[o] = '\0';
	return dst;
}

/* The length of "`mailkey " or "`sudo mailkey --system " at s, 0 if neither. */
static size_t cmd_at(const char *s)
{
	static const char *const forms[] = { "`mailkey ", "`sudo mailkey --system " };

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if (strncmp(s, forms[i], strlen(forms[i])) == 0)
			return strlen(forms[i]);
	return 0;
}

/* The hint: "`mailkey login`" or "`mailkey login WORD`" (not an option),
 * also in the system form "`sudo mailkey --system login ...`". Returns its
 * length at s, 0 if s does not start with one. */
static size_t hint_at(const char *s)
{
	static const char verb[] = "login";
	size_t c = cmd_at(s), n = c + sizeof(verb) - 1, w;

	if (c == 0 || strncmp(s + c, verb, sizeof(verb) - 1) != 0)
		return 0;
	if (s[n] == '`')
		return n + 1;
	if (s[n] != ' ' || s[n + 1] == '-')
		return 0;
	w = strcspn(s + n + 1, "` ");
	return w > 0 && s[n + 1 + w] == '`' ? n + 1 + w + 1 : 0;
}

static char *find_hint(char *s)
{
	for (; *s != '\0'; s++)
		if (hint_at(s) > 0)
			return s;
	return NULL;
}

static bool has_hint(const char *s)
{
	for (; *s != '\0'; s++)
		if (hint_at(s) > 0)
			return true;
	return false;
}

/* Remove the clause holding the hint at h: from the separator before it
 * ("; ", ": ", ", " or " (") to the end of the clause (";", ": ", " (",
 * the closing parenthesis, or the end). False if there is no separator. */
static bool drop_clause(char *s, char *h)
{
	char *q = NULL, *e;
	bool paren = false;

	for (char *p = h; p > s; p--)
		if (p - s >= 2 && p[-1] == ' ' && strchr(";:,(", p[-2]) != NULL) {
			q = p - 2;
			break;
		} else if (p[-1] == '(' && p - s >= 2 && p[-2] == ' ') {
			q = p - 2;
			paren = true;
			break;
		}
	if (q == NULL)
		return false;
	if (q[0] == ' ' && q[1] == '(')
		paren = true;
	for (e = h + hint_at(h); *e != '\0'; e++)
		if (*e == ';' || *e == ')' || (e[0] == ':' && e[1] == ' ') || (e[0] == ' ' && e[1] == '('))
			break;
	if (paren && *e == ')')
		e++;
	memmove(q, e, strlen(e) + 1);
	return true;
}

void mk_error_hint_once(char *s)
{
	char *first, *next;

	while ((first = find_hint(s)) != NULL && (next = find_hint(first + hint_at(first))) != NULL)
		if (!drop_clause(s, first))
			break;
}

void mk_error_login_hint(struct mk_error *err, const char *account)
{
	static const char *const generic[] = { "login`", "login ACCOUNT`", "refresh ACCOUNT`" };
	static const char *const verb[] = { "login", "login", "refresh" };
	struct mk_buf b;
	const char *p;

	if (err == NULL || account == NULL)
		return;
	mk_buf_init(&b, 4 * MK_ERROR_MSG_SIZE);
	for (p = err->msg; *p != '\0';) {
		size_t i, c = cmd_at(p);
		for (i = 0; c > 0 && i < sizeof(generic) / sizeof(generic[0]); i++)
			if (strncmp(p + c, generic[i], strlen(generic[i])) == 0)
				break;
		if (c > 0 && i < sizeof(generic) / sizeof(generic[0])) {
			if (mk_buf_addf(&b, "`%s %s %s`", mk_hint_cmd(), verb[i], account) != 0)
				goto out;
			p += c + strlen(generic[i]);
		} else if (mk_buf_add(&b, p++, 1) != 0) {
			goto out;
		}
	}
	if (!has_hint(mk_buf_str(&b)) &&
	    mk_buf_addf(&b, "%srun `%s login %s`", b.len > 0 ? ": " : "", mk_hint_cmd(), account) != 0)
		goto out;
	mk_error_hint_once(b.data); /* not NULL: the hint was added at least */
	mk_error_fit(err->msg, sizeof(err->msg), b.data);
out:
	mk_buf_free(&b);
}

void mk_error_redact(char *s, size_t size, const char *const *secrets, size_t n)
{
	static const char mark[] = "<redacted>";
	struct mk_buf b;

	mk_buf_init_secret(&b, 16 * size);
	for (const char *p = s; *p != '\0';) {
		size_t hit = 0;
		for (size_t i = 0; i < n; i++) {
			size_t l = secrets[i] != NULL ? strlen(secrets[i]) : 0;
			if (l >= 4 && l > hit && strncmp(p, secrets[i], l) == 0)
				hit = l;
		}
		if (mk_buf_add(&b, hit > 0 ? mark : p, hit > 0 ? sizeof(mark) - 1 : 1) != 0)
			goto fail;
		p += hit > 0 ? hit : 1;
	}
	mk_error_fit(s, size, mk_buf_str(&b));
	mk_buf_free(&b);
	return;
fail:
	/* Cannot build the redacted text: show none of it. */
	mk_buf_free(&b);
	snprintf(s, size, "%s", mark);
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
