/* The gateway's local SASL: decoding what a password-only client sends in
 * AUTH PLAIN (RFC 4616) and AUTH LOGIN (draft-murchison-sasl-login), for
 * the IMAP, POP3 and SMTP fronts alike. Pure: no I/O, no logging. Fuzzed
 * (tests/fuzz/gw_sasl_local.c).
 *
 * Everything decoded is a secret (the password, and the user name travels
 * with it): results are heap strings the caller frees with
 * mk_secret_free_str, and every intermediate buffer is wiped. */
#ifndef MK_GATEWAY_SASL_LOCAL_H
#define MK_GATEWAY_SASL_LOCAL_H

#include <stddef.h>

#include "common/error.h"

/* Largest decoded SASL message accepted (a user name and an app password
 * are far shorter; the cap keeps a hostile client's line cheap). */
#define GW_SASL_MAX 1024

/* The mechanisms the gateway offers its clients. */
enum gw_sasl_mech { GW_SASL_MECH_PLAIN = 0, GW_SASL_MECH_LOGIN, GW_SASL_MECH_OTHER };

/* The mechanism named by s[0..len), compared case-insensitively (RFC 4422
 * §3.1 names are upper case; some clients send "auth plain"). Anything
 * else, the empty name included, is GW_SASL_MECH_OTHER. */
enum gw_sasl_mech gw_sasl_mech_parse(const char *s, size_t len);

/* Decode a base64 SASL PLAIN message into user and pass (heap secrets, mk_secret_free_str). MK_ERR_DATA for bad base64/format, authzid != authcid (an empty authzid is fine), NULs inside, over 1024 bytes. */
/* Returns 0 with *user_r and *pass_r set (both non-empty, free of CR, LF
 * and NUL), or -1 (MK_ERR_DATA as above, MK_ERR_INTERNAL out of memory)
 * with both left NULL. The message never contains what the client sent. */
int gw_sasl_plain_decode(const char *b64, size_t len, char **user_r, char **pass_r, struct mk_error *err);

/* Decode one base64 line of AUTH LOGIN (a user name or a password) into a heap secret. */
/* Returns 0 with *out_r set (possibly "", free of CR, LF and NUL), or -1:
 * MK_ERR_DATA for bad base64, CR/LF/NUL inside or over 1024 bytes decoded,
 * MK_ERR_INTERNAL out of memory; *out_r is then NULL. */
int gw_sasl_login_decode(const char *b64, size_t len, char **out_r, struct mk_error *err);

#endif
