#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Re-wrap every frame of a recorded capture in one link layer or tunnel,
as mirrored traffic arrives (SPAN/ERSPAN sessions, VXLAN fabrics, MPLS
cores, PPPoE access links).  The SMTP inside is unchanged, so relayscope's
analysis of the result must equal its analysis of the input: the input
is the ground truth.

usage: encap.py IN.pcap OUT_DIR [KIND...]
Writes OUT_DIR/KIND.pcap for each KIND (default: all of them):
  qinq       802.1ad + 802.1Q tags            mpls     two MPLS labels
  pppoe      PPPoE session                    gre      GRE, IP inside
  gre-opts   GRE with checksum, key, sequence teb      GRE, Ethernet inside
  erspan1    ERSPAN type I                    erspan2  ERSPAN type II
  erspan3    ERSPAN type III with subheader   vxlan    VXLAN on UDP 4789
  ip-in-ip   IPv4 or IPv6 in IPv4 (proto 4/41)
  ip-in-ip6  IPv4 or IPv6 in IPv6
  nested     VXLAN in GRE in QinQ
The input must be Ethernet (DLT_EN10MB), as tcpdump -i lo writes it."""
import os
import struct
import sys

KINDS = ["qinq", "mpls", "pppoe", "gre", "gre-opts", "teb", "erspan1",
         "erspan2", "erspan3", "vxlan", "ip-in-ip", "ip-in-ip6", "nested"]
MAC = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"


def read_pcap(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xa1b2c3d4, 0xa1b23c4d):
        sys.exit("%s: not a little-endian pcap file" % path)
    if struct.unpack("<I", data[20:24])[0] != 1:
        sys.exit("%s: not Ethernet" % path)
    off, out = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        out.append((sec, frac, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return data[:24], out


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(proto, payload, src="10.9.0.1", dst="10.9.0.2"):
    a = bytes(int(x) for x in src.split("."))
    b = bytes(int(x) for x in dst.split("."))
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000,
                    64, proto, 0, a, b)
    return h[:10] + struct.pack("!H", checksum(h)) + h[12:] + payload


def ipv6(nh, payload):
    src = bytes.fromhex("20010db8000000000000000000000a01")
    dst = bytes.fromhex("20010db8000000000000000000000a02")
    return struct.pack("!IHBB", 0x60000000, len(payload), nh, 64) + src + \
        dst + payload


def ether(ethertype, payload):
    return MAC + struct.pack("!H", ethertype) + payload


def split(frame):
    """(ethertype, L3 bytes) of a plain Ethernet frame."""
    return struct.unpack("!H", frame[12:14])[0], frame[14:]


def proto_of(ethertype):
    return 4 if ethertype == 0x0800 else 41


def gre(proto, payload, flags=0, extra=b""):
    return struct.pack("!HH", flags, proto) + extra + payload


def wrap(kind, frame, n):
    et, l3 = split(frame)
    if et not in (0x0800, 0x86dd):
        return frame
    if kind == "qinq":
        return MAC + struct.pack("!HHHH", 0x88a8, 100, 0x8100, 200) + \
            struct.pack("!H", et) + l3
    if kind == "mpls":
        return ether(0x8847, struct.pack("!II", 1000 << 12 | 64,
                                         2000 << 12 | 1 << 8 | 64) + l3)
    if kind == "pppoe":
        ppp = 0x0021 if et == 0x0800 else 0x0057
        return ether(0x8864, struct.pack("!BBHHH", 0x11, 0, 0x1234,
                                         len(l3) + 2, ppp) + l3)
    if kind == "gre":
        return ether(0x0800, ipv4(47, gre(et, l3)))
    if kind == "gre-opts":
        extra = struct.pack("!HHII", 0, 0, 42, n)  # checksum, key, sequence
        return ether(0x0800, ipv4(47, gre(et, l3, 0xb000, extra)))
    if kind == "teb":
        return ether(0x0800, ipv4(47, gre(0x6558, frame)))
    if kind == "erspan1":
        return ether(0x0800, ipv4(47, gre(0x88be, frame)))
    if kind == "erspan2":
        hdr = struct.pack("!II", 1 << 28 | 7, 0)  # version 1, session 7
        return ether(0x0800, ipv4(47, gre(0x88be, hdr + frame, 0x1000,
                                          struct.pack("!I", n))))
    if kind == "erspan3":
        hdr = struct.pack("!IIHBB", 2 << 28, n, 0, 0, 0x01)  # O bit set
        sub = b"\0" * 8  # platform-specific subheader
        return ether(0x0800, ipv4(47, gre(0x22eb, hdr + sub + frame, 0x1000,
                                          struct.pack("!I", n))))
    if kind == "vxlan":
        vx = struct.pack("!II", 0x08000000, 5001 << 8) + frame
        udp = struct.pack("!HHHH", 49152, 4789, 8 + len(vx), 0) + vx
        return ether(0x0800, ipv4(17, udp))
    if kind == "ip-in-ip":
        return ether(0x0800, ipv4(proto_of(et), l3))
    if kind == "ip-in-ip6":
        return ether(0x86dd, ipv6(proto_of(et), l3))
    if kind == "nested":
        vx = struct.pack("!II", 0x08000000, 5001 << 8) + frame
        udp = struct.pack("!HHHH", 49152, 4789, 8 + len(vx), 0) + vx
        inner = ipv4(17, udp, "10.8.0.1", "10.8.0.2")
        outer = ipv4(47, gre(0x0800, inner))
        return MAC + struct.pack("!HHHH", 0x88a8, 10, 0x8100, 20) + \
            struct.pack("!H", 0x0800) + outer
    sys.exit("unknown kind %s" % kind)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    header, frames = read_pcap(sys.argv[1])
    kinds = sys.argv[3:] or KINDS
    header = header[:16] + struct.pack("<I", 262144) + header[20:]
    for kind in kinds:
        with open(os.path.join(sys.argv[2], kind + ".pcap"), "wb") as f:
            f.write(header)
            for n, (sec, frac, frame) in enumerate(frames):
                w = wrap(kind, frame, n)
                f.write(struct.pack("<IIII", sec, frac, len(w), len(w)) + w)


if __name__ == "__main__":
    main()
