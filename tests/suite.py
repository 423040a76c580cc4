# SPDX-License-Identifier: GPL-2.0-or-later
"""What the Python suites share (run-extract.py, run-write.py,
run-suricata.py): the binary under test (the first argument, default
./relayscope), relayscope run as the golden tests run it, counted checks,
and the one "NAME: N passed, N failed" line tests/run-all.sh reads."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                      os.path.join(ROOT, "relayscope"))
failures = []
_checks = [0]


def check(ok, what):
    """Count one check; what is said if it failed.  Returns ok."""
    _checks[0] += 1
    if not ok:
        failures.append(what)
    return ok


def run(args, **kw):
    """relayscope ARGS from the top of the tree, TZ=UTC LC_ALL=C."""
    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    return subprocess.run([BIN] + args, capture_output=True, env=env,
                          cwd=ROOT, **kw)


def finish(name):
    """Say every failure and the result line; exit 1 if any failed."""
    for f in failures:
        print(f"FAIL {name}: {f}")
    print(f"{name}: {_checks[0] - len(failures)} passed, {len(failures)} "
          "failed")
    sys.exit(1 if failures else 0)
