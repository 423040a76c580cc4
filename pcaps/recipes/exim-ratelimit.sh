#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Exim 4.96 (Debian 12 exim4-daemon-light, unpacked privately so it does not
# replace Postfix) with two ACL rate limits, so that the later recipients
# and sessions of one client are deferred:
#   - RCPT ACL: "defer ratelimit = 2 / 1m / per_rcpt / $sender_host_address"
#     (the 3rd and 4th recipient of a session from 127.0.0.2 get 451 and
#     the message goes to the first two only);
#   - connect ACL, for 127.0.0.3 only: "defer ratelimit = 2 / 1m / per_conn
#     / $sender_host_address" (its first two sessions are greeted, the third
#     is refused at the greeting with a 451).
# The only router is a :blackhole: redirect; there is no transport, so
# nothing can leave.
# Packages: exim4-daemon-light exim4-base libidn12 (unpacked by
# rs_fetch_exim), swaks, tcpdump, dnsmasq-base, python3, iproute2,
# util-linux.
. "$(dirname "$0")/lib.sh"
rs_fetch_exim
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
{
rs_exim_conf_head exim
cat <<'EOC'
primary_hostname = mx2.example.com
domainlist local_domains = example.com
daemon_smtp_ports = 25
local_interfaces = 127.0.0.1
acl_smtp_connect = acl_check_connect
acl_smtp_rcpt = acl_check_rcpt
begin acl
acl_check_connect:
  defer message = Too many connections from $sender_host_address: \
                  rate $sender_rate per $sender_rate_period, \
                  limit $sender_rate_limit; try again later
        hosts = 127.0.0.3
        ratelimit = 2 / 1m / per_conn / $sender_host_address
  accept
acl_check_rcpt:
  require message = relay not permitted
          domains = +local_domains
  defer message = Rate limit exceeded for $sender_host_address: \
                  $sender_rate recipients per $sender_rate_period, \
                  limit $sender_rate_limit
        ratelimit = 2 / 1m / per_rcpt / $sender_host_address
  accept
begin routers
blackhole:
  driver = redirect
  data = :blackhole:
EOC
} >"$RS_WORK/exim.conf"
rs_exim_start "$RS_WORK/exim.conf"
rs_wait_smtp 127.0.0.1 25
rs_capture_start 'tcp port 25 or tcp port 587'
# Session 1: four recipients, the limit allows two.
rs_swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --ehlo client.example.org --from sender@example.org \
    --to alice@example.com,bob@example.com,carol@example.com,dave@example.com \
    --header 'Subject: rate limit' --body 'Four recipients, two allowed.' \
    >"$RS_WORK/client1.log" 2>&1 || true
# Sessions 2 to 4 from 127.0.0.3 (EHLO, QUIT): the third connection is deferred at
# the greeting.
for s in 2 3 4; do
	rs_swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.3 \
	    --ehlo client3.example.org --quit-after helo \
	    >"$RS_WORK/client$s.log" 2>&1 || true
done
rs_capture_stop
if ! grep -q '^<\*\* *451 ' "$RS_WORK/client1.log" ||
    ! grep -q '^<\*\* *4[0-9][0-9] ' "$RS_WORK/client4.log"; then
	echo "$0: the rate limits did not defer as expected:" >&2
	cat "$RS_WORK"/client*.log >&2
	exit 2
fi
