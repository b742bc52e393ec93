# Python's imaplib, poplib and smtplib through the gateway, each with only an
# app password and the gateway's CA; plus IMAP LOGIN with literals (waiting
# for "+", and LITERAL+), which no library here sends by itself.
#   pyclients.py CA USER PWFILE IMAP IMAPS POP3 POP3S SMTP SMTPS RCPT TAG
# One line per check ("ok   - ..." / "FAIL - ..."), exit 1 if any failed.
import imaplib, poplib, smtplib, socket, ssl, sys, base64

ca, user, pwfile = sys.argv[1:4]
imap, imaps, pop3, pop3s, smtp, smtps = (int(x) for x in sys.argv[4:10])
rcpt, tag = sys.argv[10:12]
pw = open(pwfile).read().strip()
H = "127.0.0.1"
ctx = ssl.create_default_context(cafile=ca)
fails = 0


def check(what, fn):
    global fails
    try:
        r = fn()
        ok = r is not False
        detail = "" if ok else " (returned False)"
    except Exception as e:  # the check failed: say how
        ok, detail = False, " (%s: %s)" % (type(e).__name__, str(e)[:200])
    print(("ok   - " if ok else "FAIL - ") + what + detail)
    if not ok:
        fails += 1


def imap_count(m):
    typ, d = m.select("INBOX", readonly=True)
    assert typ == "OK", d
    n = int(d[0])
    typ, d = m.fetch("1:*", "(RFC822.SIZE)")
    assert typ == "OK" and len(d) == n, (typ, len(d), n)
    m.logout()
    return n


def smtp_case(kind, how):
    if kind == "implicit":
        s = smtplib.SMTP_SSL(H, smtps, context=ctx, timeout=30)
    else:
        s = smtplib.SMTP(H, smtp, timeout=30)
        if kind == "starttls":
            s.starttls(context=ctx)
    s.ehlo()
    if how == "login()":
        s.login(user, pw)  # smtplib picks the mechanism from EHLO
    else:
        s.user, s.password = user, pw
        s.auth(how, getattr(s, "auth_" + how.lower()), initial_response_ok=(how == "PLAIN"))
    msg = "From: %s\r\nTo: %s\r\nSubject: smtplib %s %s %s\r\n\r\nhello\r\n" % (user, rcpt, tag, kind, how)
    refused = s.sendmail(user, [rcpt], msg)
    s.quit()
    return refused == {}


for kind in ("plain", "starttls", "implicit"):
    for how in ("login()", "PLAIN", "LOGIN"):
        check("smtplib %s, %s: a message accepted" % (kind, how), lambda kind=kind, how=how: smtp_case(kind, how))

counts = {}


def imap_login(kind):
    if kind == "plain":
        m = imaplib.IMAP4(H, imap, timeout=30)
    elif kind == "starttls":
        m = imaplib.IMAP4(H, imap, timeout=30)
        m.starttls(ssl_context=ctx)
    else:
        m = imaplib.IMAP4_SSL(H, imaps, ssl_context=ctx, timeout=30)
    return m


def imap_case(kind, how):
    m = imap_login(kind)
    if how == "LOGIN":
        typ, _ = m.login(user, pw)
    elif how == "PLAIN":
        typ, _ = m.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (user, pw)).encode())
    else:  # AUTHENTICATE LOGIN: user, then password, each after a "+"
        step = iter([user.encode(), pw.encode()])
        typ, _ = m.authenticate("LOGIN", lambda _: next(step))
    assert typ == "OK"
    counts[(kind, how)] = imap_count(m)
    return counts[(kind, how)] > 0


for kind in ("plain", "starttls", "implicit"):
    for how in ("LOGIN", "PLAIN", "AUTH-LOGIN"):
        check("imaplib %s, %s: logged in, SELECT and FETCH through the relay" % (kind, how),
              lambda kind=kind, how=how: imap_case(kind, how))


def raw_literal(plus):
    # LOGIN with both arguments as literals: {n} waits for "+", {n+} does not.
    s = socket.create_connection((H, imap), timeout=30)
    f = s.makefile("rb")
    assert f.readline().startswith(b"* OK")
    u, p = user.encode(), pw.encode()
    if plus:
        s.sendall(b"a1 LOGIN {%d+}\r\n%s {%d+}\r\n%s\r\n" % (len(u), u, len(p), p))
    else:
        s.sendall(b"a1 LOGIN {%d}\r\n" % len(u))
        assert f.readline().startswith(b"+")
        s.sendall(u + b" {%d}\r\n" % len(p))
        assert f.readline().startswith(b"+")
        s.sendall(p + b"\r\n")
    while True:
        l = f.readline()
        assert l, "EOF"
        if l.startswith(b"a1 "):
            break
    assert l.startswith(b"a1 OK"), l
    s.sendall(b"a2 SELECT INBOX\r\n")
    while True:
        l = f.readline()
        assert l, "EOF"
        if l.startswith(b"a2 "):
            break
    assert l.startswith(b"a2 OK"), l
    s.sendall(b"a3 LOGOUT\r\n")
    s.close()


check("IMAP LOGIN with synchronizing literals ({n}, \"+\" between)", lambda: raw_literal(False))
check("IMAP LOGIN with LITERAL+ ({n+})", lambda: raw_literal(True))


def pop_case(kind, how):
    if kind == "plain":
        p = poplib.POP3(H, pop3, timeout=30)
    elif kind == "starttls":
        p = poplib.POP3(H, pop3, timeout=30)
        p.stls(context=ctx)
    else:
        p = poplib.POP3_SSL(H, pop3s, context=ctx, timeout=30)
    if how == "USER":
        p.user(user)
        p.pass_(pw)
    else:
        r = p._shortcmd("AUTH PLAIN " + base64.b64encode(("\0%s\0%s" % (user, pw)).encode()).decode())
        assert r.startswith(b"+OK"), r
    n, _ = p.stat()
    assert n > 0
    lines = p.retr(1)[1]
    assert any(l.startswith(b"Subject: ") for l in lines)
    p.quit()
    return True


for kind in ("plain", "starttls", "implicit"):
    for how in ("USER", "AUTH-PLAIN"):
        check("poplib %s, %s: STAT and RETR through the relay" % (kind, how), lambda kind=kind, how=how: pop_case(kind, how))


sys.exit(1 if fails else 0)
