#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix, MIME messages sent with BDAT (CHUNKING, RFC 3030), for the
# round-trip test of relayscope --extract: pcaps/recipes/mime-messages.py
# writes the three messages of its set "postfix-bdat-mime" to
# tests/messages/postfix-bdat-mime/NN.eml (fixed bytes, as for
# postfix-mime.sh) and says where each is cut into chunks (--cuts:
# through a MIME boundary line, a base64 line, a CRLF pair, an encoded
# word; a chunk that is just ".\r\n"; an empty BDAT 0 LAST); the scripted
# client sends those files in those chunks, each chunk's reply read
# before the next: session 1 messages 01 and 02, session 2 message 03.
# The recipe fails, and leaves the old pcap in place, unless
# check-messages.py finds in the capture exactly those files, every chunk
# answered 250 and each message "250 ... queued as".
# MESSAGES=DIR writes and sends the messages in DIR instead.
# Needs (Debian 12): postfix tcpdump dnsmasq-base python3
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
MESSAGES=${MESSAGES:-$(cd "$PCAPS/.." && pwd)/tests/messages/$NAME}
python3 "$RECIPES/mime-messages.py" "$NAME" "$MESSAGES"
# One transaction per message: MAIL, RCPT and the file in its chunks.
# Argument: NN.
tx() {
	cuts=$(python3 "$RECIPES/mime-messages.py" --cuts "$NAME" "$1" \
	    "$MESSAGES")
	printf '%s\n' 'MAIL FROM:<sender@example.org>' \
	    'RCPT TO:<alice@example.com>' "BDATFILE:$cuts:$MESSAGES/$1.eml"
}
steps1=$(echo 'EHLO client.example.org'; tx 01; tx 02; echo QUIT)
steps2=$(echo 'EHLO client.example.org'; tx 03; echo QUIT)
rs_record_postfix
# (The steps hold no newline: one per line, read back as arguments.)
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
