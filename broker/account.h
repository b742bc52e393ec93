/* One configured account, with the provider preset already applied and the
 * per-account overrides on top. Made by broker/config (config.c), read by
 * everyone else. All strings are heap-owned by the struct; free with
 * mk_account_free(). client_secret is a secret. */
#ifndef MK_BROKER_ACCOUNT_H
#define MK_BROKER_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

enum mk_mech_choice {
	MK_MECH_XOAUTH2 = 0,
	MK_MECH_OAUTHBEARER,
};

enum mk_tls_mode {
	MK_TLS_IMPLICIT = 0, /* 465, 993, 995 */
	MK_TLS_STARTTLS,     /* 587, 143, 110 */
};

struct mk_mail_endpoint {
	char *host; /* NULL = this protocol is not configured */
	unsigned port;
	enum mk_tls_mode tls;
};

struct mk_account {
	char *name;	/* the section name: [account NAME] */
	char *provider; /* google, microsoft, yahoo, aol, generic */
	char *user;	/* mail address; SASL user */

	char *client_id;
	char *client_secret; /* secret; NULL for public clients */

	char *issuer; /* for discovery and RFC 9207 iss checks */
	char *authorization_endpoint;
	char *token_endpoint;
	char *device_endpoint;	    /* NULL = provider has no device flow */
	char *revocation_endpoint;  /* NULL = provider has no revocation (Microsoft) */
	char *scope;		    /* space-separated */
	char *auth_params;	    /* extra query for the authorization URL,
				       "access_type=offline&prompt=consent" */
	char *tenant;		    /* Microsoft: common, consumers, organizations, ID */
	char *redirect_host;	    /* "127.0.0.1" (RFC 8252) or "localhost" (Microsoft) */
	bool device_scopes_refused; /* Google: no device flow for mail scopes */
	bool iss_param_supported;   /* RFC 9207: the server sends `iss` on the redirect */

	struct mk_mail_endpoint imap, smtp, pop3;
	enum mk_mech_choice mech;

	unsigned refresh_margin;  /* seconds; default 600 */
	unsigned timeout;	  /* mail connect/read/write timeout in seconds; 0 = default */
	char *cafile;		  /* CA bundle for HTTPS and mail TLS; NULL = system */
	char *notify_command;	  /* run (via /bin/sh) when consent is needed */
	char *source_address;	  /* bind mail connections to this local address */
	bool queue;		  /* queue = yes: sendmail mode queues (mailkey queue run sends) */
	unsigned notify_interval; /* seconds between repeats of notify_command (daemon); default 900 */
	char *relay_key;	  /* extra key the daemon's socketmap `relay` map matches; NULL = none */

	char *config_file; /* where the section was read, for messages */
	unsigned config_line;
};

void mk_account_free(struct mk_account **a);

#endif
