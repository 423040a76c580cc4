#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# OpenSMTPD 6.8 (Debian 12 opensmtpd, unpacked privately so it does not
# replace Postfix) with "smtp max-message-size 2048": it advertises SIZE
# 2048.  Session 1 announces a larger message with MAIL FROM ... SIZE=4096
# (OpenSMTPD 6.8 does not check it: 250) and sends a body of about 4 KB;
# session 2 announces nothing and sends the same body; both are refused
# after the final dot.  Session 3 sends a small message, which is
# accepted.  Local deliveries go to
# "cat >/dev/null"; there is no relay action, so nothing can leave.
# /run and /var/lib are private tmpfs mounts here.
# Packages: opensmtpd (unpacked by rs_fetch_opensmtpd) and the libraries
# it links against (libevent-2.1-7, libssl3, ...), tcpdump, dnsmasq-base,
# python3, iproute2, util-linux.
. "$(dirname "$0")/lib.sh"
rs_fetch_opensmtpd
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
rs_private_var
cat >"$RS_WORK/smtpd.conf" <<EOC
smtp max-message-size 2048
listen on 127.0.0.1 port 25 hostname mx3.example.com
table aliases { alice = nobody }
action "drop" mda "cat >/dev/null" alias <aliases>
match from any for domain "example.com" action "drop"
EOC
rs_opensmtpd_start "$RS_WORK/smtpd.conf"
rs_wait_smtp 127.0.0.1 25
# About 4 KB of body: 60 lines of 64 characters.
big=$(python3 -c 'print("Subject: too big\\n\\n" + "\\n".join("line %02d " % i + "x" * 56 for i in range(60)), end="")')
rs_capture_start 'tcp port 25 or tcp port 587'
rs_client --source 127.0.0.2 'EHLO client.example.org' \
    'MAIL FROM:<sender@example.org> SIZE=4096' 'RCPT TO:<alice@example.com>' \
    'DATA' "BODY:$big" 'QUIT' >"$RS_WORK/client1.log" 2>&1 || true
rs_client --source 127.0.0.2 'EHLO client.example.org' \
    'MAIL FROM:<sender@example.org>' 'RCPT TO:<alice@example.com>' 'DATA' \
    "BODY:$big" 'QUIT' >"$RS_WORK/client2.log" 2>&1 || true
rs_client --source 127.0.0.2 'EHLO client.example.org' \
    'MAIL FROM:<sender@example.org> SIZE=100' 'RCPT TO:<alice@example.com>' \
    'DATA' 'BODY:Subject: small\n\nWithin the limit.' 'QUIT' \
    >"$RS_WORK/client3.log" 2>&1 || true
rs_capture_stop
for s in 1 2; do
	if ! grep -q '^S: 554 5.3.4 Message too big' "$RS_WORK/client$s.log"; then
		echo "$0: session $s: no 554 5.3.4 Message too big:" >&2
		cat "$RS_WORK/client$s.log" >&2
		exit 2
	fi
done
