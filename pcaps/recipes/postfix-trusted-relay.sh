#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix relaying for a client inside mynetworks (127.0.0.1/32): the
# client on 127.0.0.1 relays to a foreign domain and the message is
# accepted.  With --trusted-nets 127.0.0.1/32 relayscope calls it
# relay-accepted-trusted; without, it cannot know and says open.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_record_postfix
swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.1 \
    --ehlo client.example.com --from app@example.com \
    --to partner@example.org --body 'From a trusted host.' >/dev/null
rs_capture_stop
