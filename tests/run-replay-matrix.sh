#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# relayscope replay against three real MTAs, each closed and open, each
# replayed from loopback and from a stranger: twelve cases, inside private
# namespaces.  The servers listen on 127.0.0.1 and on 192.0.2.25, this
# namespace's end of a veth pair; the stranger is 192.0.2.77, the other
# end, in a network namespace of its own (rs_add_stranger), so it is
# neither loopback nor an address of the servers' host.
#
#   MTA        closed (trusts only loopback)              open (anyone)
#   Postfix    :25   mynetworks = 127.0.0.0/8,            :2525 mynetworks =
#                    reject_unauth_destination                  0.0.0.0/0
#   Exim       :2625 relay_from_hosts = 127.0.0.1 : ::1,  :2626 accept
#                    the stock "relay not permitted" ACL
#   OpenSMTPD  :2725 match from local for any,            :2726 match from
#                    match from any for domain example.com      any for any
#
# Nothing is delivered anywhere: Postfix's transports are discard:, Exim's
# only router is :blackhole: (no transports), OpenSMTPD's only action is
# mda "cat >/dev/null".  Each case replays session 3dafb3c41646bbdc of
# pcaps/postfix-relay-denied-554.pcap (RCPT victim@example.org, RCPT
# alice@example.com; no DATA) with --local-domains example.com:
#   from loopback (127.0.0.1), closed or open: accepted-from-trusted-source,
#     exit 0;
#   from the stranger, closed: relay-denied, exit 3;
#   from the stranger, open: confirmed-open-relay, exit 0.
# Each replay is recorded with tcpdump (no kernel drops allowed) and the
# recording analysed: the live dialogue came from the right address, the
# server answered victim@example.org as this MTA does, no DATA was sent.
# Then --probe against the closed Exim from the stranger: every one of
# the 15 probes is listed with its outcome (Exim drops the connection
# after three syntax errors; replay reconnects).
# Prints "replay-matrix: N passed, N failed".  Needs root, Postfix,
# tcpdump, and Exim and OpenSMTPD unpacked from their Debian packages
# (fetched here before entering the namespace, or by sh tests/deps.sh
# test).  RELAYSCOPE=path tests another build.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/pcaps/recipes/lib.sh"
if [ "${RS_IN_NS:-}" != 1 ] && [ "$(id -u)" = 0 ] &&
    ! { rs_fetch_exim && rs_fetch_opensmtpd; }; then
	echo "replay-matrix: cannot fetch Exim and OpenSMTPD"
	echo "replay-matrix: 0 passed, 1 failed"
	exit 1
fi
rs_test_namespace replay-matrix postfix
set +e
RS=${RELAYSCOPE:-$TOP/relayscope}
FIX=$TOP/pcaps/postfix-relay-denied-554.pcap
FIX_ID=3dafb3c41646bbdc
SRV=192.0.2.25
STRANGER=192.0.2.77
PORTS=25,2525,2625,2626,2725,2726
FILTER='tcp port 25 or tcp port 2525 or tcp port 2625 or tcp port 2626 or tcp port 2725 or tcp port 2726'

rs_setup_net
rs_add_stranger "$SRV/24" "$STRANGER/24"
rs_start_dns
rs_private_var
RS_CAPTURE_IF=any
OUT=$RS_WORK/replay.pcap

# Postfix: closed on :25, open on :2525 (the same instance; the open
# service overrides mynetworks).
rs_postfix_config 'mynetworks = 127.0.0.0/8' \
    "inet_interfaces = 127.0.0.1, $SRV"
rs_postfix_service '2525 inet n - n - - smtpd -o mynetworks=0.0.0.0/0'
rs_postfix_start

# Exim: the stock RCPT ACL of Exim's example configuration (DKIM
# controls left out), relaying only for 127.0.0.1 and ::1; and one that
# accepts everything.
exim_conf() {	# NAME PORT ACL
	rs_exim_conf_head "$1"
	cat <<-EOC
	primary_hostname = mx.example.com
	domainlist local_domains = @ : localhost : example.com
	domainlist relay_to_domains =
	hostlist relay_from_hosts = <; 127.0.0.1 ; ::1
	daemon_smtp_ports = $2
	local_interfaces = 127.0.0.1 : $SRV
	acl_smtp_rcpt = acl_check_rcpt
	begin acl
	acl_check_rcpt:
	$3
	begin routers
	blackhole:
	  driver = redirect
	  data = :blackhole:
	EOC
}
exim_conf exim-closed 2625 '  accept  hosts = :
  deny    message       = Restricted characters in address
          domains       = +local_domains
          local_parts   = ^[.] : ^.*[@%!/|]
  deny    message       = Restricted characters in address
          domains       = !+local_domains
          local_parts   = ^[./|] : ^.*[@%!] : ^.*/\\.\\./
  accept  local_parts   = postmaster
          domains       = +local_domains
  require verify        = sender
  accept  hosts         = +relay_from_hosts
          control       = submission
  accept  authenticated = *
          control       = submission
  require message = relay not permitted
          domains = +local_domains : +relay_to_domains
  require verify = recipient
  accept' >"$RS_WORK/exim-closed.conf"
