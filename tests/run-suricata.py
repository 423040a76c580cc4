#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Suricata's own expectations for its captures (tests/corpus/suricata-
verify/tests/**/test.yaml), met by relayscope's JSON where they are
right (docs/output-format.md, "MIME parts"; docs/peers.md says why each
exception is Suricata's).

    usage: tests/run-suricata.py [BINARY]   (default ./relayscope)

Every filter block of a test.yaml that asserts (with a count other than
0) one of these keys is checked; all the block's supported keys must hold
for one transaction (email.*, smtp.*) or one attachment (fileinfo.*,
files[0].*) of the capture the test names:

  email.attachment[N]   the N-th attachment's file name
  email.body_md5        mime.body_md5 (the body as sent, after the header)
  email.subject_md5     message.subject_md5 (the Subject as sent)
  email.url[N]          among mime.urls; Suricata logs URLs without their
                        scheme unless configured, so "http://" etc. are
                        taken off ours where its value has none
  email.subject, email.message_id, email.x_mailer
  smtp.mail_from, smtp.rcpt_to[N]  the envelope, with its brackets
  fileinfo.filename / files[0].filename, fileinfo.size / files[0].size,
  fileinfo.sha256       an attachment's name, decoded size, SHA-256

Blocks about Suricata's configuration (a stream depth that cuts a file:
fileinfo.state TRUNCATED) are not relayscope's to meet.  EXCEPTIONS lists
the values where Suricata is wrong, with the reason; each must still be
what the reason says, so that the list cannot hide a change.
"""
import json
import os
import re

from suite import HERE, ROOT, check, finish, run

TESTS = os.path.join(HERE, "corpus", "suricata-verify", "tests")

# (test, key): (what relayscope says instead, why Suricata is wrong).
LONG_NAME = "12characters" * 23 + ".exe"
EXCEPTIONS = {
    ("mime/mime-dec-parse-long-filename01", "email.attachment[0]"):
        (LONG_NAME, "Suricata cuts file names at 255 bytes; the name as "
         "sent is 280 (relayscope keeps 1024)"),
    ("mime/mime-dec-parse-long-filename01", "fileinfo.filename"):
        (LONG_NAME, "Suricata cuts file names at 255 bytes; the name as "
         "sent is 280 (relayscope keeps 1024)"),
    ("mime/smtp-mime-encap-8649-baseline", "fileinfo.size"):
        ("32", "the attachment is the message's whole body: its last line "
         "end is the body's (RFC 5322 3.5), Suricata drops it (Zeek "
         "counts 32 too)"),
}

KEY = re.compile(r"^\s*-?\s*([A-Za-z_][\w.\[\]-]*):\s*(.*?)\s*$")
SUPPORTED = re.compile(
    r"^(email\.(attachment\[\d+\]|body_md5|subject_md5|url\[\d+\]|subject|"
    r"message_id|x_mailer)|smtp\.(mail_from|rcpt_to\[\d+\])|"
    r"(fileinfo|files\[0\])\.(filename|size|sha256))$")
outputs = {}


def unquote(v):
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        return v[1:-1].replace('\\"', '"')
    return v


def blocks(path):
    """The filter blocks of a test.yaml: (count, {key: value}), and its
    pcap key."""
    out, cur, pcap = [], None, None
    for line in open(path, encoding="utf-8"):
        if re.match(r"^pcap:", line):
            pcap = line.split(":", 1)[1].strip()
        if re.match(r"^\s*-\s*filter:", line):
            cur = {"count": 1, "match": {}}
            out.append(cur)
            continue
        if re.match(r"^\s*-\s*\w+:", line) and not \
                re.match(r"^\s*-\s*filter:", line):
            cur = None
        m = KEY.match(line)
        if cur is None or m is None:
            continue
        k, v = m.group(1), unquote(m.group(2))
        if k == "count":
            cur["count"] = int(v)
        elif k not in ("match", "filter"):
            cur["match"][k] = v
    return out, pcap


def json_of(pcap):
    if pcap not in outputs:
        r = run(["--format", "json", pcap])
        outputs[pcap] = [json.loads(x) for x in r.stdout.splitlines()]
    return outputs[pcap]


def strip_scheme(u):
    return re.sub(r"^[a-z]+://", "", u)


def tx_value(t, key):
    mime = t.get("mime") or {}
    msg = t.get("message") or {}
    atts = [p["filename"] for p in mime.get("parts", [])
            if p["attachment"]]
    m = re.match(r"^email\.attachment\[(\d+)\]$", key)
    if m:
        i = int(m.group(1))
        return atts[i] if i < len(atts) else None
    if key == "email.body_md5":
        return mime.get("body_md5")
    if key == "email.subject_md5":
        return msg.get("subject_md5")
    if key == "email.subject":
        return msg.get("subject")
    if key == "email.message_id":
        return (t.get("data") or {}).get("message_id")
    if key == "email.x_mailer":
        return msg.get("user_agent")
    if key == "smtp.mail_from":
        return t["mail_from"]
    m = re.match(r"^smtp\.rcpt_to\[(\d+)\]$", key)
    if m:
        i = int(m.group(1))
        rc = t["rcpts"]
        return rc[i]["address"] if i < len(rc) else None
    return None


def tx_has(t, key, want):
    if key.startswith("email.url["):
        urls = (t.get("mime") or {}).get("urls", [])
        return want in urls or (
            re.match(r"^[a-z]+://", want) is None and
            want in [strip_scheme(u) for u in urls])
    if key.startswith("smtp."):
        # Suricata writes the envelope with its brackets, or (older
        # versions) without.
        return tx_value(t, key) == re.sub(r"^<(.*)>$", r"\1", want)
    return tx_value(t, key) == want


def part_has(p, key, want):
    field = key.split(".", 1)[1]
    if field == "filename":
        return p["filename"] == want
    if field == "size":
        return str(p["size"]) == want
    if field == "sha256":
        return p["sha256"] == want
    return False


def main():
    for dirpath, _, files in sorted(os.walk(TESTS)):
        if "test.yaml" not in files:
            continue
        test = os.path.relpath(dirpath, TESTS)
        bl, pcap = blocks(os.path.join(dirpath, "test.yaml"))
        if pcap is None:
            caps = sorted(f for f in files if f.endswith((".pcap",
                                                          ".pcapng")))
            if not caps:
                continue
            pcap = caps[0]
        pcap = os.path.normpath(os.path.join(dirpath, pcap))
        for b in bl:
            keys = {k: v for k, v in b["match"].items()
                    if SUPPORTED.match(k)}
            if not keys or b["count"] == 0 or \
                    b["match"].get("fileinfo.state") == "TRUNCATED":
                continue
            if not os.path.exists(pcap):
                check(False, f"{test}: no capture {pcap}")
                continue
            recs = json_of(os.path.relpath(pcap, ROOT))
            txs = [t for r in recs if r.get("type") == "session"
                   for t in r["transactions"]]
            parts = [p for t in txs for p in
                     (t.get("mime") or {}).get("parts", [])
                     if p["attachment"]]
            want = dict(keys)
            for k in list(want):
                if (test, k) in EXCEPTIONS:
                    want[k] = EXCEPTIONS[(test, k)][0]
            email = {k: v for k, v in want.items()
                     if not k.startswith(("fileinfo.", "files["))}
            files = {k: v for k, v in want.items() if k not in email}
            ok = True
            if email and not any(all(tx_has(t, k, v)
                                     for k, v in email.items())
                                 for t in txs):
                ok = False
            if files and not any(all(part_has(p, k, v)
                                     for k, v in files.items())
                                 for p in parts):
                ok = False
            got = None
            if not ok:
                got = [{k: tx_value(t, k) for k in email} for t in txs] \
                    if email else \
                    [{k: part_has(p, k, v) and v for k, v in files.items()}
                     | {"name": p["filename"], "size": p["size"]}
                     for p in parts]
            check(ok, f"{test}: {want} not met; relayscope: "
                  f"{json.dumps(got)[:600]}")
    finish("suricata")


if __name__ == "__main__":
    main()
