/* Shared by xoauth2.c and oauthbearer.c. */
#ifndef MK_SASL_MECH_PRIVATE_H
#define MK_SASL_MECH_PRIVATE_H

#include "sasl-helper/mech.h"

/* mk_sasl_check_value() on a C string (NULL counts as empty). */
enum mk_sasl_status mk_sasl_check_field(const char *what, const char *v, struct mk_error *err);

/* Decode an error challenge (JSON) into fail; never fails hard: unknown or
 * missing keys leave fields empty. Returns false when it is not JSON. */
bool mk_sasl_parse_failure(const unsigned char *challenge, size_t len, struct mk_sasl_failure *fail);

#endif
