#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Other protocols, for finding SMTP by its content: Python's HTTP server
# on port 25 (an SMTP port: a non-SMTP connection, counted, not shown) and
# on 8080 (another port: turned down by detection), each fetched by curl;
# and Postfix on 2526 (not one of --ports: found by content) with one
# delivery by swaks, so that the capture holds both kinds.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
rs_postfix_config
rs_postfix_service '2526 inet n - n - - smtpd'
rs_postfix_start
mkdir -p "$RS_WORK/www"
printf 'hello from an HTTP server\n' >"$RS_WORK/www/index.html"
for port in 25 8080; do
	python3 -m http.server "$port" --bind 127.0.0.3 \
	    --directory "$RS_WORK/www" >"$RS_WORK/http-$port.log" 2>&1 &
	RS_PIDS="$RS_PIDS $!"
	rs_wait_port 127.0.0.3 "$port"
done
rs_wait_port 127.0.0.1 2526
rs_capture_start "tcp"
curl -s -o /dev/null --interface 127.0.0.2 http://127.0.0.3:25/index.html
curl -s -o /dev/null --interface 127.0.0.2 http://127.0.0.3:8080/index.html
swaks --server 127.0.0.1 --port 2526 --local-interface 127.0.0.2 \
    --ehlo client.example.org --from sender@example.org \
    --to bob@example.com --header 'Subject: port 2526' \
    --body 'Postfix on a port that is not one of --ports.' >/dev/null
rs_capture_stop
