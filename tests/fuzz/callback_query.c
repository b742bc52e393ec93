// mk-fuzz-libs: mailkey_oauth
/* Pasted redirect URLs (manual flow) and the callback judgement. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/callback/callback.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "code", "state", "iss", "error", "error_description" };
	struct mk_buf vals[5];
	char *s = malloc(size + 1);
	struct mk_cb_expect x = { "state-1", "http://127.0.0.1:1", true };
	struct mk_cb_params q = { 0 };
	const char **slots[5] = { &q.code, &q.state, &q.iss, &q.error, &q.error_description };
	struct mk_error err;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (int i = 0; i < 5; i++) {
		mk_buf_init(&vals[i], 4096);
		if (mk_query_get(s, keys[i], &vals[i]) == 0)
			*slots[i] = mk_buf_str(&vals[i]);
	}
	(void)mk_cb_judge(&x, &q, &err);
	for (int i = 0; i < 5; i++)
		mk_buf_free(&vals[i]);
	free(s);
	return 0;
}
