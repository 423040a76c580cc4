#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix configured as an open relay (mynetworks = 0.0.0.0/0: every client is "trusted"):
# an outside client relays to a foreign domain and the message is accepted
# after DATA.  Delivery is impossible (every transport is discard:).
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_record_postfix 'mynetworks = 0.0.0.0/0'
swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --ehlo client.example.org --from spammer@example.net \
    --to victim@example.org --header 'Subject: open relay' \
    --body "Relayed for a stranger." >"$RS_WORK/client.log" 2>&1
rs_capture_stop
