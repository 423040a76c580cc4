#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Community ID (docs/output-format.md, "community_id") on real captures,
each as its own test case:
  - the IPv6 SMTP session of Zeek's Traces/communityid/ipv6.pcap (the
    flow of the Community ID spec's own pcaps/ipv6.pcap) has the id the
    spec publishes for it in baseline/baseline_deflt.json;
  - every session relayscope finds in the public captures (tests/corpus/)
    and in the fixtures (pcaps/) has an id that Wireshark's independent
    implementation (tshark, protocol "communityid") computes for a packet
    of that capture.  Without a tshark that has it, these cases are not
    run (said on one line), and only the published vector is checked.
Neither Zeek's nor Suricata's expectations in tests/corpus/ name a
community_id, so the spec's vector and Wireshark are the references.
Prints "FAIL community-id/CAPTURE: WHAT" per failure and ends with one
line "community-id: N passed, N failed"; exits 1 if any failed.
    usage: tests/run-community-id.py [BINARY]   (default ./relayscope)"""
import concurrent.futures
import glob
import json
import os
import shutil
import subprocess
import sys

CORPUS = "tests/corpus"
TIMEOUT = 120

# baseline/baseline_deflt.json of github.com/corelight/community-id-spec:
# 2001:470:e5bf:dead:4957:2174:e82c:4887 port 63943 to
# 2607:f8b0:400c:c03::1a port 25, TCP, seed 0.
PUBLISHED = {
    "zeek/testing/btest/Traces/communityid/ipv6.pcap":
        [("2001:470:e5bf:dead:4957:2174:e82c:4887", 63943,
          "2607:f8b0:400c:c03::1a", 25, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=")],
}


def sessions(binary, path):
    """(community_id, client ip, client port, server ip, server port) of
    every session record, or a string saying what went wrong."""
    try:
        r = subprocess.run([binary, "--format", "json", path],
                           capture_output=True, text=True, timeout=TIMEOUT,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "relayscope timed out"
    if r.returncode not in (0, 1, 2):
        return "relayscope exited %d" % r.returncode
    out = []
    for line in r.stdout.splitlines():
        o = json.loads(line)
        if o.get("type") == "session":
            out.append((o["community_id"], o["client"]["ip"],
                        o["client"]["port"], o["server"]["ip"],
                        o["server"]["port"]))
    return out


def tshark_has_community_id():
    if shutil.which("tshark") is None:
        return False
    r = subprocess.run(["tshark", "-G", "protocols"], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL)
    return any(line.split("\t")[2:3] == ["communityid"]
               for line in r.stdout.splitlines())


def tshark_ids(path):
    r = subprocess.run(["tshark", "-n", "-r", path, "--enable-protocol",
                        "communityid", "-T", "fields", "-e", "communityid"],
                       capture_output=True, text=True, timeout=TIMEOUT,
                       stdin=subprocess.DEVNULL)
    ids = set()
    for line in r.stdout.splitlines():
        ids.update(v for v in line.split(",") if v)
    return ids


def cross_check(binary, path):
    """Failures of one capture against tshark, as strings; None for a
    capture without a session (no case: tshark is not run on it)."""
    got = sessions(binary, path)
    if isinstance(got, str):
        return [got]
    if not got:
        return None
    ids = tshark_ids(path)
    return ["%s:%d -> %s:%d: %s, not among tshark's %d ids"
            % (s[1], s[2], s[3], s[4], s[0], len(ids))
            for s in got if s[0] not in ids]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "./relayscope"
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    passed = failed = 0

    for cap, want in sorted(PUBLISHED.items()):
        got = sessions(binary, os.path.join(CORPUS, cap))
        bad = []
        if isinstance(got, str):
            bad.append(got)
        else:
            have = {s[1:]: s[0] for s in got}
            for w in want:
                if have.get(w[:4]) != w[4]:
                    bad.append("%s:%d -> %s:%d: %s, the spec publishes %s"
                               % (w[0], w[1], w[2], w[3],
                                  have.get(w[:4], "no session"), w[4]))
        if bad:
            failed += 1
            print("FAIL community-id/%s (published): %s" % (cap, "; ".join(bad)))
        else:
            passed += 1

    if not tshark_has_community_id():
        print("community-id: no tshark with the communityid protocol: "
              "the comparison with Wireshark was not run")
    else:
        with open(os.path.join(CORPUS, "expected.json")) as f:
            caps = [os.path.join(CORPUS, c) for c in sorted(json.load(f))]
        caps += sorted(glob.glob("pcaps/*.pcap") + glob.glob("pcaps/*.pcapng"))
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as ex:
            results = list(ex.map(lambda p: (p, cross_check(binary, p)), caps))
        for path, bad in results:
            if bad is None:
                continue
            if bad:
                failed += 1
                print("FAIL community-id/%s: %s" % (path, "; ".join(bad)))
            else:
                passed += 1

    print("community-id: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
