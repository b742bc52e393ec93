#include "mail/message.h"

#include <string.h>
#include <strings.h>

int mk_msg_to_data(const char *msg, size_t len, struct mk_buf *out)
{
	bool bol = true; /* at the beginning of a line */

	for (size_t i = 0; i < len; i++) {
		char c = msg[i];
		if (c == '\r' || c == '\n') {
			if (mk_buf_add(out, "\r\n", 2) != 0)
				return -1;
			if (c == '\r' && i + 1 < len && msg[i + 1] == '\n')
				i++;
			bol = true;
			continue;
		}
		if (bol && c == '.' && mk_buf_addc(out, '.') != 0)
			return -1;
		if (mk_buf_addc(out, c) != 0)
			return -1;
		bol = false;
	}
	if (!bol && mk_buf_add(out, "\r\n", 2) != 0)
		return -1;
	return mk_buf_add(out, ".\r\n", 3);
}

bool mk_msg_is_8bit(const char *msg, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)msg[i] >= 0x80)
			return true;
	return false;
}

size_t mk_msg_header_len(const char *msg, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (msg[i] != '\n')
			continue;
		if (i + 1 < len && msg[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && msg[i + 1] == '\r' && msg[i + 2] == '\n')
			return i + 3;
	}
	return len;
}

int mk_msg_each_field(const char *msg, size_t len,
		      int (*fn)(const char *name, size_t nlen, const char *v, size_t vlen, void *ctx),
		      void *ctx)
{
	size_t hlen = mk_msg_header_len(msg, len), i = 0;

	while (i < hlen) {
		size_t start = i, colon, end;
		if (msg[i] == '\r' || msg[i] == '\n')
			break;
		/* a field runs until a line that does not start with WSP */
		end = i;
		for (;;) {
			while (end < hlen && msg[end] != '\n')
				end++;
			if (end + 1 < hlen && (msg[end + 1] == ' ' || msg[end + 1] == '\t')) {
				end++;
				continue;
			}
			break;
		}
		for (colon = start; colon < end && msg[colon] != ':'; colon++)
			;
		if (colon < end && fn(msg + start, colon - start, msg + colon + 1, end - colon - 1, ctx) != 0)
			return -1;
		i = end + 1;
	}
	return 0;
}

static bool is_field(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* A NUL or control byte inside an address (a tab aside, which unfolding
 * leaves) is a broken message: it would cut the address short for every
 * string function downstream, so it is refused, not passed on. */
static bool bad_byte(char c)
{
	return ((unsigned char)c < 0x20 && c != '\t') || c == 0x7f;
}

/* Extract addr-specs from an address list. Angle-bracketed addresses win;
 * otherwise a bare word with '@'. Quoted strings and comments are skipped. */
static int add_addresses(const char *v, size_t n, struct mk_buf *out)
{
	size_t i = 0;

	while (i < n) {
		size_t start, end;
		bool angle = false;
		/* one mailbox: up to ',' or ';' outside quotes/angles/comments */
		start = i;
		end = i;
		{
			int depth = 0;
			bool q = false, a = false;
			for (; end < n; end++) {
				char c = v[end];
				if (q) {
					/* a quoted-pair; a backslash at the very end
					 * quotes nothing (no read past the value) */
					if (c == '\\' && end + 1 < n)
						end++;
					else if (c == '"')
						q = false;
					continue;
				}
				if (c == '"')
					q = true;
				else if (c == '(')
					depth++;
				else if (c == ')' && depth > 0)
					depth--;
				else if (depth == 0 && c == '<')
					a = angle = true;
				else if (depth == 0 && c == '>')
					a = false;
				else if (depth == 0 && !a && (c == ',' || c == ';'))
					break;
				else if (depth == 0 && !a && c == ':')
					start = end + 1; /* group name */
			}
		}
		if (angle) {
			const char *lt = memchr(v + start, '<', end - start);
			const char *gt = lt != NULL ? memchr(lt, '>', (size_t)(v + end - lt)) : NULL;
			if (lt != NULL && gt != NULL && gt > lt + 1 &&
			    memchr(lt, '@', (size_t)(gt - lt)) != NULL) {
				/* Unfolded (RFC 5322 §2.2.3: CRLF removed), so a
				 * folded address stays one line of out, never two
				 * recipients. */
				for (const char *c = lt + 1; c < gt; c++) {
					if (*c == '\r' || *c == '\n')
						continue;
					if (bad_byte(*c) || mk_buf_addc(out, *c) != 0)
						return -1;
				}
				if (mk_buf_addc(out, '\n') != 0)
					return -1;
			}
		} else {
			/* A bare addr-spec, comments removed (RFC 5322 §3.2.2),
			 * written straight into out (capped, checked on every
			 * write) and taken back if it is not one address. */
			size_t o = out->len;
			int depth = 0;
			bool gap = false, words = false;
			for (size_t k = start; k < end; k++) {
				char c = v[k];
				if (c == '(')
					depth++;
				else if (c == ')' && depth > 0)
					depth--;
				else if (depth > 0)
					continue;
				else if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
					gap = out->len > o;
				else {
					if (gap)
						words = true; /* words apart: not one address */
					gap = false;
					if (bad_byte(c) || mk_buf_addc(out, c) != 0)
						return -1;
				}
			}
			if (out->len == o || words || memchr(out->data + o, '@', out->len - o) == NULL ||
			    memchr(out->data + o, '"', out->len - o) != NULL)
				mk_buf_truncate(out, o);
			else if (mk_buf_addc(out, '\n') != 0)
				return -1;
		}
		i = end + 1;
	}
	return 0;
}

static int collect(const char *name, size_t nlen, const char *v, size_t vlen, void *ctx)
{
	if (is_field(name, nlen, "To") || is_field(name, nlen, "Cc") || is_field(name, nlen, "Bcc"))
		return add_addresses(v, vlen, ctx);
	return 0;
}

int mk_msg_recipients(const char *msg, size_t len, struct mk_buf *out)
{
	return mk_msg_each_field(msg, len, collect, out);
}

int mk_msg_strip_bcc(const char *msg, size_t len, struct mk_buf *out)
{
	size_t hlen = mk_msg_header_len(msg, len), i = 0;

	while (i < hlen) {
		size_t end = i;
		for (;;) {
			while (end < hlen && msg[end] != '\n')
				end++;
			if (end + 1 < hlen && (msg[end + 1] == ' ' || msg[end + 1] == '\t')) {
				end++;
				continue;
			}
			break;
		}
		if (end < hlen)
			end++; /* include the newline */
		if (!(end - i > 4 && strncasecmp(msg + i, "Bcc:", 4) == 0) &&
		    mk_buf_add(out, msg + i, end - i) != 0)
			return -1;
		i = end;
	}
	return mk_buf_add(out, msg + hlen, len - hlen);
}
