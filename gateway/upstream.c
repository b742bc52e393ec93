/* The upstream login of one gateway session: a token from the daemon (its
 * single-flight refresh is shared by every connection and never blocks
 * another one), the login through mail/ exactly as `mailkey fetch/send`
 * does it (gateway/acct_open.c), one fresh token when the server refuses,
 * then the logged-in connection detached for the relay. */
#include "gateway/upstream.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/client/client.h"
#include "common/error.h"
#include "common/log.h"
#include "common/secret.h"
#include "gateway/acct_open.h"
#include "mail/conn.h"
#include "mail/imap.h"
#include "mail/pop3.h"
#include "mail/smtp.h"

/* The daemon answers at once from memory; a refresh it runs for us is
 * bounded by the account's timeout at the token endpoint. */
#define GW_TOKEN_WAIT_MS(a) ((a)->timeout * 1000u + 5000u)

static int get_token(const struct mk_account *a, const char *sock, bool fresh, char **tok,
		     struct mk_error *err)
{
	char req[200];
	int rc;

	snprintf(req, sizeof(req), "token %s%s", a->name, fresh ? " fresh" : "");
	rc = mk_client_request(sock, req, GW_TOKEN_WAIT_MS(a), tok, err);
	if (rc == 1)
		return mk_error_set(err, MK_ERR_TEMP,
				    "the mailkey daemon does not answer at %s: start `mailkey daemon` (or "
				    "`mailkey gateway`) again",
				    sock != NULL ? sock : "its socket");
	if (rc == 0)
		return 0;
	if (err->cls == MK_ERR_CONSENT) {
		/* The client (a scanner's display, a mail program's dialog)
		 * gets the short form with what to do; the provider's reason
		 * goes to the log. */
		bool never = strstr(err->msg, "no tokens yet") != NULL;
		mk_log(MK_LOG_INFO, "gateway: the daemon says: %s", err->msg);
		mk_error_set(err, MK_ERR_CONSENT, "account %s %s: run `%s login %s`", a->name,
			     never ? "has no tokens yet" : "needs a new login", mk_hint_cmd(), a->name);
	}
	return -1;
}

static struct mk_conn *detach(enum gw_proto proto, void *s, char **caps_r)
{
	switch (proto) {
	case GW_IMAP:
		return mk_imap_detach((struct mk_imap **)&s, caps_r);
	case GW_POP3:
		return mk_pop3_detach((struct mk_pop3 **)&s);
	case GW_SMTP:
		return mk_smtp_detach((struct mk_smtp **)&s);
	}
	return NULL;
}

int gw_upstream_login(const struct mk_account *a, enum gw_proto proto, const char *token_socket,
		      const char *cafile, struct gw_upstream **up_r, struct mk_error *err)
{
	struct gw_upstream *up;
	struct mk_error first;
	char *tok = NULL, *caps = NULL;
	void *s = NULL;
	bool expired = false;

	*up_r = NULL;
	mk_error_init(&first);
	if (gw_acct_endpoint(a, proto)->host == NULL)
		return mk_error_set(err, MK_ERR_CONFIG,
				    "account %s has no %s server: set %s = HOST:PORT in [account %s]",
				    a->name, gw_proto_name(proto), gw_proto_name(proto), a->name);
	for (int attempt = 0;; attempt++) {
		int rc;

		if (get_token(a, token_socket, attempt > 0, &tok, err) != 0) {
			if (attempt > 0 && err->cls != MK_ERR_CONSENT)
				mk_error_prefix(err, "%s; no new token could be had", first.msg);
			return -1;
		}
		rc = gw_acct_open(a, proto, cafile, true, tok, &s, &expired, err);
		mk_secret_clear_str(&tok);
		if (rc == 0)
			break;
		if (err->cls != MK_ERR_AUTH)
			return -1;
		if (attempt > 0) {
			/* Refused twice: a server that cannot reach its own
			 * provider, or a clock problem; the client retries later. */
			mk_error_prefix(err, "the %s server refused a fresh token too", gw_proto_name(proto));
			err->cls = MK_ERR_TEMP;
			return -1;
		}
		first = *err;
		mk_log(MK_LOG_INFO, "gateway: the %s server refused %s's token%s; asking for a fresh one",
		       gw_proto_name(proto), a->name, expired ? " (it says it expired)" : "");
	}
	up = calloc(1, sizeof(*up));
	if (up == NULL) {
		struct mk_conn *c = detach(proto, s, NULL);
		mk_conn_free(&c);
		return mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
	}
	up->conn = detach(proto, s, proto == GW_IMAP ? &caps : NULL);
	up->imap_caps = caps;
	if (up->conn == NULL) {
		gw_upstream_free(&up);
		return mk_error_set(err, MK_ERR_CONN,
				    "the %s server closed the session right after the login",
				    gw_proto_name(proto));
	}
	*up_r = up;
	return 0;
}

void gw_upstream_free(struct gw_upstream **upp)
{
	struct gw_upstream *up = *upp;

	if (up == NULL)
		return;
	mk_conn_free(&up->conn);
	free(up->imap_caps);
	free(up);
	*upp = NULL;
}
