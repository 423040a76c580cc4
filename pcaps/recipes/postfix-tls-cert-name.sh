#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix on 127.0.0.1:25 with STARTTLS, at most TLS 1.2 (so that the
# certificate travels in cleartext), and a self-signed certificate in
# date but for ANOTHER name, other.example.test (rs_selfsigned_cert:
# valid from 1 day before the recording to 30 days after).  Two verifying
# clients that ask for mail.example.test (SNI and host name check) and
# trust exactly that certificate, so that the only fault is its name:
#   session 1: openssl s_client -starttls smtp -verify_hostname
#              mail.example.test -verify_return_error from 127.0.0.2;
#   session 2: gnutls-cli --starttls-proto=smtp --x509cafile
#              --verify-hostname mail.example.test from 127.0.0.1 (it
#              cannot choose its source address, and says EHLO with the
#              host it connects to, "127.0.0.1").
# Each sends the fatal alert bad_certificate (42) right after the
# server's Certificate, then the connection closes (FINs; after GnuTLS's
# alert, whichever side closes first, sometimes a reset from the client).
# Packages: postfix, openssl, gnutls-bin, tcpdump, dnsmasq-base, python3,
# iproute2, util-linux.
. "$(dirname "$0")/lib.sh"
. "$RECIPES/lib-fail.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
rs_selfsigned_cert other.example.test '-1 day' '+30 days'
rs_postfix_config "smtpd_tls_cert_file = $RS_WORK/cert.pem" \
    "smtpd_tls_key_file = $RS_WORK/key.pem" \
    'smtpd_tls_security_level = may' 'smtpd_tls_loglevel = 1' \
    'smtpd_tls_protocols = <=TLSv1.2' \
    'smtpd_tls_mandatory_protocols = <=TLSv1.2'
rs_postfix_start
rs_capture_start 'tcp port 25 or tcp port 587'
rc1=0
openssl s_client -connect 127.0.0.1:25 -bind 127.0.0.2:0 -starttls smtp \
    -name client.example.org -servername mail.example.test -tls1_2 \
    -CAfile "$RS_WORK/cert.pem" -verify_return_error \
    -verify_hostname mail.example.test </dev/null \
    >"$RS_WORK/client1.log" 2>&1 || rc1=$?
rc2=0
gnutls-cli --starttls-proto=smtp --port 25 --x509cafile "$RS_WORK/cert.pem" \
    --sni-hostname mail.example.test --verify-hostname mail.example.test \
    --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2' 127.0.0.1 </dev/null \
    >"$RS_WORK/client2.log" 2>&1 || rc2=$?
rs_capture_stop
if [ $rc1 = 0 ] || ! grep -q 'hostname mismatch' "$RS_WORK/client1.log" ||
    [ $rc2 = 0 ] ||
    ! grep -q 'name in the certificate does not match' "$RS_WORK/client2.log"
then
	echo "$0: the clients did not refuse the certificate for its name" \
	    "(openssl exited $rc1, gnutls-cli $rc2):" >&2
	cat "$RS_WORK"/client*.log >&2
	exit 2
fi
