/* Defer the signals that end a process (SIGINT, SIGTERM, SIGHUP, SIGQUIT)
 * across a step that must not be cut in half: a token request whose answer
 * may carry a rotated refresh token, until that answer is stored. The
 * provider has already retired the old refresh token when it answers, so
 * dying in between loses the grant. SIGKILL cannot be deferred. */
#ifndef MK_COMMON_SIGHOLD_H
#define MK_COMMON_SIGHOLD_H

#include <stdbool.h>

/* Start deferring (idempotent). Any of the four signals that arrives from
 * now on is kept, in whichever thread it lands; SIGPIPE is ignored meanwhile
 * (a write to a closed stderr must not end the process either). */
void mk_sig_hold(void);

/* Stop deferring (no-op when not holding): restore the previous handlers and
 * mask, then deliver what arrived meanwhile, so a default action still ends
 * the process, only later. */
void mk_sig_release(void);

bool mk_sig_held(void);

/* For a program that already keeps these signals blocked in every thread and
 * reads them itself (the daemon's signalfd): hold and release become no-ops.
 * Their state is process-wide, so worker threads refreshing at once would
 * otherwise race on it. Call before starting threads. */
void mk_sig_hold_disable(void);

#endif
