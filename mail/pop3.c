#include "mail/pop3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "mail/pop3_resp.h"
#include "mail/sasl.h"

/* RFC 5034 §4: the AUTH command with its initial response is at most 255
 * octets, CRLF included. */
#define MK_POP3_AUTH_LINE_MAX 255
#define MK_POP3_MSG_MAX ((size_t)64 << 20)

struct mk_pop3 {
	struct mk_conn *conn;
	struct mk_buf line;
	char capa[1024];
	size_t message_max;
	bool broken;
};

static int read_line(struct mk_pop3 *s, struct mk_pop3_resp *r, struct mk_error *err)
{
	if (mk_conn_read_line(s->conn, &s->line, err) != 0) {
		s->broken = true;
		return -1;
	}
	mk_pop3_parse(mk_buf_str(&s->line), r);
	if (r->kind == MK_POP3_MALFORMED) {
		s->broken = true;
		return mk_error_set(err, MK_ERR_PROTO, "malformed POP3 response: '%.80s'",
				    mk_buf_str(&s->line));
	}
	return 0;
}

static int cmd(struct mk_pop3 *s, struct mk_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int cmd(struct mk_pop3 *s, struct mk_error *err, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		return mk_error_set(err, MK_ERR_DATA, "POP3 command too long");
	memcpy(line + n, "\r\n", 3);
	if (mk_conn_write(s->conn, line, (size_t)n + 2, false, 0, err) != 0) {
		s->broken = true;
		return -1;
	}
	return 0;
}

/* Send a command and expect +OK. */
static int simple(struct mk_pop3 *s, const char *what, struct mk_error *err)
{
	struct mk_pop3_resp r;

	if (cmd(s, err, "%s", what) != 0 || read_line(s, &r, err) != 0)
		return -1;
	if (r.kind != MK_POP3_OK)
		return mk_error_set(err,
				    strcmp(r.code, "SYS/TEMP") == 0 || strcmp(r.code, "IN-USE") == 0
					    ? MK_ERR_TEMP
					    : MK_ERR_RESP,
				    "%s refused: -ERR %s", what, r.text);
	return 0;
}

static int multiline(struct mk_pop3 *s, struct mk_buf *out, struct mk_error *err)
{
	for (;;) {
		int k;
		if (mk_conn_read_line(s->conn, &s->line, err) != 0) {
			s->broken = true;
			return -1;
		}
		k = mk_pop3_multiline_feed(mk_buf_str(&s->line), s->line.len, out);
		if (k == 1)
			return 0;
		if (k < 0) {
			s->broken = true;
			return mk_error_set(err, MK_ERR_PROTO, "POP3 data larger than %zu bytes", out->max);
		}
	}
}

static int capa(struct mk_pop3 *s, struct mk_error *err)
{
	struct mk_buf b;
	int rc;

	mk_buf_init(&b, sizeof(s->capa) - 1);
	rc = simple(s, "CAPA", err) == 0 ? multiline(s, &b, err) : -1;
	if (rc == 0) {
		for (size_t i = 0; i < b.len; i++)
			if (b.data[i] == '\r')
				b.data[i] = ' ';
		snprintf(s->capa, sizeof(s->capa), "%s", mk_buf_str(&b));
	}
	mk_buf_free(&b);
	return rc;
}

static int sasl_send_auth(void *ctx, const char *mech, const char *ir, struct mk_error *err)
{
	struct mk_pop3 *s = ctx;

	return mk_sasl_write_auth(s->conn, "AUTH", mech, ir, err);
}

static int sasl_send_line(void *ctx, const char *b64, size_t len, struct mk_error *err)
{
	struct mk_pop3 *s = ctx;

	return mk_sasl_write_response(s->conn, b64, len, err);
}

static int sasl_read_reply(void *ctx, enum mk_sasl_reply_kind *kind, struct mk_buf *payload,
			   struct mk_error *err)
{
	struct mk_pop3 *s = ctx;
	struct mk_pop3_resp r;

	if (read_line(s, &r, err) != 0)
		return -1;
	*kind = r.kind == MK_POP3_CONTINUE	  ? MK_SASL_REPLY_CONTINUE
		: r.kind == MK_POP3_OK		  ? MK_SASL_REPLY_OK
		: strcmp(r.code, "SYS/TEMP") == 0 ? MK_SASL_REPLY_TEMPFAIL
						  : MK_SASL_REPLY_FAIL;
	if (*kind != MK_SASL_REPLY_CONTINUE && r.code[0] != '\0' &&
	    mk_buf_addf(payload, "[%s] ", r.code) != 0)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	return mk_buf_addstr(payload, r.text) == 0 ? 0
						   : mk_error_set(err, MK_ERR_PROTO, "POP3 reply too long");
}

int mk_pop3_open(const struct mk_pop3_params *p, struct mk_pop3 **r, bool *token_expired,
		 struct mk_error *err)
{
	struct mk_pop3 *s = calloc(1, sizeof(*s));
	struct mk_pop3_resp g;
	const struct mk_sasl_mech *mech = p->mech;
	struct mk_sasl_creds creds = { p->user, p->token, p->conn.host, p->conn.port };
	struct mk_sasl_result res;
	struct mk_sasl_proto proto = { "POP3",
				       MK_POP3_AUTH_LINE_MAX - 2 - 6 - strlen(p->mech->name),
				       true,
				       sasl_send_auth,
				       sasl_send_line,
				       sasl_read_reply,
				       s };
	int rc = -1;

	*r = NULL;
	*token_expired = false;
	if (s == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	s->message_max = p->message_max ? p->message_max : MK_POP3_MSG_MAX;
	mk_buf_init(&s->line, 65536);
	if (mk_conn_open(&p->conn, &s->conn, err) != 0 || read_line(s, &g, err) != 0)
		goto out;
	if (g.kind != MK_POP3_OK) {
		mk_error_set(err, MK_ERR_TEMP, "the POP3 server's greeting: -ERR %s", g.text);
		goto out;
	}
	if (capa(s, err) != 0)
		goto out;
	if (!p->conn.implicit_tls) {
		if (!mk_pop3_capa_has(s->capa, "STLS")) {
			mk_error_set(err, MK_ERR_IMPL,
				     "%s:%u does not offer STLS; refusing to send a token in the clear",
				     p->conn.host, p->conn.port);
			goto out;
		}
		if (simple(s, "STLS", err) != 0)
			goto out;
		if (mk_conn_starttls(s->conn, err) != 0) {
			s->broken = true;
			goto out;
		}
		if (capa(s, err) != 0) /* RFC 2595 §4: capabilities may change */
			goto out;
	}
	if (!mk_pop3_capa_has(s->capa, mech->name) && p->mech_alt != NULL &&
	    mk_pop3_capa_has(s->capa, p->mech_alt->name)) {
		mech = p->mech_alt;
		proto.max_ir_len = MK_POP3_AUTH_LINE_MAX - 2 - 6 - strlen(mech->name);
	}
	if (!mk_pop3_capa_has(s->capa, mech->name)) {
		mk_error_set(err, MK_ERR_IMPL, "%s:%u does not offer SASL %s", p->conn.host, p->conn.port,
			     mech->name);
		goto out;
	}
	if (mk_sasl_authenticate(&proto, mech, &creds, p->force_two_step, &res, err) != 0) {
		*token_expired = res.token_expired || res.had_challenge;
		goto out;
	}
	*r = s;
	s = NULL;
	rc = 0;
out:
	mk_pop3_close(&s);
	return rc;
}

/* "+OK a b": two numbers after the status. */
static int two_numbers(struct mk_pop3 *s, const char *c, unsigned long long *a, unsigned long long *b,
		       struct mk_error *err)
{
	struct mk_pop3_resp r;
	const char *t, *sp;
	uint64_t x, y;

	if (cmd(s, err, "%s", c) != 0 || read_line(s, &r, err) != 0)
		return -1;
	if (r.kind != MK_POP3_OK)
		return mk_error_set(err, MK_ERR_RESP, "%s refused: -ERR %s", c, r.text);
	t = r.text;
	sp = strchr(t, ' ');
	if (sp == NULL || mk_str_to_u64(t, (size_t)(sp - t), UINT64_MAX, &x) != 0 ||
	    mk_str_to_u64(sp + 1, strcspn(sp + 1, " "), UINT64_MAX, &y) != 0)
		return mk_error_set(err, MK_ERR_PROTO, "malformed answer to %s: '%.60s'", c, r.text);
	*a = x;
	*b = y;
	return 0;
}

int mk_pop3_stat(struct mk_pop3 *s, unsigned *count_r, unsigned long long *octets_r, struct mk_error *err)
{
	unsigned long long n = 0; /* gcc -O3 cannot see that two_numbers sets it on success */

	if (two_numbers(s, "STAT", &n, octets_r, err) != 0)
		return -1;
	if (n > UINT32_MAX)
		return mk_error_set(err, MK_ERR_PROTO, "implausible message count");
	*count_r = (unsigned)n;
	return 0;
}

int mk_pop3_size(struct mk_pop3 *s, unsigned num, unsigned long long *octets_r, struct mk_error *err)
{
	char c[32];
	unsigned long long n = 0; /* as in mk_pop3_stat */

	snprintf(c, sizeof(c), "LIST %u", num);
	if (two_numbers(s, c, &n, octets_r, err) != 0)
		return -1;
	if (n != num)
		return mk_error_set(err, MK_ERR_PROTO, "LIST %u answered for message %llu", num, n);
	return 0;
}

int mk_pop3_uidl(struct mk_pop3 *s, struct mk_pop3_msg **msgs_r, size_t *n_r, struct mk_error *err)
{
	struct mk_buf b;
	struct mk_pop3_msg *m = NULL;
	size_t n = 0, cap = 0;
	int rc = -1;

	*msgs_r = NULL;
	*n_r = 0;
	mk_buf_init(&b, (size_t)16 << 20);
	if (simple(s, "UIDL", err) != 0 || multiline(s, &b, err) != 0)
		goto out;
	for (char *line = b.data, *next; line != NULL && *line != '\0'; line = next) {
		char *sp, *end = strstr(line, "\r\n");
		unsigned num;
		next = end != NULL ? end + 2 : NULL;
		if (end != NULL)
			*end = '\0';
		sp = strchr(line, ' ');
		if (sp == NULL || strlen(sp + 1) == 0 || strlen(sp + 1) > 70) {
			mk_error_set(err, MK_ERR_PROTO, "malformed UIDL line");
			goto out;
		}
		*sp = '\0';
		if (mk_str_to_uint(line, 1000000000, &num) != 0) {
			mk_error_set(err, MK_ERR_PROTO, "malformed UIDL line");
			goto out;
		}
		if (n == cap) {
			struct mk_pop3_msg *nm = realloc(m, (cap = cap ? cap * 2 : 64) * sizeof(*m));
			if (nm == NULL) {
				mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
				goto out;
			}
			m = nm;
		}
		m[n].num = num;
		snprintf(m[n].uidl, sizeof(m[n].uidl), "%s", sp + 1);
		n++;
	}
	*msgs_r = m;
	*n_r = n;
	m = NULL;
	rc = 0;
out:
	free(m);
	mk_buf_free(&b);
	return rc;
}

int mk_pop3_retr(struct mk_pop3 *s, unsigned num, struct mk_buf *msg, struct mk_error *err)
{
	char c[32];
	unsigned long long size;

	/* Refuse before downloading what would not fit. */
	if (mk_pop3_size(s, num, &size, err) != 0)
		return -1;
	if (size > msg->max)
		return mk_error_set(err, MK_ERR_DATA, "message %u is %llu bytes, more than the %zu allowed",
				    num, size, msg->max);

	snprintf(c, sizeof(c), "RETR %u", num);
	if (simple(s, c, err) != 0)
		return -1;
	return multiline(s, msg, err);
}

struct mk_conn *mk_pop3_detach(struct mk_pop3 **sp)
{
	struct mk_pop3 *s = *sp;
	struct mk_conn *c;

	if (s == NULL)
		return NULL;
	c = s->broken ? NULL : s->conn;
	if (c != NULL)
		s->conn = NULL;
	mk_pop3_close(&s);
	*sp = NULL;
	return c;
}

void mk_pop3_close(struct mk_pop3 **sp)
{
	struct mk_pop3 *s = *sp;
	struct mk_error err;
	struct mk_pop3_resp r;

	if (s == NULL)
		return;
	if (s->conn != NULL && !s->broken && cmd(s, &err, "QUIT") == 0)
		read_line(s, &r, &err);
	mk_conn_free(&s->conn);
	mk_buf_free(&s->line);
	free(s);
	*sp = NULL;
}
