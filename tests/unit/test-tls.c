/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-tls.c: the TLS handshake reader on real handshakes, made here by a
 * GnuTLS client and server talking through memory (TLS 1.2, TLS 1.3, a
 * HelloRetryRequest, two refusals), fed whole, a byte at a time and split
 * at random, framed into other records, and mutated. */
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "budget.h"
#include "tls.h"

/* The certificates' validity: 2026-01-01 to 2027-01-01 UTC. */
#define NOT_BEFORE 1767225600
#define NOT_AFTER 1798761600

#define EHLO "EHLO client.example.org\r\n"
#define REPLY "250 mx.example.com\r\n"

/* Priorities: one suite each, so that the bytes counted are known. */
#define PRIO_12                                                                \
	"NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:"              \
	"-KX-ALL:+ECDHE-ECDSA"
#define PRIO_13 "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM"

/* What one direction sent at once, in the order sent. */
struct chunk {
	bool from_server;
	GByteArray *bytes;
};

/* A conversation between two GnuTLS sessions. */
struct wire {
	GArray *chunks;		 /* struct chunk */
	GByteArray *pending[2];	 /* sent by [from_server], not yet read */
	gnutls_session_t end[2]; /* [server] */
	int rc[2];		 /* each side's handshake result */
};

/* One side's transport pointer. */
struct end {
	struct wire *w;
	bool server;
};

#define ROOT_DN "CN=relayscope test root,O=Example"
#define CA_DN "CN=relayscope test CA,O=Example"
#define LEAF_DN "CN=mx.example.com,O=Example"

/* A root, an intermediate CA it signed and a server certificate the
 * intermediate signed, made once; the server sends the last two. */
static struct {
	gnutls_x509_privkey_t root_key, ca_key, key;
	gnutls_x509_crt_t root;
	gnutls_x509_crt_t chain[2]; /* leaf, intermediate */
	gnutls_datum_t der[2];
	gnutls_pcert_st pcert[2];
	gnutls_certificate_credentials_t cred, client_cred;
} pki;

static void
check_gnutls(int rc, const char *what)
{
	if (rc < 0)
		g_error("%s: %s", what, gnutls_strerror(rc));
}

static gnutls_x509_crt_t
make_cert(gnutls_x509_privkey_t key, const char *dn, bool ca,
    gnutls_x509_crt_t issuer, gnutls_x509_privkey_t issuer_key)
{
	static const uint8_t ip4[4] = { 192, 0, 2, 25 };
	static const uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0x25 };
	gnutls_x509_crt_t crt = NULL;
	const char *err = NULL;
	unsigned char id[64];
	size_t id_len = sizeof id;

	check_gnutls(gnutls_x509_crt_init(&crt), "crt_init");
	check_gnutls(gnutls_x509_crt_set_version(crt, 3), "version");
	check_gnutls(
	    gnutls_x509_crt_set_serial(crt, ca ? "\x01" : "\x02", 1), "serial");
	check_gnutls(
	    gnutls_x509_crt_set_activation_time(crt, NOT_BEFORE), "activation");
	check_gnutls(
	    gnutls_x509_crt_set_expiration_time(crt, NOT_AFTER), "expiration");
	check_gnutls(gnutls_x509_crt_set_dn(crt, dn, &err), "dn");
	check_gnutls(gnutls_x509_crt_set_key(crt, key), "key");
	check_gnutls(gnutls_x509_crt_set_basic_constraints(crt, ca, -1), "bc");
	check_gnutls(
	    gnutls_x509_crt_set_key_usage(crt,
		ca ? GNUTLS_KEY_KEY_CERT_SIGN : GNUTLS_KEY_DIGITAL_SIGNATURE),
	    "usage");
	check_gnutls(gnutls_x509_privkey_get_key_id(key, 0, id, &id_len), "id");
	check_gnutls(
	    gnutls_x509_crt_set_subject_key_id(crt, id, id_len), "ski");
	if (!ca) {
		check_gnutls(gnutls_x509_crt_set_subject_alt_name(crt,
				 GNUTLS_SAN_DNSNAME, "mx.example.com", 14,
				 GNUTLS_FSAN_APPEND),
		    "san");
		check_gnutls(gnutls_x509_crt_set_subject_alt_name(crt,
				 GNUTLS_SAN_DNSNAME, "smtp.example.com", 16,
				 GNUTLS_FSAN_APPEND),
		    "san");
		check_gnutls(
		    gnutls_x509_crt_set_subject_alt_name(
			crt, GNUTLS_SAN_IPADDRESS, ip4, 4, GNUTLS_FSAN_APPEND),
		    "san");
		check_gnutls(
		    gnutls_x509_crt_set_subject_alt_name(
			crt, GNUTLS_SAN_IPADDRESS, ip6, 16, GNUTLS_FSAN_APPEND),
		    "san");
	}
	check_gnutls(gnutls_x509_crt_sign2(crt, issuer ? issuer : crt,
			 issuer_key, GNUTLS_DIG_SHA256, 0),
	    "sign");
	return crt;
}

static gnutls_x509_privkey_t
make_key(void)
{
	gnutls_x509_privkey_t key = NULL;

	check_gnutls(gnutls_x509_privkey_init(&key), "privkey_init");
	check_gnutls(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
			 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
	    "generate");
	return key;
}

static void
pki_init(void)
{
	gnutls_privkey_t pkey = NULL;
	unsigned i;

	if (pki.cred != NULL)
		return;
	pki.root_key = make_key();
	pki.ca_key = make_key();
	pki.key = make_key();
	pki.root = make_cert(pki.root_key, ROOT_DN, true, NULL, pki.root_key);
	pki.chain[1] =
	    make_cert(pki.ca_key, CA_DN, true, pki.root, pki.root_key);
	pki.chain[0] =
	    make_cert(pki.key, LEAF_DN, false, pki.chain[1], pki.ca_key);
	for (i = 0; i < 2; i++)
		check_gnutls(gnutls_x509_crt_export2(pki.chain[i],
				 GNUTLS_X509_FMT_DER, &pki.der[i]),
		    "export");
	check_gnutls(
	    gnutls_certificate_allocate_credentials(&pki.cred), "cred");
	/* gnutls_certificate_set_x509_key() sorts the list and kept the
	 * leaf alone here; this sends the list as given. */
	for (i = 0; i < 2; i++)
		check_gnutls(
		    gnutls_pcert_import_x509(&pki.pcert[i], pki.chain[i], 0),
		    "pcert");
	check_gnutls(gnutls_privkey_init(&pkey), "privkey");
	check_gnutls(gnutls_privkey_import_x509(
			 pkey, pki.key, GNUTLS_PRIVKEY_IMPORT_COPY),
	    "privkey");
	check_gnutls(
	    gnutls_certificate_set_key(pki.cred, NULL, 0, pki.pcert, 2, pkey),
	    "set_key");
	check_gnutls(
	    gnutls_certificate_allocate_credentials(&pki.client_cred), "cred");
}

