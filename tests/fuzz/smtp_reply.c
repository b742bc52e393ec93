// mk-fuzz-libs: mailkey_mail
/* SMTP replies, line by line, and the EHLO keywords they carry. */
#include <stdint.h>
#include <string.h>

#include "mail/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	mk_smtp_reply_free(&r);
	return 0;
}
