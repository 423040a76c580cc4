#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad-input cases that need an unprivileged user (root reads every file
# and may capture anywhere): an unreadable capture file and a live
# interface without permission.  Run as root, they drop to "nobody".
# Also: standard input (a file and a pipe, pcap and pcapng, and
# gzip-compressed), -i on an interface that does not exist (also with a
# trailing filter expression), --help naming replay, and two rotated
# files giving exactly the sessions of the whole capture.
# Privileges (as root): reading files and capturing live (on the loopback
# of a network namespace of its own, with one packet sent there) drop to
# the -Z user, by default relayscope or nobody, after opening and before
# reading, and cannot come back (ids, groups, capabilities and
# no_new_privs read from /proc while it runs); files readable by root
# alone are still read; --no-drop keeps root; -Z with no such user fails;
# an unprivileged capture with CAP_NET_RAW loses it.
# Hostile names: a file, interface or filter name with terminal escapes
# and a newline is escaped on stderr as on stdout.
# Signals: SIGINT, SIGTERM and SIGHUP while a file is read.
set -u
cd "$(dirname "$0")/.."
pass=0
fail=0
check() {	# name, expected exit, expected stderr, actual exit, actual stderr
	if [ "$4" = "$2" ] && [ "$5" = "$3" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL errors/$1: exit $4 (want $2), stderr: $5"
		echo "     wanted stderr: $3"
	fi
}
tmp=$(mktemp -d /tmp/rs-errors.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp relayscope pcaps/postfix-helo.pcap "$tmp/"
chmod 755 "$tmp" "$tmp/relayscope"

err=$(./relayscope - <pcaps/postfix-helo.pcap 2>&1 >"$tmp/stdin.out")
check stdin 0 "" $? "$err"
grep -q '^  sessions: 1 (closed 1)$' "$tmp/stdin.out" || {
	fail=$((fail + 1)); echo "FAIL errors/stdin: session missing"; }

# Through a pipe, which cannot be rewound after the first bytes are read
# to tell pcap from pcapng: the same sessions as from the file.
for f in pcaps/postfix-helo.pcap pcaps/postfix-mixed-linktypes.pcapng; do
	./relayscope --format json "$f" | grep '"type":"session"' >"$tmp/file.json"
	cat "$f" | ./relayscope --format json - 2>"$tmp/pipe.err" |
	    grep '"type":"session"' >"$tmp/pipe.json"
	if [ -s "$tmp/file.json" ] && cmp -s "$tmp/file.json" "$tmp/pipe.json" &&
	    ! [ -s "$tmp/pipe.err" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); echo "FAIL errors/pipe $f"
	fi
done

# Compressed captures: the analysis of the capture itself, whether the
# .gz is named, given with -r, redirected to standard input or piped (a
# pipe cannot be rewound: the gzip magic and then the capture's own are
# read ahead and given back); only the file's name differs.  A broken
# one through a pipe fails as the named file does, under its name "-".
for f in pcaps/postfix-hosted-mx.pcap pcaps/postfix-mixed-linktypes.pcapng; do
	for fmt in text json; do
		./relayscope --format $fmt --color never "$f" |
		    sed "s|$f|NAME|g" >"$tmp/plain.out"
		for how in named read redirect pipe; do
			case $how in
			named) ./relayscope --format $fmt --color never "$f.gz" ;;
			read) ./relayscope --format $fmt --color never -r "$f.gz" ;;
			redirect) ./relayscope --format $fmt --color never - <"$f.gz" ;;
			pipe) cat "$f.gz" | ./relayscope --format $fmt --color never - ;;
			esac 2>"$tmp/gz.err" | sed -e "s|$f.gz|NAME|g" \
			    -e 's|"files":\["-"\]|"files":["NAME"]|' \
			    -e 's|^  files: 1 (-)$|  files: 1 (NAME)|' \
			    -e 's|relayscope replay - |relayscope replay NAME |' \
			    >"$tmp/gz.out"
			if [ -s "$tmp/plain.out" ] && cmp -s "$tmp/plain.out" "$tmp/gz.out" &&
			    ! [ -s "$tmp/gz.err" ]; then
				pass=$((pass + 1))
			else
				fail=$((fail + 1)); echo "FAIL errors/gz-$how $f.gz $fmt"
				diff "$tmp/plain.out" "$tmp/gz.out" | head -5
			fi
		done
	done
