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
rs_tls_refused_by_clients 'hostname mismatch' 'name in the certificate does not match' 'the certificate for its name'
