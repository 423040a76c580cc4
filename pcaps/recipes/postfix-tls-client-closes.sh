#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A STARTTLS client that leaves after the server's hello and certificate
# without any alert, as a client does that does not trust the certificate
# and does not say so.  Postfix on 127.0.0.1:25 with STARTTLS, at most TLS
# 1.2 (so that the certificate travels in cleartext), and the certificate
# of rs_tls_cert (self-signed, in date, CN and SAN mail.example.test: only
# the client's trust is missing).  The client, tls-hello-client.py, from
# 127.0.0.2: EHLO, STARTTLS, a ClientHello made by Python's ssl module
# (SNI mail.example.test, at most TLS 1.2), the server's ServerHello,
# Certificate, ServerKeyExchange, ServerHelloDone, then the client's FIN.
# Packages: postfix, openssl, tcpdump, dnsmasq-base, python3, iproute2,
# util-linux.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
rs_tls_cert
rs_postfix_config "smtpd_tls_cert_file = $RS_WORK/cert.pem" \
    "smtpd_tls_key_file = $RS_WORK/key.pem" \
    'smtpd_tls_security_level = may' 'smtpd_tls_loglevel = 1' \
    'smtpd_tls_protocols = <=TLSv1.2' \
    'smtpd_tls_mandatory_protocols = <=TLSv1.2'
rs_postfix_start
rs_capture_start 'tcp port 25 or tcp port 587'
rc=0
python3 "$RECIPES/tls-hello-client.py" --server 127.0.0.1 --port 25 \
    --source 127.0.0.2 --ehlo client.example.org --sni mail.example.test \
    >"$RS_WORK/client1.log" 2>&1 || rc=$?
rs_capture_stop
if [ $rc != 0 ] ||
    ! grep -q 'Certificate, ServerKeyExchange, ServerHelloDone' \
    "$RS_WORK/client1.log"; then
	echo "$0: the client did not get the server's first flight" \
	    "(exit $rc):" >&2
	cat "$RS_WORK/client1.log" >&2
	exit 2
fi
