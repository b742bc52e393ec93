// mk-fuzz-libs: mailkey_gwparse
/* The gateway's pre-login POP3 command parser, on each line of the input.
 * Every pointer it returns lies inside the line, and what it says about
 * the line holds (lengths, the "=" empty response, mechanism names). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/pop3_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const char *line, size_t len, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (p == NULL || p < line || p + n > line + len)
		__builtin_trap();
}

static void one(const char *line, size_t len)
{
	struct gw_pop3_cmd c;
	struct mk_error err;

	mk_error_init(&err);
	if (gw_pop3_cmd_parse(line, len, &c, &err) != 0) {
		if (err.cls != MK_ERR_PROTO || err.msg[0] == '\0')
			__builtin_trap();
		return;
	}
	if ((unsigned)c.verb >= GW_POP3_VERB_LAST || gw_pop3_verb_name(c.verb)[0] == '?')
		__builtin_trap();
	inside(line, len, c.mech_name, c.mech_len);
	inside(line, len, c.ir, c.ir_len);
	if (c.mech_len > 20 || (c.mech != GW_SASL_MECH_OTHER && c.mech_len != 5))
		__builtin_trap();
	if (c.has_ir && c.ir_len == 0 && (c.ir == NULL || c.ir[0] != '='))
		__builtin_trap();
	if (c.has_ir && memchr(c.ir, ' ', c.ir_len) != NULL)
		__builtin_trap();
	inside(line, len, c.arg, c.arg_len);
	if ((c.verb == GW_POP3_USER || c.verb == GW_POP3_PASS) && c.arg_len == 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t start = 0;

	/* Each line in a buffer of its own length, so ASan sees a read past it. */
	for (size_t i = 0; i <= size; i++) {
		char *line;
		if (i < size && data[i] != '\n')
			continue;
		line = malloc(i - start + 1);
		if (line == NULL)
			return 0;
		memcpy(line, data + start, i - start);
		one(line, i - start);
		free(line);
		start = i + 1;
	}
	return 0;
}
