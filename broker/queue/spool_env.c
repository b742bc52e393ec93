#include "broker/queue/spool_env.h"

#include <stdlib.h>
#include <string.h>

#include "common/str.h"

#define MAGIC "mailkey-queue 1\n"

static bool clean(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n <= max && !mk_str_has_crlfnul(s, n);
}

int mk_spool_env_format(const struct mk_spool_env_in *env, struct mk_buf *out, struct mk_error *err)
{
	if (env->account == NULL || *env->account == '\0' || !clean(env->account, MK_SPOOL_ACCOUNT_MAX))
		return mk_error_set(err, MK_ERR_DATA,
				    "the account name is empty, too long or has a line break");
	if (env->from == NULL || !clean(env->from, MK_SPOOL_ADDR_MAX))
		return mk_error_set(err, MK_ERR_DATA, "the sender address is too long or has a line break");
	if (env->nrcpt == 0 || env->nrcpt > MK_SPOOL_RCPT_MAX)
		return mk_error_set(err, MK_ERR_DATA, "a queued message needs 1 to %d recipients",
				    MK_SPOOL_RCPT_MAX);
	if (mk_buf_addf(out, MAGIC "account %s\nfrom %s\n", env->account, env->from) != 0)
		goto full;
	for (size_t i = 0; i < env->nrcpt; i++) {
		if (*env->rcpts[i] == '\0' || !clean(env->rcpts[i], MK_SPOOL_ADDR_MAX))
			return mk_error_set(err, MK_ERR_DATA,
					    "recipient %zu is empty, too long or has a line break", i + 1);
		if (mk_buf_addf(out, "rcpt %s\n", env->rcpts[i]) != 0)
			goto full;
	}
	if (mk_buf_addf(out, "queued %lld\n\n", (long long)env->queued) != 0)
		goto full;
	return 0;
full:
	return mk_error_set(err, MK_ERR_INTERNAL, "the queue file is too large");
}

void mk_spool_env_free(struct mk_spool_env *env)
{
	free(env->account);
	free(env->from);
	for (size_t i = 0; env->rcpts != NULL && i < env->nrcpt; i++)
		free(env->rcpts[i]);
	free(env->rcpts);
	memset(env, 0, sizeof(*env));
}

/* The next line of data[*pos..len) without its LF; -1 when there is no LF. */
static int next_line(const char *data, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl = memchr(data + *pos, '\n', len - *pos);

	if (nl == NULL)
		return -1;
	*line = data + *pos;
	*n = (size_t)(nl - *line);
	*pos += *n + 1;
	return 0;
}

static bool key_is(const char *line, size_t n, const char *key, const char **v, size_t *vn)
{
	size_t k = strlen(key);

	if (n < k + 1 || memcmp(line, key, k) != 0 || line[k] != ' ')
		return false;
	*v = line + k + 1;
	*vn = n - k - 1;
	return true;
}

static int take(const char *v, size_t vn, size_t max, char **r)
{
	if (vn > max || memchr(v, '\0', vn) != NULL || memchr(v, '\r', vn) != NULL)
		return -1;
	free(*r);
	*r = mk_str_ndup(v, vn);
	return *r != NULL ? 0 : -1;
}

