#include "broker/account.h"

#include <stdlib.h>

#include "common/secret.h"

void mk_account_free(struct mk_account **ap)
{
	struct mk_account *a = *ap;

	if (a == NULL)
		return;
	free(a->name);
	free(a->provider);
	free(a->user);
	free(a->client_id);
	mk_secret_free_str(a->client_secret);
	free(a->issuer);
	free(a->authorization_endpoint);
	free(a->token_endpoint);
	free(a->device_endpoint);
	free(a->revocation_endpoint);
	free(a->scope);
	free(a->auth_params);
	free(a->tenant);
	free(a->redirect_host);
	free(a->imap.host);
	free(a->smtp.host);
	free(a->pop3.host);
	free(a->cafile);
	free(a->notify_command);
	free(a->source_address);
	free(a->relay_key);
	free(a->config_file);
	free(a);
	*ap = NULL;
}
