/* The gateway's POP3 side before login (front.h): greeting, CAPA, STLS,
 * USER/PASS and AUTH PLAIN/LOGIN (RFC 1939, 2449, 2595, 3206, 5034),
 * answered here; nothing reaches the upstream until the login callback
 * succeeds. The command lines are parsed by pop3_cmd.c, the SASL messages
 * by sasl_local.c. */
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/secret.h"
#include "common/str.h"
#include "gateway/front.h"
#include "gateway/lconn.h"
#include "gateway/pop3_cmd.h"
#include "gateway/sasl_local.h"

/* What one step of the dialogue leads to. */
enum step {
	STEP_NEXT = 0, /* read the next command */
	STEP_LOGGED_IN,
	STEP_CLOSE, /* the client left or was sent away */
	STEP_ERROR, /* internal: err is set */
};

struct pop3 {
	const struct gw_front_params *p;
	struct gw_lconn *lc;
	size_t line_max;
	unsigned max_failures;
	unsigned max_commands;
	unsigned failures;
	unsigned commands;
	struct mk_buf line; /* secret: PASS and AUTH lines pass through it */
	char *user;	    /* from USER, until PASS (secret) */
	struct gw_upstream *up;
	struct mk_error *err;
};

/* Before TLS on a listener that requires it nothing may authenticate
 * (RFC 2595 §4 LOGINDISABLED's POP3 counterpart: USER and SASL are not
 * even listed). */
static bool auth_allowed(const struct pop3 *s)
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

/* Send one reply (CRLF added) and trace it. A client that went away ends
 * the dialogue; anything else is internal. */
