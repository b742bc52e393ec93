/* A Cyrus SASL client plugin offering XOAUTH2 and OAUTHBEARER, for programs
 * that authenticate through libsasl2 (Postfix's smtp client, mutt built with
 * SASL, cyrus imtest). It wraps the same mechanism code as mailkey itself.
 *
 * The user name comes from SASL_CB_AUTHNAME (or SASL_CB_USER), the access
 * token from SASL_CB_PASS, either through callbacks or, when the
 * application has none, through interaction prompts. The plugin runs inside
 * other programs: it never exits or aborts and wipes every copy of the token
 * it makes. A failure is both set as the error detail and logged at
 * SASL_LOG_WARN through the host's SASL_CB_LOG: Postfix shows only the log
 * ("warning: SASL authentication problem: ..."), never sasl_errdetail. The
 * text names the user, never the token, and points a server's admin at
 * `mailkey status`: on a server the token comes from the daemon, so a
 * command that refreshes by hand is not the fix.
 *
 * Exchange (both mechanisms are client-first, SASL_FEAT_WANT_CLIENT_FIRST):
 *   step 1: build the initial response, return SASL_CONTINUE;
 *   step 2: an empty server message means success (SASL_OK); a non-empty
 *           one is the error challenge: answer it as the mechanism says
 *           (empty for XOAUTH2, ^A for OAUTHBEARER, RFC 7628 §3.2.3), record
 *           the decoded reason with seterror and return SASL_CONTINUE so
 *           the server can send its final failure;
 *   step 3: anything more is a protocol error (SASL_BADPROT). */
#include <sasl/sasl.h>
#include <sasl/saslplug.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/str.h"
#include "sasl-helper/mech.h"

/* RFC 4954 §4 asks for 12288 octets; Microsoft tokens are longer than
 * 4096. A response is capped well above both. */
#define MK_CYRUS_MAX (64 * 1024)

enum mk_cyrus_state {
	MK_CYRUS_STATE_START = 0,
	MK_CYRUS_STATE_SENT,	 /* initial response handed out */
	MK_CYRUS_STATE_ANSWERED, /* error challenge answered */
	MK_CYRUS_STATE_LAST
};

struct mk_cyrus_ctx {
	const struct mk_sasl_mech *mech;
	enum mk_cyrus_state state;
	struct mk_buf out;  /* what clientout points to: secret */
	struct mk_buf user; /* the user name, for failure texts */
};

/* Where a server's admin looks next; every failure text ends with it. */
#define MK_CYRUS_HINT                                                                                        \
	"the token comes from mailkey: run `mailkey status` (`sudo mailkey --system status` for the system " \
	"service) to see the account with this user and what it "                                            \
	"needs, and `journalctl -u mailkey` for the daemon's refreshes"

/* Record a failure for the application: the error detail (sasl_errdetail)
 * and a warning through the host's log callback. The text never holds the
 * token. */
static void fail_text(const sasl_utils_t *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail_text(const sasl_utils_t *u, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap); /* cut, never overrun: a log line */
	va_end(ap);
	u->seterror(u->conn, 0, "%s", msg);
	u->log(u->conn, SASL_LOG_WARN, "%s", msg);
}

/* What a refused token means, for someone who runs a mail server. */
static const char *admin_reason(const struct mk_sasl_failure *fail)
{
	if (strcmp(fail->status, "403") == 0 || strcmp(fail->status, "insufficient_scope") == 0)
		return "the token lacks the scope the server wants: add it to the account's scopes in "
		       "mailkey's config and log in again";
	if (mk_sasl_failure_is_token_problem(fail))
		return "it is expired, revoked or for another user";
	return "the server gave a reason mailkey does not know";
}

/* Put (id, prompt) into the interaction list the application fills in. */
static int make_prompts(const sasl_utils_t *u, sasl_interact_t **need, bool want_user, bool want_pass)
{
	size_t n = (size_t)want_user + (size_t)want_pass + 1, i = 0;
	sasl_interact_t *p = u->malloc(sizeof(*p) * n);

	if (p == NULL)
		return SASL_NOMEM;
	memset(p, 0, sizeof(*p) * n);
	if (want_user) {
		p[i].id = SASL_CB_AUTHNAME;
		p[i].challenge = "XOAUTH2/OAUTHBEARER";
		p[i++].prompt = "User name (the mailbox address)";
	}
	if (want_pass) {
		p[i].id = SASL_CB_PASS;
		p[i].challenge = "XOAUTH2/OAUTHBEARER";
		p[i++].prompt = "OAuth 2.0 access token";
	}
	p[i].id = SASL_CB_LIST_END;
	*need = p;
	return SASL_INTERACT;
}

