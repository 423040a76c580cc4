/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dlg_codec.c: a dialogue as bytes and back (dlg_codec.h).
 *
 * Items are written once, in the dialogue's list; every other pointer to
 * an item (banner, helo, a transaction's MAIL, a recipient's RCPT, the
 * message's first and last command, AUTH) is written as its index in that
 * list, and an item's transaction as the transaction's index.  Strings
 * the model keeps as static text (severities, evidence names, refusal
 * causes, DNS sources, the trust inferred) come back as interned strings,
 * equal in every byte.  Integers are LEB128 varints, signed ones
 * zigzagged; a string is its length plus one (0: NULL), then its bytes. */
#include <string.h>

#include <gio/gio.h>

#include "budget.h"
#include "dlg_codec.h"
#include "mime.h"
#include "dns.h"
#include "helo_check.h"
#include "proxy.h"
#include "relay.h"
#include "smtp_reply.h"
#include "tls.h"

/* No index: a NULL pointer. */
#define NO_INDEX 0

/* Bounds a decoder believes, beyond which the bytes are not a dialogue
 * (each one far above what the model can hold: dialogue.h, tls.h). */
#define COUNT_MAX (1u << 24)

/* A pointer and its index + 1, sorted by pointer to be searched. */
struct ref {
	const void *p;
	guint index;
};

/* The encoding is built in a buffer of its own, appended to the caller's
 * at the end: a varint costs a few stores, not a call to GLib (-j N's
 * workers encode every session). */
struct enc {
	uint8_t *p;
	size_t len, cap;
	struct ref *items, *txs; /* of the dialogue, sorted */
	guint n_items, n_txs;
};

/* The reader's error sticks (one place, for a breakpoint). */
static void
reader_fail(struct dlg_reader *r)
{
	r->err = true;
}

void
dlg_codec_put_u64(GByteArray *out, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;

	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			b[n] |= 0x80;
		n++;
	} while (v != 0);
	g_byte_array_append(out, b, (guint)n);
}

void
dlg_codec_put_i64(GByteArray *out, int64_t v)
{
	/* Zigzag: small magnitudes of either sign take few bytes. */
	dlg_codec_put_u64(out, ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0));
}

void
dlg_codec_put_bytes(GByteArray *out, const void *p, size_t len)
{
	if (p == NULL) {
		dlg_codec_put_u64(out, 0);
		return;
	}
	dlg_codec_put_u64(out, (uint64_t)len + 1);
	g_byte_array_append(out, p, (guint)len);
}

uint64_t
dlg_codec_get_u64(struct dlg_reader *r)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (!r->err) {
		uint8_t b;

		if (r->n == 0 || shift > 63) {
			reader_fail(r);
			break;
		}
		b = *r->p++;
		r->n--;
		v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			return v;
		shift += 7;
	}
	return 0;
}

int64_t
dlg_codec_get_i64(struct dlg_reader *r)
{
	uint64_t u = dlg_codec_get_u64(r);

	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

const uint8_t *
dlg_codec_get_bytes(struct dlg_reader *r, size_t *len)
{
	uint64_t n = dlg_codec_get_u64(r);
	const uint8_t *p;

	*len = 0;
	if (r->err || n == 0)
		return NULL;
	if (n - 1 > r->n) {
		reader_fail(r);
		return NULL;
	}
	p = r->p;
	*len = (size_t)(n - 1);
	r->p += n - 1;
	r->n -= n - 1;
	return p;
}

/* ---- encoding ---- */

static void
reserve(struct enc *e, size_t n)
{
	if (e->cap - e->len >= n)
		return;
	e->cap = MAX(e->cap * 2, e->len + n + 4096);
	e->p = g_realloc(e->p, e->cap);
}

static void
put_u(struct enc *e, uint64_t v)
{
	uint8_t *q;

	reserve(e, 10);
	q = e->p + e->len;
	while (v >= 0x80) {
		*q++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*q++ = (uint8_t)v;
	e->len = (size_t)(q - e->p);
}

static void
put_i(struct enc *e, int64_t v)
{
	put_u(e, ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0));
}

static void
put_bytes(struct enc *e, const void *p, size_t len)
{
	if (p == NULL) {
		put_u(e, 0);
		return;
	}
	put_u(e, (uint64_t)len + 1);
	reserve(e, len);
	if (len > 0)
		memcpy(e->p + e->len, p, len);
	e->len += len;
}

static void
put_str(struct enc *e, const char *s)
{
	put_bytes(e, s, s != NULL ? strlen(s) : 0);
}

/* A fixed-size, NUL-terminated field. */
static void
put_fixed(struct enc *e, const char *s, size_t size)
{
	put_bytes(e, s, strnlen(s, size - 1));
}

static int
ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;

	return x->p < y->p ? -1 : x->p > y->p;
}

/* The index + 1 of p in refs, or NO_INDEX. */
static guint
ref_find(const struct ref *refs, guint n, const void *p)
{
	struct ref key = { p, 0 };
	const struct ref *r;

	if (p == NULL)
		return NO_INDEX;
	r = bsearch(&key, refs, n, sizeof *refs, ref_cmp);
	return r != NULL ? r->index : NO_INDEX;
}

static struct ref *
refs_of(const GPtrArray *a)
{
	struct ref *refs = g_new(struct ref, a->len + 1);
	guint i;

	for (i = 0; i < a->len; i++) {
		refs[i].p = g_ptr_array_index((GPtrArray *)a, i);
		refs[i].index = i + 1;
	}
	qsort(refs, a->len, sizeof *refs, ref_cmp);
	return refs;
}

