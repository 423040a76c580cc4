#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix with a small message_size_limit (2000 bytes; EHLO offers SIZE
# 2000), two sessions from 127.0.0.2 (scripted client): one declares
# SIZE=5000 at MAIL and is refused there (552 5.3.4), then QUIT; the
# other declares nothing and sends a body of about 3000 bytes, refused
# after the final dot (552 5.3.4 Message size exceeds fixed limit).
# Needs (Debian 12): postfix tcpdump dnsmasq-base python3
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_record_postfix 'message_size_limit = 2000'
rs_client --source 127.0.0.2 'EHLO client.example.org' \
    'MAIL FROM:<sender@example.org> SIZE=5000' 'QUIT' \
    >>"$RS_WORK/client.log"
# 40 lines of 72 characters: 2960 bytes with their CRLFs.
line=$(printf '%072d' 0 | tr 0 x)
body='Subject: too large\n'
i=0
while [ $i -lt 40 ]; do
	body="$body\\n$line"
	i=$((i + 1))
done
rs_client --source 127.0.0.2 'EHLO client.example.org' \
    'MAIL FROM:<sender@example.org>' 'RCPT TO:<alice@example.com>' 'DATA' \
    "BODY:$body" 'QUIT' >>"$RS_WORK/client.log"
rs_capture_stop
