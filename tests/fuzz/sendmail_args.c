// mk-fuzz-libs: mailkey_cli_args
/* sendmail's command line and the header facts sendmail mode reads. A cron
 * job or a PHP script builds these arguments, often from user input (a
 * form's "From" becomes -f), so they are untrusted. Input: the first byte
 * chooses sendmail mode, the rest are NUL-separated arguments; the whole
 * input is also read as a message. Checks: a failure has a message, parsed
 * pointers point into argv, -f never carries a control byte or a bracket,
 * and every address line the helpers produce is free of CR, LF and NUL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/sendmail_args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

static void check_line_clean(const struct mk_buf *b)
{
	const char *s = mk_buf_str(b);

	for (size_t i = 0; i < b->len; i++)
		if (s[i] == '\r' || s[i] == '\0')
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *argv[MAX_ARGS + 1];
	int argc = 1;
	struct mk_sendmail_args a;
	struct mk_error err;
	struct mk_buf out;
	bool mode;

	if (size == 0)
		return 0;
	mode = data[0] & 1;
	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	argv[0] = (char *)(uintptr_t) "sendmail";
	for (size_t i = 0; i < size - 1 && argc < MAX_ARGS;) {
		argv[argc++] = copy + i;
		i += strlen(copy + i) + 1;
	}
	argv[argc] = NULL;

	memset(&a, 0, sizeof(a));
	mk_error_init(&err);
	mk_buf_init(&out, 1 << 16);
	if (mk_sendmail_parse(argc, argv, mode, &a, &err) != 0) {
		if (err.msg[0] == '\0')
			__builtin_trap();
	} else {
		if (a.nrcpt > MK_SENDMAIL_RCPT_MAX)
			__builtin_trap();
		if (a.from != NULL)
			for (const char *p = a.from; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == '<' || *p == '>' || *p == 0x7f)
					__builtin_trap();
		for (size_t i = 0; i < a.nrcpt; i++) {
			mk_error_init(&err);
			if (mk_sendmail_rcpt_addresses(a.rcpts[i], &out, &err) != 0 && err.msg[0] == '\0')
				__builtin_trap();
		}
		check_line_clean(&out);
		mk_buf_truncate(&out, 0);
		if (a.from != NULL && mk_sendmail_from_field(a.fullname, a.from, &out) == 0) {
			/* One header field: it ends in LF, and every other LF is
			 * a fold (followed by white space), so -F cannot add a
			 * field of its own. */
			const char *f = mk_buf_str(&out);
			if (out.len == 0 || f[out.len - 1] != '\n')
				__builtin_trap();
			for (size_t i = 0; i + 1 < out.len; i++)
				if (f[i] == '\n' && f[i + 1] != ' ' && f[i + 1] != '\t')
					__builtin_trap();
			check_line_clean(&out);
		}
	}
	/* The same bytes as a message. */
	mk_buf_truncate(&out, 0);
	(void)mk_sendmail_has_from((const char *)data, size);
	(void)mk_sendmail_starts_with_header((const char *)data, size);
	if (mk_sendmail_header_from((const char *)data, size, &out) == 0)
		check_line_clean(&out);
	mk_buf_free(&out);
	free(copy);
	return 0;
}
