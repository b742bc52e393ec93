// mk-fuzz-libs: mailkey_sasl
/* Initial responses from fuzzed credentials. Input: one flag byte (bit 0:
 * OAUTHBEARER, bit 1: give a host, bits 2-7 with the next byte: the port),
 * then user, token and host separated by 0xFE. Checks that a response is
 * built exactly when every value passes mk_sasl_check_value(), and that a
 * built response has precisely the fields the mechanism defines, so no
 * value can add an "auth=" of its own. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sasl-helper/mech.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Next 0xFE-separated field as a fresh C string (NULs inside kept as they
 * are, so strlen() may be shorter than *len). */
static char *field(const uint8_t **p, const uint8_t *end, size_t *len)
{
	const uint8_t *s = *p, *e = s;
	char *r;

	while (e < end && *e != 0xfe)
		e++;
	*len = (size_t)(e - s);
	r = malloc(*len + 1);
	if (r == NULL)
		__builtin_trap();
	memcpy(r, s, *len);
	r[*len] = '\0';
	*p = e < end ? e + 1 : e;
	return r;
}

static size_t count(const struct mk_buf *b, char c)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->data[i] == c;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct mk_sasl_creds c;
	struct mk_buf out, want;
	struct mk_error err;
	char *user, *token, *host;
	size_t ulen, tlen, hlen;
	bool ob, valid;
	enum mk_sasl_status st;

	if (size < 2)
		return 0;
	ob = (data[0] & 1) != 0;
	c.port = ((unsigned)(data[0] >> 2) << 8 | data[1]) * 37u; /* reaches past 65535 */
	p += 2;
	user = field(&p, end, &ulen);
	token = field(&p, end, &tlen);
	host = field(&p, end, &hlen);
	c.user = user;
	c.token = token;
	c.host = (data[0] & 2) ? host : NULL;
	valid = mk_sasl_check_value("user", user, ulen, &err) == MK_SASL_OK &&
		mk_sasl_check_value("token", token, tlen, &err) == MK_SASL_OK &&
		(!ob || c.host == NULL || mk_sasl_check_value("host", host, hlen, &err) == MK_SASL_OK) &&
		(!ob || c.port <= 65535);
	mk_buf_init_secret(&out, 1 << 16);
	mk_buf_init(&want, 1 << 17);
	st = (ob ? &mk_sasl_oauthbearer : &mk_sasl_xoauth2)->start(&c, &out, &err);
	/* An embedded NUL shortens the C string; the mechanism then sees a
	 * valid shorter value, so only check the converse there. */
	if (valid && st != MK_SASL_OK)
		__builtin_trap();
	if (st != MK_SASL_OK && out.len != 0)
		__builtin_trap();
	if (st == MK_SASL_OK && !ob) {
		/* Exactly "user=" U ^A "auth=Bearer " T ^A ^A. */
		if (mk_buf_addf(&want,
				"user=%s\x01"
				"auth=Bearer %s\x01\x01",
				c.user, c.token) != 0 ||
		    want.len != out.len || memcmp(want.data, out.data, out.len) != 0 ||
		    count(&out, '\x01') != 3)
			__builtin_trap();
	} else if (st == MK_SASL_OK) {
		/* The RFC 7628 §3.1 layout, the authzid escaped per RFC 5801 §4,
		 * and one kvsep per pair plus two. */
		size_t pairs = 1 + (c.host != NULL) + (c.port != 0);
		int rc = mk_buf_addstr(&want, "n,a=");
		for (const char *u = c.user; rc == 0 && *u != '\0'; u++)
			rc = *u == ','	 ? mk_buf_addstr(&want, "=2C")
			     : *u == '=' ? mk_buf_addstr(&want, "=3D")
					 : mk_buf_addc(&want, *u);
		if (rc != 0 || mk_buf_addstr(&want, ",\x01") != 0 ||
		    (c.host != NULL && mk_buf_addf(&want, "host=%s\x01", c.host) != 0) ||
		    (c.port != 0 && mk_buf_addf(&want, "port=%u\x01", c.port) != 0) ||
		    mk_buf_addf(&want, "auth=Bearer %s\x01\x01", c.token) != 0 || want.len != out.len ||
		    memcmp(want.data, out.data, out.len) != 0 || count(&out, '\x01') != pairs + 2)
			__builtin_trap();
	}
	mk_buf_free(&out);
	mk_buf_free(&want);
	free(user);
	free(token);
	free(host);
	return 0;
}