static void
put_item_ref(struct enc *e, const struct dlg_item *it)
{
	put_u(e, ref_find(e->items, e->n_items, it));
}

static void
put_strv(struct enc *e, const GPtrArray *a)
{
	guint i;

	if (a == NULL) {
		put_u(e, 0);
		return;
	}
	put_u(e, (uint64_t)a->len + 1);
	for (i = 0; i < a->len; i++)
		put_str(e, g_ptr_array_index((GPtrArray *)a, i));
}

static void
put_reply(struct enc *e, const struct smtp_reply *r)
{
	put_u(e, r != NULL);
	if (r == NULL)
		return;
	put_i(e, r->code);
	put_fixed(e, r->enhanced, sizeof r->enhanced);
	put_bytes(e, r->text, r->text_len);
	put_u(e, r->nlines);
	put_u(e, r->truncated);
	put_u(e, r->code_mismatch);
	put_u(e, r->enhanced_mismatch);
	put_u(e, r->unterminated);
}

static void
put_facts(struct enc *e, const GPtrArray *a)
{
	guint i;

	if (a == NULL) {
		put_u(e, 0);
		return;
	}
	put_u(e, (uint64_t)a->len + 1);
	for (i = 0; i < a->len; i++) {
		const struct dns_fact *f = g_ptr_array_index((GPtrArray *)a, i);

		put_str(e, f->source);
		put_i(e, f->ts);
		put_u(e, f->type);
		put_str(e, f->name);
		put_str(e, f->data);
		put_u(e, f->status);
	}
}

static void
put_item(struct enc *e, const struct dlg_item *it)
{
	put_u(e, it->kind);
	put_u(e, it->cmd);
	put_u(e, it->flags);
	put_i(e, it->ts);
	put_bytes(e, it->line, it->line_len);
	put_reply(e, it->reply);
	put_i(e, it->reply_ts);
	put_u(e, it->bytes);
	put_u(e, it->lines);
	put_u(e, it->retained);
	put_u(e, it->dir);
	put_u(e, ref_find(e->txs, e->n_txs, it->tx));
}

static void
put_rcpt(struct enc *e, const struct dlg_rcpt *r)
{
	put_str(e, r->address);
	put_str(e, r->params);
	put_item_ref(e, r->item);
	put_i(e, r->verdict);
	put_i(e, r->local);
	put_i(e, r->local_kind);
	put_str(e, r->local_source);
	put_str(e, r->local_evidence);
	put_facts(e, r->local_dns);
	put_fixed(e, r->onward_id, sizeof r->onward_id);
	put_str(e, r->cause);
	put_str(e, r->cause_source);
	put_str(e, r->final_domain);
	put_u(e, r->tricks);
	put_u(e, r->judged);
}

static void
put_mime(struct enc *e, const struct mime_info *m)
{
	guint i;

	put_u(e, m != NULL);
	if (m == NULL)
		return;
	put_u(e, m->parts->len);
	for (i = 0; i < m->parts->len; i++) {
		const struct mime_part *p = g_ptr_array_index(m->parts, i);

		put_u(e, p->index);
		put_u(e, p->parent);
		put_u(e, p->level);
		put_str(e, p->type);
		put_str(e, p->charset);
		put_str(e, p->encoding);
		put_str(e, p->disposition);
		put_str(e, p->filename);
		put_u(e, p->size);
		put_u(e, p->wire_size);
		put_i(e, p->ts_first);
		put_i(e, p->ts_last);
		put_fixed(e, p->md5, sizeof p->md5);
		put_fixed(e, p->sha1, sizeof p->sha1);
		put_fixed(e, p->sha256, sizeof p->sha256);
		put_u(e, p->flags);
		put_str(e, p->extract);
		put_u(e, p->extract_note);
	}
	put_u(e, m->entities);
	put_strv(e, m->urls);
	put_u(e, m->urls_dropped);
	put_u(e, m->gaps != NULL ? m->gaps->len : 0);
	for (i = 0; m->gaps != NULL && i < m->gaps->len; i++) {
		put_u(e, g_array_index(m->gaps, struct mime_gap, i).offset);
		put_u(e, g_array_index(m->gaps, struct mime_gap, i).bytes);
	}
	put_u(e, m->bytes);
	put_u(e, m->limits);
	put_u(e, m->structure_lost);
	put_fixed(e, m->body_md5, sizeof m->body_md5);
}

static void
put_data(struct enc *e, const struct dlg_data *dd)
{
	put_u(e, dd != NULL);
	if (dd == NULL)
		return;
	put_u(e, dd->command);
	put_item_ref(e, dd->item);
	put_item_ref(e, dd->end);
	put_u(e, dd->bytes);
	put_u(e, dd->lines);
	put_u(e, dd->chunks);
	put_u(e, dd->complete);
	put_bytes(e, dd->body != NULL ? dd->body->data : NULL,
	    dd->body != NULL ? dd->body->len : 0);
	put_u(e, dd->body_dropped);
	put_u(e, dd->bytes_lost);
	put_str(e, dd->message_id);
	put_strv(e, dd->headers);
	put_u(e, dd->headers_cut);
	put_mime(e, dd->mime);
	put_str(e, dd->extract);
	put_u(e, dd->extract_bytes);
	put_fixed(e, dd->extract_sha256, sizeof dd->extract_sha256);
	put_u(e, dd->extract_note);
}

