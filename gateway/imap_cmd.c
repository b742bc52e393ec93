/* Pre-login IMAP commands (RFC 3501 §6.1, §6.2; LITERAL+ RFC 7888; SASL-IR
 * RFC 4959; ID RFC 2971), parsed from bytes without I/O. See imap_cmd.h for
 * how the caller drives it through literals. */
#include "gateway/imap_cmd.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_LITERAL_MAX 1024
#define DEFAULT_COMMAND_MAX 16384
#define NAME_MAX_LEN 32
#define ID_DEPTH_MAX 4 /* RFC 2971 has one level; a little slack, still bounded */

/* Internal result of one argument: an argument ended, or a literal was
 * announced (the line must end there), or a step to return as is. */
enum arg_rc { ARG_OK, ARG_LITERAL, ARG_STEP };

static const char *const kind_names[GW_IMAP_CMD_LAST] = {
	[GW_IMAP_CMD_NONE] = "(none)",	     [GW_IMAP_CMD_CAPABILITY] = "CAPABILITY",
	[GW_IMAP_CMD_NOOP] = "NOOP",	     [GW_IMAP_CMD_LOGOUT] = "LOGOUT",
	[GW_IMAP_CMD_STARTTLS] = "STARTTLS", [GW_IMAP_CMD_ID] = "ID",
	[GW_IMAP_CMD_LOGIN] = "LOGIN",	     [GW_IMAP_CMD_AUTHENTICATE] = "AUTHENTICATE",
	[GW_IMAP_CMD_OTHER] = "(other)",
};

const char *gw_imap_kind_name(enum gw_imap_kind k)
{
	if ((unsigned)k >= GW_IMAP_CMD_LAST)
		return "(invalid)";
	return kind_names[k];
}

/* ATOM-CHAR: CHAR (7-bit) except atom-specials "(" ")" "{" SP CTL "%" "*"
 * DQUOTE "\" "]". */
static bool is_atom_char(unsigned char ch)
{
	if (ch <= 0x20 || ch >= 0x7f)
		return false;
	return strchr("(){%*\"\\]", ch) == NULL;
}

static bool is_astring_char(unsigned char ch)
{
	return is_atom_char(ch) || ch == ']';
}

/* tag = 1*<any ASTRING-CHAR except "+"> */
static bool is_tag_char(unsigned char ch)
{
	return is_astring_char(ch) && ch != '+';
}

static bool is_base64_char(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '+' || ch == '/' || ch == '=';
}

void gw_imap_cmd_init(struct gw_imap_cmd *c, const struct gw_imap_cmd_params *params)
{
	memset(c, 0, sizeof(*c));
	if (params != NULL)
		c->params = *params;
	if (c->params.literal_max == 0)
		c->params.literal_max = DEFAULT_LITERAL_MAX;
	if (c->params.command_max == 0)
		c->params.command_max = DEFAULT_COMMAND_MAX;
	for (size_t i = 0; i < 2; i++)
		mk_buf_init_secret(&c->arg[i], c->params.command_max);
	gw_imap_cmd_reset(c);
}

void gw_imap_cmd_reset(struct gw_imap_cmd *c)
{
	c->kind = GW_IMAP_CMD_NONE;
	c->tag[0] = '\0';
	c->msg = NULL;
	c->name_end = 0;
	c->literal_len = 0;
	c->literal_sync = false;
	for (size_t i = 0; i < 2; i++)
		mk_buf_reset(&c->arg[i]);
	c->mech[0] = '\0';
	c->has_ir = false;
	c->phase = GW_IMAP_PHASE_START;
	c->nargs = 0;
	c->discard = false;
	c->total = 0;
	c->id_depth = 0;
}

void gw_imap_cmd_free(struct gw_imap_cmd *c)
{
	for (size_t i = 0; i < 2; i++)
		mk_buf_free(&c->arg[i]);
	c->phase = GW_IMAP_PHASE_END;
}

/* The command is over (DONE, BAD, TOOBIG): only reset may follow. */
static enum gw_imap_step finish(struct gw_imap_cmd *c, enum gw_imap_step step, const char *msg)
{
	c->phase = GW_IMAP_PHASE_END;
	c->msg = msg;
	return step;
}

static enum gw_imap_step bad(struct gw_imap_cmd *c, const char *msg)
{
	return finish(c, GW_IMAP_STEP_BAD, msg);
}

/* "{" number ["+"] "}" at s[*pos], which must end the line. On success the
 * size and kind are in c; ARG_STEP means c->msg/phase were set (BAD or
 * TOOBIG) and *step_r holds the step. */
static enum arg_rc literal(struct gw_imap_cmd *c, const char *s, size_t len, size_t *pos, bool discard,
			   enum gw_imap_step *step_r)
{
	size_t i = *pos + 1; /* after "{" */
	size_t n = 0;
	size_t digits = 0;
	bool sync = true;

