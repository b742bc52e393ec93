/* Logging to stderr with levels, built so that a secret cannot come out.
 *
 * Two guards: protocol traces take a `sensitive` flag and print only the verb
 * ("AUTH XOAUTH2 <redacted>"), and every secret the process handles is
 * registered with mk_log_register_secret(), after which any message that
 * contains it has it replaced by "<redacted>" before it is written. */
#ifndef MK_COMMON_LOG_H
#define MK_COMMON_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum mk_log_level {
	MK_LOG_ERROR = 0,
	MK_LOG_WARN,
	MK_LOG_INFO,
	MK_LOG_DEBUG, /* -v */
	MK_LOG_TRACE, /* -vv: protocol lines */
};

void mk_log_set_level(enum mk_log_level level);
enum mk_log_level mk_log_get_level(void);
bool mk_log_enabled(enum mk_log_level level);

/* Where messages go (default stderr); tests point it at a memstream. */
void mk_log_set_stream(FILE *fp);

/* Program name put in front of messages ("mailkey"). */
void mk_log_set_prog(const char *prog);

void mk_log(enum mk_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mk_vlog(enum mk_log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Trace one protocol line (dir is "C" or "S", or "<"/">"). Trailing CRLF is
 * not printed; control bytes are shown as \xNN. With sensitive set only the
 * first `keep` bytes are shown, then " <redacted>". */
void mk_log_proto(const char *dir, const char *line, size_t len, bool sensitive, size_t keep);

/* Register a secret (copied into wiped memory) that must never be printed.
 * Values shorter than 4 bytes are ignored: they would redact ordinary text.
 * Returns 0, or -1 when out of memory (logging still redacts the others). */
int mk_log_register_secret(const char *s);

/* Wipe and drop all registered secrets. */
void mk_log_forget_secrets(void);

/* Copy src into dst (size dst_size, NUL-terminated, truncated if need be)
 * with every registered secret replaced by "<redacted>". For text that goes
 * elsewhere than the log, such as error messages or --json output. */
void mk_log_redact(const char *src, char *dst, size_t dst_size);

#endif
