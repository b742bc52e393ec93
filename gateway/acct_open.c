#include "gateway/acct_open.h"

#include <string.h>

#include "mail/imap.h"
#include "mail/pop3.h"
#include "mail/smtp.h"

static const char *const proto_names[] = { "imap", "pop3", "smtp" };

const char *gw_proto_name(enum gw_proto p)
{
	return (unsigned)p < 3 ? proto_names[p] : "?";
}

const struct mk_mail_endpoint *gw_acct_endpoint(const struct mk_account *a, enum gw_proto p)
{
	return p == GW_IMAP ? &a->imap : p == GW_POP3 ? &a->pop3 : &a->smtp;
}

static void conn_params(const struct mk_account *a, enum gw_proto p, const char *cafile,
			struct mk_conn_params *cp)
{
	const struct mk_mail_endpoint *e = gw_acct_endpoint(a, p);

	memset(cp, 0, sizeof(*cp));
	cp->host = e->host;
	cp->port = e->port;
	cp->implicit_tls = e->tls == MK_TLS_IMPLICIT;
	cp->cafile = cafile != NULL ? cafile : a->cafile;
	cp->source_address = a->source_address;
	cp->connect_timeout_ms = cp->io_timeout_ms = a->timeout * 1000;
}

int gw_acct_open(const struct mk_account *a, enum gw_proto p, const char *cafile, bool any_mech,
		 const char *token, void **r, bool *expired, struct mk_error *err)
{
	const struct mk_sasl_mech *mech =
		a->mech == MK_MECH_XOAUTH2 ? &mk_sasl_xoauth2 : &mk_sasl_oauthbearer;
	const struct mk_sasl_mech *alt = !any_mech		      ? NULL
					 : a->mech == MK_MECH_XOAUTH2 ? &mk_sasl_oauthbearer
								      : &mk_sasl_xoauth2;

	switch (p) {
	case GW_IMAP: {
		struct mk_imap_params ip = { .mech = mech, .mech_alt = alt, .user = a->user, .token = token };
		conn_params(a, p, cafile, &ip.conn);
		return mk_imap_open(&ip, (struct mk_imap **)r, expired, err);
	}
	case GW_POP3: {
		/* Office 365 POP3 takes the response only after "+ " (protocols.md §1.6). */
		struct mk_pop3_params pp = { .mech = mech,
					     .mech_alt = alt,
					     .user = a->user,
					     .token = token,
					     .force_two_step = strcmp(a->provider, "microsoft") == 0 };
		conn_params(a, p, cafile, &pp.conn);
		return mk_pop3_open(&pp, (struct mk_pop3 **)r, expired, err);
	}
	case GW_SMTP: {
		struct mk_smtp_params sp = { .mech = mech, .mech_alt = alt, .user = a->user, .token = token };
		conn_params(a, p, cafile, &sp.conn);
		return mk_smtp_open(&sp, (struct mk_smtp **)r, expired, err);
	}
	}
	return mk_error_set(err, MK_ERR_INTERNAL, "unknown protocol");
}
