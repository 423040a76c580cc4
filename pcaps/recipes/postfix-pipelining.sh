#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix, PIPELINING: MAIL, three RCPTs and DATA sent as one group (swaks --pipeline).
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_record_postfix
swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --pipeline --ehlo client.example.org --from sender@example.org \
    --to alice@example.com,bob@example.com,carol@example.com \
    --header 'Subject: pipelining fixture' \
    --body 'One message, three local recipients, pipelined.' >/dev/null
rs_capture_stop
