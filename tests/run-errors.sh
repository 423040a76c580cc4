#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad-input cases that need an unprivileged user (root reads every file
# and may capture anywhere): an unreadable capture file and a live
# interface without permission.  Run as root, they drop to "nobody".
# Also: standard input (a file and a pipe, pcap and pcapng), -i on an
# interface that does not exist, and two rotated files giving exactly the
# sessions of the whole capture.
# Hostile names: a file, interface or filter name with terminal escapes
# and a newline is escaped on stderr as on stdout.
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

./relayscope --format json pcaps/rotated-1.pcap pcaps/rotated-2.pcap |
    grep '"type":"session"' >"$tmp/rotated.json"
./relayscope --format json pcaps/postfix-rset-multi.pcap |
    grep '"type":"session"' >"$tmp/whole.json"
if [ -s "$tmp/whole.json" ] && cmp -s "$tmp/rotated.json" "$tmp/whole.json"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAIL errors/rotated-equals-whole"
fi

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

echo "errors: $pass passed, $fail failed"
[ "$fail" = 0 ]
