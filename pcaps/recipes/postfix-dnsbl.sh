#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A DNSBL refusal: Postfix with reject_rbl_client dnsbl.test, a zone served
# by a real rbldnsd on 127.0.0.54:53 that lists 127.0.0.2 (A 127.0.0.2 and
# a TXT reason); dnsmasq on 127.0.0.53 (the namespace's resolver) forwards
# dnsbl.test there.  default_rbl_reply is Postfix's default, which names
# the list.  swaks from 127.0.0.2 is refused at RCPT (smtpd_delay_reject);
# a second session from 127.0.0.3, not listed, is delivered.  The capture
# includes port 53: the client's PTR at connect, the DNSBL A and TXT
# queries, and dnsmasq's forwarded queries to rbldnsd.
# Needs (Debian 12): postfix swaks tcpdump dnsmasq-base python3 rbldnsd
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
mkdir -p "$RS_WORK/rbldnsd"
cat >"$RS_WORK/rbldnsd/dnsbl.test" <<-'ZONE'
	:127.0.0.2:Listed in dnsbl.test, see http://dnsbl.test/lookup?ip=$
	127.0.0.2
ZONE
chmod -R a+rX "$RS_WORK/rbldnsd"
rbldnsd -n -u rbldns -w "$RS_WORK/rbldnsd" -b 127.0.0.54/53 -t 60 \
    -l "+$RS_WORK/rbldnsd.log" dnsbl.test:ip4set:dnsbl.test \
    >"$RS_WORK/rbldnsd-stdout.log" 2>&1 &
RS_PIDS="$RS_PIDS $!"
rs_start_dns --server=/dnsbl.test/127.0.0.54 --no-negcache --local=/in-addr.arpa/
rs_postfix_config 'smtpd_client_restrictions = reject_rbl_client dnsbl.test'
rs_postfix_start
# rbldnsd answers (a query for a name it does not list gets NXDOMAIN).
i=0
until python3 "$RECIPES/dns-query.py" 127.0.0.54 1.0.0.127.dnsbl.test A \
    >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || { echo "$0: rbldnsd does not answer" >&2; exit 2; }
	sleep 0.1
done
rs_capture_start 'tcp port 25 or port 53'
for c in 2 3; do
	rs_swaks --server 127.0.0.1 --port 25 --local-interface "127.0.0.$c" \
	    --ehlo client.example.org --from sender@example.org \
	    --to alice@example.com --header "Subject: from 127.0.0.$c" \
	    --body 'DNSBL test.' >>"$RS_WORK/client.log" 2>&1 || true
done
rs_capture_stop
