#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""--extract DIR (docs/output-format.md, "Extraction"), checked against
what was sent and against an independent MIME parser.

    usage: tests/run-extract.py [BINARY]   (default ./relayscope)

- Round trip: for every fixture with messages in tests/messages/NAME/
  (written by the recipe that recorded pcaps/NAME.pcap, the bytes the
  client sent), relayscope --extract writes one .eml per message, in
  order, equal to them byte for byte, and index.jsonl says so.
- Attachments: Python's email package parses each .eml; every leaf part
  with a file name (or disposition attachment) is a file in DIR named by
  the SHA-256 of its decoded content, holding exactly that content; the
  JSON record's MIME parts (type, file name, size, MD5, SHA-1, SHA-256)
  are those Python finds for every leaf.
- A second run into the same DIR overwrites nothing (every file
  "exists"); -j 2 writes the same files and index as -j 1;
  --extract-max keeps the run under its bytes and says what it skipped.
- Refusals: a DIR that is a symbolic link, a file, another user's,
  writable by everybody; --extract-max without --extract; all a one-line
  error naming it, exit 2, nothing written.
- Hostile names (pcaps/hostile-mime.pcap, what
  pcaps/recipes/hostile-mime-expect.json says of it): every file made is
  DIR/index.jsonl, SESSION-T.eml, SESSION-T.gaps.json or a SHA-256, and
  nothing appears outside DIR; each message's .eml has the SHA-256 the
  expectations give; the leaves and their decoded SHA-256 are those
  expected wherever the expectations give one reading and no limit of
  docs/output-format.md applies (an empty boundary is refused, RFC 2046
  §5.1.1: one leaf, one of the readings the expectations allow).
"""
import email
import email.policy
import hashlib
import json
import os
import pwd
import re
import shutil
import tempfile

from suite import HERE, ROOT, check, finish, run

SAFE = re.compile(r"^(index\.jsonl|[0-9a-f]{16}-[0-9]+\.eml|"
                  r"[0-9a-f]{16}-[0-9]+\.gaps\.json|[0-9a-f]{64})$")


def index(d):
    with open(os.path.join(d, "index.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def sessions(out):
    return [r for r in map(json.loads, out.decode().splitlines())
            if r.get("type") == "session"]


def leaves(msg):
    """Python's leaves: (content type, file name, decoded bytes)."""
    out = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_type() in ("message/rfc822", "message/global"):
            continue
        payload = part.get_payload(decode=True)
        if payload is None:
            payload = b""
        out.append((part.get_content_type(), part.get_filename(),
                    part.get("Content-Disposition", ""), payload))
    return out