static ssize_t
wire_push(gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
	struct end *e = ptr;
	struct chunk ch = { e->server, g_byte_array_new() };

	g_byte_array_append(e->w->pending[e->server], data, len);
	g_byte_array_append(ch.bytes, data, len);
	g_array_append_val(e->w->chunks, ch);
	return (ssize_t)len;
}

static ssize_t
wire_pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct end *e = ptr;
	GByteArray *in = e->w->pending[!e->server];

	if (in->len == 0) {
		gnutls_transport_set_errno(e->w->end[e->server], EAGAIN);
		return -1;
	}
	len = MIN(len, in->len);
	memcpy(data, in->data, len);
	g_byte_array_remove_range(in, 0, len);
	return (ssize_t)len;
}

static int
wire_pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms)
{
	struct end *e = ptr;

	(void)ms;
	return e->w->pending[!e->server]->len > 0;
}

/* One handshake step of a side not done; true when it is done. */
static bool
step(struct wire *w, bool server)
{
	int rc = gnutls_handshake(w->end[server]);

	if (rc == 0 || gnutls_error_is_fatal(rc)) {
		w->rc[server] = rc;
		/* GnuTLS leaves the alert to the application, as gnutls-serv
		 * and gnutls-cli send it. */
		if (rc < 0 && rc != GNUTLS_E_FATAL_ALERT_RECEIVED)
			gnutls_alert_send_appropriate(w->end[server], rc);
		return true;
	}
	return false;
}

/* Read want, sent as one record of application data. */
static void
recv_exactly(gnutls_session_t s, const char *want)
{
	char buf[256];
	ssize_t rc = GNUTLS_E_AGAIN;
	unsigned i;

	for (i = 0; i < 10 && rc == GNUTLS_E_AGAIN; i++)
		rc = gnutls_record_recv(s, buf, sizeof buf);
	g_assert_cmpint(rc, ==, (ssize_t)strlen(want));
	g_assert_cmpmem(buf, rc, want, strlen(want));
}

static void
recv_eof(gnutls_session_t s)
{
	char buf[256];
	ssize_t rc = GNUTLS_E_AGAIN;
	unsigned i;

	for (i = 0; i < 10 && rc == GNUTLS_E_AGAIN; i++)
		rc = gnutls_record_recv(s, buf, sizeof buf);
	g_assert_cmpint(rc, ==, 0);
}

/* A client with prio (SNI mx.example.com, ALPN smtp and x-relayscope)
 * meets a server with its own; when both complete, the client says EHLO,
 * the server answers, and each closes with close_notify.  The caller frees
 * the result with wire_free(). */
static struct wire *
converse(const char *client_prio, const char *server_prio)
{
	static const gnutls_datum_t alpn[] = { { (unsigned char *)"smtp", 4 },
		{ (unsigned char *)"x-relayscope", 12 } };
	struct wire *w = g_new0(struct wire, 1);
	struct end ends[2] = { { w, false }, { w, true } };
	bool done[2] = { false, false };
	unsigned i, k;

	pki_init();
	w->chunks = g_array_new(FALSE, FALSE, sizeof(struct chunk));
	for (k = 0; k < 2; k++) {
		w->pending[k] = g_byte_array_new();
		check_gnutls(
		    gnutls_init(&w->end[k], k ? GNUTLS_SERVER : GNUTLS_CLIENT),
		    "init");
		check_gnutls(gnutls_priority_set_direct(w->end[k],
				 k ? server_prio : client_prio, NULL),
		    "priority");
		check_gnutls(
		    gnutls_credentials_set(w->end[k], GNUTLS_CRD_CERTIFICATE,
			k ? pki.cred : pki.client_cred),
		    "credentials");
		gnutls_transport_set_ptr(w->end[k], &ends[k]);
		gnutls_transport_set_push_function(w->end[k], wire_push);
		gnutls_transport_set_pull_function(w->end[k], wire_pull);
		gnutls_transport_set_pull_timeout_function(
		    w->end[k], wire_pull_timeout);
	}
	check_gnutls(gnutls_server_name_set(
			 w->end[0], GNUTLS_NAME_DNS, "mx.example.com", 14),
	    "sni");
	check_gnutls(gnutls_alpn_set_protocols(w->end[0], alpn, 2, 0), "alpn");
	check_gnutls(gnutls_alpn_set_protocols(w->end[1], alpn, 1, 0), "alpn");
	for (i = 0; i < 50 && !(done[0] && done[1]); i++) {
		for (k = 0; k < 2; k++) {
			if (!done[k])
				done[k] = step(w, k);
		}
	}
	g_assert_true(done[0] && done[1]);
	if (w->rc[0] == 0 && w->rc[1] == 0) {
		g_assert_cmpint(
		    gnutls_record_send(w->end[0], EHLO, strlen(EHLO)), ==,
		    strlen(EHLO));
		recv_exactly(w->end[1], EHLO);
		g_assert_cmpint(
		    gnutls_record_send(w->end[1], REPLY, strlen(REPLY)), ==,
		    strlen(REPLY));
		recv_exactly(w->end[0], REPLY);
		check_gnutls(gnutls_bye(w->end[0], GNUTLS_SHUT_WR), "bye");
		recv_eof(w->end[1]);
		check_gnutls(gnutls_bye(w->end[1], GNUTLS_SHUT_WR), "bye");
		recv_eof(w->end[0]);
	}
	/* The sessions are done with the transport pointers on the stack. */
	for (k = 0; k < 2; k++) {
		gnutls_deinit(w->end[k]);
		w->end[k] = NULL;
	}
	return w;
}

static void
wire_free(struct wire *w)
{
	guint i;

	for (i = 0; i < w->chunks->len; i++)
		g_byte_array_unref(
		    g_array_index(w->chunks, struct chunk, i).bytes);
	g_array_free(w->chunks, TRUE);
	g_byte_array_unref(w->pending[0]);
	g_byte_array_unref(w->pending[1]);
	g_free(w);
}

/* All a direction sent (caller frees). */
static GByteArray *
wire_stream(const struct wire *w, bool from_server)
{
	GByteArray *all = g_byte_array_new();
	guint i;

	for (i = 0; i < w->chunks->len; i++) {
		const struct chunk *ch =
		    &g_array_index(w->chunks, struct chunk, i);

		if (ch->from_server == from_server)
			g_byte_array_append(
			    all, ch->bytes->data, ch->bytes->len);
	}
	return all;
}

