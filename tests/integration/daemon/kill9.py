#!/usr/bin/env python3
"""kill -9 the daemon at random moments during refreshes, then restart it.

Used by kill9.sh. Each round: start `mailkey daemon`, check that it carries
on (an unkilled `MK1 refresh A` must answer OK, or ERR 77 after a kill that
cost the grant in the round before), send `MK1 refresh A` on a fresh
connection, SIGKILL the daemon after a random delay up to the time a whole
refresh takes here, and read the store back with mk-store-show (every
account's record must decrypt). The provider's counters and the stored token
say where the kill landed:
  before     no refresh request reached the provider
  window     the provider rotated the grant but the store still has the old
             token: the only place where SIGKILL can cost the grant (the
             provider revokes a grant whose retired refresh token comes back)
  unanswered the new token was stored, the answer not yet sent
  answered   the answer arrived before the kill
After a window kill the next round must see ERR 77 (the grant is gone and
the daemon says so); REGRANT (a shell command) then logs in again.
The window is split by the provider's log stamp (ms) of its answer: kills
before it landed while the provider was still working on the request (the
old refresh token already spent), kills after it in the daemon's own part.
Environment: MK, SOCK, STORE_SHOW, STATE_DIR, COUNTS (the provider's counts
URL), OPLOG (its log), DLOG (the daemon's log). Prints the figures as JSON on the last line.
"""
import argparse
import datetime
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import time
import urllib.request

E = os.environ


def counts():
    with urllib.request.urlopen(E["COUNTS"], timeout=10) as r:
        c = json.load(r)
    return c["refresh_token"], c["byGrant"].get("refresh_token", 0)


def stable_counts():
    """The provider may still be working on a request of the killed daemon."""
    last = counts()
    for _ in range(40):
        time.sleep(0.05)
        c = counts()
        if c == last:
            return c
        last = c
    return last


def last_reply():
    """Unix time of the provider's last refresh answer (its log line's stamp)."""
    t = None
    with open(E["OPLOG"]) as f:
        for line in f:
            if " POST /token " in line and "grant_type=refresh_token" in line:
                t = line.split(" ", 1)[0]
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() if t else None


def stored(account):
    p = subprocess.run([E["STORE_SHOW"], "--token", E["STATE_DIR"], account], capture_output=True)
    return p.returncode, p.stdout.strip()


def connect(timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(E["SOCK"])
    return s


def ask(line, timeout=30):
    s = connect(timeout)
    try:
        s.sendall(line.encode() + b"\n")
        return s.makefile("rb").readline().decode(errors="replace").strip()
    finally:
        s.close()


def start():
    log = open(E["DLOG"], "ab")
    p = subprocess.Popen([E["MK"], "daemon", "--socket", E["SOCK"]], stdout=subprocess.DEVNULL, stderr=log)
    log.close()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 15:
        try:
            if ask("MK1 ping", 2).startswith("OK "):
                return p, time.monotonic() - t0
        except OSError:
            pass
        if p.poll() is not None:
            break
        time.sleep(0.02)
    return p, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--account", required=True)
    ap.add_argument("--others", nargs="*", default=[])
    ap.add_argument("--regrant", required=True)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    res = {"rounds": 0, "before": 0, "window": 0, "window_before_reply": 0, "window_after_reply": 0, "unanswered": 0, "answered": 0, "odd": 0,
           "store_unreadable": [], "no_start": 0, "carry_on_failed": [], "lost_seen": 0,
           "lost_unexplained": 0, "starts_s": []}
    d, _ = start()
    spans = []
    for _ in range(5):
        t0 = time.monotonic()
        ans = ask(f"MK1 refresh {a.account}")
        if not ans.startswith("OK "):
            print(json.dumps({"error": f"calibration refresh answered {ans[:200]}"}))
            d.kill()
            return
        spans.append(time.monotonic() - t0)
    span = statistics.median(spans)
    res["refresh_ms"] = round(span * 1000, 1)
    expect_lost = False
    for rnd_i in range(a.rounds):
        if rnd_i > 0:
            d, secs = start()
            if secs is None:
                res["no_start"] += 1
                break
            res["starts_s"].append(round(secs, 3))
            ans = ask(f"MK1 refresh {a.account}")
            if ans.startswith("ERR 77 "):
                res["lost_seen"] += 1
                if not expect_lost:
                    res["lost_unexplained"] += 1
                # Log in again (the daemon must not be holding the old
                # grant in memory meanwhile: stop it for the import).
                d.send_signal(signal.SIGTERM)
                d.wait(timeout=30)
                subprocess.run(["bash", "-c", a.regrant], check=True)
                d, secs = start()
                if secs is None:
                    res["no_start"] += 1
                    break
                ans = ask(f"MK1 refresh {a.account}")
                expect_lost = False  # seen and logged in again
            if not ans.startswith("OK "):
                res["carry_on_failed"].append(ans[:200])
            elif expect_lost:
                res["odd"] += 1  # a window kill that did not cost the grant
        res["rounds"] += 1
        c0, tok0 = counts(), stored(a.account)[1]
        s = connect()
        s.sendall(f"MK1 refresh {a.account}\n".encode())
        time.sleep(rnd.uniform(0, span * 1.3))
        killed_at = time.time()
        d.send_signal(signal.SIGKILL)
        d.wait(timeout=30)
        s.settimeout(0.5)
        try:
            answered = s.recv(4096).startswith(b"OK ")
        except OSError:
            answered = False
        s.close()
        c1 = stable_counts()
        for acct in [a.account] + a.others:
            rc, tok = stored(acct)
            if rc != 0 or not tok:
                res["store_unreadable"].append(f"round {rnd_i}: {acct}")
        tok1 = stored(a.account)[1]
        expect_lost = False
        if answered:
            res["answered"] += 1
        elif c1[0] == c0[0]:
            res["before"] += 1
        elif c1[1] > c0[1] and tok1 == tok0:
            res["window"] += 1
            expect_lost = True
            # Did the kill come while the provider was still working on the
            # request, or after it had answered (the daemon's own part:
            # reading the answer, sealing and writing the record)?
            r = last_reply()
            if r is not None and killed_at < r:
                res["window_before_reply"] += 1
            else:
                res["window_after_reply"] += 1
        elif tok1 != tok0:
            res["unanswered"] += 1
        else:
            res["odd"] += 1
    d, secs = start()
    ans = ask(f"MK1 refresh {a.account}") if secs is not None else "no daemon"
    if ans.startswith("ERR 77 ") and expect_lost:
        res["lost_seen"] += 1
        d.send_signal(signal.SIGTERM)
        d.wait(timeout=30)
        subprocess.run(["bash", "-c", a.regrant], check=True)
        d, secs = start()
        ans = ask(f"MK1 refresh {a.account}") if secs is not None else "no daemon"
    res["final"] = ans[:200] if not ans.startswith("OK ") else "OK"
    d.send_signal(signal.SIGTERM)
    res["final_exit"] = d.wait(timeout=30)
    res["starts_s"] = {"median": statistics.median(res["starts_s"]) if res["starts_s"] else None,
                       "max": max(res["starts_s"], default=None)}
    print(json.dumps(res))


main()
