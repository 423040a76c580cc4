#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Captures with known ground truth, and the check of relayscope against it.

  groundtruth.py gen OUT.pcap TRUTH.json [OPTION=VALUE...]
  groundtruth.py check TRUTH.json ANALYSIS.jsonl
  groundtruth.py check-table TRUTH.json ANALYSIS.jsonl

gen writes SMTP sessions (EHLO, AUTH PLAIN in some, STARTTLS and TLS
records in others, 1-3 transactions of MAIL, RCPT, DATA or BDAT with
refused and accepted recipients, pipelined or not, RSET, QUIT)
as TCP segments over IPv4 or IPv6, behind VLAN stacks or in GRE tunnels,
then impairs the capture as a mirror port or a busy sensor would:

  sessions=200   seed=1
  loss=0.05      each packet lost with this probability
  reorder=0.05   a data segment swapped with the next of its direction
  retrans=0.03   a data segment captured twice
  cut=0.20       the handshake (SYN, SYN/ACK, ACK) not captured
  ipv6=0.30      IPv6 instead of IPv4
  vlan=0.15      one to three 802.1Q/802.1ad tags
  tunnel=0.10    inside GRE over IPv4
  onesided=0.05  only one direction captured (half each way)
  spacing=3000   microseconds between session starts
  reuse=0.03     the session's close is not captured and, some seconds
                 later, a new session uses the same addresses and ports
                 (its handshake cut like any other's)

Reordering never moves a segment past the peer's acknowledgement of it,
and a retransmission follows its original: both are what a tap on the
path sees.  TRUTH.json lists every session with its transactions and, per
transaction, whether a lost packet carried any of its bytes ("touched");
in a capture of the client alone, a hole in a transaction touches the one
before it too, whose end only what follows it shows.

check compares relayscope's JSON Lines with it and prints one line per
failed session and "groundtruth: N passed, N failed":
  - every session is reported, once, and no other;
  - picked_up is true exactly when the SYN is not in the capture (or
    neither the SYN/ACK nor the client's ACK of it is), and
    missing_side names a side of which nothing was captured;
  - every untouched transaction is reported, in order, exactly as sent
    (sender, recipients with their reply codes, message size, replies);
    a session without loss has no gap at all (flagging an untouched
    transaction is allowed, and counted on the last-but-one line);
  - every reported transaction that is not flagged ("gap": false) is one
    that was sent, exactly: a touched transaction is flagged, absent or
    right, never wrong silently.
"""
import json
import random
import struct
import sys

from encap import checksum as csum  # the Internet checksum (RFC 1071)

SERVER4 = "192.0.2.25"
SERVER6 = "2001:db8::25"
MSS = 1448


def ip4b(a):
    return bytes(int(x) for x in a.split("."))


def ip6b(a):
    head, _, tail = a.partition("::")
    h = [int(x, 16) for x in head.split(":") if x]
    t = [int(x, 16) for x in tail.split(":") if x]
    return struct.pack("!8H", *(h + [0] * (8 - len(h) - len(t)) + t))


def tcp(src, dst, sport, dport, seq, ack, flags, payload, v6):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff,
                      ack & 0xffffffff, 5 << 4, flags, 65535, 0, 0)
    seg = hdr + payload
    if v6:
        pseudo = ip6b(src) + ip6b(dst) + struct.pack("!IxxxB", len(seg), 6)
    else:
        pseudo = ip4b(src) + ip4b(dst) + struct.pack("!xBH", 6, len(seg))
    c = csum(pseudo + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ip(src, dst, proto, payload, v6):
    if v6:
        return struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto, 64,
                           ip6b(src), ip6b(dst)) + payload
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000,
                    64, proto, 0, ip4b(src), ip4b(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def frame(l3, v6, vlans, tunnel):
    if tunnel:
        # GRE (RFC 2784) with the packet's own ethertype, over IPv4.
        l3 = ip("198.51.100.1", "198.51.100.2", 47,
                struct.pack("!HH", 0, 0x86dd if v6 else 0x0800) + l3, False)
        v6 = False
    eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"
    for i, tag in enumerate(vlans):
        tpid = 0x88a8 if i == 0 and len(vlans) > 1 else 0x8100
        eth += struct.pack("!HH", tpid, tag)
    return eth + struct.pack("!H", 0x86dd if v6 else 0x0800) + l3


class Session:
    """One SMTP conversation as steps of (direction, bytes, tx index)."""

    def __init__(self, rnd, n):
        self.v6 = False
        self.steps = []
        self.txs = []
        self.rnd = rnd
        self.n = n

    def say(self, who, text, tx=None):
        self.steps.append((who, text.encode() if isinstance(text, str)
                           else text, tx))

    def dialogue(self):
        r = self.rnd
        self.say("S", "220 mx.example.com ESMTP\r\n")
        self.say("C", "EHLO client%d.example.org\r\n" % self.n)
        self.say("S", "250-mx.example.com\r\n250-PIPELINING\r\n"
                 "250-SIZE 10240000\r\n250-STARTTLS\r\n"
                 "250-AUTH PLAIN LOGIN\r\n250-CHUNKING\r\n"
                 "250-8BITMIME\r\n250 SMTPUTF8\r\n")
        kind = r.random()
        if kind < 0.08:
            # STARTTLS: what follows is TLS records, no transaction the
            # capture can show.
            self.say("C", "STARTTLS\r\n")
            self.say("S", "220 2.0.0 Ready to start TLS\r\n")
            for who, n in (("C", 300), ("S", 2500), ("C", 150), ("S", 60),
                           ("C", 900), ("S", 90)):
                self.say(who, b"\x16\x03\x03" + bytes(
                    r.randrange(256) for _ in range(n)))
            return
        if kind < 0.2:
            self.say("C", "AUTH PLAIN AHVzZXIAc2VjcmV0\r\n")
            self.say("S", "235 2.7.0 Authentication successful\r\n")
        for k in range(r.randint(1, 3)):
            if k > 0 and r.random() < 0.3:
                self.say("C", "RSET\r\n")
                self.say("S", "250 2.0.0 Ok\r\n")
            self.transaction(len(self.txs))
        self.say("C", "QUIT\r\n")
        self.say("S", "221 2.0.0 Bye\r\n")

    def transaction(self, t):
        r = self.rnd
        sender = "user%d@example.org" % r.randint(1, 999)
        rcpts = []
        for i in range(r.randint(1, 3)):
            if r.random() < 0.6:
                rcpts.append(("rcpt%d@example.com" % i, 250,
                              "250 2.1.5 Ok"))
            else:
                a = "victim%d@example.net" % i
                rcpts.append((a, 554, "554 5.7.1 <%s>: Relay access denied"
                              % a))
        ok = any(c == 250 for _, c, _ in rcpts)
        bdat = r.random() < 0.15
        body = self.body()
        truth = {"mail_from": sender,
                 "rcpts": [[a, c] for a, c, _ in rcpts], "data": None}
        self.txs.append(truth)
        cmds = ["MAIL FROM:<%s>\r\n" % sender] + \
            ["RCPT TO:<%s>\r\n" % a for a, _, _ in rcpts]
        replies = ["250 2.1.0 Ok\r\n"] + [t + "\r\n" for _, _, t in rcpts]
        if bdat:
            if r.random() < 0.5:
                self.pipelined_or_not(cmds, replies, t)
            else:
                for c, rep in zip(cmds, replies):
                    self.say("C", c, t)
                    self.say("S", rep, t)
            raw = body.replace(b"\r\n..", b"\r\n.")
            self.say("C", b"BDAT %d LAST\r\n" % len(raw) + raw, t)
            final = 250 if ok else 554
            self.say("S", "250 2.0.0 Ok: queued\r\n" if ok else
                     "554 5.5.1 Error: no valid recipients\r\n", t)
            truth["data"] = {"command": "BDAT", "bytes": len(raw),
                             "chunks": 1, "reply": final, "final": final}
            return
        cmds.append("DATA\r\n")
        replies.append("354 End data with <CR><LF>.<CR><LF>\r\n" if ok else
                       "554 5.5.1 Error: no valid recipients\r\n")
        self.pipelined_or_not(cmds, replies, t)
        if not ok:
            truth["data"] = {"command": "DATA", "bytes": 0, "lines": 0,
                             "reply": 554, "final": None}
            return
        self.say("C", body + b".\r\n", t)
        self.say("S", "250 2.0.0 Ok: queued as %05X\r\n" % r.randint(0, 99999),
                 t)
        unstuffed = body.replace(b"\r\n..", b"\r\n.")
        truth["data"] = {"command": "DATA", "bytes": len(unstuffed),
                         "lines": body.count(b"\r\n"), "reply": 354,
                         "final": 250}

    def pipelined_or_not(self, cmds, replies, t):
        if self.rnd.random() < 0.5:
            self.say("C", "".join(cmds), t)
            self.say("S", "".join(replies), t)
        else:
            for c, rep in zip(cmds, replies):
                self.say("C", c, t)
                self.say("S", rep, t)

    def body(self):
        r = self.rnd
        size = r.choice([200, 800, 3000, 9000, 20000])
        lines = [b"Subject: test %d" % self.n, b""]
        n = 0
        while n < size:
            w = r.randint(10, 76)
            line = bytes(r.choice(b"abcdefghij .") for _ in range(w))
            if line.startswith(b"."):
                line = b"." + line  # dot-stuffed (RFC 5321 4.5.2)
            lines.append(line)
            n += len(line) + 2
        return b"\r\n".join(lines) + b"\r\n"


def build(rnd, n, t0, opts, same=None):
    """Packets of session n: dicts with ts, dir, payload, tcp fields.
    same: (v6, cli, srv, cport, sport) of an earlier session to reuse."""
    s = Session(rnd, n)
    s.dialogue()
    v6 = rnd.random() < opts["ipv6"]
    cli = "2001:db8:1::%x" % (n + 1) if v6 else \
        "10.%d.%d.%d" % (1 + n // 65536, n // 256 % 256, n % 256)
    srv = SERVER6 if v6 else SERVER4
    cport = 20000 + n % 40000
    sport = rnd.choice([25, 587])
    if same is not None:
        v6, cli, srv, cport, sport = same
    isn = {"C": rnd.randint(0, 2**32 - 1), "S": rnd.randint(0, 2**32 - 1)}
    nxt = {"C": isn["C"] + 1, "S": isn["S"] + 1}
    pk = []

    def add(who, flags, payload=b"", tx=None, seq=None):
        other = "S" if who == "C" else "C"
        pk.append({"dir": who, "flags": flags, "payload": payload,
                   "seq": nxt[who] if seq is None else seq,
                   "ack": nxt[other], "tx": tx})

    pk.append({"dir": "C", "flags": 0x02, "payload": b"", "seq": isn["C"],
               "ack": 0, "tx": None, "hs": "syn"})
    pk.append({"dir": "S", "flags": 0x12, "payload": b"", "seq": isn["S"],
               "ack": isn["C"] + 1, "tx": None, "hs": "synack"})
    add("C", 0x10)
    pk[-1]["hs"] = "ack"
    for who, data, tx in s.steps:
        other = "S" if who == "C" else "C"
        segs = [data[i:i + MSS] for i in range(0, len(data), MSS)]
        for i, seg in enumerate(segs):
            add(who, 0x18, seg, tx)
            nxt[who] += len(seg)
            if i % 2 == 1 and i + 1 < len(segs):
                add(other, 0x10)  # delayed ACK
    add("C", 0x11)
    nxt["C"] += 1
    add("S", 0x11)
    nxt["S"] += 1
    add("C", 0x10)
    for i, p in enumerate(pk):
        p["ts"] = t0 + i * 200
    return s, v6, cli, srv, cport, sport, pk


def impair(rnd, pk, opts, truth):
    cut = rnd.random() < opts["cut"]
    if cut:
        pk = pk[3:]
    one = None
    if rnd.random() < opts["onesided"]:
        one = rnd.choice(["C", "S"])
        pk = [p for p in pk if p["dir"] == one]
    out = []
    for p in pk:
        out.append(p)
        if p["payload"] and rnd.random() < opts["retrans"]:
            out.append(dict(p))
    pk = out
    i = 0
    while i + 1 < len(pk):
        a, b = pk[i], pk[i + 1]
        if (a["payload"] and b["payload"] and a["dir"] == b["dir"] and
                a["seq"] != b["seq"] and rnd.random() < opts["reorder"]):
            pk[i], pk[i + 1] = b, a
            pk[i]["ts"], pk[i + 1]["ts"] = a["ts"], b["ts"]
            i += 2
            continue
        i += 1
    kept = [p for p in pk if rnd.random() >= opts["loss"]]
    have = {(p["dir"], p["seq"], len(p["payload"])) for p in kept}
    touched = set()
    for p in pk:
        if p["payload"] and p["tx"] is not None and \
                (p["dir"], p["seq"], len(p["payload"])) not in have:
            touched.add(p["tx"])
    if one == "C":
        # Without replies, where a transaction ends (a refused DATA, say)
        # shows only in what the client sends next: a hole there touches
        # it too.
        touched |= {t - 1 for t in touched if t > 0}
    truth["cut"] = cut
    truth["onesided"] = one
    truth["lost"] = len(pk) - len(kept)
    truth["syn"] = any(p["flags"] == 0x02 for p in kept)
    # The server's ISN is known from its SYN/ACK or the client's ACK of
    # it; without both, what the server sent first is not known either.
    truth["isn"] = any(p.get("hs") in ("synack", "ack") for p in kept)
    truth["sides"] = sorted({p["dir"] for p in kept})
    for t, tx in enumerate(truth["txs"]):
        tx["touched"] = t in touched
    return kept


def gen(out, tpath, opts):
    rnd = random.Random(opts["seed"])
    frames, sessions = [], []
    total = int(opts["sessions"])
    later = []  # (n, t0, same) of sessions reusing a tuple
    n = 0
    while n < total + len(later):
        same = None
        if n < total:
            t0 = 1795000000 * 10**6 + n * int(opts["spacing"])
        else:
            _, t0, same = later[n - total]
        s, v6, cli, srv, cport, sport, pk = build(rnd, n, t0, opts, same)
        vlans = [rnd.randint(1, 4094) for _ in range(rnd.randint(1, 3))] \
            if rnd.random() < opts["vlan"] else []
        tunnel = rnd.random() < opts["tunnel"]
        truth = {"client": [cli, cport], "server": [srv, sport],
                 "txs": s.txs, "end": None}
        if same is None and rnd.random() < opts["reuse"]:
            # Abandoned: no FIN, FIN, ACK in the capture; a new
            # connection on the same tuple comes later.
            pk = pk[:-3]
            truth["end"] = "dropped"
            later.append((n, pk[-1]["ts"] + rnd.choice([2, 5, 30]) * 10**6,
                          (v6, cli, srv, cport, sport)))
        n += 1
        kept = impair(rnd, pk, opts, truth)
        if not kept:
            continue
        sessions.append(truth)
        for p in kept:
            a, b, pa, pb = (cli, srv, cport, sport) if p["dir"] == "C" \
                else (srv, cli, sport, cport)
            seg = tcp(a, b, pa, pb, p["seq"], p["ack"], p["flags"],
                      p["payload"], v6)
            frames.append((p["ts"], frame(ip(a, b, 6, seg, v6), v6, vlans,
                                          tunnel)))
    frames.sort(key=lambda f: f[0])
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for ts, fr in frames:
            f.write(struct.pack("<IIII", ts // 10**6, ts % 10**6, len(fr),
                                len(fr)))
            f.write(fr)
    with open(tpath, "w") as f:
        json.dump({"options": opts, "sessions": sessions}, f, indent=1)


def key_of(tx, sides):
    """What of a transaction the capture can show, comparable."""
    both = sides == ["C", "S"]
    d = tx.get("data")
    if d is not None:
        if "final_reply" in d:  # relayscope's form
            dk = (d["command"], d["bytes"], d.get("lines", d.get("chunks")),
                  (d["reply"] or {}).get("code"),
                  (d["final_reply"] or {}).get("code"))
        else:
            dk = (d["command"], d["bytes"], d.get("lines", d.get("chunks")),
                  d["reply"], d["final"])
        if not both:
            dk = dk[:3]
    else:
        dk = None
    if "mail_reply" in tx:
        rc = [(r["address"], (r["reply"] or {}).get("code"))
              for r in tx["rcpts"]]
    else:
        rc = [(a, c) for a, c in tx["rcpts"]]
    if not both:
        rc = [a for a, _ in rc]
    return (tx["mail_from"], tuple(rc), dk)


def check_session(t, a):
    bad = []
    if t.get("end") is not None and a["end"] != t["end"]:
        bad.append("end %s, expected %s" % (a["end"], t["end"]))
    want = not t["syn"] or not t.get("isn", True)
    if a.get("picked_up") != want:
        bad.append("picked_up %s, expected %s" % (a.get("picked_up"), want))
    want_missing = None
    if t["sides"] == ["C"]:
        want_missing = "server"
    elif t["sides"] == ["S"]:
        want_missing = "client"
    if a.get("missing_side") != want_missing:
        bad.append("missing_side %s, expected %s" % (a.get("missing_side"),
                                                      want_missing))
    if t["sides"] == ["S"]:
        return bad  # replies alone: nothing to pair
    if t["lost"] == 0 and a["gap"]["count"] != 0:
        bad.append("gap reported without loss")
    ours = a["transactions"]
    j = 0
    for k, tx in enumerate(t["txs"]):
        if tx["touched"]:
            continue
        want = key_of(tx, t["sides"])
        while j < len(ours) and key_of(ours[j], t["sides"]) != want:
            j += 1
        if j == len(ours):
            bad.append("transaction %d (untouched) missing or wrong: %r" %
                       (k, want))
            break
        j += 1
    right = {key_of(tx, t["sides"]) for tx in t["txs"]}
    for k, tx in enumerate(ours):
        if not tx["gap"] and key_of(tx, t["sides"]) not in right:
            bad.append("reported transaction %d is wrong and not flagged: "
                       "%r" % (k, key_of(tx, t["sides"])))
    return bad


def check(tpath, apath):
    truth = json.load(open(tpath))["sessions"]
    got = {}
    for line in open(apath):
        o = json.loads(line)
        if o["type"] != "session":
            continue
        k = (o["client"]["ip"], o["client"]["port"], o["server"]["ip"],
             o["server"]["port"])
        got.setdefault(k, []).append(o)
    passed = failed = 0
    flagged_clean = 0
    seen = set()
    want = {}
    for t in truth:
        k = (t["client"][0], t["client"][1], t["server"][0], t["server"][1])
        want[k] = want.get(k, 0) + 1
    for t in truth:
        k = (t["client"][0], t["client"][1], t["server"][0], t["server"][1])
        seen.add(k)
        # Sessions on one tuple, in the order they started.
        a = got.get(k, [])
        i = sum(1 for x in truth[:truth.index(t)]
                if (x["client"][0], x["client"][1], x["server"][0],
                    x["server"][1]) == k)
        bad = []
        if len(a) != want[k]:
            bad.append("reported %d times, expected %d" % (len(a), want[k]))
        else:
            bad = check_session(t, a[i])
            clean = sum(1 for x in t["txs"] if not x["touched"])
            ok = sum(1 for x in a[i]["transactions"] if not x["gap"])
            flagged_clean += max(0, clean - ok)
        if bad:
            failed += 1
            print("FAIL %s:%d -> %s:%d: %s" % (k + ("; ".join(bad),)))
        else:
            passed += 1
    for k in got:
        if k not in seen:
            failed += 1
            print("FAIL %s:%d -> %s:%d: reported, not in the capture" % k)
    txs = sum(len(t["txs"]) for t in truth)
    touched = sum(1 for t in truth for x in t["txs"] if x["touched"])
    print("# %d sessions, %d transactions, %d touched by loss, %d untouched "
          "but flagged" % (len(truth), txs, touched, flagged_clean))
    print("groundtruth: %d passed, %d failed" % (passed, failed))
    return failed == 0


def check_table(tpath, apath):
    """A stream table too small for the capture (--max-streams): every
    session is reported (the rest of an evicted one is picked up again),
    every record has an end, and the summary counts the ends."""
    truth = json.load(open(tpath))["sessions"]
    recs, summary = [], None
    for line in open(apath):
        o = json.loads(line)
        if o["type"] == "session":
            recs.append(o)
        else:
            summary = o
    seen = {(o["client"]["ip"], o["client"]["port"]) for o in recs}
    bad = 0
    for t in truth:
        if (t["client"][0], t["client"][1]) not in seen:
            print("FAIL %s:%d: not reported" % tuple(t["client"]))
            bad += 1
    ends = {}
    for o in recs:
        ends[o["end"]] = ends.get(o["end"], 0) + 1
    for e, n in summary["sessions"].items():
        if e in ("total", "picked_up", "with_gaps", "one_sided"):
            continue
        if ends.get(e, 0) != n:
            print("FAIL summary says %d %s, records %d" % (n, e,
                                                           ends.get(e, 0)))
            bad += 1
    if summary["sessions"]["total"] != len(recs):
        print("FAIL summary total %d, records %d" %
              (summary["sessions"]["total"], len(recs)))
        bad += 1
    if ends.get("evicted", 0) == 0:
        print("FAIL no session was evicted")
        bad += 1
    print("# %d sessions, %d records, %d evicted" %
          (len(truth), len(recs), ends.get("evicted", 0)))
    print("groundtruth: %d passed, %d failed" % (len(truth) + 3 - bad, bad))
    return bad == 0


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "gen":
        opts = {"sessions": 200, "seed": 1, "loss": 0.05, "reorder": 0.05,
                "retrans": 0.03, "cut": 0.20, "ipv6": 0.30, "vlan": 0.15,
                "tunnel": 0.10, "onesided": 0.05, "reuse": 0.0,
                "spacing": 3000}
        for a in sys.argv[4:]:
            k, _, v = a.partition("=")
            if k not in opts:
                sys.exit("unknown option %s" % k)
            opts[k] = float(v)
        gen(sys.argv[2], sys.argv[3], opts)
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(0 if check(sys.argv[2], sys.argv[3]) else 1)
    elif len(sys.argv) == 4 and sys.argv[1] == "check-table":
        sys.exit(0 if check_table(sys.argv[2], sys.argv[3]) else 1)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
