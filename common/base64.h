/* Base64 (RFC 4648 §4, padded) and base64url (§5, unpadded), on Mbed TLS.
 *
 * Decoding is strict: characters outside the alphabet, whitespace and
 * misplaced '=' are rejected (RFC 4954 §4 requires it of SASL), so a bad
 * challenge is an error and never a half-decoded string. */
#ifndef MK_COMMON_BASE64_H
#define MK_COMMON_BASE64_H

#include <stddef.h>

#include "buf.h"

/* Append the encoding of in[0..len) to out. 0, or -1 with errno (E2BIG when
 * out's cap is reached, ENOMEM). */
int mk_base64_encode(const void *in, size_t len, struct mk_buf *out);

/* Append the decoding of in[0..len) to out. 0, or -1 with errno EINVAL for
 * invalid input (out unchanged), E2BIG or ENOMEM. */
int mk_base64_decode(const char *in, size_t len, struct mk_buf *out);

/* base64url without padding (RFC 7636 code_challenge, state values). Decode
 * accepts input without padding or with correct RFC 4648 §4 padding (total
 * length a multiple of 4, at most two '='). Same return rules. */
int mk_base64url_encode(const void *in, size_t len, struct mk_buf *out);
int mk_base64url_decode(const char *in, size_t len, struct mk_buf *out);

/* Length of the padded base64 encoding of n bytes. */
size_t mk_base64_encoded_len(size_t n);

#endif
