#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Derive the edge-case captures that no real program records from the
recorded fixtures, byte for byte and reproducibly:

  rotated-1.pcap, rotated-2.pcap  postfix-rset-multi.pcap cut in two at
                                  packet 20, as a capture rotated mid-session
  bad-truncated.pcap              postfix-ehlo-delivery.pcap cut in the middle
                                  of its 15th record
  bad-linktype.pcap               postfix-ehlo-delivery.pcap relabelled as
                                  IEEE 802.11 (link type 105)
  bad-not-a-capture.pcap          a text file
  bad-truncated.pcapng            postfix-mixed-linktypes.pcapng cut in the
                                  middle of its 12th block
  bad-linktype-iface.pcapng       postfix-mixed-linktypes.pcapng with its
                                  second interface relabelled as IEEE
                                  802.11 (link type 105)
  bad-linktype-only.pcapng        postfix-ehlo-delivery.pcap as pcapng whose
                                  only interface is IEEE 802.11 (105): the
                                  twin of bad-linktype.pcap
  edge-tsoffset-max.pcapng        postfix-helo.pcap as pcapng whose interface
                                  has if_tsoffset 2^63 - 1 seconds
  edge-tsoffset-min.pcapng        ... if_tsoffset -2^63 seconds
  edge-tsresol-seconds.pcapng     ... if_tsresol 0 (one unit a second), its
                                  microsecond times left as they were: the
                                  year 56 million
  edge-time-backwards.pcap        postfix-helo.pcap whose packets from the
                                  ninth on are stamped 1700000000 s earlier
  edge-time-after-2038.pcap       postfix-helo.pcap stamped 2^31 s later, in
                                  2094: seconds past 2^31 - 1 (the pcap field
                                  is unsigned)
  edge-starttls-plaintext.pcap    what a capture behind a TLS-terminating
                                  proxy holds: postfix-starttls.pcap's
                                  second session up to the server's 220 to
                                  STARTTLS, then postfix-ehlo-delivery.pcap's
                                  dialogue from its EHLO on, in clear; the
                                  segments' bytes as recorded, sequence
                                  numbers and times made anew

Run from anywhere: python3 pcaps/recipes/craft-edge-cases.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
PCAPS = os.path.dirname(HERE)


def records(path):
    data = open(os.path.join(PCAPS, path), "rb").read()
    assert data[:4] == b"\xd4\xc3\xb2\xa1", "little-endian classic pcap expected"
    hdr, off, out = data[:24], 24, []
    while off < len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        out.append(data[off:off + 16 + incl])
        off += 16 + incl
    return hdr, out


def blocks(path):
    data = open(os.path.join(PCAPS, path), "rb").read()
    assert data[8:12] == b"\x4d\x3c\x2b\x1a", "little-endian pcapng expected"
    off, out = 0, []
    while off < len(data):
        n = struct.unpack("<I", data[off + 4:off + 8])[0]
        out.append(data[off:off + n])
        off += n
    return out


def pcapng_block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def pcapng_option(code, value):
    return (struct.pack("<HH", code, len(value)) + value +
            b"\0" * (-len(value) % 4))


def as_pcapng(path, linktype=None, tsresol=None, tsoffset=None):
    """A little-endian classic pcap as one pcapng section with one
    interface (its link type, or linktype), its records as Enhanced Packet
    Blocks whose times are the records' microseconds, unchanged, and the
    interface options given (if_tsresol 9, if_tsoffset 14)."""
    hdr, recs = records(path)
    opts = b""
    if tsresol is not None:
        opts += pcapng_option(9, bytes([tsresol]))
    if tsoffset is not None:
        opts += pcapng_option(14, struct.pack("<q", tsoffset))
    if opts:
        opts += pcapng_option(0, b"")
    dlt = struct.unpack("<I", hdr[20:24])[0] if linktype is None else linktype
    out = pcapng_block(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1, 0, -1))
    out += pcapng_block(1, struct.pack("<HHI", dlt, 0, 0) + opts)
    for r in recs:
        sec, usec, incl, orig = struct.unpack("<IIII", r[:16])
        t = sec * 1000000 + usec
        out += pcapng_block(6, struct.pack("<IIIII", 0, t >> 32,
                                           t & 0xffffffff, incl, orig) +
                            r[16:])
    return out


def segments(path, server_port=25):
    """The payloads of a fixture's TCP segments: [(conn, from_server,
    bytes)], conn the client's port."""
    _, recs = records(path)
    out = []
    for r in recs:
        f = r[16:]
        ip = f[14:]
        hl = (ip[0] & 15) * 4
        if ip[9] != 6:
            continue
        t = ip[hl:]
        sp, dp = struct.unpack("!HH", t[:4])
        pl = t[(t[12] >> 4) * 4:]
        if pl and server_port in (sp, dp):
            out.append((dp if sp == server_port else sp, sp == server_port,
                        bytes(pl)))
    return out


