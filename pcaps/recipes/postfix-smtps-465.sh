#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix on 127.0.0.1:465 only, with implicit TLS (smtpd_tls_wrappermode,
# a self-signed certificate for mail.example.test made at record time):
# two swaks sessions with TLS on connect and SNI mail.example.test, the
# first limited to TLS 1.2 (the certificate travels in cleartext), the
# second to TLS 1.3; each sends one message.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
rs_tls_cert
rs_postfix_config "smtpd_tls_cert_file = $RS_WORK/cert.pem" \
    "smtpd_tls_key_file = $RS_WORK/key.pem" \
    'smtpd_tls_security_level = encrypt' 'smtpd_tls_loglevel = 1'
sed -i 's/^smtp       inet n - n - - smtpd$/465        inet n - n - - smtpd -o smtpd_tls_wrappermode=yes/' \
    /etc/postfix/master.cf
grep -q '^465 .*wrappermode=yes$' /etc/postfix/master.cf
rs_postfix_start 127.0.0.1 465 tls
rs_capture_start 'tcp port 25 or tcp port 465'
for v in 1_2 1_3; do
	rs_swaks --server 127.0.0.1 --port 465 --local-interface 127.0.0.2 \
	    --tls-on-connect --tls-sni mail.example.test \
	    --tls-protocol "tlsv$v" --ehlo client.example.org \
	    --from sender@example.org --to alice@example.com \
	    --header "Subject: implicit TLS $v" \
	    --body "Sent over implicit TLS (TLS v$v)." \
	    >>"$RS_WORK/client.log" 2>&1
done
rs_capture_stop
