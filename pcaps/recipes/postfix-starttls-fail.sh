#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# STARTTLS whose handshake fails on the protocol version, so that a TLS
# alert (protocol_version) is on the wire in cleartext.  Two Postfix
# smtpd listeners with the certificate for mail.example.test made at
# record time: 127.0.0.1:25 accepts only TLS 1.3 and swaks offers only
# TLS 1.2; 127.0.0.3:25 accepts at most TLS 1.2 and swaks offers only
# TLS 1.3.  Each session: EHLO, STARTTLS, 220, a ClientHello, the
# server's alert, and the end of the connection.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
# Postfix listens only on addresses of an interface.
ip addr add 127.0.0.3/32 dev lo
rs_start_dns
rs_tls_cert
rs_postfix_config "smtpd_tls_cert_file = $RS_WORK/cert.pem" \
    "smtpd_tls_key_file = $RS_WORK/key.pem" \
    'smtpd_tls_security_level = may' 'smtpd_tls_loglevel = 1' \
    'smtpd_tls_protocols = >=TLSv1.3' \
    'smtpd_tls_mandatory_protocols = >=TLSv1.3' \
    'inet_interfaces = 127.0.0.1, 127.0.0.3'
sed -i 's/^smtp       inet /127.0.0.1:smtp inet /' /etc/postfix/master.cf
rs_postfix_service '127.0.0.3:smtp inet n - n - - smtpd -o smtpd_tls_protocols=<=TLSv1.2 -o smtpd_tls_mandatory_protocols=<=TLSv1.2'
rs_postfix_start 127.0.0.1 25
rs_wait_smtp 127.0.0.3 25
rs_capture_start 'tcp port 25 or tcp port 587'
# swaks must fail in the TLS handshake (exit 29) on the server's alert.
fail_tls() {
	rc=0
	rs_swaks --server "$1" --port 25 --local-interface 127.0.0.2 \
	    --tls --tls-sni mail.example.test --tls-protocol "$2" \
	    --ehlo client.example.org --from sender@example.org \
	    --to alice@example.com >"$RS_WORK/client.log" 2>&1 || rc=$?
	if [ $rc != 29 ] ||
	    ! grep -q 'alert protocol version' "$RS_WORK/client.log"; then
		echo "$0: swaks to $1 with $2 exited $rc, not 29 on a" \
		    "protocol_version alert" >&2
		exit 2
	fi
}
fail_tls 127.0.0.1 tlsv1_2
fail_tls 127.0.0.3 tlsv1_3
rs_capture_stop
