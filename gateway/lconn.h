/* The client's side of a gateway connection: an accepted socket, plaintext
 * or TLS (implicit from the first byte, or upgraded by STARTTLS), read line
 * by line with a cap before login. The gateway's only local network I/O. */
#ifndef MK_GATEWAY_LCONN_H
#define MK_GATEWAY_LCONN_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

struct gw_tls;
struct gw_lconn;

/* Take ownership of fd (an accepted TCP socket). tls NULL = this listener
 * has no TLS (no STARTTLS either). implicit = handshake now (imaps, pop3s,
 * smtps). timeout_ms bounds every read and write (and the handshake);
 * 0 = no limit. */
int gw_lconn_new(int fd, struct gw_tls *tls, bool implicit, unsigned timeout_ms, struct gw_lconn **r,
		 struct mk_error *err);

/* Change the per-read/write timeout (login timeout before, idle after). */
void gw_lconn_set_timeout(struct gw_lconn *c, unsigned timeout_ms);

/* Every read, write and handshake also ends at this moment: ms_from_now from now (0 = no deadline). A deadline passed is MK_ERR_CONN "login timeout". */
/* Past it, reads fail at once even with lines buffered; a write that needs
 * no wait still goes (the session's last reply). */
void gw_lconn_set_deadline(struct gw_lconn *c, unsigned ms_from_now);

/* Read one line (CRLF or bare LF stripped) into line (reset first), at
 * most max bytes without the line end. MK_ERR_PROTO for a longer line (the
 * caller answers and closes), MK_ERR_CONN for EOF, reset or timeout. */
int gw_lconn_read_line(struct gw_lconn *c, struct mk_buf *line, size_t max, struct mk_error *err);

/* Read exactly n bytes (an IMAP literal) appending to out. */
int gw_lconn_read_exact(struct gw_lconn *c, size_t n, struct mk_buf *out, struct mk_error *err);

/* Write all bytes / a formatted reply. */
int gw_lconn_write(struct gw_lconn *c, const void *p, size_t n, struct mk_error *err);
int gw_lconn_printf(struct gw_lconn *c, struct mk_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Server-side STARTTLS, after the caller sent the go-ahead reply. Fails
 * (MK_ERR_PROTO) when the client had already sent bytes after its STARTTLS
 * command: they would be plaintext injected into the TLS session. */
int gw_lconn_starttls(struct gw_lconn *c, struct mk_error *err);

bool gw_lconn_is_tls(const struct gw_lconn *c);
/* The listener has TLS and this connection is not yet using it. */
bool gw_lconn_can_starttls(const struct gw_lconn *c);
/* The peer's address ("127.0.0.1", "::1"), for limits and logs. */
const char *gw_lconn_peer(const struct gw_lconn *c);

/* For the relay: the socket, bytes already received and buffered (in our
 * line buffer or inside TLS), and one raw read of at most cap bytes
 * (buffered bytes first). read_some: 0 with *n = 0 is EOF. */
int gw_lconn_fd(const struct gw_lconn *c);
size_t gw_lconn_buffered(const struct gw_lconn *c);
int gw_lconn_read_some(struct gw_lconn *c, void *p, size_t cap, size_t *n, struct mk_error *err);
/* One write that never waits: *n bytes taken, 0 when the socket is full
 * (poll the fd for POLLOUT, then call again with the same bytes). */
int gw_lconn_write_some(struct gw_lconn *c, const void *p, size_t len, size_t *n, struct mk_error *err);

/* Close (TLS close_notify best effort) and free; NULLs *c. */
void gw_lconn_free(struct gw_lconn **c);

#endif
