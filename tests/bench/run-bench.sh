#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (make bench): analyse generated captures and report, as ratios
# against baselines measured in the same run:
#   time:   full analysis (JSON or text to /dev/null) / bare libnids
#           reassembly of the same file (build/nids-floor: every stream
#           collected, its data consumed, nothing parsed: the floor); the
#           libpcap read alone (a filter that drops every frame) is shown
#           too
#   memory: peak RSS with 10x the sessions / peak RSS with 1x, sessions one
#           after another (bounded memory means a ratio near 1); and with
#           10x as many sessions open at once, all with content, under
#           --max-memory BENCH_MEMORY (default 64M): the budget must hold
#           peak RSS flat whatever the concurrency
#           and with one session open for the whole file (every later
#           record waits for it: the reorder buffer's bound)
#   detection: the small capture with HTTP-like bulk downloads merged in
#           until they are 90% of the bytes (tests/bench/gen-mixed.py),
#           against the small capture alone (the same capture filtered to
#           SMTP only): what finding SMTP by content costs on other TCP
#   loss:   a ground-truth capture (tests/gen/groundtruth.py) with 5% loss,
#           5% reordering, 20% cut handshakes, 30% IPv6, against the same
#           sessions unimpaired: each as a ratio to its own floor, so the
#           cost of pickup and hole skipping shows
set -eu
cd "$(dirname "$0")/../.."
dir=${BENCH_DIR:-build/bench}
n=${BENCH_SESSIONS:-20000}
conc=${BENCH_CONCURRENT:-600}
mem=${BENCH_MEMORY:-64M}
mkdir -p "$dir"
[ -x build/nids-floor ] || make -s build/nids-floor
[ -s "$dir/big.pcap" ] || python3 tests/bench/gen-capture.py "$dir/big.pcap" "$n"
[ -s "$dir/small.pcap" ] || python3 tests/bench/gen-capture.py "$dir/small.pcap" $((n / 10))
g=$((n / 4))
[ -s "$dir/lossy.pcap" ] || python3 tests/gen/groundtruth.py gen \
    "$dir/lossy.pcap" "$dir/lossy.json" sessions=$g seed=11
[ -s "$dir/conc1.pcap" ] || python3 tests/bench/gen-concurrent.py "$dir/conc1.pcap" "$conc" 80 400
[ -s "$dir/conc10.pcap" ] || python3 tests/bench/gen-concurrent.py "$dir/conc10.pcap" $((conc * 10)) 80 400
[ -s "$dir/long.pcap" ] || python3 tests/bench/gen-long-open.py "$dir/long.pcap" 20000 10 200
[ -s "$dir/mixed.pcap" ] || python3 tests/bench/gen-mixed.py "$dir/small.pcap" "$dir/mixed.pcap" 0.9
[ -s "$dir/clean.pcap" ] || python3 tests/gen/groundtruth.py gen \
    "$dir/clean.pcap" "$dir/clean.json" sessions=$g seed=11 loss=0 \
    reorder=0 retrans=0 cut=0 onesided=0
python3 - "$dir" "$mem" <<'PY'
import os, resource, subprocess, sys, time
d, mem = sys.argv[1], sys.argv[2]
def run(args, reps=3, prog="./relayscope"):
    best = None
    for _ in range(reps):
        t = time.perf_counter()
        subprocess.run([prog] + args, stdout=subprocess.DEVNULL, check=True)
        e = time.perf_counter() - t
        best = e if best is None or e < best else best
    return best
def floor(path):
    return run([path], prog="build/nids-floor")
def rss(args):
    p = subprocess.Popen(["./relayscope"] + args, stdout=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    return ru.ru_maxrss
big, small = d + "/big.pcap", d + "/small.pcap"
size = os.path.getsize(big) / 1e6
base = floor(big)
read = run(["-f", "udp port 9", big])
full = run(["--format", "json", big])
text = run(["--color", "never", big])
r_big, r_small = rss(["--format", "json", big]), rss(["--format", "json", small])
print("capture: %.1f MB" % size)
print("floor (bare libnids reassembly): %.3f s; libpcap read alone: %.3f s = %.2fx the floor" % (base, read, read / base))
print("json analysis: %.3f s = %.2fx the floor (%.0f MB/s)" % (full, full / base, size / full))
print("text analysis: %.3f s = %.2fx the floor" % (text, text / base))
print("peak RSS: %d MB (10x sessions) vs %d MB (1x) = %.2fx" % (r_big / 1024, r_small / 1024, r_big / r_small))
c1, c10 = d + "/conc1.pcap", d + "/conc10.pcap"
m1 = rss(["--format", "json", "--max-memory", mem, c1])
m10 = rss(["--format", "json", "--max-memory", mem, c10])
u10 = rss(["--format", "json", c10])
print("concurrent sessions with content, --max-memory %s: peak RSS %d MB (10x open at once) vs %d MB (1x) = %.2fx; without the limit (1 GiB default) 10x takes %d MB" % (mem, m10 / 1024, m1 / 1024, m10 / m1, u10 / 1024))
lo = d + "/long.pcap"
r_long = rss(["--format", "json", lo])
print("one session open for the whole file (20,000 others behind it, %.0f MB): peak RSS %d MB = %.2fx the 1x sequential run (the reorder buffer holds 8 MiB)" % (os.path.getsize(lo) / 1e6, r_long / 1024, r_long / r_small))
mixed = d + "/mixed.pcap"
ms, mm = run(["--color", "never", small]), run(["--color", "never", mixed])
mn = run(["--color", "never", "--no-detect", mixed])
print("detection: %.1f MB, 90%% of it other TCP: text %.3f s = %.2fx the same capture filtered to SMTP only (%.1f MB, %.3f s); --no-detect %.3f s = %.2fx" % (os.path.getsize(mixed) / 1e6, mm, mm / ms, os.path.getsize(small) / 1e6, ms, mn, mn / ms))
lossy, clean = d + "/lossy.pcap", d + "/clean.pcap"
lb, cb = floor(lossy), floor(clean)
lf, cf = run(["--format", "json", lossy]), run(["--format", "json", clean])
print("ground-truth capture, unimpaired: %.1f MB, json %.3f s = %.2fx its floor" % (os.path.getsize(clean) / 1e6, cf, cf / cb))
print("ground-truth capture, 5%% loss, 5%% reordering, 20%% cut, 30%% IPv6: json %.3f s = %.2fx its floor (%.2fx the unimpaired ratio)" % (lf, lf / lb, (lf / lb) / (cf / cb)))
PY