static enum step reply(struct pop3 *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static enum step reply(struct pop3 *s, const char *fmt, ...)
{
	struct mk_buf b;
	va_list ap;
	enum step st = STEP_NEXT;
	int r;

	mk_buf_init(&b, 4096);
	va_start(ap, fmt);
	r = mk_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (r != 0) {
		mk_buf_free(&b);
		mk_error_set(s->err, MK_ERR_INTERNAL, "POP3 reply too long or out of memory");
		return STEP_ERROR;
	}
	trace_reply(mk_buf_str(&b), b.len);
	if (mk_buf_add(&b, "\r\n", 2) != 0) {
		mk_buf_free(&b);
		mk_error_set(s->err, MK_ERR_INTERNAL, "out of memory");
		return STEP_ERROR;
	}
	if (gw_lconn_write(s->lc, b.data, b.len, s->err) != 0)
		st = s->err->cls == MK_ERR_CONN ? STEP_CLOSE : STEP_ERROR;
	mk_buf_free(&b);
	return st;
}

/* The keywords the trace names; pop3_cmd.c's, but none of their
 * arguments, and not USER's either: a client that is out of step (PASS
 * before USER, a cancelled AUTH) sends its password where we read a
 * command. */
static const char *const trace_verbs[] = { "USER", "PASS", "AUTH", "CAPA", "STLS", "QUIT", "NOOP", "STAT",
					   "LIST", "RETR", "DELE", "RSET", "TOP",  "UIDL", "APOP" };

/* How much of a client line the trace may show: a known keyword (AUTH:
 * with its mechanism), the rest redacted; a line that starts with no
 * known keyword may be a password, redacted whole. Decided on the raw
 * bytes, before the parser, so that a line the parser refuses is
 * redacted too. */
static size_t trace_keep(const char *l, size_t n, bool *sensitive)
{
	const char *sp = memchr(l, ' ', n);
	size_t w = sp != NULL ? (size_t)(sp - l) : n;

	*sensitive = true;
	for (size_t i = 0; i < sizeof(trace_verbs) / sizeof(trace_verbs[0]); i++) {
		if (w != strlen(trace_verbs[i]) || strncasecmp(l, trace_verbs[i], w) != 0)
			continue;
		if (w == n) {
			*sensitive = false; /* the keyword alone */
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

/* Read one line into s->line. A too-long line is answered here; either
 * way the dialogue ends on failure. sasl: a SASL response, traced as
 * <redacted> whole. */
static enum step read_line(struct pop3 *s, bool sasl)
{
	bool sensitive = sasl;
	size_t keep = 0;

	if (gw_lconn_read_line(s->lc, &s->line, s->line_max, s->err) != 0) {
		if (s->err->cls == MK_ERR_PROTO) {
			mk_log(MK_LOG_DEBUG, "pop3: %s", s->err->msg);
			return reply(s, "-ERR line too long") == STEP_ERROR ? STEP_ERROR : STEP_CLOSE;
		}
		return s->err->cls == MK_ERR_CONN ? STEP_CLOSE : STEP_ERROR;
	}
	if (!sasl)
		keep = trace_keep(mk_buf_str(&s->line), s->line.len, &sensitive);
	mk_log_proto("C", mk_buf_str(&s->line), s->line.len, sensitive, keep);
	return STEP_NEXT;
}

/* err's message on one line of printable text, for -ERR [SYS/TEMP]. */
static void one_line(const char *in, char *out, size_t size)
{
	size_t i = 0;

	for (; in[i] != '\0' && i + 1 < size; i++)
		out[i] = ((unsigned char)in[i] < 0x20 || in[i] == 0x7f) ? ' ' : in[i];
	out[i] = '\0';
}

/* Hand user and pass to the gateway's login decision and answer. */
static enum step do_login(struct pop3 *s, const char *user, const char *pass)
{
	struct mk_error lerr;
	char text[MK_ERROR_MSG_SIZE];

	mk_error_init(&lerr);
	if (s->p->ops.login(s->p->ops.ctx, GW_POP3, user, pass, &s->up, &lerr) == 0 && s->up != NULL) {
		/* The upstream is the caller's now, whatever the write does: a
		 * client that vanished this moment is seen by the relay. */
		(void)reply(s, "+OK Logged in");
		return STEP_LOGGED_IN;
	}
	s->up = NULL;
	if (lerr.cls == MK_ERR_AUTH) {
		if (++s->failures >= s->max_failures) {
			/* RFC 3206 §4: AUTH says it was the credentials. */
			enum step st =
				reply(s, "-ERR [AUTH] Invalid credentials; too many failures, closing");
			return st == STEP_ERROR ? STEP_ERROR : STEP_CLOSE;
		}
		return reply(s, "-ERR [AUTH] Invalid credentials");
	}
	one_line(lerr.cls == MK_ERR_NONE ? "login failed" : lerr.msg, text, sizeof(text));
	return reply(s, "-ERR [SYS/TEMP] %s", text);
}

/* Read a SASL response after "+ chall". 0 with *cancel false: s->line
 * holds it; *cancel true: the client sent "*" (already answered). */
static enum step sasl_step(struct pop3 *s, const char *chall, bool *cancel)
{
	enum step st;

	*cancel = false;
	if ((st = reply(s, "+ %s", chall)) != STEP_NEXT)
		return st;
	if ((st = read_line(s, true)) != STEP_NEXT)
		return st;
	if (s->line.len == 1 && s->line.data[0] == '*') {
		*cancel = true;
		return reply(s, "-ERR Authentication cancelled");
	}
	return STEP_NEXT;
}

/* A response that does not decode (RFC 5034 §4: the server rejects it). */
static enum step bad_sasl(struct pop3 *s, const struct mk_error *derr)
{
	if (derr->cls != MK_ERR_DATA) {
		*s->err = *derr;
		return STEP_ERROR;
	}
	/* Malformed is not wrong: it does not count as a failure, and
	 * max_commands still bounds a client that keeps at it. */
	mk_log(MK_LOG_DEBUG, "pop3: %s", derr->msg);
	return reply(s, "-ERR Invalid SASL response");
}

static enum step auth_plain(struct pop3 *s, const struct gw_pop3_cmd *c)
{
	struct mk_error derr;
	char *user = NULL, *pass = NULL;
	bool cancel = false;
	enum step st = STEP_NEXT;
	int r;

	if (c->has_ir) {
		r = gw_sasl_plain_decode(c->ir, c->ir_len, &user, &pass, &derr);
	} else {
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

/* AUTH LOGIN: "Username:" and "Password:" challenges; an initial response
 * is the user name (what clients with SASL-IR send). */
static enum step auth_login(struct pop3 *s, const struct gw_pop3_cmd *c)
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

static enum step on_auth(struct pop3 *s, const struct gw_pop3_cmd *c)
{
	mk_secret_clear_str(&s->user);
	if (!auth_allowed(s))
		return reply(s, "-ERR [AUTH] TLS required first: send STLS");
	if (c->mech_len == 0) /* the list, as Dovecot answers a bare AUTH */
		return reply(s, "+OK\r\nPLAIN\r\nLOGIN\r\n.");
	switch (c->mech) {
	case GW_SASL_MECH_PLAIN:
		return auth_plain(s, c);
	case GW_SASL_MECH_LOGIN:
		return auth_login(s, c);
	case GW_SASL_MECH_OTHER:
		break;
	}
	return reply(s, "-ERR Unsupported authentication mechanism (PLAIN and LOGIN are offered)");
}

/* RFC 2449 §5. TOP and UIDL are transaction-state capabilities of the
 * upstream, which every server the gateway fronts (Gmail, Microsoft 365,
 * Dovecot) has; clients such as fetchmail read CAPA only once, before
 * login, to decide whether to use them. */
static enum step on_capa(struct pop3 *s)
{
	struct mk_buf b;
	enum step st;
	int r = 0;

	mk_buf_init(&b, 1024);
	r |= mk_buf_addstr(&b, "+OK Capability list follows\r\n");
	if (auth_allowed(s))
		r |= mk_buf_addstr(&b, "USER\r\nSASL PLAIN LOGIN\r\n");
	if (gw_lconn_can_starttls(s->lc))
		r |= mk_buf_addstr(&b, "STLS\r\n");
	r |= mk_buf_addstr(&b, "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n.");
	if (r != 0) {
		mk_buf_free(&b);
		mk_error_set(s->err, MK_ERR_INTERNAL, "out of memory");
		return STEP_ERROR;
	}
	st = reply(s, "%s", mk_buf_str(&b));
	mk_buf_free(&b);
	return st;
}

static enum step on_stls(struct pop3 *s)
{
	enum step st;

	if (!gw_lconn_can_starttls(s->lc))
		return reply(s,
			     gw_lconn_is_tls(s->lc) ? "-ERR TLS already active" : "-ERR STLS not available");
	if ((st = reply(s, "+OK Begin TLS negotiation")) != STEP_NEXT)
		return st;
	if (gw_lconn_starttls(s->lc, s->err) != 0) {
		mk_log(MK_LOG_DEBUG, "pop3: %s", s->err->msg);
		return s->err->cls == MK_ERR_INTERNAL ? STEP_ERROR : STEP_CLOSE;
	}
	/* RFC 2595 §4: everything learned before TLS is forgotten. */
	mk_secret_clear_str(&s->user);
	return STEP_NEXT;
}

static enum step on_command(struct pop3 *s)
{
	struct gw_pop3_cmd c;
	struct mk_error perr;
	enum step st;

	if (gw_pop3_cmd_parse(s->line.data != NULL ? s->line.data : "", s->line.len, &c, &perr) != 0)
		return reply(s, "-ERR %s", perr.msg);
	switch (c.verb) {
	case GW_POP3_USER:
		mk_secret_clear_str(&s->user);
		if (!auth_allowed(s))
			return reply(s, "-ERR [AUTH] TLS required first: send STLS");
		s->user = mk_str_ndup(c.arg, c.arg_len);
		if (s->user == NULL) {
			mk_error_set(s->err, MK_ERR_INTERNAL, "out of memory");
			return STEP_ERROR;
		}
		return reply(s, "+OK Send PASS");
	case GW_POP3_PASS:
		if (!auth_allowed(s))
			return reply(s, "-ERR [AUTH] TLS required first: send STLS");
		if (s->user == NULL)
			return reply(s, "-ERR Send USER first");
		{
			char *pass = mk_str_ndup(c.arg, c.arg_len);
			if (pass == NULL) {
				mk_error_set(s->err, MK_ERR_INTERNAL, "out of memory");
				return STEP_ERROR;
			}
			mk_buf_reset(&s->line);
			st = do_login(s, s->user, pass);
			mk_secret_free_str(pass);
		}
		/* RFC 1939 §7: a failed PASS goes back to USER. */
		mk_secret_clear_str(&s->user);
		return st;
	case GW_POP3_AUTH:
		return on_auth(s, &c);
	case GW_POP3_CAPA:
		return on_capa(s);
	case GW_POP3_STLS:
		return on_stls(s);
	case GW_POP3_QUIT:
		st = reply(s, "+OK Bye");
		return st == STEP_ERROR ? STEP_ERROR : STEP_CLOSE;
	case GW_POP3_REFUSED:
		return reply(s, "-ERR Log in first (USER and PASS, or AUTH)");
	case GW_POP3_UNKNOWN:
		return reply(s, "-ERR Unknown command");
	case GW_POP3_VERB_LAST:
		break;
	}
	mk_error_set(s->err, MK_ERR_INTERNAL, "POP3 command %d not handled", (int)c.verb);
	return STEP_ERROR;
}

int gw_front_pop3(const struct gw_front_params *p, struct gw_upstream **up_r, struct mk_error *err)
{
	struct pop3 s = {
		.p = p,
		.lc = p->lc,
		.line_max = p->line_max > 0 ? p->line_max : 8192,
		.max_failures = p->max_failures > 0 ? p->max_failures : 3,
		.max_commands = p->max_commands > 0 ? p->max_commands : 50,
		.err = err,
	};
	enum step st;

	*up_r = NULL;
	mk_buf_init_secret(&s.line, s.line_max + 1);
	/* No APOP timestamp: the gateway does not offer APOP. */
	st = reply(&s, "+OK %s mailkey gateway ready", p->hostname != NULL ? p->hostname : "localhost");
	while (st == STEP_NEXT) {
		if ((st = read_line(&s, false)) != STEP_NEXT)
			break;
		if (++s.commands > s.max_commands) {
			st = reply(&s, "-ERR [SYS/PERM] Too many commands before login, closing");
			if (st != STEP_ERROR)
				st = STEP_CLOSE;
			break;
		}
		st = on_command(&s);
		mk_buf_reset(&s.line);
	}
	mk_secret_clear_str(&s.user);
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
	return mk_error_set(err, MK_ERR_INTERNAL, "POP3 front ended in an impossible state");
}
