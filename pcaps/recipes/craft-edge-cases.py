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


if __name__ == "__main__":
    main()
