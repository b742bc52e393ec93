// mk-fuzz-libs: mailkey_mail
/* SMTP replies, line by line, and the EHLO keywords they carry. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "mail/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The AUTH list stays inside its array and in its documented form:
 * "" or " NAME NAME ", names of 1-20 bytes. */
static void check_auth(const char *a, size_t size)
{
	const char *nul = memchr(a, '\0', size);
	size_t run = 0;

	if (nul == NULL)
		__builtin_trap();
	if (a[0] == '\0')
		return;
	if (a[0] != ' ' || nul[-1] != ' ' || nul - a < 3)
		__builtin_trap();
	for (const char *p = a + 1; p < nul; p++) {
		if (*p == ' ') {
			if (run == 0 || run > 20)
				__builtin_trap();
			run = 0;
		} else if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
			__builtin_trap();
		} else {
			run++;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mk_smtp_reply r;
	struct mk_smtp_caps c;
	struct mk_error err;
	size_t start = 0;

	mk_smtp_reply_init(&r);
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		if (mk_smtp_reply_feed(&r, (const char *)data + start, i - start, &err) <= 0)
			break;
		start = i + 1;
	}
	mk_smtp_caps_parse(&r, &c);
	(void)mk_smtp_caps_has_auth(&c, "XOAUTH2");
	check_auth(c.auth, sizeof(c.auth));
	mk_smtp_reply_free(&r);
	return 0;
}
