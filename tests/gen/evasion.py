#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Crafted captures of TCP and IP evasion and of a SYN flood, each with
the exact outcome relayscope must report.

  evasion.py gen OUTDIR
      writes OUTDIR/NAME.pcap and OUTDIR/NAME.json for every case, and
      OUTDIR/cases: one line per case, its name and relayscope options
  evasion.py check NAME.json ANALYSIS.jsonl DEBUG.err
      compares relayscope's JSON Lines (and its -v messages) with the
      case; prints "FAIL NAME: ..." per difference and exits 1 if any

Each session is one SMTP conversation (greeting, EHLO, MAIL, RCPT, DATA,
QUIT) between a client and 192.0.2.25:25, with a real handshake and
close.  The cases differ in how one command is sent (Ptacek and Newsham,
"Insertion, Evasion, and Denial of Service: Eluding Network Intrusion
Detection", 1998: a monitor must take the copy the receiver took):

  retrans-conflict   a RCPT sent twice at one sequence number, the first
                     copy benign and longer, never acknowledged; the
                     server acknowledges the second copy's end
  checksum-decoy     a MAIL with a bad TCP checksum (and a NUL, a byte
                     that is no UTF-8), then the real one of the same
                     length
  checksum-after     the real MAIL, then a decoy with a bad checksum
  ttl-decoy          a RCPT with TTL 3 (it expires on the way), then the
                     real one (TTL 64) of the same length
  acked-conflict     the MAIL is acknowledged, then a different copy of
                     it comes: the receiver had the first
  retrans-same       the MAIL retransmitted unchanged: no anomaly
  ooo-conflict       pipelined MAIL, RCPT, DATA in three segments; the
                     RCPT arrives first, twice with different content,
                     then MAIL and DATA: libnids keeps the first copy
  frag-decoy-first   the MAIL in three IPv4 fragments; the middle one
                     twice, the decoy first; the TCP checksum holds only
                     with the real one
  frag-decoy-last    the same with the decoy last (libnids' own
                     reassembly would take it)
  frag-clean         the MAIL in three fragments, out of order, once
  syn-flood          four sessions established with content, then 600
                     spoofed SYNs from as many addresses, each answered
                     by the server's SYN/ACK (every third by a reset from
                     the spoofed host), a fifth session that starts during
                     the flood, then all five go on to their end; with
                     --max-streams 16 (a table of 13 streams)

