#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A mailbox-full refusal on the wire: Dovecot LMTP on 127.0.0.1:24 with
# the quota plugin and lmtp_rcpt_check_quota = yes.  full@example.com has
# a 1 KB quota and a message of about 2 KB already in its mailbox (over
# quota); alice@example.com has room.  Recorded:
#   session 1: swaks --protocol LMTP straight to Dovecot: RCPT for full
#     gets 552 5.2.2 Quota exceeded (mailbox for user is full), RCPT for
#     alice 250, then DATA and one reply per accepted recipient;
#   sessions 2 and 3: swaks gives Postfix (127.0.0.1:25) a message for
#     full and alice, which Postfix accepts (250 queued); Postfix's own
#     lmtp client then passes it to Dovecot (transport_maps: example.com
#     to lmtp:inet:127.0.0.1:24, inside the namespace; every other
#     transport stays discard:), and Dovecot refuses full at RCPT with
#     the same 552 5.2.2 and saves alice's copy.  Postfix's bounce to the
#     sender is discarded.  The recipe waits until Postfix's queue is
#     empty before it stops the capture.
# Dovecot runs from a private configuration, its sockets, state and mail
# in the recipe's temporary folder.
# Needs (Debian 12): postfix swaks tcpdump dnsmasq-base python3
#   dovecot-core dovecot-lmtpd
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_setup_net
rs_start_dns
dv=$RS_WORK/dovecot
mkdir -p "$dv/run" "$dv/state" "$dv/mail/alice"
chmod 755 "$dv" "$dv/run"
cat >"$dv/users" <<-USERS
	full@example.com::65534:65534::$dv/mail/full::userdb_quota_rule=*:storage=1K
	alice@example.com::65534:65534::$dv/mail/alice::userdb_quota_rule=*:storage=1M
USERS
cat >"$dv/dovecot.conf" <<-CONF
	protocols = lmtp
	listen = 127.0.0.1
	base_dir = $dv/run
	state_dir = $dv/state
	log_path = $RS_WORK/dovecot.log
	ssl = no
	hostname = mx.example.com
	postmaster_address = postmaster@example.com
	first_valid_uid = 100
	mail_location = maildir:~/Maildir
	mail_plugins = quota
	lmtp_rcpt_check_quota = yes
	passdb {
	  driver = passwd-file
	  args = $dv/users
	}
	userdb {
	  driver = passwd-file
	  args = $dv/users
	}
	service lmtp {
	  unix_listener lmtp {
	    mode = 0600
	  }
	  inet_listener lmtp {
	    address = 127.0.0.1
	    port = 24
	  }
	}
	plugin {
	  quota = count:User quota
	  quota_vsizes = yes
	}
CONF
# full's mailbox: one message of about 2 KB, over its 1 KB quota.
md=$dv/mail/full/Maildir
mkdir -p "$md/cur" "$md/new" "$md/tmp"
{
	printf 'From: someone@example.org\nTo: full@example.com\n'
	printf 'Subject: the message that fills the mailbox\n\n'
	i=0
	while [ $i -lt 30 ]; do
		printf '%072d\n' 0 | tr 0 x
		i=$((i + 1))
	done
} >"$md/cur/1700000000.M1P1.mx.example.com:2,S"
chown -R 65534:65534 "$dv/mail"
dovecot -F -c "$dv/dovecot.conf" >"$RS_WORK/dovecot-stdout.log" 2>&1 &
RS_PIDS="$RS_PIDS $!"
rs_wait_port 127.0.0.1 24
doveadm -c "$dv/dovecot.conf" quota recalc -u full@example.com
doveadm -c "$dv/dovecot.conf" quota get -u full@example.com \
    >"$RS_WORK/quota.log" 2>&1
rs_postfix_config 'transport_maps = inline:{example.com=lmtp:inet:127.0.0.1:24}' \
    'lmtp_dns_support_level = disabled'
rs_postfix_service 'lmtp       unix - - n - - lmtp'
rs_postfix_start
rs_capture_start 'tcp port 25 or tcp port 24'
rs_swaks --protocol LMTP --server 127.0.0.1 --port 24 \
    --local-interface 127.0.0.2 --ehlo client.example.org \
    --from sender@example.org --to full@example.com,alice@example.com \
    --header 'Subject: for a full mailbox' \
    --body 'full is over quota, alice is not.' >>"$RS_WORK/client.log" 2>&1 ||
    true
rs_swaks --server 127.0.0.1 --port 25 --local-interface 127.0.0.2 \
    --ehlo client.example.org --from sender@example.org \
    --to full@example.com,alice@example.com \
    --header 'Subject: through Postfix to a full mailbox' \
    --body 'Postfix takes it, Dovecot refuses full.' \
    >>"$RS_WORK/client.log" 2>&1
# Postfix delivers in the background: wait (at most 20 s) until its queue
# is empty (the LMTP delivery and the discarded bounce are done).
i=0
until postqueue -p 2>&1 | grep -q 'Mail queue is empty'; do
	i=$((i + 1))
	if [ $i -gt 200 ]; then
		echo "$0: Postfix's queue did not empty" >&2
		exit 2
	fi
	sleep 0.1
done
rs_capture_stop