def tcp_frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000,
                     64, 6, 0, src, dst)
    return (b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00"
            + ip + tcp)


def dialogue_capture(steps, t0, cli=b"\x7f\0\0\x02", srv=b"\x7f\0\0\x01",
                     cport=40000, sport=25):
    """A pcap of one connection: handshake, each (from_server, bytes)
    step acknowledged by the other side, FINs."""
    hdr = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1)
    cs, ss, t, out = 1000, 900000, t0, []

    def emit(from_server, flags, payload=b""):
        nonlocal t
        if from_server:
            f = tcp_frame(srv, cli, sport, cport, ss, cs, flags, payload)
        else:
            f = tcp_frame(cli, srv, cport, sport, cs, ss, flags, payload)
        out.append(struct.pack("<IIII", t // 1000000, t % 1000000, len(f),
                               len(f)) + f)
        t += 200
    emit(False, 0x02)
    cs += 1
    emit(True, 0x12)
    ss += 1
    emit(False, 0x10)
    for from_server, data in steps:
        emit(from_server, 0x18, data)
        if from_server:
            ss += len(data)
        else:
            cs += len(data)
        emit(not from_server, 0x10)
    emit(False, 0x11)
    cs += 1
    emit(True, 0x11)
    ss += 1
    emit(False, 0x10)
    return hdr + b"".join(out)


def write(name, data):
    with open(os.path.join(PCAPS, name), "wb") as f:
        f.write(data)
    print("wrote pcaps/%s (%d bytes)" % (name, len(data)))


def main():
    hdr, recs = records("postfix-rset-multi.pcap")
    write("rotated-1.pcap", hdr + b"".join(recs[:20]))
    write("rotated-2.pcap", hdr + b"".join(recs[20:]))

    hdr, recs = records("postfix-ehlo-delivery.pcap")
    whole = hdr + b"".join(recs[:14])
    write("bad-truncated.pcap", whole + recs[14][:16 + 30])
    write("bad-linktype.pcap",
          hdr[:20] + struct.pack("<I", 105) + b"".join(recs))
    write("bad-not-a-capture.pcap",
          b"This is not a capture file.\nIt is text.\n")

    blk = blocks("postfix-mixed-linktypes.pcapng")
    write("bad-truncated.pcapng", b"".join(blk[:11]) + blk[11][:40])
    idbs = [i for i, b in enumerate(blk) if b[:4] == b"\x01\0\0\0"]
    b = bytearray(blk[idbs[1]])
    b[8:10] = struct.pack("<H", 105)
    blk[idbs[1]] = bytes(b)
    write("bad-linktype-iface.pcapng", b"".join(blk))

    write("bad-linktype-only.pcapng",
          as_pcapng("postfix-ehlo-delivery.pcap", linktype=105))
    write("edge-tsoffset-max.pcapng",
          as_pcapng("postfix-helo.pcap", tsoffset=2 ** 63 - 1))
    write("edge-tsoffset-min.pcapng",
          as_pcapng("postfix-helo.pcap", tsoffset=-2 ** 63))
    write("edge-tsresol-seconds.pcapng",
          as_pcapng("postfix-helo.pcap", tsresol=0))
    hdr, recs = records("postfix-helo.pcap")
    back = []
    for i, r in enumerate(recs):
        if i >= 8:
            sec = struct.unpack("<I", r[:4])[0] - 1700000000
            r = struct.pack("<I", sec) + r[4:]
        back.append(r)
    write("edge-time-backwards.pcap", hdr + b"".join(back))
    later = [struct.pack("<I", struct.unpack("<I", r[:4])[0] + 2 ** 31) +
             r[4:] for r in recs]
    write("edge-time-after-2038.pcap", hdr + b"".join(later))

    tls = segments("postfix-starttls.pcap")
    conn = [c for c, _, _ in tls][-1]
    tls = [(fs, b) for c, fs, b in tls if c == conn]
    upto = next(i for i, (fs, b) in enumerate(tls)
                if fs and b.startswith(b"220 2.0.0"))
    plain = [(fs, b) for _, fs, b in segments("postfix-ehlo-delivery.pcap")]
    ehlo = next(i for i, (fs, b) in enumerate(plain)
                if not fs and b.startswith(b"EHLO"))
    write("edge-starttls-plaintext.pcap",
          dialogue_capture(tls[:upto + 1] + plain[ehlo:],
                           1764633600 * 1000000))


if __name__ == "__main__":
    main()
