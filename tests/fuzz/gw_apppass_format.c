// mk-fuzz-libs: mailkey_gwparse
/* The app-password file: any bytes are either refused (with a line number)
 * or parse to records that the writer writes back to text that parses to
 * the same records. */
#include <stdint.h>
#include <string.h>

#include "gateway/apppass_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_apppass_set a = { 0 }, b = { 0 };
	struct mk_buf out;
	struct mk_error err;

	mk_buf_init(&out, GW_APPPASS_FILE_MAX);
	mk_error_init(&err);
	if (gw_apppass_parse((const char *)data, size, &a, &err) != 0) {
		/* Refusals are data errors that name the line. */
		if (a.n != 0 || (err.cls != MK_ERR_DATA && err.cls != MK_ERR_INTERNAL) ||
		    (err.cls == MK_ERR_DATA && strncmp(err.msg, "line ", 5) != 0))
			__builtin_trap();
		goto out;
	}
	if (gw_apppass_format(&a, &out, &err) != 0 || gw_apppass_parse(out.data, out.len, &b, &err) != 0)
		__builtin_trap();
	if (a.n != b.n || (a.n > 0 && memcmp(a.recs, b.recs, a.n * sizeof(*a.recs)) != 0))
		__builtin_trap();
	for (size_t i = 0; i < a.n; i++)
		if (gw_apppass_set_find(&a, a.recs[i].account, a.recs[i].name) != (long)i)
			__builtin_trap(); /* a duplicate got through */
out:
	gw_apppass_set_free(&a);
	gw_apppass_set_free(&b);
	mk_buf_free(&out);
	return 0;
}