int mk_spool_env_parse(const char *data, size_t len, struct mk_spool_env *env, struct mk_error *err)
{
	size_t pos = 0, n, vn, cap = 0;
	const char *line, *v;
	bool have_queued = false;

	memset(env, 0, sizeof(*env));
	if (len < sizeof(MAGIC) - 1 || memcmp(data, MAGIC, sizeof(MAGIC) - 1) != 0)
		return mk_error_set(err, MK_ERR_DATA, "not a mailkey queue file (no 'mailkey-queue 1' line)");
	pos = sizeof(MAGIC) - 1;
	for (;;) {
		if (next_line(data, len, &pos, &line, &n) != 0) {
			mk_error_set(err, MK_ERR_DATA, "the envelope has no end (no empty line)");
			goto bad;
		}
		if (n == 0)
			break;
		if (key_is(line, n, "account", &v, &vn)) {
			if (vn == 0 || take(v, vn, MK_SPOOL_ACCOUNT_MAX, &env->account) != 0)
				goto badval;
		} else if (key_is(line, n, "from", &v, &vn)) {
			if (take(v, vn, MK_SPOOL_ADDR_MAX, &env->from) != 0)
				goto badval;
		} else if (key_is(line, n, "rcpt", &v, &vn)) {
			if (env->nrcpt >= MK_SPOOL_RCPT_MAX) {
				mk_error_set(err, MK_ERR_DATA, "more than %d recipients", MK_SPOOL_RCPT_MAX);
				goto bad;
			}
			if (env->nrcpt == cap) {
				size_t nc = cap == 0 ? 8 : cap * 2;
				char **p = realloc(env->rcpts, nc * sizeof(*p));
				if (p == NULL)
					goto badval;
				env->rcpts = p;
				cap = nc;
			}
			env->rcpts[env->nrcpt] = NULL;
			if (vn == 0 || take(v, vn, MK_SPOOL_ADDR_MAX, &env->rcpts[env->nrcpt]) != 0)
				goto badval;
			env->nrcpt++;
		} else if (key_is(line, n, "queued", &v, &vn)) {
			uint64_t t;
			if (mk_str_to_u64(v, vn, (uint64_t)1 << 40, &t) != 0)
				goto badval;
			env->queued = (int64_t)t;
			have_queued = true;
		} else {
			/* Unknown keys would be silently dropped on a resend:
			 * a file from a newer mailkey is refused instead. */
			mk_error_set(err, MK_ERR_DATA, "unknown envelope line '%.*s'", (int)(n < 40 ? n : 40),
				     line);
			goto bad;
		}
	}
	if (env->account == NULL || env->from == NULL || env->nrcpt == 0 || !have_queued) {
		mk_error_set(err, MK_ERR_DATA, "the envelope lacks its account, from, rcpt or queued line");
		goto bad;
	}
	env->body_off = pos;
	return 0;
badval:
	mk_error_set(err, MK_ERR_DATA, "envelope line '%.*s' has a bad value", (int)(n < 40 ? n : 40), line);
bad:
	mk_spool_env_free(env);
	return -1;
}

int mk_spool_state_format(const struct mk_spool_state *st, struct mk_buf *out)
{
	char e[MK_SPOOL_ERROR_MAX];
	size_t i;

	/* The error is one line: the server's multi-line reply is joined. */
	for (i = 0; i + 1 < sizeof(e) && st->error[i] != '\0'; i++)
		e[i] = st->error[i] == '\n' || st->error[i] == '\r' ? ' ' : st->error[i];
	e[i] = '\0';
	return mk_buf_addf(out, "attempts %u\nnext %lld\nerror %s\n", st->attempts, (long long)st->next, e);
}

int mk_spool_state_parse(const char *data, size_t len, struct mk_spool_state *st, struct mk_error *err)
{
	size_t pos = 0, n, vn;
	const char *line, *v;

	memset(st, 0, sizeof(*st));
	while (pos < len) {
		if (next_line(data, len, &pos, &line, &n) != 0) {
			line = data + pos;
			n = len - pos;
			pos = len;
		}
		if (key_is(line, n, "attempts", &v, &vn)) {
			uint64_t x;
			if (mk_str_to_u64(v, vn, 1000000, &x) != 0)
				goto bad;
			st->attempts = (unsigned)x;
		} else if (key_is(line, n, "next", &v, &vn)) {
			uint64_t x;
			if (mk_str_to_u64(v, vn, (uint64_t)1 << 40, &x) != 0)
				goto bad;
			st->next = (int64_t)x;
		} else if (key_is(line, n, "error", &v, &vn)) {
			if (vn >= sizeof(st->error) || memchr(v, '\0', vn) != NULL)
				goto bad;
			memcpy(st->error, v, vn);
			st->error[vn] = '\0';
		}
	}
	return 0;
bad:
	memset(st, 0, sizeof(*st));
	return mk_error_set(err, MK_ERR_DATA, "a bad line in the queue's state file");
}

unsigned mk_spool_backoff(unsigned attempts)
{
	unsigned s = 60;

	for (unsigned i = 1; i < attempts && s < 4 * 3600; i++)
		s *= 2;
	return s < 4 * 3600 ? s : 4 * 3600;
}
