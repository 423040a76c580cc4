#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix on 127.0.0.1:25 with STARTTLS, at most TLS 1.2 (so that the
# certificate travels in cleartext), and an EXPIRED self-signed
# certificate for mail.example.test made at record time (rs_expired_cert:
# valid from 60 to 30 days ago).  Two verifying clients that trust
# exactly that certificate, so that the only fault is its dates:
#   session 1: openssl s_client -starttls smtp -verify_return_error from
#              127.0.0.2: the client's fatal alert certificate_expired
#              (45) right after the server's Certificate;
#   session 2: gnutls-cli --starttls-proto=smtp --x509cafile from
#              127.0.0.1 (it cannot choose its source address, and says
#              EHLO with the host it connects to, "127.0.0.1"): the
#              client's fatal alert bad_certificate (42) right after the
#              Certificate, then FIN and a reset.
# Packages: postfix, openssl, gnutls-bin, tcpdump, dnsmasq-base, python3,
# iproute2, util-linux.
. "$(dirname "$0")/lib.sh"
. "$RECIPES/lib-fail.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
rs_expired_cert
rs_tls_refused_by_clients 'certificate has expired' 'uses expired certificate' 'the expired certificate'
