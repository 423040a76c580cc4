#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix, BDAT/CHUNKING (RFC 3030): two chunks then BDAT LAST, a second
# transaction with a single BDAT LAST, and pipelined MAIL/RCPT (scripted).
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_record_postfix
rs_client --source 127.0.0.2 \
    'EHLO client.example.org' \
    'MAIL FROM:<sender@example.org>' 'RCPT TO:<alice@example.com>' \
    'BDAT:Subject: chunked\n\nfirst chunk\n' \
    'BDAT:second chunk, with CRLF.CRLF inside:\n.\nstill data\n' \
    'BDATLAST:last chunk\n' \
    '+MAIL FROM:<sender@example.org>' '+RCPT TO:<bob@example.com>' 'WAIT' \
    'BDATLAST:Subject: one chunk\n\nonly chunk\n' \
    'QUIT' >/dev/null
rs_capture_stop
