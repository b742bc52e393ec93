/* The daemon's wire formats (docs/protocol.md), pure: bytes in, structs out.
 * No sockets, no globals, no logging, so that they can be fuzzed. Both
 * dialects of the socket live here: mailkey's line protocol (MK1 ...) and
 * Postfix's socketmap (netstrings). */
#ifndef MK_BROKER_DAEMON_PROTO_H
#define MK_BROKER_DAEMON_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/error.h"

#define MK_PROTO_VERSION 1
#define MK_PROTO_LINE_MAX 1024	    /* a request line, '\n' included */
#define MK_PROTO_ACCOUNT_MAX 128    /* bytes of an account name */
#define MK_SOCKMAP_REQUEST_MAX 1024 /* a socketmap netstring's payload */
#define MK_SOCKMAP_KEY_MAX 1000

enum mk_proto_verb {
	MK_PROTO_TOKEN = 1,
	MK_PROTO_SASL,
	MK_PROTO_REFRESH,
	MK_PROTO_STATUS,
	MK_PROTO_PING,
	MK_PROTO_EVENTS,
};

enum mk_proto_mech {
	MK_PROTO_MECH_DEFAULT = 0, /* the account's own */
	MK_PROTO_MECH_XOAUTH2,
	MK_PROTO_MECH_OAUTHBEARER,
};

struct mk_proto_req {
	enum mk_proto_verb verb;
	char account[MK_PROTO_ACCOUNT_MAX + 1]; /* "" for status, ping, events */
	bool fresh;				/* token ... fresh */
	enum mk_proto_mech mech;		/* sasl ... MECH */
};

/* The dialect of a connection from its first byte: true = socketmap (a
 * digit), false = the line protocol. */
bool mk_proto_is_sockmap(unsigned char first);

/* One complete line at the start of buf (len bytes): its length including
 * the '\n' (> 0), 0 when incomplete and still under MK_PROTO_LINE_MAX, -1
 * when no '\n' comes within MK_PROTO_LINE_MAX bytes. */
ssize_t mk_proto_frame_line(const char *buf, size_t len);

/* Parse one request line (without its '\n'; a trailing '\r' is ignored).
 * 0, or -1 with MK_ERR_USAGE (malformed, unknown verb, bad account name)
 * or MK_ERR_IMPL (another protocol version); the message quotes no input
 * beyond a verb it recognised. */
int mk_proto_parse_request(const char *line, size_t len, struct mk_proto_req *r, struct mk_error *err);

/* Append "OK <payload>\n" / "ERR <code> <message>\n". The message has every
 * control byte replaced by a space so that one answer is one line; payload
 * must hold none (-1 otherwise, nothing appended). -1 also when out does
 * not have room. */
int mk_proto_format_ok(struct mk_buf *out, const char *payload);
int mk_proto_format_err(struct mk_buf *out, int code, const char *msg);

/* The client's side: parse one answer line (without '\n'). OK: returns 0,
 * *payload_r and *plen_r point into line. ERR: returns 1, *code_r the code (a
 * sysexits value 64..78, else 70) and *payload_r the message. -1 when the
 * line is neither. */
int mk_proto_parse_answer(const char *line, size_t len, const char **payload_r, size_t *plen_r, int *code_r);

/* The error class a daemon's ERR code stands for (75 -> MK_ERR_TEMP, 77 ->
 * MK_ERR_CONSENT, 64 -> MK_ERR_USAGE, 78 -> MK_ERR_CONFIG, 65 -> MK_ERR_DATA,
 * 69 -> MK_ERR_IMPL, 74 -> MK_ERR_IO, else MK_ERR_INTERNAL). */
enum mk_error_class mk_proto_code_class(int code);

/* --- Postfix socketmap --- */

struct mk_sockmap_req {
	char name[MK_PROTO_ACCOUNT_MAX + 1]; /* the map name in socketmap:unix:PATH:NAME */
	char key[MK_SOCKMAP_KEY_MAX + 1];
};

/* One complete netstring "<len>:<data>," at the start of buf: bytes
 * consumed (> 0) with *data_r and *dlen_r the payload, 0 when incomplete, -1
 * when malformed (no digits, leading zeros beyond "0", no ':' or ',',
 * payload over MK_SOCKMAP_REQUEST_MAX). */
ssize_t mk_sockmap_frame(const char *buf, size_t len, const char **data_r, size_t *dlen_r);

/* Split a request payload "NAME KEY" (one space; the key may hold spaces
 * and must not be empty). 0 or -1 with MK_ERR_USAGE. */
int mk_sockmap_parse_request(const char *data, size_t len, struct mk_sockmap_req *r, struct mk_error *err);

/* Append the netstring "<status> <data>" (status OK, NOTFOUND, TEMP, PERM;
 * data may be "" and, for TEMP and PERM, has control bytes replaced). -1
 * when out has no room. */
int mk_sockmap_format(struct mk_buf *out, const char *status, const char *data);

#endif
