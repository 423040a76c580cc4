#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check that a recorded capture carries exactly the messages of a folder.

    usage: check-messages.py CAPTURE DIR

Reads the pcap itself (Ethernet or Linux cooked framing, IPv4 or IPv6),
puts each TCP connection to port 25 together in sequence order (a hole is
an error), and follows its SMTP dialogue: a DATA body is read up to the
line ".", dot-unstuffed; BDAT chunks are read by their counts and joined
up to BDAT ... LAST.  The messages, in the order their connections began
and within a connection in order, must be DIR/01.eml, DIR/02.eml, ...
byte for byte, no more and no fewer; DATA must be answered 354, every
message "250 ... queued as ...", every BDAT chunk 250, and no reply may
be 4xx or 5xx.  Independent of relayscope's code: it is how the fixtures
of the MIME recipes are proved to hold what tests/messages/ says.

Prints one line per message (its number, how it was sent, its size and
the server's reply) and exits 0, or says what differs and exits 1."""
import os
import struct
import sys


def packets(path):
    """(time, src, sport, dst, dport, flags, seq, payload) of each TCP
    segment in a pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise SystemExit("%s: not a pcap file" % path)
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0xFFFFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:
            etype, l2 = struct.unpack(">H", frame[12:14])[0], 14
        elif linktype == 113:
            etype, l2 = struct.unpack(">H", frame[14:16])[0], 16
        else:
            raise SystemExit("%s: link type %d" % (path, linktype))
        ip = frame[l2:]
        if etype == 0x0800 and ip[9] == 6:
            hl = (ip[0] & 15) * 4
            total = struct.unpack(">H", ip[2:4])[0]
            src, dst, tcp = ip[12:16], ip[16:20], ip[hl:total]
        elif etype == 0x86DD and ip[6] == 6:
            total = 40 + struct.unpack(">H", ip[4:6])[0]
            src, dst, tcp = ip[8:24], ip[24:40], ip[40:total]
        else:
            continue
        sport, dport, seq = struct.unpack(">HHI", tcp[:8])
        doff = (tcp[12] >> 4) * 4
        yield (sec + frac / 1e6, src, sport, dst, dport, tcp[13], seq,
               tcp[doff:])


def streams(path):
    """[(client stream, server stream)] of the connections to port 25,
    in the order of their first packet."""
    conns = {}
    order = []
    for t, src, sport, dst, dport, flags, seq, payload in packets(path):
        if dport == 25:
            key, side = (src, sport, dst), 0
        elif sport == 25:
            key, side = (dst, dport, src), 1
        else:
            continue
        if key not in conns:
            conns[key] = [{"isn": None, "segs": []}, {"isn": None,
                                                      "segs": []}]
            order.append(key)
        d = conns[key][side]
        if flags & 0x02:  # SYN
            d["isn"] = seq
        if payload:
            d["segs"].append((seq, payload))
    out = []
    for key in order:
        pair = []
        for d in conns[key]:
            if d["isn"] is None:
                raise SystemExit("a connection without its SYN")
            buf = b""
            for seq, p in sorted(d["segs"],
                                 key=lambda s: (s[0] - d["isn"] - 1) % 2**32):
                rel = (seq - d["isn"] - 1) % 2**32
                if rel > len(buf):
                    raise SystemExit("a hole in a connection: %d bytes "
                                     "missing" % (rel - len(buf)))
                buf += p[len(buf) - rel:]
            pair.append(buf)
        out.append(tuple(pair))
    return out


def replies(server):
    """The server's replies, each a list of lines."""
    out = []
    cur = []
    for line in server.split(b"\r\n")[:-1]:
        cur.append(line.decode("latin-1"))
        if line[3:4] != b"-":
            out.append(cur)
            cur = []
    return out


def dialogue(client, server):
    """[(how, message, reply)] of one connection; checks every reply."""
    reps = replies(server)
    ri = 0

    def reply(what):
        nonlocal ri
        if ri >= len(reps):
            raise SystemExit("no reply to %s" % what)
        r = reps[ri]
        ri += 1
        if r[-1][:1] in ("4", "5"):
            raise SystemExit("%s answered %s" % (what, r[-1]))
        return r[-1]

    reply("the connection (greeting)")
    msgs = []
    pos = 0
    chunks = []
    body = b""
    while pos < len(client):
        eol = client.index(b"\r\n", pos)
        line = client[pos:eol]
        pos = eol + 2
        word = line.split(b" ")
        cmd = word[0].upper()
        if cmd == b"DATA":
            r = reply("DATA")
            if not r.startswith("354"):
                raise SystemExit("DATA answered %s" % r)
            lines = []
            while True:
                eol = client.index(b"\r\n", pos)
                l = client[pos:eol]
                pos = eol + 2
                if l == b".":
                    break
                lines.append(l[1:] if l.startswith(b".") else l)
            m = b"".join(l + b"\r\n" for l in lines)
            r = reply("the end of data")
            if not (r.startswith("250") and "queued as" in r):
                raise SystemExit("the end of data answered %s" % r)
            msgs.append(("DATA", m, r))
        elif cmd == b"BDAT":
            n = int(word[1])
            last = len(word) > 2 and word[2].upper() == b"LAST"
            body += client[pos:pos + n]
            chunks.append(n)
            pos += n
            r = reply("BDAT %d" % n)
            if not r.startswith("250"):
                raise SystemExit("BDAT answered %s" % r)
            if last:
                if "queued as" not in r:
                    raise SystemExit("BDAT LAST answered %s" % r)
                msgs.append(("BDAT %s" % "+".join(map(str, chunks)), body,
                             r))
                chunks = []
                body = b""
        else:
            r = reply(line.decode("latin-1"))
            if not r[:1] in ("2", "3"):
                raise SystemExit("%s answered %s" % (line, r))
    if ri != len(reps):
        raise SystemExit("%d replies more than commands" % (len(reps) - ri))
    return msgs


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    cap, folder = sys.argv[1:]
    want = sorted(f for f in os.listdir(folder) if f.endswith(".eml"))
    got = []
    for s, (client, server) in enumerate(streams(cap), 1):
        for how, m, r in dialogue(client, server):
            got.append((s, how, m, r))
    bad = 0
    if len(got) != len(want) or \
            want != ["%02d.eml" % i for i in range(1, len(want) + 1)]:
        print("FAIL: %d messages in %s, %s in %s" %
              (len(got), cap, ", ".join(want) or "none", folder))
        bad += 1
    for i, (s, how, m, r) in enumerate(got, 1):
        name = "%02d.eml" % i
        try:
            with open(os.path.join(folder, name), "rb") as f:
                exp = f.read()
        except OSError:
            exp = None
        same = "same as" if m == exp else "DIFFERS from"
        if m != exp:
            bad += 1
        print("%s: session %d, %s, %d bytes, %s %s; %s" % (
            name, s, how, len(m), same, os.path.join(folder, name), r))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
