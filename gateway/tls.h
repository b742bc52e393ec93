/* Local TLS for the gateway's listeners: the server side of Mbed TLS.
 *
 * Either the admin's certificate and key ([gateway] cert, key), or material
 * mailkey makes on first use in STATE/gateway/: a local CA (ca.pem, with
 * ca.key 0600) and a server certificate it signs (cert.pem, key.pem 0600)
 * for DNS:localhost, IP:127.0.0.1, IP:::1 and any [gateway] names. Clients
 * are given ca.pem (`mailkey gateway --export-ca`); nothing is ever
 * "insecure". EC P-256 keys; TLS 1.2 minimum. */
#ifndef MK_GATEWAY_TLS_H
#define MK_GATEWAY_TLS_H

#include "common/error.h"

struct gw_tls;

/* Load cert_file (PEM chain) and key_file. MK_ERR_CONFIG naming the file
 * and the reason when either is missing, unreadable or they do not match. */
int gw_tls_load(const char *cert_file, const char *key_file, struct gw_tls **r, struct mk_error *err);

/* Use dir/cert.pem + dir/key.pem, creating dir (0700), a CA and a server
 * certificate when they do not exist yet (each file written atomically,
 * keys 0600). extra_names: NULL-terminated host names or IP literals added
 * to the SANs (may be NULL). A server certificate within 30 days of expiry
 * or lacking one of the names is re-issued by the same CA. */
int gw_tls_ensure(const char *dir, const char *const *extra_names, struct gw_tls **r, struct mk_error *err);

/* Path of the CA certificate clients should trust (dir/ca.pem), or NULL
 * when the admin's own certificate is in use. Owned by t. */
const char *gw_tls_ca_file(const struct gw_tls *t);

/* The shared server configuration, for gw_lconn's handshakes (lconn.c).
 * Read-only once built; its RNG is safe to call from many threads. */
struct mbedtls_ssl_config;
const struct mbedtls_ssl_config *gw_tls_ssl_config(const struct gw_tls *t);

void gw_tls_free(struct gw_tls **t);

#endif
