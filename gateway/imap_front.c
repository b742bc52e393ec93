/* The IMAP side of the gateway before login (front.h): greeting,
 * CAPABILITY, STARTTLS, ID, NOOP, LOGOUT, and LOGIN / AUTHENTICATE PLAIN and
 * LOGIN checked by the login callback. The command syntax is imap_cmd.c's;
 * this file only does the dialogue and the I/O. Nothing the client sends
 * here goes upstream. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/secret.h"
#include "gateway/front.h"
#include "gateway/imap_cmd.h"
#include "gateway/lconn.h"
#include "gateway/sasl_local.h"

#define DEFAULT_LINE_MAX 8192
#define DEFAULT_LITERAL_MAX 1024
#define DEFAULT_MAX_FAILURES 3
#define DEFAULT_MAX_COMMANDS 50
#define REPLY_MAX (MK_ERROR_MSG_SIZE + 2048)

/* What one command leaves the dialogue in. */
enum next { NEXT_GO_ON, NEXT_LOGGED_IN, NEXT_CLOSE, NEXT_ERROR };

struct front {
	const struct gw_front_params *p;
	struct gw_lconn *lc;
	size_t line_max;
	size_t literal_max;
	unsigned max_failures;
	unsigned max_commands;
	unsigned failures;
	unsigned commands;
	struct mk_buf line; /* secret: LOGIN lines and SASL responses pass here */
	struct mk_buf lit;  /* secret: LOGIN literals */
	struct gw_imap_cmd cmd;
	struct gw_upstream *up;
	/* The line was no command (a lone word: what a password looks like
	 * when a client's bytes are out of step): its tag stays out of the
	 * trace of the reply, as the line itself does. */
	bool hide_tag;
};

static const char *peer(const struct front *f)
{
	const char *s = gw_lconn_peer(f->lc);
	return s != NULL ? s : "?";
}

static const char *tag(const struct front *f)
{
	return f->cmd.tag[0] != '\0' ? f->cmd.tag : "*";
}

static void trace_reply(const struct front *f, const struct mk_buf *b)
{
	size_t tl = strlen(f->cmd.tag);

	if (f->hide_tag && tl > 0 && b->len > tl && memcmp(b->data, f->cmd.tag, tl) == 0 &&
	    b->data[tl] == ' ') {
		struct mk_buf t;

		mk_buf_init(&t, b->len + 16);
		if (mk_buf_addstr(&t, "<redacted>") == 0 && mk_buf_add(&t, b->data + tl, b->len - tl) == 0)
			mk_log_proto("S", mk_buf_str(&t), t.len, false, 0);
		mk_buf_free(&t);
		return;
	}
	mk_log_proto("S", mk_buf_str(b), b->len, false, 0);
}

/* One reply line (CRLF added), traced. Failing to write means the client
 * is gone: the caller closes. */
__attribute__((format(printf, 3, 4))) static int reply(struct front *f, struct mk_error *err, const char *fmt,
						       ...)
{
	struct mk_buf b;
	va_list ap;
	int rc = -1;

	mk_buf_init(&b, REPLY_MAX);
	va_start(ap, fmt);
	rc = mk_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (rc != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "IMAP reply too long or out of memory");
		goto out;
	}
	trace_reply(f, &b);
	if (mk_buf_addstr(&b, "\r\n") != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "IMAP reply too long or out of memory");
		rc = -1;
		goto out;
	}
	rc = gw_lconn_write(f->lc, b.data, b.len, err);
out:
	mk_buf_free(&b);
	return rc;
}

static bool tls_ok(const struct front *f)
{
	return !f->p->require_tls || gw_lconn_is_tls(f->lc);
}

/* The capabilities before login: what this client can use now. */
static const char *caps(const struct front *f)
{
	bool starttls = gw_lconn_can_starttls(f->lc);

	if (!tls_ok(f))
		return starttls ? "IMAP4rev1 LITERAL+ SASL-IR ID STARTTLS LOGINDISABLED"
				: "IMAP4rev1 LITERAL+ SASL-IR ID LOGINDISABLED";
	return starttls ? "IMAP4rev1 LITERAL+ SASL-IR ID AUTH=PLAIN AUTH=LOGIN STARTTLS"
			: "IMAP4rev1 LITERAL+ SASL-IR ID AUTH=PLAIN AUTH=LOGIN";
}

/* Text from elsewhere (an error message, the upstream's capabilities) made
 * fit for one reply line: registered secrets redacted, control bytes
 * (CR and LF above all) turned into spaces. */