	while (i < len && s[i] >= '0' && s[i] <= '9') {
		size_t d = (size_t)(s[i] - '0');
		/* Saturate: a huge number is over every cap, and with LITERAL+
		 * it still has to be told from junk (TOOBIG, then close). */
		n = n > (SIZE_MAX - d) / 10 ? SIZE_MAX : n * 10 + d;
		digits++;
		i++;
	}
	if (digits == 0) {
		*step_r = bad(c, "Invalid literal: expected {number} or {number+}");
		return ARG_STEP;
	}
	if (i < len && s[i] == '+') {
		sync = false;
		i++;
	}
	if (i >= len || s[i] != '}') {
		*step_r = bad(c, "Invalid literal: expected {number} or {number+}");
		return ARG_STEP;
	}
	i++;
	if (i != len) {
		*step_r = bad(c, "A literal must end its line");
		return ARG_STEP;
	}
	*pos = i;
	c->literal_len = n;
	c->literal_sync = sync;
	c->discard = discard;
	if (n > c->params.literal_max || n > c->params.command_max - c->total) {
		*step_r = finish(c, GW_IMAP_STEP_TOOBIG, "Literal too big");
		return ARG_STEP;
	}
	c->phase = GW_IMAP_PHASE_LITERAL;
	return ARG_LITERAL;
}

/* quoted = DQUOTE *(QUOTED-CHAR) DQUOTE with \" and \\; out NULL drops the
 * text. 8-bit bytes are taken as they come (UTF-8 user names); NUL, CR and LF
 * never. */
static enum arg_rc quoted(struct gw_imap_cmd *c, const char *s, size_t len, size_t *pos, struct mk_buf *out,
			  enum gw_imap_step *step_r)
{
	size_t i = *pos + 1;

	for (;;) {
		unsigned char ch;

		if (i >= len) {
			*step_r = bad(c, "Unterminated quoted string");
			return ARG_STEP;
		}
		ch = (unsigned char)s[i];
		if (ch == '"') {
			i++;
			break;
		}
		if (ch == '\\') {
			if (i + 1 >= len || (s[i + 1] != '"' && s[i + 1] != '\\')) {
				*step_r = bad(c, "Invalid escape in quoted string: only \\\" and \\\\");
				return ARG_STEP;
			}
			ch = (unsigned char)s[i + 1];
			i++;
		} else if (ch == '\0' || ch == '\r' || ch == '\n') {
			*step_r = bad(c, "Invalid character in quoted string");
			return ARG_STEP;
		}
		if (out != NULL && mk_buf_addc(out, (char)ch) != 0) {
			*step_r = bad(c, "Argument too long");
			return ARG_STEP;
		}
		i++;
	}
	*pos = i;
	return ARG_OK;
}

/* astring = 1*ASTRING-CHAR / quoted / literal, into out. */
static enum arg_rc astring(struct gw_imap_cmd *c, const char *s, size_t len, size_t *pos, struct mk_buf *out,
			   enum gw_imap_step *step_r)
{
	size_t i = *pos;

	if (i >= len) {
		*step_r = bad(c, "Missing argument");
		return ARG_STEP;
	}
	if (s[i] == '"')
		return quoted(c, s, len, pos, out, step_r);
	if (s[i] == '{')
		return literal(c, s, len, pos, false, step_r);
	while (i < len && is_astring_char((unsigned char)s[i]))
		i++;
	if (i == *pos) {
		*step_r = bad(c, "Invalid argument: expected an atom, a quoted string or a literal");
		return ARG_STEP;
	}
	if (mk_buf_add(out, s + *pos, i - *pos) != 0) {
		*step_r = bad(c, "Argument too long");
		return ARG_STEP;
	}
	*pos = i;
	return ARG_OK;
}

/* LOGIN SP userid SP password, from *pos (after the name, or at the start of
 * a continuation line). */
static enum gw_imap_step args_login(struct gw_imap_cmd *c, const char *s, size_t len, size_t pos)
{
	enum gw_imap_step step = GW_IMAP_STEP_BAD;

	while (c->nargs < 2) {
		if (pos >= len)
			return bad(c, "LOGIN needs a user name and a password");
		if (s[pos] != ' ')
			return bad(c, "Expected a space between arguments");
		pos++;
		switch (astring(c, s, len, &pos, &c->arg[c->nargs], &step)) {
		case ARG_OK:
			break;
		case ARG_LITERAL:
			return GW_IMAP_STEP_LITERAL;
		case ARG_STEP:
			return step;
		}
		c->nargs++;
	}
	if (pos != len)
		return bad(c, "Unexpected text after the password");
	return finish(c, GW_IMAP_STEP_DONE, NULL);
}

