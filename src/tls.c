/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tls.c: a TLS connection described from its cleartext handshake.
 *
 * The record layer (RFC 8446 §5.1, RFC 5246 §6.2.1), handshake messages
 * reassembled across records (RFC 8446 §4, RFC 5246 §7.4), ClientHello
 * (RFC 8446 §4.1.2) with server_name (RFC 6066 §3), ALPN (RFC 7301 §3.1)
 * and supported_versions (RFC 8446 §4.2.1), ServerHello and
 * HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4), Certificate (RFC 5246
 * §7.4.2), alerts (RFC 8446 §6, RFC 5246 §7.2).  X.509 is GnuTLS's.
 *
 * Every byte is consumed at once: a record header is gathered byte by
 * byte, record bodies are read as they come, and only a handshake message
 * is held until it is whole, at most TLS_HS_MAX bytes per direction.  So
 * the result cannot depend on how the bytes were split.
 *
 * Once a direction sent ChangeCipherSpec (TLS 1.2 and older) its records
 * are encrypted; in TLS 1.3 every encrypted record says content type 23
 * (application data) outside, so a record of another type is in clear
 * (the compatibility ChangeCipherSpec, an alert sent before keys). */
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>

#include "budget.h"
#include "tls.h"

/* Content types (RFC 8446 §5.1, RFC 6520 for heartbeat). */
#define CT_CCS 20
#define CT_ALERT 21
#define CT_HANDSHAKE 22
#define CT_APPDATA 23
#define CT_HEARTBEAT 24

/* Handshake types. */
#define HS_CLIENT_HELLO 1
#define HS_SERVER_HELLO 2
#define HS_CERTIFICATE 11

/* Extensions. */
#define EXT_SERVER_NAME 0
#define EXT_ALPN 16
#define EXT_SUPPORTED_VERSIONS 43

/* AlertDescription names (RFC 8446 §6, RFC 5246 §7.2 for those 8446
 * reserves, RFC 7507 for inappropriate_fallback, RFC 6066 for
 * certificate_unobtainable and bad_certificate_hash_value). */
#define TLS_ALERT_LIST(X)                                                      \
	X(0, close_notify)                                                     \
	X(10, unexpected_message)                                              \
	X(20, bad_record_mac)                                                  \
	X(21, decryption_failed)                                               \
	X(22, record_overflow)                                                 \
	X(30, decompression_failure)                                           \
	X(40, handshake_failure)                                               \
	X(41, no_certificate)                                                  \
	X(42, bad_certificate)                                                 \
	X(43, unsupported_certificate)                                         \
	X(44, certificate_revoked)                                             \
	X(45, certificate_expired)                                             \
	X(46, certificate_unknown)                                             \
	X(47, illegal_parameter)                                               \
	X(48, unknown_ca)                                                      \
	X(49, access_denied)                                                   \
	X(50, decode_error)                                                    \
	X(51, decrypt_error)                                                   \
	X(60, export_restriction)                                              \
	X(70, protocol_version)                                                \
	X(71, insufficient_security)                                           \
	X(80, internal_error)                                                  \
	X(86, inappropriate_fallback)                                          \
	X(90, user_canceled)                                                   \
	X(100, no_renegotiation)                                               \
	X(109, missing_extension)                                              \
	X(110, unsupported_extension)                                          \
	X(111, certificate_unobtainable)                                       \
	X(112, unrecognized_name)                                              \
	X(113, bad_certificate_status_response)                                \
	X(114, bad_certificate_hash_value)                                     \
	X(115, unknown_psk_identity)                                           \
	X(116, certificate_required)                                           \
	X(120, no_application_protocol)

/* The random of a HelloRetryRequest: SHA-256("HelloRetryRequest"), RFC
 * 8446 §4.1.3. */
static const uint8_t hrr_random[32] = { 0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a,
	0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2,
	0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
	0x33, 0x9c };

/* Reading state of one direction. */
struct tls_dir {
	bool stopped;	  /* not TLS, or malformed: bytes only counted */
	uint8_t hdr[5];	  /* record header being gathered */
	unsigned hdr_len; /* 5: a record body is being read */
	bool clear;	  /* this record's body is readable */
	size_t left;	  /* body bytes still to come */
	uint8_t alert[2]; /* an alert being gathered */
	unsigned alert_len;
	uint8_t hs_hdr[4]; /* handshake message header being gathered */
	unsigned hs_hdr_len;
	uint8_t *hs_buf; /* its body, once the header is whole */
	size_t hs_len, hs_need;
	size_t hs_skip; /* bytes left of a message over TLS_HS_MAX */
};

