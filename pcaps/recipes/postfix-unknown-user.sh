#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix with a local recipient table (local_recipient_maps: alice and
# bob of example.com exist): RCPT for anyone else is refused with 550
# 5.1.1 User unknown in local recipient table.  Two sessions from
# 127.0.0.2 (scripted client): (1) a message for nobody@example.com only,
# refused at RCPT, and the client gives up; (2) one good and one unknown
# recipient, then DATA: queued for the good one (partly delivered).
# Needs (Debian 12): postfix tcpdump dnsmasq-base python3
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_record_postfix 'local_recipient_maps = inline:{alice=ok, bob=ok}'
rs_client --source 127.0.0.2 'EHLO client.example.org' \
    'MAIL FROM:<sender@example.org>' 'RCPT TO:<nobody@example.com>' \
    'QUIT' >>"$RS_WORK/client.log"
rs_client --source 127.0.0.2 'EHLO client.example.org' \
    'MAIL FROM:<sender@example.org>' 'RCPT TO:<alice@example.com>' \
    'RCPT TO:<nobody@example.com>' 'DATA' \
    'BODY:Subject: for alice and nobody\n\nOnly alice exists.' \
    'QUIT' >>"$RS_WORK/client.log"
rs_capture_stop