/* AUTHENTICATE SP auth-type [SP (base64 / "=")] */
static enum gw_imap_step args_authenticate(struct gw_imap_cmd *c, const char *s, size_t len, size_t pos)
{
	size_t start;

	if (pos >= len || s[pos] != ' ')
		return bad(c, "AUTHENTICATE needs a mechanism");
	start = ++pos;
	while (pos < len && is_atom_char((unsigned char)s[pos])) {
		if (pos - start >= GW_IMAP_MECH_MAX)
			return bad(c, "Mechanism name too long");
		char ch = s[pos];
		c->mech[pos - start] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 'a' + 'A') : ch;
		pos++;
	}
	c->mech[pos - start] = '\0';
	if (pos == start)
		return bad(c, "AUTHENTICATE needs a mechanism");
	if (pos == len)
		return finish(c, GW_IMAP_STEP_DONE, NULL);
	if (s[pos] != ' ')
		return bad(c, "Invalid mechanism name");
	start = ++pos;
	while (pos < len && is_base64_char((unsigned char)s[pos]))
		pos++;
	if (pos == start || pos != len)
		return bad(c, "Invalid initial response: expected base64 or =");
	c->has_ir = true;
	/* "=" alone is the empty initial response (RFC 4959 §3). */
	if (!(pos - start == 1 && s[start] == '=') && mk_buf_add(&c->arg[0], s + start, pos - start) != 0)
		return bad(c, "Initial response too long");
	return finish(c, GW_IMAP_STEP_DONE, NULL);
}

/* ID SP ("(" *(string SP nstring) ")" / NIL). Nobody needs what a client
 * says about itself here, so the list is only checked for shape (tokens,
 * balanced parentheses) and its strings and literals are dropped. */
static enum gw_imap_step args_id(struct gw_imap_cmd *c, const char *s, size_t len, size_t pos)
{
	enum gw_imap_step step = GW_IMAP_STEP_BAD;

	if (c->phase == GW_IMAP_PHASE_START) {
		if (pos >= len || s[pos] != ' ')
			return bad(c, "ID needs a parameter list or NIL");
		pos++;
	}
	while (pos < len) {
		unsigned char ch = (unsigned char)s[pos];

		if (ch == ' ') {
			pos++;
		} else if (ch == '(') {
			if (++c->id_depth > ID_DEPTH_MAX)
				return bad(c, "ID parameters nested too deep");
			pos++;
		} else if (ch == ')') {
			if (c->id_depth == 0)
				return bad(c, "Unbalanced parentheses in ID");
			c->id_depth--;
			pos++;
		} else if (ch == '"') {
			if (quoted(c, s, len, &pos, NULL, &step) == ARG_STEP)
				return step;
		} else if (ch == '{') {
			switch (literal(c, s, len, &pos, true, &step)) {
			case ARG_OK:
				break;
			case ARG_LITERAL:
				return GW_IMAP_STEP_LITERAL;
			case ARG_STEP:
				return step;
			}
		} else if (is_atom_char(ch)) {
			while (pos < len && is_atom_char((unsigned char)s[pos]))
				pos++;
		} else {
			return bad(c, "Invalid character in ID parameters");
		}
	}
	if (c->id_depth != 0)
		return bad(c, "Unbalanced parentheses in ID");
	return finish(c, GW_IMAP_STEP_DONE, NULL);
}

/* Any other command is refused, but a LITERAL+ literal at the end of its
 * line is already on its way: read and drop it (within the caps), or the
 * client's bytes would be taken for commands. A synchronising one is never
 * asked for: the refusal ends the command (RFC 3501 §7.5). */
static enum gw_imap_step args_other(struct gw_imap_cmd *c, const char *s, size_t len)
{
	enum gw_imap_step step = GW_IMAP_STEP_BAD;
	size_t open;

	if (len == 0 || s[len - 1] != '}')
		return finish(c, GW_IMAP_STEP_DONE, NULL);
	open = len - 1;
	while (open > 0 && s[open - 1] != '{' && len - open < 16)
		open--;
	if (open == 0 || s[open - 1] != '{')
		return finish(c, GW_IMAP_STEP_DONE, NULL);
	open--;
	switch (literal(c, s, len, &open, true, &step)) {
	case ARG_OK:
		break;
	case ARG_LITERAL:
		if (c->literal_sync)
			return finish(c, GW_IMAP_STEP_DONE, NULL);
		return GW_IMAP_STEP_LITERAL;
	case ARG_STEP:
		/* Not a literal after all ("{x}"): nothing follows it. A
		 * TOOBIG stands: with LITERAL+ the bytes are coming. */
		if (step == GW_IMAP_STEP_TOOBIG && !c->literal_sync)
			return step;
		c->msg = NULL;
		return finish(c, GW_IMAP_STEP_DONE, NULL);
	}
	return finish(c, GW_IMAP_STEP_DONE, NULL);
}

