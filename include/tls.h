/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tls.h: what a TLS connection says in clear (RFC 8446, RFC 5246): the
 * versions, server name, ALPN protocols and cipher suites a client offers,
 * what the server chose, its certificates (TLS 1.2 and older), alerts,
 * whether the handshake completed and how much application data followed.
 * A push parser, fed each direction's bytes from its first byte on, as they
 * arrive: any split of them gives the same result.  Nothing is decrypted.
 * For implicit TLS (port 465) and what follows STARTTLS. */
#ifndef RS_TLS_H
#define RS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest record body: TLSCiphertext.length, 2^14 + 2048 (RFC 5246
 * §6.2.3); a longer one is no TLS. */
#define TLS_RECORD_MAX (16384 + 2048)
/* Longest handshake message reassembled, per direction; a longer one is
 * skipped and counted (hs_too_long). */
#define TLS_HS_MAX (64 * 1024)
/* Certificates of a chain read; the rest are counted. */
#define TLS_CHAIN_MAX 8
/* DNS names and IP addresses kept per certificate; the rest are counted. */
#define TLS_SAN_MAX 16
/* ALPN protocols and versions kept from a ClientHello. */
#define TLS_ALPN_MAX 8
#define TLS_VERSIONS_MAX 8
/* Cleartext alerts kept; all are counted. */
#define TLS_ALERTS_MAX 8
/* Longest server name, ALPN name, DNS SAN kept (a DNS name has 253); a
 * longer one is cut. */
#define TLS_NAME_MAX 255
/* Longest distinguished name kept; a longer one is cut. */
#define TLS_DN_MAX 1024

#define TLS_VERSION_1_2 0x0303
#define TLS_VERSION_1_3 0x0304
#define TLS_ALERT_FATAL 2 /* AlertLevel: 1 warning, 2 fatal */

/* One certificate, as GnuTLS reads its DER.  Strings are owned by the
 * connection, NUL-terminated, and may hold any other byte the certificate
 * holds: print them through output_escape(). */
struct tls_cert {
	size_t der_len;		       /* its DER's size */
	char sha256[65];	       /* SHA-256 of the DER, lower-case hex */
	bool unreadable;	       /* GnuTLS refused it: only the above */
	char *subject, *issuer;	       /* RFC 4514 DNs, or NULL */
	int64_t not_before, not_after; /* epoch seconds; -1 if unreadable */
	char *dns[TLS_SAN_MAX];	       /* subjectAltName dNSName */
	unsigned n_dns;
	char *ip[TLS_SAN_MAX]; /* subjectAltName iPAddress, as text */
	unsigned n_ip;
	unsigned sans_dropped; /* DNS names and addresses over the caps */
};

/* A Certificate message (RFC 5246 §7.4.2): the first of a direction. */
struct tls_chain {
	struct tls_cert *certs; /* the first TLS_CHAIN_MAX, in order */
	unsigned len;		/* certs read */
	unsigned total;		/* certificates in the message */
};

/* What one direction did. */
struct tls_side {
	bool not_tls;	      /* its first bytes are no TLS record header */
	bool malformed;	      /* a later record header made no sense: the
			       * rest was not read */
	bool ccs;	      /* sent ChangeCipherSpec */
	bool encrypted_hs;    /* then an encrypted handshake record (its
			       * Finished; TLS 1.2 and older) */
	bool app_after_hello; /* sent application data after the server's
			       * ServerHello was seen */
	uint64_t bytes;	      /* all bytes pushed */
	uint64_t records;     /* records begun */
	uint64_t app_records; /* records of content type 23 */
	uint64_t app_bytes;   /* their bodies: application data, and in TLS
			       * 1.3 the encrypted handshake and alerts too,
			       * which look the same */
	unsigned encrypted_alerts; /* alert records after its
				    * ChangeCipherSpec (TLS 1.2 and older):
				    * unreadable */
	unsigned hs_too_long;	   /* handshake messages over TLS_HS_MAX,
				    * skipped */
	unsigned hs_bad;	   /* handshake messages read that did not
				    * parse (what came before the fault is
				    * kept) */
	struct tls_chain chain;	   /* its Certificate message, if sent in
				    * clear */
};

struct tls_alert {
	bool from_server;
	uint8_t level; /* TLS_ALERT_FATAL or 1 */
	uint8_t desc;  /* AlertDescription: tls_alert_name() */
};