static void
put_tx(struct enc *e, const struct dlg_tx *tx)
{
	guint i;

	put_str(e, tx->mail_from);
	put_str(e, tx->mail_params);
	put_item_ref(e, tx->mail);
	put_u(e, tx->rcpts->len);
	for (i = 0; i < tx->rcpts->len; i++)
		put_rcpt(e, g_ptr_array_index(tx->rcpts, i));
	put_data(e, tx->data);
	put_u(e, tx->gap);
}

static void
put_finding(struct enc *e, const struct relay_finding *f)
{
	put_u(e, f->kind);
	put_str(e, f->severity);
	put_u(e, f->confirmed);
	put_strv(e, f->rcpts);
	put_str(e, f->summary);
	put_str(e, f->remedy);
	put_u(e, f->uncertain);
	put_str(e, f->evidence);
}

static void
put_helo(struct enc *e, const struct helo_report *h)
{
	put_u(e, h != NULL);
	if (h == NULL)
		return;
	put_u(e, h->result);
	put_str(e, h->name);
	put_fixed(e, h->client_ip, sizeof h->client_ip);
	put_u(e, h->syntax.syntax);
	put_fixed(e, h->syntax.literal, sizeof h->syntax.literal);
	put_u(e, h->syntax.literal_v6);
	put_i(e, h->forward);
	put_i(e, h->fcrdns);
	put_i(e, h->name_is_ptr);
	put_strv(e, h->addresses);
	put_strv(e, h->ptr_names);
	put_facts(e, h->evidence);
	put_u(e, h->server_rejected);
	put_str(e, h->server_reply);
}

static void
put_tls_side(struct enc *e, const struct tls_side *s)
{
	unsigned i, j;

	put_u(e, s->not_tls);
	put_u(e, s->malformed);
	put_u(e, s->ccs);
	put_u(e, s->encrypted_hs);
	put_u(e, s->app_after_hello);
	put_u(e, s->bytes);
	put_u(e, s->records);
	put_u(e, s->app_records);
	put_u(e, s->app_bytes);
	put_u(e, s->encrypted_alerts);
	put_u(e, s->hs_too_long);
	put_u(e, s->hs_bad);
	put_u(e, s->chain.certs != NULL);
	put_u(e, s->chain.len);
	put_u(e, s->chain.total);
	for (i = 0; i < s->chain.len; i++) {
		const struct tls_cert *c = &s->chain.certs[i];

		put_u(e, c->der_len);
		put_fixed(e, c->sha256, sizeof c->sha256);
		put_u(e, c->unreadable);
		put_str(e, c->subject);
		put_str(e, c->issuer);
		put_i(e, c->not_before);
		put_i(e, c->not_after);
		put_u(e, c->n_dns);
		for (j = 0; j < c->n_dns; j++)
			put_str(e, c->dns[j]);
		put_u(e, c->n_ip);
		for (j = 0; j < c->n_ip; j++)
			put_str(e, c->ip[j]);
		put_u(e, c->sans_dropped);
	}
}

static void
put_tls(struct enc *e, const struct tls_conn *c)
{
	const struct tls_info *t;
	unsigned i;

	put_u(e, c != NULL);
	if (c == NULL)
		return;
	t = tls_conn_info(c);
	put_u(e, t->not_tls);
	put_tls_side(e, &t->client);
	put_tls_side(e, &t->server);
	put_u(e, t->client_hellos);
	put_u(e, t->ch_version);
	put_u(e, t->n_ch_versions);
	for (i = 0; i < t->n_ch_versions; i++)
		put_u(e, t->ch_versions[i]);
	put_u(e, t->n_cipher_suites);
	put_str(e, t->sni);
	put_u(e, t->n_alpn);
	for (i = 0; i < t->n_alpn; i++)
		put_str(e, t->alpn[i]);
	put_u(e, t->server_hello);
	put_u(e, t->hello_retry);
	put_u(e, t->sh_version);
	put_u(e, t->version);
	put_u(e, t->cipher_suite);
	put_str(e, t->cipher_suite_name);
	put_u(e, t->certificate_encrypted);
	put_u(e, t->n_alerts);
	for (i = 0; i < t->n_alerts; i++) {
		put_u(e, t->alerts[i].from_server);
		put_u(e, t->alerts[i].level);
		put_u(e, t->alerts[i].desc);
	}
	put_u(e, t->alerts_total);
	put_u(e, t->fatal_alert);
	put_u(e, t->completed);
}

static void
put_proxy(struct enc *e, const struct proxy_conn *pc)
{
	const struct proxy_info *p;
	unsigned i;

	put_u(e, pc != NULL);
	if (pc == NULL)
		return;
	p = proxy_conn_info(pc);
	put_u(e, p->kind);
	put_u(e, p->state);
	put_str(e, p->reason);
	put_u(e, p->quirks);
	put_u(e, p->attempts);
	put_str(e, p->host);
	put_u(e, p->port);
	put_u(e, p->addr);
	put_u(e, p->socks4a);
	put_u(e, p->client_early);
	put_u(e, p->n_methods);
	for (i = 0; i < p->n_methods; i++)
		put_u(e, p->methods[i]);
	put_i(e, p->method);
	put_str(e, p->auth_scheme);
	put_str(e, p->challenge);
	put_str(e, p->user);
	put_u(e, p->credentials_sent);
	put_u(e, p->password_sent);
	put_u(e, p->password_len);
	put_i(e, p->auth_status);
	put_u(e, p->auth_demanded);
	put_u(e, p->authenticated);
	put_i(e, p->reply_code);
	put_str(e, p->reply_text);
}

