# SPDX-License-Identifier: GPL-2.0-or-later
# lib-fail.sh: helpers of the failure fixtures (sourced after lib.sh, not
# run).

# A self-signed certificate made at record time with "openssl ca
# -selfsign" (OpenSSL 3.0's x509 and req cannot set a start date), RSA
# 2048, serial 01, for NAME (subject = issuer = CN=NAME, subjectAltName
# DNS:NAME), CA:TRUE (so that a client can take it as its own trust
# anchor), valid from START to END (dates as "date -d" reads them, e.g.
# "-1 day", "+30 days"): $RS_WORK/cert.pem and $RS_WORK/key.pem.
# Arguments: NAME START END.
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

# An EXPIRED certificate for mail.example.test: valid from 60 days to 30
# days before the recording.
rs_expired_cert() {
	rs_selfsigned_cert mail.example.test '-60 days' '-30 days'
}

# Postfix on 127.0.0.1:25 offering STARTTLS with $RS_WORK/cert.pem, at
# most TLS 1.2 (so that the certificate travels in clear), recorded while
# two verifying clients that trust exactly that certificate and ask for
# mail.example.test try it: openssl s_client -verify_return_error from
# 127.0.0.2, then gnutls-cli (from 127.0.0.1: it cannot choose its source
# address).  Fails (status 2) unless each refused, saying what it was
# expected to say.  Arguments: OPENSSL_TEXT GNUTLS_TEXT WHAT (for the
# message: "the expired certificate").
rs_tls_refused_by_clients() {
	rs_postfix_config "smtpd_tls_cert_file = $RS_WORK/cert.pem" \
	    "smtpd_tls_key_file = $RS_WORK/key.pem" \
	    'smtpd_tls_security_level = may' 'smtpd_tls_loglevel = 1' \
	    'smtpd_tls_protocols = <=TLSv1.2' \
	    'smtpd_tls_mandatory_protocols = <=TLSv1.2'
	rs_postfix_start
	rs_capture_start 'tcp port 25 or tcp port 587'
	_rc1=0
	openssl s_client -connect 127.0.0.1:25 -bind 127.0.0.2:0 \
	    -starttls smtp -name client.example.org \
	    -servername mail.example.test -tls1_2 \
	    -CAfile "$RS_WORK/cert.pem" -verify_return_error \
	    -verify_hostname mail.example.test </dev/null \
	    >"$RS_WORK/client1.log" 2>&1 || _rc1=$?
	_rc2=0
	gnutls-cli --starttls-proto=smtp --port 25 \
	    --x509cafile "$RS_WORK/cert.pem" \
	    --sni-hostname mail.example.test \
	    --verify-hostname mail.example.test \
	    --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2' 127.0.0.1 </dev/null \
	    >"$RS_WORK/client2.log" 2>&1 || _rc2=$?
	rs_capture_stop
	if [ $_rc1 = 0 ] || ! grep -q "$1" "$RS_WORK/client1.log" ||
	    [ $_rc2 = 0 ] || ! grep -q "$2" "$RS_WORK/client2.log"; then
		echo "$0: the clients did not refuse $3" \
		    "(openssl exited $_rc1, gnutls-cli $_rc2):" >&2
		cat "$RS_WORK"/client*.log >&2
		exit 2
	fi
}
