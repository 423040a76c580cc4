#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Exim 4.96 (Debian 12 exim4-daemon-light, unpacked privately so it does not
# replace Postfix) that knows two local users of example.com, alice and
# bob, and verifies recipients in its RCPT ACL ("require verify =
# recipient"): an unknown local user gets Exim's stock "550 Unrouteable
# address".  Session 1 names only the unknown user (the message is
# refused); session 2 names the unknown user and alice (the message goes
# to alice only).  The only router is a :blackhole: redirect for alice
# and bob; there is no transport, so nothing can leave.
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
acl_smtp_rcpt = acl_check_rcpt
begin acl
acl_check_rcpt:
  require message = relay not permitted
          domains = +local_domains
  require verify = recipient
  accept
begin routers
local_users:
  driver = redirect
  domains = +local_domains
  local_parts = alice : bob
  data = :blackhole:
EOC
} >"$RS_WORK/exim.conf"
rs_exim_start "$RS_WORK/exim.conf"
rs_wait_smtp 127.0.0.1 25
rs_capture_start 'tcp port 25 or tcp port 587'
rs_swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --ehlo client.example.org --from sender@example.org \
    --to nobody@example.com \
    --header 'Subject: unknown user' --body 'For nobody.' \
    >"$RS_WORK/client1.log" 2>&1 || true
rs_swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --ehlo client.example.org --from sender@example.org \
    --to nobody@example.com,alice@example.com \
    --header 'Subject: unknown user and alice' --body 'For nobody and alice.' \
    >"$RS_WORK/client2.log" 2>&1 || true
rs_capture_stop
if ! grep -q '^<\*\* *550 Unrouteable address' "$RS_WORK/client1.log" ||
    ! grep -q '^<\*\* *550 Unrouteable address' "$RS_WORK/client2.log"; then
	echo "$0: Exim did not refuse the unknown user as expected:" >&2
	cat "$RS_WORK"/client*.log >&2
	exit 2
fi