struct tls_conn {
	struct tls_info info;
	struct tls_dir dir[2]; /* [from_server] */
	size_t mem;	       /* computed bytes held (tls_conn_mem) */
};

/* A bounded reader: a read past the end yields zeros and sets err, which
 * sticks, so parsers check once at the end. */
struct rd {
	const uint8_t *p;
	size_t n;
	bool err;
};

static bool record_header_ok(
    const struct tls_dir *d, bool first, bool from_server);
static void record_begin(struct tls_conn *c, bool from_server);
static void record_body(
    struct tls_conn *c, bool from_server, const uint8_t *p, size_t n);
static void alert_feed(struct tls_conn *c, bool from_server, uint8_t b);
static void hs_feed(
    struct tls_conn *c, bool from_server, const uint8_t *p, size_t n);
static void hs_message(struct tls_conn *c, bool from_server, uint8_t type,
    const uint8_t *p, size_t n);
static void client_hello(struct tls_conn *c, bool from_server, struct rd *r);
static void server_hello(struct tls_conn *c, bool from_server, struct rd *r);
static void certificate(struct tls_conn *c, bool from_server, struct rd *r);
static void cert_read(
    struct tls_conn *c, struct tls_cert *t, const uint8_t *der, size_t len);
static void cert_sans(
    struct tls_conn *c, struct tls_cert *t, gnutls_x509_crt_t crt);
static char *conn_strndup(
    struct tls_conn *c, const void *p, size_t n, size_t max);
static char *conn_take_datum(struct tls_conn *c, gnutls_datum_t *d, size_t max);
static bool is_tls13(const struct tls_conn *c);
static bool side_encrypted(const struct tls_conn *c, const struct tls_side *s);
static bool is_grease(uint16_t v);
static void update_completed(struct tls_conn *c);

static uint8_t
rd_u8(struct rd *r)
{
	if (r->n < 1) {
		r->err = true;
		r->n = 0;
		return 0;
	}
	r->n--;
	return *r->p++;
}

static unsigned
rd_u16(struct rd *r)
{
	unsigned hi = rd_u8(r);

	return hi << 8 | rd_u8(r);
}

static size_t
rd_u24(struct rd *r)
{
	size_t hi = rd_u16(r);

	return hi << 8 | rd_u8(r);
}

/* The next n bytes as a reader of their own. */
static struct rd
rd_sub(struct rd *r, size_t n)
{
	struct rd s = { r->p, n, false };

	if (n > r->n) {
		r->err = true;
		s.n = 0;
		s.err = true;
		r->n = 0;
		return s;
	}
	r->p += n;
	r->n -= n;
	return s;
}

/* A vector with a length of len_bytes (1, 2 or 3) in front. */
static struct rd
rd_vec(struct rd *r, unsigned len_bytes)
{
	size_t n = len_bytes == 1   ? rd_u8(r)
		   : len_bytes == 2 ? rd_u16(r)
				    : rd_u24(r);

	return rd_sub(r, n);
}

/* A sub-reader's fault is its parent's. */
static void
rd_join(struct rd *r, const struct rd *s)
{
	if (s->err)
		r->err = true;
}

bool
tls_sniff_client_hello(const uint8_t *p, size_t n)
{
	size_t rlen;

	if (n < 6)
		return false;
	rlen = (size_t)p[3] << 8 | p[4];
	if (p[0] != CT_HANDSHAKE || p[1] != 3 || p[2] > 4 || rlen == 0 ||
	    rlen > 16384 || p[5] != HS_CLIENT_HELLO)
		return false;
	/* A ClientHello body has at least 2 + 32 + 1 + 4 + 2 bytes. */
	if (n >= 9 && rlen >= 4 && ((size_t)p[6] << 16 | p[7] << 8 | p[8]) < 41)
		return false;
	/* client_version, when this record holds it. */
	if (n >= 10 && rlen >= 5 && p[9] != 3)
		return false;
	if (n >= 11 && rlen >= 6 && p[10] > 4)
		return false;
	return true;
}

