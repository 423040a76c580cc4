#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A scripted SMTP client for the failure fixtures: it breaks off sessions
the way real clients and networks do.  Like smtp-client.py it sends
exactly the steps it is given, in order, after reading the greeting.

Steps (one argument each):
  "CMD"        send a command line, wait for its reply (10 s at most)
  "+CMD"       send a command line, do not wait for its reply
  "PART:TEXT"  send TEXT as it is (\\n becomes CRLF), no reply expected
               (part of a DATA body, without the final dot)
  "PAUSE:N"    keep quiet for N seconds, reading nothing
  "NOREPLY:N"  wait N seconds for a reply to the last command; it is an
               error (exit 1) if one comes
  "EOF:N"      read and print whatever the server still sends until it
               closes the connection (N seconds at most; exit 1 if it
               does not close)
  "RST"        end the connection with a reset (SO_LINGER 0, then close)
  "CLOSE"      end the connection with a FIN (an orderly close)
Without RST or CLOSE the connection is closed (FIN) after the last step.
With --greeting-wait N the client waits N seconds for the greeting and
goes on with the steps without one (it is an error if one comes).
Every line sent and received is printed ("C: ", "S: ").
"""
import argparse
import select
import socket
import struct
import sys
import time


class Client:
    def __init__(self, host, port, source):
        self.sock = socket.create_connection((host, port), timeout=10,
                                             source_address=(source, 0))
        self.buf = b""

    def fill(self, timeout):
        """Read what arrives within TIMEOUT s; False once the server has
        closed."""
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return True
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def read_reply(self, timeout=10):
        lines = []
        deadline = time.monotonic() + timeout
        while True:
            while b"\r\n" not in self.buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit("no reply within %g s" % timeout)
                if not self.fill(left):
                    raise SystemExit("server closed the connection")
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode("latin-1"))
            print("S: " + lines[-1])
            if len(line) < 4 or line[3:4] != b"-":
                return lines

    def send(self, data):
        self.sock.sendall(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--server", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--source", default="127.0.0.2")
    ap.add_argument("--greeting-wait", type=float, default=None)
    ap.add_argument("steps", nargs="+")
    a = ap.parse_args()
    c = Client(a.server, a.port, a.source)
    if a.greeting_wait is None:
        c.read_reply()  # greeting
    else:
        end = time.monotonic() + a.greeting_wait
        while time.monotonic() < end:
            if not c.fill(end - time.monotonic()):
                raise SystemExit("server closed the connection")
            if c.buf:
                print("S: " + c.buf.decode("latin-1").rstrip())
                raise SystemExit("a greeting came within %g s"
                                 % a.greeting_wait)
        print("(no greeting after %g s)" % a.greeting_wait)
    for step in a.steps:
        sys.stdout.flush()
        if step.startswith("PART:"):
            text = step[5:].replace("\\n", "\r\n")
            print("C: [%d bytes of body]" % len(text))
            c.send(text.encode("latin-1"))
        elif step.startswith("PAUSE:"):
            time.sleep(float(step[6:]))
        elif step.startswith("NOREPLY:"):
            n = float(step[8:])
            end = time.monotonic() + n
            while time.monotonic() < end:
                if not c.fill(end - time.monotonic()):
                    raise SystemExit("server closed the connection")
                if c.buf:
                    print("S: " + c.buf.decode("latin-1").rstrip())
                    raise SystemExit("a reply came within %g s" % n)
            print("(no reply after %g s)" % n)
        elif step.startswith("EOF:"):
            n = float(step[4:])
            end = time.monotonic() + n
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    raise SystemExit("server did not close within %g s" % n)
                if not c.fill(left):
                    break
            for l in c.buf.split(b"\r\n"):
                if l:
                    print("S: " + l.decode("latin-1"))
            c.buf = b""
            print("(server closed the connection)")
        elif step == "RST":
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                              struct.pack("ii", 1, 0))
            c.sock.close()
            print("(reset)")
            return 0
        elif step.startswith("+"):
            print("C: " + step[1:])
            c.send(step[1:].encode("latin-1") + b"\r\n")
        elif step == "CLOSE":
            break
        else:
            print("C: " + step)
            c.send(step.encode("latin-1") + b"\r\n")
            c.read_reply()
    c.sock.close()
    print("(closed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
