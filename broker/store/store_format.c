#include "broker/store/store_format.h"

#include <mbedtls/gcm.h>
#include <string.h>

#include "common/secret.h"

static const unsigned char magic[4] = { 'M', 'K', 'S', 'T' };
static const char name_label[] = "mailkey account ";

/* The associated data: the header, then (records only) label and name. */
static int make_aad(struct mk_buf *aad, const unsigned char *header, const char *name)
{
	if (mk_buf_add(aad, header, MK_STORE_HEADER_LEN) != 0)
		return -1;
	if (name != NULL && (mk_buf_add(aad, name_label, sizeof(name_label) - 1) != 0 ||
			     mk_buf_add(aad, name, strlen(name)) != 0))
		return -1;
	return 0;
}

static int seal(const unsigned char key[MK_STORE_KEY_LEN], const unsigned char nonce[MK_STORE_NONCE_LEN],
		unsigned char version, const char *name, const void *plain, size_t len, struct mk_buf *out,
		struct mk_error *err)
{
	mbedtls_gcm_context gcm;
	unsigned char header[MK_STORE_HEADER_LEN];
	unsigned char tag[MK_STORE_TAG_LEN];
	struct mk_buf aad;
	size_t start = out->len;
	int rc = -1;

	mbedtls_gcm_init(&gcm);
	mk_buf_init(&aad, 4096);
	memcpy(header, magic, sizeof(magic));
	header[4] = version;
	memcpy(header + 5, nonce, MK_STORE_NONCE_LEN);
	if (make_aad(&aad, header, name) != 0 || mk_buf_add(out, header, sizeof(header)) != 0)
		goto oom;
	for (size_t i = 0; i < len; i++) /* room for the ciphertext */
		if (mk_buf_addc(out, '\0') != 0)
			goto oom;
	if (mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, MK_STORE_KEY_LEN * 8) != 0 ||
	    mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, nonce, MK_STORE_NONCE_LEN,
				      (const unsigned char *)aad.data, aad.len, plain,
				      (unsigned char *)out->data + start + sizeof(header), sizeof(tag),
				      tag) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "encrypting the store failed");
		goto out;
	}
	if (mk_buf_add(out, tag, sizeof(tag)) != 0)
		goto oom;
	rc = 0;
	goto out;
oom:
	mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
out:
	if (rc != 0)
		mk_buf_truncate(out, start);
	mk_buf_free(&aad);
	mbedtls_gcm_free(&gcm);
	return rc;
}

static int unseal(const unsigned char key[MK_STORE_KEY_LEN], unsigned char version, const char *name,
		  const unsigned char *blob, size_t len, struct mk_buf *plain_r, struct mk_error *err)
{
	mbedtls_gcm_context gcm;
	size_t start = plain_r->len, ctlen;
	unsigned char none = 0, *out_p;
	struct mk_buf aad;
	int rc = -1, r;

	mbedtls_gcm_init(&gcm);
	mk_buf_init(&aad, 4096);
	if (len < sizeof(magic) || memcmp(blob, magic, sizeof(magic)) != 0) {
		mk_error_set(err, MK_ERR_DATA, "not a mailkey store");
		goto out;
	}
	if (len < 5 || blob[4] != version) {
		mk_error_set(err, MK_ERR_DATA,
			     len < 5 ? "truncated" : "unsupported store version %u (this mailkey reads %u)",
			     len < 5 ? 0u : blob[4], version);
		goto out;
	}
	if (len < MK_STORE_HEADER_LEN + MK_STORE_TAG_LEN) {
		mk_error_set(err, MK_ERR_DATA, "truncated");
		goto out;
	}
	if (make_aad(&aad, blob, name) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	ctlen = len - MK_STORE_HEADER_LEN - MK_STORE_TAG_LEN;
	for (size_t i = 0; i < ctlen; i++)
		if (mk_buf_addc(plain_r, '\0') != 0) {
			mk_error_set(err, MK_ERR_INTERNAL, "out of memory");
			goto out;
		}
	if (mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, MK_STORE_KEY_LEN * 8) != 0) {
		mk_error_set(err, MK_ERR_INTERNAL, "setting the store key failed");
		goto out;
	}
	/* An empty ciphertext leaves plain_r unallocated (data NULL), and
	 * NULL + 0 is undefined: give Mbed TLS a byte that it will not write. */
	out_p = ctlen > 0 ? (unsigned char *)plain_r->data + start : &none;
	r = mbedtls_gcm_auth_decrypt(&gcm, ctlen, blob + 5, MK_STORE_NONCE_LEN,
				     (const unsigned char *)aad.data, aad.len, blob + len - MK_STORE_TAG_LEN,
				     MK_STORE_TAG_LEN, blob + MK_STORE_HEADER_LEN, out_p);
	if (r != 0) {
		/* Mbed TLS already zeroed the output on tag failure; the
		 * truncate below wipes it again (secret buffer). */
		mk_error_set(err, MK_ERR_DATA, "wrong key or corrupted (authentication tag mismatch)");
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		mk_buf_truncate(plain_r, start);
	mk_buf_free(&aad);
	mbedtls_gcm_free(&gcm);
	return rc;
}

int mk_store_seal(const unsigned char key[MK_STORE_KEY_LEN], const unsigned char nonce[MK_STORE_NONCE_LEN],
		  const void *plain, size_t len, struct mk_buf *out, struct mk_error *err)
{
	return seal(key, nonce, MK_STORE_VERSION, NULL, plain, len, out, err);
}

int mk_store_unseal(const unsigned char key[MK_STORE_KEY_LEN], const unsigned char *blob, size_t len,
		    struct mk_buf *plain_r, struct mk_error *err)
{
	return unseal(key, MK_STORE_VERSION, NULL, blob, len, plain_r, err);
}

int mk_store_seal_record(const unsigned char key[MK_STORE_KEY_LEN],
			 const unsigned char nonce[MK_STORE_NONCE_LEN], const char *name, const void *plain,
			 size_t len, struct mk_buf *out, struct mk_error *err)
{
	return seal(key, nonce, MK_STORE_RECORD_VERSION, name, plain, len, out, err);
}

int mk_store_unseal_record(const unsigned char key[MK_STORE_KEY_LEN], const char *name,
			   const unsigned char *blob, size_t len, struct mk_buf *plain_r,
			   struct mk_error *err)
{
	return unseal(key, MK_STORE_RECORD_VERSION, name, blob, len, plain_r, err);
}
