#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A Postfix policy service (SMTPD access policy delegation) on
127.0.0.1:PORT that answers "action=DUNNO" at once, except for the
recipient given as second argument: for that one it sleeps, so that
smtpd never answers the RCPT while the client waits.  For the failure
fixtures; it runs until it is stopped.  Arguments: PORT RECIPIENT."""
import socketserver
import sys
import time


class Policy(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            attrs = {}
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                k, _, v = line.decode("latin-1").partition("=")
                attrs[k] = v
            if attrs.get("recipient") == sys.argv[2]:
                time.sleep(3600)
            self.wfile.write(b"action=DUNNO\n\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("127.0.0.1", int(sys.argv[1])), Policy).serve_forever()