void
dlg_codec_encode(GByteArray *out, const struct dialogue *d)
{
	struct enc e;
	guint i;
	/* (one buffer for every call: -j N's workers encode each session) */
	static uint8_t *buf;
	static size_t cap;

	e.p = buf;
	e.cap = cap;
	e.len = 0;
	e.items = refs_of(d->items);
	e.n_items = d->items->len;
	e.txs = refs_of(d->txs);
	e.n_txs = d->txs->len;

	put_u(&e, d->seq);
	put_fixed(&e, d->id, sizeof d->id);
	put_i(&e, d->ts_start);
	put_i(&e, d->ts_end);
	put_i(&e, d->fin_ts[0]);
	put_i(&e, d->fin_ts[1]);
	put_fixed(&e, d->client.ip, sizeof d->client.ip);
	put_u(&e, d->client.port);
	put_fixed(&e, d->server.ip, sizeof d->server.ip);
	put_u(&e, d->server.port);
	put_u(&e, d->end);
	put_u(&e, d->picked_up);
	put_u(&e, d->detected);
	put_u(&e, d->missing);
	for (i = 0; i < 2; i++) {
		put_u(&e, d->gaps[i]);
		put_u(&e, d->gap_bytes[i]);
	}
	put_u(&e, d->items->len);
	for (i = 0; i < d->items->len; i++)
		put_item(&e, g_ptr_array_index(d->items, i));
	put_item_ref(&e, d->banner);
	put_item_ref(&e, d->helo);
	put_u(&e, d->helo_count);
	put_u(&e, d->tls_offered);
	put_u(&e, d->tls_started);
	put_u(&e, d->pipelining_offered);
	put_u(&e, d->chunking_offered);
	put_u(&e, d->auth != NULL);
	if (d->auth != NULL) {
		put_str(&e, d->auth->mechanism);
		put_str(&e, d->auth->user);
		put_u(&e, d->auth->result);
		put_item_ref(&e, d->auth->item);
		put_u(&e, d->auth->password_sent);
	}
	put_u(&e, d->auth_count);
	put_u(&e, d->txs->len);
	for (i = 0; i < d->txs->len; i++)
		put_tx(&e, g_ptr_array_index(d->txs, i));
	put_u(&e, d->findings != NULL ? d->findings->len + 1 : 0);
	for (i = 0; d->findings != NULL && i < d->findings->len; i++)
		put_finding(&e, g_ptr_array_index(d->findings, i));
	put_helo(&e, d->helo_check);
	put_str(&e, d->client_trust);
	put_strv(&e, d->continues);
	put_u(&e, ANOMALY_COUNT);
	for (i = 0; i < ANOMALY_COUNT; i++)
		put_u(&e, d->anomalies[i]);
	put_u(&e, d->bytes_client);
	put_u(&e, d->bytes_server);
	put_u(&e, d->tls_bytes_client);
	put_u(&e, d->tls_bytes_server);
	put_u(&e, d->tls_mode);
	put_tls(&e, d->tls);
	put_proxy(&e, d->proxy);
	put_u(&e, d->tls_plaintext);
	put_u(&e, d->tls_server_plaintext);
	put_u(&e, d->tx_total);
	put_u(&e, d->rcpt_total);
	put_u(&e, d->items_dropped);
	put_u(&e, d->mem);
	put_u(&e, d->frozen);
	put_fixed(&e, d->cut_to, sizeof d->cut_to);
	put_fixed(&e, d->cut_from, sizeof d->cut_from);
	put_i(&e, d->cut_ts);
	put_u(&e, d->judged_early);
	g_free(e.items);
	g_free(e.txs);
	g_byte_array_append(out, e.p, (guint)e.len);
	buf = e.p;
	cap = e.cap;
}

/* ---- decoding ---- */

struct dec {
	struct dlg_reader r;
	struct dialogue *d;
};

static uint64_t
get_u(struct dec *x)
{
	return dlg_codec_get_u64(&x->r);
}

/* An unsigned value no greater than max. */
static uint64_t
get_max(struct dec *x, uint64_t max)
{
	uint64_t v = get_u(x);

	if (v > max) {
		reader_fail(&x->r);
		return 0;
	}
	return v;
}

static bool
get_bool(struct dec *x)
{
	return get_max(x, 1) != 0;
}

static int64_t
get_i(struct dec *x)
{
	return dlg_codec_get_i64(&x->r);
}

/* A signed value that fits an int. */
static int
get_int(struct dec *x)
{
	int64_t v = get_i(x);

	if (v < G_MININT || v > G_MAXINT) {
		reader_fail(&x->r);
		return 0;
	}
	return (int)v;
}

/* A string of no NUL bytes (or NULL); owned by the caller. */
static char *
get_str(struct dec *x)
{
	size_t len;
	const uint8_t *p = dlg_codec_get_bytes(&x->r, &len);

	if (p == NULL)
		return NULL;
	if (memchr(p, '\0', len) != NULL) {
		reader_fail(&x->r);
		return NULL;
	}
	return g_strndup((const char *)p, len);
}

/* A string the model keeps as static text. */
static const char *
get_static(struct dec *x)
{
	g_autofree char *s = get_str(x);

	return s != NULL ? g_intern_string(s) : NULL;
}

/* Bytes that may hold NULs, NUL-terminated all the same; *len set. */
static char *
get_blob(struct dec *x, size_t *len)
{
	const uint8_t *p = dlg_codec_get_bytes(&x->r, len);
	char *s;

	if (p == NULL)
		return NULL;
	s = g_malloc(*len + 1);
	memcpy(s, p, *len);
	s[*len] = '\0';
	return s;
}

