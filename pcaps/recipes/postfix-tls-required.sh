#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix that requires TLS (smtpd_tls_security_level = encrypt) with a
# self-signed certificate made at record time.  Session 1 (scripted
# client): EHLO, MAIL without STARTTLS: 530 5.7.0 Must issue a STARTTLS
# command first; QUIT.  Session 2 (swaks --tls): the
# same message after STARTTLS is delivered (inside TLS, not decrypted).
# Needs (Debian 12): postfix swaks tcpdump dnsmasq-base python3 openssl
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
rs_tls_cert
rs_postfix_config "smtpd_tls_cert_file = $RS_WORK/cert.pem" \
    "smtpd_tls_key_file = $RS_WORK/key.pem" \
    'smtpd_tls_security_level = encrypt' 'smtpd_tls_loglevel = 1'
rs_postfix_start
rs_capture_start 'tcp port 25'
rs_client --source 127.0.0.2 'EHLO client.example.org' \
    'MAIL FROM:<sender@example.org>' 'QUIT' >>"$RS_WORK/client.log"
rs_swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --tls --tls-sni mail.example.test \
    --ehlo client.example.org --from sender@example.org \
    --to alice@example.com --header 'Subject: after STARTTLS' \
    --body 'Sent after STARTTLS.' >>"$RS_WORK/client.log" 2>&1
rs_capture_stop
