// mk-fuzz-libs: mailkey_mail
/* DATA encoding must never leave a bare CR or LF, nor end the data early;
 * -t recipients come out one clean address per line; Bcc stripping must
 * not crash. */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>

#include "mail/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mk_buf out, r, s;
	const char *p;

	mk_buf_init(&out, 1 << 22);
	mk_buf_init(&r, 1 << 22);
	mk_buf_init(&s, 1 << 22);
	if (mk_msg_to_data((const char *)data, size, &out) == 0) {
		for (size_t i = 0; i < out.len; i++)
			if ((out.data[i] == '\r' && (i + 1 >= out.len || out.data[i + 1] != '\n')) ||
			    (out.data[i] == '\n' && (i == 0 || out.data[i - 1] != '\r')))
				__builtin_trap();
		p = memmem(out.data, out.len, "\r\n.\r\n", 5);
		if (out.len > 3 && (p == NULL || p != out.data + out.len - 5))
			__builtin_trap();
	}
	/* One address per line: no empty line, no NUL or CR, each with an
	 * '@' (a split or cut address breaks one of these). */
	if (mk_msg_recipients((const char *)data, size, &r) == 0) {
		const char *line = mk_buf_str(&r), *nl;
		if (strlen(line) != r.len || memchr(line, '\r', r.len) != NULL)
			__builtin_trap();
		for (; *line != '\0'; line = nl + 1) {
			nl = strchr(line, '\n');
			if (nl == NULL || nl == line || memchr(line, '@', (size_t)(nl - line)) == NULL)
				__builtin_trap();
		}
	}
	(void)mk_msg_strip_bcc((const char *)data, size, &s);
	mk_buf_free(&out);
	mk_buf_free(&r);
	mk_buf_free(&s);
	return 0;
}
