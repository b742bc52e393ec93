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

#endif