static void
get_fixed(struct dec *x, char *dst, size_t size)
{
	size_t len;
	const uint8_t *p = dlg_codec_get_bytes(&x->r, &len);

	memset(dst, 0, size);
	if (p == NULL)
		return;
	if (len >= size || memchr(p, '\0', len) != NULL) {
		reader_fail(&x->r);
		return;
	}
	memcpy(dst, p, len);
}

static struct dlg_item *
get_item_ref(struct dec *x)
{
	uint64_t i = get_max(x, x->d->items->len);

	return i == NO_INDEX ? NULL : g_ptr_array_index(x->d->items, i - 1);
}

static GPtrArray *
get_strv(struct dec *x)
{
	uint64_t n = get_max(x, COUNT_MAX);
	GPtrArray *a;

	if (n == 0)
		return NULL;
	a = g_ptr_array_new_with_free_func(g_free);
	for (n--; n > 0 && !x->r.err; n--) {
		char *s = get_str(x);

		g_ptr_array_add(a, s != NULL ? s : g_strdup(""));
	}
	return a;
}

static struct smtp_reply *
get_reply(struct dec *x)
{
	struct smtp_reply *r;

	if (!get_bool(x))
		return NULL;
	r = g_new0(struct smtp_reply, 1);
	r->code = get_int(x);
	get_fixed(x, r->enhanced, sizeof r->enhanced);
	r->text = get_blob(x, &r->text_len);
	if (r->text == NULL)
		r->text = g_strdup("");
	r->nlines = (unsigned)get_max(x, G_MAXUINT);
	r->truncated = get_bool(x);
	r->code_mismatch = get_bool(x);
	r->enhanced_mismatch = get_bool(x);
	r->unterminated = get_bool(x);
	return r;
}

static GPtrArray *
get_facts(struct dec *x)
{
	uint64_t n = get_max(x, COUNT_MAX);
	GPtrArray *a;

	if (n == 0)
		return NULL;
	a = g_ptr_array_new_with_free_func(dns_fact_free);
	for (n--; n > 0 && !x->r.err; n--) {
		struct dns_fact *f = g_new0(struct dns_fact, 1);

		f->source = get_static(x);
		f->ts = get_i(x);
		f->type = (uint16_t)get_max(x, G_MAXUINT16);
		f->name = get_str(x);
		f->data = get_str(x);
		f->status = (enum dns_status)get_max(x, DNS_STATUS_TIMEOUT);
		g_ptr_array_add(a, f);
	}
	return a;
}

/* Items first, with their transaction's index in *txi (fixed up once the
 * transactions are read). */
static struct dlg_item *
get_item(struct dec *x, guint *txi)
{
	struct dlg_item *it = g_new0(struct dlg_item, 1);

	it->kind = (enum dlg_item_kind)get_max(x, DLG_ITEM_GAP);
	it->cmd = (enum smtp_cmd_id)get_max(x, G_MAXINT);
	it->flags = (unsigned)get_max(x, G_MAXUINT);
	it->ts = get_i(x);
	it->line = get_blob(x, &it->line_len);
	it->reply = get_reply(x);
	it->reply_ts = get_i(x);
	it->bytes = get_u(x);
	it->lines = get_u(x);
	it->retained = get_bool(x);
	it->dir = (uint8_t)get_max(x, DLG_DIR_SERVER);
	*txi = (guint)get_max(x, COUNT_MAX);
	return it;
}

static struct dlg_rcpt *
get_rcpt(struct dec *x)
{
	struct dlg_rcpt *r = g_new0(struct dlg_rcpt, 1);

	r->address = get_str(x);
	r->params = get_str(x);
	r->item = get_item_ref(x);
	r->verdict = get_int(x);
	r->local = get_int(x);
	r->local_kind = get_int(x);
	r->local_source = get_static(x);
	r->local_evidence = get_str(x);
	r->local_dns = get_facts(x);
	get_fixed(x, r->onward_id, sizeof r->onward_id);
	r->cause = get_static(x);
	r->cause_source = get_static(x);
	r->final_domain = get_str(x);
	r->tricks = (unsigned)get_max(x, G_MAXUINT);
	r->judged = get_bool(x);
	if (r->item == NULL)
		reader_fail(&x->r); /* every recipient has its command */
	return r;
}

static struct mime_info *
get_mime(struct dec *x)
{
	struct mime_info *m;
	uint64_t n, i;

	if (!get_bool(x))
		return NULL;
	m = mime_info_new();
	n = get_max(x, MIME_PARTS_MAX);
	for (i = 0; i < n && !x->r.err; i++) {
		struct mime_part *p = mime_part_new();

		p->index = (unsigned)get_max(x, G_MAXUINT);
		p->parent = (unsigned)get_max(x, G_MAXUINT);
		p->level = (unsigned)get_max(x, G_MAXUINT);
		p->type = get_str(x);
		p->charset = get_str(x);
		p->encoding = get_str(x);
		p->disposition = get_str(x);
		p->filename = get_str(x);
		p->size = get_u(x);
		p->wire_size = get_u(x);
		p->ts_first = get_i(x);
		p->ts_last = get_i(x);
		get_fixed(x, p->md5, sizeof p->md5);
		get_fixed(x, p->sha1, sizeof p->sha1);
		get_fixed(x, p->sha256, sizeof p->sha256);
		p->flags = (unsigned)get_max(x, G_MAXUINT);
		p->extract = get_str(x);
		p->extract_note = (unsigned)get_max(x, G_MAXUINT);
		if (p->type == NULL)
			p->type = g_strdup("text/plain");
		g_ptr_array_add(m->parts, p);
	}
	m->entities = (unsigned)get_max(x, G_MAXUINT);
	{
		GPtrArray *urls = get_strv(x);

		if (urls != NULL) {
			g_ptr_array_unref(m->urls);
			m->urls = urls;
		}
	}
	m->urls_dropped = get_u(x);
	n = get_max(x, MIME_GAPS_MAX);
	if (n > 0)
		m->gaps = g_array_new(FALSE, FALSE, sizeof(struct mime_gap));
	for (i = 0; i < n && !x->r.err; i++) {
		struct mime_gap g;

		g.offset = get_u(x);
		g.bytes = get_u(x);
		g_array_append_val(m->gaps, g);
	}
	m->bytes = get_u(x);
	m->limits = (unsigned)get_max(x, G_MAXUINT);
	m->structure_lost = get_bool(x);
	get_fixed(x, m->body_md5, sizeof m->body_md5);
	return m;
}

