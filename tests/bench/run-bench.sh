#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (make bench): analyse generated captures and report, as ratios
# against a baseline measured in the same run:
#   time:   full analysis (JSON to /dev/null) / reading the same file with a
#           filter that drops every frame (libpcap I/O and BPF only)
#   memory: peak RSS with 10x the sessions / peak RSS with 1x (bounded
#           memory means a ratio near 1)
#   loss:   a ground-truth capture (tests/gen/groundtruth.py) with 5% loss,
#           5% reordering, 20% cut handshakes, 30% IPv6, against the same
#           sessions unimpaired: each as a ratio to its own read-only
#           baseline, so the cost of pickup and hole skipping shows
set -eu
cd "$(dirname "$0")/../.."
dir=${BENCH_DIR:-build/bench}
n=${BENCH_SESSIONS:-20000}
mkdir -p "$dir"
[ -s "$dir/big.pcap" ] || python3 tests/bench/gen-capture.py "$dir/big.pcap" "$n"
[ -s "$dir/small.pcap" ] || python3 tests/bench/gen-capture.py "$dir/small.pcap" $((n / 10))
g=$((n / 4))
[ -s "$dir/lossy.pcap" ] || python3 tests/gen/groundtruth.py gen \
    "$dir/lossy.pcap" "$dir/lossy.json" sessions=$g seed=11
[ -s "$dir/clean.pcap" ] || python3 tests/gen/groundtruth.py gen \
    "$dir/clean.pcap" "$dir/clean.json" sessions=$g seed=11 loss=0 \
    reorder=0 retrans=0 cut=0 onesided=0
python3 - "$dir" <<'PY'
import os, resource, subprocess, sys, time
d = sys.argv[1]
def run(args, reps=3):
    best = None
    for _ in range(reps):
        t = time.perf_counter()
        subprocess.run(["./relayscope"] + args, stdout=subprocess.DEVNULL, check=True)
        e = time.perf_counter() - t
        best = e if best is None or e < best else best
    return best
def rss(args):
    p = subprocess.Popen(["./relayscope"] + args, stdout=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    return ru.ru_maxrss
big, small = d + "/big.pcap", d + "/small.pcap"
size = os.path.getsize(big) / 1e6
base = run(["-f", "udp port 9", big])
full = run(["--format", "json", big])
text = run(["--color", "never", big])
r_big, r_small = rss(["--format", "json", big]), rss(["--format", "json", small])
print("capture: %.1f MB" % size)
print("baseline (read only): %.3f s" % base)
print("json analysis: %.3f s = %.2fx baseline (%.0f MB/s)" % (full, full / base, size / full))
print("text analysis: %.3f s = %.2fx baseline" % (text, text / base))
print("peak RSS: %d MB (10x sessions) vs %d MB (1x) = %.2fx" % (r_big / 1024, r_small / 1024, r_big / r_small))
lossy, clean = d + "/lossy.pcap", d + "/clean.pcap"
lb, cb = run(["-f", "udp port 9", lossy]), run(["-f", "udp port 9", clean])
lf, cf = run(["--format", "json", lossy]), run(["--format", "json", clean])
print("ground-truth capture, unimpaired: %.1f MB, json %.3f s = %.2fx its baseline" % (os.path.getsize(clean) / 1e6, cf, cf / cb))
print("ground-truth capture, 5%% loss, 5%% reordering, 20%% cut, 30%% IPv6: json %.3f s = %.2fx its baseline (%.2fx the unimpaired ratio)" % (lf, lf / lb, (lf / lb) / (cf / cb)))
PY
