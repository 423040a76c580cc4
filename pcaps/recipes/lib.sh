# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh: shared helpers of the fixture recipes (sourced, not run).
#
# Every recipe re-executes itself inside private network, mount, PID, UTS
# and IPC namespaces, so that all traffic stays on a loopback interface
# nobody else sees and nothing can leave the machine.  Inside, it starts
# dnsmasq (the MTAs' own DNS lookups), a real MTA and tcpdump, runs a
# client dialogue, and stops every process by its PID, also on failure.
#
# Requires root and Debian 12 packages: postfix, swaks, tcpdump,
# dnsmasq-base, python3 (tests/deps.sh installs them).

set -eu

RECIPES=$(cd "$(dirname "$0")" && pwd)
PCAPS=$(dirname "$RECIPES")
NAME=$(basename "$0" .sh)
OUT=${OUT:-$PCAPS/$NAME.pcap}

# Download Debian packages into DIR and unpack them under DIR/root, before
# entering the namespace (which has no network).  Used for MTAs that would
# replace Postfix if installed.  Arguments: DIR PACKAGE...
rs_fetch_debs() {
	if [ "${RS_IN_NS:-}" = 1 ]; then
		return 0
	fi
	dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && apt-get download "$@" >/dev/null 2>&1 &&
	    for d in ./*.deb; do dpkg -x "$d" root; done)
}

# Re-run this script inside fresh namespaces (once).
rs_enter_namespace() {
	if [ "${RS_IN_NS:-}" = 1 ]; then
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "$0: must run as root (it creates namespaces)" >&2
		exit 2
	fi
	RS_IN_NS=1 OUT=$OUT exec unshare --net --mount --uts --ipc --pid --mount-proc \
	    --fork --kill-child --propagation private /bin/sh "$0" "$@"
}

# For test suites (tests/run-live.sh, tests/run-dns.sh): re-run the calling
# script inside fresh namespaces, print its output, and exit 0 only if its
# last line says "SUITE: N passed, 0 failed".  Arguments: SUITE PROGRAM (a
# program the suite needs, besides root).
rs_test_namespace() {
	if [ "${RS_IN_NS:-}" = 1 ]; then
		return 0
	fi
	if [ "$(id -u)" != 0 ] || ! command -v "$2" >/dev/null; then
		echo "$1: needs root and $2 (sh tests/deps.sh test)"
		echo "$1: 0 passed, 1 failed"
		exit 1
	fi
	out=$(RS_IN_NS=1 unshare --net --mount --uts --ipc --pid --mount-proc \
	    --fork --kill-child --propagation private /bin/sh "$0" 2>&1) || true
	printf '%s\n' "$out"
	printf '%s\n' "$out" | grep -q "^$1: [0-9]* passed, 0 failed\$"
	exit $?
}

RS_PIDS=""
RS_WORK=""

rs_cleanup() {
	rc=$?
	set +e
	for pid in $RS_PIDS; do
		kill -INT "$pid" 2>/dev/null
	done
	sleep 0.3
	for pid in $RS_PIDS; do
		kill -KILL "$pid" 2>/dev/null
	done
	if [ -n "$RS_WORK" ]; then
		if [ "$rc" != 0 ]; then
			for f in "$RS_WORK"/*.log "$RS_WORK"/lib/maillog; do
				[ -s "$f" ] && sed "s|^|$(basename "$f"): |" "$f" >&2
			done
		fi
		umount -l /etc/postfix /var/spool/postfix /var/lib/postfix \
		    /etc/resolv.conf 2>/dev/null
		rm -rf "$RS_WORK"
	fi
	exit "$rc"
}

# System users an unpacked MTA needs, visible only in this namespace
# (private copies of /etc/passwd and /etc/group).  Arguments: NAME:ID...
rs_add_system_users() {
	cp /etc/passwd "$RS_WORK/passwd"
	cp /etc/group "$RS_WORK/group"
	for u in "$@"; do
		echo "${u%%:*}:x:${u#*:}:${u#*:}::/nonexistent:/usr/sbin/nologin" \
		    >>"$RS_WORK/passwd"
		echo "${u%%:*}:x:${u#*:}:" >>"$RS_WORK/group"
	done
	mount --bind "$RS_WORK/passwd" /etc/passwd
	mount --bind "$RS_WORK/group" /etc/group
}

# Loopback only, and prove that nothing is routable.
rs_setup_net() {
	ip link set lo up
	ip addr add ::1/128 dev lo 2>/dev/null || true
	if [ "$(ip -o link show | grep -vc ': lo:')" != 0 ]; then
		echo "$0: namespace has interfaces besides lo" >&2
		exit 2
	fi
	if ip route get 192.0.2.1 >/dev/null 2>&1; then
		echo "$0: a route leaves the namespace" >&2
		exit 2
	fi
	RS_WORK=$(mktemp -d /tmp/rs-recipe.XXXXXX)
	chmod 755 "$RS_WORK"
	trap rs_cleanup EXIT INT TERM
	hostname mx.example.com
	printf 'nameserver 127.0.0.53\n' >"$RS_WORK/resolv.conf"
	mount --bind "$RS_WORK/resolv.conf" /etc/resolv.conf
}

# dnsmasq on 127.0.0.53:53 (or $RS_DNS_ADDR:$RS_DNS_PORT) answering only
# from its own records; its log is $RS_WORK/dnsmasq-ADDR.log.
# Arguments: extra dnsmasq options (--host-record=..., --ptr-record=...).
rs_start_dns() {
	addr=${RS_DNS_ADDR:-127.0.0.53}
	dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll \
	    --listen-address="$addr" --bind-interfaces \
	    --port="${RS_DNS_PORT:-53}" \
	    --user=root --pid-file= --log-facility=- --quiet-dhcp \
	    --host-record=mx.example.com,127.0.0.1 \
	    --host-record=relay.example.net,127.0.0.20 \
	    "$@" >"$RS_WORK/dnsmasq-$addr.log" 2>&1 &
	RS_PIDS="$RS_PIDS $!"
}

# The DNS of the EHLO-check fixture (postfix-helo-checks), as options for
# rs_start_dns; tests/run-dns.sh serves the same names to the live
# resolver.  dnsmasq is authoritative (--local) for the example domains and
# the reverse zone, so unknown names get NXDOMAIN, as on the Internet.
rs_helo_dns_records() {
	echo --host-record=good.example.org,127.0.0.21 \
	    --host-record=mail.bigbank.example,192.0.2.25 \
	    --host-record=host23.example.org,127.0.0.23 \
	    --host-record=dyn.example.net,127.0.0.99 \
	    --ptr-record=24.0.0.127.in-addr.arpa,dyn.example.net \
	    --host-record=host25.example.org,127.0.0.25 \
	    --host-record=host26.example.org,127.0.0.26 \
	    --host-record=host27.example.org,127.0.0.27 \
	    --host-record=host28.example.org,127.0.0.28 \
	    --host-record=host29.example.org,127.0.0.29 \
	    --local=/example.org/ --local=/example.net/ --local=/example/ \
	    --local=/in-addr.arpa/
}

# A private Postfix: config in $RS_WORK/postfix bind-mounted on
# /etc/postfix, queue in $RS_WORK/spool.  No delivery path exists: every
# transport is discard:, there is no smtp/lmtp client in master.cf.
# Arguments: "key = value" lines appended to main.cf.
rs_postfix_config() {
	pf=$RS_WORK/postfix
	mkdir -p "$pf" "$RS_WORK/spool" "$RS_WORK/lib"
	cp -a /etc/postfix/. "$pf/"
	cat >"$pf/main.cf" <<-EOF
	compatibility_level = 3.6
	myhostname = mx.example.com
	mydomain = example.com
	myorigin = \$mydomain
	mydestination = \$myhostname, localhost, example.com
	mynetworks = 127.0.0.1/32
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	smtpd_banner = \$myhostname ESMTP Postfix (Debian/GNU)
	biff = no
	append_dot_mydomain = no
	alias_maps =
	alias_database =
	local_recipient_maps =
	default_transport = discard:
	relay_transport = discard:
	local_transport = discard:
	virtual_transport = discard:
	smtp_dns_support_level = disabled
	disable_dns_lookups = yes
	maillog_file = /var/lib/postfix/maillog
	smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
	EOF
	for line in "$@"; do
		postconf -c "$pf" -e "$line"
	done
	cat >"$pf/master.cf" <<-'EOF'
	smtp       inet n - n - - smtpd
	cleanup    unix n - n - 0 cleanup
	qmgr       unix n - n 300 1 qmgr
	tlsmgr     unix - - n 1000? 1 tlsmgr
	rewrite    unix - - n - - trivial-rewrite
	bounce     unix - - n - 0 bounce
	defer      unix - - n - 0 bounce
	trace      unix - - n - 0 bounce
	verify     unix - - n - 1 verify
	flush      unix n - n 1000? 0 flush
	proxymap   unix - - n - - proxymap
	showq      unix n - n - - showq
	error      unix - - n - - error
	retry      unix - - n - - error
	discard    unix - - n - - discard
	anvil      unix - - n - 1 anvil
	scache     unix - - n - 1 scache
	postlog    unix-dgram n - n - 1 postlogd
	EOF
	chown postfix:postfix "$RS_WORK/lib"
	mount --bind "$pf" /etc/postfix
	mount --bind "$RS_WORK/spool" /var/spool/postfix
	mount --bind "$RS_WORK/lib" /var/lib/postfix
}

# Cyrus SASL for the private Postfix (sasldb; PLAIN and LOGIN) and a
# submission service on 587 that relays only for authenticated clients.
# Arguments: USER DOMAIN PASSWORD.  Call after rs_postfix_config.
rs_postfix_sasl() {
	postconf -e 'smtpd_sasl_auth_enable = no' 'smtpd_sasl_type = cyrus' \
	    'smtpd_sasl_path = smtpd' \
	    'cyrus_sasl_config_path = /etc/postfix/sasl'
	mkdir -p /etc/postfix/sasl
	cat >/etc/postfix/sasl/smtpd.conf <<-EOF
	pwcheck_method: auxprop
	auxprop_plugin: sasldb
	sasldb_path: /etc/postfix/sasl/sasldb2
	mech_list: PLAIN LOGIN
	EOF
	printf '%s\n' "$3" | saslpasswd2 -p -c -f /etc/postfix/sasl/sasldb2 \
	    -u "$2" "$1"
	chown postfix /etc/postfix/sasl/sasldb2
	rs_postfix_service 'submission inet n - n - - smtpd -o smtpd_sasl_auth_enable=yes -o smtpd_relay_restrictions=permit_sasl_authenticated,reject'
}

# Append a service line to the private master.cf.
rs_postfix_service() {
	printf '%s\n' "$1" >>/etc/postfix/master.cf
}

# Start Postfix and remember the master's PID.
rs_postfix_start() {
	postfix set-permissions >/dev/null 2>&1 || true
	if ! postfix start >"$RS_WORK/postfix.log" 2>&1; then
		cat /var/lib/postfix/maillog >&2
		exit 2
	fi
	i=0
	while [ ! -s /var/spool/postfix/pid/master.pid ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	RS_PIDS="$RS_PIDS $(tr -d ' ' </var/spool/postfix/pid/master.pid)"
	rs_wait_port 127.0.0.1 25
}

# Wait until something listens on HOST PORT.
rs_wait_port() {
	i=0
	while ! python3 -c "import socket,sys; socket.create_connection(('$1', $2), 1).close()" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 50 ]; then
			echo "$0: nothing listens on $1:$2" >&2
			exit 2
		fi
		sleep 0.1
	done
}

# Record from lo with tcpdump until rs_capture_stop.  Argument: filter.
# The port probe of rs_wait_port happened before, so it is not recorded.
rs_capture_start() {
	# A large buffer: on a busy machine the default one drops packets
	# (seen in tests/run-replay.sh under make check).
	tcpdump -i lo -U --immediate-mode -B 32768 -s 262144 \
	    -w "$RS_WORK/out.pcap" "$1" >"$RS_WORK/tcpdump.log" 2>&1 &
	RS_TCPDUMP=$!
	RS_PIDS="$RS_PIDS $RS_TCPDUMP"
	i=0
	while ! grep -q 'listening on' "$RS_WORK/tcpdump.log" && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

rs_capture_stop() {
	sleep 0.5
	kill -INT "$RS_TCPDUMP"
	wait "$RS_TCPDUMP" 2>/dev/null || true
	if grep -q '^[1-9][0-9]* packets* dropped by kernel' "$RS_WORK/tcpdump.log"
	then
		echo "$0: tcpdump lost packets: $(grep 'dropped by kernel' \
		    "$RS_WORK/tcpdump.log")" >&2
	fi
	cp "$RS_WORK/out.pcap" "$OUT"
	echo "$0: wrote $OUT ($(stat -c %s "$OUT") bytes)"
}

# The common start of a Postfix recipe: loopback, DNS, a private Postfix
# (arguments: main.cf settings, as for rs_postfix_config), tcpdump on the
# SMTP ports.
rs_record_postfix() {
	rs_setup_net
	rs_start_dns
	rs_postfix_config "$@"
	rs_postfix_start
	rs_capture_start 'tcp port 25 or tcp port 587'
}

# The relay attempt every MTA's refusal fixture records, so the captures
# compare: an outside client (127.0.0.2) asks for a foreign recipient and a
# local one, then sends a message for whatever was accepted.
rs_relay_attempt() {
	swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
	    --ehlo client.example.org --from sender@example.org \
	    --to victim@example.org,alice@example.com \
	    --header 'Subject: relay attempt' --body 'Relay me.' \
	    >/dev/null || true
}

# The scripted client for what swaks cannot do (RSET, several
# transactions, BDAT).  Arguments: see smtp-client.py --help.
rs_client() {
	python3 "$RECIPES/smtp-client.py" "$@"
}
