# SPDX-License-Identifier: GPL-2.0-or-later
# lib-fail.sh: helpers of the failure fixtures (sourced after lib.sh, not
# run).

# An EXPIRED self-signed certificate, made at record time with "openssl
# ca -selfsign" (OpenSSL 3.0's x509 and req cannot set a start date):
# $RS_WORK/cert.pem and $RS_WORK/key.pem, RSA 2048, subject = issuer =
# CN=mail.example.test, subjectAltName DNS:mail.example.test, CA:TRUE (so
# that a client can take it as its own trust anchor), valid from 60 days
# to 30 days before the recording.
rs_expired_cert() {
	_ca=$RS_WORK/ca
	mkdir -p "$_ca"
	cat >"$_ca/ca.cnf" <<-'EOC'
	[ ca ]
	default_ca = rs
	[ rs ]
	database = index.txt
	new_certs_dir = .
	serial = serial
	default_md = sha256
	policy = any
	unique_subject = no
	[ any ]
	commonName = supplied
	[ ext ]
	basicConstraints = critical,CA:TRUE
	keyUsage = digitalSignature, keyEncipherment, keyCertSign
	subjectAltName = DNS:mail.example.test
	EOC
	: >"$_ca/index.txt"
	echo 01 >"$_ca/serial"
	openssl req -new -newkey rsa:2048 -nodes -subj /CN=mail.example.test \
	    -keyout "$RS_WORK/key.pem" -out "$_ca/req.pem" >/dev/null 2>&1
	(cd "$_ca" && openssl ca -batch -config ca.cnf -selfsign \
	    -keyfile "$RS_WORK/key.pem" -in req.pem -out "$RS_WORK/cert.pem" \
	    -notext -extensions ext \
	    -startdate "$(date -u -d '-60 days' +%Y%m%d%H%M%SZ)" \
	    -enddate "$(date -u -d '-30 days' +%Y%m%d%H%M%SZ)") \
	    >"$RS_WORK/ca.log" 2>&1
}

# A self-signed certificate made like rs_expired_cert's ("openssl ca
# -selfsign", CA:TRUE, RSA 2048, serial 01), for NAME (subject = issuer =
# CN=NAME, subjectAltName DNS:NAME), valid from START to END (dates as
# "date -d" reads them, e.g. "-1 day", "+30 days"): $RS_WORK/cert.pem and
# $RS_WORK/key.pem.  Arguments: NAME START END.
rs_selfsigned_cert() {
	_ca=$RS_WORK/ca
	mkdir -p "$_ca"
	cat >"$_ca/ca.cnf" <<-EOC
	[ ca ]
	default_ca = rs
	[ rs ]
	database = index.txt
	new_certs_dir = .
	serial = serial
	default_md = sha256
	policy = any
	unique_subject = no
	[ any ]
	commonName = supplied
	[ ext ]
	basicConstraints = critical,CA:TRUE
	keyUsage = digitalSignature, keyEncipherment, keyCertSign
	subjectAltName = DNS:$1
	EOC
	: >"$_ca/index.txt"
	echo 01 >"$_ca/serial"
	openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$1" \
	    -keyout "$RS_WORK/key.pem" -out "$_ca/req.pem" >/dev/null 2>&1
	(cd "$_ca" && openssl ca -batch -config ca.cnf -selfsign \
	    -keyfile "$RS_WORK/key.pem" -in req.pem -out "$RS_WORK/cert.pem" \
	    -notext -extensions ext \
	    -startdate "$(date -u -d "$2" +%Y%m%d%H%M%SZ)" \
	    -enddate "$(date -u -d "$3" +%Y%m%d%H%M%SZ)") \
	    >"$RS_WORK/ca.log" 2>&1
}