exim_conf exim-open 2626 '  accept' >"$RS_WORK/exim-open.conf"
rs_exim_start "$RS_WORK/exim-closed.conf"
rs_exim_start "$RS_WORK/exim-open.conf"

# OpenSMTPD: one daemon; the listeners of the open side carry a tag.
cat >"$RS_WORK/smtpd.conf" <<EOC
listen on 127.0.0.1 port 2725 hostname mx.example.com
listen on $SRV port 2725 hostname mx.example.com
listen on 127.0.0.1 port 2726 hostname mx.example.com tag OPEN
listen on $SRV port 2726 hostname mx.example.com tag OPEN
table aliases { alice = nobody, victim = nobody }
action "drop" mda "cat >/dev/null" alias <aliases>
match tag OPEN from any for any action "drop"
match from local for any action "drop"
match from any for domain "example.com" action "drop"
EOC
rs_opensmtpd_start "$RS_WORK/smtpd.conf"
for p in 2625 2626 2725 2726; do
	rs_wait_smtp 127.0.0.1 $p
done

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL replay-matrix/$1${2:+: $2}"
	if [ -n "${RS_DEBUG:-}" ]; then
		for f in "$RS_WORK/$1".*; do
			echo "--- $f"
			head -60 "$f"
		done
	fi
}

# Every server greets the stranger on 192.0.2.25 (and so the topology
# works); these sessions end before the first capture starts.
unreached=""
for p in 25 2525 2625 2626 2725 2726; do
	rs_stranger sh -c ". '$TOP/pcaps/recipes/lib.sh'; rs_wait_smtp $SRV $p" \
	    "$0" 2>/dev/null || unreached="$unreached $p"
done
if [ -z "$unreached" ]; then ok
else bad topology "the stranger got no greeting on $SRV port$unreached"; fi
has() { grep -q -- "$2" "$RS_WORK/$1"; }
hasnt() { ! grep -q -- "$2" "$RS_WORK/$1"; }

# Replay the fixture session, recorded; output in $RS_WORK/NAME.out/.err,
# status in $rc, the recording's analysis in $RS_WORK/NAME.seen.  A
# capture that failed (a marker not recorded, or kernel drops three
# times: rs_recorded) is a FAIL of its own.  Arguments: NAME loopback|stranger PORT [ARGS...].
replay() {
	name=$1
	from=$2
	port=$3
	shift 3
	if [ "$from" = loopback ]; then
		set -- "$RS" replay "$FIX" --session "$FIX_ID" \
		    --local-domains example.com --target "127.0.0.1:$port" \
		    --source 127.0.0.1 "$@"
	else
		set -- rs_stranger "$RS" replay "$FIX" --session "$FIX_ID" \
		    --local-domains example.com --target "$SRV:$port" \
		    --source "$STRANGER" "$@"
	fi
	if ! rs_recorded "$name" "$FILTER" "$@"; then
		bad "$name-capture" "$(cat "$RS_WORK/$name.capture")"
		: >"$RS_WORK/$name.seen"
		return
	fi
	"$RS" --color never -p "$PORTS" --local-domains example.com "$OUT" \
	    >"$RS_WORK/$name.seen" 2>&1
}

