#include "cli/import_fmt.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/secret.h"
#include "common/str.h"

/* The same bound as a token-endpoint answer's expires_in (token_resp.c). */
#define MAX_LIFETIME (10LL * 365 * 86400)

/* Where mutt_oauth2.py's registrations send refreshes (its source, 2020-08-07). */
static const struct {
	const char *name, *token_endpoint;
} mutt_regs[] = {
	{ "google", "https://accounts.google.com/o/oauth2/token" },
	{ "microsoft", "https://login.microsoftonline.com/common/oauth2/v2.0/token" },
};

int mk_import_format_parse(const char *name, enum mk_import_format *r)
{
	if (strcmp(name, "json") == 0)
		*r = MK_IMPORT_JSON;
	else if (strcmp(name, "mutt_oauth2") == 0 || strcmp(name, "mutt-oauth2") == 0)
		*r = MK_IMPORT_MUTT_OAUTH2;
	else if (strcmp(name, "sasl-xoauth2") == 0 || strcmp(name, "sasl_xoauth2") == 0)
		*r = MK_IMPORT_SASL_XOAUTH2;
	else
		return -1;
	return 0;
}

void mk_import_clear(struct mk_import *r)
{
	mk_tokens_clear(&r->tokens);
	free(r->client_id);
	free(r->token_endpoint);
	free(r->user);
	free(r->registration);
	memset(r, 0, sizeof(*r));
}

/* Every value ends up in the store, in `status`, in warnings or in protocol
 * lines: one line of printable bytes (an embedded NUL or CR LF could cut or
 * forge one). */
static bool clean(json_t *v)
{
	const char *p = json_string_value(v);

	for (size_t i = 0; i < json_string_length(v); i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

/* Copy string field k into *dst. Absent or null: 0, *dst NULL. Also NULL,
 * when empty_is_none, for "" (how mutt_oauth2 writes "none"). -1 with the
 * reason in err when it is not a clean string. */
static int get_text(json_t *o, const char *k, bool empty_is_none, char **dst, struct mk_error *err)
{
	json_t *v = json_object_get(o, k);

	*dst = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return mk_error_set(err, MK_ERR_DATA, "'%s' is not a string", k);
	if (!clean(v))
		return mk_error_set(err, MK_ERR_DATA, "'%s' holds a control character (CR, LF, NUL, ...)", k);
	if (empty_is_none && json_string_length(v) == 0)
		return 0;
	if ((*dst = strdup(json_string_value(v))) == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	return 0;
}

/* A token: as get_text, and present means non-empty. */
static int get_token(json_t *o, const char *k, bool empty_is_none, char **dst, struct mk_error *err)
{
	json_t *v = json_object_get(o, k);

	if (json_is_string(v) && json_string_length(v) == 0 && !empty_is_none)
		return mk_error_set(err, MK_ERR_DATA, "'%s' is empty", k);
	return get_text(o, k, empty_is_none, dst, err);
}

/* A count of seconds: a JSON integer or a string of decimal digits (both
 * occur: sasl-xoauth2 writes strings), 0 ≤ n ≤ max. 1 absent, 0 ok, -1 bad. */
static int get_seconds(json_t *o, const char *k, int64_t max, int64_t *r, struct mk_error *err)
{
	json_t *v = json_object_get(o, k);
	uint64_t n;

	if (v == NULL || json_is_null(v))
		return 1;
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= max) {
		*r = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) &&
	    mk_str_to_u64(json_string_value(v), json_string_length(v), (uint64_t)max, &n) == 0) {
		*r = (int64_t)n;
		return 0;
	}
	return mk_error_set(err, MK_ERR_DATA, "'%s' is not a number of seconds from 0 to %lld", k,
			    (long long)max);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), so UTC times need no libc time zone. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, size_t n, unsigned *r)
{
	*r = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*r = *r * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

/* "YYYY-MM-DDTHH:MM:SS[.f{1,9}][Z|±HH:MM]": Python's isoformat() and RFC
 * 3339. Without a zone the time is local (local(), or UTC when NULL);
 * need_zone refuses that. 0 with *r, -1 when malformed. */
static int parse_time(const char *s, size_t n, bool need_zone, mk_import_local_fn local, int64_t *r)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h, mi, se, oh = 0, om = 0;
	size_t i = 19;
	int sign = 0;
	struct tm tm;

	if (n < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    !digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) ||
	    !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60)
		return -1;
	/* 29 February only in a leap year: mktime would roll a wrong date on. */
	if (mo == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0)))
		return -1;
	if (i < n && s[i] == '.') {
		size_t f = ++i;
		while (i < n && i - f < 9 && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == f)
			return -1;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		sign = 1;
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		if (n - i != 6 || s[i + 3] != ':' || !digits(s + i + 1, 2, &oh) ||
		    !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		sign = s[i] == '+' ? 1 : -1;
		i += 6;
	}
	if (i != n || (sign == 0 && need_zone))
		return -1;
	if (sign == 0 && local != NULL) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = (int)y - 1900;
		tm.tm_mon = (int)mo - 1;
		tm.tm_mday = (int)d;
		tm.tm_hour = (int)h;
		tm.tm_min = (int)mi;
		tm.tm_sec = (int)se;
		tm.tm_isdst = -1;
		*r = local(&tm);
		return *r == -1 ? -1 : 0;
	}
	*r = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	if (sign != 0)
		*r -= sign * (int64_t)(oh * 3600 + om * 60);
	return 0;
}

