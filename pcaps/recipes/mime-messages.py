#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The messages of the MIME fixtures, byte for byte.

    mime-messages.py SET DIR            write DIR/01.eml, DIR/02.eml, ...
    mime-messages.py --cuts SET NN DIR  print where BDAT cuts DIR/NN.eml
                                        (offsets, comma-separated)
    mime-messages.py --describe SET     a Markdown table of the messages

SET is postfix-mime (sent with DATA by pcaps/recipes/postfix-mime.sh) or
postfix-bdat-mime (sent with BDAT by pcaps/recipes/postfix-bdat-mime.sh).
Each NN.eml is the message exactly as the server receives it: CRLF line
ends, after dot-unstuffing (DATA) or with the chunks joined (BDAT); the
recipes' client sends these files and nothing else, so they are the
source of truth for a round-trip test of relayscope --extract.

Everything is fixed: Date and Message-ID headers, MIME boundaries, and
the "random" attachments, which are SHA-256 in counter mode over a seed
string (the same bytes on every machine and every Python).  The messages
are written by hand, not by Python's email package, whose output changes
between versions; that package only reads them back, as a self-check:
every subject and attachment file name must decode to what is said here,
every attachment to its bytes.  Any other difference is an error (exit
1), and nothing is written."""
import base64
import email
import email.policy
import hashlib
import os
import sys

CRLF = "\r\n"
FROM = "From: Sender Example <sender@example.org>"
TO = "To: Alice Example <alice@example.com>"


def prng(seed, n):
    """n pseudo-random bytes: SHA-256 of "SEED:0", "SEED:1", ..."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"%s:%d" % (seed.encode(), i)).digest()
        i += 1
    return out[:n]


def b64(data):
    """base64 in lines of 76 characters (RFC 2045)."""
    s = base64.b64encode(data).decode("ascii")
    return [s[i:i + 76] for i in range(0, len(s), 76)]


def qp(text, charset="utf-8"):
    """Quoted-printable (RFC 2045 6.7) of text whose lines end in "\\n":
    hard line breaks stay line breaks, "=" and non-ASCII bytes become
    =XX, a space or tab at the end of a line too, and encoded lines are
    cut by soft line breaks to at most 76 characters."""
    out = []
    for line in text.split("\n"):
        b = line.encode(charset)
        toks = []
        for i, c in enumerate(b):
            if 33 <= c <= 126 and c != ord("="):
                toks.append(chr(c))
            elif c in (9, 32) and i != len(b) - 1:
                toks.append(chr(c))
            else:
                toks.append("=%02X" % c)
        cur = ""
        for t in toks:
            if len(cur) + len(t) > 75:
                out.append(cur + "=")
                cur = ""
            cur += t
        out.append(cur)
    return out


def ew_b(text, charset="UTF-8"):
    """An RFC 2047 encoded word, B encoding."""
    w = "=?%s?B?%s?=" % (charset, base64.b64encode(
        text.encode(charset)).decode("ascii"))
    assert len(w) <= 75, w
    return w


def ew_q(text, charset="UTF-8"):
    """An RFC 2047 encoded word, Q encoding."""
    out = ""
    for c in text.encode(charset):
        if c == 32:
            out += "_"
        elif c < 128 and (chr(c).isalnum() or chr(c) in "!*+-/"):
            out += chr(c)
        else:
            out += "=%02X" % c
    w = "=?%s?Q?%s?=" % (charset, out)
    assert len(w) <= 75, w
    return w


def rfc2231(text):
    """An RFC 2231 extended parameter value, UTF-8, no language."""
    keep = (b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
            b"0123456789!#$&+-.^_`|~")
    return "UTF-8''" + "".join(chr(c) if c in keep else "%%%02X" % c
                               for c in text.encode("utf-8"))


def head(setname, nn, subject, date, *extra):
    """The header every message has; subject is a list of lines (the
    first "Subject: ...", then any continuation lines)."""
    return [FROM, TO] + subject + [
        "Date: " + date,
        "Message-ID: <%s.%s@client.example.org>" % (nn, setname),
    ] + list(extra)


