#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# SMTP through a real HTTP proxy: tinyproxy on 127.0.0.1:8888 allowing
# CONNECT to port 25 only, in front of Postfix on 127.0.0.2:25.  swaks
# reaches the proxy through proxychains4 (type http), which sends
# "CONNECT 127.0.0.2:25" for swaks; tinyproxy connects to Postfix from
# 127.0.0.4 (Bind), so that the two legs, both recorded, have different
# addresses.  One session, no proxy authentication.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
# Postfix listens only on addresses of an interface.
ip addr add 127.0.0.2/32 dev lo
rs_start_dns
rs_postfix_config 'inet_interfaces = 127.0.0.2'
rs_postfix_start 127.0.0.2 25
cat >"$RS_WORK/tinyproxy.conf" <<EOC
User nobody
Group nogroup
Port 8888
Listen 127.0.0.1
Bind 127.0.0.4
Timeout 60
MaxClients 10
LogLevel Info
Allow 127.0.0.1
ConnectPort 25
DisableViaHeader Yes
EOC
tinyproxy -d -c "$RS_WORK/tinyproxy.conf" >"$RS_WORK/tinyproxy.log" 2>&1 &
RS_PIDS="$RS_PIDS $!"
rs_wait_port 127.0.0.1 8888
cat >"$RS_WORK/proxychains.conf" <<EOC
strict_chain
tcp_read_time_out 15000
tcp_connect_time_out 8000
[ProxyList]
http 127.0.0.1 8888
EOC
rs_capture_start 'tcp port 25 or tcp port 8888'
# swaks through proxychains, in a UTS namespace named localhost as
# rs_swaks does.
unshare --uts sh -c 'hostname localhost && exec proxychains4 -q -f "$0" \
    swaks "$@"' "$RS_WORK/proxychains.conf" --server 127.0.0.2 --port 25 \
    --ehlo client.example.org --from sender@example.org \
    --to alice@example.com --header 'Subject: through an HTTP proxy' \
    --body 'Sent through tinyproxy (HTTP CONNECT).' \
    >"$RS_WORK/client.log" 2>&1
rs_capture_stop
