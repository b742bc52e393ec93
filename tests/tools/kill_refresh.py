#!/usr/bin/env python3
"""Send signals to `mailkey refresh ACCOUNT` at random moments and count lost grants.

Used by tests/integration/broker/kill.sh (SIGTERM, SIGINT: must lose nothing)
and tests/tools/kill-bench (SIGKILL: measured, cannot be deferred).

Until COUNT signals are sent: start `mailkey refresh ACCOUNT` (always a
token request), wait a random delay up to MAX_MS ms (by default the time a
whole refresh takes here, mostly in its second half), send the signal, reap
it. The provider's counters tell whether the refresh request reached it before the
process ended: a signal that ended the process after that "landed
mid-refresh", and then an unkilled `mailkey refresh` must succeed (otherwise
the next round's refresh is that check). Exit 77 (invalid_grant: the provider
saw a retired refresh token replayed and revoked the grant) is a lost grant,
after which RELOGIN (a bash command) logs in again so the rounds can go on.

Environment: MK (the mailkey binary), MK_OP_ADMIN (provider admin URL).
Prints one summary line, then the figures as a JSON object on the last line.
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request


def counts():
    with urllib.request.urlopen(os.environ["MK_OP_ADMIN"] + "/counts", timeout=10) as r:
        return json.load(r)["refresh_token"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--signal", required=True, help="TERM, INT, HUP, KILL ...")
    ap.add_argument("--count", type=int, required=True, help="signals to send")
    ap.add_argument("--max-ms", type=float, default=None,
                    help="longest delay; default: the time an unkilled refresh takes here")
    ap.add_argument("--account", required=True)
    ap.add_argument("--relogin", required=True, help="shell command run after a lost grant")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    sig = getattr(signal, "SIG" + args.signal)
    rnd = random.Random(args.seed)
    mk = os.environ["MK"]
    sent = landed = lost = completed = early = odd = 0
    max_ms = args.max_ms
    if max_ms is None:
        # Calibrate on five whole refreshes (process start to exit).
        spans = []
        for _ in range(5):
            t0 = time.monotonic()
            subprocess.run([mk, "refresh", args.account], check=True, stdout=subprocess.DEVNULL)
            spans.append((time.monotonic() - t0) * 1000.0)
        max_ms = sorted(spans)[2]
    # The request goes out in the second half of a refresh (start-up, config
    # and store come first): most delays fall in the part from 40 % to the
    # end, where a signal can cost the grant; one in five anywhere before.
    lo_ms = 0.4 * max_ms
    rounds = 0
    last = None  # the provider's count after the previous round, if still current
    # Until COUNT signals were sent (a refresh that ends before its delay
    # gets none), at most 3 * COUNT rounds.
    while sent < args.count and rounds < 3 * args.count:
        rounds += 1
        before = last if last is not None else counts()
        # Popen resets nothing to SIG_IGN, unlike `cmd &` in a script
        # (where SIGINT is ignored), so the child sees the signal as a
        # person's Ctrl-C or a `timeout` would deliver it.
        p = subprocess.Popen([mk, "refresh", args.account], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        if rnd.random() < 0.2:
            delay = rnd.uniform(0, lo_ms)
        else:
            delay = rnd.uniform(lo_ms, max_ms)
        time.sleep(delay / 1000.0)
        if p.poll() is None:
            p.send_signal(sig)
            sent += 1
        _, errtext = p.communicate()
        rc = p.returncode
        if rc == -sig:
            time.sleep(0.01)  # a request sent just before the end may still be in the provider
        last = counts()
        reached = last > before
        vrc, verr = rc, errtext
        if rc == 0:
            completed += 1
        elif rc == -sig:
            if reached:
                landed += 1
            else:
                early += 1
        elif rc != 77:  # 77: the last round lost the grant, counted below
            odd += 1
            sys.stderr.write("refresh under signal exited %d: %s\n" % (rc, errtext.decode(errors="replace").strip()))
        # A signal that came after the request reached the provider is the
        # one that can lose the grant: the next refresh must work. When the
        # request never got there, this round's refresh tells nothing and the
        # next round's is the check (its exit 77 would be the loss).
        if rc == -sig and reached:
            v = subprocess.run([mk, "refresh", args.account], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
            vrc, verr = v.returncode, v.stderr
            last = None
        if vrc == 77:
            lost += 1
            sys.stderr.write("refresh after the signal exited 77: %s\n" % verr.decode(errors="replace").strip())
            last = None
            r = subprocess.run(["bash", "-c", args.relogin])
            if r.returncode != 0:
                sys.stderr.write("relogin failed (%d); stopping\n" % r.returncode)
                odd += 1
                break
    res = {"signal": "SIG" + args.signal, "rounds": rounds, "max_ms": round(max_ms, 1), "sent": sent,
           "landed_mid_refresh": landed, "before_request": early, "completed_first": completed, "lost": lost,
           "other_errors": odd}
    print("SIG%s: %d signals sent (delays 0-%.0f ms), %d landed mid-refresh, %d before the request, "
          "%d grants lost, %d other errors" % (args.signal, sent, max_ms, landed, early, lost, odd))
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
