// mk-fuzz-libs: mailkey_gwparse
/* Pre-login IMAP commands (gateway/imap_cmd.c) as the front feeds them: the
 * input is lines split at LF; a LITERAL step takes the next literal_len
 * bytes whatever they are, then the next line goes on. The first byte sets
 * the caps, so that small ones (and their edges) are reached. Every piece is
 * an exact-size heap copy: a read past it is seen by ASan. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/imap_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *take(const uint8_t *data, size_t *pos, size_t n)
{
	char *p = malloc(n > 0 ? n : 1);

	if (p == NULL)
		return NULL;
	memcpy(p, data + *pos, n);
	*pos += n;
	return p;
}

/* The next line (without its LF), or NULL at the end of the input. */
static char *next_line(const uint8_t *data, size_t size, size_t *pos, size_t *len)
{
	const uint8_t *nl;
	size_t n;
	char *p;

	if (*pos >= size)
		return NULL;
	nl = memchr(data + *pos, '\n', size - *pos);
	n = nl != NULL ? (size_t)(nl - (data + *pos)) : size - *pos;
	p = take(data, pos, n);
	if (nl != NULL)
		(*pos)++;
	*len = n;
	return p;
}

static void check(const struct gw_imap_cmd *c, enum gw_imap_step step, const struct gw_imap_cmd_params *p)
{
	if (memchr(c->tag, '\0', sizeof(c->tag)) == NULL || memchr(c->mech, '\0', sizeof(c->mech)) == NULL)
		__builtin_trap();
	if ((step == GW_IMAP_STEP_BAD || step == GW_IMAP_STEP_TOOBIG) && c->msg == NULL)
		__builtin_trap();
	if (step == GW_IMAP_STEP_LITERAL && (c->literal_len > p->literal_max))
		__builtin_trap();
	if (step == GW_IMAP_STEP_TOOBIG && c->literal_len == 0)
		__builtin_trap(); /* a zero-length literal is never too big */
	if (step == GW_IMAP_STEP_DONE) {
		for (size_t i = 0; i < 2; i++) {
			const struct mk_buf *b = &c->arg[i];
			if (b->len > p->command_max || (b->len > 0 && strlen(b->data) != b->len))
				__builtin_trap();
		}
		if (c->kind == GW_IMAP_CMD_NONE)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_imap_cmd c;
	struct gw_imap_cmd_params p = { 0, 0 };
	size_t pos = 1;
	unsigned commands = 0;

	if (size < 1)
		return 0;
	if (data[0] & 0x80) {
		p.literal_max = (size_t)(data[0] & 0x0f) + 1;
		p.command_max = (size_t)((data[0] >> 4) & 0x07) * 16 + 8;
	}
	gw_imap_cmd_init(&c, &p);
	p = c.params;
	while (pos < size && commands++ < 64) {
		size_t len = 0;
		char *line = next_line(data, size, &pos, &len);
		enum gw_imap_step step;

		if (line == NULL)
			break;
		gw_imap_cmd_reset(&c);
		step = gw_imap_cmd_line(&c, line, len);
		free(line);
		check(&c, step, &p);
		while (step == GW_IMAP_STEP_LITERAL) {
			size_t n = c.literal_len;
			char *lit;

			if (size - pos < n)
				goto out;
			lit = take(data, &pos, n);
			if (lit == NULL)
				goto out;
			step = gw_imap_cmd_literal(&c, lit, n);
			free(lit);
			check(&c, step, &p);
			if (step != GW_IMAP_STEP_MORE)
				break;
			line = next_line(data, size, &pos, &len);
			if (line == NULL)
				goto out;
			step = gw_imap_cmd_line(&c, line, len);
			free(line);
			check(&c, step, &p);
		}
	}
out:
	gw_imap_cmd_free(&c);
	return 0;
}
