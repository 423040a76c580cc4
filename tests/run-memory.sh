#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The memory budget (--max-memory) on a capture of 200 sessions open at
# once, each with 80 recipients (tests/bench/gen-concurrent.py), about
# 25 MB of records against the smallest budget, 16M:
#   - the run completes, and the budget's own peak stays within it (plus
#     one packet's worth): -v prints it;
#   - the largest sessions were cut in two, and every cut is whole: the
#     record before ends "cut" and names the one after (cut.to), which is
#     picked up mid-stream and names it (cut.from); both carry
#     memory-shed; no RCPT is lost or counted twice: each connection's
#     records add up to its 80, and to one session closed;
#   - the summary counts the cuts and the records, as the records do;
#   - the text output says the same in words;
#   - the same input gives the same output, byte for byte.
# Then the default budget on the same capture sheds nothing.  And one
# session open for the whole of another capture holds at most 8 MiB of
# later records waiting for it (the reorder buffer's bound).
set -u
cd "$(dirname "$0")/.."
pass=0
fail=0
tmp=$(mktemp -d /tmp/rs-memory.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL memory/$1"; }

python3 tests/bench/gen-concurrent.py "$tmp/conc.pcap" 200 80 400
./relayscope -j 1 -v --format json --max-memory 16M "$tmp/conc.pcap" \
    >"$tmp/a.json" 2>"$tmp/a.err"
rc=$?
[ $rc = 0 ] && ok || bad "exit $rc: $(tail -2 "$tmp/a.err")"
./relayscope -j 1 --format json --max-memory 16M "$tmp/conc.pcap" >"$tmp/b.json"
cmp -s "$tmp/a.json" "$tmp/b.json" && ok || bad "same input, other output"

python3 - "$tmp/a.json" "$tmp/a.err" >"$tmp/check.out" 2>&1 <<'PY'
import json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
err = open(sys.argv[2]).read()
summ, sess = recs[-1], [r for r in recs if r["type"] == "session"]
def check(name, cond, what=""):
    print(("ok " if cond else "FAIL memory/") + name + ("" if cond else ": " + str(what)))
m = re.search(r"memory: peak (\d+) bytes of (\d+)", err)
check("peak-logged", m is not None, err[-300:])
if m:
    peak, limit = int(m.group(1)), int(m.group(2))
    check("peak-within-budget", limit == 16 << 20 and peak <= limit + 65536,
          "peak %d of %d" % (peak, limit))
mem = summ["memory"]
check("cuts-happened", mem["sessions_cut"] > 0 and mem["bytes_shed"] > 0
      and mem["times_over"] > 0, mem)
byid = {r["id"]: r for r in sess}
cuts = [r for r in sess if r["cut"]["to"] is not None]
check("cut-count", len(cuts) == mem["sessions_cut"] ==
      summ["sessions"]["cut"], (len(cuts), mem, summ["sessions"]))
whole = True
for r in cuts:
    n = byid.get(r["cut"]["to"])
    if (r["end"] != "cut" or n is None or n["cut"]["from"] != r["id"] or
            not n["picked_up"] or "memory-shed" not in r["anomalies"] or
            "memory-shed" not in n["anomalies"] or
            n["client"] != r["client"] or n["server"] != r["server"]):
        whole = False
        break
check("cuts-whole", whole, r["id"])
firsts = [r for r in sess if r["cut"]["from"] is None]
chains, ok_rcpts = 0, True
for r in firsts:
    total, ends = r["rcpt_count"], [r["end"]]
    while r["cut"]["to"] is not None:
        r = byid[r["cut"]["to"]]
        total += r["rcpt_count"]
        ends.append(r["end"])
    chains += 1
    if total != 80 or ends[-1] != "closed" or ends.count("closed") != 1:
        ok_rcpts = False
        print("  chain of %s: %d rcpts, ends %s" % (firsts[0]["id"], total, ends))
        break
check("connections", chains == 200 and summ["sessions"]["closed"] == 200
      and summ["sessions"]["total"] == len(sess), (chains, summ["sessions"]))
check("rcpts-add-up", ok_rcpts and summ["recipients"]["total"] == 200 * 80,
      summ["recipients"])
PY
grep '^FAIL' "$tmp/check.out"
pass=$((pass + $(grep -c '^ok ' "$tmp/check.out")))
fail=$((fail + $(grep -c '^FAIL' "$tmp/check.out")))
[ "$(grep -c '^ok \|^FAIL' "$tmp/check.out")" = 7 ] ||
    bad "checks: $(tail -3 "$tmp/check.out")"

# The text output of the same run says it in words.
./relayscope -j 1 --color never --max-memory 16M "$tmp/conc.pcap" >"$tmp/a.txt"
first=$(grep -m1 '^  memory: cut at +[0-9.]* s to stay within --max-memory; the rest is session [0-9a-f]\{16\}$' "$tmp/a.txt")
[ -n "$first" ] && ok || bad "text: no cut line"
next=${first##* }
grep -q "^session [0-9]* $next " "$tmp/a.txt" && ok || bad "text: session $next missing"
grep -q "^  memory: the rest of session [0-9a-f]\{16\}, cut to stay within --max-memory$" "$tmp/a.txt" &&
    ok || bad "text: no continuation line"
grep -q '^  memory: over --max-memory (16.0 MiB) [0-9]* times: [0-9]* records written out of order, [0-9]* sessions judged before their onward window ended, [0-9]* idle reassembly buffers freed, [0-9]* sessions cut in two ([0-9.]* MiB given back), 0 DNS facts not kept$' "$tmp/a.txt" &&
    ok || bad "text: no summary line"

# The default budget: nothing shed, one record per connection.
./relayscope --format json "$tmp/conc.pcap" | tail -1 >"$tmp/d.json"
python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
m = s["memory"]
sys.exit(0 if s["sessions"]["total"] == 200 and m["times_over"] == 0 and
         m["sessions_cut"] == 0 else 1)' "$tmp/d.json" && ok || bad "default budget sheds"

# One session open for the whole capture (tests/bench/gen-long-open.py):
# every later record waits for it, and the reorder buffer holds at most
# 8 MiB of them (allocated bytes, as charged; plus the record being
# added), then writes them out of order; every session is written once.
# -j 2: each process sheds on its own share (docs/architecture.md,
# "Parallel runs"), so the records differ from -j 1's; still no
# recipient is lost, every connection ends closed, and the summary gives
# the budget as given.
./relayscope -j 2 --format json --max-memory 16M "$tmp/conc.pcap" \
    >"$tmp/j.json" 2>"$tmp/j.err"
python3 - "$tmp/j.json" <<'PY' && ok || bad "-j 2: $(tail -1 "$tmp/j.err")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
summ, sess = recs[-1], [r for r in recs if r["type"] == "session"]
m = summ["memory"]
ok = (summ["recipients"]["total"] == 200 * 80 and
      sum(r["rcpt_count"] for r in sess) == 200 * 80 and
      summ["sessions"]["closed"] == 200 and m["limit"] == 16 << 20 and
      m["times_over"] > 0 and m["sessions_cut"] == summ["sessions"]["cut"])
if not ok:
    print(summ["recipients"], summ["sessions"], m)
sys.exit(0 if ok else 1)
PY

python3 tests/bench/gen-long-open.py "$tmp/long.pcap" 3000 10 200
./relayscope -j 1 -v --format json "$tmp/long.pcap" >"$tmp/l.json" 2>"$tmp/l.err"
python3 - "$tmp/l.json" "$tmp/l.err" <<'PY' && ok || bad "long-open: reorder bound"
import json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
m = re.search(r"reorder (\d+)", open(sys.argv[2]).read())
seqs = sorted(r["seq"] for r in recs if r["type"] == "session")
summ = recs[-1]
ok = (m is not None and int(m.group(1)) <= 8 * 1024 * 1024 + 65536 and
      seqs == list(range(1, 3002)) and
      summ["memory"]["records_out_of_order"] >= 1 and
      [r["seq"] for r in recs[:-1]] != seqs)
if not ok:
    print("reorder peak %s, %d sessions, %s out of order" % (
        m and m.group(1), len(seqs), summ["memory"]["records_out_of_order"]))
sys.exit(0 if ok else 1)
PY

# Eight sessions open to the end of the capture, never closed, and 1,500
# behind them: records are forced out of order, then the eight end when
# the capture does.  Two runs write the same bytes (libnids' table, which
# the end walks, is seeded at random per run; the end goes by start).
python3 tests/bench/gen-long-open.py "$tmp/open8.pcap" 1500 10 430 8 open
./relayscope --format json "$tmp/open8.pcap" >"$tmp/o1.json" 2>/dev/null
./relayscope --format json "$tmp/open8.pcap" >"$tmp/o2.json" 2>/dev/null
if cmp -s "$tmp/o1.json" "$tmp/o2.json" &&
    grep -c '"end":"capture-ended"' "$tmp/o1.json" | grep -qx 8 &&
    ! grep -q '"records_out_of_order":0,' "$tmp/o1.json"; then
	ok
else
	bad "open-to-the-end: two runs, the same bytes"
fi

echo "memory: $pass passed, $fail failed"
[ "$fail" = 0 ]