/* Records of content type 23 in a direction's bytes, counted apart from
 * the parser (the stream is known good). */
static void
count_appdata(
    const struct wire *w, bool from_server, uint64_t *records, uint64_t *bytes)
{
	g_autoptr(GByteArray) s = wire_stream(w, from_server);
	size_t off = 0, len;

	*records = *bytes = 0;
	while (off + 5 <= s->len) {
		len = (size_t)s->data[off + 3] << 8 | s->data[off + 4];
		if (s->data[off] == 23) {
			(*records)++;
			*bytes += len;
		}
		off += 5 + len;
	}
	g_assert_cmpuint(off, ==, s->len);
}

static void
describe_side(GString *out, const char *name, const struct tls_side *s)
{
	unsigned i, j;

	g_string_append_printf(out,
	    "%s: not_tls %d malformed %d ccs %d enc_hs %d app_after %d "
	    "bytes %" G_GUINT64_FORMAT " records %" G_GUINT64_FORMAT
	    " app %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
	    " enc_alerts %u too_long %u bad %u chain %u/%u\n",
	    name, s->not_tls, s->malformed, s->ccs, s->encrypted_hs,
	    s->app_after_hello, s->bytes, s->records, s->app_records,
	    s->app_bytes, s->encrypted_alerts, s->hs_too_long, s->hs_bad,
	    s->chain.len, s->chain.total);
	for (i = 0; i < s->chain.len; i++) {
		const struct tls_cert *t = &s->chain.certs[i];

		g_string_append_printf(out,
		    "  cert %u: %zu %s %d [%s] [%s] %" G_GINT64_FORMAT
		    " %" G_GINT64_FORMAT,
		    i, t->der_len, t->sha256, t->unreadable,
		    t->subject ? t->subject : "-", t->issuer ? t->issuer : "-",
		    t->not_before, t->not_after);
		for (j = 0; j < t->n_dns; j++)
			g_string_append_printf(out, " DNS:%s", t->dns[j]);
		for (j = 0; j < t->n_ip; j++)
			g_string_append_printf(out, " IP:%s", t->ip[j]);
		g_string_append_printf(out, " +%u\n", t->sans_dropped);
	}
}

/* Everything the reader says, as text (caller frees). */
static char *
describe(const struct tls_info *in)
{
	GString *out = g_string_new(NULL);
	unsigned i;

	g_string_append_printf(out, "not_tls %d\n", in->not_tls);
	describe_side(out, "client", &in->client);
	describe_side(out, "server", &in->server);
	g_string_append_printf(
	    out, "ch %u %04x [", in->client_hellos, in->ch_version);
	for (i = 0; i < in->n_ch_versions; i++)
		g_string_append_printf(out, " %04x", in->ch_versions[i]);
	g_string_append_printf(out, " ] suites %u sni [%s] alpn [",
	    in->n_cipher_suites, in->sni ? in->sni : "-");
	for (i = 0; i < in->n_alpn; i++)
		g_string_append_printf(out, " %s", in->alpn[i]);
	g_string_append_printf(out,
	    " ]\nsh %d hrr %d %04x %04x %04x %s enc_cert %d\nalerts %u/%u "
	    "fatal %d:",
	    in->server_hello, in->hello_retry, in->sh_version, in->version,
	    in->cipher_suite,
	    in->cipher_suite_name ? in->cipher_suite_name : "-",
	    in->certificate_encrypted, in->n_alerts, in->alerts_total,
	    in->fatal_alert);
	for (i = 0; i < in->n_alerts; i++)
		g_string_append_printf(out, " %s:%u:%u",
		    in->alerts[i].from_server ? "S" : "C", in->alerts[i].level,
		    in->alerts[i].desc);
	g_string_append_printf(out, "\ncompleted %d\n", in->completed);
	return g_string_free(out, FALSE);
}

/* Upper bound of what a connection may hold: itself, a handshake message
 * per direction, and the strings kept (names and DNs are cut). */
static size_t
mem_bound(void)
{
	size_t cert = sizeof(struct tls_cert) + 2 * (TLS_DN_MAX + 32) +
		      2 * TLS_SAN_MAX * (TLS_NAME_MAX + 32);

	return 2 * (TLS_HS_MAX + 32) + 2 * TLS_CHAIN_MAX * cert +
	       (1 + TLS_ALPN_MAX) * (TLS_NAME_MAX + 32) + 4096;
}

/* Feed the conversation: each chunk whole (step 0), in pieces of step
 * bytes, or (step SIZE_MAX) in pieces of random sizes.  The description,
 * and the connection if keep is given (caller frees). */
static char *
feed(const GArray *chunks, size_t step, struct tls_conn **keep)
{
	struct tls_conn *c = tls_conn_new();
	char *out;
	guint i;
	size_t off, k, r;

	for (i = 0; i < chunks->len; i++) {
		const struct chunk *ch =
		    &g_array_index(chunks, struct chunk, i);

		for (off = 0; off < ch->bytes->len; off += k) {
			k = ch->bytes->len - off;
			r = (size_t)g_test_rand_int_range(1, 600);
			if (step == SIZE_MAX)
				k = MIN(k, r);
			else if (step > 0)
				k = MIN(k, step);
			tls_conn_push(
			    c, ch->from_server, ch->bytes->data + off, k);
			g_assert_cmpuint(tls_conn_mem(c), <=, mem_bound());
		}
	}
	out = describe(tls_conn_info(c));
	if (keep != NULL)
		*keep = c;
	else
		tls_conn_free(c);
	return out;
}

/* Fed whole, the connection (caller frees); fed a byte at a time, in 7-byte
 * pieces and at random, the same description. */
static struct tls_conn *
feed_all_ways(const struct wire *w)
{
	static const size_t steps[] = { 1, 7, SIZE_MAX };
	struct tls_conn *c = NULL;
	g_autofree char *whole = feed(w->chunks, 0, &c);
	size_t i;

	g_test_message("%s", whole);
	for (i = 0; i < G_N_ELEMENTS(steps); i++) {
		g_autofree char *got = feed(w->chunks, steps[i], NULL);

		g_assert_cmpstr(got, ==, whole);
	}
	return c;
}