struct tls_conn *
tls_conn_new(void)
{
	struct tls_conn *c = g_new0(struct tls_conn, 1);

	c->mem = budget_bytes(sizeof *c);
	return c;
}

struct tls_conn *
tls_conn_adopt(const struct tls_info *info)
{
	struct tls_conn *c = tls_conn_new();

	c->info = *info;
	c->dir[0].stopped = c->dir[1].stopped = true;
	return c;
}

static void
side_clear(struct tls_side *s)
{
	unsigned i, j;

	for (i = 0; i < s->chain.len; i++) {
		struct tls_cert *t = &s->chain.certs[i];

		g_free(t->subject);
		g_free(t->issuer);
		for (j = 0; j < t->n_dns; j++)
			g_free(t->dns[j]);
		for (j = 0; j < t->n_ip; j++)
			g_free(t->ip[j]);
	}
	g_free(s->chain.certs);
}

void
tls_conn_free(struct tls_conn *c)
{
	unsigned i;

	if (c == NULL)
		return;
	side_clear(&c->info.client);
	side_clear(&c->info.server);
	g_free(c->info.sni);
	for (i = 0; i < c->info.n_alpn; i++)
		g_free(c->info.alpn[i]);
	g_free(c->dir[0].hs_buf);
	g_free(c->dir[1].hs_buf);
	g_free(c);
}

const struct tls_info *
tls_conn_info(const struct tls_conn *c)
{
	return &c->info;
}

size_t
tls_conn_mem(const struct tls_conn *c)
{
	return c->mem;
}

void
tls_conn_push(struct tls_conn *c, bool from_server, const uint8_t *p, size_t n)
{
	struct tls_dir *d = &c->dir[from_server];
	struct tls_side *s = from_server ? &c->info.server : &c->info.client;
	size_t k;

	s->bytes += n;
	while (n > 0 && !d->stopped) {
		if (d->hdr_len < 5) {
			d->hdr[d->hdr_len++] = *p++;
			n--;
			/* Each byte is judged as it comes, so that an SMTP
			 * line is known not to be TLS from its first byte. */
			if (!record_header_ok(
				d, s->records == 0, from_server)) {
				if (s->records == 0)
					s->not_tls = true;
				else
					s->malformed = true;
				d->stopped = true;
				break;
			}
			if (d->hdr_len == 5)
				record_begin(c, from_server);
		} else {
			k = MIN(n, d->left);
			record_body(c, from_server, p, k);
			p += k;
			n -= k;
			d->left -= k;
		}
		if (d->hdr_len == 5 && d->left == 0)
			d->hdr_len = 0;
	}
	c->info.not_tls = c->info.client.not_tls || c->info.server.not_tls;
	update_completed(c);
}

/* Is the header gathered so far (hdr_len bytes) a plausible start of a
 * record?  A first record is a handshake (a server may answer with an
 * alert); an empty one is only application data (RFC 5246 §6.2.1 allows
 * those as a countermeasure). */
static bool
record_header_ok(const struct tls_dir *d, bool first, bool from_server)
{
	const uint8_t *h = d->hdr;
	size_t len;

	switch (d->hdr_len) {
	case 1:
		if (first)
			return h[0] == CT_HANDSHAKE ||
			       (from_server && h[0] == CT_ALERT);
		return h[0] >= CT_CCS && h[0] <= CT_HEARTBEAT;
	case 2:
		return h[1] == 3;
	case 3:
		return h[2] <= 4;
	case 5:
		len = (size_t)h[3] << 8 | h[4];
		return len <= TLS_RECORD_MAX && (len > 0 || h[0] == CT_APPDATA);
	default:
		return true;
	}
}

static bool
is_tls13(const struct tls_conn *c)
{
	return c->info.server_hello && c->info.version == TLS_VERSION_1_3;
}

/* Are a side's records encrypted now?  After its ChangeCipherSpec, unless
 * TLS 1.3 was chosen or a HelloRetryRequest awaits its ServerHello: TLS
 * 1.3 peers send one for middleboxes (RFC 8446 §D.4), after the
 * HelloRetryRequest too, and the hellos that follow it are in clear. */
