// mk-fuzz-libs: mailkey_common
/* Strict base64 and base64url decoding of arbitrary bytes. Whatever decodes
 * must re-encode (to text of the same length for the padded alphabet) and
 * decode again to the same bytes; whatever is refused leaves the output
 * buffer as it was. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size, bool url)
{
	int (*dec)(const char *, size_t, struct mk_buf *) = url ? mk_base64url_decode : mk_base64_decode;
	int (*enc)(const void *, size_t, struct mk_buf *) = url ? mk_base64url_encode : mk_base64_encode;
	struct mk_buf d, e, d2;

	mk_buf_init(&d, 1 << 20);
	mk_buf_init(&e, 1 << 21);
	mk_buf_init(&d2, 1 << 20);
	if (mk_buf_addstr(&d, "pre") != 0)
		abort();
	if (dec((const char *)data, size, &d) != 0) {
		if (d.len != 3 || memcmp(d.data, "pre", 3) != 0)
			abort();
		goto out;
	}
	mk_buf_consume(&d, 3);
	if (enc(d.data, d.len, &e) != 0)
		abort();
	/* Padded text decodes only from a length that is a multiple of 4,
	 * which the encoding reproduces (the bytes can differ only in
	 * non-canonical trailing bits). */
	if (!url && e.len != size)
		abort();
	if (dec(e.data, e.len, &d2) != 0 || d2.len != d.len ||
	    (d.len > 0 && memcmp(d.data, d2.data, d.len) != 0))
		abort();
out:
	mk_buf_free(&d);
	mk_buf_free(&e);
	mk_buf_free(&d2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, false);
	check(data, size, true);
	return 0;
}
