/* Shared by xoauth2.c and oauthbearer.c. */
#ifndef MK_SASL_MECH_PRIVATE_H
#define MK_SASL_MECH_PRIVATE_H

#include "sasl-helper/mech.h"

/* Reject what would let a value break out of its field: ^A separates
 * key/value pairs, CR/LF end protocol lines, NUL ends C strings. */
enum mk_sasl_status mk_sasl_check_field(const char *what, const char *v, struct mk_error *err);

/* Decode an error challenge (JSON) into fail; never fails hard: unknown or
 * missing keys leave fields empty. Returns false when it is not JSON. */
bool mk_sasl_parse_failure(const unsigned char *challenge, size_t len, struct mk_sasl_failure *fail);

#endif