static struct dlg_data *
get_data(struct dec *x)
{
	struct dlg_data *dd;
	size_t len;
	const uint8_t *body;

	if (!get_bool(x))
		return NULL;
	dd = g_new0(struct dlg_data, 1);
	dd->command = (enum smtp_cmd_id)get_max(x, G_MAXINT);
	dd->item = get_item_ref(x);
	dd->end = get_item_ref(x);
	dd->bytes = get_u(x);
	dd->lines = get_u(x);
	dd->chunks = (unsigned)get_max(x, G_MAXUINT);
	dd->complete = get_bool(x);
	body = dlg_codec_get_bytes(&x->r, &len);
	if (body != NULL)
		dd->body = g_byte_array_append(
		    g_byte_array_sized_new((guint)len), body, (guint)len);
	dd->body_dropped = get_bool(x);
	dd->bytes_lost = get_u(x);
	dd->message_id = get_str(x);
	dd->headers = get_strv(x);
	dd->headers_cut = get_bool(x);
	dd->mime = get_mime(x);
	dd->extract = get_str(x);
	dd->extract_bytes = get_u(x);
	get_fixed(x, dd->extract_sha256, sizeof dd->extract_sha256);
	dd->extract_note = (unsigned)get_max(x, G_MAXUINT);
	return dd;
}

static struct dlg_tx *
get_tx(struct dec *x)
{
	struct dlg_tx *tx = dialogue_tx_new(x->d);
	uint64_t n;

	if (tx == NULL) {
		/* (a frozen dialogue refuses new ones: not ours yet) */
		reader_fail(&x->r);
		return NULL;
	}
	tx->mail_from = get_str(x);
	tx->mail_params = get_str(x);
	tx->mail = get_item_ref(x);
	n = get_max(x, COUNT_MAX);
	for (; n > 0 && !x->r.err; n--)
		g_ptr_array_add(tx->rcpts, get_rcpt(x));
	tx->data = get_data(x);
	tx->gap = get_bool(x);
	return tx;
}

static struct relay_finding *
get_finding(struct dec *x)
{
	struct relay_finding *f;
	GPtrArray *rcpts;

	f = relay_finding_new(0, NULL);
	f->kind = (enum relay_finding_kind)get_max(x, G_MAXINT);
	f->severity = get_static(x);
	f->confirmed = get_bool(x);
	rcpts = get_strv(x);
	if (rcpts != NULL) {
		g_ptr_array_unref(f->rcpts);
		f->rcpts = rcpts;
	}
	g_free(f->summary);
	f->summary = get_str(x);
	g_free(f->remedy);
	f->remedy = get_str(x);
	f->uncertain = get_bool(x);
	f->evidence = get_static(x);
	return f;
}

static struct helo_report *
get_helo(struct dec *x)
{
	struct helo_report *h;

	if (!get_bool(x))
		return NULL;
	h = g_new0(struct helo_report, 1);
	h->result = (enum helo_result)get_max(x, G_MAXINT);
	h->name = get_str(x);
	get_fixed(x, h->client_ip, sizeof h->client_ip);
	h->syntax.syntax = (enum helo_syntax)get_max(x, G_MAXINT);
	get_fixed(x, h->syntax.literal, sizeof h->syntax.literal);
	h->syntax.literal_v6 = get_bool(x);
	h->forward = (enum helo_tri)get_int(x);
	h->fcrdns = (enum helo_tri)get_int(x);
	h->name_is_ptr = (enum helo_tri)get_int(x);
	h->addresses = get_strv(x);
	h->ptr_names = get_strv(x);
	h->evidence = get_facts(x);
	h->server_rejected = get_bool(x);
	h->server_reply = get_str(x);
	/* The report's arrays are never NULL (helo_check.c). */
	if (h->addresses == NULL)
		h->addresses = g_ptr_array_new_with_free_func(g_free);
	if (h->ptr_names == NULL)
		h->ptr_names = g_ptr_array_new_with_free_func(g_free);
	if (h->evidence == NULL)
		h->evidence = g_ptr_array_new_with_free_func(dns_fact_free);
	return h;
}

