#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A hosting provider's MX: Postfix at 192.0.2.30 (banner
# mx1.hoster.example) receives mail for two hosted domains that share
# nothing with its name or with each other, alpha.example and bravo.test
# (relay_domains; relay_transport = discard:).  A stranger at
# 198.51.100.8 (swaks, no DNS lookups of its own) delivers one message to
# each domain, in two sessions, then asks for victim@example.org, a third
# unrelated domain: 554 5.7.1 Relay access denied.  Nothing in the
# capture says that the two domains are this server's (their MX records
# are in dnsmasq, but nobody looks them up): only the acceptance and
# tests/config/hosted-mx.map do.  The capture (tcp port 25 or port 53)
# holds Postfix's own lookups of its client (PTR, NXDOMAIN).
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
hostname mx1.hoster.example
for a in 192.0.2.30 198.51.100.8; do
	ip addr add "$a/32" dev lo
done
rs_check_routes ""
RS_DNS_DEFAULTS="" rs_start_dns --host-record=mx1.hoster.example,192.0.2.30 \
    --mx-host=alpha.example,mx1.hoster.example,10 \
    --mx-host=bravo.test,mx1.hoster.example,10 \
    --local=/example/ --local=/test/ --local=/example.org/ \
    --local=/in-addr.arpa/
rs_postfix_config 'myhostname = mx1.hoster.example' \
    'mydomain = hoster.example' 'mydestination = $myhostname, localhost' \
    'relay_domains = alpha.example, bravo.test' \
    'inet_interfaces = 127.0.0.1, 192.0.2.30'
rs_postfix_start
rs_capture_start 'tcp port 25 or port 53'
rs_swaks --server 192.0.2.30 --port 25 --local-interface 198.51.100.8 \
    --ehlo mail.sender.example --from news@sender.example \
    --to anna@alpha.example --header 'Subject: for alpha' \
    --body 'For a hosted domain.' >"$RS_WORK/client.log" 2>&1
rs_swaks --server 192.0.2.30 --port 25 --local-interface 198.51.100.8 \
    --ehlo mail.sender.example --from news@sender.example \
    --to bert@bravo.test --header 'Subject: for bravo' \
    --body 'For another hosted domain.' >>"$RS_WORK/client.log" 2>&1
# Refused: swaks exits 24.
rs_swaks --server 192.0.2.30 --port 25 --local-interface 198.51.100.8 \
    --ehlo mail.sender.example --from news@sender.example \
    --to victim@example.org >>"$RS_WORK/client.log" 2>&1 || true
rs_capture_stop
