#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The diagnosis (docs/diagnosis.md), checked two ways.

1. Field by field on the failure fixtures: for each session (and
   transaction) listed below, the outcome, stage and cause of the JSON
   "diagnosis", and the details stated (retry_after, blocklist, waited_ms,
   timing flags), exactly.

2. Against the replies, on every capture in pcaps/ and tests/corpus/ (the
   96 public captures), JSON: every transaction and session has a
   diagnosis with an outcome and a cause from docs/diagnosis.md's list;
   and no cause contradicts its reply: a deferred verdict rests on a 4xx
   (or on no reply at all for the causes that have none), a rejected one
   on a 5xx, a delivered one on a 2xx to the end of data; a recipient
   answered 4xx is deferred, 5xx rejected; a cause read from a reply is
   never given to a 2xx.  The sums of causes by reply class are printed.

Prints "FAIL diagnosis/WHAT: WHY" per failure and ends with one line
"diagnosis: N passed, N failed"; exits 1 if any failed.
    usage: tests/run-diagnosis.py [BINARY]   (default ./relayscope)"""
import collections
import glob
import json
import os
import re
import subprocess
import sys

# (capture, options, session seq, transaction index or None for the
#  session, outcome, stage, cause, {field: value} of the verdict, and
#  timing flag kinds the session must carry)
EXPECT = [
    ("postfix-greylist", [], 1, None, "deferred", "rcpt", "greylisting",
     {"retry_after": None, "url":
      "http://postgrey.schweikert.ch/help/example.com.html"}, []),
    ("postfix-greylist", [], 2, None, "deferred", "rcpt", "greylisting",
     {"retry_after": 2}, []),
    ("postfix-greylist", [], 3, None, "delivered", "end-of-data", None,
     {}, []),
    ("postfix-greylist", [], 4, None, "delivered", "end-of-data", None,
     {}, []),
    # (the retries name the attempts they repeat: RETRY below)
    ("postfix-dnsbl", [], 1, None, "rejected", "rcpt", "blocklist",
     {"blocklist": {"list": "dnsbl.test", "address": "127.0.0.2"},
      "url": "http://dnsbl.test/lookup?ip=127.0.0.2"}, []),
    ("postfix-dnsbl", [], 2, None, "delivered", "end-of-data", None, {},
     []),
    ("postfix-size-limit", [], 1, None, "rejected", "mail",
     "message-too-large", {}, ["size-exceeded"]),
    ("postfix-size-limit", [], 2, None, "rejected", "end-of-data",
     "message-too-large", {}, ["size-exceeded"]),
    ("postfix-unknown-user", [], 1, None, "rejected", "rcpt",
     "unknown-user", {}, []),
    ("postfix-unknown-user", [], 2, None, "partly-delivered", "rcpt",
     "unknown-user", {}, []),
    ("postfix-tls-required", [], 1, None, "rejected", "mail",
     "tls-required", {}, ["starttls-not-used"]),
    ("postfix-tls-required", [], 2, None, "unknown", "starttls",
     "encrypted", {}, []),
    ("postfix-rate-limit", [], 1, None, "delivered", "end-of-data", None,
     {}, []),
    ("postfix-rate-limit", [], 3, None, "deferred", "greeting",
     "rate-limited", {}, ["server-closed"]),
    ("postfix-rate-limit", [], 4, None, "deferred", "greeting",
     "rate-limited", {}, ["server-closed"]),
    ("postfix-slow-policy", [], 1, None, "delivered", "end-of-data", None,
     {}, ["slow-reply"]),
    ("postfix-mailbox-full", ["-p", "25,24"], 1, None, "partly-delivered",
     "rcpt", "mailbox-full", {}, []),
    ("postfix-mailbox-full", ["-p", "25,24"], 2, None, "delivered",
     "end-of-data", None, {}, []),
    ("postfix-mailbox-full", ["-p", "25,24"], 3, None, "partly-delivered",
     "rcpt", "mailbox-full", {}, []),
    ("exim-ratelimit", [], 1, None, "partly-delivered", "rcpt",
     "rate-limited", {}, []),
    ("exim-ratelimit", [], 4, None, "deferred", "greeting", "rate-limited",
     {}, []),
    ("exim-unknown-user", [], 1, None, "rejected", "rcpt", "unknown-user",
     {}, []),
    ("exim-unknown-user", [], 2, None, "partly-delivered", "rcpt",
     "unknown-user", {}, []),
    ("exim-slow-greeting", [], 1, None, "delivered", "end-of-data", None,
     {}, ["slow-greeting"]),
    ("exim-slow-greeting", [], 2, None, "abandoned", "greeting",
     "slow-greeting", {"waited_ms": 3000.621}, ["slow-greeting"]),
    ("opensmtpd-size-limit", [], 1, None, "rejected", "end-of-data",
     "message-too-large", {}, ["size-exceeded"]),
    ("opensmtpd-size-limit", [], 2, None, "rejected", "end-of-data",
     "message-too-large", {}, ["size-exceeded"]),
    ("opensmtpd-size-limit", [], 3, None, "delivered", "end-of-data",
     None, {}, []),
    ("postfix-tls-handshake-fail", [], 1, None, "abandoned", "starttls",
     "tls-handshake-failed", {}, []),
    ("postfix-tls-handshake-fail", [], 2, None, "abandoned", "starttls",
     "tls-handshake-failed", {}, []),
    ("postfix-tls-expired-cert", [], 1, None, "abandoned", "starttls",
     "tls-cert-expired", {}, []),
    ("postfix-tls-expired-cert", [], 2, None, "abandoned", "starttls",
     "tls-cert-expired", {}, []),
    ("postfix-starttls-refused", [], 1, None, "deferred", "starttls",
     "starttls-refused", {}, []),
    ("postfix-starttls-refused", [], 2, None, "delivered", "end-of-data",
     None, {}, ["starttls-not-used"]),
    ("postfix-tls-cert-name", [], 1, None, "abandoned", "starttls",
     "tls-cert-name", {}, []),
    ("postfix-tls-cert-name", [], 2, None, "abandoned", "starttls",
     "tls-cert-name", {}, []),
    ("postfix-tls-cert-future", [], 1, None, "abandoned", "starttls",
     "tls-cert-not-yet-valid", {}, []),
    ("postfix-tls-cert-future", [], 2, None, "abandoned", "starttls",
     "tls-cert-not-yet-valid", {}, []),
    ("postfix-tls-client-closes", [], 1, None, "abandoned", "starttls",
     "tls-cert-untrusted", {}, []),
    ("postfix-starttls-fail", [], 1, None, "abandoned", "starttls",
     "tls-handshake-failed", {}, []),
    ("postfix-client-timeout", [], 1, None, "abandoned", "data",
     "connection-reset-in-data", {}, ["connection-reset-in-data"]),
    ("postfix-client-timeout", [], 2, None, "abandoned", "rcpt",
     "no-reply", {"waited_ms": 2002.372}, ["no-reply"]),
    ("postfix-client-timeout", [], 3, None, "rejected", "rcpt", "syntax",
     {}, ["server-closed"]),
    ("postfix-client-timeout", [], 4, None, "deferred", "data",
     "server-timeout", {}, ["server-closed"]),
    ("postfix-relay-denied-454", [], 1, None, "deferred", "rcpt", "relay",
     {}, []),
    ("postfix-relay-denied-554", [], 1, 0, "partly-delivered", "rcpt",
     "relay", {}, []),
    ("postfix-auth-587", [], 2, None, "rejected", "auth", "auth-failed",
     {}, []),
    ("postfix-open-relay-rcpt-only", [], 1, None, "abandoned", "rcpt",
     "client-quit", {}, []),
    ("postfix-smtps-465", [], 1, None, "unknown", "connect", "encrypted",
     {}, []),
]

# (capture, session seq, transaction index, the seq of the session it
#  retries, the cause that deferred that one)
RETRY = [
    ("postfix-greylist", 3, 0, 1, "greylisting"),
    ("postfix-greylist", 4, 0, 2, "greylisting"),
]

# Causes that rest on no reply (timing, the connection, the capture), and
# those that rest on a reply but may have none (a STARTTLS accepted with
# 220 then a failed handshake: the 220 is not the cause).
NO_REPLY_CAUSES = {
    "no-greeting", "slow-greeting", "slow-reply", "no-reply",
    "connection-reset-in-data", "connection-closed-in-data",
    "server-closed", "client-quit", "encrypted", "capture-gap",
    "capture-ended", "capture-started-late", "one-sided-capture",
    "tls-handshake-failed", "tls-cert-expired", "tls-cert-not-yet-valid",
    "tls-cert-name", "tls-cert-untrusted",
}
OUTCOMES = {"delivered", "partly-delivered", "deferred", "rejected",
            "abandoned", "unknown"}


def documented_causes():
    """the cause names docs/diagnosis.md lists ("| `name` |" rows)"""
    with open("docs/diagnosis.md", encoding="utf-8") as f:
        return set(re.findall(r"^\| `([a-z0-9-]+)` \|", f.read(), re.M))


def records(binary, path, opts):
    p = subprocess.run([binary, "--format", "json", "-q"] + opts + [path],
                       capture_output=True, timeout=120)
    out = []
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            if r.get("type") == "session":
                out.append(r)
    return out


def cls(reply):
    return reply["code"] // 100 if reply else 0


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, cond, name, why):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL diagnosis/%s: %s" % (name, why))
        return cond


def verdict_consistent(c, name, v, causes, sums):
    """one verdict (session or transaction) against its reply"""
    if not c.ok(v is not None and v.get("outcome") in OUTCOMES, name,
                "no outcome: %r" % (v,)):
        return
    cause = v["cause"]
    rc = cls(v["reply"])
    sums[(cause, rc)] += 1
    if v["outcome"] == "delivered":
        c.ok(cause is None and rc == 2, name,
             "delivered on %r with cause %s" % (v["reply"], cause))
        return
    c.ok(cause in causes, name, "cause %r not in docs/diagnosis.md" % cause)
    if cause in NO_REPLY_CAUSES:
        return
    want = {"deferred": 4, "rejected": 5, "partly-delivered": None,
            "abandoned": None, "unknown": None}[v["outcome"]]
    if want is not None:
        c.ok(rc == want, name, "%s (%s) on reply %r" %
             (v["outcome"], cause, v["reply"]))
    if cause != "no-reply":
        c.ok(rc in (4, 5), name, "cause %s on reply %r" % (cause, v["reply"]))


def consistent(c, label, recs, causes, sums):
    for r in recs:
        name = "%s/session-%d" % (label, r["seq"])
        verdict_consistent(c, name, r.get("diagnosis"), causes, sums)
        c.ok("timing" in r and r["timing"] is not None, name, "no timing")
        for i, tx in enumerate(r["transactions"]):
            tname = "%s/tx-%d" % (name, i + 1)
            verdict_consistent(c, tname, tx.get("diagnosis"), causes, sums)
            for rc in tx["rcpts"]:
                k = cls(rc["reply"])
                want = {4: "deferred", 5: "rejected"}.get(k)
                if want is not None:
                    c.ok(rc.get("outcome") == want, tname,
                         "recipient %s answered %d is %s" %
                         (rc["address"], rc["reply"]["code"],
                          rc.get("outcome")))
                else:
                    c.ok(rc.get("outcome") in OUTCOMES, tname,
                         "recipient %s has no outcome" % rc["address"])


def expected(c, binary):
    cache = {}
    for (cap, opts, seq, tx, outcome, stage, cause, fields,
         flags) in EXPECT:
        key = (cap, tuple(opts))
        if key not in cache:
            cache[key] = {r["seq"]: r for r in
                          records(binary, "pcaps/%s.pcap" % cap, opts)}
        name = "%s/session-%d%s" % (cap, seq,
                                    "" if tx is None else "/tx-%d" % tx)
        r = cache[key].get(seq)
        if not c.ok(r is not None, name, "no such session"):
            continue
        v = r["diagnosis"] if tx is None else \
            r["transactions"][tx]["diagnosis"]
        c.ok((v["outcome"], v["stage"], v["cause"]) ==
             (outcome, stage, cause), name,
             "got %s/%s/%s, want %s/%s/%s" %
             (v["outcome"], v["stage"], v["cause"], outcome, stage, cause))
        for k, want in fields.items():
            c.ok(v.get(k) == want, name,
                 "%s is %r, want %r" % (k, v.get(k), want))
        got = [f["kind"] for f in r["timing"]["flags"]]
        for k in flags:
            c.ok(k in got, name, "no %s flag (flags: %s)" % (k, got))
        c.ok(v["explanation"] is not None if cause else True, name,
             "no explanation")
    for cap, seq, tx, of, cause in RETRY:
        recs = cache[(cap, ())]
        got = recs[seq]["transactions"][tx]["retry_of"]
        name = "%s/session-%d/tx-%d/retry_of" % (cap, seq, tx)
        c.ok(got is not None and got["session"] == recs[of]["id"] and
             got["cause"] == cause, name, "retry_of %r, want session %s "
             "(%s)" % (got, recs[of]["id"], cause))


def docs_table(c):
    """docs/diagnosis.md's table is the one tests/causes-table.py makes"""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    import importlib
    gen = importlib.import_module("causes-table")
    with open("src/causes.c") as f:
        want = gen.table(f.read())
    with open("docs/diagnosis.md", encoding="utf-8") as f:
        doc = f.read()
    m = re.search(r"<!-- causes table: begin -->\n(.*?)<!-- causes table: "
                  r"end -->", doc, re.S)
    c.ok(m is not None and m.group(1) == want, "docs/table",
         "docs/diagnosis.md's table differs from python3 "
         "tests/causes-table.py: paste its output between the markers")


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "./relayscope"
    c = Checker()
    causes = documented_causes()
    c.ok(len(causes) > 50, "docs", "docs/diagnosis.md lists %d causes" %
         len(causes))
    docs_table(c)
    expected(c, binary)
    sums = collections.Counter()
    caps = sorted(glob.glob("pcaps/*.pcap") + glob.glob("pcaps/*.pcapng"))
    caps += sorted(glob.glob("tests/corpus/**/*.pcap", recursive=True) +
                   glob.glob("tests/corpus/**/*.pcapng", recursive=True))
    for path in caps:
        if os.path.basename(path).startswith("bad-"):
            continue
        label = os.path.relpath(path).replace("/", "_")
        consistent(c, label, records(binary, path, []), causes, sums)
    # Dovecot's LMTP in the mailbox-full fixture is read with -p.
    consistent(c, "mailbox-full-lmtp",
               records(binary, "pcaps/postfix-mailbox-full.pcap",
                       ["-p", "25,24"]), causes, sums)
    by_class = collections.defaultdict(list)
    for (cause, rc), n in sorted(sums.items(), key=lambda x: str(x)):
        by_class[rc].append("%s %d" % (cause, n))
    for rc in sorted(by_class):
        print("# reply class %s: %s" % (rc or "none", ", ".join(by_class[rc])))
    print("diagnosis: %d passed, %d failed" % (c.passed, c.failed))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