/* A string time field k; "" = *r 0 when empty_ok. 1 absent, 0 ok, -1 bad. */
static int get_time(json_t *o, const char *k, bool need_zone, mk_import_local_fn local, int64_t *r,
		    struct mk_error *err)
{
	json_t *v = json_object_get(o, k);

	*r = 0;
	if (v == NULL || json_is_null(v))
		return 1;
	if (json_is_string(v) && json_string_length(v) == 0 && !need_zone)
		return 0;
	if (!json_is_string(v) ||
	    parse_time(json_string_value(v), json_string_length(v), need_zone, local, r) != 0)
		return mk_error_set(err, MK_ERR_DATA, "'%s' is not a time like %s", k,
				    need_zone ? "2026-12-01T10:00:00Z" : "2026-12-01T10:00:00.123456");
	return 0;
}

/* expires_at of the json format: unix seconds, or an RFC 3339 time. */
static int json_expires_at(json_t *o, int64_t now, int64_t *r, struct mk_error *err)
{
	json_t *v = json_object_get(o, "expires_at");

	if (json_is_string(v) && json_string_length(v) > 0 && strchr(json_string_value(v), 'T') != NULL)
		return get_time(o, "expires_at", true, NULL, r, err);
	return get_seconds(o, "expires_at", now + MAX_LIFETIME, r, err);
}

static int parse_json(json_t *o, int64_t now, struct mk_import *r, int64_t *exp, struct mk_error *err)
{
	struct mk_tokens *t = &r->tokens;
	int64_t in = 0;
	int rc;

	if (json_object_get(o, "error") != NULL)
		return mk_error_set(err, MK_ERR_DATA,
				    "this is a token endpoint's error answer ('error'), not tokens");
	if (json_object_get(o, "access_token_expiration") != NULL)
		return mk_error_set(err, MK_ERR_DATA,
				    "this looks like a mutt_oauth2.py token file: use --format mutt_oauth2");
	if (json_object_get(o, "expiry") != NULL)
		return mk_error_set(err, MK_ERR_DATA,
				    "this looks like a sasl-xoauth2 token file: use --format sasl-xoauth2");
	if (get_token(o, "refresh_token", false, &t->refresh_token, err) != 0 ||
	    get_text(o, "token_type", false, &t->token_type, err) != 0 ||
	    get_text(o, "scope", false, &t->scope, err) != 0 ||
	    get_token(o, "id_token", false, &t->id_token, err) != 0 ||
	    get_text(o, "client_id", false, &r->client_id, err) != 0 ||
	    get_text(o, "token_endpoint", false, &r->token_endpoint, err) != 0)
		return -1;
	/* expires_at is absolute, expires_in counts from an issue time the
	 * file may not say: with both, expires_at is the one to trust. */
	rc = json_expires_at(o, now, exp, err);
	if (rc < 0)
		return -1;
	if (rc == 0 && *exp == 0)
		return mk_error_set(err, MK_ERR_DATA, "'expires_at' is 0");
	if (rc == 1) {
		rc = get_seconds(o, "expires_in", MAX_LIFETIME, &in, err);
		if (rc < 0)
			return -1;
		if (rc == 0 && in == 0)
			return mk_error_set(err, MK_ERR_DATA, "'expires_in' is 0");
		*exp = now + (rc == 0 ? in : MK_TOKENS_ASSUMED_LIFETIME);
	}
	return 0;
}

static int parse_mutt(json_t *o, mk_import_local_fn local, struct mk_import *r, int64_t *exp,
		      struct mk_error *err)
{
	struct mk_tokens *t = &r->tokens;
	int rc;

	/* Its own writer puts "" for "none yet" in both fields. */
	if (get_token(o, "refresh_token", true, &t->refresh_token, err) != 0 ||
	    get_text(o, "email", true, &r->user, err) != 0 ||
	    get_text(o, "registration", true, &r->registration, err) != 0 ||
	    get_text(o, "client_id", true, &r->client_id, err) != 0)
		return -1;
	rc = get_time(o, "access_token_expiration", false, local, exp, err);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return mk_error_set(err, MK_ERR_DATA,
				    "no 'access_token_expiration': not a mutt_oauth2.py token file "
				    "(decrypted?); see --format");
	for (size_t i = 0; r->registration != NULL && i < sizeof(mutt_regs) / sizeof(mutt_regs[0]); i++)
		if (strcmp(r->registration, mutt_regs[i].name) == 0 &&
		    (r->token_endpoint = strdup(mutt_regs[i].token_endpoint)) == NULL)
			return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	return 0;
}

