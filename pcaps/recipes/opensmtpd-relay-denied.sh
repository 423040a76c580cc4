#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# OpenSMTPD 6.8 (Debian 12 opensmtpd, unpacked privately so it does not
# replace Postfix): only example.com is accepted, so a foreign recipient
# gets "550 Invalid recipient: <...>" (no enhanced code, although
# ENHANCEDSTATUSCODES is advertised); a local one is accepted and the
# message is handed to "cat >/dev/null".  There is no relay action, so
# nothing can leave.  /run and /var/lib are private tmpfs mounts here.
. "$(dirname "$0")/lib.sh"
rs_fetch_opensmtpd
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
rs_private_var
cat >"$RS_WORK/smtpd.conf" <<EOC
listen on 127.0.0.1 port 25 hostname mx3.example.com
table aliases { alice = nobody }
action "drop" mda "cat >/dev/null" alias <aliases>
match from any for domain "example.com" action "drop"
EOC
rs_opensmtpd_start "$RS_WORK/smtpd.conf"
rs_wait_port 127.0.0.1 25
rs_capture_start 'tcp port 25 or tcp port 587'
rs_relay_attempt
rs_capture_stop