static const sasl_interact_t *find_prompt(const sasl_interact_t *p, unsigned long id)
{
	for (; p != NULL && p->id != SASL_CB_LIST_END; p++)
		if (p->id == id && p->result != NULL)
			return p;
	return NULL;
}

/* The user name: an answered prompt, else SASL_CB_AUTHNAME, else
 * SASL_CB_USER. SASL_INTERACT when only a prompt can give it. */
static int get_user(sasl_client_params_t *params, const sasl_interact_t *answers, const char **v,
		    unsigned *len)
{
	static const unsigned long ids[] = { SASL_CB_AUTHNAME, SASL_CB_USER };
	const sasl_interact_t *a = find_prompt(answers, SASL_CB_AUTHNAME);
	int rc = SASL_INTERACT;

	if (a != NULL) {
		*v = a->result;
		*len = a->len;
		return SASL_OK;
	}
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		sasl_getsimple_t *cb = NULL;
		void *ctx = NULL;
		rc = params->utils->getcallback(params->utils->conn, ids[i], (sasl_callback_ft *)&cb, &ctx);
		if (rc == SASL_OK && cb != NULL) {
			*v = NULL;
			*len = 0;
			rc = cb(ctx, (int)ids[i], v, len);
			if (rc == SASL_OK && *v != NULL && *len == 0)
				*len = (unsigned)strlen(*v); /* len is optional for callbacks */
			return rc;
		}
	}
	return rc == SASL_FAIL ? SASL_INTERACT : rc;
}

static int get_token(sasl_client_params_t *params, const sasl_interact_t *answers, const char **v,
		     unsigned *len)
{
	const sasl_interact_t *a = find_prompt(answers, SASL_CB_PASS);
	sasl_getsecret_t *cb = NULL;
	sasl_secret_t *secret = NULL;
	void *ctx = NULL;
	int rc;

	if (a != NULL) {
		*v = a->result;
		*len = a->len;
		return SASL_OK;
	}
	rc = params->utils->getcallback(params->utils->conn, SASL_CB_PASS, (sasl_callback_ft *)&cb, &ctx);
	if (rc != SASL_OK || cb == NULL)
		return rc == SASL_OK ? SASL_INTERACT : rc;
	rc = cb(params->utils->conn, ctx, SASL_CB_PASS, &secret);
	if (rc != SASL_OK)
		return rc;
	if (secret == NULL)
		return SASL_BADPARAM;
	/* The application owns the secret; it stays valid for this step. */
	*v = (const char *)secret->data;
	*len = (unsigned)secret->len;
	return SASL_OK;
}

/* The port of "addr;port" (sasl_client_new's ipremoteport), 0 if none. */
static unsigned remote_port(const char *ipport)
{
	const char *semi = ipport != NULL ? strrchr(ipport, ';') : NULL;
	unsigned port = 0;

	if (semi == NULL || mk_str_to_uint(semi + 1, 65535, &port) != 0)
		return 0;
	return port;
}