static void
assert_cert(const struct tls_cert *t, unsigned i)
{
	g_autofree char *sha = g_compute_checksum_for_data(
	    G_CHECKSUM_SHA256, pki.der[i].data, pki.der[i].size);

	g_assert_false(t->unreadable);
	g_assert_cmpuint(t->der_len, ==, pki.der[i].size);
	g_assert_cmpstr(t->sha256, ==, sha);
	g_assert_cmpint(t->not_before, ==, NOT_BEFORE);
	g_assert_cmpint(t->not_after, ==, NOT_AFTER);
	g_assert_cmpuint(t->sans_dropped, ==, 0);
	if (i == 1) {
		g_assert_cmpstr(t->subject, ==, CA_DN);
		g_assert_cmpstr(t->issuer, ==, ROOT_DN);
		g_assert_cmpuint(t->n_dns, ==, 0);
		g_assert_cmpuint(t->n_ip, ==, 0);
		return;
	}
	g_assert_cmpstr(t->subject, ==, LEAF_DN);
	g_assert_cmpstr(t->issuer, ==, CA_DN);
	g_assert_cmpuint(t->n_dns, ==, 2);
	g_assert_cmpstr(t->dns[0], ==, "mx.example.com");
	g_assert_cmpstr(t->dns[1], ==, "smtp.example.com");
	g_assert_cmpuint(t->n_ip, ==, 2);
	g_assert_cmpstr(t->ip[0], ==, "192.0.2.25");
	g_assert_cmpstr(t->ip[1], ==, "2001:db8::25");
}

/* What the client offers whatever the version. */
static void
assert_client_hello(const struct tls_info *in)
{
	g_assert_cmpuint(in->ch_version, ==, TLS_VERSION_1_2);
	g_assert_cmpstr(in->sni, ==, "mx.example.com");
	g_assert_cmpuint(in->n_alpn, ==, 2);
	g_assert_cmpstr(in->alpn[0], ==, "smtp");
	g_assert_cmpstr(in->alpn[1], ==, "x-relayscope");
}

static void
assert_appdata(const struct wire *w, const struct tls_info *in)
{
	uint64_t records, bytes;

	count_appdata(w, false, &records, &bytes);
	g_assert_cmpuint(in->client.app_records, ==, records);
	g_assert_cmpuint(in->client.app_bytes, ==, bytes);
	count_appdata(w, true, &records, &bytes);
	g_assert_cmpuint(in->server.app_records, ==, records);
	g_assert_cmpuint(in->server.app_bytes, ==, bytes);
}

static void
test_tls12(void)
{
	struct wire *w;
	struct tls_conn *c;
	const struct tls_info *in;
	g_autoptr(GByteArray) cs = NULL;
	g_autoptr(GByteArray) ss = NULL;

	g_test_summary("TLS 1.2 by GnuTLS: the ClientHello's SNI, ALPN and "
		       "suites, the suite chosen, both certificates of the "
		       "chain, encrypted close_notify alerts, completion and "
		       "the application data, however the bytes are split");
	w = converse(PRIO_12, PRIO_12);
	g_assert_cmpint(w->rc[0], ==, 0);
	g_assert_cmpint(w->rc[1], ==, 0);
	c = feed_all_ways(w);
	in = tls_conn_info(c);
	cs = wire_stream(w, false);
	ss = wire_stream(w, true);
	g_assert_false(in->not_tls);
	g_assert_cmpuint(in->client.bytes, ==, cs->len);
	g_assert_cmpuint(in->server.bytes, ==, ss->len);
	g_assert_cmpuint(in->client_hellos, ==, 1);
	assert_client_hello(in);
	g_assert_cmpuint(in->n_ch_versions, ==, 1);
	g_assert_cmpuint(in->ch_versions[0], ==, TLS_VERSION_1_2);
	g_assert_cmpuint(in->n_cipher_suites, ==, 1);
	g_assert_true(in->server_hello);
	g_assert_false(in->hello_retry);
	g_assert_cmpuint(in->version, ==, TLS_VERSION_1_2);
	g_assert_cmpuint(in->sh_version, ==, TLS_VERSION_1_2);
	g_assert_cmpuint(in->cipher_suite, ==, 0xc02b);
	g_assert_cmpstr(
	    in->cipher_suite_name, ==, "TLS_ECDHE_ECDSA_AES_128_GCM_SHA256");
	g_assert_false(in->certificate_encrypted);
	g_assert_cmpuint(in->server.chain.total, ==, 2);
	g_assert_cmpuint(in->server.chain.len, ==, 2);
	assert_cert(&in->server.chain.certs[0], 0);
	assert_cert(&in->server.chain.certs[1], 1);
	g_assert_cmpuint(in->client.chain.total, ==, 0);
	g_assert_cmpuint(in->alerts_total, ==, 0);
	g_assert_false(in->fatal_alert);
	g_assert_true(in->client.ccs && in->server.ccs);
	g_assert_true(in->client.encrypted_hs && in->server.encrypted_hs);
	g_assert_cmpuint(in->client.encrypted_alerts, ==, 1);
	g_assert_cmpuint(in->server.encrypted_alerts, ==, 1);
	/* AES-128-GCM: an 8-byte explicit nonce and a 16-byte tag. */
	g_assert_cmpuint(in->client.app_records, ==, 1);
	g_assert_cmpuint(in->client.app_bytes, ==, strlen(EHLO) + 24);
	g_assert_cmpuint(in->server.app_records, ==, 1);
	g_assert_cmpuint(in->server.app_bytes, ==, strlen(REPLY) + 24);
	g_assert_cmpuint(in->client.hs_bad + in->server.hs_bad, ==, 0);
	g_assert_true(in->completed);
	tls_conn_free(c);
	wire_free(w);
}

static void
test_tls13(void)
{
	struct wire *w;
	struct tls_conn *c;
	const struct tls_info *in;

	g_test_summary("TLS 1.3 by GnuTLS: supported_versions offered and "
		       "chosen, the suite, certificates encrypted, completion "
		       "by application data from both sides");
	w = converse(PRIO_13, PRIO_13);
	g_assert_cmpint(w->rc[0], ==, 0);
	g_assert_cmpint(w->rc[1], ==, 0);
	c = feed_all_ways(w);
	in = tls_conn_info(c);
	g_assert_false(in->not_tls);
	g_assert_cmpuint(in->client_hellos, ==, 1);
	assert_client_hello(in);
	g_assert_cmpuint(in->n_ch_versions, ==, 1);
	g_assert_cmpuint(in->ch_versions[0], ==, TLS_VERSION_1_3);
	g_assert_cmpuint(in->n_cipher_suites, ==, 1);
	g_assert_true(in->server_hello);
	g_assert_false(in->hello_retry);
	g_assert_cmpuint(in->sh_version, ==, TLS_VERSION_1_2);
	g_assert_cmpuint(in->version, ==, TLS_VERSION_1_3);
	g_assert_cmpuint(in->cipher_suite, ==, 0x1301);
	g_assert_cmpstr(in->cipher_suite_name, ==, "TLS_AES_128_GCM_SHA256");
	g_assert_true(in->certificate_encrypted);
	g_assert_cmpuint(in->server.chain.total, ==, 0);
	g_assert_cmpuint(in->alerts_total, ==, 0);
	g_assert_cmpuint(in->client.encrypted_alerts, ==, 0);
	g_assert_true(in->client.app_after_hello && in->server.app_after_hello);
	assert_appdata(w, in);
	g_assert_true(in->completed);
	tls_conn_free(c);
	wire_free(w);
}

