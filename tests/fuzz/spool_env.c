// mk-fuzz-libs: mailkey_queue mailkey_common
/* The queue's envelope and state files: whatever is in a queue file (a
 * truncated write, a hand edit, a file from another version), the parser
 * stays in bounds, and what it accepts formats back into an envelope that
 * parses to the same values (so a resend sends what was queued). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/queue/spool_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mk_spool_env env, again;
	struct mk_spool_state st;
	struct mk_error err;
	struct mk_buf b;

	if (mk_spool_state_parse((const char *)data, size, &st, &err) == 0 &&
	    memchr(st.error, '\0', sizeof(st.error)) == NULL)
		__builtin_trap();
	if (mk_spool_env_parse((const char *)data, size, &env, &err) != 0)
		return 0;
	if (env.body_off > size || env.nrcpt == 0 || env.nrcpt > MK_SPOOL_RCPT_MAX)
		__builtin_trap();
	mk_buf_init(&b, 1 << 20);
	{
		struct mk_spool_env_in in = { env.account, env.from, (const char *const *)env.rcpts,
					      env.nrcpt, env.queued };
		if (mk_spool_env_format(&in, &b, &err) == 0) {
			if (mk_spool_env_parse(b.data, b.len, &again, &err) != 0 ||
			    again.nrcpt != env.nrcpt || strcmp(again.account, env.account) != 0 ||
			    strcmp(again.from, env.from) != 0 || again.queued != env.queued ||
			    again.body_off != b.len)
				__builtin_trap();
			for (size_t i = 0; i < env.nrcpt; i++)
				if (strcmp(again.rcpts[i], env.rcpts[i]) != 0)
					__builtin_trap();
			mk_spool_env_free(&again);
		}
	}
	mk_buf_free(&b);
	mk_spool_env_free(&env);
	return 0;
}