static bool
side_encrypted(const struct tls_conn *c, const struct tls_side *s)
{
	return s->ccs && !is_tls13(c) &&
	       !(c->info.hello_retry && !c->info.server_hello);
}

/* A whole header was read: count the record and decide whether its body
 * can be read. */
static void
record_begin(struct tls_conn *c, bool from_server)
{
	struct tls_dir *d = &c->dir[from_server];
	struct tls_side *s = from_server ? &c->info.server : &c->info.client;
	bool encrypted = side_encrypted(c, s);

	d->left = (size_t)d->hdr[3] << 8 | d->hdr[4];
	d->clear = false;
	s->records++;
	switch (d->hdr[0]) {
	case CT_CCS:
		s->ccs = true;
		break;
	case CT_ALERT:
		if (encrypted)
			s->encrypted_alerts++;
		else
			d->clear = true;
		break;
	case CT_HANDSHAKE:
		if (encrypted)
			s->encrypted_hs = true;
		else
			d->clear = true;
		break;
	case CT_APPDATA:
		s->app_records++;
		s->app_bytes += d->left;
		if (c->info.server_hello)
			s->app_after_hello = true;
		break;
	default:
		break;
	}
}

static void
record_body(struct tls_conn *c, bool from_server, const uint8_t *p, size_t n)
{
	struct tls_dir *d = &c->dir[from_server];
	size_t i;

	if (!d->clear)
		return;
	if (d->hdr[0] == CT_HANDSHAKE) {
		hs_feed(c, from_server, p, n);
		return;
	}
	/* Alerts (RFC 5246 §6.2.1 lets them span records). */
	for (i = 0; i < n; i++)
		alert_feed(c, from_server, p[i]);
}

static void
alert_feed(struct tls_conn *c, bool from_server, uint8_t b)
{
	struct tls_dir *d = &c->dir[from_server];
	struct tls_info *in = &c->info;
	struct tls_alert *a;

	d->alert[d->alert_len++] = b;
	if (d->alert_len < 2)
		return;
	d->alert_len = 0;
	in->alerts_total++;
	if (d->alert[0] == TLS_ALERT_FATAL)
		in->fatal_alert = true;
	if (in->n_alerts >= TLS_ALERTS_MAX)
		return;
	a = &in->alerts[in->n_alerts++];
	a->from_server = from_server;
	a->level = d->alert[0];
	a->desc = d->alert[1];
}

/* Handshake bytes of a clear record: messages are put together across
 * records, one at a time, and read when whole. */
static void
hs_feed(struct tls_conn *c, bool from_server, const uint8_t *p, size_t n)
{
	struct tls_dir *d = &c->dir[from_server];
	struct tls_side *s = from_server ? &c->info.server : &c->info.client;
	size_t k, len;

	while (n > 0) {
		if (d->hs_skip > 0) {
			k = MIN(n, d->hs_skip);
			d->hs_skip -= k;
			p += k;
			n -= k;
			continue;
		}
		if (d->hs_hdr_len < 4) {
			d->hs_hdr[d->hs_hdr_len++] = *p++;
			n--;
			if (d->hs_hdr_len < 4)
				continue;
			len = (size_t)d->hs_hdr[1] << 16 |
			      (size_t)d->hs_hdr[2] << 8 | d->hs_hdr[3];
			if (len > TLS_HS_MAX) {
				/* Give this message up, not the direction:
				 * what follows it can still be read. */
				s->hs_too_long++;
				d->hs_skip = len;
				d->hs_hdr_len = 0;
			} else if (len == 0) {
				hs_message(c, from_server, d->hs_hdr[0], p, 0);
				d->hs_hdr_len = 0;
			} else {
				d->hs_buf = g_malloc(len);
				d->hs_need = len;
				d->hs_len = 0;
				c->mem += budget_bytes(len);
			}
			continue;
		}
		k = MIN(n, d->hs_need - d->hs_len);
		memcpy(d->hs_buf + d->hs_len, p, k);
		d->hs_len += k;
		p += k;
		n -= k;
		if (d->hs_len < d->hs_need)
			continue;
		hs_message(c, from_server, d->hs_hdr[0], d->hs_buf, d->hs_len);
		g_free(d->hs_buf);
		d->hs_buf = NULL;
		c->mem -= budget_bytes(d->hs_need);
		d->hs_hdr_len = 0;
	}
}

