/* The gateway's SMTP submission side before AUTH (front.h): greeting, EHLO,
 * STARTTLS, AUTH PLAIN/LOGIN (RFC 5321, 3207, 4954), answered here; nothing
 * reaches the upstream until the login callback succeeds. The upstream
 * (Postfix, Gmail, Microsoft 365) has then been greeted and EHLO'd by the
 * gateway, and the client's MAIL FROM goes to it through the relay: so EHLO
 * here lists only extensions every such server has, and no SIZE (the limit
 * is the upstream's, which the gateway does not know before login). */
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/secret.h"
#include "gateway/front.h"
#include "gateway/lconn.h"
#include "gateway/sasl_local.h"
#include "gateway/smtp_cmd.h"

enum step {
	STEP_NEXT = 0, /* read the next command */
	STEP_LOGGED_IN,
	STEP_CLOSE, /* the client left or was sent away */
	STEP_ERROR, /* internal: err is set */
};

struct smtp {
	const struct gw_front_params *p;
	struct gw_lconn *lc;
	const char *hostname;
	size_t line_max;
	unsigned max_failures;
	unsigned max_commands;
	unsigned failures;
	unsigned commands;
	bool greeted;	    /* EHLO or HELO since the start or since STARTTLS */
	struct mk_buf line; /* secret: AUTH lines pass through it */
	struct gw_upstream *up;
	struct mk_error *err;
};

/* On a listener that requires TLS, no AUTH before it (RFC 4954 §4: the
 * server may refuse it; it is not even listed). */
static bool auth_allowed(const struct smtp *s)
{
	return !s->p->require_tls || gw_lconn_is_tls(s->lc);
}

/* A multi-line reply is traced line by line, as the client reads it. */
static void trace_reply(const char *r, size_t n)
{
	while (n > 0) {
		const char *e = memchr(r, '\r', n);
		size_t k = e != NULL ? (size_t)(e - r) : n;
		mk_log_proto("S", r, k, false, 0);
		if (e == NULL)
			break;
		k += (k + 1 < n && r[k + 1] == '\n') ? 2 : 1;
		r += k;
		n -= k;
	}
}

/* Send one reply (lines already joined with CRLF; the last CRLF added) and
 * trace it. A client that went away ends the dialogue. */
