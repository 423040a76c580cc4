#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write a capture of SESSIONS SMTP sessions, CONCURRENCY of them open at
any moment, for the benchmark; and beside it OUT.expect.json, what the
capture holds (sessions, transactions, recipients and their replies,
payload bytes), so that the benchmark can check the analysis found it all.

Each of CONCURRENCY slots runs sessions one after another; the slots take
turns, one packet each, 100 us of capture time per packet.  A session's
rate is then one per packet count * 100 us, whatever the concurrency: the
files differ in how many sessions are open, not in how fast they come.
Every session: handshake, greeting, EHLO, one transaction (two in every
tenth session), 1-4 recipients each (the last refused as relaying in
some), DATA with a message of 4-11 lines, QUIT, FINs.  All deterministic
from the session's number.  Each session has its own client address.
Hand-built frames, checksums valid.  With --long-open, one more session
(a greeting, EHLO, MAIL and one RCPT) is opened before all others and
ended after them: every later record waits for it.

    usage: gen-sessions.py [--long-open] OUT SESSIONS CONCURRENCY"""
import json
import os
import struct
import sys

SERVER = bytes([192, 0, 2, 25])
ETH = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00"
STEP_US = 100
SYN, FIN, PSH_ACK, ACK, SYN_ACK, FIN_ACK = 0x02, 0x11, 0x18, 0x10, 0x12, 0x11


def csum(b):
    """The Internet checksum of b: the ones' complement sum of its 16-bit
    words is congruent to b, read as one big integer, modulo 0xFFFF
    (2^16 = 1 mod 0xFFFF), which int.from_bytes computes at C speed."""
    if len(b) % 2:
        b += b"\0"
    s = int.from_bytes(b, "big") % 0xFFFF
    return 0xFFFF - s if s else 0


def frame(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x50, flags,
                      65535, 0, 0) + payload
    c = csum(src + dst + struct.pack("!HH", 6, len(tcp)) + tcp)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64,
                     6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ETH + ip + tcp[:16] + struct.pack("!H", c) + tcp[18:]


def dialogue(k, long_open=False):
    """The steps of session k: (from_client, flags, payload), or None
    where the long-open session waits for all the others."""
    c, s = True, False
    yield c, SYN, b""
    yield s, SYN_ACK, b""
    yield c, ACK, b""
    yield s, PSH_ACK, b"220 mx.example.net ESMTP\r\n"
    yield c, PSH_ACK, b"EHLO client%d.example.org\r\n" % k
    yield s, PSH_ACK, (b"250-mx.example.net\r\n250-PIPELINING\r\n"
                       b"250-SIZE 10240000\r\n250 8BITMIME\r\n")
    if long_open:
        yield c, PSH_ACK, b"MAIL FROM:<slow@example.org>\r\n"
        yield s, PSH_ACK, b"250 2.1.0 Ok\r\n"
        yield c, PSH_ACK, b"RCPT TO:<postmaster@example.net>\r\n"
        yield s, PSH_ACK, b"250 2.1.5 Ok\r\n"
        yield None  # the others go by here
    else:
        for j in range(2 if k % 10 == 9 else 1):
            yield from transaction(k, j)
    yield c, PSH_ACK, b"QUIT\r\n"
    yield s, PSH_ACK, b"221 2.0.0 Bye\r\n"
    yield c, FIN, b""
    yield s, FIN_ACK, b""
    yield c, ACK, b""


def transaction(k, j):
    c, s = True, False
    nr = 1 + (k + j) % 4
    sender = b"sender%d@example.org" % k
    yield c, PSH_ACK, b"MAIL FROM:<" + sender + b"> SIZE=%d\r\n" % (600 + k % 500)
    yield s, PSH_ACK, b"250 2.1.0 Ok\r\n"
    rcpts = []
    for r in range(nr):
        if r == nr - 1 and nr > 1 and k % 7 == 3:
            yield c, PSH_ACK, b"RCPT TO:<user%d@elsewhere.example>\r\n" % k
            yield s, PSH_ACK, (b"554 5.7.1 <user%d@elsewhere.example>: "
                               b"Relay access denied\r\n" % k)
        else:
            a = b"user%d-%d-%d@example.net" % (k, j, r)
            rcpts.append(a)
            yield c, PSH_ACK, b"RCPT TO:<" + a + b">\r\n"
            yield s, PSH_ACK, b"250 2.1.5 Ok\r\n"
    yield c, PSH_ACK, b"DATA\r\n"
    yield s, PSH_ACK, b"354 End data with <CR><LF>.<CR><LF>\r\n"
    body = [b"From: <" + sender + b">",
            b"To: <" + rcpts[0] + b">",
            b"Subject: benchmark message %d.%d" % (k, j),
            b"Message-ID: <%d.%d@client%d.example.org>" % (k, j, k),
            b"Date: Tue, 14 Nov 2023 22:13:20 +0000",
            b""]
    for i in range(4 + k % 8):
        body.append(b"line %d of message %d.%d: the quick brown fox jumps "
                    b"over the lazy dog" % (i, k, j))
    yield c, PSH_ACK, b"\r\n".join(body) + b"\r\n.\r\n"
    yield s, PSH_ACK, b"250 2.0.0 Ok: queued as %X%02d\r\n" % (k, j)


def count(expect, k, long_open=False):
    expect["sessions"] += 1
    if long_open:
        expect["transactions"] += 1
        expect["recipients"] += 1
        expect["recipients_2xx"] += 1
        return
    for j in range(2 if k % 10 == 9 else 1):
        nr = 1 + (k + j) % 4
        expect["transactions"] += 1
        expect["recipients"] += nr
        if nr > 1 and k % 7 == 3:
            expect["recipients_5xx"] += 1
            expect["recipients_2xx"] += nr - 1
        else:
            expect["recipients_2xx"] += nr


def session(k, expect, long_open=False):
    """The frames of session k, one at a time (None: a pause)."""
    cli = bytes([10, 64 + (k >> 16), (k >> 8) & 255, k & 255])
    port = 1024 + k % 60000
    cseq, sseq = 1000 + k, 5000 + 7 * k
    count(expect, k, long_open)
    for step in dialogue(k, long_open):
        if step is None:
            yield None
            continue
        from_client, flags, data = step
        expect["payload_bytes"] += len(data)
        if from_client:
            f = frame(cli, SERVER, port, 25, cseq, sseq if flags != SYN else 0,
                      flags, data)
            cseq += len(data) + (1 if flags & 3 else 0)
        else:
            f = frame(SERVER, cli, 25, port, sseq, cseq, flags, data)
            sseq += len(data) + (1 if flags & 3 else 0)
        yield f


def main():
    args = sys.argv[1:]
    long_open = args[:1] == ["--long-open"]
    if long_open:
        args = args[1:]
    if len(args) != 3:
        sys.exit(__doc__.rsplit("\n", 1)[-1].strip())
    out, n, conc = args[0], int(args[1]), int(args[2])
    expect = dict(sessions=0, transactions=0, recipients=0,
                  recipients_2xx=0, recipients_5xx=0, payload_bytes=0)
    state = {"next": 0, "t": 1700000000 * 1000000}
    buf = []

    def put(f):
        state["t"] += STEP_US
        t = state["t"]
        buf.append(struct.pack("<IIII", t // 1000000, t % 1000000,
                               len(f), len(f)))
        buf.append(f)

    def slot():
        while state["next"] < n:
            k = state["next"]
            state["next"] += 1
            yield from session(k + 1, expect)

    tmp = out + ".tmp"
    with open(tmp, "wb") as w:
        w.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        slow = session(0, expect, True) if long_open else None
        if slow is not None:
            for f in slow:
                if f is None:
                    break
                put(f)
        slots = [slot() for _ in range(conc)]
        while slots:
            alive = []
            for g in slots:
                f = next(g, None)
                if f is not None:
                    put(f)
                    alive.append(g)
            slots = alive
            if len(buf) > 20000:
                w.write(b"".join(buf))
                buf.clear()
        if slow is not None:
            for f in slow:
                put(f)
        w.write(b"".join(buf))
    with open(out + ".expect.json.tmp", "w") as e:
        json.dump(expect, e, indent=1)
        e.write("\n")
    os.replace(out + ".expect.json.tmp", out + ".expect.json")
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
