#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix, EHLO and one normal delivery to a local recipient (swaks).
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_record_postfix
swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --ehlo client.example.org --from sender@example.org \
    --to alice@example.com --header 'Subject: relayscope fixture' \
    --body 'A normal delivery to a local recipient.' >/dev/null
rs_capture_stop