static void
test_hello_retry(void)
{
	struct wire *w;
	struct tls_conn *c;
	const struct tls_info *in;

	g_test_summary("a server that wants another key share sends a "
		       "HelloRetryRequest: noticed, the second ClientHello "
		       "counted, the real ServerHello read");
	w = converse(PRIO_13 ":-GROUP-ALL:+GROUP-SECP256R1:+GROUP-SECP384R1",
	    PRIO_13 ":-GROUP-ALL:+GROUP-SECP384R1");
	g_assert_cmpint(w->rc[0], ==, 0);
	g_assert_cmpint(w->rc[1], ==, 0);
	c = feed_all_ways(w);
	in = tls_conn_info(c);
	g_assert_true(in->hello_retry);
	g_assert_cmpuint(in->client_hellos, ==, 2);
	assert_client_hello(in);
	g_assert_true(in->server_hello);
	g_assert_cmpuint(in->version, ==, TLS_VERSION_1_3);
	g_assert_cmpuint(in->cipher_suite, ==, 0x1301);
	assert_appdata(w, in);
	g_assert_true(in->completed);
	tls_conn_free(c);
	wire_free(w);
}

/* A handshake the server refused at once: one ClientHello offering
 * version, one fatal alert desc from the server, nothing else. */
static void
assert_refused(
    const char *client_prio, uint16_t version, unsigned desc, const char *name)
{
	struct wire *w = converse(client_prio, PRIO_13);
	struct tls_conn *c;
	const struct tls_info *in;

	g_assert_cmpint(w->rc[0], ==, GNUTLS_E_FATAL_ALERT_RECEIVED);
	g_assert_cmpint(w->rc[1], <, 0);
	c = feed_all_ways(w);
	in = tls_conn_info(c);
	g_assert_false(in->not_tls);
	g_assert_cmpuint(in->client_hellos, ==, 1);
	g_assert_cmpuint(in->ch_version, ==, version);
	g_assert_cmpuint(in->n_ch_versions, ==, 1);
	g_assert_cmpuint(in->ch_versions[0], ==, version);
	g_assert_false(in->server_hello);
	g_assert_cmpuint(in->n_alerts, ==, 1);
	g_assert_cmpuint(in->alerts_total, ==, 1);
	g_assert_true(in->alerts[0].from_server);
	g_assert_cmpuint(in->alerts[0].level, ==, TLS_ALERT_FATAL);
	g_assert_cmpuint(in->alerts[0].desc, ==, desc);
	g_assert_cmpstr(tls_alert_name(in->alerts[0].desc), ==, name);
	g_assert_true(in->fatal_alert);
	g_assert_cmpuint(in->server.records, ==, 1);
	g_assert_cmpuint(in->client.records, ==, 1);
	g_assert_false(in->completed);
	tls_conn_free(c);
	wire_free(w);
}

static void
test_version_refused(void)
{
	g_test_summary("a client offering only TLS 1.1 to a server that "
		       "requires 1.3: the server's protocol_version alert, no "
		       "ServerHello, not completed");
	assert_refused(
	    "NORMAL:-VERS-ALL:+VERS-TLS1.1", 0x0302, 70, "protocol_version");
}

static void
test_no_common_suite(void)
{
	g_test_summary("a client offering only TLS 1.2 to a server that "
		       "requires 1.3: GnuTLS goes on in 1.2 (it keeps 1.2 "
		       "when its own maximum is higher) and finds no suite, so "
		       "the alert is handshake_failure");
	assert_refused(PRIO_12, TLS_VERSION_1_2, 40, "handshake_failure");
}

/* The first record a client sent in a conversation (caller frees). */
static GByteArray *
first_client_record(void)
{
	struct wire *w = converse(PRIO_13, PRIO_13);
	GByteArray *cs = wire_stream(w, false);
	size_t len = (size_t)cs->data[3] << 8 | cs->data[4];

	g_byte_array_set_size(cs, 5 + len);
	wire_free(w);
	return cs;
}

static void chunks_free(GArray *chunks);

/* The conversation with each run of clear handshake records a side sent
 * in a row (before its ChangeCipherSpec) framed again into records of size
 * bytes, in one chunk (caller frees). */
static GArray *
reframe(const GArray *chunks, size_t size)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(struct chunk));
	GByteArray *run = g_byte_array_new();
	bool ccs[2] = { false, false }, run_dir = false;
	guint i;
	size_t off, len, k;

	for (i = 0; i <= chunks->len; i++) {
		const struct chunk *ch =
		    i < chunks->len ? &g_array_index(chunks, struct chunk, i)
				    : NULL;
		bool hs = ch != NULL && !ccs[ch->from_server];
		struct chunk copy;

		for (off = 0; hs && off + 5 <= ch->bytes->len; off += 5 + len) {
			len = (size_t)ch->bytes->data[off + 3] << 8 |
			      ch->bytes->data[off + 4];
			if (ch->bytes->data[off] != 22)
				hs = false;
		}
		if (run->len > 0 && (!hs || ch->from_server != run_dir)) {
			copy.from_server = run_dir;
			copy.bytes = g_byte_array_new();
			for (off = 0; off < run->len; off += k) {
				uint8_t h[5] = { 22, 3, 3 };

				k = MIN(size, run->len - off);
				h[3] = k >> 8;
				h[4] = k & 0xff;
				g_byte_array_append(copy.bytes, h, 5);
				g_byte_array_append(
				    copy.bytes, run->data + off, k);
			}
			g_array_append_val(out, copy);
			g_byte_array_set_size(run, 0);
		}
		if (ch == NULL)
			break;
		if (hs) {
			for (off = 0; off + 5 <= ch->bytes->len;
			     off += 5 + len) {
				len = (size_t)ch->bytes->data[off + 3] << 8 |
				      ch->bytes->data[off + 4];
				g_byte_array_append(
				    run, ch->bytes->data + off + 5, len);
			}
			run_dir = ch->from_server;
			continue;
		}
		if (ch->bytes->len > 0 && ch->bytes->data[0] == 20)
			ccs[ch->from_server] = true;
		copy.from_server = ch->from_server;
		copy.bytes = g_byte_array_new();
		g_byte_array_append(
		    copy.bytes, ch->bytes->data, ch->bytes->len);
		g_array_append_val(out, copy);
	}
	g_byte_array_unref(run);
	return out;
}