static void
get_tls_side(struct dec *x, struct tls_side *s)
{
	unsigned i, j;
	bool has;

	s->not_tls = get_bool(x);
	s->malformed = get_bool(x);
	s->ccs = get_bool(x);
	s->encrypted_hs = get_bool(x);
	s->app_after_hello = get_bool(x);
	s->bytes = get_u(x);
	s->records = get_u(x);
	s->app_records = get_u(x);
	s->app_bytes = get_u(x);
	s->encrypted_alerts = (unsigned)get_max(x, G_MAXUINT);
	s->hs_too_long = (unsigned)get_max(x, G_MAXUINT);
	s->hs_bad = (unsigned)get_max(x, G_MAXUINT);
	has = get_bool(x);
	s->chain.len = (unsigned)get_max(x, TLS_CHAIN_MAX);
	s->chain.total = (unsigned)get_max(x, G_MAXUINT);
	if (x->r.err || (!has && s->chain.len > 0)) {
		reader_fail(&x->r);
		s->chain.len = 0;
		return;
	}
	if (has)
		s->chain.certs = g_new0(struct tls_cert, TLS_CHAIN_MAX);
	for (i = 0; i < s->chain.len; i++) {
		struct tls_cert *c = &s->chain.certs[i];

		c->der_len = (size_t)get_u(x);
		get_fixed(x, c->sha256, sizeof c->sha256);
		c->unreadable = get_bool(x);
		c->subject = get_str(x);
		c->issuer = get_str(x);
		c->not_before = get_i(x);
		c->not_after = get_i(x);
		c->n_dns = (unsigned)get_max(x, TLS_SAN_MAX);
		for (j = 0; j < c->n_dns; j++)
			c->dns[j] = get_str(x);
		c->n_ip = (unsigned)get_max(x, TLS_SAN_MAX);
		for (j = 0; j < c->n_ip; j++)
			c->ip[j] = get_str(x);
		c->sans_dropped = (unsigned)get_max(x, G_MAXUINT);
		for (j = 0; j < c->n_dns; j++)
			if (c->dns[j] == NULL)
				c->dns[j] = g_strdup("");
		for (j = 0; j < c->n_ip; j++)
			if (c->ip[j] == NULL)
				c->ip[j] = g_strdup("");
	}
}

static struct tls_conn *
get_tls(struct dec *x)
{
	struct tls_info t;
	unsigned i;
	g_autofree char *suite = NULL;

	if (!get_bool(x))
		return NULL;
	memset(&t, 0, sizeof t);
	t.not_tls = get_bool(x);
	get_tls_side(x, &t.client);
	get_tls_side(x, &t.server);
	t.client_hellos = (unsigned)get_max(x, G_MAXUINT);
	t.ch_version = (uint16_t)get_max(x, G_MAXUINT16);
	t.n_ch_versions = (unsigned)get_max(x, TLS_VERSIONS_MAX);
	for (i = 0; i < t.n_ch_versions; i++)
		t.ch_versions[i] = (uint16_t)get_max(x, G_MAXUINT16);
	t.n_cipher_suites = (unsigned)get_max(x, G_MAXUINT);
	t.sni = get_str(x);
	t.n_alpn = (unsigned)get_max(x, TLS_ALPN_MAX);
	for (i = 0; i < t.n_alpn; i++) {
		t.alpn[i] = get_str(x);
		if (t.alpn[i] == NULL)
			t.alpn[i] = g_strdup("");
	}
	t.server_hello = get_bool(x);
	t.hello_retry = get_bool(x);
	t.sh_version = (uint16_t)get_max(x, G_MAXUINT16);
	t.version = (uint16_t)get_max(x, G_MAXUINT16);
	t.cipher_suite = (uint16_t)get_max(x, G_MAXUINT16);
	suite = get_str(x);
	/* GnuTLS's own static name, found again. */
	t.cipher_suite_name =
	    suite != NULL ? tls_cipher_suite_name(t.cipher_suite) : NULL;
	if (suite != NULL && (t.cipher_suite_name == NULL ||
				 strcmp(suite, t.cipher_suite_name) != 0))
		t.cipher_suite_name = g_intern_string(suite);
	t.certificate_encrypted = get_bool(x);
	t.n_alerts = (unsigned)get_max(x, TLS_ALERTS_MAX);
	for (i = 0; i < t.n_alerts; i++) {
		t.alerts[i].from_server = get_bool(x);
		t.alerts[i].level = (uint8_t)get_max(x, G_MAXUINT8);
		t.alerts[i].desc = (uint8_t)get_max(x, G_MAXUINT8);
	}
	t.alerts_total = (unsigned)get_max(x, G_MAXUINT);
	t.fatal_alert = get_bool(x);
	t.completed = get_bool(x);
	return tls_conn_adopt(&t);
}

static struct proxy_conn *
get_proxy(struct dec *x)
{
	struct proxy_info p;
	struct proxy_conn *pc;
	unsigned i;

	if (!get_bool(x))
		return NULL;
	memset(&p, 0, sizeof p);
	p.kind = (enum proxy_kind)get_max(x, PROXY_KIND_COUNT - 1);
	p.state = (enum proxy_state)get_max(x, PROXY_STATE_COUNT - 1);
	p.reason = get_static(x);
	p.quirks = (unsigned)get_max(x, G_MAXUINT);
	p.attempts = (unsigned)get_max(x, G_MAXUINT);
	p.host = get_str(x);
	p.port = (uint16_t)get_max(x, G_MAXUINT16);
	p.addr = (enum proxy_addr)get_max(x, PROXY_ADDR_IPV6);
	p.socks4a = get_bool(x);
	p.client_early = get_u(x);
	p.n_methods = (unsigned)get_max(x, sizeof p.methods);
	for (i = 0; i < p.n_methods; i++)
		p.methods[i] = (uint8_t)get_max(x, G_MAXUINT8);
	p.method = get_int(x);
	p.auth_scheme = get_str(x);
	p.challenge = get_str(x);
	p.user = get_str(x);
	p.credentials_sent = get_bool(x);
	p.password_sent = get_bool(x);
	p.password_len = (size_t)get_u(x);
	p.auth_status = get_int(x);
	p.auth_demanded = get_bool(x);
	p.authenticated = get_bool(x);
	p.reply_code = get_int(x);
	p.reply_text = get_str(x);
	pc = proxy_conn_adopt(&p);
	if (pc == NULL) {
		/* (adopt refuses a kind that is no proxy: nothing taken) */
		reader_fail(&x->r);
		g_free(p.host);
		g_free(p.auth_scheme);
		g_free(p.challenge);
		g_free(p.user);
		g_free(p.reply_text);
	}
	return pc;
}

