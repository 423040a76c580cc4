#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix, a client that greets with HELO (no ESMTP): one local delivery.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_record_postfix
swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --protocol SMTP --helo client.example.org --from sender@example.org \
    --to bob@example.com --header 'Subject: HELO fixture' \
    --body 'Plain SMTP, no extensions.' >/dev/null
rs_capture_stop
