#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A slow policy service: Postfix asks a small policy server at RCPT time
# (check_policy_service inet:127.0.0.1:10025) that waits 7 s before
# answering "action=DUNNO".  One swaks session from 127.0.0.2: every
# reply is immediate except the one to RCPT, about 7 s after it; the
# message is then delivered.  Only port 25 is recorded.
# Needs (Debian 12): postfix swaks tcpdump dnsmasq-base python3
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
cat >"$RS_WORK/slow-policy.py" <<-'PY'
	import socketserver, time
	class Policy(socketserver.StreamRequestHandler):
	    def handle(self):
	        attrs = {}
	        for line in self.rfile:
	            line = line.rstrip(b"\n")
	            if line:
	                k, _, v = line.partition(b"=")
	                attrs[k] = v
	                continue
	            if attrs.get(b"protocol_state") == b"RCPT":
	                time.sleep(7)
	            self.wfile.write(b"action=DUNNO\n\n")
	            self.wfile.flush()
	            attrs = {}
	socketserver.ThreadingTCPServer.allow_reuse_address = True
	socketserver.ThreadingTCPServer(("127.0.0.1", 10025), Policy).serve_forever()
PY
python3 "$RS_WORK/slow-policy.py" >"$RS_WORK/slow-policy.log" 2>&1 &
RS_PIDS="$RS_PIDS $!"
rs_wait_port 127.0.0.1 10025
rs_postfix_config 'smtpd_recipient_restrictions = reject_unauth_destination, check_policy_service inet:127.0.0.1:10025'
rs_postfix_start
rs_capture_start 'tcp port 25'
rs_swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --ehlo client.example.org --from sender@example.org \
    --to alice@example.com --header 'Subject: slow policy' \
    --body 'The RCPT reply took 7 seconds.' >>"$RS_WORK/client.log" 2>&1
rs_capture_stop
