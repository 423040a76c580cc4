#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Seed corpora for the libFuzzer harnesses, derived from the captures in
pcaps/ each time `make fuzz` runs, so that no seed is a binary kept by
hand and every new fixture seeds the fuzzers:

  OUT/pcapng/        every pcapng in pcaps/, and every pcap re-written as
                     pcapng (little and big endian, microsecond and
                     nanosecond and 2^-20 s resolution, an if_tsoffset, Simple and
                     obsolete Packet Blocks), cut at a block boundary to
                     fit MAX bytes: whole files, as capture.c reads them
  OUT/smtp-session/  every TCP connection to port 25 or 587, in the
                     harness's chunk format (fuzz-chunks.h): the
                     payloads in capture order, each side's
                     retransmissions dropped, holes as gap chunks
  OUT/dns/           every DNS message on port 53 (UDP, and TCP without
                     its length prefix)
  OUT/proxy/         each proxy preamble of PREAMBLES (fuzz-proxy.c's
                     format: a kind byte, then chunks as above), alone
                     and followed by every smtp-session seed, as if that
                     connection had been tunnelled
  OUT/jsonw/         the smtp-session seeds again, as raw bytes for the
                     JSON writer (fuzz-jsonw.c)

Usage: python3 tests/fuzz/seeds.py OUT [MAX]   (MAX: -max_len, 4096)
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PCAPS = os.path.join(HERE, "..", "..", "pcaps")
SMTP_PORTS = (25, 587)


