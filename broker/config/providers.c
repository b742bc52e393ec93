/* Provider presets: endpoints, scopes, mail servers and mechanism of the
 * providers people use (research/protocols.md §3.3-3.5). Any field can be
 * overridden per account in the config file. */
#include <stdlib.h>
#include <string.h>

#include "broker/config/config.h"
#include "common/buf.h"

struct preset_server {
	const char *host;
	unsigned port;
	enum mk_tls_mode tls;
};

struct preset {
	const char *name;
	const char *issuer;
	const char *authorization_endpoint; /* "{tenant}" is replaced */
	const char *token_endpoint;
	const char *device_endpoint;
	const char *revocation_endpoint;
	const char *scope;
	const char *auth_params;
	const char *tenant;
	const char *redirect_host;
	bool device_scopes_refused;
	struct preset_server imap, smtp, pop3;
	enum mk_mech_choice mech;
};

#define MS_BASE "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/"

static const struct preset presets[] = {
	{
		.name = "google",
		.issuer = "https://accounts.google.com",
		.authorization_endpoint = "https://accounts.google.com/o/oauth2/v2/auth",
		.token_endpoint = "https://oauth2.googleapis.com/token",
		.device_endpoint = "https://oauth2.googleapis.com/device/code",
		.revocation_endpoint = "https://oauth2.googleapis.com/revoke",
		.scope = "https://mail.google.com/",
		/* Google returns a refresh token only with offline access, and a
		 * new one only when consent is shown again. */
		.auth_params = "access_type=offline&prompt=consent",
		.redirect_host = "127.0.0.1",
		.device_scopes_refused = true,
		.imap = { "imap.gmail.com", 993, MK_TLS_IMPLICIT },
		.smtp = { "smtp.gmail.com", 465, MK_TLS_IMPLICIT },
		.pop3 = { "pop.gmail.com", 995, MK_TLS_IMPLICIT },
		.mech = MK_MECH_XOAUTH2,
	},
	{
		.name = "microsoft",
		.authorization_endpoint = MS_BASE "authorize",
		.token_endpoint = MS_BASE "token",
		.device_endpoint = MS_BASE "devicecode",
		/* Microsoft has no revocation endpoint. */
		.scope = "https://outlook.office.com/IMAP.AccessAsUser.All "
			 "https://outlook.office.com/POP.AccessAsUser.All "
			 "https://outlook.office.com/SMTP.Send offline_access",
		.tenant = "common",
		/* Entra ID accepts http redirects only for localhost. */
		.redirect_host = "localhost",
		.imap = { "outlook.office365.com", 993, MK_TLS_IMPLICIT },
		.smtp = { "smtp.office365.com", 587, MK_TLS_STARTTLS },
		.pop3 = { "outlook.office365.com", 995, MK_TLS_IMPLICIT },
		.mech = MK_MECH_XOAUTH2,
	},
	{
		.name = "yahoo",
		.authorization_endpoint = "https://api.login.yahoo.com/oauth2/request_auth",
		.token_endpoint = "https://api.login.yahoo.com/oauth2/get_token",
		.scope = "mail-w",
		.redirect_host = "127.0.0.1",
		.imap = { "imap.mail.yahoo.com", 993, MK_TLS_IMPLICIT },
		.smtp = { "smtp.mail.yahoo.com", 465, MK_TLS_IMPLICIT },
		.pop3 = { "pop.mail.yahoo.com", 995, MK_TLS_IMPLICIT },
		.mech = MK_MECH_XOAUTH2,
	},
	{
		.name = "aol",
		.authorization_endpoint = "https://api.login.aol.com/oauth2/request_auth",
		.token_endpoint = "https://api.login.aol.com/oauth2/get_token",
		.scope = "mail-w",
		.redirect_host = "127.0.0.1",
		.imap = { "imap.aol.com", 993, MK_TLS_IMPLICIT },
		.smtp = { "smtp.aol.com", 465, MK_TLS_IMPLICIT },
		.pop3 = { "pop.aol.com", 995, MK_TLS_IMPLICIT },
		.mech = MK_MECH_XOAUTH2,
	},
	{
		/* Any RFC 8414 / OpenID server: endpoints come from `issuer` by
		 * discovery unless given. OIDC grants offline_access only when
		 * consent is prompted (OIDC Core §11). */
		.name = "generic",
		.scope = "openid email offline_access",
		.auth_params = "prompt=consent",
		.redirect_host = "127.0.0.1",
		.mech = MK_MECH_OAUTHBEARER,
	},
};

const char *mk_provider_names(void)
{
	return "google, microsoft, yahoo, aol, generic";
}

/* Copy src into *dst unless *dst is set; "{tenant}" becomes tenant. */
static int fill(char **dst, const char *src, const char *tenant)
{
	struct mk_buf b;
	const char *t;

	if (*dst != NULL || src == NULL)
		return 0;
	mk_buf_init(&b, 4096);
	t = strstr(src, "{tenant}");
	if (t != NULL && tenant != NULL) {
		if (mk_buf_add(&b, src, (size_t)(t - src)) != 0 || mk_buf_addstr(&b, tenant) != 0 ||
		    mk_buf_addstr(&b, t + strlen("{tenant}")) != 0)
			goto fail;
	} else if (mk_buf_addstr(&b, src) != 0) {
		goto fail;
	}
	*dst = mk_buf_take(&b);
	return *dst == NULL ? -1 : 0;
fail:
	mk_buf_free(&b);
	return -1;
}

static int fill_server(struct mk_mail_endpoint *e, const struct preset_server *p, bool tls_set)
{
	if (e->host == NULL && p->host != NULL) {
		e->host = strdup(p->host);
		if (e->host == NULL)
			return -1;
		if (e->port == 0)
			e->port = p->port;
		if (!tls_set)
			e->tls = p->tls;
	}
	return 0;
}

int mk_provider_apply(struct mk_account *a, bool mech_set, struct mk_error *err)
{
	const struct preset *p = NULL;

	for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (a->provider != NULL && strcmp(a->provider, presets[i].name) == 0)
			p = &presets[i];
	if (p == NULL)
		return mk_error_set(err, MK_ERR_CONFIG, "unknown provider '%s' (known: %s)",
				    a->provider ? a->provider : "", mk_provider_names());
	if (fill(&a->tenant, p->tenant, NULL) != 0 || fill(&a->issuer, p->issuer, NULL) != 0 ||
	    fill(&a->authorization_endpoint, p->authorization_endpoint, a->tenant) != 0 ||
	    fill(&a->token_endpoint, p->token_endpoint, a->tenant) != 0 ||
	    fill(&a->device_endpoint, p->device_endpoint, a->tenant) != 0 ||
	    fill(&a->revocation_endpoint, p->revocation_endpoint, NULL) != 0 ||
	    fill(&a->scope, p->scope, NULL) != 0 || fill(&a->auth_params, p->auth_params, NULL) != 0 ||
	    fill(&a->redirect_host, p->redirect_host, NULL) != 0 ||
	    fill_server(&a->imap, &p->imap, false) != 0 || fill_server(&a->smtp, &p->smtp, false) != 0 ||
	    fill_server(&a->pop3, &p->pop3, false) != 0)
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	if (!mech_set)
		a->mech = p->mech;
	if (p->device_scopes_refused)
		a->device_scopes_refused = true;
	return 0;
}
