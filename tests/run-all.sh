#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole suite: every GTest binary given (TAP), the golden tests and the
# error tests that need a second user.  Ends with exactly one line
# "N passed, N failed" summing all of them; exits 1 if any failed.
#   tests/run-all.sh [--only unit] BINARY...
set -u
cd "$(dirname "$0")/.."
only=""
if [ "${1:-}" = "--only" ]; then
	only=$2
	shift 2
fi
pass=0
fail=0
add() {
	pass=$((pass + $1))
	fail=$((fail + $2))
}
for t in "$@"; do
	out=$("$t" --tap 2>&1)
	rc=$?
	p=$(printf '%s\n' "$out" | grep -c '^ok ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok ')
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		# Crashed or aborted before reporting: count it as a failure.
		f=1
		printf '%s\n' "$out" | tail -5
	fi
	printf '%s\n' "$out" | grep '^not ok ' || true
	echo "unit $(basename "$t"): $p ok, $f not ok"
	add "$p" "$f"
done
if [ -z "$only" ]; then
	for suite in tests/run-golden.sh tests/run-errors.sh tests/run-live.sh \
	    tests/run-dns.sh tests/run-replay.sh tests/run-encap.sh \
	    tests/run-groundtruth.sh tests/run-evasion.sh tests/run-memory.sh \
	    tests/run-replay-matrix.sh tests/run-bench-smoke.sh \
	    "tests/run-corpus.py ./relayscope" \
	    "tests/run-community-id.py ./relayscope" \
	    "tests/run-secrets.py ./relayscope" \
	    "tests/run-diagnosis.py ./relayscope" \
	    "tests/run-zeek.py ./relayscope" \
	    "tests/run-extract.py ./relayscope" \
	    "tests/run-write.py ./relayscope" \
	    "tests/run-suricata.py ./relayscope" \
	    tests/run-jobs.sh \
	    "tests/mutate-captures.py ./relayscope 1 101"; do
		case "$suite" in
		*.py*) out=$(python3 $suite 2>&1) ;;
		*) out=$(sh "$suite" 2>&1) ;;
		esac
		printf '%s\n' "$out" | grep -v ': [0-9]* passed, [0-9]* failed$'
		line=$(printf '%s\n' "$out" | tail -1)
		p=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
		f=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
		[ -n "$p" ] || { p=0; f=1; echo "$suite: no result line"; }
		echo "$(basename "${suite%% *}" .sh): $p ok, $f not ok"
		add "$p" "$f"
	done
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
