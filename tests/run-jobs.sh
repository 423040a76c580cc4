#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# -j N gives what one process gives (issue 14): every golden test's
# command (tests/TESTLIST) and the ground-truth generator's captures
# (tests/gen/groundtruth.py: loss, reordering, retransmissions, cut
# handshakes, IPv6, VLANs, tunnels, reused tuples), the evasion and
# encapsulation captures (tests/gen/evasion.py, encap.py), 60 corrupted
# recordings (tests/mutate-captures.py), and a capture whose
# onward evidence is in sessions still open (tests/gen/onward-open.py),
# in text and JSON, run with -j 1 and with -j 4: standard output and the
# exit status must be the same, byte for byte.  TESTLIST's gz-* and
# bad-gz-* lines are compressed captures: each worker inflates the whole
# file (docs/architecture.md, "Parallel runs"), and a truncated or
# corrupt one must fail with the same words.  Every record -j 4 writes
# is of a dialogue its worker encoded and the parent decoded
# (dlg_codec.h), so this is also the codec's test on every golden
# capture: a decoded dialogue renders as the original.  What is not promised
# (shedding under --max-memory, tables that fill up, as the ground-truth
# "table" capture's --max-streams 16 does: docs/architecture.md,
# "Parallel runs") is not compared: the lines that pass --max-memory are
# left out.  Prints "jobs: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BIN=${RELAYSCOPE:-./relayscope}
export TZ=UTC LC_ALL=C
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0
same() {	# NAME ARGS...: -j 1 and -j 4 agree
	name=$1
	shift
	"$BIN" -j 1 "$@" >"$tmp/1.out" 2>"$tmp/1.err" </dev/null
	rc1=$?
	"$BIN" -j 4 "$@" >"$tmp/4.out" 2>"$tmp/4.err" </dev/null
	rc4=$?
	if [ "$rc1" != "$rc4" ]; then
		echo "FAIL jobs/$name: exit $rc4 with -j 4, $rc1 with -j 1"
		fail=$((fail + 1))
	elif ! cmp -s "$tmp/1.out" "$tmp/4.out"; then
		echo "FAIL jobs/$name: output differs:"
		diff -u "$tmp/1.out" "$tmp/4.out" | cut -c1-160 | head -12
		fail=$((fail + 1))
	elif [ "$rc1" = 2 ] && ! cmp -s "$tmp/1.err" "$tmp/4.err"; then
		# A run that failed says why in the same words.
		echo "FAIL jobs/$name: error differs:"
		diff -u "$tmp/1.err" "$tmp/4.err" | head -5
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}
while read -r name code args; do
	case "$name" in ''|'#'*) continue ;; esac
	case " $args " in *" --max-memory"*) continue ;; esac
	eval "set -- $args"
	same "$name" "$@"
done <tests/TESTLIST
gen() {	# NAME GENERATOR-OPTIONS...
	name=$1
	shift
	python3 tests/gen/groundtruth.py gen "$tmp/$name.pcap" \
	    "$tmp/$name.json" "$@" || { fail=$((fail + 1)); return; }
	same "$name" --color never "$tmp/$name.pcap"
	same "$name-json" --format json "$tmp/$name.pcap"
}
gen clean sessions=150 seed=7 loss=0 reorder=0 retrans=0 cut=0 onesided=0
gen issue-6 sessions=300 seed=1
gen reuse sessions=200 seed=3 reuse=0.15
gen heavy sessions=150 seed=2 loss=0.15 reorder=0.10
# The evasion captures (overlapping TCP copies and IPv4 fragments that
# differ, decoys by checksum and TTL) and every encapsulation.
if python3 tests/gen/evasion.py gen "$tmp/ev" >/dev/null; then
	while read -r name opts; do
		# shellcheck disable=SC2086 # opts are words
		same "evasion-$name" --format json $opts "$tmp/ev/$name.pcap"
	done <"$tmp/ev/cases"
else
	fail=$((fail + 1))
fi
for fixture in postfix-relay-denied-554 postfix-ipv6; do
	mkdir -p "$tmp/encap"
	python3 tests/gen/encap.py "pcaps/$fixture.pcap" "$tmp/encap" ||
	    { fail=$((fail + 1)); continue; }
	for p in "$tmp"/encap/*.pcap; do
		same "encap-$fixture-$(basename "$p" .pcap)" --color never "$p"
	done
	rm -rf "$tmp/encap"
done
# Corrupted recordings (tests/mutate-captures.py's, seeds 1-60): a
# wrapper runs both and fails unless they agree.
case $BIN in /*) abs=$BIN ;; *) abs=$PWD/$BIN ;; esac
cat >"$tmp/both" <<EOF
#!/bin/sh
"$abs" -j 1 "\$@" >"$tmp/m1.out" 2>/dev/null; r1=\$?
"$abs" -j 4 "\$@" >"$tmp/m4.out" 2>/dev/null; r4=\$?
[ "\$r1" = "\$r4" ] && cmp -s "$tmp/m1.out" "$tmp/m4.out" || exit 99
exit \$r1
EOF
chmod +x "$tmp/both"
line=$(python3 tests/mutate-captures.py "$tmp/both" 1 61 | tail -1)
p=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
f=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
[ -n "$p" ] || { p=0; f=1; }
[ "$f" = 0 ] || echo "FAIL jobs/mutations: $line"
pass=$((pass + p))
fail=$((fail + f))
# Onward evidence from sessions still open (no golden capture has it):
# a worker's open sessions as the parent sees them.  -j 1 must find it.
python3 tests/gen/onward-open.py "$tmp/onward-open.pcap" 8
same onward-open --format json "$tmp/onward-open.pcap"
if [ "$("$BIN" -j 1 --format json "$tmp/onward-open.pcap" |
    grep -c '"verdict":"relay-accepted-open"')" = 8 ]; then
	pass=$((pass + 1))
else
	echo "FAIL jobs/onward-open: -j 1 did not find the 8 onward deliveries"
	fail=$((fail + 1))
fi
# A signal to the parent stops the workers, and what they read is
# reported: the issue-6 capture 100 times over as one input (its time
# going back each time: warnings, not errors), SIGINT soon after the
# start.  Exit 130, a summary that says so, no worker left.
set -- $(for i in $(seq 100); do echo "$tmp/issue-6.pcap"; done)
"$BIN" -j 2 --format json "$@" >"$tmp/sig.json" 2>/dev/null &
pid=$!
sleep 0.3
kill -INT $pid
wait $pid
rc=$?
if [ "$rc" = 130 ] && tail -1 "$tmp/sig.json" |
    grep -q '"type":"summary","complete":false,"interrupted":"SIGINT"' &&
    ! pgrep -P $pid >/dev/null; then
	pass=$((pass + 1))
else
	echo "FAIL jobs/sigint: exit $rc, $(tail -c 120 "$tmp/sig.json")"
	fail=$((fail + 1))
fi
echo "jobs: $pass passed, $fail failed"
[ "$fail" = 0 ]
