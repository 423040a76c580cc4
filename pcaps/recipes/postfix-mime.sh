#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix, MIME messages sent with DATA, for the round-trip test of
# relayscope --extract: pcaps/recipes/mime-messages.py writes the seven
# messages of its set "postfix-mime" to tests/messages/postfix-mime/NN.eml
# (fixed Date, Message-ID, boundaries and attachment bytes: the same
# files every time), then the scripted client sends those files, dot-
# stuffed, to a local recipient: session 1 messages 01 to 05, session 2
# messages 06 and 07 (07 with MAIL FROM ... BODY=8BITMIME).  The recipe
# fails, and leaves the old pcap in place, unless check-messages.py finds
# in the capture exactly those files, each answered "250 ... queued as".
# MESSAGES=DIR writes and sends the messages in DIR instead.
# Needs (Debian 12): postfix tcpdump dnsmasq-base python3
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
MESSAGES=${MESSAGES:-$(cd "$PCAPS/.." && pwd)/tests/messages/$NAME}
python3 "$RECIPES/mime-messages.py" "$NAME" "$MESSAGES"
# One transaction per message: MAIL, RCPT, DATA and the file.
# Arguments: NN [MAIL FROM parameters].
tx() {
	printf '%s\n' "MAIL FROM:<sender@example.org>${2:-}" \
	    'RCPT TO:<alice@example.com>' DATA "BODYFILE:$MESSAGES/$1.eml"
}
rs_record_postfix
# (The steps hold no newline: one per line, read back as arguments.)
steps1=$(echo 'EHLO client.example.org'; for nn in 01 02 03 04 05; do
	tx $nn; done; echo QUIT)
steps2=$(echo 'EHLO client.example.org'; tx 06; tx 07 ' BODY=8BITMIME'
	echo QUIT)
IFS='
'
rs_client --source 127.0.0.2 $steps1 >"$RS_WORK/client1.log"
rs_client --source 127.0.0.2 $steps2 >"$RS_WORK/client2.log"
unset IFS
# Recorded to a temporary file first: a recording that does not hold the
# messages exactly must not replace the fixture.
dest=$OUT
OUT=$RS_WORK/$NAME.pcap
rs_capture_stop >/dev/null
python3 "$RECIPES/check-messages.py" "$OUT" "$MESSAGES"
cp "$OUT" "$dest"
echo "$0: wrote $dest ($(stat -c %s "$dest") bytes)"
