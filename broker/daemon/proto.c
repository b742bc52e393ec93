/* The daemon's wire formats (docs/protocol.md): mailkey's line protocol and
 * Postfix's socketmap netstrings. Pure: every function reads the bytes it is
 * given and writes only through its out-parameters or a capped mk_buf. */
#include "broker/daemon/proto.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/str.h"

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static bool has_ctl(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (is_ctl((unsigned char)s[i]))
			return true;
	return false;
}

/* docs/protocol.md: account names are [A-Za-z0-9._@+-], 1..128 bytes. */
static bool is_account(const char *s, size_t len)
{
	if (len == 0 || len > MK_PROTO_ACCOUNT_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '@' || c == '+' || c == '-'))
			return false;
	}
	return true;
}

static bool word_is(const char *w, size_t n, const char *lit)
{
	size_t k = strlen(lit);

	return n == k && memcmp(w, lit, k) == 0;
}

/* Room for n more bytes: checked before the first write so that a format
 * function appends all of its answer or nothing. */
static bool has_room(const struct mk_buf *out, size_t n)
{
	return out->len <= out->max && n <= out->max - out->len;
}

/* Append s with every control byte turned into a space (one answer stays one
 * line; a netstring's TEMP reason stays readable in Postfix's log). */
/* Runs of clean bytes go in with one mk_buf_add: a socketmap answer carries
 * a whole token through here, and a byte-at-a-time copy was a fifth of the
 * daemon's time per answer. */
static int add_clean(struct mk_buf *out, const char *s, size_t len)
{
	size_t start = 0;

	if (len == 0)
		return 0; /* s may be NULL then, and NULL + 0 is undefined */
	for (size_t i = 0; i < len; i++) {
		if (!is_ctl((unsigned char)s[i]))
			continue;
		if (mk_buf_add(out, s + start, i - start) != 0 || mk_buf_addc(out, ' ') != 0)
			return -1;
		start = i + 1;
	}
	return mk_buf_add(out, s + start, len - start);
}

bool mk_proto_is_sockmap(unsigned char first)
{
	return first >= '0' && first <= '9';
}

ssize_t mk_proto_frame_line(const char *buf, size_t len)
{
	size_t scan = len < MK_PROTO_LINE_MAX ? len : MK_PROTO_LINE_MAX;
	const char *nl = scan > 0 ? memchr(buf, '\n', scan) : NULL;

	if (nl != NULL)
		return (ssize_t)(nl - buf) + 1;
	return len >= MK_PROTO_LINE_MAX ? -1 : 0;
}

#define MAX_WORDS 4 /* MK1 verb account keyword */

