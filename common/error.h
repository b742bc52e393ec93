/* Errors are a class plus a message; exit codes come from one table.
 *
 * Library code returns 0 / -1 and fills a struct mk_error; only main() turns
 * the class into a process exit status (sysexits.h). Messages say what went
 * wrong and what to do next, and never contain a secret. */
#ifndef MK_COMMON_ERROR_H
#define MK_COMMON_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum mk_error_class {
	MK_ERR_NONE = 0,
	MK_ERR_INTERNAL, /* a bug or resource exhaustion in mailkey: 70 */
	MK_ERR_CONN,	 /* could not reach or lost the peer: 75 */
	MK_ERR_PROTO,	 /* the peer broke the protocol: 76 */
	MK_ERR_IMPL,	 /* the peer lacks a needed feature (no STARTTLS, mech): 69 */
	MK_ERR_RESP,	 /* the peer refused permanently (5xx, -ERR, NO): 69 */
	MK_ERR_TEMP,	 /* try later: 4xx, timeouts, HTTP 5xx/429: 75 */
	MK_ERR_CONFIG,	 /* configuration is wrong: 78 */
	MK_ERR_USAGE,	 /* the command line is wrong: 64 */
	MK_ERR_AUTH,	 /* the server refused our credentials: 77 */
	MK_ERR_CONSENT,	 /* the grant is gone; run `mailkey login`: 77 */
	MK_ERR_DATA,	 /* input data is malformed (message, store): 65 */
	MK_ERR_NOINPUT,	 /* a named input does not exist: 66 */
	MK_ERR_IO,	 /* local file I/O failed: 74 */
	MK_ERR_CLASS_LAST
};

#define MK_ERROR_MSG_SIZE 1024

struct mk_error {
	enum mk_error_class cls;
	char msg[MK_ERROR_MSG_SIZE];
};

/* Reset to "no error". Cannot fail. */
void mk_error_init(struct mk_error *err);

/* Record an error of class cls with a printf-style message. err may be NULL.
 * Returns -1 so callers can write `return mk_error_set(...)`. */
int mk_error_set(struct mk_error *err, enum mk_error_class cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int mk_error_vset(struct mk_error *err, enum mk_error_class cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Like mk_error_set, with strerror(errnum) appended as ": <text>". */
int mk_error_errno(struct mk_error *err, enum mk_error_class cls, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Put "<prefix>: " in front of the current message (context as the error
 * travels up). Keeps the class. Every message (set, errno, prefix) that does
 * not fit MK_ERROR_MSG_SIZE keeps its start (the outer context) and its end
 * (where the "what to do" is) and loses the middle, cut between words and
 * marked " … ", so no word is ever shown cut. */
void mk_error_prefix(struct mk_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The command that every "run `...`" hint names: "mailkey", or
 * "sudo mailkey --system" once mk_hint_set_system(true) was called (the
 * CLI's --system, the system daemon), so that the admin of the system
 * service is told the command that works for it. Process-wide. */
const char *mk_hint_cmd(void);
void mk_hint_set_system(bool on);

/* Copy src into dst (capacity size), each "`mailkey " in it becoming
 * "`" mk_hint_cmd() " " (for fixed hint texts). Returns dst. */
char *mk_hint_subst(char *dst, size_t size, const char *src);

/* Make err's message tell the person to run `mailkey login ACCOUNT` exactly
 * once, naming the account: the generic forms inner layers write
 * ("`mailkey login`", "`mailkey login ACCOUNT`", "`mailkey refresh ACCOUNT`")
 * get its name, earlier copies of the hint are dropped with their clause,
 * and ": run `mailkey login ACCOUNT`" is added when there is none. */
void mk_error_login_hint(struct mk_error *err, const char *account);

/* The text operations behind the above, on plain strings (pure; for tests and
 * for the CLI's last pass over what it prints). */

/* Copy src into dst (capacity size), eliding the middle as described at
 * mk_error_prefix when src does not fit (below 32 bytes, just cut). Returns
 * the length written. */
size_t mk_error_fit(char *dst, size_t size, const char *src);

/* In place: when s names `mailkey login ...` more than once, drop every
 * copy but the last, each with its clause ("; run ...", ": run ... again",
 * " (run ...)"). */
void mk_error_hint_once(char *s);

/* In place: replace every occurrence of each of the n secrets (NULL and
 * values shorter than 4 bytes are skipped) in s by "<redacted>"; s has
 * capacity size and stays NUL-terminated (the end of the text is dropped if
 * the marks make it longer, never a part of a secret kept). */
void mk_error_redact(char *s, size_t size, const char *const *secrets, size_t n);

/* The one table from error class to sysexits(3) status. */
int mk_error_to_sysexit(enum mk_error_class cls);

/* Short stable name of a class ("temp", "auth", ...), for --json output. */
const char *mk_error_class_name(enum mk_error_class cls);

#endif
