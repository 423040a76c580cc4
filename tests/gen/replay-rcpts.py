#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A crafted capture of one session with many recipients, for the
--max-rcpts cap of relayscope replay.

  replay-rcpts.py OUT.pcap [N]

writes one complete SMTP session (as tests/gen/replay-targets.py writes
them) from 198.51.100.7 to 198.51.100.25:25 with N recipients (default
10000), rcpt-00001@example.com to rcpt-N@example.com, each accepted, in
one transaction.  relayscope's record of a session keeps a bounded part
of so many commands; the session's recipient count is of all of them.
Only python3's standard library is used.
"""
import importlib.util
import os
import sys


def targets():
    """tests/gen/replay-targets.py, for its session writer."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "replay-targets.py")
    spec = importlib.util.spec_from_file_location("replay_targets", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: replay-rcpts.py OUT.pcap [N]")
    n = int(sys.argv[2]) if len(sys.argv) == 3 else 10000
    t = targets()
    p = t.Pcap()
    t.smtp_session(p, "198.51.100.25", 25,
                   rcpts=["rcpt-%05d@example.com" % i
                          for i in range(1, n + 1)])
    t.write(sys.argv[1], bytes(p.data))
    print(sys.argv[1])


if __name__ == "__main__":
    main()