int mk_proto_parse_request(const char *line, size_t len, struct mk_proto_req *r, struct mk_error *err)
{
	const char *w[MAX_WORDS];
	size_t wn[MAX_WORDS];
	size_t nw = 0, start = 0;
	uint64_t version;

	memset(r, 0, sizeof(*r));
	/* The '\n' is not part of line, so a line of MK_PROTO_LINE_MAX bytes
	 * would not have been framed. */
	if (len >= MK_PROTO_LINE_MAX)
		return mk_error_set(err, MK_ERR_USAGE, "request line too long (at most %d bytes)",
				    MK_PROTO_LINE_MAX);
	if (len > 0 && line[len - 1] == '\r')
		len--;
	/* The version first, so that any other version gets its own answer
	 * whatever syntax it uses after the first word. */
	for (start = 0; start < len && line[start] != ' '; start++)
		;
	if (start < 3 || memcmp(line, "MK", 2) != 0 ||
	    mk_str_to_u64(line + 2, start - 2, UINT64_MAX, &version) != 0)
		return mk_error_set(err, MK_ERR_USAGE,
				    "malformed request: it must start with the protocol version `MK1`");
	if (version != MK_PROTO_VERSION)
		return mk_error_set(err, MK_ERR_IMPL,
				    "protocol version not supported (this daemon speaks MK%d)",
				    MK_PROTO_VERSION);
	/* Words are separated by exactly one space: an empty word (leading,
	 * trailing or double space) is malformed. */
	start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (i == start || nw == MAX_WORDS)
			return mk_error_set(err, MK_ERR_USAGE,
					    "malformed request: send `MK1 <verb> [<arg> ...]` with single "
					    "spaces (" MK_DOCDIR "/protocol.md)");
		w[nw] = line + start;
		wn[nw++] = i - start;
		start = i + 1;
	}
	if (nw < 2)
		return mk_error_set(err, MK_ERR_USAGE, "malformed request: no verb after `MK1`");

	if (word_is(w[1], wn[1], "token"))
		r->verb = MK_PROTO_TOKEN;
	else if (word_is(w[1], wn[1], "sasl"))
		r->verb = MK_PROTO_SASL;
	else if (word_is(w[1], wn[1], "refresh"))
		r->verb = MK_PROTO_REFRESH;
	else if (word_is(w[1], wn[1], "status"))
		r->verb = MK_PROTO_STATUS;
	else if (word_is(w[1], wn[1], "ping"))
		r->verb = MK_PROTO_PING;
	else if (word_is(w[1], wn[1], "events"))
		r->verb = MK_PROTO_EVENTS;
	else
		return mk_error_set(err, MK_ERR_USAGE,
				    "unknown request verb (token, sasl, refresh, status, ping, events)");

	switch (r->verb) {
	case MK_PROTO_STATUS:
	case MK_PROTO_PING:
	case MK_PROTO_EVENTS:
		if (nw != 2)
			goto extra;
		return 0;
	case MK_PROTO_TOKEN:
	case MK_PROTO_SASL:
	case MK_PROTO_REFRESH:
		break;
	}
	if (nw < 3)
		return mk_error_set(err, MK_ERR_USAGE, "malformed `%.*s` request: it needs an account name",
				    (int)wn[1], w[1]);
	if (!is_account(w[2], wn[2]))
		return mk_error_set(
			err, MK_ERR_USAGE,
			"bad account name in `%.*s` request: use 1 to %d of A-Z a-z 0-9 . _ @ + -",
			(int)wn[1], w[1], MK_PROTO_ACCOUNT_MAX);
	memcpy(r->account, w[2], wn[2]);
	r->account[wn[2]] = '\0';
	if (nw == 3)
		return 0;
	if (r->verb == MK_PROTO_TOKEN && word_is(w[3], wn[3], "fresh")) {
		r->fresh = true;
		return 0;
	}
	if (r->verb == MK_PROTO_SASL && word_is(w[3], wn[3], "xoauth2")) {
		r->mech = MK_PROTO_MECH_XOAUTH2;
		return 0;
	}
	if (r->verb == MK_PROTO_SASL && word_is(w[3], wn[3], "oauthbearer")) {
		r->mech = MK_PROTO_MECH_OAUTHBEARER;
		return 0;
	}
extra:
	return mk_error_set(err, MK_ERR_USAGE,
			    "malformed `%.*s` request: unexpected argument (" MK_DOCDIR "/protocol.md)",
			    (int)wn[1], w[1]);
}

int mk_proto_format_ok(struct mk_buf *out, const char *payload)
{
	size_t old = out->len, n;

	if (payload == NULL)
		payload = "";
	n = strlen(payload);
	if (has_ctl(payload, n) || !has_room(out, 3 + n + 1))
		return -1;
	if (mk_buf_add(out, "OK ", 3) != 0 || mk_buf_add(out, payload, n) != 0 || mk_buf_addc(out, '\n') != 0)
		goto fail;
	return 0;
fail:
	mk_buf_truncate(out, old);
	return -1;
}

int mk_proto_format_err(struct mk_buf *out, int code, const char *msg)
{
	size_t old = out->len, n = msg != NULL ? strlen(msg) : 0;
	char head[16];
	int hn;

	/* The client maps anything outside sysexits to 70 anyway; writing 70
	 * here keeps every answer parseable ("ERR -1" would not be). */
	if (code < 64 || code > 78)
		code = 70;
	hn = snprintf(head, sizeof(head), "ERR %d ", code);
	if (hn < 0 || (size_t)hn >= sizeof(head) || !has_room(out, (size_t)hn + n + 1))
		return -1;
	if (mk_buf_add(out, head, (size_t)hn) != 0 || add_clean(out, msg, n) != 0 ||
	    mk_buf_addc(out, '\n') != 0)
		goto fail;
	return 0;
fail:
	mk_buf_truncate(out, old);
	return -1;
}

int mk_proto_parse_answer(const char *line, size_t len, const char **payload_r, size_t *plen_r, int *code_r)
{
	size_t i;
	uint64_t code;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len >= 2 && memcmp(line, "OK", 2) == 0) {
		/* "OK" alone is an empty payload; otherwise one space, then bytes
		 * with no control byte (a NUL would cut the client's copy). */
		if ((len > 2 && line[2] != ' ') || has_ctl(line, len))
			return -1;
		*payload_r = len > 2 ? line + 3 : line + 2;
		if (plen_r != NULL)
			*plen_r = len > 2 ? len - 3 : 0;
		if (code_r != NULL)
			*code_r = 0;
		return 0;
	}
	if (len < 5 || memcmp(line, "ERR ", 4) != 0 || has_ctl(line, len))
		return -1;
	for (i = 4; i < len && line[i] != ' '; i++)
		;
	if (mk_str_to_u64(line + 4, i - 4, 999, &code) != 0)
		return -1;
	*payload_r = i < len ? line + i + 1 : line + i;
	if (plen_r != NULL)
		*plen_r = i < len ? len - i - 1 : 0;
	if (code_r != NULL)
		*code_r = code >= 64 && code <= 78 ? (int)code : 70;
	return 1;
}