def round_trip(name, work):
    pcap = os.path.join("pcaps", name + ".pcap")
    want_dir = os.path.join(HERE, "messages", name)
    want = sorted(f for f in os.listdir(want_dir) if f.endswith(".eml"))
    d = os.path.join(work, name)
    r = run(["--format", "json", "--extract", d, pcap])
    if not check(r.returncode == 0, f"{name}: exit {r.returncode}: "
                 f"{r.stderr.decode().strip()}"):
        return
    ix = index(d)
    msgs = [e for e in ix if e["kind"] == "message"]
    check(len(msgs) == len(want),
          f"{name}: {len(msgs)} messages extracted, {len(want)} sent")
    for e, w in zip(msgs, want):
        with open(os.path.join(want_dir, w), "rb") as f:
            sent = f.read()
        check(e["status"] == "written", f"{name} {w}: status {e['status']}")
        with open(os.path.join(d, e["file"]), "rb") as f:
            got = f.read()
        check(got == sent, f"{name} {w}: {e['file']} differs from what "
              f"was sent ({len(got)} bytes, {len(sent)} sent)")
        check(e["bytes"] == len(sent) and
              e["sha256"] == hashlib.sha256(sent).hexdigest(),
              f"{name} {w}: index bytes/sha256 wrong")
        check(e["complete"] is True, f"{name} {w}: not complete")
    # The JSON's parts against Python's, message by message.
    txs = [t for s in sessions(r.stdout) for t in s["transactions"]
           if t["data"] is not None]
    check(len(txs) == len(want), f"{name}: {len(txs)} transactions")
    files = {e["sha256"]: e for e in ix if e["kind"] == "attachment"}
    for t, w in zip(txs, want):
        with open(os.path.join(want_dir, w), "rb") as f:
            msg = email.message_from_bytes(f.read(),
                                           policy=email.policy.default)
        py = leaves(msg)
        ours = [p for p in t["mime"]["parts"] if p["leaf"]]
        check(len(ours) == len(py),
              f"{name} {w}: {len(ours)} leaves, Python finds {len(py)}")
        for p, (ctype, fname, disp, payload) in zip(ours, py):
            what = f"{name} {w} part {p['index']}"
            check(p["content_type"] == ctype,
                  f"{what}: type {p['content_type']}, Python {ctype}")
            check(p["filename"] == fname,
                  f"{what}: name {p['filename']!r}, Python {fname!r}")
            check(p["size"] == len(payload) and
                  p["md5"] == hashlib.md5(payload).hexdigest() and
                  p["sha1"] == hashlib.sha1(payload).hexdigest() and
                  p["sha256"] == hashlib.sha256(payload).hexdigest(),
                  f"{what}: size/hashes differ from Python's decoding "
                  f"({p['size']} bytes, Python {len(payload)})")
            att = fname is not None or \
                disp.lower().startswith("attachment")
            check(p["attachment"] == att, f"{what}: attachment "
                  f"{p['attachment']}, expected {att}")
            if not att:
                continue
            sha = hashlib.sha256(payload).hexdigest()
            check(p["extracted"] == sha and sha in files,
                  f"{what}: not extracted as {sha}")
            path = os.path.join(d, sha)
            if check(os.path.isfile(path), f"{what}: no file {sha}"):
                with open(path, "rb") as f:
                    check(f.read() == payload, f"{what}: {sha} differs")
    check(all(SAFE.match(f) for f in os.listdir(d)),
          f"{name}: unexpected file names in DIR: {sorted(os.listdir(d))}")

    # Again into the same DIR: nothing overwritten.
    before = {f: os.stat(os.path.join(d, f)).st_mtime_ns
              for f in os.listdir(d) if f != "index.jsonl"}
    r2 = run(["--format", "json", "--extract", d, pcap])
    check(r2.returncode == 0, f"{name}: second run exit {r2.returncode}")
    ix2 = index(d)[len(ix):]
    check(len(ix2) == len(ix) and all(e["status"] == "exists"
                                      for e in ix2),
          f"{name}: second run statuses "
          f"{sorted(set(e['status'] for e in ix2))}")
    after = {f: os.stat(os.path.join(d, f)).st_mtime_ns
             for f in os.listdir(d) if f != "index.jsonl"}
    check(before == after, f"{name}: the second run changed files")

    # -j 2: the same files and index.
    d2 = os.path.join(work, name + "-j2")
    r3 = run(["--format", "json", "-j", "2", "--extract", d2, pcap])
    check(r3.returncode == 0 and
          r3.stdout.replace(d2.encode(), d.encode()) == r.stdout,
          f"{name}: -j 2 output differs from -j 1")
    check(index(d2) == ix, f"{name}: -j 2 index differs")
    for f in os.listdir(d):
        if f == "index.jsonl":
            continue
        with open(os.path.join(d, f), "rb") as a, \
                open(os.path.join(d2, f), "rb") as b:
            check(a.read() == b.read(), f"{name}: -j 2 {f} differs")

    # --extract-max: what fits, in order, and what did not, said.
    limit = 2000
    d3 = os.path.join(work, name + "-max")
    r4 = run(["--extract", d3, "--extract-max", str(limit), pcap])
    check(r4.returncode == 0, f"{name}: --extract-max exit "
          f"{r4.returncode}")
    ix3 = index(d3)
    kept = sum(e["bytes"] for e in ix3 if e["status"] == "written")
    on_disk = sum(os.path.getsize(os.path.join(d3, f))
                  for f in os.listdir(d3) if f != "index.jsonl")
    check(kept == on_disk and on_disk <= limit,
          f"{name}: --extract-max {limit}: {on_disk} bytes written")
    check(any(e["status"].startswith("not extracted") for e in ix3),
          f"{name}: --extract-max {limit} skipped nothing")
    check(b"not extracted" in r4.stdout,
          f"{name}: the summary does not say what was not extracted")
    check(not [f for f in os.listdir(d3) if f.endswith(".tmp")],
          f"{name}: temporary files left")


