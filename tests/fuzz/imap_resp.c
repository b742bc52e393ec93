// mk-fuzz-libs: mailkey_mail
/* IMAP response lines, literal announcements, capabilities, SEARCH and LIST
 * data. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/imap_resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ignore(void *ctx, uint64_t uid)
{
	(void)ctx;
	(void)uid;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct mk_imap_line r;
	uint64_t n;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	mk_imap_parse_line(s, &r);
	/* tag and code stay inside their arrays, terminated */
	if (memchr(r.tag, '\0', sizeof(r.tag)) == NULL || memchr(r.code, '\0', sizeof(r.code)) == NULL ||
	    r.text == NULL || r.after == NULL)
		__builtin_trap();
	(void)mk_imap_literal_at_end(s, strlen(s), 1 << 20, &n);
	(void)mk_imap_has_capability(s, "SASL-IR");
	(void)mk_imap_parse_search(s, ignore, NULL);
	/* LIST into exact-size heap arrays, so a write past one is seen */
	for (size_t i = 0; i < 3; i++) {
		static const size_t caps[] = { 0, 1, 16 };
		char *out = malloc(caps[i] > 0 ? caps[i] : 1);
		if (out == NULL)
			break;
		if (mk_imap_parse_list(s, out, caps[i]) == 0 && strlen(out) >= caps[i])
			__builtin_trap();
		free(out);
	}
	free(s);
	return 0;
}
