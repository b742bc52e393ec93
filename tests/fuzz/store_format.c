// mk-fuzz-libs: mailkey_broker_core
/* Store files: any bytes must be refused cleanly (never decrypted garbage). */
#include <stdint.h>

#include "broker/store/store_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[MK_STORE_KEY_LEN] = { 1, 2, 3 };
	struct mk_buf out;
	struct mk_error err;

	mk_buf_init_secret(&out, 1 << 20);
	/* Only a file sealed with this key could pass: the fuzzer can't forge a tag. */
	if (mk_store_unseal(key, data, size, &out, &err) == 0 &&
	    size < MK_STORE_HEADER_LEN + MK_STORE_TAG_LEN)
		__builtin_trap();
	mk_buf_free(&out);
	return 0;
}
