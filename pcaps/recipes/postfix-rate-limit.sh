#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix's anvil rate limit: at most 2 connections a minute per client
# (smtpd_client_connection_rate_limit = 2), loopback not exempt
# (smtpd_client_event_limit_exceptions empty); anvil is in lib.sh's
# master.cf.  Four swaks sessions from 127.0.0.2 one after the other: the
# first two are delivered, the third and fourth get 421 4.7.0 Error: too
# many connections from 127.0.0.2 instead of the greeting.
# Needs (Debian 12): postfix swaks tcpdump dnsmasq-base python3
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_record_postfix 'smtpd_client_connection_rate_limit = 2' \
    'smtpd_client_event_limit_exceptions ='
for n in 1 2 3 4; do
	rs_swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
	    --ehlo client.example.org --from sender@example.org \
	    --to alice@example.com --header "Subject: connection $n" \
	    --body "Connection $n of 4." >>"$RS_WORK/client.log" 2>&1 || true
done
rs_capture_stop
