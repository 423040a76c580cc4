#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix on 127.0.0.1:25 with STARTTLS and a self-signed certificate for
# mail.example.test made at record time: two swaks sessions (EHLO,
# STARTTLS, then the message inside TLS, SNI mail.example.test), the
# first limited to TLS 1.2 (the certificate travels in cleartext), the
# second to TLS 1.3.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
rs_tls_cert
rs_postfix_config "smtpd_tls_cert_file = $RS_WORK/cert.pem" \
    "smtpd_tls_key_file = $RS_WORK/key.pem" \
    'smtpd_tls_security_level = may' 'smtpd_tls_loglevel = 1'
rs_postfix_start
rs_capture_start 'tcp port 25 or tcp port 587'
for v in 1_2 1_3; do
	rs_swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
	    --tls --tls-sni mail.example.test --tls-protocol "tlsv$v" \
	    --ehlo client.example.org --from sender@example.org \
	    --to alice@example.com --header "Subject: STARTTLS $v" \
	    --body "Sent after STARTTLS (TLS v$v)." >>"$RS_WORK/client.log" 2>&1
done
rs_capture_stop
