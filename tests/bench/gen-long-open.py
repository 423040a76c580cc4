#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write a capture in which one SMTP session stays open for the whole file
while SESSIONS others begin and end, each with RCPTS recipients of about
LINE bytes: every record after the first waits for it to end, which is
what the reorder buffer's bound (8 MiB, counted as allocated) is for.
OPEN sessions (default 1) are opened first; with "open" as the last
argument they are never closed (the capture ends them), else they end
after all the others.
Hand-built like gen-concurrent.py (its frames and sessions).
    usage: gen-long-open.py OUT [SESSIONS [RCPTS [LINE [OPEN [open]]]]]"""
import importlib.util
import os
import struct
import sys

spec = importlib.util.spec_from_file_location(
    "gen_concurrent", os.path.join(os.path.dirname(__file__),
                                   "gen-concurrent.py"))
gc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gc)


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    rcpts = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    line = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    n_open = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    unended = len(sys.argv) > 6 and sys.argv[6] == "open"
    t = [1700000000 * 1000000]
    with open(out, "wb") as w:
        w.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

        def put(f):
            t[0] += 1000  # 1 ms: the file spans minutes, past the
            # onward window, so finished records reach the reorder buffer
            w.write(struct.pack("<IIII", t[0] // 1000000, t[0] % 1000000,
                                len(f), len(f)))
            w.write(f)

        first = [gc.Session(k) for k in range(n_open)]
        for x in first:
            x.start(put)
        for k in range(n_open, n + n_open):
            x = gc.Session(k)
            x.start(put)
            put(x.c(0x18, b"MAIL FROM:<sender@example.org>\r\n"))
            put(x.s(0x18, b"250 2.1.0 Ok\r\n"))
            for r in range(rcpts):
                user = ("u%d-%d-" % (k, r)).encode()
                user += b"x" * max(1, line - len(user) - 30)
                put(x.c(0x18, b"RCPT TO:<" + user + b"@mx.example.net>\r\n"))
                put(x.s(0x18, b"250 2.1.5 Ok\r\n"))
            x.end(put)
        if not unended:
            for x in first:
                x.end(put)


if __name__ == "__main__":
    main()
