#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix that accepts mail for partner.example.net (relay_domains), a domain
# that shares nothing with its own name mx.example.com; the only evidence that
# it is the right server is the DNS: the client first looks up the MX of
# partner.example.net (dnsmasq answers mx.example.com, 127.0.0.1), and those
# answers are in the capture.  Then a delivery to partner.example.net.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns --mx-host=partner.example.net,mx.example.com,10
rs_postfix_config 'relay_domains = partner.example.net'
rs_postfix_start
rs_capture_start 'tcp port 25 or tcp port 587 or port 53'
python3 "$RECIPES/dns-query.py" 127.0.0.53 partner.example.net MX
python3 "$RECIPES/dns-query.py" 127.0.0.53 mx.example.com A
swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --ehlo client.example.org --from sender@example.org \
    --to bob@partner.example.net --body 'For a relay domain.' >/dev/null
rs_capture_stop
