#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix, one session with RSET and several transactions (scripted client):
# a transaction abandoned with RSET, a delivered one, a relay attempt refused
# and a second delivery; NOOP, VRFY and HELP on the way.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_record_postfix
rs_client --source 127.0.0.2 \
    'EHLO client.example.org' \
    'MAIL FROM:<first@example.org>' 'RCPT TO:<alice@example.com>' 'RSET' \
    'NOOP' 'VRFY alice' 'HELP' \
    'MAIL FROM:<second@example.org>' 'RCPT TO:<alice@example.com>' 'DATA' \
    'BODY:Subject: second\n\nThe second transaction.\n.leading dot stuffed' \
    'MAIL FROM:<third@example.org>' 'RCPT TO:<someone@example.net>' 'RSET' \
    'MAIL FROM:<>' 'RCPT TO:<bob@example.com>' 'DATA' \
    'BODY:Subject: bounce-like\n\nNull sender.' \
    'QUIT' >/dev/null
rs_capture_stop
