#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# An open relay caught relaying onward: Postfix at 192.0.2.25 (banner
# mx.example.com, mynetworks = 0.0.0.0/0) takes a message from a stranger
# at 198.51.100.7 (spammer@example.org -> victim@example.net, with a
# Message-ID), looks up the MX of example.net and its address in the DNS
# (dnsmasq on 127.0.0.53), and delivers it from 192.0.2.25
# (smtp_bind_address) to that MX: OpenSMTPD at 203.0.113.25 (banner
# mx.example.net), which accepts only example.net and hands the message
# to "cat >/dev/null".  The capture (tcp port 25 or port 53, on lo) holds
# the client's session, the relay's lookups (the client's PTR at connect,
# MX example.net, A mx.example.net), the MX's lookups of its client, and
# the onward session with the same envelope and Message-ID.  swaks makes
# no lookups of its own (rs_swaks).
#
# Nothing can leave: all addresses are on this namespace's lo; Postfix's
# only smtp: route is transport_maps for example.net, whose MX is the
# OpenSMTPD here; every other destination is error: (default_transport,
# relay_transport), local and virtual delivery are discard:/error:;
# OpenSMTPD has no relay action.
. "$(dirname "$0")/lib.sh"
rs_fetch_opensmtpd
rs_enter_namespace "$@"
rs_setup_net
for a in 192.0.2.25 203.0.113.25 198.51.100.7; do
	ip addr add "$a/32" dev lo
done
rs_check_routes ""
RS_DNS_DEFAULTS="" rs_start_dns --host-record=mx.example.com,192.0.2.25 \
    --mx-host=example.net,mx.example.net,10 \
    --host-record=mx.example.net,203.0.113.25 \
    --local=/example.com/ --local=/example.net/ --local=/example.org/ \
    --local=/in-addr.arpa/
rs_private_var
cat >"$RS_WORK/smtpd.conf" <<EOC
listen on 203.0.113.25 port 25 hostname mx.example.net
table aliases { victim = nobody }
action "drop" mda "cat >/dev/null" alias <aliases>
match from any for domain "example.net" action "drop"
EOC
rs_opensmtpd_start "$RS_WORK/smtpd.conf"
rs_postfix_config 'mynetworks = 0.0.0.0/0' \
    'inet_interfaces = 127.0.0.1, 192.0.2.25' \
    'smtp_bind_address = 192.0.2.25' \
    'smtp_dns_support_level = enabled' 'disable_dns_lookups = no' \
    'transport_maps = inline:{example.net=smtp:}' \
    'default_transport = error:relaying only to the test domain' \
    'relay_transport = error:relaying only to the test domain' \
    'virtual_transport = error:no virtual delivery'
rs_postfix_service 'smtp unix - - n - - smtp'
rs_postfix_start
rs_wait_smtp 203.0.113.25 25
rs_capture_start 'tcp port 25 or port 53'
rs_swaks --server 192.0.2.25 --port 25 --local-interface 198.51.100.7 \
    --ehlo spammer.example.org --from spammer@example.org \
    --to victim@example.net \
    --header 'Message-Id: <onward-relay-test@spammer.example.org>' \
    --header 'Subject: relayed onward' \
    --body 'Relayed by an open relay to the next hop.' \
    >"$RS_WORK/client.log" 2>&1
# The onward delivery: Postfix logs status=sent once the MX has taken it.
i=0
until grep -q 'to=<victim@example.net>, relay=mx.example.net\[203.0.113.25\]:25.* status=sent' \
    /var/lib/postfix/maillog 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 300 ]; then
		echo "$0: no onward delivery within 30 s" >&2
		exit 2
	fi
	sleep 0.1
done
rs_capture_stop