class Msg:
    """One message: its lines, and what it says it holds."""

    def __init__(self, desc, lines, subject, attachments=(), mail="",
                 cuts=(), eight_bit=False):
        self.desc = desc
        self.data = (CRLF.join(lines) + CRLF).encode("utf-8")
        self.subject = subject            # the subject, decoded
        self.attachments = list(attachments)  # (file name, type, bytes)
        self.mail = mail                  # MAIL FROM parameters
        self.cuts = list(cuts)            # (needle, offset, kind), BDAT
        self.eight_bit = eight_bit


# ---------------------------------------------------------------------
# postfix-mime: DATA

def mime_plain(s):
    """(a) plain text: dot-stuffing and folded header lines."""
    body = [
        "This message is plain text without any MIME header (so",
        "text/plain; charset=us-ascii).  Some of its lines begin with a dot;",
        "on the wire, after DATA, each of those got one more (RFC 5321",
        "4.5.2), which the receiver takes away again.",
        "",
        ".A line that begins with one dot.",
        "..A line that begins with two dots.",
        "..",
        ". x",
        ".",
        "...",
        "The lines above: \"..\", \". x\", \".\" alone, and \"...\".",
        "A dot at the end of a line is nothing special.",
        ".The last line begins with a dot too.",
    ]
    lines = head(s, "01", [
        "Subject: Dot-stuffing: body lines that begin with a dot, and a",
        " subject folded over two lines",
    ], "Tue, 01 Dec 2026 09:01:00 +0000",
        "Keywords: dot-stuffing,",
        "\tfolding") + [""] + body
    return Msg("plain text, no MIME header: body lines \".A...\", "
               "\"..A...\", \"..\", \". x\", \".\", \"...\" and a last line "
               "beginning with \".\" (dot-stuffed on the wire); Subject "
               "folded with a space, Keywords folded with a tab", lines,
               "Dot-stuffing: body lines that begin with a dot, and a "
               "subject folded over two lines")


QP_NOTES = (
    "Résumé – notes\n"
    "==============\n"
    "\n"
    "Café, crème brûlée, naïve, Ærøskøbing, Straße: every letter that is "
    "not ASCII is =XX here.\n"
    "A line longer than seventy-six characters is cut by soft line breaks "
    "(an \"=\" at the end of an encoded line), which decoding removes; "
    "this line is one.\n"
    "An equals sign: 1 + 1 = 2; \"=\" itself is encoded as =3D.\n"
    "A space at the end of this line: \n"
    "A tab at the end of this line:\t\n"
    "End of notes.\n")

CSV = ("month,messages,bytes\r\n"
       "2026-09,1187,51873306\r\n"
       "2026-10,1204,53011234\r\n"
       "2026-11,1311,60200871\r\n").encode("utf-8")


