#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Captures of AUTH exchanges whose secrets are known, for
tests/run-secrets.py.

    secrets.py OUTDIR

writes OUTDIR/CASE.pcap, one SMTP session each (IPv4 over Ethernet, with
its handshake and FIN unless the case says otherwise; fixed timestamps
and sequence numbers, so the files are the same on every run), and
OUTDIR/secrets.json:

    {"CASE.pcap": {"about": what the session shows,
                   "secrets": [every client AUTH line's base64 text, and
                               the passwords, tokens and proofs it
                               decodes to (not the user names)],
                   "user": the user name relayscope should show, or null,
                   "password_sent": whether a password, token or proof
                                    was sent,
                   "auth_may_be_null": the AUTH command is not in the
                                       capture: the session's auth may be
                                       null (if it is not, user and
                                       password_sent are checked),
                   "user_may_be_null": null is right for user too}}

The rule the captures test (issue 12): masking rests on the client's own
bytes, never on the pairing of replies or on what the server answered;
every line of an AUTH exchange is masked until a line that is a valid
command once the exchange was answered by a reply other than 334, and so
is any line that decodes as PLAIN credentials, or a lone base64 token
where a command was expected.  The server side is what Postfix (with
Cyrus or Dovecot SASL) or Exim answers."""
import base64
import hashlib
import hmac
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from groundtruth import frame, ip, tcp  # noqa: E402

MSS = 1448
T0 = 1796400000  # 2026-12-04T16:00:00Z
SERVER = "192.0.2.25"

POSTFIX_220 = "220 mx.example.com ESMTP Postfix (Debian/GNU)\r\n"
EXIM_220 = ("220 mail.example.net ESMTP Exim 4.96 "
            "Fri, 04 Dec 2026 16:00:00 +0000\r\n")
OK_235 = "235 2.7.0 Authentication successful\r\n"
USERNAME = "334 VXNlcm5hbWU6\r\n"  # "Username:"
PASSWORD = "334 UGFzc3dvcmQ6\r\n"  # "Password:"


def postfix_ehlo(mechs):
    ext = ["mx.example.com", "PIPELINING", "SIZE 10240000", "VRFY", "ETRN"]
    if mechs:
        ext.append("AUTH " + mechs)
    ext += ["ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"]
    return "".join("250%s%s\r\n" % ("-" if i + 1 < len(ext) else " ", e)
                   for i, e in enumerate(ext))


def exim_ehlo(client, mechs):
    ext = ["mail.example.net Hello client.example.org [%s]" % client,
           "SIZE 52428800", "8BITMIME", "PIPELINING", "PIPE_CONNECT",
           "AUTH " + mechs, "CHUNKING", "STARTTLS", "SMTPUTF8", "HELP"]
    return "".join("250%s%s\r\n" % ("-" if i + 1 < len(ext) else " ", e)
                   for i, e in enumerate(ext))


def b64(b):
    if isinstance(b, str):
        b = b.encode()
    return base64.b64encode(b).decode()


# The server's replies to MAIL, RCPT, DATA, the message and QUIT.
REPLIES = {
    "postfix": ("250 2.1.0 Ok", "250 2.1.5 Ok",
                "354 End data with <CR><LF>.<CR><LF>",
                "250 2.0.0 Ok: queued as 4F2C81A0B3", "221 2.0.0 Bye"),
    "exim": ("250 OK", "250 Accepted",
             "354 Enter message, ending with \".\" on a line by itself",
             "250 OK id=1kZx7Q-0004Ab-2F",
             "221 mail.example.net closing connection"),
    "qmail": ("250 ok", "250 ok", "354 go ahead",
              "250 ok 1796400723 qp 4242", "221 mx.example.com"),
}


def transaction(s, sender, rcpt, style="postfix"):
    """MAIL, RCPT, DATA, a short message, QUIT, with the server's
    replies"""
    r = REPLIES[style]
    s.c("MAIL FROM:<%s>\r\n" % sender)
    s.s(r[0] + "\r\n")
    s.c("RCPT TO:<%s>\r\n" % rcpt)
    s.s(r[1] + "\r\n")
    s.c("DATA\r\n")
    s.s(r[2] + "\r\n")
    s.c("From: <%s>\r\nTo: <%s>\r\nSubject: report\r\n"
        "Date: Fri, 04 Dec 2026 16:00:00 +0000\r\n\r\n"
        "The numbers are attached.\r\n.\r\n" % (sender, rcpt))
    s.s(r[3] + "\r\n")
    quit_(s, style)


def quit_(s, style="postfix"):
    s.c("QUIT\r\n")
    s.s(REPLIES[style][4] + "\r\n")


class Case:
    """One session: steps of (side, bytes, flags); "lost" steps are not
    written, "uncaptured" ones (before a pickup) neither, and without
    their handshake."""
    made = 0

    def __init__(self, name, about, port=587):
        self.client = "198.51.100.%d" % (10 + Case.made)
        Case.made += 1
        self.name = name
        self.about = about
        self.port = port
        self.steps = []
        self.secrets = []
        self.user = None
        self.password_sent = False
        self.auth_may_be_null = False
        self.user_may_be_null = False
        self.handshake = True

    def c(self, text, **kw):
        self.steps.append(("C", text.encode("latin-1"), kw))

    def s(self, text, **kw):
        self.steps.append(("S", text.encode("latin-1"), kw))

    def secret(self, *xs):
        for x in xs:
            if x not in self.secrets:
                self.secrets.append(x)

    def entry(self):
        return {"about": self.about, "secrets": self.secrets,
                "user": self.user, "password_sent": self.password_sent,
                "auth_may_be_null": self.auth_may_be_null,
                "user_may_be_null": self.user_may_be_null}


def greet(s, exim=False, mechs="PLAIN LOGIN"):
    s.s(EXIM_220 if exim else POSTFIX_220)
    s.c("EHLO client.example.org\r\n")
    s.s(exim_ehlo(s.client, mechs) if exim else postfix_ehlo(mechs))


def plain(authz, user, pw):
    return b64("%s\0%s\0%s" % (authz, user, pw))


def cases():
    out = []

    s = Case("plain-initial", "AUTH PLAIN with an initial response, 235")
    greet(s)
    tok = plain("", "alice@example.com", "Pl4in-initial-r3sponse")
    s.c("AUTH PLAIN %s\r\n" % tok)
    s.s(OK_235)
    transaction(s, "alice@example.com", "bob@example.org")
    s.secret(tok, "Pl4in-initial-r3sponse")
    s.user, s.password_sent = "alice@example.com", True
    out.append(s)

    s = Case("plain-after-334", "AUTH PLAIN, an empty 334, the "
             "credentials on their own line, 235")
    greet(s)
    tok = plain("", "alice@example.com", "Pl4in-after-334")
    s.c("AUTH PLAIN\r\n")
    s.s("334 \r\n")
    s.c(tok + "\r\n")
    s.s(OK_235)
    transaction(s, "alice@example.com", "bob@example.org")
    s.secret(tok, "Pl4in-after-334")
    s.user, s.password_sent = "alice@example.com", True
    out.append(s)

    s = Case("login", "AUTH LOGIN: 334 Username, the user, 334 Password, "
             "the password, 235")
    greet(s)
    u, p = b64("bob@example.com"), b64("L0gin-two-steps")
    s.c("AUTH LOGIN\r\n")
    s.s(USERNAME)
    s.c(u + "\r\n")
    s.s(PASSWORD)
    s.c(p + "\r\n")
    s.s(OK_235)
    transaction(s, "bob@example.com", "carol@example.org")
    s.secret(u, p, "L0gin-two-steps")
    s.user, s.password_sent = "bob@example.com", True
    out.append(s)

    s = Case("login-initial", "AUTH LOGIN with the user as initial "
             "response, 334 Password, the password, 235")
    greet(s)
    u, p = b64("bob@example.com"), b64("L0gin-initial-user")
    s.c("AUTH LOGIN %s\r\n" % u)
    s.s(PASSWORD)
    s.c(p + "\r\n")
    s.s(OK_235)
    transaction(s, "bob@example.com", "carol@example.org")
    s.secret(u, p, "L0gin-initial-user")
    s.user, s.password_sent = "bob@example.com", True
    out.append(s)

    s = Case("login-wrong-password", "AUTH LOGIN with a wrong password, "
             "535, then QUIT")
    greet(s)
    u, p = b64("bob@example.com"), b64("Wr0ng-guess-2026")
    s.c("AUTH LOGIN\r\n")
    s.s(USERNAME)
    s.c(u + "\r\n")
    s.s(PASSWORD)
    s.c(p + "\r\n")
    s.s("535 5.7.8 Error: authentication failed: authentication "
        "failure\r\n")
    quit_(s)
    s.secret(u, p, "Wr0ng-guess-2026")
    s.user, s.password_sent = "bob@example.com", True
    out.append(s)

    s = Case("cram-md5", "AUTH CRAM-MD5 to Exim: the challenge, "
             "\"user hexdigest\" (RFC 2195), 235")
    greet(s, exim=True, mechs="PLAIN LOGIN CRAM-MD5")
    chal = "<17893.1796400060@mail.example.net>"
    digest = hmac.new(b"Cr4m-shared-secret", chal.encode(),
                      hashlib.md5).hexdigest()
    tok = b64("dave@example.net " + digest)
    s.c("AUTH CRAM-MD5\r\n")
    s.s("334 %s\r\n" % b64(chal))
    s.c(tok + "\r\n")
    s.s("235 Authentication succeeded\r\n")
    transaction(s, "dave@example.net", "erin@example.org", "exim")
    s.secret(tok, digest)
    s.user, s.password_sent = "dave@example.net", True
    out.append(s)

    s = Case("xoauth2", "AUTH XOAUTH2 with an initial response "
             "(user=...^Aauth=Bearer TOKEN^A^A), 235")
    greet(s, mechs="PLAIN LOGIN XOAUTH2 OAUTHBEARER")
    token = "ya29.a0AfB_byDx0auth2-Tok3n-9fQ"
    tok = b64("user=erin@example.com\x01auth=Bearer %s\x01\x01" % token)
    s.c("AUTH XOAUTH2 %s\r\n" % tok)
    s.s(OK_235)
    transaction(s, "erin@example.com", "frank@example.org")
    s.secret(tok, token)
    s.user, s.password_sent = "erin@example.com", True
    out.append(s)

    s = Case("oauthbearer", "AUTH OAUTHBEARER with an initial response "
             "(RFC 7628: gs2 header n,a=USER, then host, port, "
             "auth=Bearer TOKEN), 235")
    greet(s, mechs="PLAIN LOGIN XOAUTH2 OAUTHBEARER")
    token = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="
    tok = b64("n,a=frank@example.com,\x01host=mx.example.com\x01port=587"
              "\x01auth=Bearer %s\x01\x01" % token)
    s.c("AUTH OAUTHBEARER %s\r\n" % tok)
    s.s(OK_235)
    transaction(s, "frank@example.com", "grace@example.org")
    s.secret(tok, token)
    s.user, s.password_sent = "frank@example.com", True
    out.append(s)

    s = Case("scram-sha-256", "AUTH SCRAM-SHA-256 (RFC 7677): "
             "client-first as initial response, server-first, "
             "client-final with the proof, server-final, an empty "
             "response, 235")
    greet(s, mechs="PLAIN LOGIN SCRAM-SHA-256")
    first, final, proof, sfirst, sfinal = scram(
        "grace@example.com", b"Scr4m-pencil-sha256",
        "fyko+d2lbbFgONRv9qkxdawL", "3rfcNHYJY1ZVvWVs7j",
        base64.b64decode("QSXCR+Q6sek8bf92"), 4096)
    s.c("AUTH SCRAM-SHA-256 %s\r\n" % first)
    s.s("334 %s\r\n" % b64(sfirst))
    s.c(final + "\r\n")
    s.s("334 %s\r\n" % b64(sfinal))
    s.c("\r\n")
    s.s(OK_235)
    transaction(s, "grace@example.com", "heidi@example.org")
    s.secret(first, final, proof)
    s.user, s.password_sent = "grace@example.com", True
    out.append(s)

    s = Case("refused-503", "AUTH LOGIN on port 25 where AUTH is not "
             "offered: 503, and the client sends its user and password "
             "lines anyway (each refused with 502), then QUIT", port=25)
    greet(s, mechs=None)
    u, p = b64("heidi@example.com"), b64("N0t-enabled-but-sent")
    s.c("AUTH LOGIN\r\n")
    s.s("503 5.5.1 Error: authentication not enabled\r\n")
    s.c(u + "\r\n")
    s.s("502 5.5.2 Error: command not recognized\r\n")
    s.c(p + "\r\n")
    s.s("502 5.5.2 Error: command not recognized\r\n")
    quit_(s)
    s.secret(u, p, "N0t-enabled-but-sent")
    s.user, s.password_sent = "heidi@example.com", True
    out.append(s)

    s = Case("login-quit-as-user", "AUTH LOGIN, 334 Username, the client "
             "sends QUIT as the user name (base64 for non-printable "
             "bytes), 334 Password, then closes without a password")
    greet(s)
    s.c("AUTH LOGIN\r\n")
    s.s(USERNAME)
    s.c("QUIT\r\n")
    s.s(PASSWORD)
    s.secret("QUIT")
    s.user, s.password_sent = None, False
    out.append(s)

    s = Case("early-talker-long-greeting", "the client sends EHLO before "
             "the greeting; the 220 line is 5 KB without its line end and "
             "runs into the EHLO reply, which the cut line's skipped rest "
             "takes (no command between shows where the greeting ended, "
             "as one does in suricata-verify smtp-bug-6053): only AUTH's "
             "334 shows the replies out of step; then AUTH LOGIN with "
             "user and password, 235, a message", port=25)
    u, p = b64("ivan@example.com"), b64("Pr3greet-l0ng-banner")
    s.c("EHLO client.example.org\r\n")
    s.s("220 mx.example.com ESMTP " + "A" * 5000)
    s.s("250-mx.example.com\r\n")
    s.c("AUTH LOGIN\r\n")
    s.s(USERNAME)
    s.c(u + "\r\n")
    s.s(PASSWORD)
    s.c(p + "\r\n")
    s.s("235 ok, go ahead (#2.0.0)\r\n")
    transaction(s, "ivan@example.com", "judy@example.org", "qmail")
    s.secret(u, p, "Pr3greet-l0ng-banner")
    s.user, s.password_sent = "ivan@example.com", True
    out.append(s)

    s = Case("gap-auth-reply-lost", "AUTH LOGIN whose 334 Username reply "
             "was lost in the capture; the client goes on with its user "
             "and password lines, 235, then MAIL FROM and a message")
    greet(s)
    u, p = b64("judy@example.com"), b64("G4p-reply-lost")
    s.c("AUTH LOGIN\r\n")
    s.s(USERNAME, lost=True)
    s.c(u + "\r\n")
    s.s(PASSWORD)
    s.c(p + "\r\n")
    s.s(OK_235)
    transaction(s, "judy@example.com", "mallory@example.org")
    s.secret(u, p, "G4p-reply-lost")
    s.user, s.password_sent = "judy@example.com", True
    out.append(s)

    s = Case("pickup-login-password", "picked up mid-stream (no "
             "handshake) inside AUTH LOGIN: the password line is the first "
             "thing captured, then 235, a message")
    s.handshake = False
    greet(s)
    u, p = b64("mallory@example.com"), b64("P1ckup-mid-login")
    s.c("AUTH LOGIN\r\n")
    s.s(USERNAME)
    s.c(u + "\r\n")
    s.s(PASSWORD)
    for st in s.steps:
        st[2]["uncaptured"] = True
    s.c(p + "\r\n")
    s.s(OK_235)
    transaction(s, "mallory@example.com", "niaj@example.org")
    s.secret(p, "P1ckup-mid-login")
    s.user, s.password_sent = None, True
    s.auth_may_be_null = True
    out.append(s)

    s = Case("pickup-plain-line", "picked up mid-stream (no handshake) "
             "at a PLAIN credentials line: AUTH PLAIN and its 334 were not "
             "captured; then 235, a message")
    s.handshake = False
    greet(s)
    tok = plain("", "niaj@example.com", "P1ckup-plain-alone")
    s.c("AUTH PLAIN\r\n")
    s.s("334 \r\n")
    for st in s.steps:
        st[2]["uncaptured"] = True
    s.c(tok + "\r\n")
    s.s(OK_235)
    transaction(s, "niaj@example.com", "olivia@example.org")
    s.secret(tok, "P1ckup-plain-alone")
    s.user, s.password_sent = "niaj@example.com", True
    s.auth_may_be_null = s.user_may_be_null = True
    out.append(s)
    return out


def scram(user, pw, cnonce, snonce, salt, rounds):
    """SCRAM-SHA-256 (RFC 5802, RFC 7677): the client's two messages in
    base64, the proof (base64), and the server's two messages"""
    def hm(k, m):
        return hmac.new(k, m, hashlib.sha256).digest()
    bare = "n=%s,r=%s" % (user, cnonce)
    nonce = cnonce + snonce
    sfirst = "r=%s,s=%s,i=%d" % (nonce, b64(salt), rounds)
    without = "c=biws,r=%s" % nonce
    msg = ("%s,%s,%s" % (bare, sfirst, without)).encode()
    salted = hashlib.pbkdf2_hmac("sha256", pw, salt, rounds)
    ckey = hm(salted, b"Client Key")
    sig = hm(hashlib.sha256(ckey).digest(), msg)
    proof = b64(bytes(a ^ b for a, b in zip(ckey, sig)))
    sfinal = "v=" + b64(hm(hm(salted, b"Server Key"), msg))
    return (b64("n,," + bare), b64("%s,p=%s" % (without, proof)), proof,
            sfirst, sfinal)