static int parse_sasl_xoauth2(json_t *o, int64_t now, struct mk_import *r, int64_t *exp, struct mk_error *err)
{
	struct mk_tokens *t = &r->tokens;

	/* sasl-xoauth2 itself refuses a file without a refresh token. */
	if (json_object_get(o, "refresh_token") == NULL)
		return mk_error_set(err, MK_ERR_DATA,
				    "no 'refresh_token': not a sasl-xoauth2 token file; see --format");
	if (get_token(o, "refresh_token", false, &t->refresh_token, err) != 0 ||
	    get_text(o, "user", false, &r->user, err) != 0 ||
	    get_text(o, "client_id", false, &r->client_id, err) != 0 ||
	    get_text(o, "token_endpoint", false, &r->token_endpoint, err) != 0 ||
	    get_text(o, "scope", false, &t->scope, err) != 0)
		return -1;
	/* Absent or "0" means expired to sasl-xoauth2: it refreshes first. */
	if (get_seconds(o, "expiry", now + MAX_LIFETIME, exp, err) < 0)
		return -1;
	return 0;
}

int mk_import_parse(enum mk_import_format f, const char *buf, size_t len, int64_t now,
		    mk_import_local_fn local, struct mk_import *r, struct mk_error *err)
{
	static const char *const names[] = { "json", "mutt_oauth2", "sasl-xoauth2" };
	struct mk_tokens *t = &r->tokens;
	json_error_t jerr;
	json_t *doc = NULL;
	int64_t exp = 0;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (len > MK_IMPORT_MAX_INPUT) {
		mk_error_set(err, MK_ERR_DATA, "the input is over %d bytes: not a token file",
			     MK_IMPORT_MAX_INPUT);
		goto out;
	}
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL || !json_is_object(doc)) {
		/* Only the position: jansson's text quotes the input near the
		 * fault, which may be a piece of a token. */
		if (doc == NULL)
			mk_error_set(err, MK_ERR_DATA, "the input is not valid JSON (line %d, column %d)%s",
				     jerr.line, jerr.column,
				     json_error_code(&jerr) == json_error_duplicate_key
					     ? ": a key is repeated"
					     : "");
		else
			mk_error_set(err, MK_ERR_DATA, "the input is JSON but not an object {...}");
		goto out;
	}
	if (json_object_get(doc, "access_token") == NULL) {
		mk_error_set(err, MK_ERR_DATA, "no 'access_token': is this a %s token file? (see --format)",
			     names[f]);
		goto out;
	}
	if (get_token(doc, "access_token", false, &t->access_token, err) != 0)
		goto out;
	/* get_token takes null for "none": an access token is never optional. */
	if (t->access_token == NULL) {
		mk_error_set(err, MK_ERR_DATA, "'access_token' is null");
		goto out;
	}
	switch (f) {
	case MK_IMPORT_JSON:
		rc = parse_json(doc, now, r, &exp, err);
		break;
	case MK_IMPORT_MUTT_OAUTH2:
		rc = parse_mutt(doc, local, r, &exp, err);
		break;
	case MK_IMPORT_SASL_XOAUTH2:
		rc = parse_sasl_xoauth2(doc, now, r, &exp, err);
		break;
	}
	if (rc != 0)
		goto out;
	rc = -1;
	if (t->token_type != NULL && strcasecmp(t->token_type, "bearer") != 0) {
		mk_error_set(err, MK_ERR_DATA, "unsupported token_type '%.32s' (mail needs Bearer tokens)",
			     t->token_type);
		goto out;
	}
	if (exp > now + MAX_LIFETIME) {
		mk_error_set(err, MK_ERR_DATA,
			     "the access token would live more than ten years: the expiry is wrong");
		goto out;
	}
	r->expired = exp <= now;
	if (r->expired && t->refresh_token == NULL) {
		mk_error_set(err, MK_ERR_DATA,
			     "the access token has expired and there is no refresh token: nothing "
			     "usable to import; run `%s login`",
			     mk_hint_cmd());
		goto out;
	}
	free(t->token_type);
	if ((t->token_type = strdup("Bearer")) == NULL) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	t->obtained_at = now;
	/* An expired token is stored as expiring now: the first use
	 * refreshes it, as the other tool would have. */
	t->expires_at = r->expired ? now : exp;
	rc = 0;
out:
	if (rc != 0)
		mk_import_clear(r);
	json_decref(doc);
	return rc;
}
