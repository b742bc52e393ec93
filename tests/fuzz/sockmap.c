// mk-fuzz-libs: mailkey_daemon_proto
/* Postfix's socketmap side of the daemon's socket: the input is what a
 * client sends (netstrings back to back). Each frame goes through the
 * request parser and the answer formatter, with their invariants. */
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

/* An accepted request is exactly "NAME KEY": nothing dropped or added. */
static void check_request(const char *d, size_t dn)
{
	struct mk_sockmap_req r;
	struct mk_error err;
	size_t nn, kn;

	mk_error_init(&err);
	if (mk_sockmap_parse_request(d, dn, &r, &err) != 0) {
		CHECK(err.cls == MK_ERR_USAGE && err.msg[0] != '\0');
		return;
	}
	nn = strnlen(r.name, sizeof(r.name));
	kn = strnlen(r.key, sizeof(r.key));
	CHECK(nn > 0 && nn <= MK_PROTO_ACCOUNT_MAX && kn > 0 && kn <= MK_SOCKMAP_KEY_MAX);
	CHECK(nn + 1 + kn == dn && memcmp(d, r.name, nn) == 0 && d[nn] == ' ' &&
	      memcmp(d + nn + 1, r.key, kn) == 0);
	for (size_t i = 0; i < nn; i++)
		CHECK(r.name[i] != ' ' && !is_ctl((unsigned char)r.name[i]));
	for (size_t i = 0; i < kn; i++)
		CHECK(!is_ctl((unsigned char)r.key[i]));
}

/* Answer with the frame's text (up to a NUL) under each status: a netstring
 * that frames back whole, cleaned for TEMP/PERM, refused for a value with
 * control bytes, all or nothing in a buffer of an input-chosen cap. */
static void check_format(const char *d, size_t dn, uint8_t knob)
{
	static const char *const statuses[] = { "OK", "NOTFOUND", "TEMP", "PERM", "BOGUS" };
	const char *status = statuses[knob % 5];
	char text[MK_SOCKMAP_REQUEST_MAX + 1];
	size_t tn = strnlen(d, dn), sn = strlen(status);
	bool ctl = false, clean = knob % 5 == 2 || knob % 5 == 3;
	struct mk_buf b;
	const char *p;
	size_t pl;
	char head[16];
	int hn, rc;

	memcpy(text, d, tn);
	text[tn] = '\0';
	for (size_t i = 0; i < tn; i++)
		ctl = ctl || is_ctl((unsigned char)text[i]);
	hn = snprintf(head, sizeof(head), "%zu:", sn + 1 + tn);
	mk_buf_init(&b, knob < 128 ? (size_t)hn + sn + 1 + tn + 1 + (size_t)(knob % 3) - 1 : 4096);
	rc = mk_sockmap_format(&b, status, text);
	if (rc != 0) {
		CHECK(b.len == 0);
		CHECK(knob % 5 == 4 || (ctl && !clean) || b.max < (size_t)hn + sn + 1 + tn + 1);
		mk_buf_free(&b);
		return;
	}
	CHECK(knob % 5 != 4 && (clean || !ctl));
	CHECK(b.len == (size_t)hn + sn + 1 + tn + 1);
	CHECK(memcmp(b.data, head, (size_t)hn) == 0 && b.data[b.len - 1] == ',');
	p = b.data + hn;
	pl = sn + 1 + tn;
	/* answers may be longer than a request; those that are not frame back */
	if (pl <= MK_SOCKMAP_REQUEST_MAX) {
		const char *fp;
		size_t fl;
		CHECK(mk_sockmap_frame(b.data, b.len, &fp, &fl) == (ssize_t)b.len && fp == p && fl == pl);
	}
	CHECK(memcmp(p, status, sn) == 0 && p[sn] == ' ');
	for (size_t i = 0; i < tn; i++)
		CHECK(p[sn + 1 + i] == (is_ctl((unsigned char)text[i]) ? ' ' : text[i]));
	mk_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off = 0;
	uint8_t knob = (uint8_t)(size > 0 ? data[0] + size : 0);

	while (off < size) {
		const char *d = NULL;
		size_t dn = 0;
		ssize_t n = mk_sockmap_frame(buf + off, size - off, &d, &dn);
		char head[16];
		int hn;

		if (n <= 0) {
			/* incomplete is only ever a prefix of a frame that fits the cap */
			CHECK(n == -1 || size - off < 4 + 1 + MK_SOCKMAP_REQUEST_MAX + 1);
			break;
		}
		/* canonical: no leading zeros, so the frame re-encodes to itself */
		CHECK(dn <= MK_SOCKMAP_REQUEST_MAX && d != NULL);
		hn = snprintf(head, sizeof(head), "%zu:", dn);
		CHECK(hn > 0 && (size_t)n == (size_t)hn + dn + 1);
		CHECK(memcmp(buf + off, head, (size_t)hn) == 0 && d == buf + off + hn && d[dn] == ',');
		check_request(d, dn);
		check_format(d, dn, knob);
		off += (size_t)n;
	}
	return 0;
}
