/* The queue's file formats, pure (no I/O): the envelope that heads each
 * queued message, and the state sidecar that records its attempts.
 *
 * A queued message file is
 *     mailkey-queue 1\n
 *     account NAME\n
 *     from ADDRESS\n          (empty value: the null sender <>)
 *     rcpt ADDRESS\n          (one line per recipient, at least one)
 *     queued UNIX-SECONDS\n
 *     \n
 *     the message, as it will be sent
 * and a state sidecar is
 *     attempts N\n next UNIX-SECONDS\n error TEXT\n   (each optional)
 * Values never hold CR, LF or NUL: they end up on SMTP command lines. */
#ifndef MK_BROKER_QUEUE_SPOOL_ENV_H
#define MK_BROKER_QUEUE_SPOOL_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

#define MK_SPOOL_RCPT_MAX 1000
#define MK_SPOOL_ADDR_MAX 256 /* RFC 5321 §4.5.3.1.3 */
#define MK_SPOOL_ACCOUNT_MAX 128
#define MK_SPOOL_ERROR_MAX 1024

struct mk_spool_env {
	char *account;
	char *from; /* "" = null sender */
	char **rcpts;
	size_t nrcpt;
	int64_t queued;	 /* unix seconds */
	size_t body_off; /* where the message starts in the parsed bytes */
};

/* The same, as given by a sender (borrowed strings). */
struct mk_spool_env_in {
	const char *account;
	const char *from;
	const char *const *rcpts;
	size_t nrcpt;
	int64_t queued;
};

struct mk_spool_state {
	unsigned attempts;
	int64_t next; /* unix seconds of the next attempt; 0 = now */
	char error[MK_SPOOL_ERROR_MAX];
};

/* Append the envelope (through its empty line) to out. -1 with MK_ERR_DATA
 * when a value is too long, holds CR/LF/NUL, or there is no recipient or
 * too many; MK_ERR_INTERNAL when out is full. */
int mk_spool_env_format(const struct mk_spool_env_in *env, struct mk_buf *out, struct mk_error *err);

/* Parse the envelope at the start of data[0..len) into env (heap strings;
 * mk_spool_env_free). -1 with MK_ERR_DATA saying what is wrong. */
int mk_spool_env_parse(const char *data, size_t len, struct mk_spool_env *env, struct mk_error *err);
void mk_spool_env_free(struct mk_spool_env *env);

/* The state sidecar. Parsing never fails on content it does not know (a
 * newer mailkey may add keys), only on a malformed number or an over-long
 * line: -1 with MK_ERR_DATA; st is then all zero (the message is due). */
int mk_spool_state_format(const struct mk_spool_state *st, struct mk_buf *out);
int mk_spool_state_parse(const char *data, size_t len, struct mk_spool_state *st, struct mk_error *err);

/* Seconds to wait after the n-th failed attempt (n >= 1): 1, 2, 4 ... min
 * doubling from 60 s, at most 4 h. */
unsigned mk_spool_backoff(unsigned attempts);

#endif
