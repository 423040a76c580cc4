#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""-w FILE (docs/output-format.md, "Packets (-w FILE)"), checked against
tcpdump and against relayscope reading what it wrote.

    usage: tests/run-write.py [BINARY]   (default ./relayscope)

- Round trip: for every capture in pcaps/, tests/corpus/ and the
  generated evasion (IPv4 fragments, overlaps), encapsulation (VLAN,
  MPLS, GRE, VXLAN, ...) and ground-truth captures, the file -w writes,
  read again, gives the same session records (all fields but "seq", the
  position among all connections, non-SMTP ones included), verdicts and
  EHLO checks included: the DNS answers they rest on are written too.
  Its summary counts as many packets as the file holds.
- Selection: --session ID writes, for a session of a capture without
  DNS, exactly the bytes tcpdump -w writes for a filter on its two
  endpoints; a selection of nothing is a pcap header alone.
- A capture of nothing but SMTP sessions, written whole, is itself.
- The same bytes from a file, standard input (a pipe), a .pcap.gz, a
  .pcap.gz through a pipe, -w - (the report then on standard error) and
  -j 2.
- pcapng when an input is pcapng or the inputs' link types differ: one
  interface per link type, every block well formed, read again alike.
- -c N: what is written is among the first N frames.  A truncated input:
  exit 2 with its error, and the packets of what was analysed are
  written.
- A run that reads nothing (a bad filter, an unsupported link type)
  leaves an existing FILE as it was.
- Refusals: -w naming an input (left intact), a symbolic link, a
  directory, a missing directory: a one-line error naming it, exit 2.
"""
import gzip
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from suite import BIN, ROOT, check, finish, run
def records(out):
    recs = [json.loads(line) for line in out.decode().splitlines()]
    sess = []
    for r in recs:
        if r.get("type") == "session":
            r = dict(r)
            r.pop("seq", None)
            sess.append(json.dumps(r, sort_keys=True))
    summ = [r for r in recs if r.get("type") == "summary"]
    return sess, (summ[-1] if summ else None)


def pcap_frames(path):
    """(header, [(record header, data)]) of a pcap file."""
    with open(path, "rb") as f:
        d = f.read()
    if len(d) < 24:
        return None, []
    magic = struct.unpack_from("<I", d)[0]
    e = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    out, o = [], 24
    while o + 16 <= len(d):
        cap = struct.unpack_from(e + "I", d, o + 8)[0]
        out.append((d[o:o + 16], d[o + 16:o + 16 + cap]))
        o += 16 + cap
    return d[:24], out


def pcapng_blocks(path):
    """[(type, body)] of a pcapng file written in our byte order, or
    None if a block is malformed."""
    with open(path, "rb") as f:
        d = f.read()
    out, o = [], 0
    while o < len(d):
        if o + 12 > len(d):
            return None
        t, n = struct.unpack_from("<II", d, o)
        if n < 12 or n % 4 or o + n > len(d) or \
                struct.unpack_from("<I", d, o + n - 4)[0] != n:
            return None
        out.append((t, d[o + 8:o + n - 4]))
        o += n
    return out


def frames_in(path):
    """How many frames a file relayscope wrote holds."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head == b"\n\r\r\n":
        b = pcapng_blocks(path)
        return -1 if b is None else sum(1 for t, _ in b if t == 6)
    return len(pcap_frames(path)[1])


