# Load for the gateway (threads, one connection each):
#   load.py sessions IMAP N ACCOUNTS PWDIR SOURCES POP3 SMTP
#       N sessions at once (2/5 IMAP LOGIN + SELECT, 2/5 POP3 USER/PASS +
#       STAT, 1/5 SMTP EHLO + AUTH PLAIN): account i % len(ACCOUNTS) (comma-separated
#       names; its password in PWDIR/pw.ld-NAME), from source address
#       SOURCES[i % len] (comma-separated); once all are in,
#       "ready OK/N" is printed and the sessions stay open until a line
#       arrives on stdin; then each NOOPs and quits: "done OK/N".
#   load.py wrong PORT N USER SOURCE   N connections from SOURCE, each one
#       LOGIN with a wrong password (25 at a time): "answers K ..." with
#       the counts of each kind of answer
#   load.py one PORT USER PWFILE SOURCE   one LOGIN: its tagged answer
import base64, collections, socket, sys, threading


def session(port, user, pw, src):
    s = socket.create_connection(("127.0.0.1", port), timeout=120, source_address=(src, 0))
    f = s.makefile("rb")
    f.readline()
    s.sendall(b'a1 LOGIN "%s" "%s"\r\n' % (user.encode(), pw.encode()))
    l = cmd_end(f, b"a1 ")
    return s, f, l


def cmd_end(f, tag):
    while True:
        l = f.readline()
        if not l or l.startswith(tag):
            return l


mode = sys.argv[1]
if mode == "sessions":
    port, n = int(sys.argv[2]), int(sys.argv[3])
    accts, pwdir, srcs = sys.argv[4].split(","), sys.argv[5], sys.argv[6].split(",")
    pport, sport = int(sys.argv[7]), int(sys.argv[8])
    pws = {a: open("%s/pw.ld-%s" % (pwdir, a)).read().strip() for a in accts}
    ok, done = [0], [0]
    errs = collections.Counter()
    lock = threading.Lock()
    ready = threading.Barrier(n + 1)
    go = threading.Event()

    def run(i):
        a = accts[i % len(accts)]
        proto = "imap" if i < n * 2 // 5 else "pop3" if i < n * 4 // 5 else "smtp"
        s = None
        try:
            if proto == "imap":
                s, f, l = session(port, a, pws[a], srcs[i % len(srcs)])
                good = l.startswith(b"a1 OK")
                if good:
                    s.sendall(b"a2 SELECT INBOX\r\n")
                    good = cmd_end(f, b"a2 ").startswith(b"a2 OK")
            else:
                s = socket.create_connection(("127.0.0.1", pport if proto == "pop3" else sport), timeout=120,
                                             source_address=(srcs[i % len(srcs)], 0))
                f = s.makefile("rb")
                f.readline()
                if proto == "pop3":
                    s.sendall(b"USER %s\r\nPASS %s\r\n" % (a.encode(), pws[a].encode()))
                    f.readline()
                    l = f.readline()
                    good = l.startswith(b"+OK")
                    if good:
                        s.sendall(b"STAT\r\n")
                        good = f.readline().startswith(b"+OK")
                else:
                    s.sendall(b"EHLO load\r\n")
                    while not f.readline().startswith(b"250 "):
                        pass
                    s.sendall(b"AUTH PLAIN %s\r\n" % base64.b64encode(b"\0%s\0%s" % (a.encode(), pws[a].encode())))
                    l = f.readline()
                    good = l.startswith(b"235")
            if not good:
                with lock:
                    errs[l[:60]] += 1
            else:
                with lock:
                    ok[0] += 1
        except Exception as e:
            good = False
            with lock:
                errs[repr(e)[:60]] += 1
        ready.wait()
        go.wait()
        if good:
            try:
                if proto == "imap":
                    s.sendall(b"a3 NOOP\r\n")
                    fine = cmd_end(f, b"a3 ").startswith(b"a3 OK")
                    s.sendall(b"a4 LOGOUT\r\n")
                    cmd_end(f, b"a4 ")
                else:
                    s.sendall(b"NOOP\r\n")
                    fine = f.readline()[:1] in (b"+", b"2")
                    s.sendall(b"QUIT\r\n")
                    f.readline()
                if fine:
                    with lock:
                        done[0] += 1
            except Exception as e:
                with lock:
                    errs["after: " + repr(e)[:60]] += 1
        if s:
            s.close()

    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    ready.wait()
    print("ready %d/%d %s" % (ok[0], n, dict(errs) if errs else ""), flush=True)
    sys.stdin.readline()
    go.set()
    for t in ts:
        t.join()
    print("done %d/%d %s" % (done[0], n, dict(errs) if errs else ""), flush=True)
elif mode == "wrong":
    port, n, user, src = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    answers = collections.Counter()
    lock = threading.Lock()
    sem = threading.Semaphore(25)

    def run(i):
        with sem:
            try:
                s, f, l = session(port, user, "wrong-%d-aaaa-bbbb-cccc" % i, src)
                s.close()
                k = l.split(b"]")[0].decode("latin1") + "]" if b"[" in l else l[:20].decode("latin1")
            except Exception as e:
                k = type(e).__name__
            with lock:
                answers[k.strip()] += 1

    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("answers", sum(answers.values()), dict(answers))
elif mode == "one":
    port, user, pwfile, src = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    try:
        s, f, l = session(port, user, open(pwfile).read().strip(), src)
        print(l.decode("latin1").strip()[:120] or "EOF")
    except Exception as e:
        print(type(e).__name__)
