#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix submission on 587 with Cyrus SASL (sasldb): one session with AUTH
# PLAIN that succeeds and relays to a foreign domain, one with AUTH LOGIN
# and a wrong password (535).  No TLS, so the AUTH exchange is visible; the
# password never reaches relayscope's output.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
rs_postfix_config
rs_postfix_sasl alice example.com fixture-secret
rs_postfix_start
rs_wait_port 127.0.0.1 587
rs_capture_start 'tcp port 25 or tcp port 587'
swaks --server 127.0.0.1 --port 587 --local-interface 127.0.0.2 \
    --ehlo client.example.org --auth PLAIN --auth-user alice@example.com \
    --auth-password fixture-secret --from alice@example.com \
    --to friend@example.org --body 'Submitted after AUTH PLAIN.' >/dev/null
swaks --server 127.0.0.1 --port 587 --local-interface 127.0.0.2 \
    --ehlo client.example.org --auth LOGIN --auth-user alice@example.com \
    --auth-password wrong-password --from alice@example.com \
    --to friend@example.org >/dev/null 2>&1 || true
rs_capture_stop