enum mk_error_class mk_proto_code_class(int code)
{
	switch (code) {
	case 75:
		return MK_ERR_TEMP;
	case 77:
		return MK_ERR_CONSENT;
	case 64:
		return MK_ERR_USAGE;
	case 78:
		return MK_ERR_CONFIG;
	case 65:
		return MK_ERR_DATA;
	case 69:
		return MK_ERR_IMPL;
	case 74:
		return MK_ERR_IO;
	default:
		return MK_ERR_INTERNAL;
	}
}

/* --- Postfix socketmap ---
 * A netstring is "<len>:<data>," with len in decimal (D. J. Bernstein's
 * netstrings, as Postfix's socketmap_table(5) sends them). */

#define SOCKMAP_LEN_DIGITS 4 /* MK_SOCKMAP_REQUEST_MAX = 1024 */

ssize_t mk_sockmap_frame(const char *buf, size_t len, const char **data_r, size_t *dlen_r)
{
	size_t i, n = 0;

	for (i = 0; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		if (i == 1 && buf[0] == '0')
			return -1; /* leading zero */
		n = n * 10 + (size_t)(buf[i] - '0');
		if (i >= SOCKMAP_LEN_DIGITS || n > MK_SOCKMAP_REQUEST_MAX)
			return -1;
	}
	if (i == len)
		return 0; /* empty, or still reading the length */
	if (i == 0 || buf[i] != ':')
		return -1;
	/* i + 1 + n + 1 cannot overflow: n <= MK_SOCKMAP_REQUEST_MAX */
	if (len - i - 1 < n + 1)
		return 0;
	if (buf[i + 1 + n] != ',')
		return -1;
	*data_r = buf + i + 1;
	*dlen_r = n;
	return (ssize_t)(i + 1 + n + 1);
}

int mk_sockmap_parse_request(const char *data, size_t len, struct mk_sockmap_req *r, struct mk_error *err)
{
	const char *sp = len > 0 ? memchr(data, ' ', len) : NULL;
	size_t nn, kn;

	memset(r, 0, sizeof(*r));
	if (sp == NULL)
		return mk_error_set(err, MK_ERR_USAGE, "malformed socketmap request: expected `NAME KEY`");
	nn = (size_t)(sp - data);
	kn = len - nn - 1;
	if (!is_account(data, nn))
		return mk_error_set(
			err, MK_ERR_USAGE,
			"bad socketmap name: use an account name or `relay` in socketmap:unix:PATH:NAME");
	if (kn == 0 || kn > MK_SOCKMAP_KEY_MAX || has_ctl(sp + 1, kn))
		return mk_error_set(err, MK_ERR_USAGE,
				    "malformed socketmap key: empty, too long or with control bytes");
	memcpy(r->name, data, nn);
	r->name[nn] = '\0';
	memcpy(r->key, sp + 1, kn);
	r->key[kn] = '\0';
	return 0;
}

int mk_sockmap_format(struct mk_buf *out, const char *status, const char *data)
{
	size_t old = out->len, sn = strlen(status), dn = data != NULL ? strlen(data) : 0;
	bool clean = strcmp(status, "TEMP") == 0 || strcmp(status, "PERM") == 0;
	char head[24];
	int hn;

	/* Only the four statuses of socketmap_table(5); an OK or NOTFOUND
	 * value with a control byte is not a value Postfix should act on. */
	if (!clean && strcmp(status, "OK") != 0 && strcmp(status, "NOTFOUND") != 0)
		return -1;
	if (!clean && has_ctl(data != NULL ? data : "", dn))
		return -1;
	if (dn > SIZE_MAX / 2)
		return -1;
	hn = snprintf(head, sizeof(head), "%zu:", sn + 1 + dn);
	if (hn < 0 || (size_t)hn >= sizeof(head) || !has_room(out, (size_t)hn + sn + 1 + dn + 1))
		return -1;
	if (mk_buf_add(out, head, (size_t)hn) != 0 || mk_buf_add(out, status, sn) != 0 ||
	    mk_buf_addc(out, ' ') != 0 || add_clean(out, data != NULL ? data : "", dn) != 0 ||
	    mk_buf_addc(out, ',') != 0)
		goto fail;
	return 0;
fail:
	mk_buf_truncate(out, old);
	return -1;
}