/* Everything learnt so far.  Wire values (versions, suites) are as sent;
 * GREASE values (RFC 8701) are left out of lists and counts. */
struct tls_info {
	bool not_tls; /* a direction began with no TLS record header (known
		       * from its first byte): parse its bytes as SMTP again
		       * (STARTTLS, then plaintext) */
	struct tls_side client, server;

	/* ClientHello (the first, when a HelloRetryRequest asked again). */
	unsigned client_hellos;			/* ClientHello messages read */
	uint16_t ch_version;			/* legacy_version */
	uint16_t ch_versions[TLS_VERSIONS_MAX]; /* supported_versions, or
						 * legacy_version */
	unsigned n_ch_versions;
	unsigned n_cipher_suites; /* cipher suites offered */
	char *sni;		  /* server_name host_name, or NULL */
	char *alpn[TLS_ALPN_MAX]; /* ALPN protocol names */
	unsigned n_alpn;

	/* ServerHello (not a HelloRetryRequest). */
	bool server_hello;	       /* one was read */
	bool hello_retry;	       /* a HelloRetryRequest was read */
	uint16_t sh_version;	       /* legacy_version */
	uint16_t version;	       /* chosen: supported_versions, or
					* legacy_version */
	uint16_t cipher_suite;	       /* chosen */
	const char *cipher_suite_name; /* GnuTLS's name, or NULL (static) */
	bool certificate_encrypted;    /* TLS 1.3: the server's
					* certificates are not in clear */

	/* Alerts read in clear, from either side, in order. */
	struct tls_alert alerts[TLS_ALERTS_MAX];
	unsigned n_alerts;     /* kept */
	unsigned alerts_total; /* read */
	bool fatal_alert;      /* one of them was fatal */

	/* TLS 1.2 and older: both sides sent ChangeCipherSpec, then an
	 * encrypted handshake record; TLS 1.3: after the ServerHello, both
	 * sides sent application data (content type 23).  In either case no
	 * fatal alert in clear. */
	bool completed;
};

struct tls_conn;

/* Do the first n bytes a client sent look like a TLS record carrying a
 * ClientHello (content type 22, version 3.x, a plausible length, handshake
 * type 1)?  Needs 6 bytes (false for fewer), checks more when given
 * them; no SMTP command passes. */
bool tls_sniff_client_hello(const uint8_t *p, size_t n);

/* A new connection, nothing seen; caller owns it. */
struct tls_conn *tls_conn_new(void);
/* Free a connection and all it holds (accepts NULL). */
void tls_conn_free(struct tls_conn *c);
/* A finished connection that holds *info (whose strings and certificates
 * it takes over): what a decoded dialogue carries (dlg_codec.h); caller
 * owns it.  Pushing more bytes to it is not meant. */
struct tls_conn *tls_conn_adopt(const struct tls_info *info);
/* The next n bytes one direction sent, from its first byte on (a stream
 * picked up inside a record, or an SSLv2-format hello, is not TLS here).
 * A direction found not TLS or malformed is no longer read (its bytes are
 * counted). */
void tls_conn_push(
    struct tls_conn *c, bool from_server, const uint8_t *p, size_t n);
/* What is known so far; owned by c, updated by each push. */
const struct tls_info *tls_conn_info(const struct tls_conn *c);
/* Bytes c holds, as computed chunk sizes (budget.h): charge them to
 * BUDGET_MACHINES.  At most about 2 * TLS_HS_MAX plus the strings kept. */
size_t tls_conn_mem(const struct tls_conn *c);

/* "protocol_version" for 70 (RFC 8446 §6, RFC 5246 §7.2, RFC 7507,
 * RFC 6066), or NULL if not registered. */
const char *tls_alert_name(unsigned desc);
/* "TLS1.2" for 0x0303, "SSL3.0" for 0x0300, or NULL. */
const char *tls_version_name(uint16_t v);
/* GnuTLS's name of a cipher suite (static), or NULL if GnuTLS does not
 * know it.  It is IANA's for TLS 1.3 suites; for older ones GnuTLS drops
 * IANA's "_WITH" and writes SHA as SHA1: TLS_ECDHE_RSA_AES_128_CBC_SHA1 is
 * IANA's TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA. */
const char *tls_cipher_suite_name(uint16_t id);

#endif
