#include "broker/oauth/pkce.h"

#include <errno.h>
#include <mbedtls/sha256.h>
#include <string.h>
#include <sys/random.h>

#include "common/base64.h"
#include "common/secret.h"

int mk_random_b64url(size_t nbytes, struct mk_buf *out, struct mk_error *err)
{
	unsigned char raw[64];
	int rc;

	if (nbytes > sizeof(raw))
		return mk_error_set(err, MK_ERR_INTERNAL, "random string too long");
	if (getrandom(raw, nbytes, 0) != (ssize_t)nbytes)
		return mk_error_errno(err, MK_ERR_INTERNAL, errno, "no randomness");
	rc = mk_base64url_encode(raw, nbytes, out);
	mk_secret_wipe(raw, sizeof(raw));
	return rc == 0 ? 0 : mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
}

int mk_pkce_challenge(const char *verifier, struct mk_buf *challenge)
{
	unsigned char hash[32];
	int rc;

	if (mbedtls_sha256_ret((const unsigned char *)verifier, strlen(verifier), hash, 0) != 0)
		return -1;
	rc = mk_base64url_encode(hash, sizeof(hash), challenge);
	mk_secret_wipe(hash, sizeof(hash));
	return rc;
}

int mk_pkce_new(struct mk_buf *verifier, struct mk_buf *challenge, struct mk_error *err)
{
	/* 32 bytes give the 43-character verifier RFC 7636 §4.1 recommends. */
	if (mk_random_b64url(32, verifier, err) != 0)
		return -1;
	if (mk_pkce_challenge(mk_buf_str(verifier), challenge) != 0)
		return mk_error_set(err, MK_ERR_INTERNAL, "computing the PKCE challenge failed");
	return 0;
}