/* A description without the record counts (caller frees). */
static char *
without_records(const char *desc)
{
	g_autoptr(GRegex) re =
	    g_regex_new(" (bytes|records) [0-9]+", 0, 0, NULL);

	return g_regex_replace_literal(re, desc, -1, 0, "", 0, NULL);
}

static void
test_reframed(void)
{
	static const size_t sizes[] = { 1, 3, 7, 100, 16384 };
	const char *prio[] = { PRIO_12, PRIO_13 };
	unsigned i, k;

	g_test_summary("handshake messages framed into records any way (a "
		       "byte a record, several messages in one record as "
		       "OpenSSL sends its flights) read the same");
	for (i = 0; i < G_N_ELEMENTS(prio); i++) {
		struct wire *w = converse(prio[i], prio[i]);
		g_autofree char *d = feed(w->chunks, 0, NULL);
		g_autofree char *want = without_records(d);

		for (k = 0; k < G_N_ELEMENTS(sizes); k++) {
			GArray *m = reframe(w->chunks, sizes[k]);
			g_autofree char *got = feed(m, 0, NULL);
			g_autofree char *got_bytes = feed(m, 1, NULL);
			g_autofree char *cut = without_records(got);

			g_assert_cmpstr(cut, ==, want);
			g_assert_cmpstr(got_bytes, ==, got);
			chunks_free(m);
		}
		wire_free(w);
	}
}

#define BYTES(s) (const uint8_t *)(s), sizeof(s) - 1

static void
test_sniff(void)
{
	/* Byte strings, and the length from which the sniffer can tell they
	 * are no ClientHello (0: at once). */
	static const struct {
		const uint8_t *p;
		size_t n, told;
	} others[] = {
		{ BYTES("EHLO client.example.org\r\n"), 0 },
		{ BYTES("HELO x\r\n"), 0 },
		{ BYTES("STARTTLS\r\n"), 0 },
		{ BYTES("220 mx.example.com ESMTP\r\n"), 0 },
		{ BYTES("QUIT\r\n"), 0 },
		/* A ServerHello record, an alert, an SSLv2 ClientHello. */
		{ BYTES("\x16\x03\x03\x00\x50\x02\x00\x00\x4c\x03\x03"), 0 },
		{ BYTES("\x15\x03\x03\x00\x02\x02\x46"), 0 },
		{ BYTES("\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10"), 0 },
		/* A ClientHello too short to be one, one of version 4.1. */
		{ BYTES("\x16\x03\x01\x00\x30\x01\x00\x00\x10\x03\x03"), 9 },
		{ BYTES("\x16\x03\x01\x00\x30\x01\x00\x00\x2c\x04\x01"), 10 },
	};
	g_autoptr(GByteArray) ch = first_client_record();
	size_t n, i;

	g_test_summary("every prefix of 6 bytes or more of a real ClientHello "
		       "record passes; SMTP text, a ServerHello, an alert and "
		       "an SSLv2 hello do not, nor fewer than 6 bytes");
	for (n = 0; n <= ch->len; n++)
		g_assert_true(tls_sniff_client_hello(ch->data, n) == (n >= 6));
	for (i = 0; i < G_N_ELEMENTS(others); i++) {
		for (n = 0; n <= others[i].n; n++)
			g_assert_true(tls_sniff_client_hello(others[i].p, n) ==
				      (n >= 6 && n < others[i].told));
	}
}

static void
test_not_tls(void)
{
	struct tls_conn *c = tls_conn_new();
	const struct tls_info *in = tls_conn_info(c);

	g_test_summary("STARTTLS, then plaintext: each direction's first byte "
		       "tells it is no TLS, and nothing more is read of it");
	tls_conn_push(c, true, (const uint8_t *)"2", 1);
	g_assert_true(in->server.not_tls);
	g_assert_true(in->not_tls);
	g_assert_false(in->client.not_tls);
	tls_conn_push(c, false, (const uint8_t *)"EHLO x\r\n", 8);
	g_assert_true(in->client.not_tls);
	tls_conn_push(c, true, (const uint8_t *)"\x16\x03\x03\x00\x01\x01", 6);
	g_assert_cmpuint(in->server.records, ==, 0);
	g_assert_cmpuint(in->server.bytes, ==, 7);
	g_assert_false(in->completed);
	tls_conn_free(c);

	/* A first record that is not a handshake, an overlong one. */
	c = tls_conn_new();
	in = tls_conn_info(c);
	tls_conn_push(c, false, (const uint8_t *)"\x17\x03\x03", 3);
	g_assert_true(in->client.not_tls);
	tls_conn_push(c, true, (const uint8_t *)"\x16\x03\x03\x48\x01", 5);
	g_assert_true(in->server.not_tls);
	tls_conn_free(c);
}

static void
test_malformed(void)
{
	g_autoptr(GByteArray) ch = first_client_record();
	struct tls_conn *c = tls_conn_new();
	const struct tls_info *in = tls_conn_info(c);

	g_test_summary("after a good record, a header that is no TLS stops "
		       "the direction as malformed; what was read stays");
	tls_conn_push(c, false, ch->data, ch->len);
	tls_conn_push(c, false, (const uint8_t *)"\x63\x03\x03\x00\x01", 5);
	g_assert_true(in->client.malformed);
	g_assert_false(in->client.not_tls);
	g_assert_false(in->not_tls);
	g_assert_cmpstr(in->sni, ==, "mx.example.com");
	tls_conn_push(c, false, ch->data, ch->len);
	g_assert_cmpuint(in->client.records, ==, 1);
	g_assert_cmpuint(in->client_hellos, ==, 1);
	tls_conn_free(c);
}

/* Records of content type 22 carrying body (of len bytes) as one
 * handshake message of type, split at 16384 bytes a record. */
static GByteArray *
hs_records(uint8_t type, const uint8_t *body, size_t len, size_t claimed)
{
	GByteArray *msg = g_byte_array_new(), *out = g_byte_array_new();
	uint8_t h[5] = { type, claimed >> 16, claimed >> 8, claimed };
	size_t off, k;

	g_byte_array_append(msg, h, 4);
	g_byte_array_append(msg, body, len);
	for (off = 0; off < msg->len; off += k) {
		k = MIN(16384, msg->len - off);
		h[0] = 22;
		h[1] = 3;
		h[2] = 3;
		h[3] = k >> 8;
		h[4] = k;
		g_byte_array_append(out, h, 5);
		g_byte_array_append(out, msg->data + off, k);
	}
	g_byte_array_unref(msg);
	return out;
}

