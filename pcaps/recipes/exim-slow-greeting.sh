#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Exim 4.96 (Debian 12 exim4-daemon-light, unpacked privately so it does not
# replace Postfix) tarpitting its clients: "accept delay = 6s" in
# acl_smtp_connect for 127.0.0.2 (not for the recipe's readiness probe from
# 127.0.0.1), so the greeting comes 6 s after the connection.
#   session 1: swaks waits and delivers a message (greeting at +6 s);
#   session 2: a scripted client (fail-client.py) waits 3 s for the
#              greeting, gets none and closes (FIN) before it comes.
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
  accept hosts = 127.0.0.2
         delay = 6s
  accept
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
rs_wait_smtp 127.0.0.1 25
rs_capture_start 'tcp port 25 or tcp port 587'
rc=0
rs_swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --ehlo client.example.org --from sender@example.org \
    --to alice@example.com --header 'Subject: slow greeting' \
    --body 'Sent after a 6 s greeting delay.' >"$RS_WORK/client1.log" 2>&1 ||
	rc=$?
rc2=0
python3 "$RECIPES/fail-client.py" --source 127.0.0.2 --greeting-wait 3 CLOSE \
    >"$RS_WORK/client2.log" 2>&1 || rc2=$?
rs_capture_stop
if [ $rc != 0 ] || [ $rc2 != 0 ]; then
	echo "$0: swaks exited $rc, fail-client.py $rc2:" >&2
	cat "$RS_WORK"/client*.log >&2
	exit 2
fi