done
err=$(cat pcaps/bad-gz-truncated.pcap.gz | ./relayscope - 2>&1 >"$tmp/gz.out")
check gz-pipe-truncated 2 \
    "relayscope: -: truncated or corrupt capture after packet 49: truncated gzip data" \
    $? "$err"
grep -q '^  sessions: 3 (closed 2, capture-ended 1)$' "$tmp/gz.out" || {
	fail=$((fail + 1)); echo "FAIL errors/gz-pipe-truncated: sessions"; }
err=$(cat pcaps/bad-gz-corrupt.pcap.gz | ./relayscope - 2>&1 >/dev/null)
check gz-pipe-corrupt 2 \
    "relayscope: -: truncated or corrupt capture after packet 35: corrupt gzip data: invalid block type" \
    $? "$err"
# Cut before the capture's own header, named and piped (the reason is
# taken from the decompressor before the stream is closed).
head -c 15 pcaps/postfix-hosted-mx.pcap.gz >"$tmp/short.gz"
err=$(./relayscope "$tmp/short.gz" 2>&1 >/dev/null)
check gz-header-truncated 2 \
    "relayscope: $tmp/short.gz: not a readable pcap or pcapng capture (truncated gzip data)" \
    $? "$err"
err=$(printf '\037\213' | ./relayscope - 2>&1 >/dev/null)
check gz-pipe-magic-only 2 \
    "relayscope: -: not a readable pcap or pcapng capture (truncated gzip data)" \
    $? "$err"
# Bytes after the last member are ignored, as gzread() ignores them, and
# said once.
{ cat pcaps/postfix-hosted-mx.pcap.gz; printf 'garbage'; } >"$tmp/trailing.gz"
err=$(./relayscope "$tmp/trailing.gz" 2>&1 >"$tmp/gz.out")
check gz-trailing 0 \
    "relayscope: $tmp/trailing.gz: data after the end of the gzip data ignored" \
    $? "$err"

./relayscope --format json pcaps/rotated-1.pcap pcaps/rotated-2.pcap |
    grep '"type":"session"' >"$tmp/rotated.json"
./relayscope --format json pcaps/postfix-rset-multi.pcap |
    grep '"type":"session"' >"$tmp/whole.json"
if [ -s "$tmp/whole.json" ] && cmp -s "$tmp/rotated.json" "$tmp/whole.json"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAIL errors/rotated-equals-whole"
fi

# A trailing filter expression with -i (tcpdump -i eth0 port 25): the
# interface is opened, the words are no files.
err=$(./relayscope -i rs-no-such-if0 port 25 2>&1 >/dev/null)
check interface-trailing-filter 2 \
    "relayscope: rs-no-such-if0: no such interface (No such device exists)" \
    $? "$err"

# --help names the replay command and where its options are.
out=$(./relayscope --help 2>&1)
rc=$?
case $out in
*"relayscope replay FILE... --session ID"*"relayscope replay --help"*)
	check help-replay 0 "" $rc "" ;;
*) check help-replay 0 "replay named" $rc "not named" ;;
esac

err=$(./relayscope -i rs-no-such-if0 2>&1 >/dev/null)
check no-such-interface 2 \
    "relayscope: rs-no-such-if0: no such interface (No such device exists)" \
    $? "$err"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chmod 600 "$tmp/postfix-helo.pcap"
	err=$($nobody "$tmp/relayscope" "$tmp/postfix-helo.pcap" 2>&1 >/dev/null)
	check unreadable-file 2 \
	    "relayscope: $tmp/postfix-helo.pcap: Permission denied" $? "$err"
	err=$($nobody "$tmp/relayscope" -i lo 2>&1 >/dev/null)
	check live-no-permission 2 \
	    "relayscope: lo: no permission to capture (run as root or with CAP_NET_RAW) (socket: Operation not permitted)" \
	    $? "$err"
else
	echo "errors: not root, unreadable-file and live-no-permission not run"
	fail=$((fail + 2))
fi

# Names with an ESC, a BEL and a newline: one line each, escaped.
evil=$(printf 'evil\033]0;owned\007\nrelayscope: forged')
shown='evil\x1b]0;owned\x07\nrelayscope: forged'
err=$(./relayscope "$tmp/$evil.pcap" 2>&1 >/dev/null)
check escape-file-name 2 \
    "relayscope: $tmp/$shown.pcap: No such file or directory" $? "$err"
