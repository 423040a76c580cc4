#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix with STARTTLS (self-signed certificate made at record time): EHLO,
# STARTTLS, 220, then the rest of the session is encrypted (swaks --tls).
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.example.com \
    -keyout "$RS_WORK/key.pem" -out "$RS_WORK/cert.pem" >/dev/null 2>&1
rs_postfix_config "smtpd_tls_cert_file = $RS_WORK/cert.pem" \
    "smtpd_tls_key_file = $RS_WORK/key.pem" 'smtpd_tls_security_level = may'
rs_postfix_start
rs_capture_start 'tcp port 25 or tcp port 587'
swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 --tls \
    --ehlo client.example.org --from sender@example.org \
    --to alice@example.com --body 'Sent over TLS.' >/dev/null
rs_capture_stop
