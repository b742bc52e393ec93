#define _GNU_SOURCE
#include "mail/imap_resp.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"

static enum mk_imap_status status_of(const char *w, size_t n)
{
	static const struct {
		const char *name;
		enum mk_imap_status st;
	} t[] = { { "OK", MK_IMAP_OK },
		  { "NO", MK_IMAP_NO },
		  { "BAD", MK_IMAP_BAD },
		  { "BYE", MK_IMAP_BYE },
		  { "PREAUTH", MK_IMAP_PREAUTH } };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strlen(t[i].name) == n && strncasecmp(w, t[i].name, n) == 0)
			return t[i].st;
	return MK_IMAP_NONE;
}

/* After a status word: an optional "[CODE ...]" then text. */
static void status_rest(const char *p, struct mk_imap_line *r)
{
	while (*p == ' ')
		p++;
	if (*p == '[') {
		size_t n = 0;
		const char *q = p + 1;
		while (q[n] != '\0' && q[n] != ']' && q[n] != ' ' && n + 1 < sizeof(r->code)) {
			r->code[n] = (char)toupper((unsigned char)q[n]);
			n++;
		}
		r->code[n] = '\0';
		q = strchr(p, ']');
		p = q != NULL ? q + 1 : p + strlen(p);
		while (*p == ' ')
			p++;
	}
	r->text = p;
}

void mk_imap_parse_line(const char *line, struct mk_imap_line *r)
{
	const char *sp;
	size_t n;

	memset(r, 0, sizeof(*r));
	r->kind = MK_IMAP_MALFORMED;
	r->text = "";
	r->after = "";
	if (line[0] == '+' && (line[1] == ' ' || line[1] == '\0')) {
		r->kind = MK_IMAP_CONTINUE;
		r->text = line[1] == ' ' ? line + 2 : line + 1;
		return;
	}
	if (line[0] == '*' && line[1] == ' ') {
		r->kind = MK_IMAP_UNTAGGED;
		r->after = line + 2;
		sp = strchr(line + 2, ' ');
		n = sp != NULL ? (size_t)(sp - line - 2) : strlen(line + 2);
		r->status = status_of(line + 2, n);
		if (r->status != MK_IMAP_NONE)
			status_rest(line + 2 + n, r);
		else
			r->text = line + 2;
		return;
	}
	sp = strchr(line, ' ');
	if (sp == NULL || sp == line || (size_t)(sp - line) >= sizeof(r->tag))
		return;
	for (const char *p = line; p < sp; p++)
		if (!isalnum((unsigned char)*p) && *p != '.')
			return;
	memcpy(r->tag, line, (size_t)(sp - line));
	r->tag[sp - line] = '\0';
	line = sp + 1;
	sp = strchr(line, ' ');
	n = sp != NULL ? (size_t)(sp - line) : strlen(line);
	r->status = status_of(line, n);
	if (r->status != MK_IMAP_OK && r->status != MK_IMAP_NO && r->status != MK_IMAP_BAD)
		return;
	r->kind = MK_IMAP_TAGGED;
	status_rest(line + n, r);
}

int mk_imap_literal_at_end(const char *line, size_t len, uint64_t max, uint64_t *n)
{
	size_t open, end = len;

	if (len < 3 || line[len - 1] != '}')
		return 0;
	end = len - 1;
	if (line[end - 1] == '+' || line[end - 1] == '-')
		end--;
	open = end;
	while (open > 0 && isdigit((unsigned char)line[open - 1]))
		open--;
	if (open == 0 || line[open - 1] != '{' || open == end)
		return 0;
	if (mk_str_to_u64(line + open, end - open, max, n) != 0) {
		/* "{0}" is fine; leading zeros or a size over the bound are not. */
		if (end - open == 1 && line[open] == '0') {
			*n = 0;
			return 1;
		}
		return -1;
	}
	return 1;
}

bool mk_imap_has_capability(const char *caps, const char *atom)
{
	size_t n = strlen(atom);

	for (const char *p = caps; (p = strcasestr(p, atom)) != NULL; p += n) {
		bool start = p == caps || p[-1] == ' ' || p[-1] == '[';
		bool end = p[n] == '\0' || p[n] == ' ' || p[n] == ']';
		if (start && end)
			return true;
	}
	return false;
}

int mk_imap_parse_search(const char *s, int (*fn)(void *ctx, uint64_t uid), void *ctx)
{
	while (*s != '\0') {
		const char *e;
		uint64_t v;
		while (*s == ' ')
			s++;
		if (*s == '\0' || *s == '(')
			break; /* "(MODSEQ ...)" trailer */
		e = s;
		while (isdigit((unsigned char)*e))
			e++;
		if (e == s || mk_str_to_u64(s, (size_t)(e - s), UINT32_MAX, &v) != 0 ||
		    (*e != ' ' && *e != '\0'))
			return -1;
		if (fn(ctx, v) != 0)
			return -1;
		s = e;
	}
	return 0;
}

bool mk_imap_literal_nonsync(const char *caps, size_t n)
{
	if (mk_imap_has_capability(caps, "LITERAL+"))
		return true;
	return mk_imap_has_capability(caps, "LITERAL-") && n <= 4096;
}

int mk_imap_parse_list(const char *s, char *out, size_t size)
{
	const char *p = s, *q;
	size_t o = 0;

	/* No room even for the NUL: an empty name ("") would write one. */
	if (size == 0)
		return -1;
	while (*p == ' ')
		p++;
	if (*p != '(' || (q = strchr(p, ')')) == NULL)
		return -1;
	p = q + 1;
	while (*p == ' ')
		p++;
	/* the hierarchy delimiter: "x" or NIL */
	if (*p == '"') {
		p++;
		if (*p == '\\')
			p++;
		if (*p == '\0' || p[1] != '"')
			return -1;
		p += 2;
	} else if (strncasecmp(p, "NIL", 3) == 0) {
		p += 3;
	} else {
		return -1;
	}
	while (*p == ' ')
		p++;
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (o + 1 >= size)
				return -1;
			out[o++] = *p;
		}
		if (*p != '"')
			return -1;
	} else {
		for (; *p != '\0' && *p != ' '; p++) {
			if (o + 1 >= size)
				return -1;
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	return o > 0 ? 0 : -1;
}