def mime_multipart(s):
    """(b) multipart/mixed: alternative text and HTML with URLs, base64
    binary, quoted-printable text with an RFC 2231 file name, and an
    attachment whose file name is an RFC 2047 encoded word."""
    mix = "=_mixed_0002_relayscope"
    alt = "=_alt_0002_relayscope"
    binary = prng("postfix-mime/02/random.bin", 4096)
    qpname = "résumé – notes.txt"
    csvname = "Отчёт 2026.csv"
    lines = head(s, "02", [
        "Subject: Multipart: text and HTML with URLs, three attachments",
    ], "Tue, 01 Dec 2026 09:02:00 +0000",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="%s"' % mix) + [
        "",
        "This is a multi-part message in MIME format.",
        "",
        "--" + mix,
        'Content-Type: multipart/alternative; boundary="%s"' % alt,
        "",
        "--" + alt,
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 7bit",
        "",
        "Hello Alice,",
        "",
        "the quarterly report is at",
        "https://www.example.com/report/2026?id=42&lang=en",
        "and the documentation at https://www.example.com/docs/start.html.",
        "",
        "Three files are attached.",
        "",
        "--" + alt,
        "Content-Type: text/html; charset=UTF-8",
        "Content-Transfer-Encoding: 7bit",
        "",
        "<html>",
        "<head><title>Report</title></head>",
        "<body>",
        "<p>Hello Alice,</p>",
        "<p>the quarterly report is at",
        '<a href="https://www.example.com/report/2026?id=42&amp;lang=en">'
        "https://www.example.com/report/2026?id=42&amp;lang=en</a>",
        'and the <a href="https://www.example.com/docs/start.html">'
        "documentation</a>.</p>",
        "<p>The old pages are still at http://legacy.example.org/old/page.htm",
        'and a search is <a href="http://search.example.net/find?q=smtp+mime'
        '&amp;lang=en&amp;page=2">here</a>.</p>',
        '<p><img src="https://cdn.example.com/img/logo.png" alt="logo"></p>',
        "</body>",
        "</html>",
        "",
        "--" + alt + "--",
        "",
        "--" + mix,
        'Content-Type: application/octet-stream; name="random.bin"',
        "Content-Transfer-Encoding: base64",
        'Content-Disposition: attachment; filename="random.bin"',
        "",
    ] + b64(binary) + [
        "--" + mix,
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: quoted-printable",
        "Content-Disposition: attachment;",
        " filename*=" + rfc2231(qpname),
        "",
    ] + qp(QP_NOTES.rstrip("\n")) + [
        "--" + mix,
        'Content-Type: text/csv; charset=UTF-8; name="%s"' % ew_b(csvname),
        "Content-Transfer-Encoding: base64",
        'Content-Disposition: attachment; filename="%s"' % ew_b(csvname),
        "",
    ] + b64(CSV) + [
        "--" + mix + "--",
        "",
        "An epilogue, after the last boundary: no part of any attachment.",
    ]
    return Msg("multipart/mixed: multipart/alternative (text/plain and "
               "text/html, 7bit) with URLs, then three attachments: base64 "
               "binary, quoted-printable text whose file name is RFC 2231 "
               "(filename*=UTF-8''...), base64 CSV whose file name (name= "
               "and filename=) is an RFC 2047 B word; a preamble and an "
               "epilogue", lines,
               "Multipart: text and HTML with URLs, three attachments",
               [("random.bin", "application/octet-stream", binary),
                (qpname, "text/plain",
                 QP_NOTES.rstrip("\n").replace("\n", "\r\n").encode()),
                (csvname, "text/csv", CSV)])


SUBJ_B = "Grüße aus Köln – Ελλάδα ✓"
SUBJ_Q = "Café crème brûlée à la française"
SUBJ_MIX = ("Re: [fixtures] " + ew_q("Réunion") + " " +
            ew_b(" à 14 h", "ISO-8859-1") + " moved to room 3")
SUBJ_MIX_DECODED = "Re: [fixtures] Réunion à 14 h moved to room 3"


def mime_subject_b(s):
    lines = head(s, "03", ["Subject: " + ew_b(SUBJ_B)],
                 "Tue, 01 Dec 2026 09:03:00 +0000",
                 "MIME-Version: 1.0",
                 "Content-Type: text/plain; charset=us-ascii") + [
        "",
        "The subject of this message is one RFC 2047 encoded word,",
        "B encoding, charset UTF-8 (Latin, Greek, an en dash and a check",
        "mark).",
    ]
    return Msg("Subject one RFC 2047 B word, UTF-8", lines, SUBJ_B)


def mime_subject_q(s):
    lines = head(s, "04", ["Subject: " + ew_q(SUBJ_Q, "ISO-8859-1")],
                 "Tue, 01 Dec 2026 09:04:00 +0000",
                 "MIME-Version: 1.0",
                 "Content-Type: text/plain; charset=ISO-8859-1",
                 "Content-Transfer-Encoding: quoted-printable") + [
        "",
        "The subject of this message is one RFC 2047 encoded word,",
        "Q encoding, charset ISO-8859-1; so is this body (quoted-printable):",
    ] + qp("le dessert du jour : crème brûlée, à la française.",
           "iso-8859-1")
    return Msg("Subject one RFC 2047 Q word, ISO-8859-1; body "
               "quoted-printable ISO-8859-1", lines, SUBJ_Q)