/* Handshake messages read, by type and direction; others are skipped. */
static const struct {
	uint8_t type;
	bool from_server;
	void (*parse)(struct tls_conn *c, bool from_server, struct rd *r);
} hs_parsers[] = {
	{ HS_CLIENT_HELLO, false, client_hello },
	{ HS_SERVER_HELLO, true, server_hello },
	{ HS_CERTIFICATE, false, certificate },
	{ HS_CERTIFICATE, true, certificate },
};

static void
hs_message(struct tls_conn *c, bool from_server, uint8_t type, const uint8_t *p,
    size_t n)
{
	struct tls_side *s = from_server ? &c->info.server : &c->info.client;
	struct rd r = { p, n, false };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(hs_parsers); i++) {
		if (hs_parsers[i].type != type ||
		    hs_parsers[i].from_server != from_server)
			continue;
		hs_parsers[i].parse(c, from_server, &r);
		if (r.err)
			s->hs_bad++;
		return;
	}
}

/* GREASE (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa. */
static bool
is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* A copy of wire bytes, cut at max and at a NUL, charged to c. */
static char *
conn_strndup(struct tls_conn *c, const void *p, size_t n, size_t max)
{
	char *s = g_strndup(n > 0 ? p : "", MIN(n, max));

	c->mem += budget_str(s);
	return s;
}

/* RFC 8446 §4.1.2.  Only the first ClientHello is kept: the second, after
 * a HelloRetryRequest, offers the same (§4.1.2 lists what may change). */
static void
client_hello(struct tls_conn *c, bool from_server, struct rd *r)
{
	struct tls_info *in = &c->info;
	struct rd v, ext, body, list, name;
	bool have_versions = false;
	unsigned type, x;

	(void)from_server;
	if (in->client_hellos++ > 0)
		return;
	in->ch_version = rd_u16(r);
	rd_sub(r, 32);	  /* random */
	rd_vec(r, 1);	  /* legacy_session_id */
	v = rd_vec(r, 2); /* cipher_suites */
	if (v.n % 2 != 0)
		r->err = true;
	while (v.n >= 2) {
		if (!is_grease(rd_u16(&v)))
			in->n_cipher_suites++;
	}
	rd_vec(r, 1); /* legacy_compression_methods */
	/* Extensions may be absent before TLS 1.3 (RFC 5246 §7.4.1.2). */
	ext = r->n > 0 ? rd_vec(r, 2) : (struct rd){ NULL, 0, false };
	while (ext.n > 0 && !ext.err) {
		type = rd_u16(&ext);
		body = rd_vec(&ext, 2);
		switch (type) {
		case EXT_SERVER_NAME:
			list = rd_vec(&body, 2);
			while (list.n > 0 && !list.err) {
				x = rd_u8(&list);
				name = rd_vec(&list, 2);
				if (x == 0 && in->sni == NULL && !name.err)
					in->sni = conn_strndup(
					    c, name.p, name.n, TLS_NAME_MAX);
			}
			rd_join(&body, &list);
			break;
		case EXT_ALPN:
			list = rd_vec(&body, 2);
			while (list.n > 0 && !list.err) {
				name = rd_vec(&list, 1);
				if (in->n_alpn < TLS_ALPN_MAX && !name.err)
					in->alpn[in->n_alpn++] = conn_strndup(
					    c, name.p, name.n, TLS_NAME_MAX);
			}
			rd_join(&body, &list);
			break;
		case EXT_SUPPORTED_VERSIONS:
			have_versions = true;
			list = rd_vec(&body, 1);
			while (list.n >= 2) {
				x = rd_u16(&list);
				if (!is_grease(x) &&
				    in->n_ch_versions < TLS_VERSIONS_MAX)
					in->ch_versions[in->n_ch_versions++] =
					    x;
			}
			if (list.n != 0)
				body.err = true;
			rd_join(&body, &list);
			break;
		default:
			break;
		}
		rd_join(&ext, &body);
	}
	rd_join(r, &ext);
	if (!have_versions) {
		in->ch_versions[0] = in->ch_version;
		in->n_ch_versions = 1;
	}
}

