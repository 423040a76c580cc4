#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# TCP and IP evasion and a SYN flood (issue 12): tests/gen/evasion.py
# writes crafted captures, each with the exact outcome relayscope must
# report; every one is analysed (JSON, with -v) and checked: the
# overlap-conflict anomaly where two copies of bytes differ, the copy the
# receiver took in the transcript, the -v message naming both versions,
# and the sessions of the flood whole, once each.
# Prints "evasion: N passed, N failed" (one test per case).
set -u
cd "$(dirname "$0")/.."
RS=${RELAYSCOPE:-./relayscope}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0
if ! python3 tests/gen/evasion.py gen "$tmp"; then
	echo "evasion: 0 passed, 1 failed"
	exit 1
fi
while read -r name opts; do
	# shellcheck disable=SC2086 # opts are words
	"$RS" --format json -v $opts "$tmp/$name.pcap" >"$tmp/$name.jsonl" \
	    2>"$tmp/$name.err"
	rc=$?
	if [ "$rc" != 0 ]; then
		echo "FAIL evasion/$name: exit $rc: $(head -1 "$tmp/$name.err")"
		fail=$((fail + 1))
	elif python3 tests/gen/evasion.py check "$tmp/$name.json" \
	    "$tmp/$name.jsonl" "$tmp/$name.err"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done <"$tmp/cases"
echo "evasion: $pass passed, $fail failed"
[ "$fail" = 0 ]
