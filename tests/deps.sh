#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian 12 packages relayscope needs, only those missing.
#   sh tests/deps.sh            build and run (make, make demo)
#   sh tests/deps.sh test       also what make check starts (Postfix for
#                               the live-capture and replay tests, dnsmasq
#                               for the live-resolver test, tcpdump,
#                               openssl and Cyrus SASL for the replay test,
#                               Exim and OpenSMTPD for the replay matrix,
#                               json-glib for make fuzz's JSON oracle)
#   sh tests/deps.sh recipes    also what the fixture recipes run
#                               (swaks with its TLS modules, tcpdump,
#                               tshark, dnsmasq, Cyrus SASL, Exim,
#                               OpenSMTPD, the SOCKS5 and HTTP proxies
#                               and proxychains4, postgrey, rbldnsd,
#                               Dovecot's LMTP, gnutls-cli, ...)
# Exim and OpenSMTPD would replace Postfix if installed: for test and
# recipes their Debian packages are downloaded and unpacked into
# /var/cache/relayscope-recipes (rs_fetch_debs in pcaps/recipes/lib.sh),
# once; the libraries they need are installed as usual.  Where systemd
# runs, the tinyproxy package starts a system tinyproxy (127.0.0.1:8888);
# the recipe runs its own, in its namespace, and never uses that one; the
# same holds for the postgrey, rbldnsd and dovecot packages' own daemons.
# Must run as root (or with sudo available) on Debian 12.
set -eu
pkgs="make gcc libc6-dev pkg-config libpcap-dev libnids-dev libglib2.0-dev
libpsl-dev publicsuffix libc-ares-dev libgnutls28-dev glib-networking
libgmime-3.0-dev zlib1g-dev"
# What the unpacked exim4-daemon-light and opensmtpd link against.
mta_libs="libdb5.3 libgnutls30 libgnutls-dane0 libidn2-0 libnsl2 libpcre2-8-0
libcrypt1 libevent-2.1-7 libssl3 libpam0g zlib1g"
case "${1:-}" in
'') ;;
test) pkgs="$pkgs libjson-glib-dev python3 util-linux postfix iproute2 dnsmasq-base tcpdump
openssl sasl2-bin libsasl2-modules libsasl2-modules-db $mta_libs" ;;
recipes) pkgs="$pkgs python3 util-linux postfix iproute2 swaks tcpdump wireshark-common
tshark dnsmasq-base sasl2-bin libsasl2-modules libsasl2-modules-db openssl
libnet-ssleay-perl libio-socket-ssl-perl microsocks tinyproxy proxychains4
postgrey rbldnsd dovecot-core dovecot-lmtpd gnutls-bin
$mta_libs" ;;
*) echo "usage: sh tests/deps.sh [test|recipes]" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
if [ -n "$missing" ]; then
	echo "installing:$missing"
	# Postfix would otherwise ask how to configure itself; it must not
	# start.
	echo 'postfix postfix/main_mailer_type select No configuration' |
	    $SUDO debconf-set-selections 2>/dev/null || true
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
	    --no-install-recommends $missing >/dev/null
fi
if [ -n "${1:-}" ]; then
	here=$(cd "$(dirname "$0")" && pwd)
	$SUDO sh -c '. "$1" && rs_fetch_exim && rs_fetch_opensmtpd' \
	    "$here/deps.sh" "$here/../pcaps/recipes/lib.sh"
fi