def generated(work):
    """The generated captures other suites check, made afresh."""
    out = []
    for gen, sub in (("evasion", "ev"), ("groundtruth", "gt")):
        d = os.path.join(work, sub)
        os.mkdir(d)
        if gen == "evasion":
            subprocess.run([sys.executable, "tests/gen/evasion.py", "gen",
                            d], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
        else:
            subprocess.run([sys.executable, "tests/gen/groundtruth.py",
                            "gen", os.path.join(d, "gt.pcap"),
                            os.path.join(d, "gt.json")], cwd=ROOT,
                           check=True, stdout=subprocess.DEVNULL)
        out += [os.path.join(d, f) for f in sorted(os.listdir(d))
                if f.endswith(".pcap")]
    d = os.path.join(work, "encap")
    os.mkdir(d)
    subprocess.run([sys.executable, "tests/gen/encap.py",
                    "pcaps/postfix-pipelining.pcap", d], cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)
    out += [os.path.join(d, f) for f in sorted(os.listdir(d))
            if f.endswith(".pcap")]
    return out


def round_trip(inputs, work):
    out = os.path.join(work, "rt.out")
    for f in inputs:
        name = os.path.relpath(f, ROOT)
        a = run(["--format", "json", "-j", "1", f, "-w", out])
        if not check(os.path.exists(out), f"{name}: -w wrote nothing"):
            continue
        b = run(["--format", "json", "-j", "1", out])
        sa, suma = records(a.stdout)
        sb, _ = records(b.stdout)
        check(sa == sb, f"{name}: read again, {len(sb)} records differ "
              f"from the {len(sa)} of the input")
        check(b.returncode == 0 or a.returncode != 0,
              f"{name}: the file written does not "
              f"read: {b.stderr.decode()[:200]}")
        if suma is not None and suma.get("written"):
            check(suma["written"]["packets"] == frames_in(out),
                  f"{name}: summary says {suma['written']['packets']} "
                  f"packets, the file holds {frames_in(out)}")
        os.unlink(out)


def selection(work):
    """Each session of captures without DNS, against tcpdump."""
    for name in ("postfix-mime", "postfix-pipelining", "postfix-rset-multi",
                 "postfix-bdat-mime"):
        pcap = f"pcaps/{name}.pcap"
        sess, _ = records(run(["--format", "json", pcap]).stdout)
        for s in map(json.loads, sess):
            out = os.path.join(work, "sel.pcap")
            ref = os.path.join(work, "ref.pcap")
            r = run(["--session", s["id"], "-w", out, pcap])
            c, v = s["client"], s["server"]
            flt = (f"host {c['ip']} and port {c['port']} and host "
                   f"{v['ip']} and port {v['port']}")
            subprocess.run(["tcpdump", "-r", pcap, "-w", ref, flt],
                           cwd=ROOT, capture_output=True, check=True)
            with open(out, "rb") as x, open(ref, "rb") as y:
                check(x.read() == y.read(), f"{name} --session {s['id']}: "
                      f"not what tcpdump writes for {flt}")
            check(r.returncode == 0, f"{name}: exit {r.returncode}")
    out = os.path.join(work, "none.pcap")
    r = run(["--session", "0000000000000000", "-w", out,
             "pcaps/postfix-mime.pcap"])
    hdr, fr = pcap_frames(out)
    check(r.returncode == 0 and hdr is not None and len(fr) == 0 and
          os.path.getsize(out) == 24, "nothing selected: not a bare header")


def same_bytes(work):
    pcap = os.path.join(ROOT, "pcaps/postfix-mime.pcap")
    gz = os.path.join(work, "in.pcap.gz")
    with open(pcap, "rb") as f, gzip.open(gz, "wb") as g:
        raw = f.read()
        g.write(raw)
    want = os.path.join(work, "want.pcap")
    run(["-w", want, pcap])
    with open(want, "rb") as f:
        good = f.read()
    check(len(pcap_frames(want)[1]) == 82, "postfix-mime: not 82 frames")
    # It holds nothing but its two sessions: written whole, it is itself.
    check(good == raw, "postfix-mime written whole: not the same bytes")

    def same(what, path):
        with open(path, "rb") as f:
            check(f.read() == good, f"{what}: other bytes than from a file")
    got = os.path.join(work, "got.pcap")
    r = run(["-r", "-", "-w", got], input=raw)
    same("standard input (a pipe)", got)
    r = run(["-w", got, gz])
    same(".pcap.gz", got)
    with open(gz, "rb") as f:
        r = run(["-r", "-", "-w", got], input=f.read())
    same(".pcap.gz through a pipe", got)
    r = run(["-j", "2", "-w", got, pcap])
    same("-j 2", got)
    r = run(["-w", "-", pcap])
    check(r.stdout == good, "-w -: other bytes on standard output")
    check(b"  written: 82 packets" in r.stderr,
          "-w -: the report is not on standard error")


def pcapng_out(work):
    src = "pcaps/postfix-mixed-linktypes.pcapng"
    out = os.path.join(work, "m.pcapng")
    r = run(["--format", "json", "-w", out, src])
    b = pcapng_blocks(out)
    if not check(b is not None, "pcapng: a malformed block"):
        return
    kinds = [t for t, _ in b]
    lts = [struct.unpack_from("<H", body)[0] for t, body in b if t == 1]
    check(kinds[0] == 0x0a0d0d0a and lts == [1, 113] and
          kinds.count(6) == 38, f"pcapng: blocks {kinds[:4]}..., "
          f"link types {lts}")
    a, _ = records(r.stdout)
    c, _ = records(run(["--format", "json", out]).stdout)
    check(a == c and len(a) == 2, "pcapng: read again, not alike")
    # Two pcap inputs of different link types: Ethernet and raw IP.
    eth = os.path.join(ROOT, "pcaps/postfix-mime.pcap")
    hdr, fr = pcap_frames(eth)
    rawp = os.path.join(work, "raw.pcap")
    with open(rawp, "wb") as f:
        f.write(hdr[:20] + struct.pack("<I", 101))
        for rh, data in fr:
            sec, usec, cap, ln = struct.unpack("<IIII", rh)
            f.write(struct.pack("<IIII", sec + 86400, usec, cap - 14,
                                ln - 14) + data[14:])
    r = run(["--format", "json", "-w", out, eth, rawp])
    b = pcapng_blocks(out)
    lts = [struct.unpack_from("<H", body)[0] for t, body in (b or [])
           if t == 1]
    check(lts == [1, 101] and [t for t, _ in b].count(6) == 164,
          f"pcap inputs of two link types: interfaces {lts}")
    a, _ = records(r.stdout)
    c, _ = records(run(["--format", "json", out]).stdout)
    check(a == c and len(a) == 4, "two link types: read again, not alike")


def limits(work):
    pcap = os.path.join(ROOT, "pcaps/postfix-mime.pcap")
    _, all_frames = pcap_frames(pcap)
    out = os.path.join(work, "c.pcap")
    r = run(["-c", "30", "-w", out, pcap])
    _, got = pcap_frames(out)
    first = set(h + d for h, d in all_frames[:30])
    check(r.returncode == 0 and 0 < len(got) <= 30 and
          all(h + d in first for h, d in got), "-c 30: beyond 30 frames")
    cut = os.path.join(work, "cut.pcap")
    with open(pcap, "rb") as f, open(cut, "wb") as g:
        g.write(f.read()[:20000])
    r = run(["--format", "json", "-w", out, cut])
    a, _ = records(r.stdout)
    c, _ = records(run(["--format", "json", out]).stdout)
    check(r.returncode == 2 and b"truncated" in r.stderr and
          len(a) == 2 and a == c,
          f"truncated input: exit {r.returncode}, {len(a)} records, "
          "not written alike")


def refusals(work):
    copy = os.path.join(work, "copy.pcap")
    shutil.copy(os.path.join(ROOT, "pcaps/postfix-mime.pcap"), copy)
    with open(copy, "rb") as f:
        before = hashlib.sha256(f.read()).hexdigest()
    link = os.path.join(work, "link.pcap")
    os.symlink(os.path.join(work, "nowhere"), link)
    for target, inputs, want in (
            (copy, [copy], f"relayscope: -w {copy}: is also an input "
             f"({copy}); give another file"),
            (link, [copy], f"relayscope: -w {link}: is a symbolic link "
             "(give the file it names)"),
            (work, [copy], f"relayscope: -w {work}: Is a directory"),
            (os.path.join(work, "no", "x.pcap"), [copy],
             f"relayscope: -w {work}/no/x.pcap: No such file or "
             "directory")):
        r = run(["-w", target] + inputs)
        err = r.stderr.decode().strip()
        check(r.returncode == 2 and err == want and r.stdout == b"",
              f"-w {target}: exit {r.returncode}, said {err!r}")
    with open(copy, "rb") as f:
        check(hashlib.sha256(f.read()).hexdigest() == before,
              "-w naming its input changed it")
    check(not os.path.exists(os.path.join(work, "nowhere")),
          "-w followed a symbolic link")


def review_cases(work):
    """What a review found: each once broke, each is pinned here."""
    pcap = os.path.join(ROOT, "pcaps/postfix-mime.pcap")
    hdr, fr = pcap_frames(pcap)
    # A missing input named as FILE: refused, and not made.
    missing = os.path.join(work, "missing.pcap")
    r = run(["-w", missing, missing])
    check(r.returncode == 2 and b"is also an input" in r.stderr and
          not os.path.exists(missing), "a missing input as FILE: made it")
    # A named pipe cannot be read twice: refused, before it is read.
    fifo = os.path.join(work, "fifo")
    os.mkfifo(fifo)
    r = run(["-w", os.path.join(work, "f.pcap"), fifo], timeout=20)
    check(r.returncode == 2 and r.stderr.decode().strip() ==
          f"relayscope: -w: {fifo} is not a regular file (a pipe or a "
          "device) and cannot be read twice; give it on standard input, "
          "as -", f"a named pipe: exit {r.returncode}, {r.stderr[:200]}")
    r = run(["-w", os.path.join(work, "f.pcap"), "-", "-"], input=b"")
    check(r.returncode == 2 and b"standard input (-) is given twice" in
          r.stderr, "- twice: not refused")
    # -w - where standard output is a file opened to append: appended.
    with open(pcap, "rb") as f:
        raw = f.read()
    app = os.path.join(work, "app.bin")
    with open(app, "wb") as f:
        f.write(b"before\n")
    with open(app, "ab") as f:
        r = subprocess.run([BIN, "-w", "-", pcap], stdout=f,
                           stderr=subprocess.PIPE, cwd=ROOT)
    with open(app, "rb") as f:
        check(f.read() == b"before\n" + raw, "-w - appended: not kept")
    # Snap lengths: 0 (no limit, with frames of 1,400 bytes) and 200; the
    # file's must hold both.
    a = os.path.join(work, "snap0.pcap")
    with open(a, "wb") as f:
        f.write(hdr[:16] + struct.pack("<I", 0) + hdr[20:] +
                b"".join(h + d for h, d in fr))
    b = os.path.join(work, "snap200.pcap")
    h2, fr2 = pcap_frames(os.path.join(ROOT, "pcaps/postfix-helo.pcap"))
    with open(b, "wb") as f:
        f.write(h2[:16] + struct.pack("<I", 200) + h2[20:] +
                b"".join(h + d for h, d in fr2))
    out = os.path.join(work, "snap.pcap")
    # (the earlier capture first: one file's time never goes back)
    x = run(["--format", "json", "-w", out, b, a])
    y = run(["--format", "json", out])
    check(records(x.stdout)[0] == records(y.stdout)[0] and
          struct.unpack_from("<I", open(out, "rb").read(), 16)[0] ==
          262144, "snap lengths 0 and 200: not read again alike")
    # A retransmitted SYN (one second before the one answered) is the
    # session's too, as tcpdump's filter has it.
    syn = os.path.join(work, "syn.pcap")
    sec, usec, cap, ln = struct.unpack("<IIII", fr[0][0])
    with open(syn, "wb") as f:
        f.write(hdr + struct.pack("<IIII", sec - 1, usec, cap, ln) +
                fr[0][1] + b"".join(h + d for h, d in fr))
    out = os.path.join(work, "syn-w.pcap")
    ref = os.path.join(work, "syn-ref.pcap")
    sess, _ = records(run(["--format", "json", syn]).stdout)
    s0 = json.loads(sess[0])
    run(["--session", s0["id"], "-w", out, syn])
    subprocess.run(["tcpdump", "-r", syn, "-w", ref,
                    f"port {s0['client']['port']}"], cwd=ROOT,
                   capture_output=True, check=True)
    with open(out, "rb") as x, open(ref, "rb") as y:
        check(x.read() == y.read(), "a retransmitted SYN: not written")


def budget(work):
    """The spans -w keeps are charged to --max-memory: 152 bytes for each
    session on a connection of its own (key, array, slot, span)."""
    r = run(["-v", "-w", os.path.join(work, "b.pcap"),
             "pcaps/postfix-mime.pcap"])
    check(b", write 304)" in r.stderr, "-w: its spans are not charged "
          "to the budget as 2 x 152 bytes")


def nothing_read(work):
    """A run that reads no frame leaves an existing FILE as it was."""
    old = os.path.join(work, "old.pcap")
    with open(old, "wb") as f:
        f.write(b"keep")
    for args in (["pcaps/postfix-mime.pcap", "tcp port xx"],
                 ["pcaps/bad-linktype.pcap"]):
        r = run(["-w", old] + args)
        with open(old, "rb") as f:
            check(r.returncode == 2 and f.read() == b"keep" and
                  b"(not written: nothing was read)" in r.stdout,
                  f"{args}: FILE not left as it was")


def main():
    work = tempfile.mkdtemp(prefix="rs-write-")
    os.chmod(work, 0o755)
    try:
        inputs = []
        for d in ("pcaps", "tests/corpus"):
            for top, _, files in os.walk(os.path.join(ROOT, d)):
                inputs += [os.path.join(top, f) for f in files
                           if f.endswith((".pcap", ".pcapng", ".pcap.gz",
                                          ".cap", ".pcapng.gz"))]
        round_trip(sorted(inputs) + generated(work), work)
        selection(work)
        same_bytes(work)
        pcapng_out(work)
        limits(work)
        refusals(work)
        review_cases(work)
        nothing_read(work)
        budget(work)
    finally:
        shutil.rmtree(work)
    finish("write")


if __name__ == "__main__":
    main()