static int start(struct mk_cyrus_ctx *c, sasl_client_params_t *params, sasl_interact_t **need,
		 const char **clientout, unsigned *clientoutlen, sasl_out_params_t *oparams)
{
	const sasl_interact_t *answers = need != NULL ? *need : NULL;
	const char *user = NULL, *token = NULL;
	unsigned ulen = 0, tlen = 0;
	struct mk_buf t;
	struct mk_sasl_creds creds;
	struct mk_error err;
	int urc, trc, rc;

	mk_error_init(&err);
	mk_buf_free(&c->user); /* a second start after prompts */
	mk_buf_init_secret(&t, MK_CYRUS_MAX);
	urc = get_user(params, answers, &user, &ulen);
	trc = get_token(params, answers, &token, &tlen);
	if ((urc != SASL_OK && urc != SASL_INTERACT) || (trc != SASL_OK && trc != SASL_INTERACT)) {
		rc = urc != SASL_OK && urc != SASL_INTERACT ? urc : trc;
		goto out;
	}
	if (answers != NULL) {
		params->utils->free(*need);
		*need = NULL;
	}
	if (urc == SASL_INTERACT || trc == SASL_INTERACT) {
		if (need == NULL) {
			fail_text(params->utils,
				  "mailkey %s: the application gave no user name or no access token "
				  "(SASL_CB_AUTHNAME, SASL_CB_PASS); with Postfix, check that "
				  "smtp_sasl_password_maps answers `user:token` (postmap -q)",
				  c->mech->name);
			rc = SASL_BADPARAM;
			goto out;
		}
		rc = make_prompts(params->utils, need, urc == SASL_INTERACT, trc == SASL_INTERACT);
		goto out;
	}
	/* Length-checked first: a NUL inside the token would cut it. A bad
	 * user is not echoed (it may hold anything); a good one is named. */
	if (mk_sasl_check_value("user", user, ulen, &err) != MK_SASL_OK ||
	    mk_buf_add(&c->user, user, ulen) != 0) {
		fail_text(params->utils, "mailkey %s: the user name is not usable (%s)", c->mech->name,
			  err.cls != MK_ERR_NONE ? err.msg : "it is too long");
		rc = SASL_BADPARAM;
		goto out;
	}
	if (mk_sasl_check_value("token", token, tlen, &err) != MK_SASL_OK ||
	    mk_buf_add(&t, token, tlen) != 0) {
		fail_text(params->utils,
			  "mailkey %s: the password given for %s is not a usable access token (%s); %s",
			  c->mech->name, mk_buf_str(&c->user),
			  err.cls != MK_ERR_NONE ? err.msg : "it is too long", MK_CYRUS_HINT);
		rc = SASL_BADPARAM;
		goto out;
	}
	creds.user = mk_buf_str(&c->user);
	creds.token = mk_buf_str(&t);
	creds.host = params->serverFQDN != NULL && *params->serverFQDN ? params->serverFQDN : NULL;
	creds.port = remote_port(params->ipremoteport);
	mk_error_init(&err);
	if (c->mech->start(&creds, &c->out, &err) != MK_SASL_OK) {
		fail_text(params->utils, "mailkey %s: %s", c->mech->name, err.msg);
		rc = SASL_BADPARAM;
		goto out;
	}
	rc = params->canon_user(params->utils->conn, creds.user, 0, SASL_CU_AUTHID | SASL_CU_AUTHZID,
				oparams);
	if (rc != SASL_OK)
		goto out;
	*clientout = c->out.data;
	*clientoutlen = (unsigned)c->out.len;
	c->state = MK_CYRUS_STATE_SENT;
	rc = SASL_CONTINUE;
out:
	if (rc != SASL_CONTINUE)
		mk_buf_free(&c->out);
	mk_buf_free(&t);
	return rc;
}

static void done(sasl_out_params_t *oparams)
{
	oparams->doneflag = 1;
	oparams->mech_ssf = 0; /* no security layer */
	oparams->maxoutbuf = 0;
	oparams->encode_context = NULL;
	oparams->encode = NULL;
	oparams->decode_context = NULL;
	oparams->decode = NULL;
	oparams->param_version = 0;
}

static int mech_step(void *conn_context, sasl_client_params_t *params, const char *serverin,
		     unsigned serverinlen, sasl_interact_t **prompt_need, const char **clientout,
		     unsigned *clientoutlen, sasl_out_params_t *oparams)
{
	struct mk_cyrus_ctx *c = conn_context;
	struct mk_sasl_failure fail;
	struct mk_error err;

	*clientout = NULL;
	*clientoutlen = 0;
	switch (c->state) {
	case MK_CYRUS_STATE_START:
		if (serverinlen != 0) /* client-first: the server cannot speak first */
			return SASL_BADPROT;
		return start(c, params, prompt_need, clientout, clientoutlen, oparams);
	case MK_CYRUS_STATE_SENT:
		mk_buf_free(&c->out); /* the token is no longer needed */
		if (serverinlen == 0) {
			done(oparams);
			return SASL_OK;
		}
		mk_error_init(&err);
		mk_buf_init(&c->out, 16);
		if (c->mech->step((const unsigned char *)serverin, serverinlen, &c->out, &fail, &err) !=
		    MK_SASL_AUTH_FAILED)
			return SASL_BADPROT;
		/* fail.message tells a mailkey user what to run; a server's admin
		 * gets the same facts and where to look instead. */
		fail_text(params->utils,
			  "mailkey %s: the server refused the access token for %s (status %.60s%s%.120s): "
			  "%s; %s",
			  c->mech->name, mk_buf_str(&c->user), fail.status[0] ? fail.status : "missing",
			  fail.scope[0] ? ", scope " : "", fail.scope, admin_reason(&fail), MK_CYRUS_HINT);
		c->state = MK_CYRUS_STATE_ANSWERED;
		/* An empty answer still has to go out: "" with length 0. */
		*clientout = c->out.len > 0 ? c->out.data : "";
		*clientoutlen = (unsigned)c->out.len;
		return SASL_CONTINUE;
	case MK_CYRUS_STATE_ANSWERED:
	case MK_CYRUS_STATE_LAST:
		break;
	}
	return SASL_BADPROT;
}

