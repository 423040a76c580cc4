#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write a capture whose relays carry mail on in connections still open
when the first hop is judged (Postfix's connection cache): the onward
evidence then comes from an open session, which with -j N another worker
reassembles (tests/run-jobs.sh; docs/architecture.md, "Parallel runs").

For each of N relays 198.51.100.(10+i): an onward connection to
203.0.113.(10+i) opens first and stays open; a client 192.0.2.(10+i)
hands the relay a message for a remote recipient; the relay sends the
same envelope and Message-ID on its open connection; 40 s later a NOOP
on it moves the clock past the onward window, which judges the first
session while the onward one is still open; the onward connections
close at 100 s.

  python3 tests/gen/onward-open.py OUT.pcap [N]
"""
import struct
import sys


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000,
                     64, 6, 0, src, dst)
    return b"\0" * 12 + b"\x08\x00" + ip + tcp


class Conn:
    """One TCP connection's frames, each at a time given (microseconds)."""

    def __init__(self, out, cli, srv, cport, sport=25):
        self.out, self.cli, self.srv = out, cli, srv
        self.cport, self.sport = cport, sport
        self.cs, self.ss = 1000, 900000

    def emit(self, t, from_server, flags, payload=b""):
        if from_server:
            f = frame(self.srv, self.cli, self.sport, self.cport, self.ss,
                      self.cs, flags, payload)
        else:
            f = frame(self.cli, self.srv, self.cport, self.sport, self.cs,
                      self.ss, flags, payload)
        self.out.append((t, len(self.out), f))

    def open(self, t):
        self.emit(t, False, 0x02)
        self.cs += 1
        self.emit(t + 100, True, 0x12)
        self.ss += 1
        self.emit(t + 200, False, 0x10)
        return t + 300

    def say(self, t, from_server, data):
        """data, acknowledged 100 us later; the time after."""
        self.emit(t, from_server, 0x18, data)
        if from_server:
            self.ss += len(data)
        else:
            self.cs += len(data)
        self.emit(t + 100, not from_server, 0x10)
        return t + 200

    def dialogue(self, t, steps):
        for from_server, data in steps:
            t = self.say(t, from_server, data)
        return t

    def close(self, t):
        self.emit(t, False, 0x11)
        self.cs += 1
        self.emit(t + 100, True, 0x11)
        self.ss += 1
        self.emit(t + 200, False, 0x10)


def envelope(sender, rcpt, msgid, server_name):
    return [
        (False, b"MAIL FROM:<%s>\r\n" % sender),
        (True, b"250 2.1.0 Ok\r\n"),
        (False, b"RCPT TO:<%s>\r\n" % rcpt),
        (True, b"250 2.1.5 Ok\r\n"),
        (False, b"DATA\r\n"),
        (True, b"354 End data with <CR><LF>.<CR><LF>\r\n"),
        (False, b"Message-ID: <%s>\r\nSubject: hi\r\n\r\nhello\r\n.\r\n"
         % msgid),
        (True, b"250 2.0.0 Ok: queued as %s\r\n" % server_name),
    ]


def main():
    path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    out = []
    s = 1000000
    t0 = 1700000000 * s
    for i in range(n):
        relay = bytes([198, 51, 100, 10 + i])
        client = bytes([192, 0, 2, 10 + i])
        far = bytes([203, 0, 113, 10 + i])
        sender = b"s%d@example.org" % i
        rcpt = b"r%d@far.example" % i
        msgid = b"m%d@example.org" % i
        # The relay's cached connection onward, open first.
        b = Conn(out, relay, far, 41000 + i)
        t = b.open(t0 + 100000 + i * 1000)
        t = b.dialogue(t, [(True, b"220 mx.far.example ESMTP\r\n"),
                           (False, b"EHLO relay%d.example.org\r\n" % i),
                           (True, b"250 mx.far.example\r\n")])
        # The first hop.
        a = Conn(out, client, relay, 40000 + i)
        t = a.open(t0 + 500000 + i * 1000)
        t = a.dialogue(t, [(True, b"220 relay%d.example.org ESMTP\r\n" % i),
                           (False, b"EHLO client%d\r\n" % i),
                           (True, b"250 relay%d.example.org\r\n" % i)]
                       + envelope(sender, rcpt, msgid, b"A%d" % i)
                       + [(False, b"QUIT\r\n"), (True, b"221 Bye\r\n")])
        a.close(t)
        # Onward, on the open connection.
        t = b.dialogue(t0 + 1500000 + i * 1000,
                       envelope(sender, rcpt, msgid, b"B%d" % i))
        if i == 0:
            # The clock past the window, the onward ones still open.
            b.dialogue(t0 + 40 * s, [(False, b"NOOP\r\n"),
                                     (True, b"250 Ok\r\n")])
        b.close(t0 + 100 * s + i * 1000)
    out.sort()
    hdr = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1)
    with open(path, "wb") as f:
        f.write(hdr)
        for t, _, fr in out:
            f.write(struct.pack("<IIII", t // s, t % s, len(fr), len(fr)))
            f.write(fr)


if __name__ == "__main__":
    main()
