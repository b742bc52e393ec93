/* Message handling for sending, pure: the SMTP DATA encoding and the
 * recipients of `sendmail -t`. Fuzzed. */
#ifndef MK_MAIL_MESSAGE_H
#define MK_MAIL_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

/* Append msg as DATA content to out: every bare CR or LF becomes CRLF (no
 * SMTP smuggling, RFC 5321 §2.3.8), lines starting with '.' get another
 * (§4.5.2), a final CRLF if missing, then ".\r\n". */
int mk_msg_to_data(const char *msg, size_t len, struct mk_buf *out);

/* true when msg has any byte >= 0x80 (needs 8BITMIME). */
bool mk_msg_is_8bit(const char *msg, size_t len);

/* For -t: append the addresses of To, Cc and Bcc (unfolded; "Name <a@b>",
 * groups and quoted names handled) to out, one per line. -1 when out is full
 * or an address holds a NUL or control byte (a broken message). */
int mk_msg_recipients(const char *msg, size_t len, struct mk_buf *out);

/* Copy msg to out without its Bcc header field(s) (RFC 5322 §3.6.3). */
int mk_msg_strip_bcc(const char *msg, size_t len, struct mk_buf *out);

/* Length of the header section (up to and including the empty line), or len. */
size_t mk_msg_header_len(const char *msg, size_t len);

/* Call fn for each header field of msg: its name, and its value up to the end
 * of its last folded line (value and name point into msg). A non-zero return
 * from fn stops the walk, which then returns -1; else 0. Pure. */
int mk_msg_each_field(const char *msg, size_t len,
		      int (*fn)(const char *name, size_t nlen, const char *v, size_t vlen, void *ctx),
		      void *ctx);

#endif
