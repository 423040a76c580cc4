#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Send one DNS query over UDP and wait for the answer (for recipes that
need DNS answers in the capture, as a sending MTA's lookups would put
them there).   usage: dns-query.py SERVER NAME TYPE   (TYPE: A, MX, PTR)"""
import socket
import struct
import sys

TYPES = {"A": 1, "PTR": 12, "MX": 15, "AAAA": 28}


def main():
    server, name, qtype = sys.argv[1], sys.argv[2], TYPES[sys.argv[3]]
    q = struct.pack(">HHHHHH", 0x5253, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(q, (server, 53))
    s.recvfrom(4096)


if __name__ == "__main__":
    main()
