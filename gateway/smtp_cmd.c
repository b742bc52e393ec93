#include "smtp_cmd.h"

#include <string.h>
#include <strings.h>

#include "common/str.h"

static const struct {
	const char *kw;
	enum gw_smtp_verb verb;
} verbs[] = {
	{ "EHLO", GW_SMTP_EHLO },	  { "HELO", GW_SMTP_HELO },	{ "AUTH", GW_SMTP_AUTH },
	{ "STARTTLS", GW_SMTP_STARTTLS }, { "RSET", GW_SMTP_RSET },	{ "NOOP", GW_SMTP_NOOP },
	{ "QUIT", GW_SMTP_QUIT },	  { "HELP", GW_SMTP_HELP },	{ "MAIL", GW_SMTP_NEEDAUTH },
	{ "RCPT", GW_SMTP_NEEDAUTH },	  { "DATA", GW_SMTP_NEEDAUTH }, { "BDAT", GW_SMTP_NEEDAUTH },
	{ "VRFY", GW_SMTP_NEEDAUTH },	  { "EXPN", GW_SMTP_NEEDAUTH }, { "ETRN", GW_SMTP_NEEDAUTH },
};

static const char *const verb_names[GW_SMTP_VERB_LAST] = {
	[GW_SMTP_EHLO] = "EHLO",	 [GW_SMTP_HELO] = "HELO", [GW_SMTP_AUTH] = "AUTH",
	[GW_SMTP_STARTTLS] = "STARTTLS", [GW_SMTP_RSET] = "RSET", [GW_SMTP_NOOP] = "NOOP",
	[GW_SMTP_QUIT] = "QUIT",	 [GW_SMTP_HELP] = "HELP", [GW_SMTP_NEEDAUTH] = "NEEDAUTH",
	[GW_SMTP_UNKNOWN] = "UNKNOWN",
};

const char *gw_smtp_verb_name(enum gw_smtp_verb v)
{
	return (unsigned)v < GW_SMTP_VERB_LAST ? verb_names[v] : "?";
}

/* RFC 4422 §3.1: 1 to 20 of [A-Z0-9-_]; lower case is accepted and folded
 * by gw_sasl_mech_parse. */
static bool is_mech_name(const char *s, size_t n)
{
	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

static enum gw_smtp_verb lookup(const char *kw, size_t n)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i].kw) == n && strncasecmp(verbs[i].kw, kw, n) == 0)
			return verbs[i].verb;
	return GW_SMTP_UNKNOWN;
}

/* EHLO/HELO domain (RFC 5321 §4.1.1.1). Only the first word is kept:
 * clients that append more (some old ones send their product name) are
 * answered as Postfix answers them, not refused. */
static int parse_helo(const char *args, size_t n, struct gw_smtp_cmd *cmd, struct mk_error *err)
{
	const char *sp = n > 0 ? memchr(args, ' ', n) : NULL;
	size_t dlen = sp != NULL ? (size_t)(sp - args) : n;

	if (dlen == 0)
		return mk_error_set(err, MK_ERR_PROTO, "%s needs a domain", verb_names[cmd->verb]);
	for (size_t i = 0; i < dlen; i++)
		if ((unsigned char)args[i] <= 0x20 || (unsigned char)args[i] >= 0x7f)
			return mk_error_set(err, MK_ERR_PROTO, "%s domain is not printable ASCII",
					    verb_names[cmd->verb]);
	cmd->domain = args;
	cmd->domain_len = dlen;
	return 0;
}

/* AUTH mechanism [initial-response] (RFC 4954 §4). */
static int parse_auth(const char *args, size_t n, struct gw_smtp_cmd *cmd, struct mk_error *err)
{
	const char *sp = n > 0 ? memchr(args, ' ', n) : NULL;
	size_t mlen = sp != NULL ? (size_t)(sp - args) : n;

	if (!is_mech_name(args, mlen))
		return mk_error_set(err, MK_ERR_PROTO, "AUTH needs a SASL mechanism name");
	cmd->mech_name = args;
	cmd->mech_len = mlen;
	cmd->mech = gw_sasl_mech_parse(args, mlen);
	if (sp == NULL)
		return 0;
	cmd->ir = sp + 1;
	cmd->ir_len = n - mlen - 1;
	if (cmd->ir_len == 0 || memchr(cmd->ir, ' ', cmd->ir_len) != NULL)
		return mk_error_set(err, MK_ERR_PROTO,
				    "AUTH takes a mechanism and at most one initial response");
	cmd->has_ir = true;
	if (cmd->ir_len == 1 && cmd->ir[0] == '=')
		cmd->ir_len = 0;
	return 0;
}

int gw_smtp_cmd_parse(const char *line, size_t len, struct gw_smtp_cmd *cmd, struct mk_error *err)
{
	const char *sp, *args = "";
	size_t kwlen, n = 0;

	memset(cmd, 0, sizeof(*cmd));
	cmd->verb = GW_SMTP_UNKNOWN;
	cmd->mech = GW_SASL_MECH_OTHER;
	if (len == 0)
		return mk_error_set(err, MK_ERR_PROTO, "empty command line");
	if (mk_str_has_crlfnul(line, len))
		return mk_error_set(err, MK_ERR_PROTO, "NUL, CR or LF inside a command line");
	sp = memchr(line, ' ', len);
	kwlen = sp != NULL ? (size_t)(sp - line) : len;
	if (sp != NULL) {
		args = sp + 1;
		n = len - kwlen - 1;
	}
	/* Trailing spaces are tolerated (Postfix does); inner ones are not. */
	while (n > 0 && args[n - 1] == ' ')
		n--;
	cmd->verb = lookup(line, kwlen);
	switch (cmd->verb) {
	case GW_SMTP_EHLO:
	case GW_SMTP_HELO:
		return parse_helo(args, n, cmd, err);
	case GW_SMTP_AUTH:
		return parse_auth(args, n, cmd, err);
	case GW_SMTP_STARTTLS:
	case GW_SMTP_RSET:
	case GW_SMTP_QUIT:
		if (n > 0)
			return mk_error_set(err, MK_ERR_PROTO, "%s takes no argument", verb_names[cmd->verb]);
		return 0;
	case GW_SMTP_NOOP: /* RFC 5321 §4.1.1.9: a string argument is ignored */
	case GW_SMTP_HELP:
	case GW_SMTP_NEEDAUTH:
	case GW_SMTP_UNKNOWN:
		return 0;
	case GW_SMTP_VERB_LAST:
		break;
	}
	return mk_error_set(err, MK_ERR_INTERNAL, "SMTP command table is broken");
}
