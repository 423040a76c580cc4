#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix on 127.0.0.1:25 that offers STARTTLS but cannot start it: its
# certificate and private key do not match (smtpd_tls_cert_file is the
# certificate of one key, smtpd_tls_key_file another key, as after a
# certificate renewal that forgot the key).  Postfix 3.7 still announces
# STARTTLS with smtpd_tls_security_level = may, logs "cannot load RSA
# certificate and key data ... disabling TLS support" when smtpd starts,
# and answers STARTTLS with "454 4.7.0 TLS not available due to local
# problem".  Two clients from 127.0.0.2:
#   session 1: the scripted client (fail-client.py): EHLO, STARTTLS (454),
#              QUIT;
#   session 2: swaks --tls-optional: EHLO, STARTTLS (454), and then on in
#              cleartext without a second EHLO: MAIL, RCPT, DATA, QUIT,
#              the message accepted.
# Packages: postfix, swaks, openssl, tcpdump, dnsmasq-base, python3,
# iproute2, util-linux.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
rs_tls_cert
# A second key, not the certificate's.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$RS_WORK/other-key.pem" >/dev/null 2>&1
rs_postfix_config "smtpd_tls_cert_file = $RS_WORK/cert.pem" \
    "smtpd_tls_key_file = $RS_WORK/other-key.pem" \
    'smtpd_tls_security_level = may' 'smtpd_tls_loglevel = 1'
rs_postfix_start
rs_capture_start 'tcp port 25 or tcp port 587'
rc1=0
python3 "$RECIPES/fail-client.py" --server 127.0.0.1 --port 25 \
    --source 127.0.0.2 "EHLO client.example.org" "STARTTLS" "QUIT" \
    >"$RS_WORK/client1.log" 2>&1 || rc1=$?
rc2=0
rs_swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --tls-optional --tls-sni mail.example.test \
    --ehlo client.example.org --from sender@example.org \
    --to alice@example.com --header 'Subject: STARTTLS refused' \
    --body 'Sent in cleartext after a refused STARTTLS.' \
    >"$RS_WORK/client2.log" 2>&1 || rc2=$?
rs_capture_stop
if ! grep -q '^S: 454 4.7.0 TLS not available due to local problem' \
    "$RS_WORK/client1.log" ||
    ! grep -q '^<\*\* 454 4.7.0 TLS not available' "$RS_WORK/client2.log" ||
    ! grep -q '^<-  250 2.0.0 Ok: queued' "$RS_WORK/client2.log" ||
    ! grep -q 'disabling TLS support' /var/lib/postfix/maillog; then
	echo "$0: STARTTLS was not refused with 454, or the cleartext" \
	    "delivery failed (client $rc1, swaks $rc2):" >&2
	cat "$RS_WORK"/client*.log /var/lib/postfix/maillog >&2
	exit 2
fi