def mime_subject_mixed(s):
    lines = head(s, "05", ["Subject: " + SUBJ_MIX],
                 "Tue, 01 Dec 2026 09:05:00 +0000",
                 "MIME-Version: 1.0",
                 "Content-Type: text/plain; charset=us-ascii") + [
        "",
        "The subject of this message mixes plain text and two adjacent",
        "encoded words in two charsets (a Q word in UTF-8, a B word in",
        "ISO-8859-1): the space between the two words is not part of the",
        "decoded subject (RFC 2047 6.2), the space inside the second one is.",
    ]
    return Msg("Subject of plain text and two adjacent RFC 2047 words "
               "(Q UTF-8, B ISO-8859-1; the blank between them is dropped "
               "when decoding)", lines, SUBJ_MIX_DECODED)


def inner_message(nn, setname, boundary, attname, attdata):
    """A message with an attachment of its own, for a message/rfc822
    part; its lines."""
    return [
        "From: Carol Example <carol@example.net>",
        "To: Sender Example <sender@example.org>",
        "Subject: Inner message: the quarterly figures",
        "Date: Mon, 30 Nov 2026 16:45:00 +0100",
        "Message-ID: <inner.%s.%s@mail.example.net>" % (nn, setname),
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="%s"' % boundary,
        "",
        "--" + boundary,
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "The figures are attached.",
        "",
        "--" + boundary,
        'Content-Type: application/octet-stream; name="%s"' % attname,
        "Content-Transfer-Encoding: base64",
        'Content-Disposition: attachment; filename="%s"' % attname,
        "",
    ] + b64(attdata) + ["--" + boundary + "--"]


def mime_rfc822(s):
    """(d) a message/rfc822 part whose message has an attachment."""
    outer = "=_outer_0006_relayscope"
    inner_b = "=_inner_0006_relayscope"
    figures = prng("postfix-mime/06/figures.bin", 1536)
    inner = inner_message("06", s, inner_b, "figures.bin", figures)
    lines = head(s, "06", ["Subject: Fwd: Inner message: the quarterly "
                           "figures"],
                 "Tue, 01 Dec 2026 09:06:00 +0000",
                 "MIME-Version: 1.0",
                 'Content-Type: multipart/mixed; boundary="%s"' % outer) + [
        "",
        "--" + outer,
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "The forwarded message below has an attachment of its own.",
        "",
        "--" + outer,
        "Content-Type: message/rfc822",
        'Content-Disposition: attachment; filename="forwarded.eml"',
        "",
    ] + inner + [
        "",
        "--" + outer + "--",
    ]
    return Msg("multipart/mixed: text/plain, then a message/rfc822 part "
               "(forwarded.eml) that is itself multipart/mixed with a "
               "base64 attachment", lines,
               "Fwd: Inner message: the quarterly figures",
               [("forwarded.eml", "message/rfc822",
                 (CRLF.join(inner) + CRLF).encode()),
                ("figures.bin", "application/octet-stream", figures)])


def mime_8bit(s):
    """(e) 8BITMIME: raw UTF-8 in the body."""
    lines = head(s, "07", ["Subject: 8BITMIME: a body of raw UTF-8"],
                 "Tue, 01 Dec 2026 09:07:00 +0000",
                 "MIME-Version: 1.0",
                 "Content-Type: text/plain; charset=UTF-8",
                 "Content-Transfer-Encoding: 8bit") + [
        "",
        "Raw UTF-8, no transfer encoding (MAIL FROM:<...> BODY=8BITMIME):",
        "German: Grüße, Straße, Äpfel",
        "French: où, déjà, naïve, cœur",
        "Greek: Καλημέρα κόσμε",
        "Russian: Съешь же ещё этих мягких французских булок",
        "Japanese: いろはにほへと",
        "Outside the BMP: 📨 (U+1F4E8)",
        ".A line that begins with a dot: é",
    ]
    return Msg("text/plain; charset=UTF-8, Content-Transfer-Encoding: 8bit, "
               "raw UTF-8 lines (Latin, Greek, Cyrillic, Japanese, an "
               "emoji), one beginning with \".\"; sent with MAIL FROM ... "
               "BODY=8BITMIME", lines, "8BITMIME: a body of raw UTF-8",
               mail=" BODY=8BITMIME", eight_bit=True)


