#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""--format zeek against Zeek's own smtp.log, field by field.

For each Zeek trace in tests/corpus/ whose btest has an smtp.log baseline
(tests/corpus/zeek/testing/btest/Baseline/*/smtp.log), run relayscope
--format zeek on the trace and compare: the header lines (#separator ...
#types; #open and #close are times and are not compared), then every
record, matched by (id.orig_h, id.orig_p, id.resp_h, id.resp_p,
trans_depth), every field.  Not compared: ts (the baselines mask it as
XXXXXXXXXX.XXXXXX), uid (Zeek's is random; ours is "C" + the session id),
and of fuids (random too) only how many there are.  Sets (rcptto, to, cc)
are compared as sets: Zeek writes them in its hash order.

The logs come from --zeek-dir (smtp.log, files.log), whose smtp.log must
be what --format zeek prints.  Where the btest has a files.log baseline,
its records, matched by (id.orig_h, id.orig_p, id.resp_h, id.resp_p,
depth), are compared the same way on every field of Zeek's but ts, fuid
and uid.

Every other difference must be listed in EXCEPTIONS below with who is
right and why; an exception that no longer happens fails too (so the
list stays true).

Prints "FAIL zeek/WHAT: WHY" per failure and ends with one line
"zeek: N passed, N failed"; exits 1 if any failed.
    usage: tests/run-zeek.py [BINARY]   (default ./relayscope)"""
import os
import subprocess
import sys
import tempfile

CORPUS = "tests/corpus/zeek/testing/btest"

# btest (Baseline folder) -> trace under Traces/ and extra options.
TESTS = {
    "scripts.base.protocols.smtp.basic": "smtp.pcap",
    "scripts.base.protocols.smtp.attachment": "smtp.pcap",
    "scripts.base.protocols.smtp.attachment-msg": "smtp-attachment-msg.pcap",
    "scripts.base.protocols.smtp.one-side": "smtp-one-side-only.pcap",
    "scripts.base.protocols.smtp.starttls": "tls/smtp-starttls.pcap",
    "scripts.base.protocols.smtp.mail-transactions-invalid":
        "smtp-mail-transactions-invalid.pcap",
    "scripts.base.protocols.smtp.bdat": "smtp/rfc3030-bdat-example1.pcap",
    "scripts.base.protocols.smtp.bdat-0-last": "smtp/rfc3030-bdat-0-last.pcap",
    "scripts.base.protocols.smtp.bdat-multipart":
        "smtp/rfc3030-bdat-multipart.pcap",
    "scripts.base.protocols.smtp.bdat-multipart-chunked":
        "smtp/rfc3030-bdat-multipart-chunked.pcap",
    "scripts.base.protocols.smtp.bdat-chunk-size-overflow":
        "smtp/smtp-bdat-cmd-chunk-size-overflow.pcap",
    "scripts.base.protocols.smtp.bdat-chunk-size-overflow2":
        "smtp/smtp-bdat-cmd-chunk-size-overflow2.pcap",
    "scripts.base.protocols.smtp.bdat-negative-chunk-size":
        "smtp/smtp-bdat-cmd-negative-chunk-size.pcap",
    "scripts.base.protocols.smtp.bdat-cmd-invalid":
        "smtp/smtp-bdat-cmd-invalid.pcapng",
    "scripts.base.protocols.smtp.bdat-gap": "smtp/smtp-bdat-gap.pcap",
    "scripts.base.protocols.smtp.bdat-pipeline-8bitmime":
        "smtp/smtp-bdat-pipeline-8bitmime.pcap",
    "scripts.base.protocols.http.http-connect": "http/connect-with-smtp.pcap",
}

# Baselines not compared, and why.
SKIP = {
    # Zeek run with SMTP::max_invalid_mail_transactions lowered so that it
    # stops its analyzer half-way: a Zeek setting, not a property of the
    # capture (mail-transactions-invalid compares the same trace).
    "scripts.base.protocols.smtp.mail-transactions-invalid-disable-analyzer":
        "Zeek's analyzer disabled by a test setting",
}

# (btest, record key "orig_h orig_p resp_h resp_p depth" or "*", field)
# -> why the values differ and who is right.  A key "*" covers every
# record of that btest.
EXCEPTIONS = {
    # A crafted mix: "BDAT 200" with 200 bytes of "A", a client gap of
    # 1000 bytes, then DATA with a message (From/To/Subject) that the
    # server queues.  Zeek keeps one MIME entity for the transaction,
    # begun by the A's, so the DATA's header lines are body to it; for
    # relayscope DATA starts the message anew (a new dlg_data), and its
    # header is what the server answered "queued" to.  relayscope is
    # right about the message the server accepted; after a gap neither
    # can be sure.
    ("scripts.base.protocols.smtp.bdat-gap",
     "10.0.0.1 12345 10.0.0.2 25 1", "from"): "DATA after a gap: new message",
    ("scripts.base.protocols.smtp.bdat-gap",
     "10.0.0.1 12345 10.0.0.2 25 1", "to"): "DATA after a gap: new message",
    ("scripts.base.protocols.smtp.bdat-gap",
     "10.0.0.1 12345 10.0.0.2 25 1", "subject"):
        "DATA after a gap: new message",
    # (and so its files: Zeek's entity of A's is one, the message
    # another; relayscope's record has the message the server queued)
    ("scripts.base.protocols.smtp.bdat-gap",
     "10.0.0.1 12345 10.0.0.2 25 1", "fuids"):
        "DATA after a gap: new message",
    # The attached message's body is one empty line before the closing
    # delimiter, whose line end is the delimiter's (RFC 2046 §5.1.1):
    # an empty entity, no file for relayscope; Zeek hands on that line
    # end, a 2-byte file.
    ("scripts.base.protocols.smtp.attachment-msg",
     "::1 56660 ::1 25 1", "fuids"):
        "an empty attached body is no file",
    # A Cc: of 22 addresses over 1,500 bytes.  relayscope keeps a header
    # field up to 998 bytes (RFC 5322 §2.1.1's line limit; dlg_data
    # .headers), so the addresses past it are missing and the last one
    # is cut.  Zeek is right (it keeps the whole field); relayscope's
    # limit is deliberate (bounded memory per message).
    ("scripts.base.protocols.smtp.bdat-pipeline-8bitmime",
     "23.128.96.18 56074 217.146.107.83 25 2", "cc"):
        "header field cut at 998 bytes",
}

# files.log: (btest, "orig_h orig_p resp_h resp_p depth", field) -> why.
# Zeek keeps the line end before a delimiter in a quoted-printable
# entity (its decoder hands the CRLF on before it sees the boundary):
# 2 bytes more than the part holds (RFC 2046 §5.1.1: that line end is the
# delimiter's).  Suricata and Python's email package count as relayscope.
FILES_EXCEPTIONS = {
    ("scripts.base.protocols.smtp.attachment",
     "10.10.1.4 1470 74.53.140.153 25 4", "seen_bytes"):
        ("1868", "1866", "QP: the CRLF before the delimiter"),
    ("scripts.base.protocols.smtp.attachment",
     "10.10.1.4 1470 74.53.140.153 25 5", "seen_bytes"):
        ("10809", "10807", "QP: the CRLF before the delimiter"),
}

SETS = {"rcptto", "to", "cc"}
SKIP_FIELDS = {"ts", "uid", "fuids"}
FILES_SKIP = {"ts", "fuid", "uid"}
HEAD = ("#separator", "#set_separator", "#empty_field", "#unset_field",
        "#path", "#fields", "#types")


def parse(text, keyf=("id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
                       "trans_depth")):
    head, recs, fields = {}, {}, []
    for line in text.splitlines():
        if line.startswith("###"):
            continue
        if line.startswith("#"):
            k = line.split("\t", 1)[0].split(" ", 1)[0]
            head[k] = line
            if k == "#fields":
                fields = line.split("\t")[1:]
            continue
        if not line:
            continue
        v = dict(zip(fields, line.split("\t")))
        key = " ".join(v[f] for f in keyf)
        recs[key] = v
    return head, recs, fields


def norm(field, value):
    if field in SETS and value not in ("-", "(empty)"):
        return sorted(value.split(","))
    return value


def compare_files(test, flog, ours, fail, used):
    """files.log against Zeek's: the number of differences."""
    keyf = ("id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "depth")
    with open(flog, errors="surrogateescape") as f:
        zh, zr, zf = parse(f.read(), keyf)
    oh, orr, of = parse(ours, keyf)
    bad = 0
    for k in ("#separator", "#set_separator", "#empty_field",
              "#unset_field", "#path"):
        if zh.get(k) != oh.get(k):
            fail(test, "files.log %s: zeek %r, relayscope %r"
                 % (k, zh.get(k), oh.get(k)))
            bad += 1
    missing = [f for f in zf if f not in of]
    if missing:
        fail(test, "files.log lacks Zeek's fields %s" % missing)
        bad += 1
    for key in sorted(set(zr) | set(orr)):
        if key not in zr or key not in orr:
            fail(test, "files.log record %s only in %s"
                 % (key, "zeek" if key in zr else "relayscope"))
            bad += 1
            continue
        for field in zf:
            if field in FILES_SKIP:
                continue
            a, b = zr[key].get(field), orr[key].get(field)
            if a == b:
                continue
            ex = (test, key, field)
            if ex in FILES_EXCEPTIONS and FILES_EXCEPTIONS[ex][:2] == (a, b):
                used.add(ex)
                continue
            fail(test, "files.log %s %s: zeek %r, relayscope %r"
                 % (key, field, a, b))
            bad += 1
    return bad


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "./relayscope"
    passed, failed = 0, 0
    used = set()

    def fail(what, why):
        nonlocal failed
        failed += 1
        print("FAIL zeek/%s: %s" % (what, why))

    base = os.path.join(CORPUS, "Baseline")
    for test in sorted(os.listdir(base)):
        log = os.path.join(base, test, "smtp.log")
        if not os.path.exists(log) or test in SKIP:
            continue
        if test not in TESTS:
            fail(test, "a baseline with no trace named in TESTS")
            continue
        trace = os.path.join(CORPUS, "Traces", TESTS[test])
        r = subprocess.run([binary, "--format", "zeek", trace],
                           capture_output=True, text=True,
                           errors="surrogateescape")
        if r.returncode != 0:
            fail(test, "exit %d: %s" % (r.returncode, r.stderr.strip()))
            continue
        with tempfile.TemporaryDirectory() as zd:
            r2 = subprocess.run([binary, "--zeek-dir", zd, trace],
                                capture_output=True)
            with open(os.path.join(zd, "smtp.log"),
                      errors="surrogateescape") as f:
                dir_smtp = f.read()
            with open(os.path.join(zd, "files.log"),
                      errors="surrogateescape") as f:
                dir_files = f.read()
        if r2.returncode != 0 or dir_smtp != r.stdout:
            fail(test, "--zeek-dir's smtp.log is not --format zeek's")
            continue
        flog = os.path.join(base, test, "files.log")
        bad_files = 0
        if os.path.exists(flog):
            bad_files = compare_files(test, flog, dir_files, fail, used)
        with open(log, errors="surrogateescape") as f:
            zh, zr, zf = parse(f.read())
        oh, orr, of = parse(r.stdout)
        bad = 0
        for k in HEAD:
            if zh.get(k) != oh.get(k):
                fail(test, "%s: zeek %r, relayscope %r" % (k, zh.get(k),
                                                           oh.get(k)))
                bad += 1
        for k in ("#open", "#close"):
            if k not in oh:
                fail(test, "no %s line" % k)
                bad += 1
        for key in sorted(set(zr) | set(orr)):
            if key not in orr or key not in zr:
                ex = (test, key, "*record*")
                if ex in EXCEPTIONS:
                    used.add(ex)
                    continue
                fail(test, "record %s only in %s" % (
                    key, "zeek" if key in zr else "relayscope"))
                bad += 1
                continue
            za = zr[key].get("fuids", "-")
            oa = orr[key].get("fuids", "-")
            if (0 if za in ("-", "(empty)") else len(za.split(","))) != \
                    (0 if oa in ("-", "(empty)") else len(oa.split(","))) \
                    and (test, key, "fuids") not in EXCEPTIONS:
                fail(test, "%s fuids: zeek %r, relayscope %r" % (key, za,
                                                                 oa))
                bad += 1
            elif (test, key, "fuids") in EXCEPTIONS:
                used.add((test, key, "fuids"))
            for field in zf:
                if field in SKIP_FIELDS:
                    continue
                a, b = zr[key].get(field), orr[key].get(field)
                if norm(field, a) == norm(field, b):
                    continue
                ex = (test, key, field)
                if ex not in EXCEPTIONS:
                    ex = (test, "*", field)
                if ex in EXCEPTIONS:
                    used.add(ex)
                    continue
                fail(test, "%s %s: zeek %r, relayscope %r" % (key, field,
                                                              a, b))
                bad += 1
        if bad == 0 and bad_files == 0:
            passed += 1
    for ex in sorted(set(FILES_EXCEPTIONS) - used):
        fail("%s" % ex[0], "files.log exception %s %s no longer happens"
             % ex[1:])
    for ex in sorted(set(EXCEPTIONS) - used):
        fail("%s" % ex[0], "exception %s %s no longer happens" % ex[1:])
    print("zeek: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
