#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix as an open relay (mynetworks = 0.0.0.0/0), probed the way nmap's
# smtp-open-relay does: accepted at RCPT, then QUIT without DATA.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_record_postfix 'mynetworks = 0.0.0.0/0'
swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --ehlo client.example.org --from spammer@example.net \
    --to victim@example.org --quit-after RCPT >/dev/null 2>&1
rs_capture_stop
