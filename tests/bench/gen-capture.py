#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write a large capture for the benchmark from the recorded fixtures:
SESSIONS copies of their sessions, each moved to its own client address
and port and its own start time (STEP_MS apart, so that sessions overlap),
all packets merged in time order.  Checksums are left as they are (not
verified by default).   usage: gen-capture.py OUT SESSIONS [STEP_MS]"""
import glob
import heapq
import struct
import sys

FIXTURES = ["opensmtpd-relay-denied", "postfix-ehlo-delivery", "postfix-pipelining", "postfix-rset-multi",
            "postfix-bdat", "postfix-relay-denied-554", "postfix-auth-587",
            "exim-relay-denied", "postfix-starttls"]


def records(path):
    data = open(path, "rb").read()
    off, out = 24, []
    while off < len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        out.append((sec * 1000000 + usec, bytearray(data[off + 16:off + 16 + incl])))
        off += 16 + incl
    return data[:24], out


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    step = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0
    sets = []
    for f in FIXTURES:
        hdr, recs = records("pcaps/%s.pcap" % f)
        t0 = recs[0][0]
        sets.append([(t - t0, frame) for t, frame in recs])

    def session(k):
        base = 1700000000000000 + int(k * step * 1000)
        addr = bytes([10, (k >> 16) & 255, (k >> 8) & 255, k & 255])
        port = struct.pack(">H", 1024 + k % 60000)
        for t, frame in sets[k % len(sets)]:
            f = bytearray(frame)
            # Ethernet 14 + IPv4 20 (no options in these captures).
            if f[26:30] == b"\x7f\x00\x00\x02" or f[26:30] == b"\x7f\x00\x00\x03":
                f[26:30] = addr
                f[34:36] = port
            else:
                f[30:34] = addr
                f[36:38] = port
            yield base + t, k, f

    with open(out, "wb") as w:
        w.write(hdr)
        for t, _, f in heapq.merge(*(session(k) for k in range(n))):
            w.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(f), len(f)))
            w.write(f)


if __name__ == "__main__":
    main()
