/* Which account a Postfix `relay` socketmap lookup means (docs/protocol.md):
 * Postfix asks smtp_sasl_password_maps with the next hop ("[host]:port",
 * "host:port", "host") or, with smtp_sender_dependent_authentication, the
 * sender address. Pure, for table tests. */
#ifndef MK_BROKER_DAEMON_RELAY_H
#define MK_BROKER_DAEMON_RELAY_H

#include <stdbool.h>

#include "broker/account.h"

/* True when key names account a: equal (ASCII case-insensitive) to its
 * relay_key or its user, or a host form naming its smtp server, where a
 * port, when given, must be the account's smtp port. */
bool mk_relay_match(const char *key, const struct mk_account *a);

#endif
