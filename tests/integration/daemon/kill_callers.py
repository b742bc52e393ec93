#!/usr/bin/env python3
"""SIGKILL `mailkey token` callers at random moments while the daemon runs.

Used by caller_kill.sh. Until COUNT kills are sent (and MIN_LANDED landed): start `mailkey token
ACCOUNT` (every other one with --refresh, so that it asks the daemon for a
new token: the moment a refresh is due), wait a random delay up to the time
an unkilled caller of that kind takes here, SIGKILL it, reap it. A kill
"landed" when the caller was still running (it died of the signal); otherwise
it had finished and its exit status must be 0. Every CHECK_EVERY rounds an
unkilled `mailkey token ACCOUNT` must print a token (exit 0): 77 there is a
lost grant. Environment: MK (the mailkey binary). Prints the figures as one
JSON object on the last line; exit 0 when it ran (the test judges them).
"""
import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import time


def run_once(argv):
    t0 = time.monotonic()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    return p.returncode, (time.monotonic() - t0) * 1000.0, p.stderr.decode(errors="replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--account", required=True)
    ap.add_argument("--min-landed", type=int, default=0,
                    help="go on past COUNT kills (up to 3 x COUNT) until this many landed")
    ap.add_argument("--check-every", type=int, default=20)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    mk = os.environ["MK"]
    kinds = {"plain": [mk, "token", a.account], "refresh": [mk, "token", a.account, "--refresh"]}
    span = {}
    for k, argv in kinds.items():
        spans = []
        for _ in range(5):
            rc, ms, err = run_once(argv)
            if rc != 0:
                print(json.dumps({"error": f"calibration: {k} exited {rc}: {err[:300]}"}))
                return
            spans.append(ms)
        span[k] = statistics.median(spans)
    res = {"kills": 0, "landed": {"plain": 0, "refresh": 0}, "finished_first": 0, "bad_exit": {},
           "checks": 0, "lost": 0, "check_errors": [], "span_ms": span}
    n = 0
    # The longest delay follows the machine's load: shorter after a caller
    # that had finished before its kill, longer after one that had not, so
    # that about two thirds of the kills land whatever the load.
    top = {k: v * 1.1 for k, v in span.items()}
    while (res["kills"] < a.count or res["landed"]["plain"] + res["landed"]["refresh"] < a.min_landed) \
            and res["kills"] < 3 * a.count:
        k = "refresh" if n % 2 else "plain"
        n += 1
        p = subprocess.Popen(kinds[k], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0, top[k]) / 1000.0)
        p.send_signal(signal.SIGKILL)
        res["kills"] += 1
        rc = p.wait(timeout=60)
        if rc == -signal.SIGKILL:
            res["landed"][k] += 1
            top[k] *= 1.05
        elif rc == 0:
            res["finished_first"] += 1
            top[k] *= 0.9
        else:
            res["bad_exit"][str(rc)] = res["bad_exit"].get(str(rc), 0) + 1
        if res["kills"] % a.check_every == 0:
            rc, _, err = run_once(kinds["plain"])
            res["checks"] += 1
            if rc == 77:
                res["lost"] += 1
            if rc != 0:
                res["check_errors"].append(f"{rc}: {err[:200]}")
    res["last_max_delay_ms"] = {k: round(v, 1) for k, v in top.items()}
    print(json.dumps(res))


main()
