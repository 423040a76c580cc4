#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Small crafted captures for the target refusals of relayscope replay.

  replay-targets.py KIND [OUT.pcap]

writes one complete SMTP session (handshake, greeting, EHLO, MAIL FROM,
RCPT TO, QUIT, both FINs; Ethernet, IPv4 or IPv6, TCP) whose server is
the address KIND names, and prints the path written (by default
build/gen/replay-targets-KIND.pcap, relative to the working directory).
Everything is fixed (addresses, ports, sequence numbers, timestamps), so
the session id relayscope gives it is the same on every run; the file is
written whole and renamed into place, so that two runs at once never
leave a half-written capture for the other.

  KIND            server                     what replay must say
  unspecified     0.0.0.0:25                 unspecified address
  unspecified6    [::]:25                    unspecified address
  broadcast       255.255.255.255:25         broadcast address
  multicast       239.255.0.1:25             multicast address
  mc-link-local   224.0.0.1:25               link-local multicast
  multicast6      [ff0e::1]:25               multicast address
  mc-link-local6  [ff02::1]:25               link-local multicast
  reserved        240.0.0.1:25               reserved address
  this-network    0.1.2.3:25                 reserved ("this network")
  loopback        127.0.0.1:25               loopback, not from a capture
  loopback6       [::1]:25                   loopback, not from a capture
  mapped-loopback [::ffff:127.0.0.1]:25      loopback (IPv4-mapped)
  port-22         198.51.100.25:22           not an SMTP port (read with
                                             --ports 22)
  local           192.0.2.25:25              an address of this machine
                                             where it is one
                                             (tests/run-replay.sh)
  subnet-broadcast 192.0.2.255:25            a local subnet's broadcast
                                             where 192.0.2.0/24 is local

The client is 198.51.100.7 (2001:db8::7 for IPv6 servers) port 40025.
The session is what replay needs: found by its id, with a MAIL FROM and
a RCPT TO in clear.  Only python3's standard library is used.
"""
import ipaddress
import os
import struct
import sys

SERVERS = {
    "unspecified": ("0.0.0.0", 25),
    "unspecified6": ("::", 25),
    "broadcast": ("255.255.255.255", 25),
    "multicast": ("239.255.0.1", 25),
    "mc-link-local": ("224.0.0.1", 25),
    "multicast6": ("ff0e::1", 25),
    "mc-link-local6": ("ff02::1", 25),
    "reserved": ("240.0.0.1", 25),
    "this-network": ("0.1.2.3", 25),
    "loopback": ("127.0.0.1", 25),
    "loopback6": ("::1", 25),
    "mapped-loopback": ("::ffff:127.0.0.1", 25),
    "port-22": ("198.51.100.25", 22),
    "local": ("192.0.2.25", 25),
    "subnet-broadcast": ("192.0.2.255", 25),
}
CLIENT4 = "198.51.100.7"
CLIENT6 = "2001:db8::7"
CLIENT_PORT = 40025
# 2026-12-01T20:00:00Z: a fixed clock, so that the session id is fixed.
T0 = 1796155200
MAC = b"\x02\x00\x00\x00\x00\x25\x02\x00\x00\x00\x00\x07"

SYN, FIN, ACK, PSH = 0x02, 0x01, 0x10, 0x08


def checksum(b):
    """The Internet checksum (RFC 1071)."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


class Pcap:
    """A classic little-endian pcap of Ethernet frames, in memory."""

    def __init__(self):
        self.data = bytearray(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0,
                                          0, 262144, 1))
        self.usec = 0

    def frame(self, payload, ethertype):
        f = MAC + struct.pack("!H", ethertype) + payload
        self.usec += 500
        sec, usec = T0 + self.usec // 1000000, self.usec % 1000000
        self.data += struct.pack("<IIII", sec, usec, len(f), len(f)) + f


def ip_tcp(src, dst, sport, dport, seq, ack, flags, payload):
    """An IPv4 or IPv6 packet carrying one TCP segment; its ethertype."""
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      65535, 0, 0) + payload
    if s.version == 4:
        pseudo = s.packed + d.packed + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000,
                        64, 6, 0, s.packed, d.packed)
        h = h[:10] + struct.pack("!H", checksum(h)) + h[12:]
        return h + tcp, 0x0800
    pseudo = s.packed + d.packed + struct.pack("!IxxxB", len(tcp), 6)
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    h = struct.pack("!IHBB", 0x60000000, len(tcp), 6, 64) + s.packed + \
        d.packed
    return h + tcp, 0x86dd


class Session:
    """One TCP connection, client and server, with sequence numbers kept."""

    def __init__(self, pcap, client, cport, server, sport):
        self.p = pcap
        self.ends = {"c": (client, cport), "s": (server, sport)}
        self.seq = {"c": 1000, "s": 5000}

    def send(self, side, flags, payload=b""):
        """A segment; every one but the first SYN acknowledges the peer."""
        other = "s" if side == "c" else "c"
        (src, sp), (dst, dp) = self.ends[side], self.ends[other]
        ack = self.seq[other] if flags & ACK else 0
        pkt, et = ip_tcp(src, dst, sp, dp, self.seq[side], ack, flags,
                         payload)
        self.p.frame(pkt, et)
        self.seq[side] += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def handshake(self):
        self.send("c", SYN)
        self.send("s", SYN | ACK)
        self.send("c", ACK)

    def say(self, side, line):
        self.send(side, PSH | ACK, line.encode() + b"\r\n")

    def close(self):
        self.send("c", FIN | ACK)
        self.send("s", FIN | ACK)
        self.send("c", ACK)


def smtp_session(pcap, server, sport, client=None, rcpts=("victim@example.org",)):
    """The dialogue replay needs, in clear; rcpts: the recipients."""
    if client is None:
        client = CLIENT6 if ":" in server else CLIENT4
    s = Session(pcap, client, CLIENT_PORT, server, sport)
    s.handshake()
    s.say("s", "220 mx.example.com ESMTP")
    s.say("c", "EHLO client.example.org")
    s.say("s", "250-mx.example.com")
    s.say("s", "250 PIPELINING")
    s.say("c", "MAIL FROM:<sender@example.org>")
    s.say("s", "250 2.1.0 Ok")
    for r in rcpts:
        s.say("c", "RCPT TO:<%s>" % r)
        s.say("s", "250 2.1.5 Ok")
    s.say("c", "QUIT")
    s.say("s", "221 2.0.0 Bye")
    s.close()


def write(path, data):
    """Write whole, then rename into place."""
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in SERVERS:
        sys.exit("usage: replay-targets.py KIND [OUT.pcap]; KIND one of: " +
                 " ".join(SERVERS))
    kind = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) == 3 else \
        "build/gen/replay-targets-%s.pcap" % kind
    p = Pcap()
    smtp_session(p, *SERVERS[kind])
    write(out, bytes(p.data))
    print(out)


if __name__ == "__main__":
    main()