# ---------------------------------------------------------------------
# postfix-bdat-mime: BDAT

BDAT_NOTES = ("Übersicht\n"
              "=========\n"
              "Sent in chunks: BDAT counts bytes, so nothing here is "
              "stuffed or escaped on the wire, only in this encoding.\n"
              "Maße: 3 × 4 = 12.\n")


def bdat_multipart(s):
    """Multipart with a base64 attachment and a B-encoded subject, cut
    through a boundary line, a base64 line and a CRLF pair."""
    mix = "=_bdat_mixed_0001_relayscope"
    alt = "=_bdat_alt_0001_relayscope"
    binary = prng("postfix-bdat-mime/01/chunked.bin", 3000)
    notes = "übersicht.txt"
    subject = "Gechunkt: Grüße aus Köln ✓"
    b64lines = b64(binary)
    lines = head(s, "01", ["Subject: " + ew_b(subject)],
                 "Wed, 02 Dec 2026 10:01:00 +0000",
                 "MIME-Version: 1.0",
                 'Content-Type: multipart/mixed; boundary="%s"' % mix) + [
        "",
        "--" + mix,
        'Content-Type: multipart/alternative; boundary="%s"' % alt,
        "",
        "--" + alt,
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 7bit",
        "",
        "Chunked delivery, see https://www.example.com/bdat?chunk=1&of=4",
        "",
        "--" + alt,
        "Content-Type: text/html; charset=UTF-8",
        "Content-Transfer-Encoding: 7bit",
        "",
        '<p>Chunked delivery, see <a href="https://www.example.com/bdat?'
        'chunk=1&amp;of=4">the notes</a> or http://www.example.org/rfc3030.'
        "</p>",
        "",
        "--" + alt + "--",
        "",
        "--" + mix,
        'Content-Type: application/octet-stream; name="chunked.bin"',
        "Content-Transfer-Encoding: base64",
        'Content-Disposition: attachment; filename="chunked.bin"',
        "",
    ] + b64lines + [
        "--" + mix,
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: quoted-printable",
        "Content-Disposition: attachment; filename*=" + rfc2231(notes),
        "",
    ] + qp(BDAT_NOTES.rstrip("\n")) + [
        "--" + mix + "--",
    ]
    open_bin = ("\r\n--" + mix + "\r\nContent-Type: application/"
                "octet-stream").encode()
    return Msg("multipart/mixed: multipart/alternative (text and HTML with "
               "URLs), a base64 binary and a quoted-printable text whose "
               "file name is RFC 2231; Subject an RFC 2047 B word (UTF-8); "
               "chunks cut inside the boundary line that opens the base64 "
               "part, inside its 10th base64 line, and between the CR and "
               "the LF that end its last base64 line", lines, subject,
               [("chunked.bin", "application/octet-stream", binary),
                (notes, "text/plain",
                 BDAT_NOTES.rstrip("\n").replace("\n", "\r\n").encode())],
               cuts=[(open_bin, 2 + 9, "boundary"),
                     (b64lines[9].encode(), 37, "base64"),
                     ((b64lines[-1] + "\r\n--" + mix).encode(),
                      len(b64lines[-1]) + 1, "crlf")])


