#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix with Debian 12's stock relay rule (defer_unauth_destination): an
# outside client asking to relay gets 454 4.7.1 Relay access denied (a 4xx).
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_record_postfix 'smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination'
swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --ehlo client.example.org --from sender@example.org \
    --to victim@example.org --quit-after RCPT >/dev/null 2>&1 || true
rs_capture_stop
