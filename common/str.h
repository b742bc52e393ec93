/* Bounded parsing helpers, in place of atoi/strtol guesswork (curl strparse). */
#ifndef MK_COMMON_STR_H
#define MK_COMMON_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse s[0..len) as a decimal number with no sign, no spaces and no leading
 * zeros (except "0"), at most max. 0 with *r set, or -1 (value untouched). */
int mk_str_to_u64(const char *s, size_t len, uint64_t max, uint64_t *r);

/* Same for a whole NUL-terminated string. */
int mk_str_to_uint(const char *s, unsigned max, unsigned *r);

/* true when s[0..len) contains CR, LF or NUL: such bytes must never reach a
 * protocol command line. */
bool mk_str_has_crlfnul(const char *s, size_t len);

/* Case-insensitive ASCII prefix test. */
bool mk_str_has_prefix_ci(const char *s, const char *prefix);

/* Duplicate s[0..len) into a NUL-terminated heap string, NULL on ENOMEM. */
char *mk_str_ndup(const char *s, size_t len);

#endif
