#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix smtpd on 127.0.0.1:2525 only (no listener on 25): one plain
# session from swaks (EHLO, MAIL, RCPT, DATA, QUIT), for SMTP on a port
# that is not among relayscope's defaults (-p 2525).
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
rs_postfix_config
sed -i 's/^smtp       inet /2525       inet /' /etc/postfix/master.cf
rs_postfix_start 127.0.0.1 2525
rs_capture_start 'tcp port 25 or tcp port 2525'
rs_swaks --server 127.0.0.1 --port 2525 --local-interface 127.0.0.2 \
    --ehlo client.example.org --from sender@example.org \
    --to alice@example.com --header 'Subject: port 2525' \
    --body 'Sent to port 2525.' >"$RS_WORK/client.log" 2>&1
rs_capture_stop
