#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Prove that a running tcpdump records: send a marker datagram over the
loopback and wait until tcpdump has written it to its file.
usage: capture-mark.py FILE TOKEN PID [SECONDS]

The datagram goes from 127.0.0.1 port 9 to the same socket (so no ICMP
error follows it), carrying TOKEN; the capture filter of rs_capture_start
also matches "udp and host 127.0.0.1 and port 9", and rs_capture_stop
removes those datagrams from the recording again.  The marker is re-sent
every 50 ms until TOKEN appears in FILE (tcpdump -U writes every packet
at once), until tcpdump (PID) is gone, or until SECONDS (default 20) have
passed: exit 0 when it was written, 1 if not."""
import socket
import sys
import time


def running(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main():
    path, token = sys.argv[1], sys.argv[2].encode()
    pid = int(sys.argv[3])
    limit = float(sys.argv[4]) if len(sys.argv) > 4 else 20.0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 9))
    deadline = time.monotonic() + limit
    seen = 0
    while True:
        s.sendto(token, ("127.0.0.1", 9))
        time.sleep(0.05)
        try:
            with open(path, "rb") as f:
                f.seek(max(seen - len(token), 0))
                data = f.read()
                seen = f.tell()
        except OSError:
            data = b""
        if token in data:
            return 0
        if not running(pid):
            print(f"capture-mark: tcpdump (pid {pid}) is not running",
                  file=sys.stderr)
            return 1
        if time.monotonic() > deadline:
            print(f"capture-mark: {token.decode()} not in {path} after "
                  f"{limit:g} s", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