# One case: NAME FROM PORT EXPECTED-VERDICT EXPECTED-EXIT REPLY, where
# REPLY is the server's live answer to RCPT TO:<victim@example.org> as
# the recording shows it (a grep pattern).
case_() {
	replay "$1" "$2" "$3"
	if [ "$rc" = "$5" ] && has "$1.out" "^verdict: $4\$"; then ok
	else bad "$1" "exit $rc, $(grep '^verdict:' "$RS_WORK/$1.out"), want $4 exit $5 $(head -3 "$RS_WORK/$1.err")"; fi
	if [ "$2" = loopback ]; then src=127.0.0.1; dst=127.0.0.1
	else src=$STRANGER; dst=$SRV; fi
	# The recording: one session from the expected source, the RCPT
	# answered as this MTA answers, RSET and QUIT, never DATA.
	if has "$1.seen" "^session 1 [0-9a-f]* [^ ]* $src:[0-9]* -> $dst:$3\$" &&
	    hasnt "$1.seen" '^session 2 ' &&
	    grep -A1 'C: RCPT TO:<victim@example.org>' "$RS_WORK/$1.seen" |
	    grep -q "S: $6" &&
	    has "$1.seen" 'C: RSET' && has "$1.seen" 'C: QUIT' &&
	    hasnt "$1.seen" 'C: DATA'; then ok
	else bad "$1-recorded" "$(grep -E '^session|C: RCPT|S: [245][0-9][0-9] ' "$RS_WORK/$1.seen" | head -12)"; fi
}

PF_DENIED='554 5.7.1 <victim@example.org>: Relay access denied$'
EX_DENIED='550 relay not permitted$'
OS_DENIED='550 Invalid recipient: <victim@example.org>$'
PF_OK='250 2.1.5 Ok$'
EX_OK='250 Accepted$'
OS_OK='250 2.1.5 Destination address valid: Recipient ok$'
T=accepted-from-trusted-source
case_ postfix-closed-loopback loopback 25 $T 0 "$PF_OK"
case_ postfix-closed-stranger stranger 25 relay-denied 3 "$PF_DENIED"
case_ postfix-open-loopback loopback 2525 $T 0 "$PF_OK"
case_ postfix-open-stranger stranger 2525 confirmed-open-relay 0 "$PF_OK"
case_ exim-closed-loopback loopback 2625 $T 0 "$EX_OK"
case_ exim-closed-stranger stranger 2625 relay-denied 3 "$EX_DENIED"
case_ exim-open-loopback loopback 2626 $T 0 "$EX_OK"
case_ exim-open-stranger stranger 2626 confirmed-open-relay 0 "$EX_OK"
case_ opensmtpd-closed-loopback loopback 2725 $T 0 "$OS_OK"
case_ opensmtpd-closed-stranger stranger 2725 relay-denied 3 "$OS_DENIED"
case_ opensmtpd-open-loopback loopback 2726 $T 0 "$OS_OK"
case_ opensmtpd-open-stranger stranger 2726 confirmed-open-relay 0 "$OS_OK"

# --probe against the closed Exim from the stranger: every probe listed
# with an outcome, none accepted, no DATA.  This Exim refuses the probes
# at MAIL (literal-sender: 501 domain literals not allowed) or at RCPT
# (550 relay not permitted, 550 Restricted characters in address, 501
# domain literals not allowed / recipient address must contain a domain /
# malformed address), and after the eleventh probe answers RSET with "554
# Too many nonmail commands" and closes the connection
# (smtp_accept_max_nonmail = 10): the replay reconnects for the rest.  So
# the recording holds more than one session, 16 MAILs (the session's and
# one per probe), and only alice@example.com's RCPT accepted.
replay exim-probe stranger 2625 --probe
missing=""
for p in plain null-sender local-sender literal-sender percent-hack \
    percent-hack-literal quoted-at quoted-percent quoted-at-domain \
    double-at source-route source-route-literal bang-path \
    bang-path-domain bang-path-literal; do
	grep -Eiq "^ +$p .*(accepted|refused|dropped|not sent)" \
	    "$RS_WORK/exim-probe.out" || missing="$missing $p"
done
if [ "$rc" = 3 ] && [ -z "$missing" ]; then ok
else bad exim-probe "exit $rc, no outcome for:${missing:- (none)}"; fi
mails=$(grep -c 'C: MAIL FROM:' "$RS_WORK/exim-probe.seen")
taken=$(grep -A1 'C: RCPT TO:' "$RS_WORK/exim-probe.seen" | grep -c 'S: 250')
if hasnt exim-probe.seen 'C: DATA' && has exim-probe.seen '^session 2 ' &&
    [ "$mails" = 16 ] && [ "$taken" = 1 ]; then ok
else bad exim-probe-recorded "$mails MAIL, $taken RCPT accepted, $(grep -c '^session ' "$RS_WORK/exim-probe.seen") sessions"; fi

echo "replay-matrix: $pass passed, $fail failed"