def packets(case, n):
    """(timestamp in microseconds, frame) of one case's session"""
    cli = case.client
    cport = 41000 + 17 * n
    # Fixed ISNs; the client's of case 2 wraps around 2^32 in the session.
    isn = {"C": 0xffffff80 if n == 2 else 0x3a000000 + n * 0x01234567,
           "S": 0x7c000000 + n * 0x00abcdef}
    nxt = {"C": isn["C"] + 1, "S": isn["S"] + 1}
    t = [T0 * 10**6 + n * 60 * 10**6]
    out = []

    def put(who, flags, payload=b"", seq=None, write=True, gap=1000):
        other = "S" if who == "C" else "C"
        a, b, pa, pb = (cli, SERVER, cport, case.port) if who == "C" else \
            (SERVER, cli, case.port, cport)
        seg = tcp(a, b, pa, pb, nxt[who] if seq is None else seq,
                  nxt[other] if flags & 0x10 else 0, flags, payload, False)
        t[0] += gap
        if write:
            out.append((t[0], frame(ip(a, b, 6, seg, False), False, [],
                                    False)))

    if case.handshake:
        put("C", 0x02, seq=isn["C"])
        put("S", 0x12, seq=isn["S"], gap=150)
        put("C", 0x10, gap=60)
    for who, data, kw in case.steps:
        write = not kw.get("lost") and not kw.get("uncaptured")
        for i in range(0, len(data), MSS):
            seg = data[i:i + MSS]
            put(who, 0x18, seg, write=write,
                gap=2000 if who == "S" and i == 0 else 400)
            nxt[who] += len(seg)
    put("C", 0x11, gap=3000)
    nxt["C"] += 1
    put("S", 0x11, gap=300)
    nxt["S"] += 1
    put("C", 0x10, gap=60)
    return out


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for ts, fr in frames:
            f.write(struct.pack("<IIII", ts // 10**6, ts % 10**6, len(fr),
                                len(fr)))
            f.write(fr)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    table = {}
    for n, case in enumerate(cases()):
        name = case.name + ".pcap"
        write_pcap(os.path.join(outdir, name), packets(case, n))
        table[name] = case.entry()
    with open(os.path.join(outdir, "secrets.json"), "w") as f:
        json.dump(table, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