def bdat_rfc822(s):
    """A forwarded message with an attachment, a second attachment
    named by an RFC 2047 word, a mixed subject; cut through the subject,
    the blank line after the header, the inner boundary and a base64
    line; the last chunk is empty (BDAT 0 LAST)."""
    outer = "=_bdat_outer_0002_relayscope"
    inner_b = "=_bdat_inner_0002_relayscope"
    data = prng("postfix-bdat-mime/02/inner.bin", 2048)
    inner = inner_message("02", s, inner_b, "inner.bin", data)
    csvname = "Données été.csv"
    lines = head(s, "02", ["Subject: " + SUBJ_MIX],
                 "Wed, 02 Dec 2026 10:02:00 +0000",
                 "MIME-Version: 1.0",
                 'Content-Type: multipart/mixed; boundary="%s"' % outer) + [
        "",
        "--" + outer,
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "A forwarded message with an attachment, and a table.",
        "",
        "--" + outer,
        "Content-Type: message/rfc822",
        'Content-Disposition: attachment; filename="forwarded.eml"',
        "",
    ] + inner + [
        "",
        "--" + outer,
        'Content-Type: text/csv; charset=UTF-8; name="%s"' % ew_b(csvname),
        "Content-Transfer-Encoding: base64",
        'Content-Disposition: attachment; filename="%s"' % ew_b(csvname),
        "",
    ] + b64(CSV) + [
        "--" + outer + "--",
    ]
    msg = Msg("multipart/mixed: text/plain, a message/rfc822 part "
              "(forwarded.eml) with a base64 attachment of its own, a "
              "base64 CSV whose file name is an RFC 2047 B word; Subject "
              "plain text and two adjacent encoded words; chunks cut inside "
              "the subject's first encoded word, between the CR and the LF "
              "of the blank line that ends the header, inside the inner "
              "message's boundary line and inside a base64 line of its "
              "attachment; the last chunk is empty (BDAT 0 LAST)",
              lines, SUBJ_MIX_DECODED,
              [("forwarded.eml", "message/rfc822",
                (CRLF.join(inner) + CRLF).encode()),
               ("inner.bin", "application/octet-stream", data),
               (csvname, "text/csv", CSV)])
    inner_b64 = b64(data)
    msg.cuts = [(b"=?UTF-8?Q?R=C3=A9union?=", 12, "subject"),
                (('boundary="%s"\r\n\r\n' % outer).encode(),
                 len(outer) + 14, "crlf"),
                (("\r\n--" + inner_b + "\r\nContent-Type: application/"
                  ).encode(), 2 + 14, "boundary"),
                (inner_b64[3].encode(), 50, "base64"),
                (b"", len(msg.data), "end")]
    return msg


def bdat_dot(s):
    """Lines of dots, as they are: BDAT stuffs nothing.  One chunk is
    exactly ".\\r\\n"; the message ends with a line "."."""
    lines = head(s, "03", ["Subject: " + ew_q(SUBJ_Q, "ISO-8859-1")],
                 "Wed, 02 Dec 2026 10:03:00 +0000") + [
        "",
        "BDAT does no dot-stuffing: the lines below were sent as they are.",
        "The next line is a single dot, sent as a chunk of its own.",
        ".",
        "..",
        ". x",
        ".A line that begins with a dot.",
        "The last line of this message is a single dot too.",
        ".",
    ]
    return Msg("plain text (no MIME header) with lines \".\", \"..\", "
               "\". x\" and \".A...\", not stuffed on the wire; the first "
               "\".\" line is a chunk of its own (BDAT 3: \".\\r\\n\"), and "
               "the message ends with a line \".\" (the last chunk ends in "
               "CRLF.CRLF, which is data); Subject an RFC 2047 Q word "
               "(ISO-8859-1)", lines, SUBJ_Q,
               cuts=[(b"chunk of its own.\r\n.\r\n", 19, "dot-line"),
                     (b"chunk of its own.\r\n.\r\n", 22, "dot-line")])


SETS = {
    "postfix-mime": [mime_plain, mime_multipart, mime_subject_b,
                     mime_subject_q, mime_subject_mixed, mime_rfc822,
                     mime_8bit],
    "postfix-bdat-mime": [bdat_multipart, bdat_rfc822, bdat_dot],
}


def build(setname):
    return [f(setname) for f in SETS[setname]]