static int mech_new(const struct mk_sasl_mech *mech, sasl_client_params_t *params, void **conn_context)
{
	struct mk_cyrus_ctx *c = params->utils->malloc(sizeof(*c));

	if (c == NULL)
		return SASL_NOMEM;
	memset(c, 0, sizeof(*c));
	c->mech = mech;
	c->state = MK_CYRUS_STATE_START;
	mk_buf_init_secret(&c->out, MK_CYRUS_MAX);
	mk_buf_init(&c->user, 4096);
	*conn_context = c;
	return SASL_OK;
}

/* One mech_new per mechanism: glob_context is void * and the mechanisms
 * are const. */
static int new_xoauth2(void *glob_context, sasl_client_params_t *params, void **conn_context)
{
	(void)glob_context;
	return mech_new(&mk_sasl_xoauth2, params, conn_context);
}

static int new_oauthbearer(void *glob_context, sasl_client_params_t *params, void **conn_context)
{
	(void)glob_context;
	return mech_new(&mk_sasl_oauthbearer, params, conn_context);
}

static void mech_dispose(void *conn_context, const sasl_utils_t *utils)
{
	struct mk_cyrus_ctx *c = conn_context;

	if (c == NULL)
		return;
	mk_buf_free(&c->out); /* wipes the response holding the token */
	mk_buf_free(&c->user);
	utils->free(c);
}

/* How libsasl2 (2.1.27+, lib/client.c) picks: it keeps the client's
 * mechanisms sorted by mech_compare (a security flag a mechanism has and
 * another lacks wins, in the order NOANONYMOUS, NOPLAINTEXT, MUTUAL_AUTH,
 * NOACTIVE, NODICTIONARY, FORWARD_SECRECY; then channel binding; then
 * max_ssf) and takes the first one the server offers that meets the
 * requested flags. PLAIN and LOGIN have NOANONYMOUS only, as we did: a tie,
 * which the plugins' load order broke (the first loaded wins).
 *
 * NODICTIONARY is true of a bearer token: it is random and issued by the
 * provider, not derived from something a person chose, so a recorded
 * exchange gives nothing to guess offline. That ranks us above PLAIN and
 * LOGIN with no claim we cannot keep. What we do not claim:
 * - NOPLAINTEXT: the token crosses the wire as it is, and whoever reads a
 *   cleartext session can replay it until it expires. libsasl2 lifts that
 *   requirement itself when the host reports TLS as SASL_SSF_EXTERNAL;
 *   Postfix does not, so its default `noplaintext` filters us out and the
 *   recipe (docs/postfix.md) sets smtp_sasl_tls_security_options =
 *   noanonymous, which applies to TLS sessions only.
 * - max_ssf > 0 (sasl-xoauth2's way to be preferred): there is no security
 *   layer, and a host asking for min_ssf > 0 would get none. */
#define MK_CYRUS_PLUG(name, new_fn)                                                                          \
	{                                                                                                    \
		.mech_name = (name), .max_ssf = 0,                                                           \
		.security_flags = SASL_SEC_NOANONYMOUS | SASL_SEC_NODICTIONARY | SASL_SEC_PASS_CREDENTIALS,  \
		.features = SASL_FEAT_WANT_CLIENT_FIRST | SASL_FEAT_ALLOWS_PROXY, .required_prompts = NULL,  \
		.glob_context = NULL, .mech_new = (new_fn), .mech_step = mech_step,                          \
		.mech_dispose = mech_dispose,                                                                \
	}

/* libsasl2 reads this table, never writes it; the API wants it non-const.
 * OAUTHBEARER first: the standard one is preferred when a server offers
 * both. */
static sasl_client_plug_t plugins[] = { MK_CYRUS_PLUG("OAUTHBEARER", new_oauthbearer),
					MK_CYRUS_PLUG("XOAUTH2", new_xoauth2) };

int sasl_client_plug_init(sasl_utils_t *utils, int maxversion, int *out_version,
			  sasl_client_plug_t **pluglist, int *plugcount)
	__attribute__((visibility("default")));

int sasl_client_plug_init(sasl_utils_t *utils, int maxversion, int *out_version,
			  sasl_client_plug_t **pluglist, int *plugcount)
{
	if (maxversion < SASL_CLIENT_PLUG_VERSION) {
		utils->seterror(utils->conn, 0, "mailkey XOAUTH2/OAUTHBEARER plugin: libsasl2 too old");
		return SASL_BADVERS;
	}
	*out_version = SASL_CLIENT_PLUG_VERSION;
	*pluglist = plugins;
	*plugcount = (int)(sizeof(plugins) / sizeof(plugins[0]));
	return SASL_OK;
}
