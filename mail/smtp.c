#include "mail/smtp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/str.h"
#include "mail/message.h"
#include "mail/sasl.h"
#include "mail/smtp_reply.h"

/* RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with CRLF. */
#define MK_SMTP_CMD_MAX 512
#define MK_SMTP_DATA_MAX ((size_t)80 << 20)

struct mk_smtp {
	struct mk_conn *conn;
	struct mk_smtp_caps caps;
	struct mk_buf line;
	char *host;
	bool broken; /* the conversation is out of step: no QUIT */
};

static int read_reply(struct mk_smtp *s, struct mk_smtp_reply *r, struct mk_error *err)
{
	int more;

	mk_smtp_reply_free(r);
	mk_smtp_reply_init(r);
	do {
		if (mk_conn_read_line(s->conn, &s->line, err) != 0)
			goto broken;
		more = mk_smtp_reply_feed(r, mk_buf_str(&s->line), s->line.len, err);
		if (more < 0)
			goto broken;
	} while (more == 1);
	return 0;
broken:
	s->broken = true;
	return -1;
}

static int command(struct mk_smtp *s, struct mk_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int command(struct mk_smtp *s, struct mk_error *err, const char *fmt, ...)
{
	char line[MK_SMTP_CMD_MAX + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > MK_SMTP_CMD_MAX - 2)
		return mk_error_set(err, MK_ERR_DATA, "SMTP command longer than 512 octets");
	memcpy(line + n, "\r\n", 3);
	if (mk_conn_write(s->conn, line, (size_t)n + 2, false, 0, err) != 0) {
		s->broken = true;
		return -1;
	}
	return 0;
}

/* Map a failed reply to an error class: 4xx is temporary. */
static int reply_error(const struct mk_smtp_reply *r, const char *what, struct mk_error *err)
{
	return mk_error_set(err, r->code >= 400 && r->code < 500 ? MK_ERR_TEMP : MK_ERR_RESP, "%s: %u %s",
			    what, r->code, mk_buf_str(&r->text));
}

static int ehlo(struct mk_smtp *s, const char *name, struct mk_error *err)
{
	struct mk_smtp_reply r;
	int rc = -1;

	mk_smtp_reply_init(&r);
	if (command(s, err, "EHLO %s", name) != 0 || read_reply(s, &r, err) != 0)
		goto out;
	if (r.code != 250) {
		reply_error(&r, "the server refused EHLO", err);
		goto out;
	}
	mk_smtp_caps_parse(&r, &s->caps);
	rc = 0;
out:
	mk_smtp_reply_free(&r);
	return rc;
}

/* SASL driver callbacks for SMTP (RFC 4954). */
static int sasl_send_auth(void *ctx, const char *mech, const char *ir, struct mk_error *err)
{
	struct mk_smtp *s = ctx;

	return mk_sasl_write_auth(s->conn, "AUTH", mech, ir, err);
}

static int sasl_send_line(void *ctx, const char *b64, size_t len, struct mk_error *err)
{
	struct mk_smtp *s = ctx;

	return mk_sasl_write_response(s->conn, b64, len, err);
}

static int sasl_read_reply(void *ctx, enum mk_sasl_reply_kind *kind, struct mk_buf *payload,
			   struct mk_error *err)
{
	struct mk_smtp *s = ctx;
	struct mk_smtp_reply r;
	int rc = -1;

	mk_smtp_reply_init(&r);
	if (read_reply(s, &r, err) != 0)
		goto out;
	if (r.code == 334)
		*kind = MK_SASL_REPLY_CONTINUE;
	else if (r.code == 235)
		*kind = MK_SASL_REPLY_OK;
	else if (r.code >= 400 && r.code < 500)
		*kind = MK_SASL_REPLY_TEMPFAIL;
	else if (r.code == 535 || r.code == 534 || r.code == 501 || r.code == 530)
		*kind = MK_SASL_REPLY_FAIL;
	else
		*kind = MK_SASL_REPLY_BAD;
	if (*kind != MK_SASL_REPLY_CONTINUE && mk_buf_addf(payload, "%u ", r.code) != 0)
		goto out;
	if (mk_buf_addstr(payload, mk_buf_str(&r.text)) != 0)
		goto out;
	rc = 0;
out:
	mk_smtp_reply_free(&r);
	return rc;
}

int mk_smtp_open(const struct mk_smtp_params *p, struct mk_smtp **r, bool *token_expired,
		 struct mk_error *err)
{
	struct mk_smtp *s = calloc(1, sizeof(*s));
	struct mk_smtp_reply greet;
	struct mk_sasl_creds creds = { p->user, p->token, p->conn.host, p->conn.port };
	struct mk_sasl_result res;
	const char *name = p->helo != NULL ? p->helo : "localhost";
	const struct mk_sasl_mech *mech = p->mech;
	/* "AUTH " + mech + " " + IR + CRLF must fit in 512 octets. */
	struct mk_sasl_proto proto = { "SMTP",
				       MK_SMTP_CMD_MAX - 2 - 6 - strlen(p->mech->name),
				       true,
				       sasl_send_auth,
				       sasl_send_line,
				       sasl_read_reply,
				       s };
	int rc = -1;

	*r = NULL;
	*token_expired = false;
	mk_smtp_reply_init(&greet);
	if (s == NULL)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	mk_buf_init(&s->line, 16384);
	if (mk_conn_open(&p->conn, &s->conn, err) != 0)
		goto out;
	if (read_reply(s, &greet, err) != 0)
		goto out;
	if (greet.code != 220) {
		reply_error(&greet, "the server's greeting refuses service", err);
		goto out;
	}
	if (ehlo(s, name, err) != 0)
		goto out;
	if (!p->conn.implicit_tls) {
		/* Never authenticate in the clear: STARTTLS or nothing. */
		if (!s->caps.starttls) {
			mk_error_set(err, MK_ERR_IMPL,
				     "%s:%u does not offer STARTTLS; refusing to send a token in the clear",
				     p->conn.host, p->conn.port);
			goto out;
		}
		if (command(s, err, "STARTTLS") != 0 || read_reply(s, &greet, err) != 0)
			goto out;
		if (greet.code != 220) {
			reply_error(&greet, "STARTTLS refused", err);
			goto out;
		}
		if (mk_conn_starttls(s->conn, err) != 0) {
			s->broken = true;
			goto out;
		}
		/* RFC 3207 §4.2: forget what was said in the clear. */
		if (ehlo(s, name, err) != 0)
			goto out;
	}
	if (!mk_smtp_caps_has_auth(&s->caps, mech->name) && p->mech_alt != NULL &&
	    mk_smtp_caps_has_auth(&s->caps, p->mech_alt->name)) {
		mech = p->mech_alt;
		proto.max_ir_len = MK_SMTP_CMD_MAX - 2 - 6 - strlen(mech->name);
	}
	if (!mk_smtp_caps_has_auth(&s->caps, mech->name)) {
		mk_error_set(err, MK_ERR_IMPL, "%s:%u does not offer AUTH %s (it offers:%s)", p->conn.host,
			     p->conn.port, mech->name, s->caps.auth[0] ? s->caps.auth : " none");
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
	mk_smtp_reply_free(&greet);
	mk_smtp_close(&s);
	return rc;
}

static bool safe_arg(const char *a)
{
	return !mk_str_has_crlfnul(a, strlen(a)) && strchr(a, '<') == NULL && strchr(a, '>') == NULL;
}

int mk_smtp_send(struct mk_smtp *s, const char *from, const char *const *rcpts, size_t n, const char *msg,
		 size_t len, struct mk_smtp_rcpt_result *results, struct mk_error *err)
{
	struct mk_smtp_reply r, mail;
	struct mk_buf data, params, batch;
	bool eight = mk_msg_is_8bit(msg, len), utf8 = false, temp = false, pipelined;
	size_t refused = 0;
	int rc = -1;

	mk_smtp_reply_init(&r);
	mk_smtp_reply_init(&mail);
	mk_buf_init(&data, MK_SMTP_DATA_MAX);
	mk_buf_init(&params, 256);
	mk_buf_init(&batch, (size_t)1 << 20);
	/* CR, LF or NUL in an argument would start a new command. */
	if (!safe_arg(from))
		return mk_error_set(err, MK_ERR_DATA, "the sender address contains forbidden characters");
	for (size_t i = 0; i < n; i++) {
		if (!safe_arg(rcpts[i]) || rcpts[i][0] == '\0')
			return mk_error_set(err, MK_ERR_DATA, "recipient %zu contains forbidden characters",
					    i + 1);
		if (mk_msg_is_8bit(rcpts[i], strlen(rcpts[i])))
			utf8 = true;
	}
	if (mk_msg_is_8bit(from, strlen(from)))
		utf8 = true;
	if (utf8 && !s->caps.smtputf8) {
		mk_error_set(err, MK_ERR_IMPL, "the server does not offer SMTPUTF8 for non-ASCII addresses");
		goto out;
	}
	if (mk_msg_to_data(msg, len, &data) != 0) {
		mk_error_set(err, MK_ERR_DATA, "the message is larger than %zu bytes", MK_SMTP_DATA_MAX);
		goto out;
	}
	if (s->caps.size_known && s->caps.size_max > 0 && data.len > s->caps.size_max) {
		mk_error_set(err, MK_ERR_RESP,
			     "the message (%zu bytes) is larger than the server accepts (%llu)", data.len,
			     s->caps.size_max);
		goto out;
	}
	if (s->caps.size_known)
		mk_buf_addf(&params, " SIZE=%zu", data.len);
	if (eight && s->caps.eightbitmime)
		mk_buf_addstr(&params, " BODY=8BITMIME");
	if (utf8)
		mk_buf_addstr(&params, " SMTPUTF8");
	/* RFC 2920: with PIPELINING, MAIL and every RCPT go in one write and
	 * the replies are read in order; DATA waits for them (all or nothing). */
	pipelined = s->caps.pipelining;
	if (pipelined) {
		if (mk_buf_addf(&batch, "MAIL FROM:<%s>%s\r\n", from, mk_buf_str(&params)) != 0)
			goto toolong;
		for (size_t i = 0; i < n; i++)
			if (strlen(rcpts[i]) > MK_SMTP_CMD_MAX - 12 ||
			    mk_buf_addf(&batch, "RCPT TO:<%s>\r\n", rcpts[i]) != 0)
				goto toolong;
		if (mk_conn_write(s->conn, batch.data, batch.len, false, 0, err) != 0) {
			s->broken = true;
			goto out;
		}
	} else if (command(s, err, "MAIL FROM:<%s>%s", from, mk_buf_str(&params)) != 0) {
		goto out;
	}
	if (read_reply(s, &mail, err) != 0)
		goto out;
	if (mail.code != 250 && !pipelined) {
		reply_error(&mail, "the sender was refused", err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((!pipelined && command(s, err, "RCPT TO:<%s>", rcpts[i]) != 0) ||
		    read_reply(s, &r, err) != 0)
			goto out;
		if (results != NULL) {
			results[i].code = r.code;
			snprintf(results[i].text, sizeof(results[i].text), "%s", mk_buf_str(&r.text));
		}
		if (r.code != 250 && r.code != 251) {
			refused++;
			temp = temp || (r.code >= 400 && r.code < 500);
			mk_log(MK_LOG_WARN, "recipient %s refused: %u %s", rcpts[i], r.code,
			       mk_buf_str(&r.text));
		}
	}
	if (mail.code != 250) {
		reply_error(&mail, "the sender was refused", err);
		goto out;
	}
	if (refused > 0) {
		/* All or nothing: a partial send could not be retried without
		 * duplicates, so the message stays with the caller. */
		command(s, err, "RSET");
		read_reply(s, &r, err);
		mk_error_set(err, temp ? MK_ERR_TEMP : MK_ERR_RESP,
			     "%zu of %zu recipient%s refused; nothing was sent", refused, n,
			     n == 1 ? "" : "s");
		goto out;
	}
	if (command(s, err, "DATA") != 0 || read_reply(s, &r, err) != 0)
		goto out;
	if (r.code != 354) {
		reply_error(&r, "the server refused DATA", err);
		goto out;
	}
	if (mk_conn_write(s->conn, data.data, data.len, false, 0, err) != 0 || read_reply(s, &r, err) != 0) {
		s->broken = true;
		mk_error_prefix(err, "the message may not have been accepted");
		if (err->cls == MK_ERR_PROTO)
			err->cls = MK_ERR_TEMP;
		goto out;
	}
	if (r.code != 250) {
		reply_error(&r, "the server refused the message", err);
		goto out;
	}
	mk_log(MK_LOG_DEBUG, "accepted: %s", mk_buf_str(&r.text));
	rc = 0;
	goto out;
toolong:
	mk_error_set(err, MK_ERR_DATA, "too many or too long recipients for one transaction");
out:
	mk_smtp_reply_free(&r);
	mk_smtp_reply_free(&mail);
	mk_buf_free(&data);
	mk_buf_free(&params);
	mk_buf_free(&batch);
	return rc;
}

int mk_smtp_rset(struct mk_smtp *s, struct mk_error *err)
{
	struct mk_smtp_reply r;
	int rc = -1;

	mk_smtp_reply_init(&r);
	if (command(s, err, "RSET") != 0 || read_reply(s, &r, err) != 0)
		goto out;
	if (r.code != 250) {
		/* 421 and the like: the server is ending the session. */
		s->broken = r.code == 421;
		reply_error(&r, "the server refused RSET", err);
		goto out;
	}
	rc = 0;
out:
	mk_smtp_reply_free(&r);
	return rc;
}

bool mk_smtp_usable(const struct mk_smtp *s)
{
	return s != NULL && !s->broken;
}

struct mk_conn *mk_smtp_detach(struct mk_smtp **sp)
{
	struct mk_smtp *s = *sp;
	struct mk_conn *c;

	if (s == NULL)
		return NULL;
	c = s->broken ? NULL : s->conn;
	if (c != NULL)
		s->conn = NULL;
	mk_smtp_close(&s);
	*sp = NULL;
	return c;
}

void mk_smtp_close(struct mk_smtp **sp)
{
	struct mk_smtp *s = *sp;
	struct mk_error err;

	if (s == NULL)
		return;
	if (s->conn != NULL && !s->broken && command(s, &err, "QUIT") == 0) {
		struct mk_smtp_reply r;
		mk_smtp_reply_init(&r);
		read_reply(s, &r, &err);
		mk_smtp_reply_free(&r);
	}
	mk_conn_free(&s->conn);
	mk_buf_free(&s->line);
	free(s->host);
	free(s);
	*sp = NULL;
}
