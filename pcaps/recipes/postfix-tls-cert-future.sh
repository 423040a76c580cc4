#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix on 127.0.0.1:25 with STARTTLS, at most TLS 1.2 (so that the
# certificate travels in cleartext), and a self-signed certificate for
# the right name, mail.example.test, that is NOT YET VALID
# (rs_selfsigned_cert: valid from 30 days after the recording to 60 days
# after, as with a clock far behind or a certificate put in place too
# early).  Two verifying clients that ask for mail.example.test and trust
# exactly that certificate, so that the only fault is its start date:
#   session 1: openssl s_client -starttls smtp -verify_hostname
#              mail.example.test -verify_return_error from 127.0.0.2;
#   session 2: gnutls-cli --starttls-proto=smtp --x509cafile
#              --verify-hostname mail.example.test from 127.0.0.1 (it
#              cannot choose its source address, and says EHLO with the
#              host it connects to, "127.0.0.1").
# Each sends the fatal alert bad_certificate (42) right after the
# server's Certificate, then FIN (GnuTLS: FIN and a reset).
# Packages: postfix, openssl, gnutls-bin, tcpdump, dnsmasq-base, python3,
# iproute2, util-linux.
. "$(dirname "$0")/lib.sh"
. "$RECIPES/lib-fail.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
rs_selfsigned_cert mail.example.test '+30 days' '+60 days'
rs_tls_refused_by_clients 'certificate is not yet valid' 'uses not yet valid certificate' 'the certificate for its dates'
