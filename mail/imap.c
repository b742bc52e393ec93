#include "mail/imap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/str.h"
#include "mail/imap_resp.h"
#include "mail/sasl.h"

#define MK_IMAP_LITERAL_MAX ((size_t)64 << 20)

struct mk_imap {
	struct mk_conn *conn;
	unsigned next_tag;
	char tag[16]; /* of the command in flight */
	char caps[2048];
	struct mk_buf line; /* the current response line (literals spliced out) */
	struct mk_buf lit;  /* the last literal read */
	size_t literal_max;
	bool broken;
	bool bye;
	bool caps_fresh; /* caps were sent since the last login step */
	char bye_text[256];
};

/* Read one logical response line; a literal inside it is kept in s->lit and
 * replaced by "{}" in s->line. */
static int read_resp(struct mk_imap *s, struct mk_imap_line *r, struct mk_error *err)
{
	struct mk_buf part;
	uint64_t n;
	int k;

	mk_buf_reset(&s->line);
	mk_buf_init(&part, 65536);
	for (;;) {
		if (mk_conn_read_line(s->conn, &part, err) != 0)
			goto broken;
		k = mk_imap_literal_at_end(mk_buf_str(&part), part.len, s->literal_max, &n);
		if (k < 0) {
			mk_error_set(err, MK_ERR_PROTO,
				     "the server announced a literal larger than %zu bytes", s->literal_max);
			goto broken;
		}
		if (mk_buf_add(&s->line, part.data, part.len) != 0) {
			mk_error_set(err, MK_ERR_PROTO, "IMAP response too long");
			goto broken;
		}
		if (k == 0)
			break;
		mk_buf_reset(&s->lit);
		if (mk_conn_read_exact(s->conn, (size_t)n, &s->lit, err) != 0)
			goto broken;
	}
	mk_buf_free(&part);
	mk_imap_parse_line(mk_buf_str(&s->line), r);
	if (r->kind == MK_IMAP_MALFORMED) {
		s->broken = true;
		return mk_error_set(err, MK_ERR_PROTO, "malformed IMAP response: '%.80s'",
				    mk_buf_str(&s->line));
	}
	if (r->kind == MK_IMAP_UNTAGGED && r->status == MK_IMAP_BYE) {
		/* Gmail: "* BYE Session expired"; Exchange: "AccessTokenExpired". */
		s->bye = true;
		snprintf(s->bye_text, sizeof(s->bye_text), "%s", r->text);
	}
	if (r->kind == MK_IMAP_UNTAGGED && strncasecmp(r->after, "CAPABILITY ", 11) == 0) {
		snprintf(s->caps, sizeof(s->caps), "%s", r->after);
		s->caps_fresh = true;
	}
	if ((r->kind == MK_IMAP_TAGGED || r->status == MK_IMAP_OK) && strcmp(r->code, "CAPABILITY") == 0) {
		const char *c = strstr(mk_buf_str(&s->line), "[CAPABILITY");
		if (c != NULL) {
			snprintf(s->caps, sizeof(s->caps), "%.*s", (int)strcspn(c + 1, "]"), c + 1);
			s->caps_fresh = true;
		}
	}
	return 0;
broken:
	mk_buf_free(&part);
	s->broken = true;
	/* Gmail says "* BYE Session expired" and hangs up: say that, not
	 * just "closed the connection". */
	if (s->bye && err != NULL && err->cls == MK_ERR_CONN)
		mk_error_set(err, MK_ERR_TEMP, "the IMAP server ended the session: %s", s->bye_text);
	return -1;
}

