#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A STARTTLS client that gives up on the server's certificate without a
word: it says EHLO and STARTTLS, sends a real ClientHello made by Python's
ssl module (through an ssl.MemoryBIO pair, so the module never touches
the socket), reads the server's first flight up to ServerHelloDone (TLS
1.2 and older; the ClientHello offers at most TLS 1.2) and closes the
connection with a FIN: no alert, no ChangeCipherSpec, nothing more.
Prints what it sent and received; exits 1 if the server's flight did not
end in ServerHelloDone within 10 s.
    usage: tls-hello-client.py [--server H] [--port P] [--source S]
                               [--ehlo NAME] [--sni NAME]"""
import argparse
import socket
import ssl
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--source", default="127.0.0.2")
    ap.add_argument("--ehlo", default="client.example.org")
    ap.add_argument("--sni", default="mail.example.test")
    a = ap.parse_args()
    s = socket.create_connection((a.server, a.port), timeout=10,
                                 source_address=(a.source, 0))
    f = s.makefile("rb")

    def reply():
        while True:
            line = f.readline()
            if not line:
                sys.exit("server closed")
            print("S: " + line.decode("ascii", "replace").rstrip())
            if line[3:4] != b"-":
                return line[:3]

    def cmd(text):
        print("C: " + text)
        s.sendall(text.encode() + b"\r\n")
        return reply()

    if reply() != b"220" or cmd("EHLO " + a.ehlo) != b"250" or \
            cmd("STARTTLS") != b"220":
        sys.exit("no STARTTLS")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, out, server_hostname=a.sni)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    print("C: [ClientHello, %d bytes]" % len(hello))
    # The makefile buffer is empty: the 220 was the last thing before TLS.
    s.sendall(hello)
    buf = b""
    hs = b""
    types = []
    deadline = time.monotonic() + 10
    while 14 not in types:
        if time.monotonic() > deadline:
            sys.exit("no ServerHelloDone")
        data = s.recv(65536)
        if not data:
            sys.exit("server closed")
        buf += data
        while len(buf) >= 5 and len(buf) >= 5 + int.from_bytes(buf[3:5],
                                                               "big"):
            n = int.from_bytes(buf[3:5], "big")
            rtype, body, buf = buf[0], buf[5:5 + n], buf[5 + n:]
            if rtype != 22:
                sys.exit("record type %d from the server" % rtype)
            hs += body
            while len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4],
                                                                 "big"):
                m = int.from_bytes(hs[1:4], "big")
                types.append(hs[0])
                hs = hs[4 + m:]
    names = {2: "ServerHello", 11: "Certificate", 12: "ServerKeyExchange",
             13: "CertificateRequest", 14: "ServerHelloDone"}
    print("S: [%s]" % ", ".join(names.get(t, str(t)) for t in types))
    s.close()
    print("(closed, no alert)")


if __name__ == "__main__":
    main()