def cut_offsets(m):
    """Where BDAT cuts message m, each cut checked to be what it says."""
    d = m.data
    out = []
    for needle, off, kind in m.cuts:
        if kind == "end":
            p = len(d)
        else:
            assert d.count(needle) == 1, (needle, d.count(needle))
            p = d.index(needle) + off
        bol = d.rfind(b"\n", 0, p) + 1
        eol = d.find(b"\r\n", p)
        line = d[bol:eol]
        if kind == "crlf":
            assert d[p - 1:p + 1] == b"\r\n", kind
        elif kind == "dot-line":
            assert d[p - 2:p] == b"\r\n", kind
        elif kind != "end":
            assert bol < p < eol, (kind, line)
            if kind == "boundary":
                assert line.startswith(b"--=_"), line
            if kind == "base64":
                assert len(line) == 76 and b" " not in line, line
            if kind == "subject":
                assert line.startswith(b"Subject: "), line
        out.append(p)
    assert out == sorted(out) and len(set(out)) == len(out), out
    return out


def check(m):
    """Read m back with Python's email package: the subject and every
    attachment must be what m says."""
    d = m.data
    assert d.endswith(b"\r\n") and b"\n" not in d.replace(b"\r\n", b""), \
        "line ends are not all CRLF"
    assert b"\r" not in d.replace(b"\r\n", b""), "a bare CR"
    assert all(len(l) <= 998 for l in d.split(b"\r\n")), "line too long"
    if not m.eight_bit:
        d.decode("ascii")
    msg = email.message_from_bytes(d, policy=email.policy.default)
    assert str(msg["subject"]) == m.subject, (str(msg["subject"]), m.subject)
    found = []
    for part in msg.walk():
        name = part.get_filename()
        if name is None:
            continue
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()[0].as_bytes(
                policy=email.policy.default.clone(linesep="\r\n"))
        else:
            payload = part.get_payload(decode=True)
        found.append((name, part.get_content_type(), payload))
    want = [(n, t, b) for n, t, b in m.attachments]
    assert [(n, t) for n, t, _ in found] == [(n, t) for n, t, _ in want], \
        ([(n, t) for n, t, _ in found], [(n, t) for n, t, _ in want])
    for (n, t, got), (_, _, exp) in zip(found, want):
        assert got == exp, "%s: %d bytes decoded, %d expected" % (
            n, len(got), len(exp))


def describe(setname):
    print("| NN | size | what it tests | attachments (decoded size) |")
    print("|---|---|---|---|")
    for i, m in enumerate(build(setname), 1):
        att = "; ".join("`%s` (%s, %d bytes)" % (n, t, len(b))
                        for n, t, b in m.attachments) or "none"
        extra = ""
        if m.cuts:
            offs = cut_offsets(m)
            sizes = [b - a for a, b in zip([0] + offs, offs + [len(m.data)])]
            extra = "; chunks of %s bytes" % ", ".join(map(str, sizes))
        print("| %02d | %d | %s%s; subject \"%s\" | %s |" % (
            i, len(m.data), m.desc, extra, m.subject, att))


def main(argv):
    if len(argv) == 2 and argv[0] == "--describe" and argv[1] in SETS:
        describe(argv[1])
        return 0
    if len(argv) == 4 and argv[0] == "--cuts":
        setname, nn, outdir = argv[1:]
        m = build(setname)[int(nn, 10) - 1]
        with open(os.path.join(outdir, "%s.eml" % nn), "rb") as f:
            if f.read() != m.data:
                print("%s/%s.eml is not what mime-messages.py writes: "
                      "run it again" % (outdir, nn), file=sys.stderr)
                return 1
        print(",".join(str(p) for p in cut_offsets(m)))
        return 0
    if len(argv) != 2 or argv[0] not in SETS:
        print(__doc__, file=sys.stderr)
        return 2
    setname, outdir = argv
    msgs = build(setname)
    for m in msgs:
        check(m)
        if m.cuts:
            cut_offsets(m)
    os.makedirs(outdir, exist_ok=True)
    for name in os.listdir(outdir):
        if name.endswith(".eml"):
            os.unlink(os.path.join(outdir, name))
    for i, m in enumerate(msgs, 1):
        with open(os.path.join(outdir, "%02d.eml" % i), "wb") as f:
            f.write(m.data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
