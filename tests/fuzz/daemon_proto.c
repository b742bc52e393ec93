// mk-fuzz-libs: mailkey_daemon_proto
/* The line protocol of the daemon's socket: the input is what a client sends
 * (any number of lines). Each framed line goes through the request parser,
 * the answer parser and both answer formatters, with their invariants. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "broker/daemon/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                             \
	do {                                                                                                 \
		if (!(c))                                                                                    \
			__builtin_trap();                                                                    \
	} while (0)

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static const char *verb_name(enum mk_proto_verb v)
{
	switch (v) {
	case MK_PROTO_TOKEN:
		return "token";
	case MK_PROTO_SASL:
		return "sasl";
	case MK_PROTO_REFRESH:
		return "refresh";
	case MK_PROTO_STATUS:
		return "status";
	case MK_PROTO_PING:
		return "ping";
	case MK_PROTO_EVENTS:
		return "events";
	}
	__builtin_trap();
}

/* The parser is strict (one space, exact keywords), so an accepted line is
 * its own canonical form: rebuilding it from the struct gives the same
 * bytes back, and no byte of the input was dropped or invented. */
static void check_request(const char *line, size_t n)
{
	struct mk_proto_req r;
	struct mk_error err;
	char canon[MK_PROTO_LINE_MAX + 64];
	int cn;
	size_t an;

	mk_error_init(&err);
	if (mk_proto_parse_request(line, n, &r, &err) != 0) {
		CHECK(err.cls == MK_ERR_USAGE || err.cls == MK_ERR_IMPL);
		CHECK(err.msg[0] != '\0');
		return;
	}
	an = strnlen(r.account, sizeof(r.account));
	CHECK(an <= MK_PROTO_ACCOUNT_MAX);
	for (size_t i = 0; i < an; i++)
		CHECK(!is_ctl((unsigned char)r.account[i]) && r.account[i] != ' ');
	switch (r.verb) {
	case MK_PROTO_STATUS:
	case MK_PROTO_PING:
	case MK_PROTO_EVENTS:
		CHECK(an == 0 && !r.fresh && r.mech == MK_PROTO_MECH_DEFAULT);
		cn = snprintf(canon, sizeof(canon), "MK1 %s", verb_name(r.verb));
		break;
	case MK_PROTO_TOKEN:
	case MK_PROTO_SASL:
	case MK_PROTO_REFRESH:
		CHECK(an > 0);
		CHECK(r.verb == MK_PROTO_TOKEN || !r.fresh);
		CHECK(r.verb == MK_PROTO_SASL || r.mech == MK_PROTO_MECH_DEFAULT);
		cn = snprintf(canon, sizeof(canon), "MK1 %s %s%s%s", verb_name(r.verb), r.account,
			      r.fresh ? " fresh" : "",
			      r.mech == MK_PROTO_MECH_XOAUTH2	    ? " xoauth2"
			      : r.mech == MK_PROTO_MECH_OAUTHBEARER ? " oauthbearer"
								    : "");
		break;
	default:
		__builtin_trap();
	}
	if (n > 0 && line[n - 1] == '\r')
		n--;
	CHECK(cn > 0 && (size_t)cn == n && memcmp(canon, line, n) == 0);
}

static void check_answer(const char *line, size_t n)
{
	const char *p = NULL;
	size_t pl = 0;
	int code = -1;
	int rc = mk_proto_parse_answer(line, n, &p, &pl, &code);

	CHECK(rc >= -1 && rc <= 1);
	if (rc < 0)
		return;
	CHECK(p >= line && pl <= n && p + pl <= line + n);
	for (size_t i = 0; i < pl; i++)
		CHECK(!is_ctl((unsigned char)p[i]));
	if (rc == 0)
		CHECK(code == 0);
	else
		CHECK(code >= 64 && code <= 78);
}

/* b holds one whole answer line: its only '\n' is its last byte, and one
 * that fits a request line frames as one (answers may be longer: a status
 * JSON, the ERR message of a 1 KiB line). */
static void check_one_line(const char *p, size_t n)
{
	CHECK(n > 0 && memchr(p, '\n', n) == p + n - 1);
	if (n <= MK_PROTO_LINE_MAX)
		CHECK(mk_proto_frame_line(p, n) == (ssize_t)n);
}

/* Format the line (as text up to its first NUL) as both answers into a
 * buffer of a size taken from the input: all or nothing, one line each, and
 * parsed back to what went in. */
static void check_format(const char *line, size_t n, uint8_t knob)
{
	char text[MK_PROTO_LINE_MAX + 1];
	size_t tn = strnlen(line, n);
	struct mk_buf b;
	const char *p;
	size_t pl;
	int code;
	bool ctl = false;
	int rc;

	memcpy(text, line, tn);
	text[tn] = '\0';
	for (size_t i = 0; i < tn; i++)
		ctl = ctl || is_ctl((unsigned char)text[i]);
	/* knob 0..255 => caps around the exact size, or roomy */
	mk_buf_init(&b, knob < 128 ? 1 + tn + (size_t)(knob % 16) : 4096);
	mk_buf_addc(&b, 'x'); /* something already there must survive */

	rc = mk_proto_format_ok(&b, text);
	if (rc == 0) {
		CHECK(!ctl);
		CHECK(b.len == 1 + 3 + tn + 1);
		check_one_line(b.data + 1, b.len - 1);
		CHECK(mk_proto_parse_answer(b.data + 1, b.len - 2, &p, &pl, &code) == 0);
		/* a trailing '\r' can't be there: it is a control byte */
		CHECK(pl == tn && memcmp(p, text, tn) == 0);
	} else {
		CHECK(b.len == 1);
		CHECK(ctl || b.max < 1 + 3 + tn + 1);
	}
	mk_buf_truncate(&b, 1);

	code = 60 + knob % 24; /* some outside 64..78 */
	rc = mk_proto_format_err(&b, code, text);
	if (rc == 0) {
		int want = code >= 64 && code <= 78 ? code : 70;
		int got;
		check_one_line(b.data + 1, b.len - 1);
		CHECK(mk_proto_parse_answer(b.data + 1, b.len - 2, &p, &pl, &got) == 1);
		CHECK(got == want && pl == tn);
		for (size_t i = 0; i < tn; i++)
			CHECK(p[i] == (is_ctl((unsigned char)text[i]) ? ' ' : text[i]));
	} else {
		CHECK(b.len == 1 && b.max < 1 + 7 + tn + 1);
	}
	mk_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off = 0;
	uint8_t knob = (uint8_t)(size > 0 ? data[0] + size : 0);

	(void)mk_proto_is_sockmap(knob);
	while (off < size) {
		ssize_t n = mk_proto_frame_line(buf + off, size - off);
		const char *nl = memchr(buf + off, '\n', size - off);

		if (n == 0) {
			CHECK(nl == NULL && size - off < MK_PROTO_LINE_MAX);
			/* the unterminated rest: what a client that closes early leaves */
			check_request(buf + off, size - off);
			break;
		}
		if (n < 0) {
			CHECK(size - off >= MK_PROTO_LINE_MAX &&
			      (nl == NULL || nl - (buf + off) >= MK_PROTO_LINE_MAX));
			break;
		}
		CHECK(n <= MK_PROTO_LINE_MAX && (size_t)n <= size - off && nl == buf + off + n - 1);
		check_request(buf + off, (size_t)n - 1);
		check_answer(buf + off, (size_t)n - 1);
		check_format(buf + off, (size_t)n - 1, knob);
		off += (size_t)n;
	}
	return 0;
}
