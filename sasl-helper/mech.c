#include "sasl-helper/mech.h"

#include <strings.h>

const struct mk_sasl_mech *mk_sasl_mech_find(const char *name)
{
	static const struct mk_sasl_mech *const all[] = { &mk_sasl_xoauth2, &mk_sasl_oauthbearer };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcasecmp(name, all[i]->name) == 0)
			return all[i];
	return NULL;
}
