#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Send one DNS query and wait for the answer (for recipes that need DNS
answers in the capture, as a sending MTA's lookups would put them there).
usage: dns-query.py [--tcp] SERVER NAME TYPE   (TYPE: A, AAAA, MX, PTR)
--tcp asks over TCP (RFC 1035 4.2.2: a two-byte length before each
message), as resolvers do after a truncated UDP answer."""
import socket
import struct
import sys

TYPES = {"A": 1, "PTR": 12, "MX": 15, "AAAA": 28}


def main():
    args = sys.argv[1:]
    tcp = args[0] == "--tcp"
    if tcp:
        args = args[1:]
    server, name, qtype = args[0], args[1], TYPES[args[2]]
    q = struct.pack(">HHHHHH", 0x5253, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    if tcp:
        s = socket.create_connection((server, 53), timeout=5)
        s.sendall(struct.pack(">H", len(q)) + q)
        n = struct.unpack(">H", s.recv(2))[0]
        got = b""
        while len(got) < n:
            chunk = s.recv(n - len(got))
            if not chunk:
                break
            got += chunk
        s.close()
        return
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(q, (server, 53))
    s.recvfrom(4096)


if __name__ == "__main__":
    main()
