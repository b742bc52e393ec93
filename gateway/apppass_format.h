/* The STATE/app-passwords file as text, both ways (pure: no I/O, no
 * globals; fuzzed by tests/fuzz/gw_apppass_format.c).
 *
 * One line per password, fields separated by one space:
 *   v1 ACCOUNT NAME SALT_HEX VERIFIER_HEX CREATED LAST_USED
 * ACCOUNT as in the configuration ([A-Za-z0-9._@-], 1..127), NAME
 * [A-Za-z0-9._-] 1..GW_APPPASS_NAME_MAX, SALT_HEX 32 and VERIFIER_HEX 64
 * lowercase hex digits, times decimal Unix seconds (LAST_USED 0 = never).
 * Lines starting with '#' are comments; every line ends with '\n' (a file
 * cut short is damaged, not a shorter list). An (ACCOUNT, NAME) pair
 * appears at most once. */
#ifndef MK_GATEWAY_APPPASS_FORMAT_H
#define MK_GATEWAY_APPPASS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "gateway/apppass.h"

#define GW_APPPASS_SALT_LEN 16
#define GW_APPPASS_MAC_LEN 32 /* HMAC-SHA-256 */
#define GW_APPPASS_ACCOUNT_MAX 127
/* A record line is at most 3+128+65+33+65+2*21 bytes; the cap leaves room
 * for comments and refuses anything that cannot be ours. */
#define GW_APPPASS_LINE_MAX 512
#define GW_APPPASS_RECORDS_MAX 4096
#define GW_APPPASS_LINES_MAX (GW_APPPASS_RECORDS_MAX + 64)
/* The largest file the reader accepts (every line at the cap). */
#define GW_APPPASS_FILE_MAX ((size_t)GW_APPPASS_LINES_MAX * (GW_APPPASS_LINE_MAX + 1))
/* Times above this (year 9999) are damage, not dates. */
#define GW_APPPASS_TIME_MAX UINT64_C(253402300799)

struct gw_apppass_rec {
	char account[GW_APPPASS_ACCOUNT_MAX + 1];
	char name[GW_APPPASS_NAME_MAX + 1];
	unsigned char salt[GW_APPPASS_SALT_LEN];
	unsigned char verifier[GW_APPPASS_MAC_LEN];
	int64_t created;
	int64_t last_used; /* 0 = never */
};

/* A list of records in file order. Zero-initialise ({0}); free with
 * gw_apppass_set_free (wipes salts and verifiers). */
struct gw_apppass_set {
	struct gw_apppass_rec *recs;
	size_t n;
	size_t cap;
};

bool gw_apppass_account_valid(const char *account);
bool gw_apppass_name_valid(const char *name);

/* Parse text[0..len) and append its records to set (which keeps only
 * the records it had on failure; free it with gw_apppass_set_free either
 * way). Errors: MK_ERR_DATA "line N: what is wrong" (bad
 * version tag, field, hex length, time, over-long line, missing final
 * newline, duplicate, too many records), MK_ERR_INTERNAL (memory). */
int gw_apppass_parse(const char *text, size_t len, struct gw_apppass_set *set, struct mk_error *err);

/* Append the file text for set to out (a header comment, then one line per
 * record). Errors: MK_ERR_DATA for a record that would not parse back
 * (invalid account or name, time out of range), MK_ERR_INTERNAL (out's
 * cap or memory). */
int gw_apppass_format(const struct gw_apppass_set *set, struct mk_buf *out, struct mk_error *err);

/* Append a copy of rec. MK_ERR_USAGE when (account, name) is already
 * there, MK_ERR_DATA over GW_APPPASS_RECORDS_MAX, MK_ERR_INTERNAL. */
int gw_apppass_set_add(struct gw_apppass_set *set, const struct gw_apppass_rec *rec, struct mk_error *err);

/* Index of (account, name), or -1. */
long gw_apppass_set_find(const struct gw_apppass_set *set, const char *account, const char *name);

/* Remove the record at i (order of the others kept). */
void gw_apppass_set_remove(struct gw_apppass_set *set, size_t i);

void gw_apppass_set_free(struct gw_apppass_set *set);

#endif
