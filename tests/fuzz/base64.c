// mk-fuzz-libs: mailkey_common
/* Strict base64 and base64url decoding of arbitrary bytes; whatever decodes
 * must re-encode to the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mk_buf d, e;

	mk_buf_init(&d, 1 << 20);
	mk_buf_init(&e, 1 << 21);
	/* Whatever decodes re-encodes to text of the same length (the bytes can
	 * differ only in non-canonical trailing bits). */
	if (mk_base64_decode((const char *)data, size, &d) == 0 &&
	    (mk_base64_encode(d.data, d.len, &e) != 0 || e.len != size))
		abort();
	mk_buf_reset(&d);
	mk_buf_reset(&e);
	if (mk_base64url_decode((const char *)data, size, &d) == 0 &&
	    mk_base64url_encode(d.data, d.len, &e) != 0)
		abort();
	mk_buf_free(&d);
	mk_buf_free(&e);
	return 0;
}
