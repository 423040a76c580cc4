#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A smoke run of the benchmark (tests/bench/run-bench.py) on its small
# captures, one run each, no info measures (a few seconds): its figures
# are not looked at, only that it works:
#   - it exits 0 though targets FAIL (a report), and prints every check
#     PASS (floor, text and JSON found all the generator wrote);
#   - every target is one line ending PASS or FAIL, none missing;
#   - run again, it reuses the captures (no "generated" line), and with
#     BENCH_STRICT=1 it exits 1 when any line says FAIL, else 0.
set -u
cd "$(dirname "$0")/.."
pass=0
fail=0
tmp=$(mktemp -d /tmp/rs-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL bench-smoke/$1"; }
run() {
	BENCH_QUICK=1 BENCH_INFO=0 BENCH_REPS=1 BENCH_DIR="$tmp/cache" \
	    python3 tests/bench/run-bench.py >"$1" 2>&1
}

run "$tmp/a.out"
rc=$?
[ $rc = 0 ] && ok || bad "exit $rc: $(tail -3 "$tmp/a.out")"
# Floor, text and JSON on four captures; with -j, text and JSON -j 2 on
# the 100k one too.
want=12
./relayscope -j 2 --version >/dev/null 2>&1 && want=14
n=$(grep -c '^check .* PASS$' "$tmp/a.out")
[ "$n" = $want ] && ok || bad "checks passed: $n of $want: $(grep '^check' "$tmp/a.out" | grep -v 'PASS$')"
for t in 1 2 3 4 5; do
	want=2
	[ $t = 1 ] && want=4
	n=$(grep -c "^target $t .* \(PASS\|FAIL\)\( (no -j option)\)\?\$" \
	    "$tmp/a.out")
	[ "$n" = $want ] && ok || bad "target $t: $n lines, not $want"
done
grep -q '^info generated' "$tmp/a.out" && ok || bad "nothing generated"

BENCH_STRICT=1 run "$tmp/b.out"
rc=$?
grep -q '^info generated' "$tmp/b.out" && bad "captures not reused" || ok
if grep -q 'FAIL' "$tmp/b.out"; then
	[ $rc = 1 ] && ok || bad "BENCH_STRICT=1 with a FAIL: exit $rc"
else
	[ $rc = 0 ] && ok || bad "BENCH_STRICT=1 without a FAIL: exit $rc"
fi
echo "bench-smoke: $pass passed, $fail failed"
[ "$fail" = 0 ]