struct dialogue *
dlg_codec_decode(const uint8_t *p, size_t n, GError **error)
{
	g_autoptr(dialogue_t) d = dialogue_new();
	g_autofree guint *txi = NULL;
	struct dec x;
	uint64_t k, count;
	size_t mem;
	guint i;

	x.r.p = p;
	x.r.n = n;
	x.r.err = false;
	x.d = d;
	d->seq = get_u(&x);
	get_fixed(&x, d->id, sizeof d->id);
	d->ts_start = get_i(&x);
	d->ts_end = get_i(&x);
	d->fin_ts[0] = get_i(&x);
	d->fin_ts[1] = get_i(&x);
	get_fixed(&x, d->client.ip, sizeof d->client.ip);
	d->client.port = (uint16_t)get_max(&x, G_MAXUINT16);
	get_fixed(&x, d->server.ip, sizeof d->server.ip);
	d->server.port = (uint16_t)get_max(&x, G_MAXUINT16);
	d->end = (enum dlg_end)get_max(&x, DLG_END_COUNT - 1);
	d->picked_up = get_bool(&x);
	d->detected = (enum dlg_detect)get_max(&x, DLG_DETECT_CONTENT);
	d->missing = (enum dlg_missing)get_max(&x, DLG_MISSING_SERVER);
	for (i = 0; i < 2; i++) {
		d->gaps[i] = (unsigned)get_max(&x, G_MAXUINT);
		d->gap_bytes[i] = get_u(&x);
	}
	count = get_max(&x, COUNT_MAX);
	txi = g_new0(guint, count + 1);
	for (k = 0; k < count && !x.r.err; k++)
		g_ptr_array_add(d->items, get_item(&x, &txi[k]));
	d->banner = get_item_ref(&x);
	d->helo = get_item_ref(&x);
	d->helo_count = (unsigned)get_max(&x, G_MAXUINT);
	d->tls_offered = get_bool(&x);
	d->tls_started = get_bool(&x);
	d->pipelining_offered = get_bool(&x);
	d->chunking_offered = get_bool(&x);
	if (get_bool(&x)) {
		d->auth = g_new0(struct dlg_auth, 1);
		d->auth->mechanism = get_str(&x);
		d->auth->user = get_str(&x);
		d->auth->result =
		    (enum dlg_auth_result)get_max(&x, DLG_AUTH_FAILURE);
		d->auth->item = get_item_ref(&x);
		d->auth->password_sent = get_bool(&x);
	}
	d->auth_count = (unsigned)get_max(&x, G_MAXUINT);
	count = get_max(&x, COUNT_MAX);
	for (k = 0; k < count && !x.r.err; k++)
		(void)get_tx(&x);
	for (i = 0; i < d->items->len && !x.r.err; i++) {
		struct dlg_item *it = g_ptr_array_index(d->items, i);

		if (txi[i] > d->txs->len)
			reader_fail(&x.r);
		else if (txi[i] != NO_INDEX)
			it->tx = g_ptr_array_index(d->txs, txi[i] - 1);
	}
	count = get_max(&x, COUNT_MAX);
	if (count > 0)
		d->findings =
		    g_ptr_array_new_with_free_func(relay_finding_free);
	for (k = 1; k < count && !x.r.err; k++)
		g_ptr_array_add(d->findings, get_finding(&x));
	d->helo_check = get_helo(&x);
	d->client_trust = get_static(&x);
	d->continues = get_strv(&x);
	if (get_u(&x) != ANOMALY_COUNT)
		reader_fail(&x.r);
	for (i = 0; i < ANOMALY_COUNT && !x.r.err; i++)
		d->anomalies[i] = (unsigned)get_max(&x, G_MAXUINT);
	d->bytes_client = get_u(&x);
	d->bytes_server = get_u(&x);
	d->tls_bytes_client = get_u(&x);
	d->tls_bytes_server = get_u(&x);
	d->tls_mode = (enum dlg_tls_mode)get_max(&x, DLG_TLS_IMPLICIT);
	if (!x.r.err)
		d->tls = get_tls(&x);
	if (!x.r.err)
		d->proxy = get_proxy(&x);
	d->tls_plaintext = get_bool(&x);
	d->tls_server_plaintext = get_bool(&x);
	d->tx_total = get_u(&x);
	d->rcpt_total = get_u(&x);
	d->items_dropped = (unsigned)get_max(&x, G_MAXUINT);
	mem = (size_t)get_u(&x);
	d->frozen = get_bool(&x);
	get_fixed(&x, d->cut_to, sizeof d->cut_to);
	get_fixed(&x, d->cut_from, sizeof d->cut_from);
	d->cut_ts = get_i(&x);
	d->judged_early = get_bool(&x);
	if (x.r.err || x.r.n != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		    "a dialogue record is malformed (%zu bytes)", n);
		return NULL;
	}
	/* What the original held, charged again here (dialogue_free() gives
	 * back d->mem). */
	budget_release(BUDGET_DIALOGUES, d->mem);
	d->mem = mem;
	budget_charge(BUDGET_DIALOGUES, d->mem);
	return g_steal_pointer(&d);
}
