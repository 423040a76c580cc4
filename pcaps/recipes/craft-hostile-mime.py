#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write pcaps/hostile-mime.pcap, messages built to hurt a MIME parser
and an attachment extractor (--extract DIR), and beside this script
hostile-mime-expect.json, what a correct parser must report of each
(pcaps/hostile-mime.md says what each message is and why it is hostile).

Thirteen SMTP sessions, one message each, every one correctly framed:
handshake, greeting, EHLO, MAIL, RCPT, DATA, 354, the message
dot-stuffed, ".", "250 2.0.0 Ok: queued as ID", QUIT, 221, FINs.  The
server is 127.0.0.1:25 (Postfix's wording), the clients 127.0.0.2 to
127.0.0.14.  Ethernet, IPv4, correct checksums, segments of at most 1448
bytes, the receiver acknowledging every fourth segment (libnids drops
what lies past the receiver's window); fixed times, ports, sequence
numbers and seeds, so that every run writes the same bytes.

  1 names-paths          file names that climb out of a directory or
                         name a Windows device
  2 names-bytes          file names with NUL, control characters, line
                         ends, ANSI escapes, invalid UTF-8, only spaces,
                         a leading "-" (raw, RFC 2231 and RFC 2047)
  3 long-names           a 4 KB file name, a 64 KB one in 128 RFC 2231
                         continuations, a Content-Type line of 100 KB
  4 parts-10000          10,000 small parts, each with a name
  5 nested-200           multipart inside multipart, 200 levels
  6 boundary-unclosed    neither the outer nor the inner boundary closes
  7 boundary-empty       boundary=""
  8 boundary-300         a boundary of 300 characters
  9 boundary-prefix      boundaries that are prefixes of each other
 10 encodings            base64 with garbage, truncated, padded in the
                         middle; QP with =ZZ and a final "="; an unknown
                         Content-Transfer-Encoding; a part whose header
                         runs into the next boundary
 11 header-unterminated  a part whose header never ends (the message does)
 12 urls-20000           an HTML part with 20,000 links
 13 urls-long            three URLs of 10 KB (quoted-printable, 7bit on
                         one line, base64)

Run from anywhere: python3 pcaps/recipes/craft-hostile-mime.py
"""
import base64
import hashlib
import json
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
PCAPS = os.path.dirname(HERE)
PCAP = os.path.join(PCAPS, "hostile-mime.pcap")
EXPECT = os.path.join(HERE, "hostile-mime-expect.json")

T0 = 1798761600  # 2027-01-01T00:00:00Z
SERVER = "127.0.0.1"
MSS = 1448
CRLF = b"\r\n"
SENDER = "sender@hostile.example.net"
RCPT = "alice@example.com"

GREETING = b"220 mx.example.com ESMTP Postfix (Debian/GNU)\r\n"
EHLO_REPLY = b"".join(
    b"250%s%s\r\n" % (b"-" if i < 9 else b" ", e) for i, e in enumerate(
        [b"mx.example.com", b"PIPELINING", b"SIZE 10240000", b"VRFY",
         b"ETRN", b"ENHANCEDSTATUSCODES", b"8BITMIME", b"DSN", b"SMTPUTF8",
         b"CHUNKING"]))


# --- the message tree --------------------------------------------------

class Leaf:
    """A part that is not multipart: header lines (bytes, no line ends;
    a folded field is one element with its CRLFs inside), then a blank
    line and the body (no final line end: the CRLF before a delimiter
    belongs to the delimiter, RFC 2046 5.1.1), or, with blank=False, no
    blank line and no body at all.  expect: what the JSON says of it."""

    def __init__(self, headers, body=b"", blank=True, **expect):
        self.headers = headers
        self.body = body
        self.blank = blank
        self.expect = expect

    def render(self):
        out = CRLF.join(self.headers)
        if self.blank:
            out += CRLF + CRLF + self.body
        return out


class Multi:
    """A multipart part: its header lines, a boundary, the children; with
    close=False the close delimiter is left out, and the bytes end with
    the last child (the message's final CRLF follows it)."""

    def __init__(self, headers, boundary, children, close=True,
                 preamble=b"", epilogue=b"", **expect):
        self.headers = headers
        self.boundary = boundary
        self.children = children
        self.close = close
        self.preamble = preamble
        self.epilogue = epilogue
        self.expect = expect

    def render(self):
        d = b"--" + self.boundary
        out = CRLF.join(self.headers) + CRLF + CRLF + self.preamble
        for i, c in enumerate(self.children):
            if i or self.preamble:
                out += CRLF
            out += d + CRLF + c.render()
        if self.close:
            out += CRLF + d + b"--" + CRLF + self.epilogue
        return out


def message(n, name, top):
    """The whole message: the top-level fields, then the top part's own
    header and body.  Ends with CRLF."""
    head = [b"From: <%s>" % SENDER.encode(), b"To: <%s>" % RCPT.encode(),
            b"Subject: hostile-mime %d: %s" % (n, name.encode()),
            b"Date: Fri, 01 Jan 2027 00:%02d:00 +0000" % (n - 1),
            b"Message-ID: <hostile-mime-%d.%s@hostile.example.net>"
            % (n, name.encode()), b"MIME-Version: 1.0"]
    top.headers = head + top.headers
    out = top.render()
    if not out.endswith(CRLF):
        out += CRLF
    return out


# --- small helpers -------------------------------------------------------

def b64lines(data, width=76):
    s = base64.b64encode(data)
    return CRLF.join(s[i:i + width] for i in range(0, len(s), width))


def pct(b, keep=b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        b"0123456789.-_"):
    """RFC 2231 percent-encoding of every byte not in keep"""
    return b"".join(bytes([c]) if c in keep else b"%%%02X" % c for c in b)


def qword(b):
    """An RFC 2047 Q encoded word, every byte but letters and digits as
    =XX"""
    return (b"=?UTF-8?Q?" + b"".join(
        bytes([c]) if chr(c).isalnum() and c < 128 else b"=%02X" % c
        for c in b) + b"?=")


def bword(b):
    """An RFC 2047 B encoded word"""
    return b"=?UTF-8?B?" + base64.b64encode(b) + b"?="


def qp_encode(data, width=76):
    """Quoted-printable (RFC 2045 6.7) of one line of text, soft line
    breaks every width characters at most"""
    enc = [bytes([c]) if 33 <= c <= 126 and c != 61 else b"=%02X" % c
           for c in data]
    lines, cur = [], b""
    for e in enc:
        if len(cur) + len(e) > width - 1:
            lines.append(cur + b"=")
            cur = b""
        cur += e
    lines.append(cur)
    return CRLF.join(lines)


HEX = b"0123456789ABCDEFabcdef"


def qp_robust(data):
    """Quoted-printable decoded as RFC 2045 6.7 advises a robust decoder:
    =XX with upper or lower case hex is the byte; "=" and optional white
    space at a line end (or at the end of the body) is a soft line break;
    any other "=" is kept with what follows it, unchanged"""
    out, lines = bytearray(), data.split(CRLF)
    for i, line in enumerate(lines):
        soft = line.rstrip(b" \t").endswith(b"=")
        if soft:
            line = line.rstrip(b" \t")[:-1]
        j = 0
        while j < len(line):
            if (line[j] == 61 and j + 3 <= len(line) and
                    line[j + 1] in HEX and line[j + 2] in HEX):
                out.append(int(line[j + 1:j + 3], 16))
                j += 3
            else:
                out.append(line[j])
                j += 1
        if not soft and i + 1 < len(lines):
            out += CRLF
    return bytes(out)


def sha(b):
    return hashlib.sha256(b).hexdigest()


def att(ctype, params_ct, params_cd, cte=None):
    """Header lines of an attachment: Content-Type with params_ct
    appended, Content-Disposition: attachment with params_cd appended,
    and Content-Transfer-Encoding if given."""
    h = [b"Content-Type: " + ctype + params_ct,
         b"Content-Disposition: attachment" + params_cd]
    if cte:
        h.append(b"Content-Transfer-Encoding: " + cte)
    return h


# --- the messages --------------------------------------------------------

def names_paths():
    """(label, why, name parameter as written after 'name'/'filename',
    the name the sender meant, other readings)"""
    cases = [
        ("traversal-unix", "climbs two directories to /etc/passwd",
         b'="../../etc/passwd"', b"../../etc/passwd", None),
        ("absolute-unix", "an absolute path",
         b'="/etc/shadow"', b"/etc/shadow", None),
        ("traversal-windows-escaped",
         "backslashes as RFC 822 quoted-pairs (\\\\): the value is "
         "..\\..\\win.ini",
         b'="..\\\\..\\\\win.ini"', b"..\\..\\win.ini",
         {"quoted-pairs not undone": b"..\\\\..\\\\win.ini"}),
        ("traversal-windows-raw",
         "backslashes unescaped in the quoted string, as Outlook writes "
         "them: a strict RFC 822 reading drops each backslash",
         b'="..\\..\\win.ini"', b"..\\..\\win.ini",
         {"strict RFC 822 quoted-pairs": b"....win.ini"}),
        ("traversal-windows-2231", "backslashes percent-encoded (RFC 2231)",
         b"*=us-ascii''..%5C..%5Cwin.ini", b"..\\..\\win.ini", None),
        ("windows-drive", "a drive-absolute Windows path (RFC 2231)",
         b"*=us-ascii''C%3A%5Cboot.ini", b"C:\\boot.ini", None),
        ("traversal-middle", "a/../../b: normalises to ../b",
         b'="a/../../b"', b"a/../../b", None),
        ("dot", "the directory itself", b'="."', b".", None),
        ("dotdot", "the parent directory", b'=".."', b"..", None),
        ("device-con", "a Windows device name", b'="CON"', b"CON", None),
        ("device-nul-ext", "a device name with an extension (still the "
         "device on Windows)", b'="NUL.txt"', b"NUL.txt", None),
        ("device-aux-token", "a device name, unquoted token",
         b"=aux", b"aux", None),
        ("device-lpt1-token", "a device name, unquoted token",
         b"=lpt1", b"lpt1", None),
        ("traversal-token",
         "traversal as an unquoted value (\"/\" is a tspecial: a lenient "
         "parser takes it)", b"=../x/../../etc/hosts",
         b"../x/../../etc/hosts", None),
        ("traversal-2231", "traversal with every dot and slash "
         "percent-encoded (RFC 2231)",
         b"*=UTF-8''%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", b"../../etc/passwd",
         None),
        ("traversal-2047", "traversal in an RFC 2047 encoded word",
         b'="' + bword(b"../../etc/passwd") + b'"', b"../../etc/passwd",
         {"encoded word not decoded": bword(b"../../etc/passwd")}),
    ]
    parts = []
    for i, (label, why, param, name, other) in enumerate(cases):
        body = b"names-paths part %d: %s\n" % (i + 1, label.encode())
        parts.append(Leaf(
            att(b"application/octet-stream", b"; name" + param,
                b"; filename" + param, b"base64"),
            b64lines(body), label=label, why=why, name=name,
            name_param=param, filename_param=param, name_readings=other,
            decoded=body))
    # The name in Content-Type says one thing, the disposition another.
    body = b"names-paths part %d: mismatch\n" % (len(cases) + 1)
    parts.append(Leaf(
        att(b"application/octet-stream", b'; name="harmless.txt"',
            b'; filename="../../../../tmp/owned"', b"base64"),
        b64lines(body), label="mismatch",
        why="Content-Type's name is harmless.txt, Content-Disposition's "
        "filename climbs to /tmp/owned: the filename is what mailers use",
        name=b"../../../../tmp/owned", name_param=b'="harmless.txt"',
        filename_param=b'="../../../../tmp/owned"', decoded=body))
    return Multi([b'Content-Type: multipart/mixed; boundary="paths"'],
                 b"paths", parts)


def names_bytes():
    cases = [
        ("nul-raw", "a raw NUL byte in the quoted string",
         b'="a\x00b.txt"', b"a\x00b.txt", None),
        ("nul-2231", "NUL as %00 (RFC 2231)",
         b"*=UTF-8''a%00b.txt", b"a\x00b.txt", None),
        ("nul-2047", "NUL as =00 in an RFC 2047 Q word",
         b'="=?UTF-8?Q?a=00b?="', b"a\x00b", None),
        ("control-raw", "BEL, BS, TAB, VT, FF, DEL raw",
         b'="ctl\x07\x08\x09\x0b\x0c\x7f.txt"',
         b"ctl\x07\x08\x09\x0b\x0c\x7f.txt", None),
        ("control-2231", "C0 controls and DEL percent-encoded",
         b"*=UTF-8''ctl%01%07%08%1B%7F.txt", b"ctl\x01\x07\x08\x1b\x7f.txt",
         None),
        ("crlf-2047q", "CR LF in an RFC 2047 Q word",
         b'="=?UTF-8?Q?line1=0D=0Aline2.txt?="', b"line1\r\nline2.txt",
         None),
        ("lf-2047b", "a bare LF in an RFC 2047 B word",
         b'="' + bword(b"first\nsecond.txt") + b'"', b"first\nsecond.txt",
         None),
        ("header-injection-2231",
         "CR LF and a forged header and body in the name (RFC 2231): "
         "written into a header, a log line or a .eml it splits it",
         b"*=UTF-8''x%0D%0AContent-Type%3A%20text%2Fhtml%0D%0A%0D%0A"
         b"%3Cscript%3Ealert(1)%3C%2Fscript%3E.txt",
         b"x\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>"
         b".txt", None),
        ("ansi-raw", "ESC[2J (clear screen), a colour, a reset, raw",
         b'="\x1b[2J\x1b[1;31mALERT\x1b[0m.txt"',
         b"\x1b[2J\x1b[1;31mALERT\x1b[0m.txt", None),
        ("ansi-2047", "ESC[2J and an OSC that sets the terminal's title, "
         "in an RFC 2047 Q word",
         b'="' + qword(b"\x1b[2J\x1b]0;pwned\x07.txt") + b'"',
         b"\x1b[2J\x1b]0;pwned\x07.txt", None),
        ("utf8-invalid-raw", "0xFF, 0xFE, an overlong \"/\" (C0 AF) and "
         "a UTF-16 surrogate (ED A0 80), raw",
         b'="bad\xff\xfe\xc0\xaf\xed\xa0\x80.txt"',
         b"bad\xff\xfe\xc0\xaf\xed\xa0\x80.txt", None),
        ("utf8-overlong-slash-2231",
         "an overlong \"/\" (%C0%AF) between dots: a lax UTF-8 decoder "
         "makes ../../etc/passwd of it",
         b"*=UTF-8''..%C0%AF..%C0%AFetc%C0%AFpasswd",
         b"..\xc0\xaf..\xc0\xafetc\xc0\xafpasswd",
         {"lax UTF-8 decoder": b"../../etc/passwd"}),
        ("utf8-invalid-2047", "invalid UTF-8 in an RFC 2047 B word "
         "labelled UTF-8",
         b'="' + bword(b"bad\xff\xc3(.txt") + b'"', b"bad\xff\xc3(.txt",
         None),
        ("spaces", "only spaces", b'="     "', b"     ", None),
        ("empty", "an empty name", b'=""', b"", None),
        ("dash-rf", "starts with \"-\": an option to a command line",
         b'="-rf"', b"-rf", None),
        ("dash-long-option", "starts with \"--\", an option with a path",
         b'="--output=..%2F..%2Fetc%2Fpasswd"',
         b"--output=..%2F..%2Fetc%2Fpasswd", None),
        ("bidi-2047", "U+202E RIGHT-TO-LEFT OVERRIDE: shows as "
         "invoiceexe.pdf, is invoice\u202efdp.exe (RFC 2047)",
         b'="' + bword("invoice\u202efdp.exe".encode()) + b'"',
         "invoice\u202efdp.exe".encode(), None),
        ("trailing-dot-space", "a trailing dot and space, which Windows "
         "drops (\"evil.exe. \" opens as evil.exe)",
         b'="evil.exe. "', b"evil.exe. ", None),
    ]
    parts = []
    for i, (label, why, param, name, other) in enumerate(cases):
        body = b"names-bytes part %d: %s\n" % (i + 1, label.encode())
        parts.append(Leaf(
            att(b"application/octet-stream", b"; name" + param,
                b"; filename" + param, b"base64"),
            b64lines(body), label=label, why=why, name=name,
            name_param=param, filename_param=param, name_readings=other,
            decoded=body))
    return Multi([b'Content-Type: multipart/mixed; boundary="bytes"'],
                 b"bytes", parts)


def long_names():
    rnd = random.Random("hostile-mime/long-names")
    # 4 KB: one quoted string on one line (the line is longer than the
    # 998 bytes RFC 5322 allows).
    n4 = b"long4k-" + bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz0123456789")
                            for _ in range(4096 - 7 - 4)) + b".txt"
    body4 = b"the 4 KB name\n"
    p4 = b'="' + n4 + b'"'
    leaf4 = Leaf(att(b"application/octet-stream", b"; name" + p4,
                     b"; filename" + p4, b"base64"),
                 b64lines(body4), label="name-4k",
                 why="a 4096-byte name, quoted, on one header line of "
                 "4 KB (twice: name= and filename=)", name=n4,
                 name_param=p4, filename_param=p4, decoded=body4)
    # 64 KB: 128 RFC 2231 continuations of 512 bytes, each on its own
    # folded line; "é" (C3 A9) is cut between two of them.
    text = bytearray(b"long64k-")
    while len(text) < 65536 - 4:
        if rnd.random() < 0.05:
            text += "é".encode()
        else:
            text.append(rnd.choice(b"abcdefghijklmnopqrstuvwxyz0123456789"))
    text = bytes(text[:65536 - 4])
    # make the byte at a segment's end the first half of an "é"
    cut = 512 * 7 - 1
    text = text[:cut] + "é".encode() + text[cut + 2:]
    text = text[:65536 - 4]
    while True:  # no "é" cut at the very end
        try:
            text.decode()
            break
        except UnicodeDecodeError:
            text = text[:-1] + b"z"
    n64 = text + b".bin"
    assert len(n64) == 65536 and n64[cut:cut + 2] == "é".encode()
    n64.decode("utf-8")  # valid UTF-8 once the continuations are joined
    segs = [n64[i:i + 512] for i in range(0, len(n64), 512)]
    cd = b"Content-Disposition: attachment"
    for i, s in enumerate(segs):
        cd += b";\r\n filename*%d*=%s%s" % (i, b"UTF-8''" if i == 0 else b"",
                                           pct(s))
    body64 = b"the 64 KB name\n"
    leaf64 = Leaf([b"Content-Type: application/octet-stream", cd,
                   b"Content-Transfer-Encoding: base64"], b64lines(body64),
                  label="name-64k-2231",
                  why="a 65,536-byte name in 128 RFC 2231 continuations "
                  "(filename*0*=UTF-8''...;filename*1*=...; ... "
                  "filename*127*=...), each on its own folded line; a "
                  "UTF-8 \"é\" is split between continuations 6 and 7 "
                  "(RFC 2231: decode after joining); Content-Type has no "
                  "name", name=n64, name_param=None,
                  filename_param=None,
                  decoded=body64)
    # 100 KB: one Content-Type line of 102,400 bytes; the name comes
    # after the filler.
    head = b'Content-Type: text/plain; charset=us-ascii; x-filler="'
    tail = b'"; name="after-filler.txt"'
    ct = head + b"F" * (102400 - len(head) - len(tail)) + tail
    assert len(ct) == 102400
    body100 = b"the name of this part is after 100 KB of Content-Type"
    leaf100 = Leaf([ct, b"Content-Disposition: attachment"], body100,
                   label="content-type-100k",
                   why="a Content-Type header line of 102,400 bytes (no "
                   "folding); its name parameter comes last, after a "
                   "100 KB x-filler parameter: a parser that cuts the "
                   "line loses the name", name=b"after-filler.txt",
                   name_param=b'="after-filler.txt"', filename_param=None,
                   decoded=body100)
    return Multi([b'Content-Type: multipart/mixed; boundary="long"'],
                 b"long", [leaf4, leaf64, leaf100])


def parts_10000():
    parts = []
    for i in range(10000):
        nm = b"p%05d.txt" % i
        parts.append(Leaf(
            [b'Content-Type: text/plain; name="%s"' % nm,
             b'Content-Disposition: attachment; filename="%s"' % nm],
            b"part %05d" % i, name=nm, decoded=b"part %05d" % i))
    return Multi([b'Content-Type: multipart/mixed; boundary="b10k"'],
                 b"b10k", parts)


def nested_200():
    inner = None
    for k in range(200, 0, -1):
        nm = b"level-%03d.txt" % k
        leaf = Leaf([b'Content-Type: text/plain; name="%s"' % nm,
                     b'Content-Disposition: attachment; filename="%s"' % nm],
                    b"level %03d" % k, name=nm, decoded=b"level %03d" % k)
        if inner is None:
            deep = Leaf([b'Content-Type: text/plain; name="deep.txt"',
                         b'Content-Disposition: attachment; '
                         b'filename="deep.txt"'],
                        b"the innermost part", name=b"deep.txt",
                        decoded=b"the innermost part")
            kids = [leaf, deep]
        else:
            kids = [leaf, inner]
        inner = Multi([b'Content-Type: multipart/mixed; '
                       b'boundary="nest-%03d"' % k], b"nest-%03d" % k, kids)
    return inner


def boundary_unclosed():
    u = []
    for i in range(1, 5):
        nm = b"u%d.txt" % i
        u.append(Leaf([b'Content-Type: text/plain; name="%s"' % nm,
                       b'Content-Disposition: attachment; filename="%s"'
                       % nm], b"unclosed part %d" % i, name=nm,
                      decoded=b"unclosed part %d" % i))
    inner = Multi([b'Content-Type: multipart/mixed; boundary="inner-open"'],
                  b"inner-open", [u[1], u[2]], close=False)
    return Multi([b'Content-Type: multipart/mixed; boundary="outer-open"'],
                 b"outer-open", [u[0], inner, u[3]], close=False)


def three(prefix, what):
    out = []
    for i in range(1, 4):
        nm = b"%s%d.txt" % (prefix, i)
        out.append(Leaf([b'Content-Type: text/plain; name="%s"' % nm,
                         b'Content-Disposition: attachment; filename="%s"'
                         % nm], b"%s part %d" % (what, i), name=nm,
                        decoded=b"%s part %d" % (what, i)))
    return out


def boundary_empty():
    return Multi([b'Content-Type: multipart/mixed; boundary=""'], b"",
                 three(b"e", b"empty-boundary"),
                 preamble=b"The delimiter lines are \"--\", the close "
                 b"\"----\".")


def boundary_300():
    rnd = random.Random("hostile-mime/boundary-300")
    b = bytes(rnd.choice(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
                         b"vwxyz0123456789'()+_,./:=?") for _ in range(300))
    return Multi([b'Content-Type: multipart/mixed; boundary="%s"' % b], b,
                 three(b"b300-", b"300-char-boundary"))


def boundary_prefix():
    def leaf(nm, body):
        return Leaf([b'Content-Type: text/plain; name="%s"' % nm,
                     b'Content-Disposition: attachment; filename="%s"' % nm],
                    body, name=nm, decoded=body)
    a = Multi([b'Content-Type: multipart/mixed; boundary="pre-fix-a"'],
              b"pre-fix-a", [leaf(b"pa1.txt", b"inner boundary pre-fix-a, "
                                  b"part 1"),
                             leaf(b"pa2.txt", b"inner boundary pre-fix-a, "
                                  b"part 2")])
    b = Multi([b'Content-Type: multipart/mixed; boundary="pre"'], b"pre",
              [leaf(b"pb1.txt", b"inner boundary pre, part 1"),
               leaf(b"pb2.txt", b"inner boundary pre, part 2\r\n"
                    b"--pre-fixed: this line starts with the outer "
                    b"delimiter and is no delimiter\r\n"
                    b"--pre--not-a-close-delimiter either")])
    c = leaf(b"pc.txt", b"outer boundary pre-fix, part 3\r\n"
             b"--pre-fix-a is inner text here, no delimiter")
    return Multi([b'Content-Type: multipart/mixed; boundary="pre-fix"'],
                 b"pre-fix", [a, b, c])


def encodings():
    rnd = random.Random("hostile-mime/encodings")
    parts = []

    def hdr(nm, cte, ctype=b"application/octet-stream"):
        return att(ctype, b'; name="%s"' % nm, b'; filename="%s"' % nm,
                   cte)

    # base64 with garbage: characters outside the alphabet are ignored
    # (RFC 2045 6.8), so the data decodes whole.
    g_data = bytes(rnd.randrange(256) for _ in range(300))
    clean = base64.b64encode(g_data)
    garbage = b"!@#$%^&*~ \t\x00\x80\xff\x1b.;"
    noisy = bytearray()
    for i, c in enumerate(clean):
        noisy.append(c)
        if rnd.random() < 0.15:
            noisy += bytes(rnd.choice(garbage)
                           for _ in range(rnd.randint(1, 3)))
    noisy = bytes(noisy)
    g_lines = [noisy[i:i + 70] for i in range(0, len(noisy), 70)]
    # lines of garbage alone, one starting with "." (dot-stuffed on the
    # wire), one starting with "--" like a delimiter
    g_lines.insert(2, b". ! ; . * ~")
    g_lines.insert(3, b"--!!")
    g_lines.insert(5, b"")  # an empty line in the middle of the data
    g_body = CRLF.join(g_lines)
    parts.append(Leaf(hdr(b"b64-garbage.bin", b"base64"), g_body,
                      label="base64-garbage", name=b"b64-garbage.bin",
                      why="base64 with !@#$%^&*~, space, TAB, NUL, 0x80, "
                      "0xFF, ESC, '.' and ';' between the letters, a line "
                      "of garbage alone starting with '.', one starting "
                      "with '--', an empty line: RFC 2045 "
                      "6.8 has every character outside the alphabet "
                      "ignored, so the 300 bytes decode whole",
                      decoded=g_data, rule="RFC 2045 6.8: ignore "
                      "characters outside the base64 alphabet"))

    t_data = bytes(rnd.randrange(256) for _ in range(200))
    t_b64 = base64.b64encode(t_data)[:-3]
    assert len(t_b64) % 4 == 1
    parts.append(Leaf(hdr(b"b64-truncated.bin", b"base64"),
                      CRLF.join(t_b64[i:i + 76]
                                for i in range(0, len(t_b64), 76)),
                      label="base64-truncated", name=b"b64-truncated.bin",
                      why="200 bytes of base64 with its last 3 characters "
                      "cut: 66 whole quads and one character alone, which "
                      "holds only 6 bits (no byte)",
                      decoded=t_data[:198], rule="the 66 whole quads (198 "
                      "bytes); the lone last character makes no byte"))

    pm = b"Zmlyc3Q=c2Vjb25k"
    parts.append(Leaf(hdr(b"b64-pad-middle.bin", b"base64"), pm,
                      label="base64-padding-in-the-middle",
                      name=b"b64-pad-middle.bin",
                      why="\"Zmlyc3Q=\" then \"c2Vjb25k\" on one line: "
                      "padding in the middle; decoders stop there, or go "
                      "on quad by quad",
                      decoded=None, decoded_readings={
                          "stop at the first pad": b"first",
                          "each quad on its own": b"firstsecond"}))

    qp = (b"bad escape =ZZ here\r\n"
          b"half escape =4\r\n"
          b"lowercase =3d hex\r\n"
          b"soft break with trailing space = \r\n"
          b"joined\r\n"
          b"=C3=A9 encoded, \xe9 raw 8-bit, =\r\n"
          b"=3D=\r\n"
          b"ends with an equals sign =")
    parts.append(Leaf(hdr(b"qp-invalid.txt", b"quoted-printable",
                          b"text/plain; charset=iso-8859-1"), qp,
                      label="qp-invalid", name=b"qp-invalid.txt",
                      why="=ZZ (not hex), =4 before the line end, =3d in "
                      "lower case, \"= \" (a soft break with white space "
                      "after it), a raw 8-bit byte, and \"=\" as the last "
                      "character of the part",
                      decoded=qp_robust(qp), rule="RFC 2045 6.7 robust "
                      "decoding: =XX in either case is the byte, a final "
                      "\"=\" (before optional white space) is a soft line "
                      "break, also at the end of the part; any other \"=\" "
                      "is kept with what follows"))

    nb = Leaf(hdr(b"noblank.txt", None, b"text/plain")[:2] +
              [b"X-No-Blank-Line: the next line is a delimiter"],
              blank=False, label="header-ends-at-delimiter",
              name=b"noblank.txt",
              why="the part's header is followed at once by the next "
              "delimiter line, with no blank line: the header ends there, "
              "the body is empty", decoded=b"")
    parts.append(nb)

    unk = b"SGVsbG8sIHdvcmxkIQ==\r\nthis looks like base64 and is not " \
          b"to be decoded"
    parts.append(Leaf(hdr(b"unknown.bin", b"x-unknown"), unk,
                      label="cte-x-unknown", name=b"unknown.bin",
                      why="Content-Transfer-Encoding: x-unknown; the body "
                      "looks like base64: RFC 2049 has a part of an "
                      "unknown encoding treated as application/"
                      "octet-stream, its bytes as they are",
                      decoded=unk, rule="RFC 2049: not decoded"))
    return Multi([b'Content-Type: multipart/mixed; boundary="enc-parts"'],
                 b"enc-parts", parts)


def header_unterminated():
    before = Leaf([b'Content-Type: text/plain; name="before.txt"',
                   b'Content-Disposition: attachment; filename="before.txt"'],
                  b"a normal part before the endless header",
                  name=b"before.txt",
                  decoded=b"a normal part before the endless header")
    h = [b'Content-Type: text/plain; name="endless.txt"',
         b'Content-Disposition: attachment; filename="endless.txt"']
    h += [b"X-Filler-%04d: this header section has no end" % i
          for i in range(2000)]
    h.append(b"X-Folded: starts here" +
             b"".join(b"\r\n and goes on folded, line %04d" % i
                      for i in range(1000)))
    endless = Leaf(h, blank=False, name=b"endless.txt", decoded=b"",
                   header_fields=len(h))
    return Multi([b'Content-Type: multipart/mixed; boundary="hdr-open"'],
                 b"hdr-open", [before, endless], close=False)


def url20k(i):
    return b"https://h%05d.example.net/p/%05d" % (i, i)


def urls_20000():
    plain = Leaf([b"Content-Type: text/plain; charset=us-ascii"],
                 b"The links are in the HTML part.",
                 decoded=b"The links are in the HTML part.")
    html = b"<html><body>\r\n" + b"".join(
        b'<a href="%s">%05d</a><br>\r\n' % (url20k(i), i)
        for i in range(20000)) + b"</body></html>"
    return Multi([b'Content-Type: multipart/alternative; '
                  b'boundary="alt-urls"'], b"alt-urls",
                 [plain, Leaf([b"Content-Type: text/html; charset=us-ascii",
                               b"Content-Transfer-Encoding: 7bit"], html,
                              decoded=html)])


def long_url(rnd, host, extra=b""):
    u = b"https://" + host + b"/" + extra
    while len(u) < 10240:
        u += bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz0123456789")
                   for _ in range(rnd.randint(4, 12)))
        u += rnd.choice([b"/", b"-", b"_", b"."])
    return u[:10239] + b"z"


def urls_long():
    rnd = random.Random("hostile-mime/urls-long")
    u1 = long_url(rnd, b"long1.example.net", b"search?q=")
    u2 = long_url(rnd, b"long2.example.net")
    u3 = long_url(rnd, b"long3.example.net", b"a?b=c&d=")
    assert all(len(u) == 10240 for u in (u1, u2, u3))
    h1 = b'<html><body><a href="' + u1 + b'">the first long link</a>' \
         b'</body></html>'
    t2 = b"A 10 KB URL on one line:\r\n" + u2 + b"\r\nthe end."
    h3 = b'<html><body><a href="' + u3 + b'">the third long link</a>' \
         b'</body></html>'
    return Multi([b'Content-Type: multipart/mixed; boundary="long-urls"'],
                 b"long-urls", [
                     Leaf([b"Content-Type: text/html; charset=us-ascii",
                           b"Content-Transfer-Encoding: quoted-printable"],
                          qp_encode(h1), decoded=h1, urls=[u1]),
                     Leaf([b"Content-Type: text/plain; charset=us-ascii",
                           b"Content-Transfer-Encoding: 7bit"], t2,
                          decoded=t2, urls=[u2]),
                     Leaf([b"Content-Type: text/html; charset=us-ascii",
                           b"Content-Transfer-Encoding: base64"],
                          b64lines(h3), decoded=h3, urls=[u3])])


MESSAGES = [
    ("names-paths", names_paths,
     "attachment names that climb out of the extraction directory, "
     "absolute paths, Windows device names, and one part whose "
     "Content-Type name and Content-Disposition filename disagree"),
    ("names-bytes", names_bytes,
     "attachment names holding NUL, control characters, CR/LF, ANSI "
     "escapes, invalid UTF-8, a bidi override, only spaces, nothing, a "
     "leading '-': raw, RFC 2231 and RFC 2047"),
    ("long-names", long_names,
     "a 4 KB file name, a 64 KB one in RFC 2231 continuations, a "
     "Content-Type line of 100 KB"),
    ("parts-10000", parts_10000, "10,000 small named parts"),
    ("nested-200", nested_200,
     "multipart/mixed nested 200 levels deep, a named leaf at each level"),
    ("boundary-unclosed", boundary_unclosed,
     "an outer and an inner multipart whose close delimiters never come"),
    ("boundary-empty", boundary_empty,
     "boundary=\"\": delimiter lines of \"--\""),
    ("boundary-300", boundary_300,
     "a boundary of 300 characters (RFC 2046 allows 70)"),
    ("boundary-prefix", boundary_prefix,
     "outer boundary pre-fix, inner boundaries pre-fix-a and pre: each a "
     "prefix of another"),
    ("encodings", encodings,
     "bad base64, bad quoted-printable, an unknown transfer encoding, a "
     "part header that ends at the next delimiter"),
    ("header-unterminated", header_unterminated,
     "the last part's header section never ends: 2003 fields, the last "
     "folded over 1000 lines, then the end of the message"),
    ("urls-20000", urls_20000, "an HTML part with 20,000 links"),
    ("urls-long", urls_long,
     "three URLs of 10,240 characters: quoted-printable, one 7bit line, "
     "base64"),
]


# --- what the JSON says ---------------------------------------------------

def jb(b, limit=600):
    """Bytes for the JSON: {"hex", "utf8" when valid UTF-8}; longer than
    limit: {"bytes", "sha256", "head", "tail"} (64 bytes each)"""
    if b is None:
        return None
    if len(b) > limit:
        return {"bytes": len(b), "sha256": sha(b), "head": jb(b[:64]),
                "tail": jb(b[-64:])}
    out = {"hex": b.hex()}
    try:
        out["utf8"] = b.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return out


def walk(node, path, depth, out, stats):
    """Leaves in order with their part path (IMAP style: 1, 2.3, ...)
    and depth (the number of multiparts around them)"""
    if isinstance(node, Multi):
        stats["multiparts"] += 1
        stats["max_multipart_depth"] = max(stats["max_multipart_depth"],
                                           depth + 1)
        for i, c in enumerate(node.children):
            walk(c, path + [i + 1], depth + 1, out, stats)
    else:
        out.append((".".join(map(str, path)) or "1", depth, node))


def field(leaf, name):
    """The raw value of a leaf's header field (its folding kept), or
    None"""
    for h in leaf.headers:
        if h[:len(name) + 1].lower() == name.lower() + b":":
            return h[len(name) + 1:].lstrip(b" ")
    return None


def leaf_entry(path, depth, leaf, at_end):
    e = {"path": path, "multipart_depth": depth}
    x = leaf.expect
    for k in ("label", "why"):
        if k in x:
            e[k] = x[k]
    e["content_type_field"] = jb(field(leaf, b"Content-Type"))
    e["content_disposition_field"] = jb(field(leaf,
                                              b"Content-Disposition"))
    cte = field(leaf, b"Content-Transfer-Encoding")
    e["transfer_encoding"] = cte.decode() if cte is not None else None
    if "name" in x:
        e["name"] = jb(x["name"])
    if x.get("name_param") is not None:
        e["content_type_name_param"] = jb(b"name" + x["name_param"])
    if x.get("filename_param") is not None:
        e["disposition_filename_param"] = jb(b"filename" +
                                             x["filename_param"])
    if x.get("name_readings"):
        e["other_readings_of_name"] = {
            k: jb(v) for k, v in x["name_readings"].items()}
    e["header_blank_line"] = leaf.blank
    if "header_fields" in x:
        e["header_fields"] = x["header_fields"]
    e["body_on_wire"] = {"bytes": len(leaf.body), "sha256": sha(leaf.body)}
    if x.get("decoded") is not None:
        d = x["decoded"]
        e["decoded"] = {"bytes": len(d), "sha256": sha(d)}
        if len(d) <= 600:
            e["decoded"]["content"] = jb(d)
        if "rule" in x:
            e["decoded"]["rule"] = x["rule"]
    else:
        e["decoded"] = None
    if x.get("decoded_readings"):
        e["decoded_readings"] = {
            k: {"bytes": len(v), "sha256": sha(v), "content": jb(v)}
            for k, v in x["decoded_readings"].items()}
    if at_end and leaf.blank:
        # No delimiter follows: the message's last CRLF may be the body's.
        d = x["decoded"] + CRLF
        e["decoded_with_the_final_crlf"] = {"bytes": len(d),
                                            "sha256": sha(d)}
    if "urls" in x:
        e["urls"] = [jb(u) for u in x["urls"]]
    return e


def expectations(n, name, about, top, msg, wire, client, cport, qid):
    leaves, stats = [], {"multiparts": 0, "max_multipart_depth": 0}
    walk(top, [], 0, leaves, stats)
    ent = {"session": n, "name": name, "about": about,
           "client": "%s:%d" % (client, cport), "server": "%s:25" % SERVER,
           "mail_from": SENDER, "rcpt_to": [RCPT],
           "queue_id": qid, "reply": "250 2.0.0 Ok: queued as %s" % qid,
           "subject": "hostile-mime %d: %s" % (n, name),
           "message": {"bytes": len(msg), "sha256": sha(msg),
                       "what": "the message as DATA carried it, dot-"
                       "stuffing undone, up to and with the CRLF before "
                       "the final '.': the .eml"},
           "data_on_wire_bytes": len(wire),
           "multiparts": stats["multiparts"],
           "max_multipart_depth": stats["max_multipart_depth"],
           "leaf_parts": len(leaves),
           "named_leaf_parts": sum(1 for *_, lf in leaves
                                   if "name" in lf.expect)}
    # The last leaf ends the message when no close delimiter follows it.
    last = leaves[-1][2]
    at_end = msg.endswith(CRLF + last.render() + CRLF)

    def entry(p, d, lf):
        return leaf_entry(p, d, lf, at_end and lf is last)
    if len(leaves) > 100:
        ent["leaves_sample"] = [entry(*lv) for lv in leaves[:3] +
                                leaves[-3:]]
    else:
        ent["leaves"] = [entry(*lv) for lv in leaves]
    if name == "parts-10000":
        ent["leaf_rule"] = ("leaf i (0..9999) is part path str(i+1), "
                            "text/plain, name and filename "
                            "\"p%05d.txt\" % i, body \"part %05d\" % i "
                            "(10 bytes, no line end), every body "
                            "different")
        ent["names_joined_by_lf_sha256"] = sha(b"\n".join(
            lf.expect["name"] for *_, lf in leaves))
    ent["named_leaves_distinct_decoded_sha256"] = len(
        {sha(lf.expect["decoded"]) for *_, lf in leaves
         if lf.expect.get("decoded") is not None and "name" in lf.expect})
    return ent


def extra_notes(name, ent, top):
    """Facts that belong to one message only"""
    if name == "nested-200":
        ent["leaf_rule"] = (
            "multipart k (1..200, 1 the message itself) has boundary "
            "\"nest-%03d\" % k and two children: the leaf \"level-%03d.txt\""
            " % k (body \"level %03d\" % k) and multipart k+1; multipart "
            "200's second child is the leaf \"deep.txt\" (body \"the "
            "innermost part\") at part path \"2.\" * 199 + \"2\"")
        ent["leaf_names_in_order"] = ["level-%03d.txt" % k
                                      for k in range(1, 201)] + ["deep.txt"]
    if name == "boundary-unclosed":
        ent["note"] = ("neither \"--outer-open--\" nor \"--inner-open--\" "
                       "is ever written: the inner multipart (part 2) ends "
                       "at the outer delimiter before u4.txt, the outer one "
                       "at the end of the message; u4.txt's body runs to "
                       "the end of the message")
    if name == "boundary-empty":
        ent["note"] = ("RFC 2046's boundary is 1 to 70 characters: an empty "
                       "one is invalid. Taken literally the delimiter is "
                       "\"--\" and the close \"----\", which gives the 3 "
                       "leaves listed; a parser that refuses the boundary "
                       "sees one leaf (the whole body, as text/plain or "
                       "application/octet-stream) and no name. Either is "
                       "defensible; a crash, a hang or a part per line is "
                       "not")
        ent["readings"] = {"boundary taken literally": 3,
                           "boundary refused": 1}
    if name == "boundary-300":
        ent["boundary_length"] = len(top.boundary)
        ent["boundary"] = top.boundary.decode()
        ent["note"] = ("RFC 2046 allows 70 characters; taken as written "
                       "the message has 3 leaves; a parser that refuses "
                       "the boundary sees one leaf and no name")
        ent["readings"] = {"boundary taken as written": 3,
                           "boundary refused": 1}
    if name == "boundary-prefix":
        ent["note"] = (
            "a delimiter is \"--\" + boundary followed only by optional "
            "white space and CRLF (RFC 2046 5.1.1): \"--pre-fix-a\" is no "
            "delimiter of \"pre-fix\", \"--pre-fix\" none of \"pre\"; the "
            "lines \"--pre-fixed: ...\", \"--pre--not-a-close-delimiter "
            "either\" and \"--pre-fix-a is inner text here...\" are body "
            "text. A parser that matches a boundary as a prefix of the "
            "line sees other parts and other bodies")
    if name == "header-unterminated":
        ent["note"] = ("part 2's header has 2003 fields (2 Content-*, "
                       "2000 X-Filler, 1 X-Folded folded over 1001 lines) "
                       "and no blank line; "
                       "the message (and DATA) ends inside it, with no "
                       "close delimiter. A bounded parser stops reading the "
                       "header before its end; it still has part 2's "
                       "name if it kept the first field")
    if name == "urls-20000":
        ent["urls"] = {"count": 20000, "distinct": 20000,
                       "distinct_hosts": 20000,
                       "rule": "https://h%05d.example.net/p/%05d % (i, i), "
                       "i = 0..19999, each in <a href=\"...\"> on its own "
                       "line of the text/html part (part 2)",
                       "first": url20k(0).decode(),
                       "last": url20k(19999).decode(),
                       "joined_by_lf_sha256": sha(b"\n".join(
                           url20k(i) for i in range(20000)))}
    if name == "urls-long":
        ent["urls"] = {"count": 3, "each_bytes": 10240,
                       "where": ["part 1, text/html, quoted-printable: soft "
                                 "line breaks every 76 characters, each "
                                 "'=' of the URL as =3D",
                                 "part 2, text/plain, 7bit: the URL alone "
                                 "on one line of 10,240 bytes",
                                 "part 3, text/html, base64"]}


# --- the capture ------------------------------------------------------------

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff,
                      ack & 0xffffffff, 5 << 4, flags, 65535, 0, 0) + payload
    c = csum(ip4(src) + ip4(dst) + struct.pack("!xBH", 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64,
                    6, 0, ip4(src), ip4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return (b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" +
            h + tcp)


class Conn:
    """One TCP connection written as pcap records"""

    def __init__(self, client, cport, t):
        self.client, self.cport, self.t = client, cport, t
        self.nxt = {"C": 0x10000000 + cport * 0x1111,
                    "S": 0x60000000 + cport * 0x2222}
        self.acked = dict(self.nxt)
        self.recs = []

    def put(self, who, flags, payload=b"", gap=50):
        self.t += gap
        other = "S" if who == "C" else "C"
        a, b, pa, pb = ((self.client, SERVER, self.cport, 25) if who == "C"
                        else (SERVER, self.client, 25, self.cport))
        ack = self.nxt[other] if flags & 0x10 else 0
        f = frame(a, b, pa, pb, self.nxt[who], ack, flags, payload)
        if flags & 0x10:
            self.acked[other] = ack
        self.recs.append(struct.pack("<IIII", self.t // 10**6,
                                     self.t % 10**6, len(f), len(f)) + f)
        self.nxt[who] += len(payload) + (1 if flags & 0x03 else 0)

    def handshake(self):
        self.put("C", 0x02)
        self.put("S", 0x12, gap=80)
        self.put("C", 0x10, gap=40)

    def send(self, who, data, gap):
        """data in segments of MSS; the other side acknowledges every
        fourth (its reply acknowledges the rest)"""
        other = "S" if who == "C" else "C"
        for k, i in enumerate(range(0, len(data), MSS)):
            self.put(who, 0x18, data[i:i + MSS], gap=gap if k == 0 else 30)
            if k % 4 == 3:
                self.put(other, 0x10, gap=20)

    def close(self):
        self.put("C", 0x11, gap=400)
        self.put("S", 0x11, gap=120)
        self.put("C", 0x10, gap=40)


def dot_stuff(msg):
    lines = msg.split(CRLF)
    assert lines[-1] == b""
    return CRLF.join(b"." + ln if ln.startswith(b".") else ln
                     for ln in lines)


def session(n, client, cport, t, msg, qid):
    c = Conn(client, cport, t)
    c.handshake()
    wire = dot_stuff(msg) + b".\r\n"
    for who, data in [
            ("S", GREETING), ("C", b"EHLO client%d.hostile.example.net\r\n"
                              % n), ("S", EHLO_REPLY),
            ("C", b"MAIL FROM:<%s>%s\r\n"
             % (SENDER.encode(), b" BODY=8BITMIME"
                if any(ch > 127 for ch in msg) else b"")),
            ("S", b"250 2.1.0 Ok\r\n"),
            ("C", b"RCPT TO:<%s>\r\n" % RCPT.encode()),
            ("S", b"250 2.1.5 Ok\r\n"), ("C", b"DATA\r\n"),
            ("S", b"354 End data with <CR><LF>.<CR><LF>\r\n"),
            ("C", wire),
            ("S", b"250 2.0.0 Ok: queued as %s\r\n" % qid.encode()),
            ("C", b"QUIT\r\n"), ("S", b"221 2.0.0 Bye\r\n")]:
        c.send(who, data, 1500 if who == "S" else 300)
    c.close()
    return c.recs, wire


def main():
    recs, sessions = [], []
    for n, (name, build, about) in enumerate(MESSAGES, 1):
        top = build()
        msg = message(n, name, top)
        client, cport = "127.0.0.%d" % (n + 1), 40000 + n
        qid = hashlib.sha256(name.encode()).hexdigest()[:10].upper()
        t = (T0 + 60 * (n - 1)) * 10**6
        r, wire = session(n, client, cport, t, msg, qid)
        recs += r
        ent = expectations(n, name, about, top, msg, wire, client, cport,
                           qid)
        extra_notes(name, ent, top)
        sessions.append(ent)
    with open(PCAP, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        f.write(b"".join(recs))
    doc = {
        "about": "What a correct MIME parser must report of each message "
                 "in pcaps/hostile-mime.pcap, written by "
                 "pcaps/recipes/craft-hostile-mime.py from the same "
                 "objects that wrote the capture "
                 "(pcaps/hostile-mime.md says why each is hostile).",
        "conventions": {
            "bytes": "a byte string is {\"hex\": ..., \"utf8\": ...} "
                     "(utf8 only where the bytes are valid UTF-8); one "
                     "longer than 600 bytes is {\"bytes\": length, "
                     "\"sha256\": ..., \"head\": first 64, \"tail\": last "
                     "64}",
            "path": "part numbers as IMAP gives them: the message's "
                    "children are 1, 2, ...; a child of part 2 is 2.1",
            "multipart_depth": "how many multiparts enclose the leaf (1: "
                               "a child of the message's own multipart)",
            "leaf_parts": "leaves seen by a parser without limits that "
                          "reads a delimiter as RFC 2046 5.1.1 does "
                          "(\"--\" + boundary, then optional white space, "
                          "then CRLF) and ends a part's header at a "
                          "delimiter when no blank line came",
            "name": "the name the sender meant: the filename parameter "
                    "of Content-Disposition (else Content-Type's name), "
                    "RFC 2231 continuations joined and percent-decoded, "
                    "RFC 2047 words in a quoted value decoded (as mailers "
                    "do, though RFC 2047 5 does not allow them there), "
                    "quoted-pairs undone; the raw parameters are beside "
                    "it, and other plausible readings under "
                    "other_readings_of_name",
            "decoded": "the body once its Content-Transfer-Encoding is "
                       "undone (the CRLF before a delimiter is the "
                       "delimiter's); null where decoders may disagree "
                       "(then readings); rule says which reading where "
                       "the input is malformed",
            "named_leaves_distinct_decoded_sha256": "how many different "
                    "SHA-256 the named leaves whose decoded body is "
                    "defined have: the files --extract writes for them",
            "message": "the .eml --extract should write: sha256 of the "
                       "DATA bytes, dot-stuffing undone, without the final "
                       "\".\\r\\n\"",
        },
        "pcap": "pcaps/hostile-mime.pcap",
        "sessions": sessions,
    }
    with open(EXPECT, "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=True)
        f.write("\n")
    print("wrote pcaps/hostile-mime.pcap (%d sessions, %d packets, %d "
          "bytes)" % (len(sessions), len(recs), os.path.getsize(PCAP)))
    print("wrote pcaps/recipes/hostile-mime-expect.json (%d bytes)"
          % os.path.getsize(EXPECT))


if __name__ == "__main__":
    main()