check asserts, per session: reported once; end; picked_up; no capture
gap; every command's verb and line in order; the transactions (sender,
recipients with reply codes); the anomaly counts exactly; and, from the
-v messages, for each conflict the offset and length, both versions'
first bytes escaped, a SHA-256 prefix of each, which was kept and why.
For the flood, the summary's session counts too.
"""
import hashlib
import json
import os
import struct
import sys

from encap import checksum as csum  # the Internet checksum (RFC 1071)

SERVER = "192.0.2.25"
MAC = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"
T0 = 1796000000 * 10**6


def ip4b(a):
    return bytes(int(x) for x in a.split("."))


def tcp_seg(src, dst, sport, dport, seq, ack, flags, payload, bad=False):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff,
                      ack & 0xffffffff, 5 << 4, flags, 65535, 0, 0)
    seg = hdr + payload
    pseudo = ip4b(src) + ip4b(dst) + struct.pack("!xBH", 6, len(seg))
    c = csum(pseudo + seg)
    if bad:
        c ^= 0x5a5a
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ip4(src, dst, payload, ttl=64, ipid=0, frag=0x4000):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ipid,
                    frag, ttl, 6, 0, ip4b(src), ip4b(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


class Capture:
    def __init__(self):
        self.frames = []
        self.ts = T0

    def add(self, l3):
        self.frames.append((self.ts, MAC + b"\x08\x00" + l3))
        self.ts += 100

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144,
                                1))
            for ts, fr in self.frames:
                f.write(struct.pack("<IIII", ts // 10**6, ts % 10**6,
                                    len(fr), len(fr)))
                f.write(fr)


class Conn:
    """One TCP connection; nxt: each side's next sequence number; got:
    what the peer has of each side's bytes (what it acknowledges)."""

    def __init__(self, cap, cli, cport, isn_c, isn_s):
        self.cap, self.cli, self.cport = cap, cli, cport
        self.isn = {"C": isn_c, "S": isn_s}
        self.nxt = {"C": isn_c + 1, "S": isn_s + 1}
        self.got = {"C": isn_c + 1, "S": isn_s + 1}
        self.ipid = {"C": 1000, "S": 5000}

    def ends(self, who):
        if who == "C":
            return self.cli, SERVER, self.cport, 25
        return SERVER, self.cli, 25, self.cport

    def packet(self, who, flags, payload=b"", seq=None, ack=None, ttl=64,
               bad=False):
        src, dst, sp, dp = self.ends(who)
        other = "S" if who == "C" else "C"
        seq = self.nxt[who] if seq is None else seq
        ack = self.got[other] if ack is None else ack
        self.ipid[who] += 1
        self.cap.add(ip4(src, dst, tcp_seg(src, dst, sp, dp, seq, ack,
                                           flags, payload, bad),
                         ttl=ttl, ipid=self.ipid[who]))

    def handshake(self):
        self.packet("C", 0x02, seq=self.isn["C"], ack=0)
        self.packet("S", 0x12, seq=self.isn["S"])
        self.packet("C", 0x10)

    def say(self, who, data, **kw):
        """Data the peer receives."""
        seq = kw.pop("seq", self.nxt[who])
        self.packet(who, 0x18, data, seq=seq, **kw)
        end = seq + len(data)
        self.nxt[who] = max(self.nxt[who], end)
        self.got[who] = max(self.got[who], end)
        return seq

    def decoy(self, who, data, seq=None, **kw):
        """Data the peer never takes (dropped after the tap, a bad
        checksum, a TTL too low)."""
        self.packet(who, 0x18, data, seq=self.nxt[who] if seq is None
                    else seq, **kw)

    def ack(self, who):
        self.packet(who, 0x10)

    def fragmented(self, who, data, pieces, decoy=None):
        """One data segment in IPv4 fragments of the TCP segment: pieces
        are (offset, length) in 8-byte units of the IP payload; decoy =
        (index, bytes, before): another copy of piece index with other
        bytes, before or after the real one."""
        src, dst, sp, dp = self.ends(who)
        other = "S" if who == "C" else "C"
        seg = tcp_seg(src, dst, sp, dp, self.nxt[who], self.got[other], 0x18,
                      data)
        self.ipid[who] += 1
        order = []
        for i, (off, n) in enumerate(pieces):
            body = seg[off:off + n]
            copies = [body]
            if decoy is not None and decoy[0] == i:
                copies = [decoy[1], body] if decoy[2] else [body, decoy[1]]
            last = off + n >= len(seg)
            for b in copies:
                order.append((off, b, last))
        for off, b, last in order:
            self.cap.add(ip4(src, dst, b, ipid=self.ipid[who],
                             frag=(0 if last else 0x2000) | off // 8))
        self.nxt[who] += len(data)
        self.got[who] += len(data)

    def close(self):
        self.packet("C", 0x11)
        self.nxt["C"] += 1
        self.got["C"] += 1
        self.packet("S", 0x11)
        self.nxt["S"] += 1
        self.got["S"] += 1
        self.ack("C")


GREETING = b"220 mx.example.com ESMTP\r\n"
EHLO = b"EHLO client.example.org\r\n"
EHLO_REPLY = b"250-mx.example.com\r\n250 PIPELINING\r\n"
MAIL = b"MAIL FROM:<sender@example.org>\r\n"
RCPT = b"RCPT TO:<alice@example.com>\r\n"
BODY = b"Subject: test\r\n\r\nhello\r\n.\r\n"


def expect_cmds(mail, rcpt):
    def line(b):
        return b.decode().rstrip("\r\n")
    return [["EHLO", line(EHLO)], ["MAIL", line(mail)],
            ["RCPT", line(rcpt)], ["DATA", "DATA"], ["END-OF-DATA", None],
            ["QUIT", "QUIT"]]


def addr(cmd):
    s = cmd.decode()
    return s[s.index("<") + 1:s.index(">")]


def session(conn, mail=MAIL, rcpt=RCPT, at=None):
    """The conversation; at: {"MAIL"|"RCPT"|"PIPE": fn(conn)} sends that
    command (or MAIL, RCPT and DATA at once) its own way."""
    at = at or {}
    conn.handshake()
    conn.say("S", GREETING)
    conn.say("C", EHLO)
    conn.say("S", EHLO_REPLY)
    if "PIPE" in at:
        at["PIPE"](conn)
        conn.say("S", b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
                 b"354 End data with <CR><LF>.<CR><LF>\r\n")
    else:
        (at.get("MAIL") or (lambda c: c.say("C", mail)))(conn)
        conn.say("S", b"250 2.1.0 Ok\r\n")
        (at.get("RCPT") or (lambda c: c.say("C", rcpt)))(conn)
        conn.say("S", b"250 2.1.5 Ok\r\n")
        conn.say("C", b"DATA\r\n")
        conn.say("S", b"354 End data with <CR><LF>.<CR><LF>\r\n")
    conn.say("C", BODY)
    conn.say("S", b"250 2.0.0 Ok: queued as 1A2B3C\r\n")
    conn.say("C", b"QUIT\r\n")
    conn.say("S", b"221 2.0.0 Bye\r\n")
    conn.close()


def want_session(conn, mail, rcpt, conflicts=None):
    return {"client": [conn.cli, conn.cport], "end": "closed",
            "picked_up": False,
            "commands": expect_cmds(mail, rcpt),
            "transactions": [{"mail_from": addr(mail),
                              "rcpts": [[addr(rcpt), 250]]}],
            "anomalies": {"overlap-conflict": len(conflicts)}
            if conflicts else {},
            "conflicts": conflicts or []}


def conflict(off, first, second, kept, why, where="client"):
    """What -v says of a conflict (stream.c copy_log())."""
    return {"where": where, "offset": off, "first": first.hex(),
            "second": second.hex(), "kept": kept, "why": why}


def offset(conn, who, seq):
    return seq - conn.isn[who] - 1


ACK_SECOND = ("the receiver acknowledged the second copy's end, short of "
              "the first's")
CK_FIRST = "the first copy's checksum fails (a receiver discards it)"
CK_SECOND = "the second copy's checksum fails (a receiver discards it)"
NO_EVIDENCE = ("nothing shows which the receiver took: the first, which a "
               "receiver holding it keeps")
ACKED_BEFORE = "the receiver had acknowledged it before"
OOO = "both were held out of order; libnids keeps the first that came"
FRAG_CK = "the TCP checksum holds only with it"


def case_retrans_conflict(cap):
    c = Conn(cap, "10.0.1.1", 40001, 1000000, 2000000)
    benign = b"RCPT TO:<postmaster@example.com>\r\n"
    evil = b"RCPT TO:<victim@example.net>\r\n"
    seq = []

    def rcpt(cn):
        seq.append(cn.nxt["C"])
        cn.decoy("C", benign)
        cn.say("C", evil)
    session(c, rcpt=evil, at={"RCPT": rcpt})
    return [want_session(c, MAIL, evil, [conflict(
        offset(c, "C", seq[0]), benign[:len(evil)], evil, "second",
        ACK_SECOND)])]


def case_checksum_decoy(cap):
    c = Conn(cap, "10.0.1.2", 40002, 3000000, 4000000)
    # (A NUL, a byte that is no UTF-8 and one character that is: how -v
    # shows them is checked too.)
    decoy = b"MAIL FROM:<a\x00\xffo@ex\xc3\xa9mple.org>\r\n"
    real = b"MAIL FROM:<mallo@example.org>\r\n"
    assert len(decoy) == len(real)
    seq = []

    def mail(cn):
        seq.append(cn.nxt["C"])
        cn.decoy("C", decoy, bad=True)
        cn.say("C", real)
    session(c, mail=real, at={"MAIL": mail})
    return [want_session(c, real, RCPT, [conflict(
        offset(c, "C", seq[0]), decoy, real, "second", CK_FIRST)])]


def case_checksum_after(cap):
    c = Conn(cap, "10.0.1.3", 40003, 0xfffffff0, 6000000)  # wraps
    real = b"MAIL FROM:<alice@example.org>\r\n"
    decoy = b"MAIL FROM:<mallo@example.org>\r\n"
    seq = []

    def mail(cn):
        seq.append(cn.say("C", real))
        cn.decoy("C", decoy, seq=seq[0], bad=True)
    session(c, mail=real, at={"MAIL": mail})
    return [want_session(c, real, RCPT, [conflict(
        offset(c, "C", seq[0]), real, decoy, "first", CK_SECOND)])]


def case_ttl_decoy(cap):
    c = Conn(cap, "10.0.1.4", 40004, 7000000, 8000000)
    decoy = b"RCPT TO:<bob@example.com>\r\n"
    real = b"RCPT TO:<eve@example.net>\r\n"
    seq = []

    def rcpt(cn):
        seq.append(cn.nxt["C"])
        cn.decoy("C", decoy, ttl=3)
        cn.say("C", real)
    session(c, rcpt=real, at={"RCPT": rcpt})
    why = ("the first copy's TTL (3) is lower than the second's (64): it "
           "may not have reached the receiver")
    return [want_session(c, MAIL, real, [conflict(
        offset(c, "C", seq[0]), decoy, real, "second", why)])]


def case_acked_conflict(cap):
    c = Conn(cap, "10.0.1.5", 40005, 9000000, 10000000)
    real = b"MAIL FROM:<alice@example.org>\r\n"
    late = b"MAIL FROM:<mallo@example.org>\r\n"
    seq = []

    def mail(cn):
        seq.append(cn.say("C", real))
        cn.ack("S")
        cn.decoy("C", late, seq=seq[0])
    session(c, mail=real, at={"MAIL": mail})
    return [want_session(c, real, RCPT, [conflict(
        offset(c, "C", seq[0]), real, late, "first", ACKED_BEFORE)])]


def case_retrans_same(cap):
    c = Conn(cap, "10.0.1.6", 40006, 11000000, 12000000)

    def mail(cn):
        s = cn.say("C", MAIL)
        cn.decoy("C", MAIL, seq=s)
    session(c, at={"MAIL": mail})
    return [want_session(c, MAIL, RCPT)]


def case_ooo_conflict(cap):
    c = Conn(cap, "10.0.1.7", 40007, 13000000, 14000000)
    first = b"RCPT TO:<alice@example.com>\r\n"
    second = b"RCPT TO:<mallo@example.net>\r\n"
    seq = []

    def pipe(cn):
        s = cn.nxt["C"]
        r = s + len(MAIL)
        d = r + len(first)
        seq.append(r)
        cn.packet("C", 0x18, first, seq=r)
        cn.packet("C", 0x18, second, seq=r)
        cn.packet("C", 0x18, MAIL, seq=s)
        cn.packet("C", 0x18, b"DATA\r\n", seq=d)
        cn.nxt["C"] = cn.got["C"] = d + 6
    session(c, rcpt=first, at={"PIPE": pipe})
    return [want_session(c, MAIL, first, [conflict(
        offset(c, "C", seq[0]), first, second, "first", OOO)])]


def frag_case(cap, cli, cport, isns, before):
    c = Conn(cap, cli, cport, *isns)
    # TCP header (20) + 32 bytes: pieces of 24, 16 and 12 bytes.
    assert len(MAIL) == 32
    real = MAIL[4:20]
    fake = b" FROM:<hacker@ex"
    assert len(fake) == len(real)

    ipid = []

    def mail(cn):
        cn.fragmented("C", MAIL, [(0, 24), (24, 16), (40, 12)],
                      decoy=(1, fake, before))
        ipid.append(cn.ipid["C"])
    session(c, at={"MAIL": mail})
    first, second = (fake, real) if before else (real, fake)
    return [want_session(c, MAIL, RCPT, [conflict(
        24, first, second, "second" if before else "first", FRAG_CK,
        where="fragments %s -> %s id %d" % (cli, SERVER, ipid[0]))])]


def case_frag_decoy_first(cap):
    return frag_case(cap, "10.0.1.8", 40008, (15000000, 16000000), True)


def case_frag_decoy_last(cap):
    return frag_case(cap, "10.0.1.9", 40009, (17000000, 18000000), False)


def case_frag_clean(cap):
    c = Conn(cap, "10.0.1.10", 40010, 19000000, 20000000)

    def mail(cn):
        # Last piece first, then the others (a reordering path).
        src, dst, sp, dp = cn.ends("C")
        seg = tcp_seg(src, dst, sp, dp, cn.nxt["C"], cn.got["S"], 0x18,
                      MAIL)
        cn.ipid["C"] += 1
        for off, n, mf in ((40, 12, 0), (0, 24, 0x2000), (24, 16, 0x2000)):
            cn.cap.add(ip4(src, dst, seg[off:off + n], ipid=cn.ipid["C"],
                           frag=mf | off // 8))
        cn.nxt["C"] += len(MAIL)
        cn.got["C"] += len(MAIL)
    session(c, at={"MAIL": mail})
    return [want_session(c, MAIL, RCPT)]


def case_syn_flood(cap):
    """Sessions interleaved step by step, so all are open at once."""
    conns = [Conn(cap, "10.0.2.%d" % (i + 1), 41000 + i, 100000 * (i + 1),
                  900000 * (i + 1)) for i in range(5)]
    early, late = conns[:4], conns[4]

    def each(cs, fn):
        for cn in cs:
            fn(cn)
    each(early, lambda cn: cn.handshake())
    each(early, lambda cn: cn.say("S", GREETING))
    each(early, lambda cn: cn.say("C", EHLO))
    each(early, lambda cn: cn.say("S", EHLO_REPLY))
    each(early, lambda cn: cn.say("C", MAIL))
    each(early, lambda cn: cn.say("S", b"250 2.1.0 Ok\r\n"))
    for i in range(600):
        src = "198.18.%d.%d" % (i // 250, i % 250 + 1)
        port = 1024 + i
        isn = (i * 2654435761) & 0xffffffff
        cap.add(ip4(src, SERVER, tcp_seg(src, SERVER, port, 25, isn, 0,
                                         0x02, b"")))
        cap.add(ip4(SERVER, src, tcp_seg(SERVER, src, 25, port,
                                         isn ^ 0x5555, isn + 1, 0x12, b"")))
        if i % 3 == 0:
            cap.add(ip4(src, SERVER, tcp_seg(src, SERVER, port, 25,
                                             isn + 1, 0, 0x04, b"")))
        if i == 300:
            late.packet("C", 0x02, seq=late.isn["C"], ack=0)
            late.packet("S", 0x12, seq=late.isn["S"])
    late.ack("C")
    late.say("S", GREETING)
    late.say("C", EHLO)
    late.say("S", EHLO_REPLY)
    late.say("C", MAIL)
    late.say("S", b"250 2.1.0 Ok\r\n")
    each(conns, lambda cn: cn.say("C", RCPT))
    each(conns, lambda cn: cn.say("S", b"250 2.1.5 Ok\r\n"))
    each(conns, lambda cn: cn.say("C", b"DATA\r\n"))
    each(conns, lambda cn: cn.say(
        "S", b"354 End data with <CR><LF>.<CR><LF>\r\n"))
    each(conns, lambda cn: cn.say("C", BODY))
    each(conns, lambda cn: cn.say("S", b"250 2.0.0 Ok: queued as 1A2B3C\r\n"))
    each(conns, lambda cn: cn.say("C", b"QUIT\r\n"))
    each(conns, lambda cn: cn.say("S", b"221 2.0.0 Bye\r\n"))
    each(conns, lambda cn: cn.close())
    return [want_session(cn, MAIL, RCPT) for cn in conns]


CASES = [
    ("retrans-conflict", case_retrans_conflict, []),
    ("checksum-decoy", case_checksum_decoy, []),
    ("checksum-after", case_checksum_after, []),
    ("ttl-decoy", case_ttl_decoy, []),
    ("acked-conflict", case_acked_conflict, []),
    ("retrans-same", case_retrans_same, []),
    ("ooo-conflict", case_ooo_conflict, []),
    ("frag-decoy-first", case_frag_decoy_first, []),
    ("frag-decoy-last", case_frag_decoy_last, []),
    ("frag-clean", case_frag_clean, []),
    ("syn-flood", case_syn_flood, ["--max-streams", "16"]),
]


def gen(outdir):
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "cases"), "w") as idx:
        for name, fn, opts in CASES:
            cap = Capture()
            sessions = fn(cap)
            cap.write(os.path.join(outdir, name + ".pcap"))
            want = {"name": name, "sessions": sessions,
                    "summary": {"total": len(sessions),
                                "closed": len(sessions), "evicted": 0,
                                "picked_up": 0, "with_gaps": 0}}
            with open(os.path.join(outdir, name + ".json"), "w") as f:
                json.dump(want, f, indent=1)
            idx.write(" ".join([name] + opts) + "\n")


def escape(b):
    """What -v shows of bytes: stream.c copy_show() (NUL as U+FFFD), then
    log.c's escaping of the whole message: ASCII as output.c
    output_escape() (printable as is, backslash doubled, CR, LF, TAB as
    \\r \\n \\t, others \\xNN), valid UTF-8 from U+00A0 on as it is,
    other bytes \\xNN."""
    b = b.replace(b"\0", "\ufffd".encode())
    out, i = [], 0
    while i < len(b):
        x = b[i]
        if x < 0x80:
            out.append({0x5c: "\\\\", 0x0d: "\\r", 0x0a: "\\n",
                        0x09: "\\t"}.get(x, chr(x) if 0x20 <= x < 0x7f
                                          else "\\x%02x" % x))
            i += 1
            continue
        n = 2 if x >> 5 == 6 else 3 if x >> 4 == 14 else 4 if x >> 3 == 30 \
            else 0
        try:
            ch = b[i:i + n].decode() if n else ""
        except UnicodeDecodeError:
            ch = ""
        if len(ch) == 1 and ord(ch) >= 0xa0:
            out.append(ch)
            i += n
        else:
            out.append("\\x%02x" % x)
            i += 1
    return "".join(out)


def debug_line(sid, c):
    first, second = bytes.fromhex(c["first"]), bytes.fromhex(c["second"])
    n = len(first)
    more = "..." if n > 32 else ""
    where = ("session %s: %s" % (sid, c["where"]) if c["where"] == "client"
             else "IPv4 %s" % c["where"])
    return ("relayscope: %s: overlap-conflict at byte %d (%d bytes): "
            "first \"%s%s\" sha256:%s, second \"%s%s\" sha256:%s; "
            "kept the %s: %s" % (
                where, c["offset"], n, escape(first[:32]), more,
                hashlib.sha256(first).hexdigest()[:16], escape(second[:32]),
                more, hashlib.sha256(second).hexdigest()[:16], c["kept"],
                c["why"]))


def check(wpath, apath, epath):
    want = json.load(open(wpath))
    name = want["name"]
    recs, summary = [], None
    for line in open(apath):
        o = json.loads(line)
        if o["type"] == "session":
            recs.append(o)
        else:
            summary = o
    debug = [x.rstrip("\n") for x in
             open(epath, encoding="utf-8", errors="replace")]
    bad = []
    for w in want["sessions"]:
        got = [r for r in recs if [r["client"]["ip"], r["client"]["port"]]
               == w["client"]]
        who = "%s:%d" % tuple(w["client"])
        if len(got) != 1:
            bad.append("%s reported %d times, expected once" %
                       (who, len(got)))
            continue
        r = got[0]
        for k in ("end", "picked_up"):
            if r[k] != w[k]:
                bad.append("%s %s %r, expected %r" % (who, k, r[k], w[k]))
        if r["gap"]["count"] != 0:
            bad.append("%s has %d capture gaps" % (who, r["gap"]["count"]))
        cmds = [[x["verb"], x["line"]] for x in r["commands"]]
        if cmds != w["commands"]:
            bad.append("%s commands %r, expected %r" %
                       (who, cmds, w["commands"]))
        txs = [{"mail_from": t["mail_from"],
                "rcpts": [[x["address"], (x["reply"] or {}).get("code")]
                          for x in t["rcpts"]]} for t in r["transactions"]]
        if txs != w["transactions"]:
            bad.append("%s transactions %r, expected %r" %
                       (who, txs, w["transactions"]))
        if r["anomaly_counts"] != w["anomalies"]:
            bad.append("%s anomalies %r, expected %r" %
                       (who, r["anomaly_counts"], w["anomalies"]))
        for c in w["conflicts"]:
            line = debug_line(r["id"], c)
            if line not in debug:
                near = [x for x in debug if "overlap-conflict" in x]
                bad.append("%s: no -v line\n  %s\n  got: %s" %
                           (who, line, "\n  got: ".join(near) or "none"))
    for r in recs:
        if [r["client"]["ip"], r["client"]["port"]] not in \
                [w["client"] for w in want["sessions"]]:
            bad.append("unexpected session %s:%d" %
                       (r["client"]["ip"], r["client"]["port"]))
    if summary is None:
        bad.append("no summary")
    else:
        for k, v in want["summary"].items():
            if summary["sessions"].get(k) != v:
                bad.append("summary sessions.%s %r, expected %r" %
                           (k, summary["sessions"].get(k), v))
    for b in bad:
        print("FAIL evasion/%s: %s" % (name, b))
    return not bad


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "gen":
        gen(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        sys.exit(0 if check(sys.argv[2], sys.argv[3], sys.argv[4]) else 1)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
