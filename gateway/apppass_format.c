/* The app-password file, parsed and written (apppass_format.h). Strict on
 * purpose: the file is only ever written by mailkey, so anything that does
 * not look exactly like our output is damage and is reported with its line
 * number rather than guessed at. */
#include "gateway/apppass_format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/secret.h"
#include "common/str.h"

#define FIELDS 7

static const char header[] = "# mailkey app passwords: written by `mailkey app-password`, do not edit\n";

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool valid_chars(const char *s, size_t len, size_t max, const char *extra)
{
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(s[i]) && (s[i] == '\0' || strchr(extra, s[i]) == NULL))
			return false;
	return true;
}

bool gw_apppass_account_valid(const char *account)
{
	/* The characters the configuration allows in an [account NAME]. */
	return account != NULL && valid_chars(account, strlen(account), GW_APPPASS_ACCOUNT_MAX, "._@-");
}

bool gw_apppass_name_valid(const char *name)
{
	return name != NULL && valid_chars(name, strlen(name), GW_APPPASS_NAME_MAX, "._-");
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* upper case too: we never write it */
}

static int unhex(const char *s, size_t len, unsigned char *out, size_t n)
{
	if (len != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void gw_apppass_set_free(struct gw_apppass_set *set)
{
	if (set->recs != NULL)
		mk_secret_free(set->recs, set->cap * sizeof(*set->recs));
	set->recs = NULL;
	set->n = set->cap = 0;
}

/* Room for want more records; the old block is wiped when it moves. */
static int reserve(struct gw_apppass_set *set, size_t want)
{
	struct gw_apppass_rec *r;
	size_t cap;

	if (set->cap - set->n >= want)
		return 0;
	cap = set->cap == 0 ? 8 : set->cap;
	while (cap - set->n < want)
		cap *= 2;
	r = calloc(cap, sizeof(*r));
	if (r == NULL)
		return -1;
	if (set->recs != NULL) {
		memcpy(r, set->recs, set->n * sizeof(*r));
		mk_secret_free(set->recs, set->cap * sizeof(*set->recs));
	}
	set->recs = r;
	set->cap = cap;
	return 0;
}

long gw_apppass_set_find(const struct gw_apppass_set *set, const char *account, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->recs[i].account, account) == 0 && strcmp(set->recs[i].name, name) == 0)
			return (long)i;
	return -1;
}

void gw_apppass_set_remove(struct gw_apppass_set *set, size_t i)
{
	if (i >= set->n)
		return;
	memmove(&set->recs[i], &set->recs[i + 1], (set->n - i - 1) * sizeof(*set->recs));
	set->n--;
	mk_secret_wipe(&set->recs[set->n], sizeof(*set->recs));
}

int gw_apppass_set_add(struct gw_apppass_set *set, const struct gw_apppass_rec *rec, struct mk_error *err)
{
	if (gw_apppass_set_find(set, rec->account, rec->name) >= 0)
		return mk_error_set(err, MK_ERR_USAGE, "account %s already has an app password named %s",
				    rec->account, rec->name);
	if (set->n >= GW_APPPASS_RECORDS_MAX)
		return mk_error_set(err, MK_ERR_DATA,
				    "there are already %d app passwords, the most mailkey keeps",
				    GW_APPPASS_RECORDS_MAX);
	if (reserve(set, 1) != 0)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	set->recs[set->n++] = *rec;
	return 0;
}

/* Duplicate (account, name) detection for a whole file in linear time: the
 * gateway parses the file at every login, and a file of many records must
 * not cost a quadratic scan. Open addressing over record indexes. */