static enum gw_imap_step args(struct gw_imap_cmd *c, const char *s, size_t len, size_t pos)
{
	switch (c->kind) {
	case GW_IMAP_CMD_CAPABILITY:
	case GW_IMAP_CMD_NOOP:
	case GW_IMAP_CMD_LOGOUT:
	case GW_IMAP_CMD_STARTTLS:
		if (pos != len)
			return bad(c, "This command takes no arguments");
		return finish(c, GW_IMAP_STEP_DONE, NULL);
	case GW_IMAP_CMD_LOGIN:
		return args_login(c, s, len, pos);
	case GW_IMAP_CMD_AUTHENTICATE:
		return args_authenticate(c, s, len, pos);
	case GW_IMAP_CMD_ID:
		return args_id(c, s, len, pos);
	case GW_IMAP_CMD_OTHER:
		return args_other(c, s, len);
	case GW_IMAP_CMD_NONE:
	case GW_IMAP_CMD_LAST:
		break;
	}
	return bad(c, "Internal parser state error");
}

static enum gw_imap_kind lookup(const char *name, size_t n)
{
	static const enum gw_imap_kind kinds[] = {
		GW_IMAP_CMD_CAPABILITY, GW_IMAP_CMD_NOOP,  GW_IMAP_CMD_LOGOUT,	     GW_IMAP_CMD_STARTTLS,
		GW_IMAP_CMD_ID,		GW_IMAP_CMD_LOGIN, GW_IMAP_CMD_AUTHENTICATE,
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *k = kind_names[kinds[i]];
		if (strlen(k) == n && strncasecmp(k, name, n) == 0)
			return kinds[i];
	}
	return GW_IMAP_CMD_OTHER;
}

/* tag SP name, the start of every command. */
static enum gw_imap_step start(struct gw_imap_cmd *c, const char *s, size_t len)
{
	size_t pos = 0;
	size_t name;

	while (pos < len && is_tag_char((unsigned char)s[pos]))
		pos++;
	if (pos == 0)
		return bad(c, len == 0 ? "Empty command line" : "Invalid tag");
	if (pos > GW_IMAP_TAG_MAX)
		return bad(c, "Tag too long");
	if (pos < len && s[pos] != ' ')
		return bad(c, "Invalid tag");
	memcpy(c->tag, s, pos);
	c->tag[pos] = '\0';
	if (pos == len)
		return bad(c, "Missing command");
	name = ++pos;
	while (pos < len && is_atom_char((unsigned char)s[pos]))
		pos++;
	if (pos == name)
		return bad(c, "Missing command");
	c->name_end = pos;
	c->kind = pos - name > NAME_MAX_LEN ? GW_IMAP_CMD_OTHER : lookup(s + name, pos - name);
	if (pos < len && s[pos] != ' ') {
		/* "a LOGIN{5}" or junk glued to the name: not a command we know. */
		if (c->kind != GW_IMAP_CMD_OTHER)
			return bad(c, "Expected a space after the command name");
	}
	return args(c, s, len, pos);
}

enum gw_imap_step gw_imap_cmd_line(struct gw_imap_cmd *c, const char *line, size_t len)
{
	enum gw_imap_phase phase = c->phase;

	if (phase != GW_IMAP_PHASE_START && phase != GW_IMAP_PHASE_CONT)
		return bad(c, "Command line out of turn");
	/* The cap counts the line end too, so that empty continuation lines
	 * after {0} literals cannot go on for ever. */
	if (len > c->params.command_max || len + 2 > c->params.command_max - c->total)
		return bad(c, "Command too long");
	c->total += len + 2;
	if (phase == GW_IMAP_PHASE_START)
		return start(c, line, len);
	/* phase stays CONT: the arguments go on where the literal ended */
	return args(c, line, len, 0);
}

enum gw_imap_step gw_imap_cmd_literal(struct gw_imap_cmd *c, const char *data, size_t len)
{
	if (c->phase != GW_IMAP_PHASE_LITERAL || len != c->literal_len)
		return bad(c, "Literal out of turn");
	c->total += len;
	if (!c->discard) {
		/* Only LOGIN keeps literals; its arguments are C strings. */
		if (memchr(data, '\0', len) != NULL)
			return bad(c, "NUL in a literal");
		if (mk_buf_add(&c->arg[c->nargs], data, len) != 0)
			return bad(c, "Argument too long");
		c->nargs++;
	}
	c->discard = false;
	c->phase = GW_IMAP_PHASE_CONT;
	return GW_IMAP_STEP_MORE;
}
