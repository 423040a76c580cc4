#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix sessions that end without QUIT and 221, broken off by the client
# or by the server (scripted client fail-client.py from 127.0.0.2):
#   1. the client sends DATA and part of the body, then resets the
#      connection (SO_LINGER 0): no final dot, no reply;
#   2. the client sends RCPT for slow@example.com, which a policy service
#      (policy-sleep.py, check_policy_service) never answers, so smtpd
#      does not reply either; the client waits 2 s and closes (FIN);
#   3. two RCPT commands with a bad address: with smtpd_hard_error_limit
#      = 2 Postfix sends "421 4.7.0 ... Error: too many errors" unasked
#      and closes;
#   4. the client sends DATA and part of the body and then nothing: with
#      smtpd_timeout = 3s Postfix sends "421 4.4.2 ... Error: timeout
#      exceeded" and closes.
# Every transport is discard:; the policy service listens on 127.0.0.1
# port 9998 (not recorded).
# Packages: postfix, tcpdump, dnsmasq-base, python3, iproute2,
# util-linux.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
python3 "$RECIPES/policy-sleep.py" 9998 slow@example.com \
    >"$RS_WORK/policy.log" 2>&1 &
RS_PIDS="$RS_PIDS $!"
rs_wait_port 127.0.0.1 9998
rs_postfix_config 'smtpd_hard_error_limit = 2' 'smtpd_error_sleep_time = 0' \
    'smtpd_timeout = 3s' \
    'smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:9998'
rs_postfix_start
rs_capture_start 'tcp port 25 or tcp port 587'
fc() {
	_log=$RS_WORK/client$1.log
	shift
	if ! python3 "$RECIPES/fail-client.py" --source 127.0.0.2 "$@" \
	    >"$_log" 2>&1; then
		echo "$0: the client did not see what it expected:" >&2
		cat "$_log" >&2
		exit 2
	fi
}
fc 1 'EHLO client.example.org' 'MAIL FROM:<sender@example.org>' \
    'RCPT TO:<alice@example.com>' 'DATA' \
    'PART:Subject: cut off\n\nThe first line of the body,\nthe second' \
    'PAUSE:0.3' RST
fc 2 'EHLO client.example.org' 'MAIL FROM:<sender@example.org>' \
    '+RCPT TO:<slow@example.com>' 'NOREPLY:2' CLOSE
fc 3 'EHLO client.example.org' 'MAIL FROM:<sender@example.org>' \
    'RCPT TO:<bad address' 'RCPT TO:<bad address' 'EOF:5'
fc 4 'EHLO client.example.org' 'MAIL FROM:<sender@example.org>' \
    'RCPT TO:<alice@example.com>' 'DATA' \
    'PART:Subject: stalled\n\nThe first line, then nothing.\n' 'EOF:10'
rs_capture_stop
if ! grep -q '^S: 421 4.7.0 .*too many errors' "$RS_WORK/client3.log" ||
    ! grep -q '^S: 421 4.4.2 .*timeout exceeded' "$RS_WORK/client4.log"; then
	echo "$0: Postfix did not end sessions 3 and 4 with its 421:" >&2
	cat "$RS_WORK/client3.log" "$RS_WORK/client4.log" >&2
	exit 2
fi