static void
test_limits(void)
{
	g_autoptr(GByteArray) ch = first_client_record();
	g_autofree uint8_t *junk = g_malloc(TLS_HS_MAX + 1);
	g_autoptr(GByteArray) big = NULL;
	g_autoptr(GByteArray) max = NULL;
	g_autofree char *sha = NULL;
	struct tls_conn *c;
	const struct tls_info *in;
	size_t i, base;

	g_test_summary(
	    "a handshake message over TLS_HS_MAX is skipped and "
	    "counted, held nowhere, and the next one is read; one of "
	    "exactly TLS_HS_MAX is read, and its memory given back");
	for (i = 0; i < TLS_HS_MAX + 1; i++)
		junk[i] = (uint8_t)(i * 7);
	c = tls_conn_new();
	in = tls_conn_info(c);
	base = tls_conn_mem(c);
	big = hs_records(1, junk, TLS_HS_MAX + 1, TLS_HS_MAX + 1);
	for (i = 0; i < big->len; i++) {
		tls_conn_push(c, false, big->data + i, 1);
		g_assert_cmpuint(tls_conn_mem(c), ==, base);
	}
	g_assert_cmpuint(in->client.hs_too_long, ==, 1);
	g_assert_cmpuint(in->client_hellos, ==, 0);
	tls_conn_push(c, false, ch->data, ch->len);
	g_assert_cmpuint(in->client_hellos, ==, 1);
	g_assert_cmpstr(in->sni, ==, "mx.example.com");
	g_assert_false(in->client.malformed);

	/* A Certificate message of TLS_HS_MAX bytes: one certificate of
	 * junk, unreadable, with its fingerprint. */
	junk[0] = (TLS_HS_MAX - 3) >> 16;
	junk[1] = (TLS_HS_MAX - 3) >> 8;
	junk[2] = (TLS_HS_MAX - 3) & 0xff;
	junk[3] = (TLS_HS_MAX - 6) >> 16;
	junk[4] = (TLS_HS_MAX - 6) >> 8;
	junk[5] = (TLS_HS_MAX - 6) & 0xff;
	max = hs_records(11, junk, TLS_HS_MAX, TLS_HS_MAX);
	base = tls_conn_mem(c);
	tls_conn_push(c, true, max->data, max->len - 1);
	g_assert_cmpuint(tls_conn_mem(c), ==, base + budget_bytes(TLS_HS_MAX));
	tls_conn_push(c, true, max->data + max->len - 1, 1);
	g_assert_cmpuint(in->server.hs_too_long, ==, 0);
	g_assert_cmpuint(in->server.hs_bad, ==, 0);
	g_assert_cmpuint(in->server.chain.total, ==, 1);
	g_assert_true(in->server.chain.certs[0].unreadable);
	g_assert_cmpuint(in->server.chain.certs[0].der_len, ==, TLS_HS_MAX - 6);
	sha = g_compute_checksum_for_data(
	    G_CHECKSUM_SHA256, junk + 6, TLS_HS_MAX - 6);
	g_assert_cmpstr(in->server.chain.certs[0].sha256, ==, sha);
	g_assert_null(in->server.chain.certs[0].subject);
	g_assert_cmpuint(tls_conn_mem(c), <, base + 1024);
	tls_conn_free(c);
}

/* Append a 16-bit big-endian value. */
static void
put16(GByteArray *b, unsigned v)
{
	uint8_t x[2] = { v >> 8, v & 0xff };

	g_byte_array_append(b, x, 2);
}

static void
test_crafted_hello(void)
{
	GByteArray *body = g_byte_array_new(), *ext = g_byte_array_new();
	g_autoptr(GByteArray) rec = NULL;
	g_autofree char *name = g_strnfill(300, 'a');
	static const uint8_t zero[32] = { 0 };
	struct tls_conn *c;
	const struct tls_info *in;
	unsigned i;

	g_test_summary("what no GnuTLS peer sends: GREASE suites and versions "
		       "left out, a server name cut at TLS_NAME_MAX, ALPN "
		       "names past TLS_ALPN_MAX dropped; no extensions at all");
	put16(body, TLS_VERSION_1_2);
	g_byte_array_append(body, zero, 32);
	g_byte_array_append(body, (const uint8_t *)"\0", 1);
	put16(body, 6);
	put16(body, 0x0a0a);
	put16(body, 0x1301);
	put16(body, 0x1302);
	g_byte_array_append(body, (const uint8_t *)"\1\0", 2);
	/* supported_versions: GREASE, 1.3, 1.2. */
	put16(ext, 43);
	put16(ext, 7);
	g_byte_array_append(ext, (const uint8_t *)"\6", 1);
	put16(ext, 0x4a4a);
	put16(ext, TLS_VERSION_1_3);
	put16(ext, TLS_VERSION_1_2);
	/* server_name: one host_name of 300 bytes. */
	put16(ext, 0);
	put16(ext, 300 + 5);
	put16(ext, 300 + 3);
	g_byte_array_append(ext, (const uint8_t *)"\0", 1);
	put16(ext, 300);
	g_byte_array_append(ext, (const uint8_t *)name, 300);
	/* ALPN: ten protocols "p0" .. "p9". */
	put16(ext, 16);
	put16(ext, 2 + 10 * 3);
	put16(ext, 10 * 3);
	for (i = 0; i < 10; i++) {
		uint8_t p[3] = { 2, 'p', '0' + i };

		g_byte_array_append(ext, p, 3);
	}
	put16(body, ext->len);
	g_byte_array_append(body, ext->data, ext->len);
	rec = hs_records(1, body->data, body->len, body->len);
	c = tls_conn_new();
	in = tls_conn_info(c);
	tls_conn_push(c, false, rec->data, rec->len);
	g_assert_cmpuint(in->client.hs_bad, ==, 0);
	g_assert_cmpuint(in->n_cipher_suites, ==, 2);
	g_assert_cmpuint(in->n_ch_versions, ==, 2);
	g_assert_cmpuint(in->ch_versions[0], ==, TLS_VERSION_1_3);
	g_assert_cmpuint(in->ch_versions[1], ==, TLS_VERSION_1_2);
	g_assert_cmpuint(strlen(in->sni), ==, TLS_NAME_MAX);
	g_assert_cmpuint(in->n_alpn, ==, TLS_ALPN_MAX);
	g_assert_cmpstr(in->alpn[TLS_ALPN_MAX - 1], ==, "p7");
	tls_conn_free(c);

	/* The same without extensions (allowed before TLS 1.3). */
	g_byte_array_set_size(body, 32 + 2 + 1 + 8 + 2);
	g_byte_array_unref(rec);
	rec = hs_records(1, body->data, body->len, body->len);
	c = tls_conn_new();
	in = tls_conn_info(c);
	tls_conn_push(c, false, rec->data, rec->len);
	g_assert_cmpuint(in->client.hs_bad, ==, 0);
	g_assert_cmpuint(in->n_cipher_suites, ==, 2);
	g_assert_cmpuint(in->n_ch_versions, ==, 1);
	g_assert_cmpuint(in->ch_versions[0], ==, TLS_VERSION_1_2);
	g_assert_null(in->sni);
	tls_conn_free(c);
	g_byte_array_unref(body);
	g_byte_array_unref(ext);
}