err=$(./relayscope -i "$evil" 2>&1 >/dev/null)
check escape-interface-name 2 \
    "relayscope: $shown: no such interface (No such device exists)" $? "$err"
err=$(./relayscope -f "tcp port $evil" pcaps/postfix-helo.pcap 2>&1 >/dev/null)
check escape-filter 2 \
    "relayscope: pcaps/postfix-helo.pcap: bad filter \"tcp port $shown\": unknown port 'evil'" \
    $? "$err"

# Wait until file $1 has a line matching $2 (20 s at most).
wait_for() {
	i=0
	while [ $i -lt 100 ] && ! grep -q "$2" "$1" 2>/dev/null; do
		sleep 0.2
		i=$((i + 1))
	done
	grep -q "$2" "$1" 2>/dev/null
}
# Wait until process $1 has ended (20 s at most, then it is stopped).
wait_end() {
	i=0
	while [ $i -lt 100 ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.2
		i=$((i + 1))
	done
	kill -0 "$1" 2>/dev/null && kill -TERM "$1"
	wait "$1"
}
# A signal while files are read ends the run cleanly: every session read
# so far and the summary are written whole, the summary says the run was
# incomplete and which signal, and the exit status is 128 + the signal.
# The capture comes through a FIFO held open: the open returns once
# relayscope has it (its handlers are set by then), and UDP filler past
# the pipe's buffer is written after the session, so that the session
# has been read when the write returns.
filler() {	# UDP frames after the capture's last time, as pcap records
	python3 -c '
import struct, sys
t = 1795387621
for i in range(4000):
    f = bytes(12) + b"\x08\x00" + struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + 100, 0, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + struct.pack("!HHHH", 9, 9, 108, 0) + bytes(100)
    sys.stdout.buffer.write(struct.pack("<IIII", t, i, len(f), len(f)) + f)'
}
for sig in INT:130 TERM:143 HUP:129; do
	name=${sig%%:*}
	want=${sig##*:}
	rm -f "$tmp/sig.fifo"
	mkfifo "$tmp/sig.fifo"
	./relayscope --format json "$tmp/sig.fifo" >"$tmp/sig.out" \
	    2>"$tmp/sig.err" &
	pid=$!
	exec 3>"$tmp/sig.fifo"
	cat pcaps/postfix-rset-multi.pcap >&3
	filler >&3
	kill -"$name" $pid
	exec 3>&-
	wait_end $pid
	rc=$?
	got=$(python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
s = recs[-1]
print("sessions %d of %d, complete %s, interrupted %s, read %s" % (
    sum(r["type"] == "session" and r["end"] == "closed" for r in recs),
    s["sessions"]["total"], s["complete"], s["interrupted"],
    s["packets"]["read"] >= 20))' "$tmp/sig.out" 2>&1)$(cat "$tmp/sig.err")
	check "signal-$name" "$want" \
	    "sessions 1 of 1, complete False, interrupted SIG$name, read True" \
	    $rc "$got"
done

# The credentials of process $1, one line: uids, gids, groups, effective,
# permitted and ambient capabilities, no_new_privs.
creds() {
	awk '/^(Uid|Gid|Groups|CapEff|CapPrm|CapAmb|NoNewPrivs):/ {
	    k = $1; sub(/^[^\t]*\t/, ""); sub(/[ \t]+$/, "")
	    printf "%s %s; ", k, $0 }' "/proc/$1/status"
}
# Run relayscope -v with arguments $@; $err: its lines about privileges.
run_v() {
	./relayscope -v "$@" >/dev/null 2>"$tmp/v.err"
	rc=$?
	err=$(grep 'privileges\|capabilities\|no such user' "$tmp/v.err")
	return $rc
}

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
    command -v unshare >/dev/null; then
	if id -u relayscope >/dev/null 2>&1; then user=relayscope
	else user=nobody
	fi
	uid=$(id -u $user)
	gid=$(id -g $user)
	dropped="relayscope: dropped privileges to $user (uid $uid, gid $gid)"
	want="Uid: $uid	$uid	$uid	$uid; Gid: $gid	$gid	$gid	$gid; Groups: $gid; CapPrm: 0000000000000000; CapEff: 0000000000000000; CapAmb: 0000000000000000; NoNewPrivs: 1; "

	run_v pcaps/postfix-helo.pcap
	check drop-reading-files 0 "$dropped" $? "$err"
	run_v -Z daemon pcaps/postfix-helo.pcap
	check drop-to-z-user 0 \
	    "relayscope: dropped privileges to daemon (uid $(id -u daemon), gid $(id -g daemon))" \
	    $? "$err"
	run_v --no-drop pcaps/postfix-helo.pcap
	check no-drop 0 "" $? "$err"
	err=$(./relayscope -Z rs-no-such-user pcaps/postfix-helo.pcap 2>&1 \
	    >/dev/null)
	check z-no-such-user 2 "relayscope: -Z rs-no-such-user: no such user" \
	    $? "$err"
	# Bounded, on a loopback of its own: had it not failed, it would
	# capture there until stopped.
	err=$(timeout 20 unshare --net sh -c 'ip link set lo up &&
	    exec "$0" -Z rs-no-such-user -i lo' "$tmp/relayscope" 2>&1 \
	    >/dev/null)
	check z-no-such-user-live 2 \
	    "relayscope: -Z rs-no-such-user: no such user" $? "$err"

	# Files only root may read are all opened before the drop: the
	# rotated pair, mode 600, gives the whole capture's sessions.
	cp pcaps/rotated-1.pcap pcaps/rotated-2.pcap "$tmp/"
	chmod 600 "$tmp/rotated-1.pcap" "$tmp/rotated-2.pcap"
	./relayscope --format json "$tmp/rotated-1.pcap" "$tmp/rotated-2.pcap" \
	    2>"$tmp/drop.err" | grep '"type":"session"' >"$tmp/drop.json"
	if cmp -s "$tmp/drop.json" "$tmp/whole.json" && ! [ -s "$tmp/drop.err" ]
	then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); echo "FAIL errors/drop-root-only-files"
	fi

	# Live, as root: the credentials while it captures, then one packet
	# on its loopback (-c 1) shows that capture goes on after the drop.
	rm -f "$tmp/live.err"
	unshare --net sh -c 'ip link set lo up && exec "$0" -v -c 1 -i lo' \
	    "$tmp/relayscope" >"$tmp/live.out" 2>"$tmp/live.err" &
	pid=$!
	got=""
	if wait_for "$tmp/live.err" '^relayscope: capturing on lo'; then
		got=$(creds $pid)
		nsenter --net=/proc/$pid/ns/net python3 -c 'import socket
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 9))'
	fi
	wait_end $pid
	rc=$?
	check drop-live-credentials 0 "$want" $rc "$got"
	err=$(grep 'privileges\|capabilities' "$tmp/live.err")
	check drop-live 0 "$dropped" $rc "$err"
	grep -q '^  packets: 1 read' "$tmp/live.out" || {
		fail=$((fail + 1)); echo "FAIL errors/drop-live: packet not read"; }

	# Live, as nobody with CAP_NET_RAW alone (ambient): it is dropped.
	rm -f "$tmp/caps.err"
	unshare --net sh -c 'ip link set lo up && exec setpriv --reuid=65534 \
	    --regid=65534 --clear-groups --inh-caps=+net_raw \
	    --ambient-caps=+net_raw "$0" -v -i lo' "$tmp/relayscope" \
	    >/dev/null 2>"$tmp/caps.err" &
	pid=$!
	got=""
	if wait_for "$tmp/caps.err" '^relayscope: capturing on lo'; then
		got=$(creds $pid)
		kill -TERM $pid
	fi
	wait_end $pid
	rc=$?
	check drop-capabilities 0 "Uid: 65534	65534	65534	65534; Gid: 65534	65534	65534	65534; Groups: ; CapPrm: 0000000000000000; CapEff: 0000000000000000; CapAmb: 0000000000000000; NoNewPrivs: 1; " \
	    $rc "$got"
	err=$(grep 'privileges\|capabilities' "$tmp/caps.err")
	check drop-capabilities-log 0 "relayscope: dropped capabilities" $rc \
	    "$err"
else
	echo "errors: not root, or no setpriv or unshare: privileges not tested"
	fail=$((fail + 10))
fi
echo "errors: $pass passed, $fail failed"
[ "$fail" = 0 ]
