#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Link layers and tunnels: tests/gen/encap.py re-wraps recorded captures
# (IPv4: postfix-relay-denied-554, IPv6: postfix-ipv6) in QinQ, MPLS,
# PPPoE, GRE (plain, with options, Ethernet inside), ERSPAN I/II/III,
# VXLAN, IP-in-IP, IP-in-IPv6 and a nesting of three.  The analysis of each
# must equal the analysis of the plain capture line for line (the input is
# the ground truth), except the packets line, which must count every frame
# as IPv4 or IPv6 and, for tunnels, as from a tunnel.
# Prints "encap: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
RS=${RELAYSCOPE:-./relayscope}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0
for fixture in postfix-relay-denied-554 postfix-ipv6; do
	in=pcaps/$fixture.pcap
	python3 tests/gen/encap.py "$in" "$tmp" || { fail=$((fail + 1)); continue; }
	"$RS" --color never "$in" >"$tmp/plain.out" 2>&1
	grep -v '^  packets:\|^  files:' "$tmp/plain.out" >"$tmp/plain.rest"
	frames=$(sed -n 's/^  packets: \([0-9]*\) read.*/\1/p' "$tmp/plain.out")
	for p in "$tmp"/*.pcap; do
		kind=$(basename "$p" .pcap)
		"$RS" --color never "$p" >"$tmp/$kind.out" 2>&1
		rc=$?
		line=$(grep '^  packets:' "$tmp/$kind.out")
		case $kind in
		qinq|mpls|pppoe) want="" ;;
		*) want=", $frames from tunnels" ;;
		esac
		if [ "$rc" = 0 ] &&
		    grep -v '^  packets:\|^  files:' "$tmp/$kind.out" |
		    cmp -s - "$tmp/plain.rest" &&
		    case $line in
		    *" $frames read, "*" 0 other, 0 undecodable, 0 truncated$want") true ;;
		    *) false ;;
		    esac
		then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL encap/$fixture/$kind: exit $rc; $line"
			grep -v '^  packets:\|^  files:' "$tmp/$kind.out" |
			    diff "$tmp/plain.rest" - | head -10
		fi
		rm -f "$p"
	done
done
echo "encap: $pass passed, $fail failed"
[ "$fail" = 0 ]