static void
test_names(void)
{
	g_test_summary("alert, version and cipher suite names");
	g_assert_cmpstr(tls_alert_name(0), ==, "close_notify");
	g_assert_cmpstr(tls_alert_name(40), ==, "handshake_failure");
	g_assert_cmpstr(tls_alert_name(42), ==, "bad_certificate");
	g_assert_cmpstr(tls_alert_name(70), ==, "protocol_version");
	g_assert_cmpstr(tls_alert_name(120), ==, "no_application_protocol");
	g_assert_null(tls_alert_name(255));
	g_assert_cmpstr(tls_version_name(0x0300), ==, "SSL3.0");
	g_assert_cmpstr(tls_version_name(0x0303), ==, "TLS1.2");
	g_assert_cmpstr(tls_version_name(0x0304), ==, "TLS1.3");
	g_assert_null(tls_version_name(0x0305));
	g_assert_null(tls_version_name(0x7f1c));
	g_assert_cmpstr(
	    tls_cipher_suite_name(0x1302), ==, "TLS_AES_256_GCM_SHA384");
	g_assert_cmpstr(tls_cipher_suite_name(0xc02f), ==,
	    "TLS_ECDHE_RSA_AES_128_GCM_SHA256");
	g_assert_null(tls_cipher_suite_name(0x0a0a));
}

/* A copy of chunks, mutated: bytes flipped, chunks cut, random bytes put
 * in, chunks dropped or repeated (caller frees). */
static GArray *
mutate(const GArray *chunks)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(struct chunk));
	guint i, j, k, n;

	for (i = 0; i < chunks->len; i++) {
		const struct chunk *in =
		    &g_array_index(chunks, struct chunk, i);
		struct chunk ch = { in->from_server, g_byte_array_new() };
		guint op = g_test_rand_int_range(0, 12), len = in->bytes->len;

		g_byte_array_append(ch.bytes, in->bytes->data, len);
		switch (op) {
		case 0: /* flip a few bytes */
		case 1:
			n = g_test_rand_int_range(1, 8);
			for (j = 0; j < n && len > 0; j++)
				ch.bytes->data[g_test_rand_int_range(0, len)] ^=
				    (uint8_t)g_test_rand_int_range(1, 256);
			break;
		case 2: /* cut */
			if (len > 0)
				g_byte_array_set_size(
				    ch.bytes, g_test_rand_int_range(0, len));
			break;
		case 3: /* random bytes inside */
			n = g_test_rand_int_range(1, 64);
			k = g_test_rand_int_range(0, len + 1);
			g_byte_array_set_size(ch.bytes, len + n);
			memmove(ch.bytes->data + k + n, ch.bytes->data + k,
			    len - k);
			for (j = 0; j < n; j++)
				ch.bytes->data[k + j] =
				    (uint8_t)g_test_rand_int_range(0, 256);
			break;
		case 4: /* dropped */
			g_byte_array_set_size(ch.bytes, 0);
			break;
		case 5: /* repeated */
			g_byte_array_append(ch.bytes, in->bytes->data, len);
			break;
		case 6: /* a length byte made large */
			if (len > 4)
				ch.bytes->data[g_test_rand_int_range(0, len)] =
				    0xff;
			break;
		default:
			break;
		}
		g_array_append_val(out, ch);
	}
	return out;
}

static void
chunks_free(GArray *chunks)
{
	guint i;

	for (i = 0; i < chunks->len; i++)
		g_byte_array_unref(
		    g_array_index(chunks, struct chunk, i).bytes);
	g_array_free(chunks, TRUE);
}

static void
test_mutations(void)
{
	struct wire *w[4];
	unsigned i, k, rounds = g_test_thorough() ? 5000 : 400;

	g_test_summary("mutated real handshakes (bytes flipped, cut, inserted, "
		       "records dropped or repeated) never crash, stay within "
		       "the memory bound and give the same result however "
		       "split");
	w[0] = converse(PRIO_12, PRIO_12);
	w[1] = converse(PRIO_13, PRIO_13);
	w[2] = converse("NORMAL:-VERS-ALL:+VERS-TLS1.1", PRIO_13);
	w[3] = converse(PRIO_13 ":-GROUP-ALL:+GROUP-SECP256R1:+GROUP-SECP384R1",
	    PRIO_13 ":-GROUP-ALL:+GROUP-SECP384R1");
	for (i = 0; i < rounds; i++) {
		for (k = 0; k < G_N_ELEMENTS(w); k++) {
			GArray *m = mutate(w[k]->chunks);
			g_autofree char *whole = feed(m, 0, NULL);
			g_autofree char *bytes = feed(m, 1, NULL);
			g_autofree char *random = feed(m, SIZE_MAX, NULL);

			g_assert_cmpstr(bytes, ==, whole);
			g_assert_cmpstr(random, ==, whole);
			chunks_free(m);
		}
	}
	for (k = 0; k < G_N_ELEMENTS(w); k++)
		wire_free(w[k]);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	budget_init(SIZE_MAX);
	g_test_add_func("/tls/handshake/tls12", test_tls12);
	g_test_add_func("/tls/handshake/tls13", test_tls13);
	g_test_add_func("/tls/handshake/hello-retry", test_hello_retry);
	g_test_add_func("/tls/handshake/version-refused", test_version_refused);
	g_test_add_func("/tls/handshake/no-common-suite", test_no_common_suite);
	g_test_add_func("/tls/sniff", test_sniff);
	g_test_add_func("/tls/not-tls", test_not_tls);
	g_test_add_func("/tls/malformed", test_malformed);
	g_test_add_func("/tls/limits", test_limits);
	g_test_add_func("/tls/reframed", test_reframed);
	g_test_add_func("/tls/crafted-hello", test_crafted_hello);
	g_test_add_func("/tls/names", test_names);
	g_test_add_func("/tls/mutations", test_mutations);
	return g_test_run();
}
