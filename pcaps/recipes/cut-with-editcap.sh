#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Real captures with real holes: recorded fixtures cut by editcap (and,
# for one direction only, by tcpdump's own filter), as a capture that
# started late, lost a packet or saw one direction sees them.
# pcaps/cut-captures.md lists what each one shows.  Needs editcap
# (wireshark-common) and tcpdump; no root, no network.
#   sh pcaps/recipes/cut-with-editcap.sh
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
cut() {	# OUT IN delete|keep RANGE
	out=$1
	in=$2
	keep=""
	[ "$3" = keep ] && keep=-r
	editcap -F pcap $keep "$in" "$out.tmp" "$4"
	mv "$out.tmp" "$out"
	echo "wrote pcaps/$out ($(stat -c %s "$out") bytes)"
}
# Packets 1-3 are the handshake.
cut cut-no-handshake.pcap postfix-rset-multi.pcap delete 1-3
# Packet 11 is the client's "RCPT TO:<alice@example.com>".
cut cut-lost-command.pcap postfix-rset-multi.pcap delete 11
# Packet 10 is the server's replies to a pipelined MAIL, RCPT, DATA.
cut cut-lost-replies.pcap postfix-pipelining.pcap delete 10
# Packets 21 on: the capture starts in the middle of the second
# transaction's RCPT.
cut cut-midstream.pcap postfix-rset-multi.pcap keep 21-47
# The client's packets only, as a mirror port set up one way.
tcpdump -r postfix-ehlo-delivery.pcap -w cut-client-only.pcap \
    'src host 127.0.0.2' 2>/dev/null
echo "wrote pcaps/cut-client-only.pcap ($(stat -c %s cut-client-only.pcap) bytes)"
tcpdump -r postfix-ehlo-delivery.pcap -w cut-server-only.pcap \
    'src host 127.0.0.1' 2>/dev/null
echo "wrote pcaps/cut-server-only.pcap ($(stat -c %s cut-server-only.pcap) bytes)"
