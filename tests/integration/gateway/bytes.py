# Byte for byte through the gateway: two messages sent with smtplib over
# STARTTLS (8-bit text with dot lines, and a 10 MB attachment), read back
# with imaplib (IMAPS, FETCH BODY.PEEK[]) and poplib (POP3S, RETR), both
# through the gateway. What comes back must hold every header line sent and
# the body sent, byte for byte (the servers add trace headers on top).
#   bytes.py CA USER PWFILE IMAPS POP3S SMTP TAG
import imaplib, os, poplib, smtplib, ssl, sys, time, base64

ca, user, pwfile = sys.argv[1:4]
imaps, pop3s, smtp = (int(x) for x in sys.argv[4:7])
tag = sys.argv[7]
pw = open(pwfile).read().strip()
ctx = ssl.create_default_context(cafile=ca)
fails = 0


def check(what, ok):
    global fails
    print(("ok   - " if ok else "FAIL - ") + what)
    fails += 0 if ok else 1


text = ("From: %s\r\nTo: %s\r\nSubject: bytes text %s\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        ".leading dot\r\n..two dots\r\n.\r\nGr\u00fc\u00dfe, \u00e9t\u00e9, \u65e5\u672c\r\n"
        " . \r\nend\r\n" % (user, user, tag)).encode("utf-8")
att = base64.encodebytes(os.urandom(7_600_000)).replace(b"\n", b"\r\n")
big = ("From: %s\r\nTo: %s\r\nSubject: bytes big %s\r\nMIME-Version: 1.0\r\n"
       "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
       "see the attachment\r\n.\r\n--b1\r\nContent-Type: application/octet-stream\r\n"
       "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"r.bin\"\r\n\r\n"
       % (user, user, tag)).encode() + att + b"--b1--\r\n"
check("the big message is over 10 MB (%d bytes)" % len(big), len(big) > 10_000_000)
sent = {"text": text, "big": big}

s = smtplib.SMTP("127.0.0.1", smtp, timeout=120)
s.starttls(context=ctx)
s.login(user, pw)
for k, m in sent.items():
    check("smtplib sends the %s message through the gateway" % k, s.sendmail(user, [user], m) == {})
s.quit()


def same(name, got):
    want = sent[name]
    wh, wb = want.split(b"\r\n\r\n", 1)
    gh, gb = got.split(b"\r\n\r\n", 1)
    glines = gh.split(b"\r\n")
    return gb == wb and all(l in glines for l in wh.split(b"\r\n"))


def subject(raw):
    for k in sent:
        if b"\r\nSubject: bytes %s %s\r\n" % (k.encode(), tag.encode()) in raw.split(b"\r\n\r\n", 1)[0] + b"\r\n":
            return k
    return None


# IMAP: wait (at most 60 s) until both are in the INBOX, then FETCH them.
m = imaplib.IMAP4_SSL("127.0.0.1", imaps, ssl_context=ctx, timeout=120)
m.login(user, pw)
got = {}
t0 = time.monotonic()
while time.monotonic() - t0 < 60 and len(got) < 2:
    typ, d = m.select("INBOX", readonly=True)
    n = int(d[0])
    if n:
        typ, d = m.fetch("1:*", "(BODY.PEEK[])")
        for item in d:
            if isinstance(item, tuple):
                k = subject(item[1])
                if k:
                    got[k] = item[1]
    if len(got) < 2:
        time.sleep(0.2)
m.logout()
for k in sent:
    check("IMAP FETCH returns the %s message byte for byte (%s bytes)" % (k, len(got.get(k, b""))), k in got and same(k, got[k]))

p = poplib.POP3_SSL("127.0.0.1", pop3s, context=ctx, timeout=120)
p.user(user)
p.pass_(pw)
n, _ = p.stat()
pgot = {}
for i in range(1, n + 1):
    raw = b"\r\n".join(p.retr(i)[1]) + b"\r\n"  # poplib removes the dot-stuffing
    k = subject(raw)
    if k:
        pgot[k] = raw
p.quit()
for k in sent:
    check("POP3 RETR returns the %s message byte for byte (%s bytes)" % (k, len(pgot.get(k, b""))), k in pgot and same(k, pgot[k]))
sys.exit(1 if fails else 0)
