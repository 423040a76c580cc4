#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A pcapng file whose two interfaces have different link types, as dumpcap
# writes when told to capture on an Ethernet-framed interface and on
# "any" at once (libpcap cannot read such a file; relayscope can).
# dumpcap records lo (Ethernet framing) with a filter for the client
# 127.0.0.2, and "any" (Linux cooked framing) with a filter for the client
# 127.0.0.3, so each session is in exactly one interface:
#   127.0.0.2 delivers a message to alice@example.com;
#   127.0.0.3 asks for victim@example.org: 554 Relay access denied.
# Output: pcaps/postfix-mixed-linktypes.pcapng.
. "$(dirname "$0")/lib.sh"
OUT=${OUT%.pcap*}.pcapng
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
rs_postfix_config 'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination'
rs_postfix_start
rs_wait_port 127.0.0.1 25
dumpcap -q -i lo -f 'tcp port 25 and host 127.0.0.2' -s 262144 \
    -i any -f 'tcp port 25 and host 127.0.0.3' -s 262144 \
    -w "$RS_WORK/out.pcapng" >"$RS_WORK/tcpdump.log" 2>&1 &
RS_TCPDUMP=$!
RS_PIDS="$RS_PIDS $RS_TCPDUMP"
sleep 1.5
rs_client --server 127.0.0.1 --source 127.0.0.2 'EHLO lo.example.org' \
    'MAIL FROM:<sender@example.org>' 'RCPT TO:<alice@example.com>' 'DATA' \
    'BODY:Subject: over lo\n\nRecorded on the Ethernet-framed interface.' \
    'QUIT' >/dev/null
rs_client --server 127.0.0.1 --source 127.0.0.3 'EHLO any.example.org' \
    'MAIL FROM:<sender@example.org>' 'RCPT TO:<victim@example.org>' \
    'QUIT' >/dev/null
sleep 0.5
kill -INT "$RS_TCPDUMP"
wait "$RS_TCPDUMP" 2>/dev/null || true
cp "$RS_WORK/out.pcapng" "$OUT"
chmod 644 "$OUT"
echo "$0: wrote $OUT ($(stat -c %s "$OUT") bytes)"
