#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""AUTH secrets must never be printed (docs/output-format.md, "Bytes from
the wire"; issue 12: masking rests on the client's own bytes, not on the
pairing of replies nor on what the server answered).

    usage: tests/run-secrets.py [BINARY]   (default ./relayscope)

Captures, and the secrets each one carries:
  - pcaps/*.pcap and pcaps/*.pcapng: the secrets are taken from the
    capture itself, by the small extractor below (independent of
    relayscope's code): each TCP flow's client-to-server payload put
    together in sequence order (a hole ends a line), DATA bodies and
    BDAT chunks skipped, then every AUTH exchange in it (the initial
    response, and the lines that follow up to a line that is a known
    SMTP command), each line's base64 text and, decoded by mechanism,
    the password, token or proof; also any line that decodes as PLAIN
    credentials, and in a connection picked up mid-stream the lone
    base64 tokens before its first command.  The fixtures' passwords
    ("fixture-secret", "wrong-password") must be among what it finds,
    or the extractor is broken and the check would prove nothing;
  - tests/gen/secrets.py, run into a temporary directory: one capture per
    AUTH case, with its secrets, the user name relayscope should show and
    whether a password was sent (OUTDIR/secrets.json), and what the
    extractor finds in it;
  - pcaps/socks5-postfix.pcap also carries a SOCKS5 proxy password
    (PROXY_SECRETS), never to be printed either;
  - tests/corpus/: what the extractor finds in each capture, and the
    "secrets" expected.json lists for it (those only as raw bytes, as the
    corpus' check.py looks for them).

relayscope runs on each capture with default options three times: text
(--color never), JSON (--format json) and -v; a secret of at least 4
characters (its base64 text or what it decodes to) found in the standard
output or standard error of any run is a failure.  It is looked for as
the bytes themselves and as relayscope's text and JSON escaping would
print them.  For the generated captures, the JSON session's auth.user and
auth.password_sent must also be what secrets.json says.  Nothing is
excepted: a known leak is a failure here.

Prints "FAIL secrets/CAPTURE: WHAT" per failure and ends with one line
"secrets: N passed, N failed"; exits 1 if any failed."""
import base64
import binascii
import concurrent.futures
import glob
import json
import os
import struct
import subprocess
import sys
import tempfile

TIMEOUT = 60
MIN_LEN = 4
RUNS = (("text", ["--color", "never"]),
        ("json", ["--format", "json"]),
        ("-v", ["-v"]))
# The fixtures' passwords (pcaps/recipes/): the extractor must find them.
FIXTURE_PASSWORDS = (b"fixture-secret", b"wrong-password")

# Verbs that end an AUTH exchange in the client's bytes (RFC 5321 4.1,
# and the extensions the fixtures and the public captures use).
COMMANDS = {b"HELO", b"EHLO", b"LHLO", b"MAIL", b"RCPT", b"DATA", b"BDAT",
            b"RSET", b"NOOP", b"VRFY", b"EXPN", b"HELP", b"QUIT",
            b"STARTTLS", b"AUTH", b"ETRN", b"XCLIENT", b"XFORWARD", b"TURN",
            b"ATRN", b"SEND", b"SOML", b"SAML"}
B64 = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
          b"0123456789+/=")


# ---- reading captures: pcap and pcapng, down to TCP segments ----

def pcap_frames(data):
    """(linktype, frame) of a pcap file; stops quietly where it is cut"""
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return
    if len(data) < 24:
        return
    link = struct.unpack(e + "I", data[20:24])[0] & 0xffff
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        yield link, data[off + 16:off + 16 + incl]
        off += 16 + incl


def pcapng_frames(data):
    """(linktype, frame) of a pcapng file: every section, every
    interface's own link type (EPB, SPB and the obsolete PB)"""
    off, e, links = 0, "<", []
    while off + 12 <= len(data):
        btype = struct.unpack(e + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            bom = data[off + 8:off + 12]
            e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            return
        body = data[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 8:
            links.append(struct.unpack(e + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:
            iface, _, _, cap = struct.unpack(e + "IIII", body[:16])
            if iface < len(links):
                yield links[iface], body[20:20 + cap]
        elif btype == 3 and len(body) >= 4 and links:
            yield links[0], body[4:]
        elif btype == 2 and len(body) >= 20:
            iface = struct.unpack(e + "H", body[:2])[0]
            cap = struct.unpack(e + "I", body[12:16])[0]
            if iface < len(links):
                yield links[iface], body[20:20 + cap]
        off += blen


def l3_of(link, f):
    """(ethertype-ish version, IP packet) of a frame, or None"""
    if link == 1:  # Ethernet, with 802.1Q/802.1ad tags
        if len(f) < 14:
            return None
        et, off = struct.unpack("!H", f[12:14])[0], 14
        while et in (0x8100, 0x88a8, 0x9100) and len(f) >= off + 4:
            et, off = struct.unpack("!H", f[off + 2:off + 4])[0], off + 4
        return et, f[off:]
    if link == 113:  # Linux cooked (SLL)
        return (struct.unpack("!H", f[14:16])[0], f[16:]) if len(f) >= 16 \
            else None
    if link == 276:  # Linux cooked v2 (SLL2)
        return (struct.unpack("!H", f[0:2])[0], f[20:]) if len(f) >= 20 \
            else None
    if link in (0, 108):  # BSD loopback: address family, 4 bytes
        if len(f) < 4:
            return None
        fam = struct.unpack("<I" if link == 0 else "!I", f[:4])[0]
        if link == 0 and fam > 0xffff:
            fam = struct.unpack("!I", f[:4])[0]
        return (0x0800 if fam == 2 else 0x86dd), f[4:]
    if link in (12, 14, 101, 228, 229):  # raw IP
        if not f:
            return None
        return (0x0800 if f[0] >> 4 == 4 else 0x86dd), f
    return None


def tcp_of(et, pkt):
    """(src, dst, sport, dport, seq, flags, payload) or None"""
    if et == 0x0800 and len(pkt) >= 20 and pkt[0] >> 4 == 4:
        ihl = (pkt[0] & 15) * 4
        total = struct.unpack("!H", pkt[2:4])[0]
        frag = struct.unpack("!H", pkt[6:8])[0]
        if pkt[9] != 6 or frag & 0x3fff:
            return None  # not TCP, or a fragment (not reassembled)
        src, dst = pkt[12:16], pkt[16:20]
        seg = pkt[ihl:total] if total >= ihl else pkt[ihl:]
    elif et == 0x86dd and len(pkt) >= 40 and pkt[0] >> 4 == 6:
        nxt, off = pkt[6], 40
        plen = struct.unpack("!H", pkt[4:6])[0]
        end = 40 + plen
        while nxt in (0, 43, 60) and len(pkt) >= off + 8:
            nxt, off = pkt[off], off + (pkt[off + 1] + 1) * 8
        if nxt != 6:
            return None
        src, dst = pkt[8:24], pkt[24:40]
        seg = pkt[off:end]
    else:
        return None
    if len(seg) < 20:
        return None
    sport, dport, seq = struct.unpack("!HHI", seg[:8])
    doff = (seg[12] >> 4) * 4
    return src, dst, sport, dport, seq, seg[13], seg[doff:]


def client_streams(path):
    """Each TCP connection's client-to-server bytes, in sequence order;
    a hole becomes a line end.  The client is the side that sent the SYN
    or got the SYN/ACK; without either, the side sending to the lower
    port.  [(picked_up, bytes)]"""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return []
    frames = pcapng_frames(data) if data[:4] == b"\x0a\x0d\x0d\x0a" \
        else pcap_frames(data)
    conns = {}  # directed key -> [{"isn", "segs"}]
    role = {}  # directed key -> "C" or "S", from the handshake
    for link, f in frames:
        l3 = l3_of(link, f)
        t = l3 and tcp_of(*l3)
        if not t:
            continue
        src, dst, sport, dport, seq, flags, payload = t
        key = (src, sport, dst, dport)
        back = (dst, dport, src, sport)
        syn, ack = flags & 0x02, flags & 0x10
        if syn and not ack:
            role[key], role[back] = "C", "S"
        elif syn and ack:
            role[key], role[back] = "S", "C"
        lst = conns.setdefault(key, [])
        if syn:
            if not lst or lst[-1]["isn"] not in (None, seq):
                lst.append({"isn": seq, "segs": []})
            elif lst[-1]["isn"] is None:
                lst[-1]["isn"] = seq
            continue
        if not lst:
            lst.append({"isn": None, "segs": []})
        if payload:
            lst[-1]["segs"].append((seq, payload))
    out = []
    for key, lst in conns.items():
        r = role.get(key)
        if r is None:
            r = "C" if key[3] < key[1] else "S"
        if r != "C":
            continue
        for c in lst:
            if c["segs"]:
                out.append((c["isn"] is None, reassemble(c)))
    return out


def reassemble(c):
    ref = c["segs"][0][0] if c["isn"] is None else c["isn"] + 1

    def rel(seq):
        d = (seq - ref) & 0xffffffff
        return d - (1 << 32) if d >= 1 << 31 else d

    segs = sorted(((rel(s), p) for s, p in c["segs"]), key=lambda x: x[0])
    pos = segs[0][0] if c["isn"] is None else 0
    buf = bytearray()
    for r, p in segs:
        if r > pos:
            buf += b"\n"  # a hole: what follows starts a line of its own
            pos = r
        if r + len(p) > pos:
            buf += p[pos - r:]
            pos = r + len(p)
    return bytes(buf)


# ---- AUTH exchanges in the client's bytes ----

def b64decode(tok):
    """the bytes a base64 token stands for, or None"""
    if not tok or any(ch not in B64 for ch in tok) or len(tok) % 4:
        return None
    try:
        return base64.b64decode(tok, validate=True)
    except (binascii.Error, ValueError):
        return None


def is_command(line):
    verb = line.split(b" ", 1)[0].split(b"\t", 1)[0].upper()
    return verb in COMMANDS


def plain_password(raw):
    """the password of SASL PLAIN credentials (RFC 4616), or None"""
    if raw is None:
        return None
    parts = raw.split(b"\0")
    if len(parts) == 3 and parts[1] and parts[2]:
        return parts[2]
    return None


def secrets_of_response(mech, index, tok):
    """the secrets in one AUTH response line (index 0: the first, or the
    initial response)"""
    if tok in (b"", b"*", b"="):
        return set()
    out = {tok}
    raw = b64decode(tok)
    if raw is None:
        return out
    pw = plain_password(raw)
    if pw is not None:
        out.add(pw)
    if mech == b"PLAIN":
        pass
    elif mech == b"LOGIN":
        if index > 0:
            out.add(raw)  # the password; the first is the user name
    elif mech == b"CRAM-MD5":
        out.add(raw.rsplit(b" ", 1)[-1])
    elif mech in (b"XOAUTH2", b"OAUTHBEARER"):
        for kv in raw.split(b"\x01"):
            if kv.startswith(b"auth="):
                out.add(kv[5:])
                out.add(kv[5:].split(b" ", 1)[-1])
    elif mech.startswith(b"SCRAM-"):
        for kv in raw.split(b","):
            if kv.startswith(b"p="):
                out.add(kv[2:])
    else:
        out.add(raw)  # a mechanism not known here: all of it
    return out


def lines_of(stream):
    """the client's lines as relayscope's state would take them: DATA
    bodies and BDAT chunks skipped, nothing after STARTTLS's TLS"""
    pos, n = 0, len(stream)
    in_data = False
    while pos < n:
        nl = stream.find(b"\n", pos)
        end = n if nl < 0 else nl
        line = stream[pos:end].rstrip(b"\r")
        pos = end + 1
        if in_data:
            if line == b".":
                in_data = False
            continue
        yield line
        words = line.split()
        verb = words[0].upper() if words else b""
        if verb == b"DATA" and len(words) == 1:
            in_data = True
        elif verb == b"BDAT" and len(words) >= 2 and words[1].isdigit():
            pos += int(words[1])
        elif verb == b"STARTTLS" and stream[pos:pos + 1] == b"\x16":
            return


def extract(stream, picked_up):
    """the AUTH secrets in one client stream"""
    found = set()
    mech, index = None, 0
    leading = picked_up  # a pickup may begin inside an AUTH exchange
    for line in lines_of(stream):
        tok = line.strip()
        if mech is not None and not is_command(tok):
            found |= secrets_of_response(mech, index, tok)
            index += 1
            continue
        mech = None
        if is_command(tok):
            leading = False
            words = tok.split()
            if words[0].upper() == b"AUTH" and len(words) >= 2:
                mech, index = words[1].upper(), 0
                if len(words) >= 3:
                    found |= secrets_of_response(mech, 0, words[2])
                    index = 1
            continue
        # Anywhere: a line that decodes as PLAIN credentials; at the
        # start of a pickup, any lone base64 token.
        if b" " not in tok and b64decode(tok) is not None:
            if plain_password(b64decode(tok)) is not None:
                found |= secrets_of_response(b"PLAIN", 0, tok)
            elif leading:
                found |= secrets_of_response(b"", 0, tok)
    return found


def capture_secrets(path):
    s = set()
    for picked_up, stream in client_streams(path):
        s |= extract(stream, picked_up)
    return s


# ---- looking for them in relayscope's output ----

def text_escape(b):
    out = bytearray()
    for c in b:
        if c == 0x5c:
            out += b"\\\\"
        elif 0x20 <= c < 0x7f:
            out.append(c)
        elif c in (0x0d, 0x0a, 0x09):
            out += {0x0d: b"\\r", 0x0a: b"\\n", 0x09: b"\\t"}[c]
        else:
            out += b"\\x%02x" % c
    return bytes(out)


def needles(secret):
    """the forms a secret (bytes) could take in relayscope's output"""
    n = {secret, text_escape(secret)}
    n.add(secret.decode("latin-1").encode("utf-8"))
    try:
        s = secret.decode("utf-8")
    except UnicodeDecodeError:
        s = None
    if s is not None:
        j = json.dumps(s, ensure_ascii=False)[1:-1]
        n.add(j.encode("utf-8"))
        n.add(j.replace("/", "\\/").encode("utf-8"))
        n.add("".join("\\u%04x" % ord(ch) if ord(ch) < 0x20 or ch in "\"\\"
                      else ch for ch in s).encode("utf-8"))
    return n


def as_bytes(s):
    if isinstance(s, bytes):
        return s
    try:
        return s.encode("latin-1")
    except UnicodeEncodeError:
        return s.encode("utf-8")


def shown(b):
    return repr(b.decode("latin-1"))


def run(binary, args, path):
    """(status or None on timeout, stdout bytes, stderr bytes)"""
    try:
        p = subprocess.run([binary] + args + [path], capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=TIMEOUT)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return None, e.stdout or b"", e.stderr or b""
    except OSError as e:
        return "cannot run %s: %s" % (binary, e.strerror), b"", b""


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


def check(binary, path, secrets, want=None, listed=()):
    """[(name, problem or None)] for one capture: the runs, the secrets
    (in every form relayscope could print them; those only listed in
    expected.json as its own check.py looks for them, raw), and for
    generated captures the auth object"""
    results = []
    outs = {}
    for name, args in RUNS:
        rc, out, err = run(binary, args, path)
        outs[name] = (out, err)
        p = None
        if isinstance(rc, str):
            p = rc
        elif rc is None:
            p = "%s: timeout after %d s" % (name, TIMEOUT)
        elif rc < 0:
            p = "%s: killed by signal %d" % (name, -rc)
        results.append(("run " + name, p))
    leaks = []
    strict = {as_bytes(s) for s in secrets}
    for sec in sorted(strict | {as_bytes(s) for s in listed}):
        if len(sec) < MIN_LEN:
            continue
        forms = needles(sec) if sec in strict else {sec}
        where = [name + (" stderr" if i else "")
                 for name, _ in RUNS for i, o in enumerate(outs[name])
                 if any(nd in o for nd in forms)]
        if where:
            leaks.append("%s (%s)" % (shown(sec), ", ".join(where)))
    results.append(("secrets", "AUTH secret printed: " + "; ".join(leaks)
                    if leaks else None))
    if want is not None:
        results.append(("auth", auth_problem(outs["json"][0], want)))
    return results


def auth_problem(out, want):
    sess = sessions_of(out)
    if len(sess) != 1:
        return "want one session in the JSON output, got %d" % len(sess)
    a = sess[0].get("auth")
    if a is None:
        if want.get("auth_may_be_null"):
            return None
        return "auth is null, want user %r, password_sent %s" % (
            want["user"], json.dumps(want["password_sent"]))
    bad = []
    users = [want["user"]] + ([None] if want.get("user_may_be_null") else [])
    if a.get("user") not in users:
        bad.append("user %r, want %s" % (a.get("user"), " or ".join(
            repr(u) for u in users)))
    if "password_sent" not in a:
        bad.append("no password_sent, want %s" %
                   json.dumps(want["password_sent"]))
    elif a["password_sent"] is not want["password_sent"]:
        bad.append("password_sent %s, want %s" % (
            json.dumps(a["password_sent"]), json.dumps(want["password_sent"])))
    return "; ".join(bad) or None


# Proxy credentials (SOCKS5 user/password, RFC 1929) are secrets too:
# the recorded proxy fixtures' passwords, looked for in every form.
PROXY_SECRETS = {"socks5-postfix.pcap": ["proxysecret1"]}


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "./relayscope"
    if os.sep in binary:
        binary = os.path.abspath(binary)
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    os.environ["TZ"] = "UTC"
    os.environ["LC_ALL"] = "C"
    ok = bad = 0
    jobs = []  # (label, path, secrets, want)
    with tempfile.TemporaryDirectory() as tmp:
        g = subprocess.run([sys.executable, "tests/gen/secrets.py", tmp],
                           capture_output=True)
        if g.returncode != 0:
            print("FAIL secrets/gen: tests/gen/secrets.py: %s" %
                  g.stderr.decode("utf-8", "replace").strip()[-300:])
            bad += 1
            cases = {}
        else:
            with open(os.path.join(tmp, "secrets.json")) as f:
                cases = json.load(f)
        for name, want in sorted(cases.items()):
            path = os.path.join(tmp, name)
            sec = {as_bytes(s) for s in want["secrets"]} | \
                capture_secrets(path)
            jobs.append(("gen/" + name, path, sec, want, ()))
        with open("tests/corpus/expected.json") as f:
            expected = json.load(f)
        # expected.json's own list is looked for raw, as check.py does:
        # for smtperr.pcap it lists pieces of Sendmail's echo of binary
        # junk in a session without AUTH, which relayscope prints escaped
        # as any server text.  Every AUTH secret the extractor finds in a
        # capture is looked for in every form.
        for rel, exp in sorted(expected.items()):
            path = os.path.join("tests/corpus", rel)
            jobs.append(("corpus/" + rel, path, capture_secrets(path), None,
                         exp["secrets"]))
        fixtures = sorted(glob.glob("pcaps/*.pcap") +
                          glob.glob("pcaps/*.pcapng"))
        found = set()
        for path in fixtures:
            sec = capture_secrets(path)
            found |= sec
            jobs.append((path, path, sec, None,
                         PROXY_SECRETS.get(os.path.basename(path), ())))
        missing = [p for p in FIXTURE_PASSWORDS if p not in found]
        if missing:
            bad += 1
            print("FAIL secrets/pcaps: the extractor did not find %s" %
                  ", ".join(shown(p) for p in missing))
        else:
            ok += 1
        with concurrent.futures.ThreadPoolExecutor(
                max(2, os.cpu_count() or 2)) as ex:
            results = list(ex.map(
                lambda j: check(binary, j[1], j[2], j[3], j[4]), jobs))
    for (label, _, _, _, _), res in zip(jobs, results):
        for name, problem in res:
            if problem is None:
                ok += 1
            else:
                bad += 1
                print("FAIL secrets/%s: %s" % (label, problem))
    print("secrets: %d passed, %d failed" % (ok, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
