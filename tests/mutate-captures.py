#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile-input check: corrupt the recorded captures (random bytes
overwritten, files cut short; seeds FIRST..LAST, so every run is the same)
and run relayscope on each, half of them with -w and the file written
read again.  Every run must end with status 0 or 2 within 20 s and
without a sanitizer report.  Prints "mutations: N passed, N
failed".   usage: mutate-captures.py BINARY FIRST LAST"""
import glob
import random
import subprocess
import sys
import tempfile


def main():
    binary, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    files = sorted(glob.glob("pcaps/postfix-*.pcap*") +
                   glob.glob("pcaps/cut-*.pcap") +
                   glob.glob("pcaps/exim-*.pcap") +
                   glob.glob("pcaps/opensmtpd-*.pcap"))
    ok = bad = 0
    with tempfile.NamedTemporaryFile(suffix=".pcap") as tmp, \
            tempfile.NamedTemporaryFile(suffix=".pcap") as out:
        for seed in range(first, last):
            r = random.Random(seed)
            data = bytearray(open(r.choice(files), "rb").read())
            for _ in range(r.randint(1, 20)):
                data[r.randrange(24, len(data))] = r.randrange(256)
            if r.random() < 0.2:
                data = data[:r.randrange(24, len(data))]
            tmp.seek(0)
            tmp.truncate()
            tmp.write(data)
            tmp.flush()
            fmt = r.choice(["text", "json"])
            runs = [[binary, "--format", fmt, tmp.name]]
            if r.random() < 0.5:
                runs = [runs[0] + ["-w", out.name], [binary, out.name]]
            try:
                good = True
                for argv in runs:
                    p = subprocess.run(argv, capture_output=True,
                                       timeout=20)
                    good = good and (p.returncode in (0, 2) and
                                     b"Sanitizer" not in p.stderr and
                                     b"runtime error" not in p.stderr)
            except subprocess.TimeoutExpired:
                good = False
            if good:
                ok += 1
            else:
                bad += 1
                print("FAIL mutations/seed-%d" % seed)
    print("mutations: %d passed, %d failed" % (ok, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