static size_t pair_hash(const struct gw_apppass_rec *r)
{
	uint64_t h = UINT64_C(1469598103934665603);

	for (const char *s = r->account; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	h = (h ^ 0xffu) * UINT64_C(1099511628211);
	for (const char *s = r->name; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return (size_t)h;
}

/* The first record of recs[from..n) whose (account, name) an earlier one
 * has, in *dup_r ((size_t)-1: none). -1 out of memory. */
static int find_duplicate(const struct gw_apppass_set *set, size_t from, size_t *dup_r)
{
	size_t size = 16, *tab;

	*dup_r = (size_t)-1;
	while (size < 2 * (set->n + 1))
		size *= 2;
	tab = malloc(size * sizeof(*tab));
	if (tab == NULL)
		return -1;
	for (size_t i = 0; i < size; i++)
		tab[i] = (size_t)-1;
	for (size_t i = 0; i < set->n && *dup_r == (size_t)-1; i++) {
		size_t h = pair_hash(&set->recs[i]) & (size - 1);
		bool seen = false;
		while (tab[h] != (size_t)-1 && !seen) {
			const struct gw_apppass_rec *o = &set->recs[tab[h]];
			seen = strcmp(o->account, set->recs[i].account) == 0 &&
			       strcmp(o->name, set->recs[i].name) == 0;
			h = (h + 1) & (size - 1);
		}
		if (seen && i >= from)
			*dup_r = i;
		else if (!seen)
			tab[h] = i;
	}
	free(tab);
	return 0;
}

/* Parse one record line (no '\n') into r; NULL or what is wrong. */
static const char *parse_line(const char *s, size_t len, struct gw_apppass_rec *r)
{
	const char *f[FIELDS];
	size_t fl[FIELDS], nf = 0, start = 0;
	uint64_t t;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ' ')
			continue;
		if (i == start)
			return "an empty field (two spaces, or a space at an end of the line)";
		if (nf == FIELDS)
			return "more than 7 fields";
		f[nf] = s + start;
		fl[nf++] = i - start;
		start = i + 1;
	}
	if (fl[0] != 2 || memcmp(f[0], "v1", 2) != 0)
		return "not a version 1 record (it must start with \"v1 \")";
	if (nf != FIELDS)
		return "fewer than 7 fields (v1 ACCOUNT NAME SALT VERIFIER CREATED LAST_USED)";
	if (!valid_chars(f[1], fl[1], GW_APPPASS_ACCOUNT_MAX, "._@-"))
		return "the account is not a valid account name";
	if (!valid_chars(f[2], fl[2], GW_APPPASS_NAME_MAX, "._-"))
		return "the name is not a valid app-password name";
	memcpy(r->account, f[1], fl[1]);
	r->account[fl[1]] = '\0';
	memcpy(r->name, f[2], fl[2]);
	r->name[fl[2]] = '\0';
	if (unhex(f[3], fl[3], r->salt, sizeof(r->salt)) != 0)
		return "the salt is not 32 lowercase hex digits";
	if (unhex(f[4], fl[4], r->verifier, sizeof(r->verifier)) != 0)
		return "the verifier is not 64 lowercase hex digits";
	if (mk_str_to_u64(f[5], fl[5], GW_APPPASS_TIME_MAX, &t) != 0)
		return "the creation time is not a number of seconds";
	r->created = (int64_t)t;
	if (mk_str_to_u64(f[6], fl[6], GW_APPPASS_TIME_MAX, &t) != 0)
		return "the last-use time is not a number of seconds";
	r->last_used = (int64_t)t;
	return NULL;
}

