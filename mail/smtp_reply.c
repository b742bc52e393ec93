#include "mail/smtp_reply.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"

#define MK_SMTP_REPLY_MAX (64 * 1024)

void mk_smtp_reply_init(struct mk_smtp_reply *r)
{
	r->code = 0;
	r->lines = 0;
	mk_buf_init(&r->text, MK_SMTP_REPLY_MAX);
}

void mk_smtp_reply_free(struct mk_smtp_reply *r)
{
	mk_buf_free(&r->text);
}

int mk_smtp_reply_feed(struct mk_smtp_reply *r, const char *line, size_t len, struct mk_error *err)
{
	unsigned code;

	/* RFC 5321 §4.2: three digits, then SP, "-" or the end of the line. */
	if (len < 3 || line[0] < '2' || line[0] > '5' || !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]) || (len > 3 && line[3] != ' ' && line[3] != '-'))
		return mk_error_set(err, MK_ERR_PROTO, "malformed SMTP reply line: '%.*s'",
				    (int)(len > 80 ? 80 : len), line);
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
			return mk_error_set(err, MK_ERR_PROTO, "SMTP reply with control characters");
	code = (unsigned)((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
	if (r->lines > 0 && code != r->code)
		return mk_error_set(err, MK_ERR_PROTO, "SMTP reply lines with different codes (%u, %u)",
				    r->code, code);
	r->code = code;
	if (r->lines++ > 0 && mk_buf_addc(&r->text, '\n') != 0)
		return mk_error_set(err, MK_ERR_PROTO, "SMTP reply too long");
	if (len > 4 && mk_buf_add(&r->text, line + 4, len - 4) != 0)
		return mk_error_set(err, MK_ERR_PROTO, "SMTP reply too long");
	return (len > 3 && line[3] == '-') ? 1 : 0;
}

/* RFC 4422 §3.1: a mechanism name is 1 to 20 of A-Z, 0-9, '-' and '_'. */
#define MK_SASL_MECH_NAME_MAX 20

static bool mech_name_ok(const char *m, size_t n)
{
	if (n == 0 || n > MK_SASL_MECH_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)m[i]) && m[i] != '-' && m[i] != '_')
			return false;
	return true;
}

/* Add one mechanism to caps->auth (" A B C ", upper case) unless it is not a
 * valid name, already listed, or does not fit. Dropping is safe where an
 * error would not be: the list only says which mechanisms we may try, a
 * name that is invalid or repeated adds nothing, and a server that lists
 * more than fits (a dozen distinct 20-byte names) still works for every
 * mechanism that made it in; failing the EHLO instead would let any
 * pre-TLS attacker, or a chatty server, stop all mail. Each write below is
 * checked against the array's size. */
static void auth_add(struct mk_smtp_caps *caps, const char *m, size_t n)
{
	size_t o = strnlen(caps->auth, sizeof(caps->auth));
	char needle[MK_SASL_MECH_NAME_MAX + 3];

	if (!mech_name_ok(m, n) || o >= sizeof(caps->auth))
		return;
	needle[0] = ' ';
	for (size_t i = 0; i < n; i++)
		needle[1 + i] = (char)toupper((unsigned char)m[i]);
	needle[n + 1] = ' ';
	needle[n + 2] = '\0';
	if (strstr(caps->auth, needle) != NULL)
		return;
	/* o == 0: " NAME " (n + 2 bytes), else "NAME " after the trailing
	 * space (n + 1), plus the NUL. */
	if (o == 0) {
		if (n + 3 > sizeof(caps->auth))
			return;
		memcpy(caps->auth, needle, n + 3);
	} else {
		if (o + n + 2 > sizeof(caps->auth))
			return;
		memcpy(caps->auth + o, needle + 1, n + 2);
	}
}

/* The rest of an "AUTH mech mech..." line (after "AUTH " or "AUTH="). */
static void auth_add_line(struct mk_smtp_caps *caps, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start;
		while (i < n && s[i] == ' ')
			i++;
		start = i;
		while (i < n && s[i] != ' ')
			i++;
		if (i > start)
			auth_add(caps, s + start, i - start);
	}
}

void mk_smtp_caps_parse(const struct mk_smtp_reply *ehlo, struct mk_smtp_caps *caps)
{
	const char *t = mk_buf_str(&ehlo->text);
	bool first = true;

	memset(caps, 0, sizeof(*caps));
	while (*t != '\0') {
		const char *end = strchr(t, '\n');
		size_t n = end != NULL ? (size_t)(end - t) : strlen(t);
		/* The first line is the greeting name, not a keyword. */
		if (!first) {
			if (n == 8 && strncasecmp(t, "STARTTLS", 8) == 0)
				caps->starttls = true;
			else if (n == 10 && strncasecmp(t, "PIPELINING", 10) == 0)
				caps->pipelining = true;
			else if (n == 8 && strncasecmp(t, "8BITMIME", 8) == 0)
				caps->eightbitmime = true;
			else if (n == 8 && strncasecmp(t, "SMTPUTF8", 8) == 0)
				caps->smtputf8 = true;
			else if (n >= 4 && strncasecmp(t, "SIZE", 4) == 0 && (n == 4 || t[4] == ' ')) {
				uint64_t v = 0;
				caps->size_known = true;
				if (n > 5 && mk_str_to_u64(t + 5, n - 5, UINT64_MAX, &v) == 0)
					caps->size_max = v;
			} else if (n > 5 && strncasecmp(t, "AUTH", 4) == 0 && (t[4] == ' ' || t[4] == '=')) {
				auth_add_line(caps, t + 5, n - 5);
			}
		}
		first = false;
		t += n;
		if (*t == '\n')
			t++;
	}
}

bool mk_smtp_caps_has_auth(const struct mk_smtp_caps *caps, const char *mech)
{
	char needle[MK_SASL_MECH_NAME_MAX + 3];

	/* Longer names are never listed; cutting one would match a prefix. */
	if (strlen(mech) > MK_SASL_MECH_NAME_MAX)
		return false;
	snprintf(needle, sizeof(needle), " %s ", mech);
	for (char *p = needle; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	return strstr(caps->auth, needle) != NULL;
}
