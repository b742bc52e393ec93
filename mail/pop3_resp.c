#define _GNU_SOURCE
#include "mail/pop3_resp.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

void mk_pop3_parse(const char *line, struct mk_pop3_resp *r)
{
	const char *p;

	memset(r, 0, sizeof(*r));
	r->text = "";
	if (strncmp(line, "+OK", 3) == 0 && (line[3] == '\0' || line[3] == ' ')) {
		r->kind = MK_POP3_OK;
		p = line + 3;
	} else if (strncmp(line, "-ERR", 4) == 0 && (line[4] == '\0' || line[4] == ' ')) {
		r->kind = MK_POP3_ERR;
		p = line + 4;
	} else if (line[0] == '+' && (line[1] == ' ' || line[1] == '\0')) {
		r->kind = MK_POP3_CONTINUE;
		r->text = line[1] == ' ' ? line + 2 : line + 1;
		return;
	} else {
		r->kind = MK_POP3_MALFORMED;
		return;
	}
	while (*p == ' ')
		p++;
	if (*p == '[') {
		size_t n = 0;
		for (const char *q = p + 1; *q != '\0' && *q != ']' && n + 1 < sizeof(r->code); q++)
			r->code[n++] = (char)toupper((unsigned char)*q);
		r->code[n] = '\0';
		p = strchr(p, ']') != NULL ? strchr(p, ']') + 1 : p + strlen(p);
		while (*p == ' ')
			p++;
	}
	r->text = p;
}

int mk_pop3_multiline_feed(const char *line, size_t len, struct mk_buf *out)
{
	if (len == 1 && line[0] == '.')
		return 1;
	/* RFC 1939 §3: a leading dot was doubled ("byte-stuffed"). */
	if (len > 0 && line[0] == '.') {
		line++;
		len--;
	}
	if (mk_buf_add(out, line, len) != 0 || mk_buf_add(out, "\r\n", 2) != 0)
		return -1;
	return 0;
}

bool mk_pop3_capa_has(const char *capa, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = capa; (p = strcasestr(p, word)) != NULL; p += n) {
		bool start = p == capa || p[-1] == ' ' || p[-1] == '\n';
		bool end = p[n] == '\0' || p[n] == ' ' || p[n] == '\n';
		if (start && end)
			return true;
	}
	return false;
}
