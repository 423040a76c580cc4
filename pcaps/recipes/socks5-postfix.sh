#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# SMTP through a real SOCKS5 proxy: microsocks on 127.0.0.1:1080 in front
# of Postfix on 127.0.0.2:25.  swaks reaches the proxy through
# proxychains4, which does the SOCKS5 exchange for swaks (from 127.0.0.1:
# proxychains connects a socket of its own, so swaks --local-interface
# would not apply); microsocks connects to Postfix from 127.0.0.4, so
# that the two legs, both recorded, have different addresses.  Session 1 authenticates to the proxy with user name and
# password (RFC 1929: proxyuser / proxysecret1); session 2 offers no
# authentication, which microsocks accepts because of its auth-once mode
# (-1: an address that has authenticated once may go on without).
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
# Postfix listens only on addresses of an interface.
ip addr add 127.0.0.2/32 dev lo
rs_start_dns
rs_postfix_config 'inet_interfaces = 127.0.0.2'
rs_postfix_start 127.0.0.2 25
microsocks -1 -i 127.0.0.1 -p 1080 -b 127.0.0.4 -u proxyuser \
    -P proxysecret1 >"$RS_WORK/microsocks.log" 2>&1 &
RS_PIDS="$RS_PIDS $!"
rs_wait_port 127.0.0.1 1080
for auth in " proxyuser proxysecret1" ""; do
	cat >"$RS_WORK/proxychains${auth:+-auth}.conf" <<-EOF
	strict_chain
	tcp_read_time_out 15000
	tcp_connect_time_out 8000
	[ProxyList]
	socks5 127.0.0.1 1080$auth
	EOF
done
# swaks through proxychains, in a UTS namespace named localhost as
# rs_swaks does.  Arguments: the proxychains configuration, swaks's.
socks_swaks() {
	unshare --uts sh -c 'hostname localhost && exec proxychains4 -q \
	    -f "$0" swaks "$@"' "$@" >>"$RS_WORK/client.log" 2>&1
}
rs_capture_start 'tcp port 25 or tcp port 1080'
socks_swaks "$RS_WORK/proxychains-auth.conf" --server 127.0.0.2 --port 25 \
    --ehlo client.example.org \
    --from sender@example.org --to alice@example.com \
    --header 'Subject: through SOCKS5 with proxy auth' \
    --body 'Sent through microsocks, authenticated as proxyuser.'
socks_swaks "$RS_WORK/proxychains.conf" --server 127.0.0.2 --port 25 \
    --ehlo client.example.org \
    --from sender@example.org --to bob@example.com \
    --header 'Subject: through SOCKS5 without proxy auth' \
    --body 'Sent through microsocks, no proxy authentication.'
rs_capture_stop
