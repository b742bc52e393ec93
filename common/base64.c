#include "base64.h"

#include <errno.h>
#include <mbedtls/base64.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"

size_t mk_base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

static bool is_b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '/';
}

/* Mbed TLS's decoder tolerates spaces and line breaks; SASL must not. */
static bool is_strict_b64(const char *in, size_t len)
{
	size_t pad = 0;

	if (len % 4 != 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || !is_b64_char(c))
			return false;
	}
	return pad <= 2;
}

int mk_base64_encode(const void *in, size_t len, struct mk_buf *out)
{
	size_t need = mk_base64_encoded_len(len), olen = 0;
	size_t start = out->len;

	/* Grow first so Mbed TLS writes straight into the buffer. */
	if (need > out->max - out->len) {
		errno = E2BIG;
		return -1;
	}
	if (len == 0) /* out->data may still be NULL: no pointer arithmetic on it */
		return mk_buf_add(out, "", 0);
	for (size_t i = 0; i < need; i++)
		if (mk_buf_addc(out, '\0') != 0) {
			mk_buf_truncate(out, start);
			return -1;
		}
	if (mbedtls_base64_encode((unsigned char *)out->data + start, need + 1, &olen, in, len) != 0 ||
	    olen != need) {
		mk_buf_truncate(out, start);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int mk_base64_decode(const char *in, size_t len, struct mk_buf *out)
{
	size_t start = out->len, cap, olen = 0;

	if (!is_strict_b64(in, len)) {
		errno = EINVAL;
		return -1;
	}
	if (len == 0)
		return mk_buf_add(out, "", 0);
	/* The exact decoded size, so that output which fits the cap exactly
	 * is not refused for the room padding would have taken. */
	cap = len / 4 * 3 - (in[len - 1] == '=') - (in[len - 2] == '=');
	for (size_t i = 0; i < cap; i++)
		if (mk_buf_addc(out, '\0') != 0) {
			mk_buf_truncate(out, start);
			return -1;
		}
	if (mbedtls_base64_decode((unsigned char *)out->data + start, cap, &olen, (const unsigned char *)in,
				  len) != 0) {
		mk_buf_truncate(out, start);
		errno = EINVAL;
		return -1;
	}
	mk_buf_truncate(out, start + olen);
	return 0;
}

int mk_base64url_encode(const void *in, size_t len, struct mk_buf *out)
{
	size_t start = out->len;

	if (mk_base64_encode(in, len, out) != 0)
		return -1;
	for (size_t i = start; i < out->len; i++) {
		if (out->data[i] == '+')
			out->data[i] = '-';
		else if (out->data[i] == '/')
			out->data[i] = '_';
	}
	while (out->len > start && out->data[out->len - 1] == '=')
		mk_buf_truncate(out, out->len - 1);
	return 0;
}

int mk_base64url_decode(const char *in, size_t len, struct mk_buf *out)
{
	struct mk_buf tmp;
	size_t pad = 0;
	int rc = -1, saved;

	/* Translated input may be a secret (a code verifier); keep it wiped. */
	mk_buf_init_secret(&tmp, len + 3);
	while (pad < len && in[len - 1 - pad] == '=')
		pad++;
	/* Padding, when present, must be the RFC 4648 §4 padding: "Zg=====" is
	 * as invalid here as in the padded alphabet. */
	if (pad > 0 && (pad > 2 || len % 4 != 0)) {
		errno = EINVAL;
		goto out;
	}
	len -= pad;
	if (len % 4 == 1) {
		errno = EINVAL;
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '+' || c == '/' || c == '=') {
			errno = EINVAL;
			goto out;
		}
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		if (mk_buf_addc(&tmp, c) != 0)
			goto out;
	}
	while (tmp.len % 4 != 0)
		if (mk_buf_addc(&tmp, '=') != 0)
			goto out;
	rc = mk_base64_decode(mk_buf_str(&tmp), tmp.len, out);
out:
	saved = errno;
	mk_buf_free(&tmp);
	errno = saved;
	return rc;
}
