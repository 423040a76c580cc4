#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write a capture of SESSIONS SMTP sessions open at the same time, for the
memory benchmark: every handshake first, then ROUNDS rounds in which each
session in turn sends one RCPT command of about LINE bytes and gets a
reply of about as many, then every session ends with QUIT and FIN.  The
sessions never end while content piles up, which is what a per-session
budget alone cannot bound.  Hand-built (the benchmark needs thousands of
sessions at once, which a loopback MTA would refuse); checksums valid.
    usage: gen-concurrent.py OUT SESSIONS [ROUNDS [LINE]]"""
import struct
import sys

SERVER = bytes([192, 0, 2, 25])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    c = csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64,
                     6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp


class Session:
    def __init__(self, k):
        self.cli = bytes([10, 20 + (k >> 16), (k >> 8) & 255, k & 255])
        self.port = 1024 + k % 60000
        self.cseq, self.sseq = 1000, 5000

    def c(self, flags, data=b""):
        f = frame(self.cli, SERVER, self.port, 25, self.cseq, self.sseq,
                  flags, data)
        self.cseq = (self.cseq + len(data) + (flags & 3 and 1)) & 0xFFFFFFFF
        return f

    def s(self, flags, data=b""):
        f = frame(SERVER, self.cli, 25, self.port, self.sseq, self.cseq,
                  flags, data)
        self.sseq = (self.sseq + len(data) + (flags & 3 and 1)) & 0xFFFFFFFF
        return f

    def start(self, put):
        """Handshake, greeting, EHLO and its reply."""
        self.cseq -= 1
        put(self.c(0x02))
        self.sseq -= 1
        put(self.s(0x12))
        put(self.c(0x10))
        put(self.s(0x18, b"220 mx.example.net ESMTP\r\n"))
        put(self.c(0x18, b"EHLO client.example.org\r\n"))
        put(self.s(0x18, b"250-mx.example.net\r\n250 PIPELINING\r\n"))

    def end(self, put):
        """QUIT, its reply, FINs."""
        put(self.c(0x18, b"QUIT\r\n"))
        put(self.s(0x18, b"221 2.0.0 Bye\r\n"))
        put(self.c(0x11))
        put(self.s(0x11))
        put(self.c(0x10))


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    line = int(sys.argv[4]) if len(sys.argv) > 4 else 500
    t = [1700000000 * 1000000]
    with open(out, "wb") as w:
        w.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

        def put(f):
            t[0] += 10
            w.write(struct.pack("<IIII", t[0] // 1000000, t[0] % 1000000,
                                len(f), len(f)))
            w.write(f)

        ss = [Session(k) for k in range(n)]
        for x in ss:
            x.start(put)
            put(x.c(0x18, b"MAIL FROM:<sender@example.org>\r\n"))
            put(x.s(0x18, b"250 2.1.0 Ok\r\n"))
        for r in range(rounds):
            for k, x in enumerate(ss):
                user = ("u%d-%d-" % (k, r)).encode()
                user += b"x" * max(1, line - len(user) - 30)
                put(x.c(0x18, b"RCPT TO:<" + user + b"@example.org>\r\n"))
                put(x.s(0x18, b"250 2.1.5 Ok <" + user + b"@example.org>\r\n"))
        for x in ss:
            x.end(put)


if __name__ == "__main__":
    main()
