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
# The test suites (tests/*.sh) source this file too.
[ -f "$RECIPES/lib.sh" ] || RECIPES=$(cd "$RECIPES/../pcaps/recipes" && pwd)
PCAPS=$(dirname "$RECIPES")
NAME=$(basename "$0" .sh)
OUT=${OUT:-$PCAPS/$NAME.pcap}

# Where the unpacked MTAs live, and the Debian packages each needs.
RS_CACHE=${RS_CACHE:-/var/cache/relayscope-recipes}
RS_EXIM_DEBS="exim4-daemon-light exim4-base libidn12"
RS_OPENSMTPD_DEBS="opensmtpd"

# Download Debian packages into DIR and unpack them under DIR/root, before
# entering the namespace (which has no network).  Used for MTAs that would
# replace Postfix if installed.  Done once: DIR/root/.fetched names the
# packages unpacked there.  If the download fails, the package lists are
# updated and it is tried once more; then it fails loudly (status 1).
# Arguments: DIR PACKAGE...
rs_fetch_debs() {
	if [ "${RS_IN_NS:-}" = 1 ]; then
		return 0
	fi
	dir=$1
	shift
	if [ "$(cat "$dir/root/.fetched" 2>/dev/null)" = "$*" ]; then
		return 0
	fi
	mkdir -p "$dir"
	rm -rf "$dir/root" "$dir"/*.deb
	if ! (cd "$dir" && apt-get download "$@") >"$dir/download.log" 2>&1
	then
		apt-get update -qq >/dev/null 2>&1 || true
		if ! (cd "$dir" && apt-get download "$@") >"$dir/download.log" 2>&1
		then
			echo "$0: apt-get download $* failed:" >&2
			cat "$dir/download.log" >&2
			return 1
		fi
	fi
	for d in "$dir"/*.deb; do
		dpkg -x "$d" "$dir/root" || return 1
	done
	echo "$*" >"$dir/root/.fetched"
}

# The Exim and OpenSMTPD of the recipes and tests, fetched and unpacked.
rs_fetch_exim() {
	rs_fetch_debs "$RS_CACHE/exim" $RS_EXIM_DEBS
}
rs_fetch_opensmtpd() {
	rs_fetch_debs "$RS_CACHE/opensmtpd" $RS_OPENSMTPD_DEBS
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
	# The stranger's veth pair (deleting one end deletes both); its
	# namespace went with the process that held it, one of RS_PIDS.
	if [ -n "${RS_STRANGER:-}" ]; then
		ip link del rs-srv 2>/dev/null
	fi
	if [ -n "$RS_WORK" ]; then
		if [ "$rc" != 0 ]; then
			for f in "$RS_WORK"/*.log "$RS_WORK"/lib/maillog \
			    "$RS_WORK"/*/log/*log; do
				[ -s "$f" ] && sed "s|^|$(basename "$f"): |" "$f" >&2
			done
		fi
		umount -l /etc/postfix /var/spool/postfix /var/lib/postfix \
		    /etc/resolv.conf /etc/passwd /etc/group 2>/dev/null
		rm -rf "$RS_WORK"
	fi
	exit "$rc"
}

# System users an unpacked MTA needs, visible only in this namespace
# (private copies of /etc/passwd and /etc/group).  Arguments: NAME:ID...
rs_add_system_users() {
	if [ ! -f "$RS_WORK/passwd" ]; then
		cp /etc/passwd "$RS_WORK/passwd"
		cp /etc/group "$RS_WORK/group"
		mount --bind "$RS_WORK/passwd" /etc/passwd
		mount --bind "$RS_WORK/group" /etc/group
	fi
	for u in "$@"; do
		echo "${u%%:*}:x:${u#*:}:${u#*:}::/nonexistent:/usr/sbin/nologin" \
		    >>"$RS_WORK/passwd"
		echo "${u%%:*}:x:${u#*:}:" >>"$RS_WORK/group"
	done
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
# from its own records; its log is $RS_WORK/dnsmasq-ADDR.log.  Besides the
# arguments it holds mx.example.com = 127.0.0.1 and relay.example.net =
# 127.0.0.20, unless RS_DNS_DEFAULTS gives other options ("" for none).
# Arguments: extra dnsmasq options (--host-record=..., --ptr-record=...).
rs_start_dns() {
	addr=${RS_DNS_ADDR:-127.0.0.53}
	dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll \
	    --listen-address="$addr" --bind-interfaces \
	    --port="${RS_DNS_PORT:-53}" \
	    --user=root --pid-file= --log-facility=- --quiet-dhcp \
	    ${RS_DNS_DEFAULTS---host-record=mx.example.com,127.0.0.1 --host-record=relay.example.net,127.0.0.20} \
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
	# Mount points, in case /var/spool and /var/lib are private tmpfs
	# mounts (rs_private_var); elsewhere they exist already.
	mkdir -p /var/spool/postfix /var/lib/postfix
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

# A self-signed certificate for the TLS fixtures, made at record time:
# $RS_WORK/cert.pem and $RS_WORK/key.pem (RSA 2048, valid 2 days),
# subject CN=mail.example.test, subjectAltName DNS:mail.example.test.
rs_tls_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	    -subj /CN=mail.example.test \
	    -addext subjectAltName=DNS:mail.example.test \
	    -keyout "$RS_WORK/key.pem" -out "$RS_WORK/cert.pem" >/dev/null 2>&1
}

# Append a service line to the private master.cf.
rs_postfix_service() {
	printf '%s\n' "$1" >>/etc/postfix/master.cf
}

# Start Postfix and remember the master's PID; then wait for its greeting
# on HOST PORT (default 127.0.0.1 25), read over TLS from the first byte
# if the third argument is "tls" (smtpd_tls_wrappermode, port 465).
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
	rs_wait_smtp "${1:-127.0.0.1}" "${2:-25}" ${3:-}
}

# Wait until an SMTP server on HOST PORT greets, then say QUIT and wait for
# its answer, so that the probe's session is over before a capture starts
# (a probe that just closed would leave the server's greeting and a reset
# for the capture).  Bounded: 20 s, then the recipe fails (exit 2).
# Arguments: HOST PORT [tls] (tls: TLS on connect, no certificate check).
rs_wait_smtp() {
	if ! python3 - "$1" "$2" "${3:-}" <<-'EOF'
	import socket, ssl, sys, time
	deadline = time.monotonic() + 20
	ctx = ssl.create_default_context()
	ctx.check_hostname = False
	ctx.verify_mode = ssl.CERT_NONE
	while True:
	    try:
	        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 5)
	        s.settimeout(10)
	        if sys.argv[3] == "tls":
	            s = ctx.wrap_socket(s)
	        f = s.makefile("rb")
	        line = f.readline()
	        while line[3:4] == b"-":
	            line = f.readline()
	        if line[:3] == b"220":
	            s.sendall(b"QUIT\r\n")
	            f.readline()
	            s.close()
	            sys.exit(0)
	        s.close()
	    except OSError:
	        pass
	    if time.monotonic() > deadline:
	        sys.exit(1)
	    time.sleep(0.1)
	EOF
	then
		echo "$0: no SMTP greeting from $1:$2" >&2
		exit 2
	fi
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

# Record with tcpdump until rs_capture_stop, into $RS_WORK/capture.pcap
# (then $OUT).  Argument: filter.  The interface is lo, or $RS_CAPTURE_IF
# ("any" for lo and veth pairs together).  It returns once tcpdump is
# known to record: a marker datagram on lo (127.0.0.1 port 9 to itself,
# see capture-mark.py; the filter is widened to match it) has been
# written to the file.  Status 1 if that did not happen within 20 s.
# The port probes of rs_wait_port and rs_wait_smtp happened before, so
# they are not recorded.
RS_MARK_FILTER='udp and host 127.0.0.1 and port 9'
RS_MARKS=0
rs_capture_start() {
	RS_CAPTURE_LOG=$RS_WORK/tcpdump.log
	# A fresh log and file before tcpdump starts: nothing from a previous
	# capture can be taken for this one's.
	rm -f "$RS_WORK/capture.pcap" "$RS_WORK/capture-clean.pcap"
	: >"$RS_CAPTURE_LOG"
	# A large buffer: on a busy machine the default one drops packets
	# (seen in tests/run-replay.sh under make check).
	tcpdump -i "${RS_CAPTURE_IF:-lo}" -U --immediate-mode -B 32768 \
	    -s 262144 -w "$RS_WORK/capture.pcap" \
	    "($1) or ($RS_MARK_FILTER)" >>"$RS_CAPTURE_LOG" 2>&1 &
	RS_TCPDUMP=$!
	RS_PIDS="$RS_PIDS $RS_TCPDUMP"
	if ! rs_capture_mark start; then
		rs_stop_pid "$RS_TCPDUMP"
		return 1
	fi
}

# Stop a process started here by its PID: SIGINT, and if it is still
# there after 5 s (a background process ignores SIGINT until it installs
# a handler), SIGKILL; then reap it.  Status: the process's.
rs_stop_pid() {
	kill -INT "$1" 2>/dev/null
	i=0
	while [ $i -lt 100 ] && [ -e "/proc/$1" ] &&
	    ! grep -q '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	[ $i -lt 100 ] || kill -KILL "$1" 2>/dev/null
	RS_PIDS=$(echo " $RS_PIDS " | sed "s/ $1 / /")
	wait "$1" 2>/dev/null
}

# Send a marker and wait until tcpdump has written it.  Argument: a word
# for the token (start, end).
rs_capture_mark() {
	RS_MARKS=$((RS_MARKS + 1))
	if ! python3 "$RECIPES/capture-mark.py" "$RS_WORK/capture.pcap" \
	    "relayscope-capture-$1-$RS_MARKS" "$RS_TCPDUMP" \
	    2>>"$RS_CAPTURE_LOG"; then
		echo "$0: FAIL capture: tcpdump did not record its $1 marker:" \
		    "$(tr '\n' ' ' <"$RS_CAPTURE_LOG")" >&2
		return 1
	fi
}

# Stop the capture and copy it, markers removed, to $OUT.  Half a second
# first for the last segments (the server's FIN may come after the client
# is gone), then an end marker: once tcpdump has written it, it has
# written everything before it.  Status 1, a "FAIL capture:" line on
# standard error and no $OUT if a marker was not recorded, tcpdump failed
# or the kernel dropped packets.
rs_capture_stop() {
	sleep 0.5
	st=0
	rs_capture_mark end || st=1
	rs_stop_pid "$RS_TCPDUMP" || st=1
	if grep -Eq '^[1-9][0-9]* packets? dropped by (kernel|interface)' \
	    "$RS_CAPTURE_LOG"; then
		echo "$0: FAIL capture: tcpdump lost packets:" \
		    "$(grep 'dropped by' "$RS_CAPTURE_LOG" | tr '\n' ' ')" >&2
		st=1
	fi
	if [ $st = 0 ] && ! tcpdump -r "$RS_WORK/capture.pcap" \
	    -w "$RS_WORK/capture-clean.pcap" "not ($RS_MARK_FILTER)" \
	    2>>"$RS_CAPTURE_LOG"; then
		echo "$0: FAIL capture: cannot remove the markers" >&2
		st=1
	fi
	[ $st = 0 ] || return 1
	cp "$RS_WORK/capture-clean.pcap" "$OUT"
	echo "$0: wrote $OUT ($(stat -c %s "$OUT") bytes)"
}

# For the test suites: run a command while recording it (rs_capture_start
# with FILTER), its standard output in $RS_WORK/NAME.out and standard
# error in $RS_WORK/NAME.err, its status in $rc.  A recording that lost
# packets (tcpdump starved on a loaded machine) says nothing of the
# command: it is run again, up to three times.  Status 1, and why in
# $RS_WORK/NAME.capture, when the recording failed for good.  Arguments:
# NAME FILTER COMMAND...
rs_recorded() {
	_name=$1
	_filter=$2
	shift 2
	for _try in 1 2 3; do
		rs_capture_start "$_filter" 2>"$RS_WORK/$_name.capture" ||
			return 1
		"$@" >"$RS_WORK/$_name.out" 2>"$RS_WORK/$_name.err"
		rc=$?
		rs_capture_stop >/dev/null 2>>"$RS_WORK/$_name.capture" &&
			return 0
		[ $_try != 3 ] &&
		    grep -q 'tcpdump lost packets' "$RS_WORK/$_name.capture" ||
			return 1
	done
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

# A stranger: a second network namespace, a host that is not this one,
# joined to this namespace by a veth pair only (rs-srv here, rs-str
# there), for clients that a server must not trust as its own host or
# loopback.  Arguments: HERE/PLEN THERE/PLEN, e.g. 192.0.2.25/24
# 192.0.2.77/24.  A process started here holds the namespace (one of
# RS_PIDS, so rs_cleanup ends it, and the veth pair with it); commands run
# there with rs_stranger.  No IPv6 on the pair (no router solicitations,
# no link-local addresses); then both sides are checked to have routes
# only for lo and the pair's subnet.  Call after rs_setup_net.
rs_add_stranger() {
	unshare --net sleep 1000000 &
	RS_STRANGER=$!
	RS_PIDS="$RS_PIDS $RS_STRANGER"
	i=0
	while [ "$(readlink "/proc/$RS_STRANGER/ns/net")" = \
	    "$(readlink /proc/self/ns/net)" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "$0: the stranger's namespace did not appear" >&2
			exit 2
		fi
		sleep 0.05
	done
	ip link add rs-srv type veth peer name rs-str netns "$RS_STRANGER"
	sysctl -q -w net.ipv6.conf.rs-srv.disable_ipv6=1 2>/dev/null || true
	rs_stranger sysctl -q -w net.ipv6.conf.rs-str.disable_ipv6=1 \
	    2>/dev/null || true
	ip addr add "$1" dev rs-srv
	ip link set rs-srv up
	rs_stranger ip link set lo up
	rs_stranger ip addr add "$2" dev rs-str
	rs_stranger ip link set rs-str up
	rs_check_routes ""
	rs_check_routes rs_stranger
}

# Run a command in the stranger's network namespace (same files, same
# processes, its own network).
rs_stranger() {
	nsenter --net="/proc/$RS_STRANGER/ns/net" -- "$@"
}

# Nothing is routable out of a network namespace: no default route, no
# route for an address that is none of ours, and every route is on lo or
# the stranger's veth pair (exit 2 if not).  Argument: rs_stranger to
# check the stranger's namespace, none for this one.
rs_check_routes() {
	if $1 ip route get 198.18.0.1 >/dev/null 2>&1 ||
	    $1 ip -6 route get 2001:db8:ffff::1 >/dev/null 2>&1 ||
	    [ -n "$($1 ip route show default; $1 ip -6 route show default)" ] ||
	    $1 ip -4 route show table all |
	    grep -v ' dev \(lo\|rs-srv\|rs-str\) ' | grep -q .; then
		echo "$0: a route leaves the namespace${1:+ of the stranger}:" \
		    "$($1 ip -4 route show table all | tr '\n' ' ')" >&2
		exit 2
	fi
}

# Private /var/spool, /var/lib and /run (tmpfs mounts in this mount
# namespace), for OpenSMTPD, whose spool and chroot paths are built in:
# nothing is created on the host.  Call before rs_postfix_config when
# both run (it makes its mount points again).
rs_private_var() {
	mount -t tmpfs tmpfs /var/spool
	mount -t tmpfs tmpfs /var/lib
	mount -t tmpfs tmpfs /run
	mkdir -p /var/spool/smtpd /var/lib/opensmtpd/empty
	chmod 711 /var/spool/smtpd
}

# Start the unpacked Exim in the foreground (-bdf, so that its PID is the
# daemon's) with configuration FILE, which sets spool_directory and
# log_file_path under $RS_WORK (rs_exim_conf_head prints those lines);
# its PID file is FILE.pid, so that several daemons can run at once.
# Arguments: FILE.  The system user is added once.
rs_exim_start() {
	if ! grep -q '^Debian-exim:' /etc/passwd; then
		rs_add_system_users Debian-exim:64000
	fi
	ex=$RS_CACHE/exim/root
	LD_LIBRARY_PATH=$ex/usr/lib/x86_64-linux-gnu "$ex/usr/sbin/exim4" \
	    -C "$1" -bdf -oP "$1.pid" >>"$RS_WORK/exim-stdout.log" 2>&1 &
	RS_PIDS="$RS_PIDS $!"
}

# The settings every Exim of the recipes shares: its own spool and logs
# in $RS_WORK/NAME, no ident, no TLS, runs as root in the namespace.
# Arguments: NAME.
rs_exim_conf_head() {
	mkdir -p "$RS_WORK/$1/spool" "$RS_WORK/$1/log"
	cat <<-EOC
	exim_user = root
	exim_group = root
	never_users =
	keep_environment =
	tls_advertise_hosts =
	rfc1413_hosts =
	spool_directory = $RS_WORK/$1/spool
	log_file_path = $RS_WORK/$1/log/%slog
	EOC
}

# Start the unpacked OpenSMTPD in the foreground with configuration FILE;
# its log is $RS_WORK/smtpd.log.  Needs rs_private_var.  Arguments: FILE.
rs_opensmtpd_start() {
	if ! grep -q '^opensmtpd:' /etc/passwd; then
		rs_add_system_users opensmtpd:64010 opensmtpq:64011
	fi
	"$RS_CACHE/opensmtpd/root/usr/sbin/smtpd" -d -f "$1" \
	    >>"$RS_WORK/smtpd.log" 2>&1 &
	RS_PIDS="$RS_PIDS $!"
}

# swaks as a client with no DNS lookups of its own: swaks looks up its
# host name (for its default HELO and Message-Id) even when told both;
# run in a UTS namespace of its own named localhost, which /etc/hosts
# answers, so the capture's DNS is only the servers'.  Arguments: swaks's.
rs_swaks() {
	unshare --uts sh -c 'hostname localhost && exec swaks "$@"' swaks "$@"
}
