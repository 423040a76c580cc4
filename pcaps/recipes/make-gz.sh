#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Compressed captures: recorded fixtures gzipped as tshark and dumpcap
# users keep them, one split into two gzip members (as `cat a.gz b.gz`
# makes), one cut short and one corrupted.  pcaps/gz-captures.md says
# what each shows.  gzip -n (no name, no time in the header) makes the
# same bytes on every run; needs only gzip, head, tail and dd.
#   sh pcaps/recipes/make-gz.sh
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
wrote() {
	echo "wrote pcaps/$1 ($(stat -c %s "$1") bytes)"
}
# Whole files: the analysis must be that of the file itself.
gzip -n -9 -c postfix-hosted-mx.pcap >postfix-hosted-mx.pcap.gz
wrote postfix-hosted-mx.pcap.gz
gzip -n -9 -c postfix-mixed-linktypes.pcapng >postfix-mixed-linktypes.pcapng.gz
wrote postfix-mixed-linktypes.pcapng.gz
# Two members, split inside a packet record (byte 4000 of 7239): one
# stream, as zlib's gzread() and gzip -d read it.
head -c 4000 postfix-hosted-mx.pcap | gzip -n -9 >gz-member-1.tmp
tail -c +4001 postfix-hosted-mx.pcap | gzip -n -9 >gz-member-2.tmp
cat gz-member-1.tmp gz-member-2.tmp >gz-multi-member.pcap.gz
wrote gz-multi-member.pcap.gz
# Truncated: the two-member file without the last 600 bytes of its
# second member (a download or a copy that stopped).
n=$(($(stat -c %s gz-multi-member.pcap.gz) - 600))
head -c "$n" gz-multi-member.pcap.gz >bad-gz-truncated.pcap.gz
wrote bad-gz-truncated.pcap.gz
# Corrupt: the second member's first deflate block header (its byte 10,
# after the 10-byte gzip header) says block type 3, which RFC 1951
# section 3.2.3 reserves ("invalid block type"): BFINAL and BTYPE are
# its three low bits, set to 1, 11.
cp gz-multi-member.pcap.gz bad-gz-corrupt.pcap.gz
printf '\007' | dd of=bad-gz-corrupt.pcap.gz bs=1 conv=notrunc status=none \
    seek=$(($(stat -c %s gz-member-1.tmp) + 10))
wrote bad-gz-corrupt.pcap.gz
rm -f gz-member-1.tmp gz-member-2.tmp
