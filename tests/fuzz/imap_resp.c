// mk-fuzz-libs: mailkey_mail
/* IMAP response lines, literal announcements, capabilities, SEARCH data. */
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
	(void)mk_imap_literal_at_end(s, strlen(s), 1 << 20, &n);
	(void)mk_imap_has_capability(s, "SASL-IR");
	(void)mk_imap_parse_search(s, ignore, NULL);
	free(s);
	return 0;
}
