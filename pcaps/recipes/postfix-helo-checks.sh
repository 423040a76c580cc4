#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The EHLO identity check against real DNS: a Postfix that checks HELO names
# and client host names (reject_invalid/non_fqdn/unknown_helo_hostname,
# reject_unknown_client_hostname) and dnsmasq holding the names below.  The
# capture includes port 53, so Postfix's own lookups (the client's PTR and
# its forward confirmation at connect, the EHLO name at RCPT time) are the
# evidence.  One session per case, each from its own client address:
#   127.0.0.21 good.example.org      A and PTR agree: match
#   127.0.0.22 mail.bigbank.example  someone else's name: mismatch
#   127.0.0.23 localhost             not-fqdn
#   127.0.0.24 dyn.example.net       PTR says so, but its A is 127.0.0.99
#   127.0.0.25 [127.0.0.25]          literal of its own address: match
#   127.0.0.26 [192.0.2.1]           literal of another address
#   127.0.0.27 [IPv6:2001:db8::1]    an IPv6 literal from an IPv4 client
#   127.0.0.28 bad_name.example.org  invalid characters
#   127.0.0.29 ghost.example.org     a name that does not exist: mismatch
# The names are in rs_helo_dns_records (lib.sh).  Before the sessions, a
# resolver asks for good.example.org and its PTR over TCP (port 53), so
# that DNS over TCP is in the capture too.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
# shellcheck disable=SC2046 # the records are words without spaces
rs_start_dns $(rs_helo_dns_records)
rs_postfix_config 'smtpd_helo_required = yes' \
    'smtpd_recipient_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname, reject_unknown_helo_hostname, reject_unknown_client_hostname, permit'
rs_postfix_start
rs_capture_start 'tcp port 25 or port 53'
python3 "$RECIPES/dns-query.py" --tcp 127.0.0.53 good.example.org A
python3 "$RECIPES/dns-query.py" --tcp 127.0.0.53 21.0.0.127.in-addr.arpa PTR
for c in 21:good.example.org 22:mail.bigbank.example 23:localhost \
    24:dyn.example.net 25:[127.0.0.25] 26:[192.0.2.1] \
    27:[IPv6:2001:db8::1] 28:bad_name.example.org 29:ghost.example.org; do
	rs_client --source "127.0.0.${c%%:*}" "EHLO ${c#*:}" \
	    'MAIL FROM:<sender@example.org>' 'RCPT TO:<alice@example.com>' \
	    'QUIT' >/dev/null
done
rs_capture_stop