static int send_cmd(struct mk_imap *s, struct mk_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int send_cmd(struct mk_imap *s, struct mk_error *err, const char *fmt, ...)
{
	struct mk_buf b;
	va_list ap;
	int rc;

	snprintf(s->tag, sizeof(s->tag), "a%u", ++s->next_tag);
	mk_buf_init(&b, 8192);
	va_start(ap, fmt);
	rc = mk_buf_addf(&b, "%s ", s->tag) == 0 && mk_buf_vaddf(&b, fmt, ap) == 0 &&
	     mk_buf_add(&b, "\r\n", 2) == 0;
	va_end(ap);
	rc = rc ? mk_conn_write(s->conn, b.data, b.len, false, 0, err)
		: mk_error_set(err, MK_ERR_DATA, "IMAP command too long");
	if (rc != 0)
		s->broken = true;
	mk_buf_free(&b);
	return rc;
}

/* Read to the tagged completion of the command in flight; untagged lines go
 * to fn (may be NULL). */
static int complete(struct mk_imap *s, const char *what,
		    int (*fn)(struct mk_imap *, const struct mk_imap_line *, void *), void *ctx,
		    struct mk_error *err)
{
	struct mk_imap_line r;

	for (;;) {
		if (read_resp(s, &r, err) != 0)
			return -1;
		if (r.kind == MK_IMAP_UNTAGGED) {
			if (r.status == MK_IMAP_BYE)
				continue;
			if (fn != NULL && fn(s, &r, ctx) != 0)
				return mk_error_set(err, MK_ERR_PROTO, "unexpected IMAP data during %s",
						    what);
			continue;
		}
		if (r.kind == MK_IMAP_CONTINUE || strcmp(r.tag, s->tag) != 0) {
			s->broken = true;
			return mk_error_set(err, MK_ERR_PROTO, "unexpected IMAP response during %s", what);
		}
		if (r.status == MK_IMAP_OK)
			return 0;
		return mk_error_set(err, strcmp(r.code, "UNAVAILABLE") == 0 ? MK_ERR_TEMP : MK_ERR_RESP,
				    "%s failed: %s %s", what, r.status == MK_IMAP_NO ? "NO" : "BAD", r.text);
	}
}

/* SASL driver callbacks (RFC 9051 §6.2.2, RFC 4959 SASL-IR). */
static int sasl_send_auth(void *ctx, const char *mech, const char *ir, struct mk_error *err)
{
	struct mk_imap *s = ctx;
	char verb[48];

	snprintf(s->tag, sizeof(s->tag), "a%u", ++s->next_tag);
	snprintf(verb, sizeof(verb), "%s AUTHENTICATE", s->tag);
	return mk_sasl_write_auth(s->conn, verb, mech, ir, err);
}

static int sasl_send_line(void *ctx, const char *b64, size_t len, struct mk_error *err)
{
	struct mk_imap *s = ctx;

	return mk_sasl_write_response(s->conn, b64, len, err);
}

static int sasl_read_reply(void *ctx, enum mk_sasl_reply_kind *kind, struct mk_buf *payload,
			   struct mk_error *err)
{
	struct mk_imap *s = ctx;
	struct mk_imap_line r;

	for (;;) {
		if (read_resp(s, &r, err) != 0)
			return -1;
		if (r.kind == MK_IMAP_UNTAGGED)
			continue;
		break;
	}
	if (r.kind == MK_IMAP_CONTINUE)
		*kind = MK_SASL_REPLY_CONTINUE;
	else if (strcmp(r.tag, s->tag) != 0)
		*kind = MK_SASL_REPLY_BAD;
	else if (r.status == MK_IMAP_OK)
		*kind = MK_SASL_REPLY_OK;
	else if (r.status == MK_IMAP_NO && strcmp(r.code, "UNAVAILABLE") == 0)
		*kind = MK_SASL_REPLY_TEMPFAIL;
	else if (r.status == MK_IMAP_NO)
		*kind = MK_SASL_REPLY_FAIL;
	else
		*kind = MK_SASL_REPLY_BAD;
	if (*kind != MK_SASL_REPLY_CONTINUE && r.code[0] != '\0' &&
	    mk_buf_addf(payload, "[%s] ", r.code) != 0)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	return mk_buf_addstr(payload, r.text) == 0 ? 0
						   : mk_error_set(err, MK_ERR_PROTO, "IMAP reply too long");
}

static int capability(struct mk_imap *s, struct mk_error *err)
{
	return send_cmd(s, err, "CAPABILITY") != 0 ? -1 : complete(s, "CAPABILITY", NULL, NULL, err);
}

int mk_imap_open(const struct mk_imap_params *p, struct mk_imap **r, bool *token_expired,
		 struct mk_error *err)
{
	struct mk_imap *s = calloc(1, sizeof(*s));
	struct mk_imap_line g;
	const struct mk_sasl_mech *mech = p->mech;
	struct mk_sasl_creds creds = { p->user, p->token, p->conn.host, p->conn.port };
	struct mk_sasl_result res;
	struct mk_sasl_proto proto = { "IMAP", 0, true, sasl_send_auth, sasl_send_line, sasl_read_reply, s };
	char atom[64];
	int rc = -1;

	*r = NULL;
	*token_expired = false;
	if (s == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	s->literal_max = p->literal_max ? p->literal_max : MK_IMAP_LITERAL_MAX;
	mk_buf_init(&s->line, 1 << 20);
	mk_buf_init(&s->lit, s->literal_max);
	if (mk_conn_open(&p->conn, &s->conn, err) != 0 || read_resp(s, &g, err) != 0)
		goto out;
	if (g.kind != MK_IMAP_UNTAGGED || (g.status != MK_IMAP_OK && g.status != MK_IMAP_PREAUTH)) {
		mk_error_set(err, g.status == MK_IMAP_BYE ? MK_ERR_TEMP : MK_ERR_PROTO,
			     "the IMAP server's greeting: %.100s", mk_buf_str(&s->line));
		goto out;
	}
	if (strcmp(g.code, "CAPABILITY") != 0 && capability(s, err) != 0)
		goto out;
	if (!p->conn.implicit_tls) {
		if (!mk_imap_has_capability(s->caps, "STARTTLS")) {
			mk_error_set(err, MK_ERR_IMPL,
				     "%s:%u does not offer STARTTLS; refusing to send a token in the clear",
				     p->conn.host, p->conn.port);
			goto out;
		}
		if (send_cmd(s, err, "STARTTLS") != 0 || complete(s, "STARTTLS", NULL, NULL, err) != 0)
			goto out;
		if (mk_conn_starttls(s->conn, err) != 0) {
			s->broken = true;
			goto out;
		}
		s->caps[0] = '\0'; /* RFC 9051 §6.2.1: ask again after TLS */
		if (capability(s, err) != 0)
			goto out;
	}
	snprintf(atom, sizeof(atom), "AUTH=%s", mech->name);
	if (!mk_imap_has_capability(s->caps, atom) && p->mech_alt != NULL) {
		char alt[64];
		snprintf(alt, sizeof(alt), "AUTH=%s", p->mech_alt->name);
		if (mk_imap_has_capability(s->caps, alt)) {
			mech = p->mech_alt;
			memcpy(atom, alt, sizeof(atom));
		}
	}
	if (!mk_imap_has_capability(s->caps, atom)) {
		mk_error_set(err, MK_ERR_IMPL, "%s:%u does not offer %s", p->conn.host, p->conn.port, atom);
		goto out;
	}
	if (mk_imap_has_capability(s->caps, "SASL-IR"))
		proto.max_ir_len = 64 * 1024;
	/* Capabilities change with login (RFC 9051 §6.2.2): only those sent
	 * from here on describe the session. */
	s->caps_fresh = false;
	if (mk_sasl_authenticate(&proto, mech, &creds, p->force_two_step, &res, err) != 0) {
		*token_expired = res.token_expired || res.had_challenge;
		goto out;
	}
	*r = s;
	s = NULL;
	rc = 0;
out:
	mk_imap_close(&s);
	return rc;
}

struct examine_ctx {
	uint64_t uidvalidity, exists;
};

static int on_examine(struct mk_imap *s, const struct mk_imap_line *r, void *vctx)
{
	struct examine_ctx *x = vctx;
	const char *a = r->after;
	const char *sp = strchr(a, ' ');
	uint64_t v;

	(void)s;
	if (strcmp(r->code, "UIDVALIDITY") == 0) {
		const char *num = strstr(a, "UIDVALIDITY ") + 12;
		size_t n = strspn(num, "0123456789");
		if (mk_str_to_u64(num, n, UINT32_MAX, &v) == 0)
			x->uidvalidity = v;
	} else if (sp != NULL && strncasecmp(sp, " EXISTS", 7) == 0 &&
		   mk_str_to_u64(a, (size_t)(sp - a), UINT32_MAX, &v) == 0) {
		x->exists = v;
	}
	return 0;
}

static bool safe_mailbox(const char *m)
{
	return *m != '\0' && !mk_str_has_crlfnul(m, strlen(m)) && strchr(m, '"') == NULL &&
	       strchr(m, '\\') == NULL;
}

int mk_imap_examine(struct mk_imap *s, const char *mailbox, uint64_t *uidvalidity_r, uint64_t *exists_r,
		    struct mk_error *err)
{
	struct examine_ctx x = { 0, 0 };

	if (!safe_mailbox(mailbox))
		return mk_error_set(
			err, MK_ERR_USAGE,
			"mailbox names with quotes, backslashes or line breaks are not supported");
	if (send_cmd(s, err, "EXAMINE \"%s\"", mailbox) != 0 ||
	    complete(s, "EXAMINE", on_examine, &x, err) != 0)
		return -1;
	if (x.uidvalidity == 0)
		return mk_error_set(err, MK_ERR_PROTO, "the server sent no UIDVALIDITY for %s", mailbox);
	*uidvalidity_r = x.uidvalidity;
	*exists_r = x.exists;
	return 0;
}

struct search_ctx {
	uint64_t *uids;
	size_t n, cap;
	uint64_t after;
};

static int add_uid(void *vctx, uint64_t uid)
{
	struct search_ctx *x = vctx;

	if (uid <= x->after) /* "UID n:*" also returns the highest UID when none is newer */
		return 0;
	if (x->n == x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 64;
		uint64_t *nu = realloc(x->uids, nc * sizeof(*nu));
		if (nu == NULL)
			return -1;
		x->uids = nu;
		x->cap = nc;
	}
	x->uids[x->n++] = uid;
	return 0;
}

static int on_search(struct mk_imap *s, const struct mk_imap_line *r, void *vctx)
{
	(void)s;
	if (strncasecmp(r->after, "SEARCH", 6) == 0)
		return mk_imap_parse_search(r->after + 6, add_uid, vctx);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int mk_imap_uids_after(struct mk_imap *s, uint64_t after_uid, uint64_t **uids_r, size_t *n_r,
		       struct mk_error *err)
{
	struct search_ctx x = { NULL, 0, 0, after_uid };

	*uids_r = NULL;
	*n_r = 0;
	if (send_cmd(s, err, "UID SEARCH UID %llu:*", (unsigned long long)after_uid + 1) != 0 ||
	    complete(s, "UID SEARCH", on_search, &x, err) != 0) {
		free(x.uids);
		return -1;
	}
	if (x.n > 1)
		qsort(x.uids, x.n, sizeof(*x.uids), cmp_u64);
	*uids_r = x.uids;
	*n_r = x.n;
	return 0;
}

struct fetch_ctx {
	struct mk_buf *out;
	bool got;
};

static int on_fetch(struct mk_imap *s, const struct mk_imap_line *r, void *vctx)
{
	struct fetch_ctx *x = vctx;

	if (strstr(r->after, "FETCH") == NULL || strstr(r->after, "BODY[]") == NULL)
		return 0;
	if (mk_buf_add(x->out, s->lit.data ? s->lit.data : "", s->lit.len) != 0)
		return -1;
	x->got = true;
	return 0;
}

int mk_imap_fetch(struct mk_imap *s, uint64_t uid, struct mk_buf *msg, struct mk_error *err)
{
	struct fetch_ctx x = { msg, false };

	if (send_cmd(s, err, "UID FETCH %llu (BODY.PEEK[])", (unsigned long long)uid) != 0 ||
	    complete(s, "UID FETCH", on_fetch, &x, err) != 0)
		return -1;
	if (!x.got)
		return mk_error_set(err, MK_ERR_RESP, "message UID %llu is gone", (unsigned long long)uid);
	return 0;
}

/* The UID item of a FETCH response ("12 FETCH (UID 34 BODY[] {}...)"),
 * looked for at the top level of the item list only, so that a flag or a
 * quoted string cannot pose as it. Literal contents are not in the line. */
static int fetch_uid(const char *after, uint64_t *uid)
{
	const char *p = strstr(after, " FETCH (");
	int depth = 1;
	bool quoted = false;

	if (p == NULL)
		return -1;
	for (p += 8; *p != '\0' && depth > 0; p++) {
		if (quoted) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				quoted = false;
			continue;
		}
		if (*p == '"')
			quoted = true;
		else if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (depth == 1 && (p[-1] == '(' || p[-1] == ' ') && strncasecmp(p, "UID ", 4) == 0) {
			size_t n = strspn(p + 4, "0123456789");
			return mk_str_to_u64(p + 4, n, UINT32_MAX, uid);
		}
	}
	return -1;
}

/* A UID set for n ascending UIDs: runs of consecutive ones as a:b. */
static int uid_set(struct mk_buf *b, const uint64_t *uids, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (mk_buf_addf(b, i ? ",%llu" : "%llu", (unsigned long long)uids[i]) != 0 ||
		    (j > i && mk_buf_addf(b, ":%llu", (unsigned long long)uids[j]) != 0))
			return -1;
		i = j + 1;
	}
	return 0;
}

static bool in_uids(const uint64_t *uids, size_t n, uint64_t uid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (uids[mid] == uid)
			return true;
		if (uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int mk_imap_fetch_batch(struct mk_imap *s, const uint64_t *uids, size_t n,
			int (*fn)(void *ctx, uint64_t uid, const char *msg, size_t len, struct mk_error *err),
			void *ctx, struct mk_error *err)
{
	struct mk_buf set;
	struct mk_imap_line r;
	int rc;

	if (n == 0)
		return 0;
	mk_buf_init(&set, 64 * 1024);
	if (uid_set(&set, uids, n) != 0) {
		mk_buf_free(&set);
		return mk_error_set(err, MK_ERR_INTERNAL, "UID set too long");
	}
	/* One command for the batch: the server streams the messages back to
	 * back, with no round trip between them. */
	rc = send_cmd(s, err, "UID FETCH %s (BODY.PEEK[])", mk_buf_str(&set));
	mk_buf_free(&set);
	if (rc != 0)
		return -1;
	for (;;) {
		uint64_t uid;
		if (read_resp(s, &r, err) != 0)
			return -1;
		if (r.kind == MK_IMAP_UNTAGGED) {
			if (r.status != MK_IMAP_NONE || strstr(r.after, "BODY[]") == NULL ||
			    fetch_uid(r.after, &uid) != 0 || !in_uids(uids, n, uid))
				continue; /* EXISTS, FLAGS updates and the like */
			if (fn(ctx, uid, s->lit.data ? s->lit.data : "", s->lit.len, err) != 0) {
				/* The rest of the batch is still coming: the session
				 * cannot be used for LOGOUT. */
				s->broken = true;
				return -1;
			}
			continue;
		}
		if (r.kind == MK_IMAP_CONTINUE || strcmp(r.tag, s->tag) != 0) {
			s->broken = true;
			return mk_error_set(err, MK_ERR_PROTO, "unexpected IMAP response during UID FETCH");
		}
		if (r.status == MK_IMAP_OK)
			return 0;
		return mk_error_set(err, strcmp(r.code, "UNAVAILABLE") == 0 ? MK_ERR_TEMP : MK_ERR_RESP,
				    "UID FETCH failed: %s %s", r.status == MK_IMAP_NO ? "NO" : "BAD", r.text);
	}
}

struct list_ctx {
	int (*fn)(void *ctx, const char *mailbox);
	void *ctx;
};

static int on_list(struct mk_imap *s, const struct mk_imap_line *r, void *vctx)
{
	struct list_ctx *x = vctx;
	char name[1024];

	(void)s;
	if (strncasecmp(r->after, "LIST ", 5) != 0)
		return 0;
	if (mk_imap_parse_list(r->after + 5, name, sizeof(name)) != 0)
		return -1;
	return x->fn(x->ctx, name);
}

int mk_imap_list(struct mk_imap *s, int (*fn)(void *ctx, const char *mailbox), void *ctx,
		 struct mk_error *err)
{
	struct list_ctx x = { fn, ctx };

	if (send_cmd(s, err, "LIST \"\" \"*\"") != 0)
		return -1;
	return complete(s, "LIST", on_list, &x, err);
}

int mk_imap_append(struct mk_imap *s, const char *mailbox, const char *msg, size_t len, struct mk_error *err)
{
	struct mk_buf data, head;
	struct mk_imap_line r;
	bool nonsync;
	int rc = -1;

	if (!safe_mailbox(mailbox))
		return mk_error_set(
			err, MK_ERR_USAGE,
			"mailbox names with quotes, backslashes or line breaks are not supported");
	mk_buf_init(&data, s->literal_max);
	mk_buf_init(&head, 2048);
	for (size_t i = 0; i < len; i++) {
		int k = 0;
		if (msg[i] == '\r' || msg[i] == '\n') {
			k = mk_buf_add(&data, "\r\n", 2);
			if (msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n')
				i++;
		} else {
			k = mk_buf_addc(&data, msg[i]);
		}
		if (k != 0) {
			mk_error_set(err, MK_ERR_DATA, "the message is larger than %zu bytes",
				     s->literal_max);
			goto out;
		}
	}
	nonsync = mk_imap_literal_nonsync(s->caps, data.len);
	snprintf(s->tag, sizeof(s->tag), "a%u", ++s->next_tag);
	if (mk_buf_addf(&head, "%s APPEND \"%s\" {%zu%s}\r\n", s->tag, mailbox, data.len,
			nonsync ? "+" : "") != 0 ||
	    mk_conn_write(s->conn, head.data, head.len, false, 0, err) != 0)
		goto broken;
	if (!nonsync) {
		/* A synchronizing literal: wait for the go-ahead. */
		if (read_resp(s, &r, err) != 0)
			goto out;
		if (r.kind != MK_IMAP_CONTINUE) {
			mk_error_set(err,
				     r.kind == MK_IMAP_TAGGED && r.status == MK_IMAP_NO ? MK_ERR_RESP
											: MK_ERR_PROTO,
				     "APPEND refused: %s", r.text);
			goto out;
		}
	}
	if (mk_conn_write(s->conn, data.data, data.len, false, 0, err) != 0 ||
	    mk_conn_write(s->conn, "\r\n", 2, false, 0, err) != 0)
		goto broken;
	rc = complete(s, "APPEND", NULL, NULL, err);
	goto out;
broken:
	s->broken = true;
out:
	mk_buf_free(&data);
	mk_buf_free(&head);
	return rc;
}

struct mk_conn *mk_imap_detach(struct mk_imap **sp, char **caps_r)
{
	struct mk_imap *s = *sp;
	struct mk_conn *c;
	struct mk_error err;

	if (caps_r != NULL)
		*caps_r = NULL;
	if (s == NULL)
		return NULL;
	if (caps_r != NULL && !s->broken && !s->caps_fresh && capability(s, &err) != 0)
		s->caps_fresh = false;
	if (caps_r != NULL && s->caps_fresh && strncasecmp(s->caps, "CAPABILITY", 10) == 0) {
		const char *p = s->caps + 10;
		while (*p == ' ')
			p++;
		*caps_r = strdup(p);
	}
	c = s->broken ? NULL : s->conn;
	if (c != NULL)
		s->conn = NULL;
	mk_imap_close(&s); /* a broken connection is closed, not handed on */
	*sp = NULL;
	return c;
}

bool mk_imap_ended_by_server(const struct mk_imap *s)
{
	return s != NULL && s->bye;
}

void mk_imap_close(struct mk_imap **sp)
{
	struct mk_imap *s = *sp;
	struct mk_error err;

	if (s == NULL)
		return;
	if (s->conn != NULL && !s->broken && !s->bye && send_cmd(s, &err, "LOGOUT") == 0)
		complete(s, "LOGOUT", NULL, NULL, &err);
	mk_conn_free(&s->conn);
	mk_buf_free(&s->line);
	mk_buf_free(&s->lit);
	free(s);
	*sp = NULL;
}