/* RFC 8446 §4.1.3: the first ServerHello is kept; a HelloRetryRequest is
 * one with a fixed random, and another ServerHello follows it. */
static void
server_hello(struct tls_conn *c, bool from_server, struct rd *r)
{
	struct tls_info *in = &c->info;
	struct rd random, ext, body;
	unsigned version, suite, type, chosen = 0;

	(void)from_server;
	if (in->server_hello)
		return;
	version = rd_u16(r);
	random = rd_sub(r, 32);
	rd_vec(r, 1); /* legacy_session_id_echo */
	suite = rd_u16(r);
	rd_u8(r); /* legacy_compression_method */
	ext = r->n > 0 ? rd_vec(r, 2) : (struct rd){ NULL, 0, false };
	while (ext.n > 0 && !ext.err) {
		type = rd_u16(&ext);
		body = rd_vec(&ext, 2);
		if (type == EXT_SUPPORTED_VERSIONS) {
			chosen = rd_u16(&body);
			if (body.n != 0)
				body.err = true;
		}
		rd_join(&ext, &body);
	}
	rd_join(r, &ext);
	if (r->err)
		return;
	if (random.n == 32 && memcmp(random.p, hrr_random, 32) == 0) {
		in->hello_retry = true;
		return;
	}
	in->server_hello = true;
	in->sh_version = version;
	in->version = chosen != 0 ? chosen : version;
	in->cipher_suite = suite;
	in->cipher_suite_name = tls_cipher_suite_name(suite);
	in->certificate_encrypted = in->version == TLS_VERSION_1_3;
}

/* RFC 5246 §7.4.2 (TLS 1.3's Certificate is always encrypted, and has
 * another layout).  The first Certificate message of a direction is read;
 * its certificates are read up to TLS_CHAIN_MAX. */
static void
certificate(struct tls_conn *c, bool from_server, struct rd *r)
{
	struct tls_side *s = from_server ? &c->info.server : &c->info.client;
	struct rd list, scan, der;
	size_t n = 0;

	if (is_tls13(c) || s->chain.certs != NULL)
		return;
	list = rd_vec(r, 3);
	/* Count first, to allocate what is kept and no more. */
	scan = list;
	while (scan.n > 0 && !scan.err) {
		rd_vec(&scan, 3);
		if (!scan.err)
			n++;
	}
	s->chain.certs = g_new0(struct tls_cert, MAX(MIN(n, TLS_CHAIN_MAX), 1));
	c->mem += budget_bytes(
	    MAX(MIN(n, TLS_CHAIN_MAX), 1) * sizeof(struct tls_cert));
	while (list.n > 0 && !list.err) {
		der = rd_vec(&list, 3);
		if (der.err)
			break;
		s->chain.total++;
		if (s->chain.len < TLS_CHAIN_MAX)
			cert_read(
			    c, &s->chain.certs[s->chain.len++], der.p, der.n);
	}
	rd_join(r, &list);
}

/* Copy a string GnuTLS allocated, then free it. */
static char *
conn_take_datum(struct tls_conn *c, gnutls_datum_t *d, size_t max)
{
	char *s = conn_strndup(c, d->data, d->size, max);

	gnutls_free(d->data);
	d->data = NULL;
	return s;
}

static void
cert_read(
    struct tls_conn *c, struct tls_cert *t, const uint8_t *der, size_t len)
{
	gnutls_datum_t in = { (unsigned char *)der, (unsigned)len };
	gnutls_datum_t dn = { NULL, 0 };
	gnutls_x509_crt_t crt = NULL;
	unsigned char hash[32];
	size_t hash_len = sizeof hash, i;

	t->der_len = len;
	t->not_before = t->not_after = -1;
	/* The fingerprint is of the bytes sent, readable or not. */
	if (gnutls_fingerprint(GNUTLS_DIG_SHA256, &in, hash, &hash_len) == 0 &&
	    hash_len == sizeof hash) {
		for (i = 0; i < sizeof hash; i++)
			g_snprintf(t->sha256 + 2 * i, 3, "%02x", hash[i]);
	}
	if (gnutls_x509_crt_init(&crt) < 0) {
		t->unreadable = true;
		return;
	}
	if (gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_DER) < 0) {
		t->unreadable = true;
		gnutls_x509_crt_deinit(crt);
		return;
	}
	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0)
		t->subject = conn_take_datum(c, &dn, TLS_DN_MAX);
	if (gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) == 0)
		t->issuer = conn_take_datum(c, &dn, TLS_DN_MAX);
	t->not_before = gnutls_x509_crt_get_activation_time(crt);
	t->not_after = gnutls_x509_crt_get_expiration_time(crt);
	cert_sans(c, t, crt);
	gnutls_x509_crt_deinit(crt);
}