static void one_line(const char *src, char *dst, size_t size)
{
	mk_log_redact(src != NULL ? src : "", dst, size);
	for (char *s = dst; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* Read a line of the dialogue (a command, its continuation after a literal,
 * a SASL response) and trace it. An over-long line is answered here. */
static enum next read_line(struct front *f, bool sensitive, struct mk_error *err)
{
	struct mk_error rerr;

	mk_error_init(&rerr);
	mk_buf_reset(&f->line);
	if (gw_lconn_read_line(f->lc, &f->line, f->line_max, &rerr) != 0) {
		if (rerr.cls == MK_ERR_PROTO) {
			mk_log(MK_LOG_INFO, "imap %s: line over %zu bytes before login; closing", peer(f),
			       f->line_max);
			(void)reply(f, err, "* BAD line too long");
		} else {
			mk_log(MK_LOG_DEBUG, "imap %s: %s", peer(f), rerr.msg);
		}
		return NEXT_CLOSE;
	}
	if (sensitive)
		mk_log_proto("C", mk_buf_str(&f->line), f->line.len, true, 0);
	return NEXT_GO_ON;
}

static enum next sent(int rc)
{
	return rc == 0 ? NEXT_GO_ON : NEXT_CLOSE;
}

/* Hand user and password to the gateway and answer what it decided. */
static enum next do_login(struct front *f, const char *user, const char *pass, struct mk_error *err)
{
	struct mk_error lerr;
	char text[MK_ERROR_MSG_SIZE];
	struct gw_upstream *up = NULL;

	mk_error_init(&lerr);
	if (f->p->ops.login(f->p->ops.ctx, GW_IMAP, user, pass, &up, &lerr) == 0 && up != NULL) {
		int rc;

		if (up->imap_caps != NULL) {
			struct mk_buf c;

			/* Capabilities can be long (Gmail, Dovecot): a buffer
			 * of their size, not a fixed array. */
			mk_buf_init(&c, REPLY_MAX - 256); /* room for the tag and text */
			if (mk_buf_addstr(&c, up->imap_caps) != 0) {
				mk_buf_free(&c);
				rc = reply(f, err, "%s OK Logged in", tag(f));
			} else {
				for (size_t i = 0; i < c.len; i++)
					if ((unsigned char)c.data[i] < 0x20 || c.data[i] == 0x7f)
						c.data[i] = ' ';
				rc = reply(f, err, "%s OK [CAPABILITY %s] Logged in", tag(f), mk_buf_str(&c));
				mk_buf_free(&c);
			}
		} else {
			rc = reply(f, err, "%s OK Logged in", tag(f));
		}
		if (rc != 0) {
			gw_upstream_free(&up);
			return NEXT_CLOSE;
		}
		f->up = up;
		return NEXT_LOGGED_IN;
	}
	gw_upstream_free(&up);
	if (lerr.cls == MK_ERR_AUTH) {
		f->failures++;
		mk_log(MK_LOG_INFO, "imap %s: login refused (%u of %u)", peer(f), f->failures,
		       f->max_failures);
		if (reply(f, err, "%s NO [AUTHENTICATIONFAILED] Invalid credentials", tag(f)) != 0)
			return NEXT_CLOSE;
		if (f->failures >= f->max_failures) {
			(void)reply(f, err, "* BYE Too many failed logins");
			return NEXT_CLOSE;
		}
		return NEXT_GO_ON;
	}
	if (lerr.cls == MK_ERR_NONE)
		mk_error_set(&lerr, MK_ERR_INTERNAL, "the login failed without saying why: try again later");
	one_line(lerr.msg, text, sizeof(text));
	mk_log(MK_LOG_INFO, "imap %s: login not possible now: %s", peer(f), text);
	return sent(
		reply(f, err, "%s NO [UNAVAILABLE] %s", tag(f), text[0] != '\0' ? text : "Try again later"));
}

/* One continuation of AUTHENTICATE: the prompt, then the client's base64
 * line in f->line. NEXT_GO_ON with *cancel set when the client sent "*". */
static enum next sasl_step(struct front *f, const char *prompt, bool *cancel, struct mk_error *err)
{
	enum next n;

	*cancel = false;
	if (reply(f, err, "+ %s", prompt) != 0)
		return NEXT_CLOSE;
	n = read_line(f, true, err);
	if (n != NEXT_GO_ON)
		return n;
	if (f->line.len == 1 && f->line.data[0] == '*')
		*cancel = true;
	return NEXT_GO_ON;
}

static enum next auth_plain(struct front *f, struct mk_error *err)
{
	struct mk_error derr;
	char *user = NULL;
	char *pass = NULL;
	const char *b64;
	size_t len;
	enum next n = NEXT_GO_ON;
	bool cancel = false;

	mk_error_init(&derr);
	if (f->cmd.has_ir) {
		b64 = mk_buf_str(&f->cmd.arg[0]);
		len = f->cmd.arg[0].len;
	} else {
		n = sasl_step(f, "", &cancel, err);
		if (n != NEXT_GO_ON)
			goto out;
		if (cancel) {
			n = sent(reply(f, err, "%s BAD Authentication cancelled", tag(f)));
			goto out;
		}
		b64 = mk_buf_str(&f->line);
		len = f->line.len;
	}
	if (gw_sasl_plain_decode(b64, len, &user, &pass, &derr) != 0) {
		mk_log(MK_LOG_DEBUG, "imap %s: AUTHENTICATE PLAIN: %s", peer(f), derr.msg);
		n = sent(reply(
			f, err,
			"%s BAD Invalid PLAIN response: expected base64 of authzid NUL user NUL password, "
			"authzid empty or the user",
			tag(f)));
		goto out;
	}
	n = do_login(f, user, pass, err);
out:
	mk_secret_free_str(user);
	mk_secret_free_str(pass);
	mk_buf_reset(&f->line);
	return n;
}

static enum next auth_login(struct front *f, struct mk_error *err)
{
	struct mk_error derr;
	char *user = NULL;
	char *pass = NULL;
	enum next n = NEXT_GO_ON;
	bool cancel = false;
	int rc;

	mk_error_init(&derr);
	/* An initial response is the user name (as with SMTP AUTH LOGIN). */
	if (f->cmd.has_ir) {
		rc = gw_sasl_login_decode(mk_buf_str(&f->cmd.arg[0]), f->cmd.arg[0].len, &user, &derr);
	} else {
		n = sasl_step(f, "VXNlcm5hbWU6", &cancel, err); /* "Username:" */
		if (n != NEXT_GO_ON || cancel)
			goto out;
		rc = gw_sasl_login_decode(mk_buf_str(&f->line), f->line.len, &user, &derr);
	}
	if (rc != 0)
		goto bad;
	n = sasl_step(f, "UGFzc3dvcmQ6", &cancel, err); /* "Password:" */
	if (n != NEXT_GO_ON || cancel)
		goto out;
	if (gw_sasl_login_decode(mk_buf_str(&f->line), f->line.len, &pass, &derr) != 0)
		goto bad;
	n = do_login(f, user, pass, err);
	goto out;
bad:
	mk_log(MK_LOG_DEBUG, "imap %s: AUTHENTICATE LOGIN: %s", peer(f), derr.msg);
	n = sent(reply(f, err, "%s BAD Invalid LOGIN response: expected one line of base64", tag(f)));
out:
	if (n == NEXT_GO_ON && cancel)
		n = sent(reply(f, err, "%s BAD Authentication cancelled", tag(f)));
	mk_secret_free_str(user);
	mk_secret_free_str(pass);
	mk_buf_reset(&f->line);
	return n;
}

static enum next do_starttls(struct front *f, struct mk_error *err)
{
	struct mk_error terr;

	if (gw_lconn_is_tls(f->lc))
		return sent(reply(f, err, "%s BAD TLS is already active", tag(f)));
	if (!gw_lconn_can_starttls(f->lc))
		return sent(reply(f, err, "%s BAD STARTTLS is not available here", tag(f)));
	if (reply(f, err, "%s OK Begin TLS negotiation now", tag(f)) != 0)
		return NEXT_CLOSE;
	mk_error_init(&terr);
	if (gw_lconn_starttls(f->lc, &terr) != 0) {
		mk_log(MK_LOG_INFO, "imap %s: STARTTLS failed: %s", peer(f), terr.msg);
		return NEXT_CLOSE;
	}
	return NEXT_GO_ON;
}

static enum next dispatch(struct front *f, struct mk_error *err)
{
	const char *t = tag(f);

	switch (f->cmd.kind) {
	case GW_IMAP_CMD_CAPABILITY:
		if (reply(f, err, "* CAPABILITY %s", caps(f)) != 0)
			return NEXT_CLOSE;
		return sent(reply(f, err, "%s OK Capability completed", t));
	case GW_IMAP_CMD_NOOP:
		return sent(reply(f, err, "%s OK NOOP completed", t));
	case GW_IMAP_CMD_ID:
		if (reply(f, err, "* ID NIL") != 0)
			return NEXT_CLOSE;
		return sent(reply(f, err, "%s OK ID completed", t));
	case GW_IMAP_CMD_LOGOUT:
		if (reply(f, err, "* BYE Logging out") == 0)
			(void)reply(f, err, "%s OK Logout completed", t);
		return NEXT_CLOSE;
	case GW_IMAP_CMD_STARTTLS:
		return do_starttls(f, err);
	case GW_IMAP_CMD_LOGIN:
		if (!tls_ok(f))
			return sent(reply(f, err, "%s NO [PRIVACYREQUIRED] Use STARTTLS first", t));
		return do_login(f, mk_buf_str(&f->cmd.arg[0]), mk_buf_str(&f->cmd.arg[1]), err);
	case GW_IMAP_CMD_AUTHENTICATE:
		if (!tls_ok(f))
			return sent(reply(f, err, "%s NO [PRIVACYREQUIRED] Use STARTTLS first", t));
		if (strcmp(f->cmd.mech, "PLAIN") == 0)
			return auth_plain(f, err);
		if (strcmp(f->cmd.mech, "LOGIN") == 0)
			return auth_login(f, err);
		return sent(
			reply(f, err, "%s NO Unsupported authentication mechanism (PLAIN and LOGIN are)", t));
	case GW_IMAP_CMD_OTHER:
		return sent(reply(f, err, "%s BAD Command not allowed before login", t));
	case GW_IMAP_CMD_NONE:
	case GW_IMAP_CMD_LAST:
		break;
	}
	return sent(reply(f, err, "%s BAD Unknown command", t));
}

/* Trace the first line of a command once its name is known: only the
 * commands without arguments are shown whole; the others (LOGIN,
 * AUTHENTICATE, and whatever else might carry a password) stop after the
 * name. */
static void trace_command(const struct front *f)
{
	bool plain;

	if (!mk_log_enabled(MK_LOG_TRACE))
		return;
	plain = f->cmd.kind == GW_IMAP_CMD_CAPABILITY || f->cmd.kind == GW_IMAP_CMD_NOOP ||
		f->cmd.kind == GW_IMAP_CMD_LOGOUT || f->cmd.kind == GW_IMAP_CMD_STARTTLS;
	mk_log_proto("C", mk_buf_str(&f->line), f->line.len, !plain, f->cmd.name_end);
}

/* One command, from its first line (in f->line) through its literals. */
static enum next command(struct front *f, struct mk_error *err)
{
	enum gw_imap_step step;
	enum next n;
	bool mid = false; /* a literal of this command was read */

	gw_imap_cmd_reset(&f->cmd);
	step = gw_imap_cmd_line(&f->cmd, f->line.data != NULL ? f->line.data : "", f->line.len);
	f->hide_tag = f->cmd.kind == GW_IMAP_CMD_NONE;
	trace_command(f);
	while (step == GW_IMAP_STEP_LITERAL) {
		struct mk_error rerr;

		if (f->cmd.literal_sync) {
			/* Never invite a password over a connection that must
			 * not carry one. */
			if (f->cmd.kind == GW_IMAP_CMD_LOGIN && !tls_ok(f))
				return sent(
					reply(f, err, "%s NO [PRIVACYREQUIRED] Use STARTTLS first", tag(f)));
			if (reply(f, err, "+ Ready for literal data") != 0)
				return NEXT_CLOSE;
		}
		mk_error_init(&rerr);
		mk_buf_reset(&f->lit);
		if (gw_lconn_read_exact(f->lc, f->cmd.literal_len, &f->lit, &rerr) != 0) {
			mk_log(MK_LOG_DEBUG, "imap %s: literal: %s", peer(f), rerr.msg);
			return NEXT_CLOSE;
		}
		step = gw_imap_cmd_literal(&f->cmd, f->lit.data != NULL ? f->lit.data : "", f->lit.len);
		mk_buf_reset(&f->lit);
		mid = true;
		if (step != GW_IMAP_STEP_MORE)
			break;
		n = read_line(f, true, err);
		if (n != NEXT_GO_ON)
			return n;
		step = gw_imap_cmd_line(&f->cmd, f->line.data != NULL ? f->line.data : "", f->line.len);
	}
	mk_buf_reset(&f->line);
	switch (step) {
	case GW_IMAP_STEP_DONE:
		return dispatch(f, err);
	case GW_IMAP_STEP_BAD:
		if (mid) {
			/* Broken after a literal: the rest of the command (and
			 * its LITERAL+ password) is on its way and cannot be
			 * told from commands, so nothing more is read. */
			mk_log(MK_LOG_INFO, "imap %s: command broken after a literal before login; closing",
			       peer(f));
			if (reply(f, err, "%s BAD %s", tag(f),
				  f->cmd.msg != NULL ? f->cmd.msg : "Syntax error") == 0)
				(void)reply(f, err, "* BYE Syntax error in a command with literals");
			return NEXT_CLOSE;
		}
		return sent(
			reply(f, err, "%s BAD %s", tag(f), f->cmd.msg != NULL ? f->cmd.msg : "Syntax error"));
	case GW_IMAP_STEP_TOOBIG:
		if (f->cmd.literal_sync)
			return sent(reply(f, err,
					  "%s NO [TOOBIG] Literal too big (at most %zu bytes before login)",
					  tag(f), f->literal_max));
		/* LITERAL+: its bytes are coming and cannot be told apart
		 * from commands. */
		mk_log(MK_LOG_INFO, "imap %s: LITERAL+ literal of %zu bytes before login; closing", peer(f),
		       f->cmd.literal_len);
		(void)reply(f, err, "%s BAD Literal too big (at most %zu bytes before login)", tag(f),
			    f->literal_max);
		return NEXT_CLOSE;
	case GW_IMAP_STEP_LITERAL:
	case GW_IMAP_STEP_MORE:
		break;
	}
	return sent(reply(f, err, "%s BAD Internal parser state error", tag(f)));
}

int gw_front_imap(const struct gw_front_params *p, struct gw_upstream **up_r, struct mk_error *err)
{
	/* I/O failures (the client left) are the normal end of a dialogue
	 * and stay here; only an internal error reaches the caller's err. */
	struct mk_error e;
	struct front f;
	struct gw_imap_cmd_params cp;
	enum next n = NEXT_GO_ON;
	int rc = -1;

	*up_r = NULL;
	mk_error_init(&e);
	memset(&f, 0, sizeof(f));
	f.p = p;
	f.lc = p->lc;
	f.line_max = p->line_max != 0 ? p->line_max : DEFAULT_LINE_MAX;
	f.literal_max = p->literal_max != 0 ? p->literal_max : DEFAULT_LITERAL_MAX;
	f.max_failures = p->max_failures != 0 ? p->max_failures : DEFAULT_MAX_FAILURES;
	f.max_commands = p->max_commands != 0 ? p->max_commands : DEFAULT_MAX_COMMANDS;
	/* The line cap has to take the line end too, and a whole command is
	 * at most a line and two literals (LOGIN) with their continuations. */
	mk_buf_init_secret(&f.line, f.line_max);
	mk_buf_init_secret(&f.lit, f.literal_max);
	cp.literal_max = f.literal_max;
	cp.command_max = 3 * (f.line_max + 2) + 2 * f.literal_max;
	gw_imap_cmd_init(&f.cmd, &cp);

	if (p->hostname != NULL && p->hostname[0] != '\0')
		n = sent(reply(&f, &e, "* OK [CAPABILITY %s] %s mailkey gateway ready", caps(&f),
			       p->hostname));
	else
		n = sent(reply(&f, &e, "* OK [CAPABILITY %s] mailkey gateway ready", caps(&f)));
	while (n == NEXT_GO_ON) {
		n = read_line(&f, false, &e);
		if (n != NEXT_GO_ON)
			break;
		if (f.commands >= f.max_commands) {
			mk_log(MK_LOG_INFO, "imap %s: %u commands without login; closing", peer(&f),
			       f.commands);
			(void)reply(&f, &e, "* BYE Too many commands before login");
			n = NEXT_CLOSE;
			break;
		}
		f.commands++;
		n = command(&f, &e);
	}
	switch (n) {
	case NEXT_LOGGED_IN:
		*up_r = f.up;
		f.up = NULL;
		rc = 0;
		break;
	case NEXT_GO_ON:
	case NEXT_CLOSE:
		rc = 1;
		if (e.cls == MK_ERR_INTERNAL) {
			*err = e;
			rc = -1;
		}
		break;
	case NEXT_ERROR:
		*err = e;
		rc = -1;
		break;
	}
	gw_imap_cmd_free(&f.cmd);
	mk_buf_free(&f.line);
	mk_buf_free(&f.lit);
	return rc;
}
