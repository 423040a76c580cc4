#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# SMTP over IPv6: Postfix listening on [::1], dnsmasq answering on [::1]
# (so the DNS answers travel over IPv6 too), and two clients:
#   2001:db8::25 (added to lo) says EHLO v6client.example.org, whose AAAA
#     and ip6.arpa PTR records name it; it asks for a local recipient and a
#     foreign one (relay access denied);
#   ::1 says EHLO [IPv6:::1] and delivers a message to a local recipient.
# Postfix checks the EHLO name (reject_unknown_helo_hostname), so its AAAA
# lookup is in the capture, next to the PTR lookups it makes at connect.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
ip -6 addr add 2001:db8::25/128 dev lo
printf 'nameserver ::1\n' >"$RS_WORK/resolv.conf"
RS_DNS_ADDR=::1
rs_start_dns --host-record=v6client.example.org,2001:db8::25 \
    --local=/example.org/ --local=/ip6.arpa/
unset RS_DNS_ADDR
rs_postfix_config 'inet_protocols = all' \
    'inet_interfaces = 127.0.0.1, [::1]' \
    'smtpd_recipient_restrictions = reject_unknown_helo_hostname, permit'
rs_postfix_start
rs_wait_port ::1 25
rs_capture_start 'tcp port 25 or port 53'
rs_client --server ::1 --source 2001:db8::25 'EHLO v6client.example.org' \
    'MAIL FROM:<sender@example.org>' 'RCPT TO:<alice@example.com>' \
    'RCPT TO:<victim@example.org>' 'QUIT' >/dev/null
rs_client --server ::1 --source ::1 'EHLO [IPv6:::1]' \
    'MAIL FROM:<sender@example.org>' 'RCPT TO:<bob@example.com>' 'DATA' \
    'BODY:Subject: over IPv6\n\nDelivered over ::1.' 'QUIT' >/dev/null
rs_capture_stop
