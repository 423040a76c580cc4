#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Public captures (tests/corpus/, from suricata-verify and Zeek): run
relayscope on every capture listed in tests/corpus/expected.json, three
times (default options, --format json, --format text --color never), and
check, each as its own test case:
  - every run ends with status 0, 1 or 2 within 60 s, without a sanitizer
    report (a signal or a hang is a crash);
  - no open-relay finding of severity medium or higher, and no relay-denied
    finding (none of these captures shows an open relay or a refusal);
  - at least as many sessions as expected.json says, except the known
    misses below, whose count must be exactly the one listed;
  - no AUTH secret from expected.json (base64 or decoded) in any output,
    except the known leaks below, which must be exactly the ones listed;
  - for two captures, the envelope RFC 5321 section 4.1.4 prescribes, and
    for two whose server left out line ends, each reply with its own
    command (docs/output-format.md, "Lost line ends");
  - the run summary's per-server counts are the sums of the recipients'
    verdicts in the session records, and at most one possible-open-relay
    finding is raised per server.
The summary check also runs on all of pcaps/ read as one capture and on
a capture of 2,000 sessions made by tests/bench/gen-capture.py.
A known miss or leak that goes away fails too: update the list.
Prints "FAIL corpus/CAPTURE: WHAT" per failure and ends with one line
"corpus: N passed, N failed"; exits 1 if any failed.
    usage: tests/run-corpus.py [BINARY]   (default ./relayscope)"""
import concurrent.futures
import glob
import json
import os
import subprocess
import sys
import tempfile

CORPUS = "tests/corpus"
TIMEOUT = 60
RUNS = (("default", []),
        ("json", ["--format", "json"]),
        ("text", ["--format", "text", "--color", "never"]))

# Captures in which relayscope finds fewer sessions than they hold, with
# the number it finds now: none since SMTP is found by its content on any
# port (ports 225, 2525 and 465 and an HTTP CONNECT tunnel on 8240 were
# missed while only --ports were looked at).
KNOWN_MISSES = {}

# AUTH secrets relayscope prints now, per capture: none.  (smtp-bug-6053,
# whose replies all paired one command early until the greeting's missing
# line end was found, printed its password until AUTH data was masked
# from the client's own bytes.)
KNOWN_LEAKS = {}

NESTED_MAIL = ("suricata-verify/tests/firewall/"
               "ruletype-firewall-132-smtp-nested-mail-from/"
               "smtp-nested-mail.pcap")
REJECTED_EHLO = ("suricata-verify/tests/"
                 "smtp-rejected-ehlo-preserves-envelope/input.pcap")
# A greeting without its line end, an EHLO reply without its final line,
# a client that waits for each reply (docs/output-format.md, "Lost line
# ends").
DETECT_RECEIVED = "suricata-verify/tests/detect-email-received/input.pcap"
BUG_6053 = "suricata-verify/tests/smtp-bug-6053/input.pcap"


def run(binary, args, path):
    """(status or None on timeout, stdout bytes, stderr bytes)"""
    try:
        p = subprocess.run([binary] + args + ([path] if path else []),
                           capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=TIMEOUT)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return None, e.stdout or b"", e.stderr or b""


def sessions_of(out):
    sess = []
    for line in out.decode("utf-8", "replace").splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if isinstance(o, dict) and o.get("type") == "session":
            sess.append(o)
    return sess


def printed(secret, outputs):
    needles = {secret.encode("utf-8")}
    try:
        needles.add(secret.encode("latin-1"))
    except UnicodeEncodeError:
        pass
    return any(n in o for n in needles for o in outputs)


def accepted(data):
    """data present, with a 2xx final reply"""
    if not data:
        return False
    code = (data.get("final_reply") or {}).get("code")
    return isinstance(code, int) and 200 <= code < 300


def rcpt_list(tx):
    return [r.get("address") for r in tx.get("rcpts") or []]


def describe(tx):
    d = tx.get("data")
    final = ((d or {}).get("final_reply") or {}).get("code")
    return "mail_from %r rcpts %r data %s" % (
        tx.get("mail_from"), rcpt_list(tx),
        "none" if not d else "final %s" % final)


def pairs(sess):
    """(verb, reply code or None) of every command, in order"""
    return [(c.get("verb"), (c.get("reply") or {}).get("code"))
            for s in sess for c in s.get("commands") or []]


def pairing_checks(rel, sess):
    """[(name, problem or None)]: each reply with its own command"""
    if rel == DETECT_RECEIVED:
        # The capture's own order: each command, then its reply (tshark
        # and Suricata's expected Received: headers agree: the message
        # is a message).
        want = [("EHLO", 250), ("MAIL", 250)] + [("RCPT", 250)] * 5 + [
            ("DATA", 354), ("END-OF-DATA", 250), ("QUIT", 221)]
    elif rel == BUG_6053:
        want = [("EHLO", 250), ("AUTH", 334), ("AUTH-RESPONSE", 334),
                ("AUTH-RESPONSE", 235), ("MAIL", 250), ("RCPT", 250),
                ("QUIT", 221)]
    else:
        return []
    got = pairs(sess)
    p = None
    if got != want:
        p = "want %r, got %r" % (want, got)
    banner = [(s.get("banner") or {}).get("code") for s in sess]
    q = None
    if banner != [220]:
        q = "want the banner 220, got %r" % banner
    odd = sorted({a for s in sess for a in s.get("anomalies") or []} &
                 {"early-talker", "unknown-command", "reply-out-of-step",
                  "unanswered-commands", "pipelined-after-sync"})
    r = None
    if odd:
        r = "anomalies of a pairing gone wrong: %s" % ", ".join(odd)
    return [("each reply with its command", p), ("the greeting", q),
            ("no anomaly of lost pairing", r)]


def envelope_checks(rel, sess):
    """[(name, problem or None)] for the captures whose envelope is known"""
    txs = [t for s in sess for t in s.get("transactions") or []]
    good = [t for t in txs
            if t.get("mail_from") == "alice@example.com" and
            rcpt_list(t) == ["bob@example.com"] and accepted(t.get("data"))]
    if rel == NESTED_MAIL:
        # MAIL alice 250, MAIL bob 503 (nested), RCPT bob 250, DATA 250:
        # the refused MAIL changes nothing (RFC 5321 4.1.4), so the
        # message is alice's.
        with_rcpts = [t for t in txs if t.get("rcpts")]
        p = None
        if len(with_rcpts) != 1 or not good:
            p = ("want one transaction with recipients: mail_from "
                 "alice@example.com, rcpts [bob@example.com], data 2xx; "
                 "got %d: %s" % (len(with_rcpts), "; ".join(
                     describe(t) for t in with_rcpts) or "-"))
        bob = [t for t in txs if t.get("mail_from") == "bob@example.com" and
               (t.get("rcpts") or t.get("data"))]
        q = None
        if bob:
            q = ("refused sender bob@example.com has recipients or data: " +
                 "; ".join(describe(t) for t in bob))
        return [("envelope after a refused nested MAIL", p),
                ("refused MAIL owns nothing", q)]
    if rel == REJECTED_EHLO:
        # HELO 250, MAIL alice 250, EHLO (empty) 501, RCPT bob 250,
        # DATA 250: a refused EHLO resets nothing (RFC 5321 4.1.4), and
        # the client's identity is the accepted HELO.
        p = None
        if len(txs) != 1 or not good:
            p = ("want exactly one transaction: mail_from alice@example.com, "
                 "rcpts [bob@example.com], data 2xx; got %d: %s" % (
                     len(txs), "; ".join(describe(t) for t in txs) or "-"))
        names = [(s.get("helo") or {}).get("name") for s in sess]
        q = None
        if names != ["client.example.com"]:
            q = "want helo.name 'client.example.com' (the accepted HELO), " \
                "got %r" % names
        return [("envelope after a refused EHLO", p),
                ("helo after a refused EHLO", q)]
    return []


RELAYED = ("relay-accepted-open", "relay-accepted-auth",
           "relay-accepted-trusted", "relay-denied")


def summary_problem(out):
    """None if the summary's server counts are the sums of the records'
    verdicts, else what differs"""
    recs = []
    for line in out.decode("utf-8", "replace").splitlines():
        try:
            recs.append(json.loads(line))
        except ValueError:
            pass
    summ = [r for r in recs if r.get("type") == "summary"]
    if len(summ) != 1:
        return "want one summary record, got %d" % len(summ)
    got = {}
    possible = {}
    for s in recs:
        if s.get("type") != "session":
            continue
        key = (s["server"]["ip"], s["server"]["port"])
        v = got.setdefault(key, {"verdicts": {}, "unknown": 0})
        stranger = not s["client_trust"]["trusted"] and not (
            s.get("auth") and s["auth"]["result"] == "success")
        for t in s.get("transactions") or []:
            for r in t.get("rcpts") or []:
                if "verdict" not in r:
                    continue
                v["verdicts"][r["verdict"]] = \
                    v["verdicts"].get(r["verdict"], 0) + 1
                if r["verdict"] == "accepted-locality-unknown" and stranger:
                    v["unknown"] += 1
        for f in s.get("findings") or []:
            if f.get("kind") == "possible-open-relay":
                possible[key] = possible.get(key, 0) + 1
    for x in summ[0]["servers"]:
        key = (x["server"]["ip"], x["server"]["port"])
        v = got.get(key, {"verdicts": {}, "unknown": 0})
        verd = {k: n for k, n in x["verdicts"].items() if n}
        if verd != v["verdicts"]:
            return "%s:%s: summary verdicts %r, records %r" % (
                key + (verd, v["verdicts"]))
        if sum(x["verdicts"].values()) != x["recipients"]:
            return "%s:%s: verdicts do not sum to recipients" % key
        if x["relay_attempts"] != sum(x["verdicts"][k] for k in RELAYED):
            return "%s:%s: relay_attempts %d" % (key + (x["relay_attempts"],))
        if x["accepted_open"] != x["verdicts"]["relay-accepted-open"] or \
                x["denied"] != x["verdicts"]["relay-denied"]:
            return "%s:%s: accepted_open or denied" % key
        if x["unknown_rcpts"] != v["unknown"] or x["unknown_rcpts"] != sum(
                d["rcpts"] for d in x["unknown_domains"]) + \
                x["unknown_domains_more"]:
            return "%s:%s: unknown_rcpts %d, records %d" % (
                key + (x["unknown_rcpts"], v["unknown"]))
        if possible.get(key, 0) > 1:
            return "%s:%s: %d possible-open-relay findings" % (
                key + (possible[key],))
    if set(got) != {(x["server"]["ip"], x["server"]["port"])
                    for x in summ[0]["servers"]}:
        return "servers in the records and the summary differ"
    return None


def check(binary, rel, exp):
    """[(name, problem or None)] for one capture"""
    path = os.path.join(CORPUS, rel)
    results = []
    outs = {}
    for name, args in RUNS:
        rc, out, err = run(binary, args, path)
        outs[name] = (out, err)
        if rc is None:
            p = "%s: timeout after %d s" % (name, TIMEOUT)
        elif rc < 0:
            p = "%s: killed by signal %d" % (name, -rc)
        elif rc not in (0, 1, 2):
            p = "%s: exit status %d" % (name, rc)
        elif b"Sanitizer" in err or b"runtime error" in err:
            p = "%s: sanitizer report" % name
        else:
            p = None
        results.append(("run " + name, p))
    sess = sessions_of(outs["json"][0])

    found = {"open-relay": [], "relay-denied": []}
    for s in sess:
        for f in s.get("findings") or []:
            k = f.get("kind")
            if k == "open-relay" and \
                    f.get("severity") not in ("medium", "high", "critical"):
                continue
            if k in found:
                found[k].append(f)
    for k, fs in sorted(found.items()):
        p = None
        if fs:
            p = "%d %s finding%s%s: (%s) %s" % (
                len(fs), k, "" if len(fs) == 1 else "s",
                "" if len(fs) == 1 else ", the first",
                fs[0].get("severity"),
                (fs[0].get("summary") or "")[:100].rstrip())
        results.append((k, p))

    want = exp["sessions"]
    p = None
    if rel in KNOWN_MISSES:
        n, why = KNOWN_MISSES[rel]
        if len(sess) != n:
            p = ("sessions %d, known miss says %d of %d (%s): update "
                 "KNOWN_MISSES" % (len(sess), n, want, why))
    elif len(sess) < want:
        p = "sessions %d of %d (ports %s)" % (len(sess), want, exp["ports"])
    results.append(("sessions", p))

    if exp["secrets"] or rel in KNOWN_LEAKS:
        every = [o for pair in outs.values() for o in pair]
        leaked = {s for s in exp["secrets"] if printed(s, every)}
        known = KNOWN_LEAKS.get(rel, set())
        p = None
        if leaked - known:
            p = "AUTH secret printed: %s" % ", ".join(
                repr(s) for s in sorted(leaked - known))
        if known - leaked:
            p = (p + "; " if p else "") + (
                "known leak no longer printed: %s: update KNOWN_LEAKS" %
                ", ".join(repr(s) for s in sorted(known - leaked)))
        results.append(("secrets", p))

    results += envelope_checks(rel, sess)
    results += pairing_checks(rel, sess)
    results.append(("summary sums", summary_problem(outs["json"][0])))
    return results


def check_sums(binary, name, paths):
    """The summary check on other captures read as one."""
    rc, out, err = run(binary, ["--format", "json"] + paths, "")
    if rc not in (0, 1):
        return [(name, "exit %s: %s" % (rc, err.decode("utf-8", "replace")
                                         .strip()[:200]))]
    return [(name, summary_problem(out))]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "./relayscope"
    if os.sep in binary:
        binary = os.path.abspath(binary)
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    os.environ["TZ"] = "UTC"
    with open(os.path.join(CORPUS, "expected.json")) as f:
        expected = json.load(f)
    ok = bad = 0
    for rel in sorted(set(KNOWN_MISSES) | set(KNOWN_LEAKS)):
        if rel not in expected:
            bad += 1
            print("FAIL corpus/%s: listed in run-corpus.py, not in "
                  "expected.json" % rel)
    for rel in (NESTED_MAIL, REJECTED_EHLO):
        if rel not in expected:
            bad += 1
            print("FAIL corpus/%s: envelope case not in expected.json" % rel)
    caps = sorted(expected)
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as ex:
        results = list(ex.map(lambda r: check(binary, r, expected[r]), caps))
    others = []
    fixtures = sorted(f for f in glob.glob("pcaps/*.pcap")
                      if not os.path.basename(f).startswith("bad-"))
    others.append(("pcaps/", check_sums(binary, "summary sums", fixtures)))
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "many.pcap")
        subprocess.run([sys.executable, "tests/bench/gen-capture.py", big,
                        "2000"], check=True, capture_output=True)
        others.append(("gen-capture 2000",
                       check_sums(binary, "summary sums", [big])))
    for rel, res in list(zip(caps, results)) + others:
        for name, problem in res:
            if problem is None:
                ok += 1
            else:
                bad += 1
                print("FAIL corpus/%s: %s" % (rel, problem))
    print("corpus: %d passed, %d failed" % (ok, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
