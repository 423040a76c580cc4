#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write a capture for the detection benchmark: the SMTP capture IN (an
Ethernet pcap, e.g. from gen-capture.py) with HTTP-like bulk downloads on
port 8080 merged in, in time order, until other TCP is SHARE (default
0.9) of the bytes.  Each download is a real-looking connection:
handshake, a GET, 64 segments of 1448 bytes acknowledged every second
one, FIN both ways; so detection sees a client-first request and a
server-first "HTTP/1.1" answer, the common case.  Checksums are left
zero (not verified by default).
    usage: gen-mixed.py IN OUT [SHARE]"""
import heapq
import struct
import sys

SERVER = bytes([198, 51, 100, 80])
SEGS, MSS = 64, 1448


def records(path):
    data = open(path, "rb").read()
    off, out = 24, []
    while off < len(data):
        sec, usec, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        out.append((sec * 1000000 + usec, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return data[:24], out


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64,
                     6, 0, src, dst)
    return b"\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01\x08\x00" + ip + tcp


def download(k, t0):
    cli = bytes([172, 16 + ((k >> 16) & 15), (k >> 8) & 255, k & 255])
    cp, sp = 20000 + k % 40000, 8080
    cs, ss = 1000, 500000
    t = t0
    out = [(t, frame(cli, SERVER, cp, sp, cs, 0, 0x02))]
    out.append((t + 50, frame(SERVER, cli, sp, cp, ss, cs + 1, 0x12)))
    out.append((t + 100, frame(cli, SERVER, cp, sp, cs + 1, ss + 1, 0x10)))
    req = b"GET /file/%d HTTP/1.1\r\nHost: files.example\r\n\r\n" % k
    out.append((t + 120, frame(cli, SERVER, cp, sp, cs + 1, ss + 1, 0x18, req)))
    cs += 1 + len(req)
    ss += 1
    t += 200
    body = (b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (SEGS * MSS)).ljust(MSS, b"x")
    for i in range(SEGS):
        out.append((t, frame(SERVER, cli, sp, cp, ss, cs, 0x18, body if i == 0 else b"y" * MSS)))
        ss += MSS
        t += 20
        if i % 2:
            out.append((t, frame(cli, SERVER, cp, sp, cs, ss, 0x10)))
            t += 5
    out.append((t, frame(SERVER, cli, sp, cp, ss, cs, 0x11)))
    out.append((t + 10, frame(cli, SERVER, cp, sp, cs, ss + 1, 0x11)))
    out.append((t + 20, frame(SERVER, cli, sp, cp, ss + 1, cs + 1, 0x10)))
    return out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    share = float(sys.argv[3]) if len(sys.argv) > 3 else 0.9
    hdr, recs = records(src)
    smtp = sum(len(f) for _, f in recs)
    per = sum(len(f) for _, f in download(0, 0))
    n = int(smtp * share / (1 - share) / per) + 1
    start, end = recs[0][0], recs[-1][0]
    step = max(1, (end - start) // n)
    streams = [recs] + [download(k, start + k * step) for k in range(n)]
    with open(dst, "wb") as w:
        w.write(hdr)
        for t, f in heapq.merge(*streams, key=lambda r: r[0]):
            w.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(f), len(f)))
            w.write(f)


if __name__ == "__main__":
    main()