static enum step reply(struct smtp *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static enum step reply(struct smtp *s, const char *fmt, ...)
{
	struct mk_buf b;
	va_list ap;
	enum step st = STEP_NEXT;
	int r;

	mk_buf_init(&b, 4096);
	va_start(ap, fmt);
	r = mk_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (r == 0) {
		trace_reply(mk_buf_str(&b), b.len);
		r = mk_buf_add(&b, "\r\n", 2);
	}
	if (r != 0) {
		mk_buf_free(&b);
		mk_error_set(s->err, MK_ERR_INTERNAL, "SMTP reply too long or out of memory");
		return STEP_ERROR;
	}
	if (gw_lconn_write(s->lc, b.data, b.len, s->err) != 0)
		st = s->err->cls == MK_ERR_CONN ? STEP_CLOSE : STEP_ERROR;
	mk_buf_free(&b);
	return st;
}

/* A reply after which the connection closes. */
static enum step reply_close(struct smtp *s, const char *text)
{
	return reply(s, "%s", text) == STEP_ERROR ? STEP_ERROR : STEP_CLOSE;
}

/* The verbs the trace names; smtp_cmd.c's, but none of their arguments
 * save EHLO's and HELO's domain: a client that is out of step (AUTH LOGIN
 * before EHLO, refused) sends its base64 password where we read a
 * command. */
static const char *const trace_verbs[] = { "EHLO", "HELO", "AUTH", "STARTTLS", "RSET", "NOOP", "QUIT", "HELP",
					   "MAIL", "RCPT", "DATA", "BDAT",     "VRFY", "EXPN", "ETRN" };

/* How much of a client line the trace may show: a known verb (EHLO, HELO:
 * with the domain; AUTH: with its mechanism), the rest redacted; a line
 * that starts with no known verb may be a password, redacted whole.
 * Decided on the raw bytes, before the parser, so that a line the parser
 * refuses is redacted too. */
static size_t trace_keep(const char *l, size_t n, bool *sensitive)
{
	const char *sp = memchr(l, ' ', n);
	size_t w = sp != NULL ? (size_t)(sp - l) : n;

	*sensitive = true;
	for (size_t i = 0; i < sizeof(trace_verbs) / sizeof(trace_verbs[0]); i++) {
		if (w != strlen(trace_verbs[i]) || strncasecmp(l, trace_verbs[i], w) != 0)
			continue;
		if (w == n || strcmp(trace_verbs[i], "EHLO") == 0 || strcmp(trace_verbs[i], "HELO") == 0) {
			*sensitive = false; /* the verb alone, or EHLO/HELO domain */
			return n;
		}
		if (strcmp(trace_verbs[i], "AUTH") == 0) { /* the mechanism is no secret, the response is */
			sp = n > w + 1 ? memchr(l + w + 1, ' ', n - w - 1) : NULL;
			return sp != NULL ? (size_t)(sp - l) : n;
		}
		return w;
	}
	return 0;
}

/* Read one line into s->line; a too-long one is answered here. sasl: a
 * SASL response, traced as <redacted> whole. */
static enum step read_line(struct smtp *s, bool sasl)
{
	bool sensitive = sasl;
	size_t keep = 0;

	if (gw_lconn_read_line(s->lc, &s->line, s->line_max, s->err) != 0) {
		if (s->err->cls == MK_ERR_PROTO) {
			mk_log(MK_LOG_DEBUG, "smtp: %s", s->err->msg);
			return reply_close(s, "500 5.5.2 Line too long");
		}
		return s->err->cls == MK_ERR_CONN ? STEP_CLOSE : STEP_ERROR;
	}
	if (!sasl)
		keep = trace_keep(mk_buf_str(&s->line), s->line.len, &sensitive);
	mk_log_proto("C", mk_buf_str(&s->line), s->line.len, sensitive, keep);
	return STEP_NEXT;
}

static void one_line(const char *in, char *out, size_t size)
{
	size_t i = 0;

	for (; in[i] != '\0' && i + 1 < size; i++)
		out[i] = ((unsigned char)in[i] < 0x20 || in[i] == 0x7f) ? ' ' : in[i];
	out[i] = '\0';
}

static enum step do_login(struct smtp *s, const char *user, const char *pass)
{
	struct mk_error lerr;
	char text[MK_ERROR_MSG_SIZE];
	enum step st;

	mk_error_init(&lerr);
	if (s->p->ops.login(s->p->ops.ctx, GW_SMTP, user, pass, &s->up, &lerr) == 0 && s->up != NULL) {
		/* The upstream is the caller's now, whatever the write does: a
		 * client that vanished this moment is seen by the relay. */
		(void)reply(s, "235 2.7.0 Authentication successful");
		return STEP_LOGGED_IN;
	}
	s->up = NULL;
	if (lerr.cls == MK_ERR_AUTH) {
		st = reply(s, "535 5.7.8 Authentication credentials invalid");
		if (st == STEP_NEXT && ++s->failures >= s->max_failures)
			st = reply_close(s, "421 4.7.0 Too many failed authentications, closing");
		return st;
	}
	/* RFC 4954 §6: 454 4.7.0 is the temporary authentication failure. */
	one_line(lerr.cls == MK_ERR_NONE ? "login failed" : lerr.msg, text, sizeof(text));
	return reply(s, "454 4.7.0 %s", text);
}

/* "334 chall", then the client's response in s->line. *cancel: it sent
 * "*" (RFC 4954 §4), already answered. */
static enum step sasl_step(struct smtp *s, const char *chall, bool *cancel)
{
	enum step st;

	*cancel = false;
	if ((st = reply(s, "334 %s", chall)) != STEP_NEXT)
		return st;
	if ((st = read_line(s, true)) != STEP_NEXT)
		return st;
	if (s->line.len == 1 && s->line.data[0] == '*') {
		*cancel = true;
		return reply(s, "501 5.7.0 Authentication cancelled");
	}
	return STEP_NEXT;
}

static enum step bad_sasl(struct smtp *s, const struct mk_error *derr)
{
	if (derr->cls != MK_ERR_DATA) {
		*s->err = *derr;
		return STEP_ERROR;
	}
	/* Malformed is not wrong: not a failure; max_commands bounds it. */
	mk_log(MK_LOG_DEBUG, "smtp: %s", derr->msg);
	return reply(s, "501 5.5.2 Cannot decode the SASL response");
}

static enum step auth_plain(struct smtp *s, const struct gw_smtp_cmd *c)
{
	struct mk_error derr;
	char *user = NULL, *pass = NULL;
	bool cancel = false;
	enum step st = STEP_NEXT;
	int r;

	if (c->has_ir) {
		r = gw_sasl_plain_decode(c->ir, c->ir_len, &user, &pass, &derr);
	} else {
		/* RFC 4954 §4: an empty challenge is "334 " */
		st = sasl_step(s, "", &cancel);
		if (st != STEP_NEXT || cancel)
			goto out;
		r = gw_sasl_plain_decode(s->line.data, s->line.len, &user, &pass, &derr);
	}
	st = r == 0 ? do_login(s, user, pass) : bad_sasl(s, &derr);
out:
	mk_buf_reset(&s->line);
	mk_secret_free_str(user);
	mk_secret_free_str(pass);
	return st;
}

/* AUTH LOGIN: "Username:" and "Password:" challenges; "AUTH LOGIN b64"
 * carries the user name (what Outlook and msmtp may send). */
static enum step auth_login(struct smtp *s, const struct gw_smtp_cmd *c)
{
	struct mk_error derr;
	char *user = NULL, *pass = NULL;
	bool cancel = false;
	enum step st = STEP_NEXT;

	if (c->has_ir) {
		if (gw_sasl_login_decode(c->ir, c->ir_len, &user, &derr) != 0)
			goto bad;
	} else {
		st = sasl_step(s, "VXNlcm5hbWU6", &cancel); /* "Username:" */
		if (st != STEP_NEXT || cancel)
			goto out;
		if (gw_sasl_login_decode(s->line.data, s->line.len, &user, &derr) != 0)
			goto bad;
	}
	st = sasl_step(s, "UGFzc3dvcmQ6", &cancel); /* "Password:" */
	if (st != STEP_NEXT || cancel)
		goto out;
	if (gw_sasl_login_decode(s->line.data, s->line.len, &pass, &derr) != 0)
		goto bad;
	st = do_login(s, user, pass);
	goto out;
bad:
	st = bad_sasl(s, &derr);
out:
	mk_buf_reset(&s->line);
	mk_secret_free_str(user);
	mk_secret_free_str(pass);
	return st;
}

static enum step on_auth(struct smtp *s, const struct gw_smtp_cmd *c)
{
	if (!s->greeted)
		return reply(s, "503 5.5.1 Send EHLO first");
	if (!auth_allowed(s))
		return reply(s, "530 5.7.0 Must issue a STARTTLS command first");
	switch (c->mech) {
	case GW_SASL_MECH_PLAIN:
		return auth_plain(s, c);
	case GW_SASL_MECH_LOGIN:
		return auth_login(s, c);
	case GW_SASL_MECH_OTHER:
		break;
	}
	return reply(s, "504 5.5.4 Unrecognized authentication type (PLAIN and LOGIN are offered)");
}

/* RFC 5321 §4.1.1.1. PIPELINING, 8BITMIME and ENHANCEDSTATUSCODES are
 * offered by Postfix, Gmail and Microsoft 365 alike, so what the client
 * does with them after AUTH the upstream accepts. */
static enum step on_ehlo(struct smtp *s)
{
	const char *ext[5];
	size_t n = 0;
	struct mk_buf b;
	enum step st;
	int r;

	s->greeted = true;
	ext[n++] = "PIPELINING";
	ext[n++] = "8BITMIME";
	ext[n++] = "ENHANCEDSTATUSCODES";
	if (gw_lconn_can_starttls(s->lc))
		ext[n++] = "STARTTLS";
	if (auth_allowed(s))
		ext[n++] = "AUTH PLAIN LOGIN";
	mk_buf_init(&b, 1024);
	r = mk_buf_addf(&b, "250-%s", s->hostname);
	for (size_t i = 0; i < n && r == 0; i++)
		r = mk_buf_addf(&b, "\r\n250%c%s", i + 1 < n ? '-' : ' ', ext[i]);
	if (r != 0) {
		mk_buf_free(&b);
		mk_error_set(s->err, MK_ERR_INTERNAL, "out of memory");
		return STEP_ERROR;
	}
	st = reply(s, "%s", mk_buf_str(&b));
	mk_buf_free(&b);
	return st;
}

static enum step on_starttls(struct smtp *s)
{
	enum step st;

	if (gw_lconn_is_tls(s->lc))
		return reply(s, "503 5.5.1 TLS already active");
	if (!gw_lconn_can_starttls(s->lc))
		return reply(s, "502 5.5.1 STARTTLS not available");
	if ((st = reply(s, "220 2.0.0 Ready to start TLS")) != STEP_NEXT)
		return st;
	if (gw_lconn_starttls(s->lc, s->err) != 0) {
		mk_log(MK_LOG_DEBUG, "smtp: %s", s->err->msg);
		return s->err->cls == MK_ERR_INTERNAL ? STEP_ERROR : STEP_CLOSE;
	}
	/* RFC 3207 §4.2: the client starts over with EHLO. */
	s->greeted = false;
	return STEP_NEXT;
}

static enum step on_command(struct smtp *s)
{
	struct gw_smtp_cmd c;
	struct mk_error perr;

	if (gw_smtp_cmd_parse(s->line.data != NULL ? s->line.data : "", s->line.len, &c, &perr) != 0)
		return reply(s, "501 5.5.4 Syntax error: %s", perr.msg);
	switch (c.verb) {
	case GW_SMTP_EHLO:
		return on_ehlo(s);
	case GW_SMTP_HELO:
		s->greeted = true;
		return reply(s, "250 %s", s->hostname);
	case GW_SMTP_AUTH:
		return on_auth(s, &c);
	case GW_SMTP_STARTTLS:
		return on_starttls(s);
	case GW_SMTP_RSET:
	case GW_SMTP_NOOP:
		return reply(s, "250 2.0.0 Ok");
	case GW_SMTP_QUIT:
		return reply_close(s, "221 2.0.0 Bye");
	case GW_SMTP_HELP:
		return reply(s, "214 2.0.0 mailkey gateway: EHLO, STARTTLS, AUTH PLAIN or LOGIN, then mail");
	case GW_SMTP_NEEDAUTH:
		return reply(s, "530 5.7.0 Authentication required");
	case GW_SMTP_UNKNOWN:
		return reply(s, "500 5.5.1 Unrecognized command");
	case GW_SMTP_VERB_LAST:
		break;
	}
	mk_error_set(s->err, MK_ERR_INTERNAL, "SMTP command %d not handled", (int)c.verb);
	return STEP_ERROR;
}

int gw_front_smtp(const struct gw_front_params *p, struct gw_upstream **up_r, struct mk_error *err)
{
	struct smtp s = {
		.p = p,
		.lc = p->lc,
		.hostname = p->hostname != NULL ? p->hostname : "localhost",
		.line_max = p->line_max > 0 ? p->line_max : 8192,
		.max_failures = p->max_failures > 0 ? p->max_failures : 3,
		.max_commands = p->max_commands > 0 ? p->max_commands : 50,
		.err = err,
	};
	enum step st;

	*up_r = NULL;
	mk_buf_init_secret(&s.line, s.line_max + 1);
	st = reply(&s, "220 %s ESMTP mailkey gateway", s.hostname);
	while (st == STEP_NEXT) {
		if ((st = read_line(&s, false)) != STEP_NEXT)
			break;
		if (++s.commands > s.max_commands) {
			st = reply_close(&s, "421 4.7.0 Too many commands before authentication, closing");
			break;
		}
		st = on_command(&s);
		mk_buf_reset(&s.line);
	}
	mk_buf_free(&s.line);
	switch (st) {
	case STEP_LOGGED_IN:
		*up_r = s.up;
		return 0;
	case STEP_CLOSE:
		return 1;
	case STEP_ERROR:
		return -1;
	case STEP_NEXT:
		break;
	}
	return mk_error_set(err, MK_ERR_INTERNAL, "SMTP front ended in an impossible state");
}
