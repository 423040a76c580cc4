#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# STARTTLS whose handshake fails for want of a shared cipher, so that the
# server's fatal TLS alert handshake_failure (40) is on the wire in
# cleartext.  Postfix on 127.0.0.1:25 with the certificate for
# mail.example.test made at record time, opportunistic TLS with
# "smtpd_tls_exclude_ciphers = kRSA, SHA1" (no RSA key exchange, no
# SHA-1 MAC) and OpenSSL's default TLS 1.3 ciphersuites (no CCM).
#   session 1: swaks, TLS 1.2 only, offers only AES128-SHA (0x002f, RSA
#              key exchange, SHA-1 MAC): the server's alert after the
#              ClientHello;
#   session 2: openssl s_client -starttls smtp, TLS 1.3 only, offers only
#              TLS_AES_128_CCM_SHA256 (0x1304): the same alert.
# Packages: postfix, swaks, libnet-ssleay-perl, libio-socket-ssl-perl,
# openssl, tcpdump, dnsmasq-base, python3, iproute2, util-linux.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
rs_tls_cert
rs_postfix_config "smtpd_tls_cert_file = $RS_WORK/cert.pem" \
    "smtpd_tls_key_file = $RS_WORK/key.pem" \
    'smtpd_tls_security_level = may' 'smtpd_tls_loglevel = 1' \
    'smtpd_tls_exclude_ciphers = kRSA, SHA1'
rs_postfix_start
rs_capture_start 'tcp port 25 or tcp port 587'
rc=0
rs_swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --tls --tls-sni mail.example.test --tls-protocol tlsv1_2 \
    --tls-cipher AES128-SHA \
    --ehlo client.example.org --from sender@example.org \
    --to alice@example.com >"$RS_WORK/client1.log" 2>&1 || rc=$?
rc2=0
openssl s_client -connect 127.0.0.1:25 -bind 127.0.0.2:0 -starttls smtp \
    -name client.example.org -servername mail.example.test -tls1_3 \
    -ciphersuites TLS_AES_128_CCM_SHA256 </dev/null \
    >"$RS_WORK/client2.log" 2>&1 || rc2=$?
rs_capture_stop
if [ $rc != 29 ] || ! grep -q 'alert handshake failure' "$RS_WORK/client1.log" ||
    [ $rc2 = 0 ] || ! grep -q 'alert handshake failure' "$RS_WORK/client2.log"
then
	echo "$0: the handshakes did not fail on a handshake_failure alert" \
	    "(swaks exited $rc, openssl $rc2):" >&2
	cat "$RS_WORK"/client*.log >&2
	exit 2
fi
