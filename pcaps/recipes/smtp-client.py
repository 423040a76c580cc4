#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A small scripted SMTP client for fixture recipes.

It sends exactly the steps it is given, in order, and waits for the
server's reply after each step unless the step is part of a pipelined
group.  Used where swaks cannot go: RSET and several transactions in one
session, BDAT chunks, deliberate protocol oddities.

Steps (one argument each):
  "CMD"            send a command line, wait for its reply
  "+CMD"           send a command line without waiting (pipelining);
                   the replies of a +group are read at the next plain step
                   or at "WAIT"
  "WAIT"           read the replies owed so far
  "SLEEP:N"        read what is owed, then keep the connection open N s
  "BODY:TEXT"      send a DATA body (\\n becomes CRLF, dots are stuffed)
                   and the final ".", then wait for the reply
  "BDAT:TEXT"      send "BDAT len" + TEXT (no waiting: RFC 3030 chunks)
  "BDATLAST:TEXT"  send "BDAT len LAST" + TEXT, then read all replies
  "BODYFILE:PATH"  send the message in file PATH as a DATA body: its
                   bytes exactly, dot-stuffed, and the final "."; then
                   wait for the reply.  PATH must have CRLF line ends
                   only and end with one (or DATA could not carry it
                   exactly: the client refuses it)
  "BDATFILE:CUTS:PATH"
                   send the message in file PATH as BDAT chunks, cut at
                   the byte offsets CUTS (comma-separated, ascending, may
                   be empty; an offset equal to the file's size makes the
                   last chunk empty), the last as "BDAT len LAST"; the
                   bytes exactly, and the reply to each chunk read before
                   the next is sent (so that each chunk is a segment of
                   its own, in every recording)

TEXT (BODY:, BDAT:, BDATLAST:) comes from the command line: each "\\n"
in it becomes CRLF (so a backslash followed by "n" cannot be sent), and
it is encoded as Latin-1, so it cannot hold NUL or anything beyond
U+00FF, and UTF-8 text in it arrives as whatever the locale's decoding
of the argument made of it (or fails).  BODYFILE: and BDATFILE: send any
bytes, exactly.
"""
import argparse
import socket
import sys
import time


class Client:
    def __init__(self, host, port, source):
        self.sock = socket.create_connection((host, port), timeout=10,
                                             source_address=(source, 0))
        self.buf = b""
        self.owed = 0

    def read_reply(self):
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise SystemExit("server closed the connection")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode("latin-1"))
            if len(line) < 4 or line[3:4] != b"-":
                break
        for l in lines:
            print("S: " + l)
        return lines

    def settle(self):
        while self.owed > 0:
            self.read_reply()
            self.owed -= 1

    def send(self, data):
        self.sock.sendall(data)

    def command(self, line, wait=True):
        print("C: " + line)
        self.send(line.encode("latin-1") + b"\r\n")
        self.owed += 1
        if wait:
            self.settle()


def stuff(text):
    out = []
    for l in text.split("\n"):
        out.append("." + l if l.startswith(".") else l)
    return ("\r\n".join(out) + "\r\n").encode("latin-1")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--server", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--source", default="127.0.0.2")
    ap.add_argument("steps", nargs="+")
    a = ap.parse_args()
    c = Client(a.server, a.port, a.source)
    c.read_reply()  # greeting
    for step in a.steps:
        if step == "WAIT":
            c.settle()
        elif step.startswith("SLEEP:"):
            c.settle()
            sys.stdout.flush()
            time.sleep(float(step[6:]))
        elif step.startswith("BODY:"):
            c.settle()
            c.send(stuff(step[5:].replace("\\n", "\n")) + b".\r\n")
            c.owed += 1
            c.settle()
        elif step.startswith("BDAT:"):
            data = step[5:].replace("\\n", "\r\n").encode("latin-1")
            print("C: BDAT %d" % len(data))
            c.send(b"BDAT %d\r\n" % len(data) + data)
            c.owed += 1
        elif step.startswith("BDATLAST:"):
            data = step[9:].replace("\\n", "\r\n").encode("latin-1")
            print("C: BDAT %d LAST" % len(data))
            c.send(b"BDAT %d LAST\r\n" % len(data) + data)
            c.owed += 1
            c.settle()
        elif step.startswith("BODYFILE:"):
            with open(step[9:], "rb") as f:
                data = f.read()
            lone = data.replace(b"\r\n", b"")
            if not data.endswith(b"\r\n") or b"\r" in lone or b"\n" in lone:
                raise SystemExit("%s: not CRLF lines ending in CRLF" %
                                 step[9:])
            c.settle()
            print("C: [%s: %d bytes]" % (step[9:], len(data)))
            lines = data[:-2].split(b"\r\n")
            c.send(b"".join(b"." + l + b"\r\n" if l.startswith(b".")
                            else l + b"\r\n" for l in lines) + b".\r\n")
            c.owed += 1
            c.settle()
        elif step.startswith("BDATFILE:"):
            cuts, path = step[9:].split(":", 1)
            with open(path, "rb") as f:
                data = f.read()
            offs = [int(x) for x in cuts.split(",") if x]
            if offs != sorted(offs) or any(o < 0 or o > len(data)
                                           for o in offs):
                raise SystemExit("%s: bad cuts %s" % (path, cuts))
            c.settle()
            ends = offs + [len(data)]
            starts = [0] + offs
            for i, (a, b) in enumerate(zip(starts, ends)):
                last = b" LAST" if i == len(ends) - 1 else b""
                print("C: BDAT %d%s [%s bytes %d-%d]" %
                      (b - a, last.decode(), path, a, b))
                c.send(b"BDAT %d%s\r\n" % (b - a, last) + data[a:b])
                c.owed += 1
                c.settle()
        elif step.startswith("+"):
            c.command(step[1:], wait=False)
        else:
            c.command(step)
    c.sock.close()


if __name__ == "__main__":
    sys.exit(main())