def refusals(work):
    pcap = "pcaps/postfix-mime.pcap"
    real = os.path.join(work, "real")
    os.mkdir(real, 0o750)
    link = os.path.join(work, "link")
    os.symlink(real, link)
    afile = os.path.join(work, "afile")
    open(afile, "w").close()
    shared = os.path.join(work, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o777)
    cases = [
        (["--extract", link, pcap], link + ": is a symbolic link"),
        (["--extract", afile, pcap], afile + ": not a directory"),
        (["--no-drop", "--extract", shared, pcap],
         shared + ": writable by everybody"),
        (["--extract-max", "1M", pcap],
         "--extract-max: give --extract DIR too"),
        (["--extract", real, "--extract-max", "0", pcap],
         "--extract-max: \"0\" is not a size"),
    ]
    if os.geteuid() == 0:
        theirs = os.path.join(work, "theirs")
        os.mkdir(theirs, 0o750)
        nobody = pwd.getpwnam("nobody")
        os.chown(theirs, nobody.pw_uid, nobody.pw_gid)
        cases.append((["--no-drop", "--extract", theirs, pcap],
                      theirs + ": owned by nobody, but the files are "
                      "written as root"))
    for args, msg in cases:
        r = run(args)
        err = r.stderr.decode()
        check(r.returncode == 2 and err.count("\n") == 1 and msg in err
              and r.stdout == b"",
              f"refusal {args}: exit {r.returncode}, stderr {err!r}")
    check(os.listdir(real) == [], "a refused run wrote into a directory")


def hostile(work):
    parent = os.path.join(work, "hostile")
    os.mkdir(parent)
    d = os.path.join(parent, "out")
    r = run(["--format", "json", "--extract", d, "pcaps/hostile-mime.pcap"])
    if not check(r.returncode == 0, f"hostile: exit {r.returncode}: "
                 f"{r.stderr.decode()[-300:]}"):
        return
    check(os.listdir(parent) == ["out"],
          f"hostile: files outside DIR: {os.listdir(parent)}")
    names = os.listdir(d)
    check(all(SAFE.match(f) for f in names),
          f"hostile: unsafe names {[f for f in names if not SAFE.match(f)]}")
    check(not os.path.exists("/tmp/owned"), "hostile: /tmp/owned exists")
    with open(os.path.join(ROOT, "pcaps", "recipes",
                           "hostile-mime-expect.json")) as f:
        expect = json.load(f)["sessions"]
    got = sessions(r.stdout)
    check(len(got) == len(expect), f"hostile: {len(got)} sessions")
    ix = [e for e in index(d) if e["kind"] == "message"]
    for s, e, x in zip(got, expect, ix):
        what = f"hostile {e['session']} ({e['name']})"
        check(x["sha256"] == e["message"]["sha256"] and
              x["bytes"] == e["message"]["bytes"],
              f"{what}: .eml {x['bytes']} bytes {x['sha256']}")
        mime = s["transactions"][0]["mime"]
        ours = [p for p in mime["parts"] if p["leaf"]]
        limited = mime["limits"]
        if "parts" in limited or "depth" in limited:
            check(len(mime["parts"]) <= 1000 and
                  mime["entities"] >= len(mime["parts"]),
                  f"{what}: limits {limited} but {len(mime['parts'])} "
                  f"parts kept")
        elif len(ours) in e.get("readings", {}).values() and \
                len(ours) != e["leaf_parts"]:
            # Another reading the expectations allow (an invalid
            # boundary refused): its leaves are not theirs.
            continue
        else:
            check(len(ours) == e["leaf_parts"],
                  f"{what}: {len(ours)} leaves, {e['leaf_parts']} expected")
        for p, leaf in zip(ours, e.get("leaves", [])):
            dec = leaf.get("decoded")
            if dec is None or "sha256" not in dec or \
                    "header" in limited:
                continue
            check(p["sha256"] == dec["sha256"],
                  f"{what} leaf {leaf['path']} ({leaf.get('label')}): "
                  f"sha256 {p['sha256']}, expected {dec['sha256']}")
        for p in ours:
            if p["filename"] is not None:
                check(len(p["filename"].encode("utf-8", "surrogateescape"))
                      <= 1024, f"{what}: a name over 1024 bytes kept")
        if "urls" in e:
            n = len(mime["urls"]) + mime["urls_dropped"]
            check(len(mime["urls"]) <= 256 and
                  all(len(u) <= 2048 for u in mime["urls"]),
                  f"{what}: URL limits not kept")
            check(n > 0, f"{what}: no URLs found")


def main():
    work = tempfile.mkdtemp(prefix="rs-extract-")
    os.chmod(work, 0o755)
    try:
        for name in sorted(os.listdir(os.path.join(HERE, "messages"))):
            if os.path.isdir(os.path.join(HERE, "messages", name)):
                round_trip(name, work)
        refusals(work)
        hostile(work)
    finally:
        shutil.rmtree(work)
    finish("extract")


if __name__ == "__main__":
    main()
