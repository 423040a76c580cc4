#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Exim 4.96 (Debian 12 exim4-daemon-light, unpacked privately so it does not
# replace Postfix): an outside client asks to relay to a foreign domain and
# gets Exim's stock "550 relay not permitted" (the ACL text of Exim's
# default configure), then delivers to a local recipient.  The only router
# is a :blackhole: redirect; there is no transport, so nothing can leave.
. "$(dirname "$0")/lib.sh"
CACHE=${RS_CACHE:-/var/cache/relayscope-recipes}
rs_fetch_debs "$CACHE/exim" exim4-daemon-light exim4-base libidn12
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
EX=$CACHE/exim/root
mkdir -p "$RS_WORK/exim/spool" "$RS_WORK/exim/log"
rs_add_system_users Debian-exim:64000
cat >"$RS_WORK/exim/exim.conf" <<EOC
primary_hostname = mx2.example.com
domainlist local_domains = example.com
daemon_smtp_ports = 25
local_interfaces = 127.0.0.1
exim_user = root
exim_group = root
never_users =
keep_environment =
tls_advertise_hosts =
spool_directory = $RS_WORK/exim/spool
log_file_path = $RS_WORK/exim/log/%slog
rfc1413_hosts =
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
LD_LIBRARY_PATH=$EX/usr/lib/x86_64-linux-gnu "$EX/usr/sbin/exim4" \
    -C "$RS_WORK/exim/exim.conf" -bd -oP "$RS_WORK/exim/exim.pid" &
RS_PIDS="$RS_PIDS $!"
rs_wait_port 127.0.0.1 25
rs_capture_start 'tcp port 25 or tcp port 587'
rs_relay_attempt
rs_capture_stop