/* subjectAltName (RFC 5280 §4.2.1.6): DNS names and IP addresses, decoded
 * once (asking GnuTLS per index would decode it again each time). */
static void
cert_sans(struct tls_conn *c, struct tls_cert *t, gnutls_x509_crt_t crt)
{
	gnutls_datum_t ext = { NULL, 0 }, san, other;
	gnutls_subject_alt_names_t sans = NULL;
	unsigned critical, type, i;
	char ip[INET6_ADDRSTRLEN];

	if (gnutls_x509_crt_get_extension_by_oid2(
		crt, GNUTLS_X509EXT_OID_SAN, 0, &ext, &critical) < 0)
		return;
	if (gnutls_subject_alt_names_init(&sans) < 0) {
		gnutls_free(ext.data);
		return;
	}
	if (gnutls_x509_ext_import_subject_alt_names(&ext, sans, 0) < 0)
		goto out;
	for (i = 0;
	     gnutls_subject_alt_names_get(sans, i, &type, &san, &other) == 0;
	     i++) {
		if (type == GNUTLS_SAN_DNSNAME) {
			if (t->n_dns < TLS_SAN_MAX)
				t->dns[t->n_dns++] = conn_strndup(
				    c, san.data, san.size, TLS_NAME_MAX);
			else
				t->sans_dropped++;
		} else if (type == GNUTLS_SAN_IPADDRESS &&
			   (san.size == 4 || san.size == 16)) {
			if (t->n_ip < TLS_SAN_MAX &&
			    inet_ntop(san.size == 4 ? AF_INET : AF_INET6,
				san.data, ip, sizeof ip) != NULL)
				t->ip[t->n_ip++] =
				    conn_strndup(c, ip, strlen(ip), sizeof ip);
			else
				t->sans_dropped++;
		}
	}
out:
	gnutls_subject_alt_names_deinit(sans);
	gnutls_free(ext.data);
}

static void
update_completed(struct tls_conn *c)
{
	struct tls_info *in = &c->info;

	if (!in->server_hello || in->fatal_alert)
		in->completed = false;
	else if (is_tls13(c))
		in->completed =
		    in->client.app_after_hello && in->server.app_after_hello;
	else
		in->completed = in->client.ccs && in->server.ccs &&
				in->client.encrypted_hs &&
				in->server.encrypted_hs;
}

const char *
tls_alert_name(unsigned desc)
{
	switch (desc) {
#define TLS_ALERT_CASE(code, name)                                             \
	case code:                                                             \
		return #name;
		TLS_ALERT_LIST(TLS_ALERT_CASE)
#undef TLS_ALERT_CASE
	default:
		return NULL;
	}
}

const char *
tls_version_name(uint16_t v)
{
	static const char *const names[] = { "SSL3.0", "TLS1.0", "TLS1.1",
		"TLS1.2", "TLS1.3" };

	if (v >> 8 != 3 || (v & 0xff) >= G_N_ELEMENTS(names))
		return NULL;
	return names[v & 0xff];
}

/* GnuTLS's table, searched: its index is no order of ids, and a suite is
 * looked up once per connection. */
const char *
tls_cipher_suite_name(uint16_t id)
{
	gnutls_kx_algorithm_t kx;
	gnutls_cipher_algorithm_t cipher;
	gnutls_mac_algorithm_t mac;
	gnutls_protocol_t min;
	unsigned char cs[2];
	const char *name;
	size_t i;

	for (i = 0;; i++) {
		name =
		    gnutls_cipher_suite_info(i, cs, &kx, &cipher, &mac, &min);
		if (name == NULL)
			return NULL;
		if (cs[0] == id >> 8 && cs[1] == (id & 0xff))
			return name;
	}
}