int gw_apppass_parse(const char *text, size_t len, struct gw_apppass_set *set, struct mk_error *err)
{
	size_t old_n = set->n, pos = 0, line = 0, lines = 0, dup = (size_t)-1;
	struct gw_apppass_rec r;
	const char *why = NULL;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	/* One allocation for the whole file (the gateway parses it at every
	 * login): as many records as lines, up to the cap. */
	for (const char *p = text; p != NULL && p < text + len && lines < GW_APPPASS_RECORDS_MAX; lines++)
		if ((p = memchr(p, '\n', (size_t)(text + len - p))) != NULL)
			p++;
	if (reserve(set, lines) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t l = nl != NULL ? (size_t)(nl - s) : len - pos;

		line++;
		if (line > GW_APPPASS_LINES_MAX) {
			why = "too many lines";
			goto bad;
		}
		if (l > GW_APPPASS_LINE_MAX) {
			why = "longer than any record";
			goto bad;
		}
		if (nl == NULL) {
			why = "no newline at its end (the file was cut short)";
			goto bad;
		}
		if (memchr(s, '\0', l) != NULL) {
			why = "a NUL byte";
			goto bad;
		}
		pos += l + 1;
		if (l == 0 || s[0] == '#')
			continue;
		/* Whole records only: no bytes of the previous line's fields. */
		memset(&r, 0, sizeof(r));
		if ((why = parse_line(s, l, &r)) != NULL)
			goto bad;
		if (set->n - old_n >= GW_APPPASS_RECORDS_MAX) {
			why = "more records than mailkey keeps";
			goto bad;
		}
		if (reserve(set, 1) != 0) {
			mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
			goto out;
		}
		set->recs[set->n++] = r;
	}
	if (find_duplicate(set, old_n, &dup) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (dup != (size_t)-1) {
		/* Report the line of the second copy: count record lines again. */
		size_t want = dup - old_n, seen = 0;
		line = 0;
		for (pos = 0; pos < len;) {
			const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
			size_t l = (size_t)(nl - s);
			line++;
			pos += l + 1;
			if (l == 0 || s[0] == '#')
				continue;
			if (seen++ == want)
				break;
		}
		mk_error_set(err, MK_ERR_DATA, "line %zu: a second app password named %s for account %s",
			     line, set->recs[dup].name, set->recs[dup].account);
		goto out;
	}
	rc = 0;
	goto out;
bad:
	mk_error_set(err, MK_ERR_DATA, "line %zu: %s", line, why);
out:
	if (rc != 0 && set->recs != NULL) {
		mk_secret_wipe(set->recs + old_n, (set->n - old_n) * sizeof(*set->recs));
		set->n = old_n;
	}
	mk_secret_wipe(&r, sizeof(r));
	return rc;
}

static void hex(char *out, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int gw_apppass_format(const struct gw_apppass_set *set, struct mk_buf *out, struct mk_error *err)
{
	char salt[2 * GW_APPPASS_SALT_LEN + 1], mac[2 * GW_APPPASS_MAC_LEN + 1];
	size_t start = out->len;
	int rc = -1;

	if (set->n > GW_APPPASS_RECORDS_MAX) {
		mk_error_set(err, MK_ERR_DATA, "more than %d app passwords", GW_APPPASS_RECORDS_MAX);
		goto out;
	}
	if (mk_buf_addstr(out, header) != 0)
		goto nomem;
	for (size_t i = 0; i < set->n; i++) {
		const struct gw_apppass_rec *r = &set->recs[i];
		/* Never write what the parser would refuse: the next reader
		 * would then see the whole file as damaged. */
		if (memchr(r->account, '\0', sizeof(r->account)) == NULL ||
		    memchr(r->name, '\0', sizeof(r->name)) == NULL || !gw_apppass_account_valid(r->account) ||
		    !gw_apppass_name_valid(r->name)) {
			mk_error_set(err, MK_ERR_DATA, "record %zu has an invalid account or name", i + 1);
			goto out;
		}
		if (r->created < 0 || (uint64_t)r->created > GW_APPPASS_TIME_MAX || r->last_used < 0 ||
		    (uint64_t)r->last_used > GW_APPPASS_TIME_MAX) {
			mk_error_set(err, MK_ERR_DATA, "record %zu (%s %s) has a time out of range", i + 1,
				     r->account, r->name);
			goto out;
		}
		hex(salt, r->salt, sizeof(r->salt));
		hex(mac, r->verifier, sizeof(r->verifier));
		if (mk_buf_addf(out, "v1 %s %s %s %s %" PRId64 " %" PRId64 "\n", r->account, r->name, salt,
				mac, r->created, r->last_used) != 0)
			goto nomem;
	}
	rc = 0;
	goto out;
nomem:
	mk_error_set(err, MK_ERR_INTERNAL,
		     errno == E2BIG ? "the app-password file would be too large" : "out of memory");
out:
	if (rc != 0)
		mk_buf_truncate(out, start);
	mk_secret_wipe(salt, sizeof(salt));
	mk_secret_wipe(mac, sizeof(mac));
	return rc;
}
