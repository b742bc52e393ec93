// mk-fuzz-libs: mailkey_mail
/* POP3 status lines, multi-line data and CAPA lookups. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/pop3_resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct mk_pop3_resp r;
	struct mk_buf out;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	mk_pop3_parse(s, &r);
	/* the response code stays inside its array, terminated */
	if (memchr(r.code, '\0', sizeof(r.code)) == NULL || r.text == NULL)
		__builtin_trap();
	mk_buf_init(&out, 1 << 16);
	(void)mk_pop3_multiline_feed(s, strlen(s), &out);
	(void)mk_pop3_capa_has(s, "STLS");
	mk_buf_free(&out);
	free(s);
	return 0;
}
