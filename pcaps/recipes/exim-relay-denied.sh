#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Exim 4.96 (Debian 12 exim4-daemon-light, unpacked privately so it does not
# replace Postfix): an outside client asks to relay to a foreign domain and
# gets Exim's stock "550 relay not permitted" (the ACL text of Exim's
# default configure), then delivers to a local recipient.  The only router
# is a :blackhole: redirect; there is no transport, so nothing can leave.
. "$(dirname "$0")/lib.sh"
rs_fetch_exim
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
{
rs_exim_conf_head exim
cat <<EOC
primary_hostname = mx2.example.com
domainlist local_domains = example.com
daemon_smtp_ports = 25
local_interfaces = 127.0.0.1
acl_smtp_rcpt = acl_check_rcpt
begin acl
acl_check_rcpt:
  require message = relay not permitted
          domains = +local_domains
  accept
begin routers
blackhole:
  driver = redirect
  data = :blackhole:
EOC
} >"$RS_WORK/exim.conf"
rs_exim_start "$RS_WORK/exim.conf"
rs_wait_port 127.0.0.1 25
rs_capture_start 'tcp port 25 or tcp port 587'
rs_relay_attempt
rs_capture_stop
