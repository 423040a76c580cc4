#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Greylisting by a real postgrey: Postfix asks it at RCPT time
# (check_policy_service inet:127.0.0.1:10023).  postgrey runs with its
# own database in a temporary folder, a 2-second delay and its default
# greylist text.  swaks from 127.0.0.2 tries once (450 4.2.0 Greylisted),
# waits past the delay and tries again: the retry is delivered.  A second
# variant beside it: a second postgrey (port 10024, its own database)
# whose text names the seconds left ("%s"), asked by a second smtpd on
# port 2525, tried from 127.0.0.3 at the same times.  Only ports 25 and
# 2525 are recorded (not the policy protocol).
# Needs (Debian 12): postfix swaks tcpdump dnsmasq-base python3 postgrey
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
mkdir -p "$RS_WORK/postgrey"
chown postgrey:postgrey "$RS_WORK/postgrey"
postgrey --inet=127.0.0.1:10023 --dbdir="$RS_WORK/postgrey" --delay=2 \
    --hostname=mx.example.com --auto-whitelist-clients=0 \
    >"$RS_WORK/postgrey.log" 2>&1 &
RS_PIDS="$RS_PIDS $!"
mkdir -p "$RS_WORK/postgrey2"
chown postgrey:postgrey "$RS_WORK/postgrey2"
postgrey --inet=127.0.0.1:10024 --dbdir="$RS_WORK/postgrey2" --delay=2 \
    --hostname=mx.example.com --auto-whitelist-clients=0 \
    --greylist-text='Greylisted for %s seconds, try again later' \
    >"$RS_WORK/postgrey2.log" 2>&1 &
RS_PIDS="$RS_PIDS $!"
rs_wait_port 127.0.0.1 10023
rs_wait_port 127.0.0.1 10024
rs_postfix_config 'smtpd_recipient_restrictions = reject_unauth_destination, check_policy_service inet:127.0.0.1:10023'
rs_postfix_service '127.0.0.1:2525 inet n - n - - smtpd -o smtpd_recipient_restrictions=reject_unauth_destination,check_policy_service,inet:127.0.0.1:10024'
rs_postfix_start
rs_wait_smtp 127.0.0.1 2525
rs_capture_start 'tcp port 25 or tcp port 2525'
# Arguments: PORT CLIENT RECIPIENT ATTEMPT
greylist_try() {
	rs_swaks --server 127.0.0.1 --port "$1" --local-interface "$2" \
	    --ehlo client.example.org --from sender@example.org \
	    --to "$3" --header "Subject: greylisting, $4" \
	    --body "The $4 attempt." >>"$RS_WORK/client.log" 2>&1 || true
}
greylist_try 25 127.0.0.2 alice@example.com first
greylist_try 2525 127.0.0.3 bob@example.com first
sleep 3
greylist_try 25 127.0.0.2 alice@example.com second
greylist_try 2525 127.0.0.3 bob@example.com second
rs_capture_stop