def pcap_frames(data):
    """(link type, seconds, microseconds, frame) of a little-endian pcap."""
    if data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return
    dlt = struct.unpack("<I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        if data[:4] == b"\x4d\x3c\xb2\xa1":
            frac //= 1000
        yield dlt, sec, frac, data[off + 16:off + 16 + incl]
        off += 16 + incl


def pcapng_frames(data):
    """(link type, 0, 0, frame) of the EPBs of a little-endian pcapng."""
    off, dlts = 0, []
    while off + 12 <= len(data):
        t, n = struct.unpack("<II", data[off:off + 8])
        if n < 12 or off + n > len(data):
            return
        b = data[off + 8:off + n - 4]
        if t == 0x0a0d0d0a:
            dlts = []
        elif t == 1:
            dlts.append(struct.unpack("<H", b[:2])[0])
        elif t == 6 and len(b) >= 20:
            i, _, _, cap = struct.unpack("<IIII", b[:16])
            if i < len(dlts):
                yield dlts[i], 0, 0, b[20:20 + cap]
        off += n


def frames(path):
    data = open(path, "rb").read()
    if data[:4] == b"\n\r\r\n":
        return list(pcapng_frames(data))
    return list(pcap_frames(data))


def l3(dlt, f):
    """(IP version, IP packet) of a frame, or None."""
    if dlt == 1:
        off, et = 14, f[12:14]
        while et in (b"\x81\x00", b"\x88\xa8") and len(f) >= off + 4:
            et, off = f[off + 2:off + 4], off + 4
    elif dlt == 113:
        off, et = 16, f[14:16]
    else:
        return None
    if et == b"\x08\x00":
        return 4, f[off:]
    if et == b"\x86\xdd":
        return 6, f[off:]
    return None


def transport(ip):
    """(proto, src, dst, sport, dport, header+payload) or None."""
    v, p = ip
    if v == 4 and len(p) >= 20:
        hl, tl = (p[0] & 15) * 4, struct.unpack(">H", p[2:4])[0]
        if struct.unpack(">H", p[6:8])[0] & 0x3fff:
            return None
        return p[9], p[12:16], p[16:20], p[hl:tl]
    if v == 6 and len(p) >= 40:
        pl = struct.unpack(">H", p[4:6])[0]
        return p[6], p[8:24], p[24:40], p[40:40 + pl]
    return None


def packets(path):
    for dlt, _, _, f in frames(path):
        ip = l3(dlt, f)
        t = transport(ip) if ip is not None else None
        if t is None or len(t[3]) < 8:
            continue
        proto, src, dst, seg = t
        sport, dport = struct.unpack(">HH", seg[:4])
        yield proto, src, dst, sport, dport, seg


def smtp_seeds(path, limit):
    """One chunk-format seed per SMTP connection of the capture."""
    conns, order = {}, []
    for proto, src, dst, sport, dport, seg in packets(path):
        if proto != 6 or len(seg) < 20:
            continue
        if dport in SMTP_PORTS:
            key, side = (src, sport, dst, dport), 0
        elif sport in SMTP_PORTS:
            key, side = (dst, dport, src, sport), 1
        else:
            continue
        if key not in conns:
            conns[key] = {"out": bytearray(), "next": [None, None]}
            order.append(key)
        c = conns[key]
        seq = struct.unpack(">I", seg[4:8])[0]
        flags = seg[13]
        payload = seg[(seg[12] >> 4) * 4:]
        if flags & 0x02:  # SYN
            c["next"][side] = (seq + 1) & 0xffffffff
            continue
        nxt = c["next"][side]
        if nxt is None:
            nxt = seq
        skip = (nxt - seq) & 0xffffffff
        if skip < 0x80000000:
            payload = payload[skip:]  # retransmitted
        elif payload:
            hole = (seq - nxt) & 0xffffffff
            c["out"] += bytes([side << 7, min((hole - 1) // 7, 255)])
            nxt = seq
        for i in range(0, len(payload), 126):
            piece = payload[i:i + 126]
            c["out"] += bytes([side << 7 | len(piece)]) + piece
        c["next"][side] = (nxt + len(payload)) & 0xffffffff
    for key in order:
        out = bytes(conns[key]["out"][:limit])
        if out:
            yield out


def dns_seeds(path):
    for proto, src, dst, sport, dport, seg in packets(path):
        if 53 not in (sport, dport):
            continue
        if proto == 17 and len(seg) > 8 + 12:
            yield seg[8:]
        elif proto == 6 and len(seg) >= 20:
            msg = seg[(seg[12] >> 4) * 4:]
            if len(msg) > 2 + 12:
                yield msg[2:2 + struct.unpack(">H", msg[:2])[0]]


# Proxy preambles (proxy.h has the layouts): the kind byte of
# fuzz-proxy.c (0 HTTP, 1 SOCKS4, 2 SOCKS5), then (side, bytes) in order.
PREAMBLES = [
    (0, [(0, b"CONNECT mx.example.org:25 HTTP/1.1\r\n"
             b"Host: mx.example.org:25\r\n\r\n"),
         (1, b"HTTP/1.1 200 Connection established\r\n\r\n")]),
    (0, [(0, b"CONNECT [2001:db8::25]:25 HTTP/1.1\r\n\r\n"),
         (1, b"HTTP/1.1 407 Proxy Authentication Required\r\n"
             b"Proxy-Authenticate: Basic realm=\"p\"\r\n"
             b"Content-Length: 2\r\n\r\nno"),
         (0, b"CONNECT [2001:db8::25]:25 HTTP/1.1\r\n"
             b"Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n\r\n"),
         (1, b"HTTP/1.1 200 OK\r\n\r\n")]),
    (1, [(0, b"\x04\x01\x00\x19\xc0\x00\x02\x19fred\x00"),
         (1, b"\x00\x5a\x00\x00\x00\x00\x00\x00")]),
    (1, [(0, b"\x04\x01\x00\x19\x00\x00\x00\x01\x00mx.example.org\x00"),
         (1, b"\x00\x5a\x00\x00\x00\x00\x00\x00")]),
    (2, [(0, b"\x05\x01\x00"), (1, b"\x05\x00"),
         (0, b"\x05\x01\x00\x03\x0emx.example.org\x00\x19"),
         (1, b"\x05\x00\x00\x01\xc0\x00\x02\x01\x9c\x40")]),
    (2, [(0, b"\x05\x02\x00\x02\x01\x05alice\x06s3cret"
             b"\x05\x01\x00\x04" + b"\x20\x01\x0d\xb8" + b"\x00" * 11 +
             b"\x25\x00\x19"),
         (1, b"\x05\x02\x01\x00\x05\x00\x00\x01" + b"\x00" * 6)]),
]


def proxy_seeds(smtp, limit):
    """Each preamble alone, then followed by every SMTP seed."""
    for i, (kind, segs) in enumerate(PREAMBLES):
        pre = bytearray([kind])
        for side, data in segs:
            for j in range(0, len(data), 126):
                piece = data[j:j + 126]
                pre += bytes([side << 7 | len(piece)]) + piece
        yield "preamble-%d" % i, bytes(pre)
        for name, s in smtp:
            if s[:1] == b"\xff":  # mid-stream: no preamble before it
                continue
            yield "preamble-%d-%s" % (i, name), bytes(pre + s)[:limit]


def block(order, btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack(order + "II", btype, n) + body + struct.pack(
        order + "I", n)


def option(order, code, value):
    return (struct.pack(order + "HH", code, len(value)) + value +
            b"\0" * (-len(value) % 4))


def as_pcapng(path, order, resol, offset, kind, limit):
    """The capture's frames as one pcapng section, at most limit bytes."""
    fr = frames(path)
    if not fr:
        return None
    opts = b""
    if resol is not None:
        opts += option(order, 9, bytes([resol]))
    if offset:
        opts += option(order, 14, struct.pack(order + "q", offset))
    if opts:
        opts += option(order, 0, b"")
    out = block(order, 0x0a0d0d0a,
                struct.pack(order + "IHHq", 0x1a2b3c4d, 1, 0, -1))
    out += block(order, 1, struct.pack(order + "HHI", fr[0][0], 0, 0) + opts)
    if resol is None:
        units = 10 ** 6
    else:
        units = 2 ** (resol & 0x7f) if resol & 0x80 else 10 ** resol
    for dlt, sec, usec, f in fr:
        t = (sec * 10 ** 6 + usec) * units // 10 ** 6 - offset * units
        if kind == "spb":
            b = block(order, 3, struct.pack(order + "I", len(f)) + f)
        else:
            head = struct.pack(order + "IIIII", 0, t >> 32, t & 0xffffffff,
                               len(f), len(f))
            if kind == "opb":
                head = struct.pack(order + "HH", 0, 0) + head[4:]
            b = block(order, 6 if kind == "epb" else 2, head + f)
        if len(out) + len(b) > limit:
            break
        out += b
    return out


def cut(data, limit):
    """A little-endian pcapng cut after its last whole block within limit."""
    off = 0
    while off + 8 <= len(data):
        n = struct.unpack("<I", data[off + 4:off + 8])[0]
        if n < 12 or off + n > limit:
            break
        off += n
    return data[:off]


def main():
    out = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
    counts = {}
    for d in ("pcapng", "smtp-session", "dns", "proxy", "jsonw", "mime"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
        for f in os.listdir(os.path.join(out, d)):
            os.unlink(os.path.join(out, d, f))

    def put(d, name, data):
        if not data:
            return
        with open(os.path.join(out, d, name), "wb") as f:
            f.write(data[:limit])
        counts[d] = counts.get(d, 0) + 1

    smtp = []
    variants = [("<", None, 0, "epb"), (">", None, 0, "epb"),
                ("<", 9, 0, "epb"), (">", 0x94, 0, "epb"),
                ("<", None, -1700000000, "epb"), ("<", None, 0, "spb"),
                ("<", None, 0, "opb")]
    for name in sorted(os.listdir(PCAPS)):
        path = os.path.join(PCAPS, name)
        base = name.rsplit(".", 1)[0]
        if name.endswith(".pcapng"):
            data = open(path, "rb").read()
            put("pcapng", base, cut(data, limit))
        elif name.endswith(".pcap"):
            for i, (order, resol, offset, kind) in enumerate(variants):
                put("pcapng", "%s-%d" % (base, i),
                    as_pcapng(path, order, resol, offset, kind, limit))
        else:
            continue
        for i, s in enumerate(smtp_seeds(path, limit)):
            put("smtp-session", "%s-%d" % (base, i), s)
            put("jsonw", "%s-%d" % (base, i), s)
            smtp.append(("%s-%d" % (base, i), s))
        for i, s in enumerate(dns_seeds(path)):
            put("dns", "%s-%d" % (base, i), s)
    for name, s in proxy_seeds(smtp, limit):
        put("proxy", name, s)
    # fuzz-mime.c: a seed byte, then each recorded message
    # (tests/messages/) and the start of every DATA body seed.
    msgs = os.path.join(os.path.dirname(PCAPS), "tests", "messages")
    for sub in sorted(os.listdir(msgs)):
        if not os.path.isdir(os.path.join(msgs, sub)):
            continue
        for f in sorted(os.listdir(os.path.join(msgs, sub))):
            with open(os.path.join(msgs, sub, f), "rb") as fh:
                put("mime", "%s-%s" % (sub, f), b"\x07" + fh.read())
    # fuzz-dlg-codec.c: each smtp-session seed behind a byte of 1 (a
    # session to encode, judged, and decode).
    d = os.path.join(out, "dlg-codec")
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    for name, s in smtp:
        put("dlg-codec", name, b"\x01" + s)
    print("fuzz seeds in %s: %s" % (out, ", ".join(
        "%s %d" % (d, counts.get(d, 0))
        for d in ("pcapng", "smtp-session", "dns", "proxy", "jsonw",
                  "mime"))))


if __name__ == "__main__":
    main()
