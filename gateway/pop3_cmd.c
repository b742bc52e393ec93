#include "pop3_cmd.h"

#include <string.h>
#include <strings.h>

#include "common/str.h"

static const struct {
	const char *kw;
	enum gw_pop3_verb verb;
} verbs[] = {
	{ "USER", GW_POP3_USER },    { "PASS", GW_POP3_PASS },	  { "AUTH", GW_POP3_AUTH },
	{ "CAPA", GW_POP3_CAPA },    { "STLS", GW_POP3_STLS },	  { "QUIT", GW_POP3_QUIT },
	{ "NOOP", GW_POP3_REFUSED }, { "STAT", GW_POP3_REFUSED }, { "LIST", GW_POP3_REFUSED },
	{ "RETR", GW_POP3_REFUSED }, { "DELE", GW_POP3_REFUSED }, { "RSET", GW_POP3_REFUSED },
	{ "TOP", GW_POP3_REFUSED },  { "UIDL", GW_POP3_REFUSED }, { "APOP", GW_POP3_REFUSED },
};

static const char *const verb_names[GW_POP3_VERB_LAST] = {
	[GW_POP3_USER] = "USER",       [GW_POP3_PASS] = "PASS",	      [GW_POP3_AUTH] = "AUTH",
	[GW_POP3_CAPA] = "CAPA",       [GW_POP3_STLS] = "STLS",	      [GW_POP3_QUIT] = "QUIT",
	[GW_POP3_REFUSED] = "REFUSED", [GW_POP3_UNKNOWN] = "UNKNOWN",
};

const char *gw_pop3_verb_name(enum gw_pop3_verb v)
{
	return (unsigned)v < GW_POP3_VERB_LAST ? verb_names[v] : "?";
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

static enum gw_pop3_verb lookup(const char *kw, size_t n)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i].kw) == n && strncasecmp(verbs[i].kw, kw, n) == 0)
			return verbs[i].verb;
	return GW_POP3_UNKNOWN;
}

/* AUTH [mech [initial-response]] (RFC 5034 §4); args is what follows
 * "AUTH " with trailing spaces dropped. */
static int parse_auth(const char *args, size_t n, struct gw_pop3_cmd *cmd, struct mk_error *err)
{
	const char *sp = n > 0 ? memchr(args, ' ', n) : NULL;
	size_t mlen = sp != NULL ? (size_t)(sp - args) : n;

	if (n == 0) /* "AUTH " alone: as a bare AUTH */
		return 0;
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

int gw_pop3_cmd_parse(const char *line, size_t len, struct gw_pop3_cmd *cmd, struct mk_error *err)
{
	const char *sp, *args = NULL;
	size_t kwlen, n = 0;

	memset(cmd, 0, sizeof(*cmd));
	cmd->verb = GW_POP3_UNKNOWN;
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
	cmd->verb = lookup(line, kwlen);
	switch (cmd->verb) {
	case GW_POP3_PASS:
		/* Verbatim: a password may contain and end with spaces. */
		if (n == 0)
			return mk_error_set(err, MK_ERR_PROTO, "PASS needs a password");
		cmd->arg = args;
		cmd->arg_len = n;
		return 0;
	case GW_POP3_USER:
		while (n > 0 && args[n - 1] == ' ')
			n--;
		if (n == 0)
			return mk_error_set(err, MK_ERR_PROTO, "USER needs a user name");
		cmd->arg = args;
		cmd->arg_len = n;
		return 0;
	case GW_POP3_AUTH:
		while (n > 0 && args[n - 1] == ' ')
			n--;
		return parse_auth(args, n, cmd, err);
	case GW_POP3_CAPA:
	case GW_POP3_STLS:
	case GW_POP3_QUIT:
		while (n > 0 && args[n - 1] == ' ')
			n--;
		if (n > 0)
			return mk_error_set(err, MK_ERR_PROTO, "%s takes no argument", verb_names[cmd->verb]);
		return 0;
	case GW_POP3_REFUSED:
	case GW_POP3_UNKNOWN:
		return 0;
	case GW_POP3_VERB_LAST:
		break;
	}
	return mk_error_set(err, MK_ERR_INTERNAL, "POP3 command table is broken");
}
