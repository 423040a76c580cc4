#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# OpenSMTPD 6.8 (Debian 12 opensmtpd, unpacked privately so it does not
# replace Postfix): only example.com is accepted, so a foreign recipient
# gets "550 Invalid recipient: <...>" (no enhanced code, although
# ENHANCEDSTATUSCODES is advertised); a local one is accepted and the
# message is handed to "cat >/dev/null".  There is no relay action, so
# nothing can leave.  /run and /var/lib are private tmpfs mounts here.
. "$(dirname "$0")/lib.sh"
CACHE=${RS_CACHE:-/var/cache/relayscope-recipes}
rs_fetch_debs "$CACHE/opensmtpd" opensmtpd
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
OS=$CACHE/opensmtpd/root
rs_add_system_users opensmtpd:64010 opensmtpq:64011
mkdir -p "$RS_WORK/smtpd-spool"
chmod 711 "$RS_WORK/smtpd-spool"
# Private /var/spool, /var/lib and /run: nothing is created on the host.
mount -t tmpfs tmpfs /var/spool
mkdir -p /var/spool/smtpd
mount --bind "$RS_WORK/smtpd-spool" /var/spool/smtpd
mount -t tmpfs tmpfs /var/lib
mkdir -p /var/lib/opensmtpd/empty
mount -t tmpfs tmpfs /run
cat >"$RS_WORK/smtpd.conf" <<EOC
listen on 127.0.0.1 port 25 hostname mx3.example.com
table aliases { alice = nobody }
action "drop" mda "cat >/dev/null" alias <aliases>
match from any for domain "example.com" action "drop"
EOC
"$OS/usr/sbin/smtpd" -d -f "$RS_WORK/smtpd.conf" >"$RS_WORK/smtpd.log" 2>&1 &
RS_PIDS="$RS_PIDS $!"
rs_wait_port 127.0.0.1 25
rs_capture_start 'tcp port 25 or tcp port 587'
rs_relay_attempt
rs_capture_stop
