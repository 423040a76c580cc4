#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A closed Postfix (reject_unauth_destination) probed with the relay
# tricks of nmap's smtp-open-relay, one transaction each (scripted client):
# null sender, percent hack, quoted local part with @, double @, source
# route, bang path.  Shows what Postfix 3.7 really does with each form.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_record_postfix
rs_client --source 127.0.0.2 'EHLO probe.example.net' \
    'MAIL FROM:<>' 'RCPT TO:<relaytest@example.org>' 'RSET' \
    'MAIL FROM:<antispam@[127.0.0.1]>' \
    'RCPT TO:<relaytest%example.org@[127.0.0.1]>' 'RSET' \
    'MAIL FROM:<antispam@[127.0.0.1]>' \
    'RCPT TO:<relaytest%example.org@mx.example.com>' 'RSET' \
    'MAIL FROM:<antispam@[127.0.0.1]>' 'RCPT TO:<"relaytest@example.org">' \
    'RSET' \
    'MAIL FROM:<antispam@[127.0.0.1]>' \
    'RCPT TO:<relaytest@example.org@mx.example.com>' 'RSET' \
    'MAIL FROM:<antispam@[127.0.0.1]>' \
    'RCPT TO:<"relaytest@example.org"@[127.0.0.1]>' 'RSET' \
    'MAIL FROM:<antispam@[127.0.0.1]>' \
    'RCPT TO:<@mx.example.com:relaytest@example.org>' 'RSET' \
    'MAIL FROM:<antispam@[127.0.0.1]>' 'RCPT TO:<example.org!relaytest>' \
    'RSET' \
    'MAIL FROM:<antispam@[127.0.0.1]>' \
    'RCPT TO:<example.org!relaytest@mx.example.com>' 'RSET' \
    'QUIT' >/dev/null
rs_capture_stop
