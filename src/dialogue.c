/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dialogue.c: ownership and limits of the dialogue model.  The dialogue
 * owns its items, transactions and AUTH record; transactions own their
 * recipients and data record; recipients only point at items. */
#include <stdio.h>
#include <string.h>

#include "budget.h"
#include "dialogue.h"
#include "mime.h"
#include "diagnosis.h"
#include "gstr.h"
#include "proxy.h"
#include "tls.h"

/* GLib's own blocks (GPtrArray headers) come from its slice allocator,
 * where blocks are not malloc's chunks: their size, as allocated. */
#define PTR_ARRAY_HEAD 32

static const char *const dlg_end_names[DLG_END_COUNT] = {
#define DLG_END_NAME(id, name) [DLG_END_##id] = name,
	DLG_END_LIST(DLG_END_NAME)
#undef DLG_END_NAME
};

static void dlg_tx_free(gpointer p);
static void dlg_rcpt_free(gpointer p);

const char *
dialogue_end_name(enum dlg_end e)
{
	if ((unsigned)e >= DLG_END_COUNT)
		return "none";
	return dlg_end_names[e];
}

const char *
dialogue_missing_name(enum dlg_missing m)
{
	switch (m) {
	case DLG_MISSING_CLIENT:
		return "client";
	case DLG_MISSING_SERVER:
		return "server";
	default:
		return NULL;
	}
}

bool
dialogue_speaks_smtp(const struct dialogue *d)
{
	guint i;

	if (d->picked_up || d->cut_from[0] != '\0' || d->banner != NULL ||
	    d->proxy != NULL || d->tls_started || d->txs->len > 0 ||
	    d->bytes_client + d->bytes_server == 0)
		return true;
	for (i = 0; i < d->items->len; i++) {
		const struct dlg_item *it = g_ptr_array_index(d->items, i);

		if (it->kind == DLG_ITEM_UNSOLICITED || it->reply != NULL ||
		    (it->kind == DLG_ITEM_COMMAND &&
			it->cmd != SMTP_CMD_UNKNOWN))
			return true;
	}
	return false;
}

gint
dialogue_by_seq(gconstpointer a, gconstpointer b)
{
	const struct dialogue *x = *(struct dialogue *const *)a;
	const struct dialogue *y = *(struct dialogue *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

unsigned
dialogue_gap_txs(const struct dialogue *d)
{
	unsigned n = 0;
	guint i;

	for (i = 0; i < d->txs->len; i++)
		if (((const struct dlg_tx *)g_ptr_array_index(d->txs, i))->gap)
			n++;
	return n;
}

struct dialogue *
dialogue_new(void)
{
	struct dialogue *d;

	d = g_new0(struct dialogue, 1);
	d->items =
	    g_ptr_array_new_with_free_func((GDestroyNotify)dlg_item_free);
	d->txs = g_ptr_array_new_with_free_func(dlg_tx_free);
	dialogue_charge(d, budget_bytes(sizeof *d) + 2 * PTR_ARRAY_HEAD);
	return d;
}

void
dialogue_free(struct dialogue *d)
{
	if (d == NULL)
		return;
	budget_release(BUDGET_DIALOGUES, d->mem);
	if (d->findings != NULL)
		g_ptr_array_unref(d->findings);
	helo_report_free(d->helo_check);
	diagnosis_free(d->diagnosis);
	if (d->continues != NULL)
		g_ptr_array_unref(d->continues);
	g_ptr_array_unref(d->txs);
	g_ptr_array_unref(d->items);
	tls_conn_free(d->tls);
	proxy_conn_free(d->proxy);
	if (d->auth != NULL) {
		g_free(d->auth->mechanism);
		g_free(d->auth->user);
		g_free(d->auth);
	}
	g_free(d);
}

struct dlg_item *
dlg_item_new(enum dlg_item_kind kind, enum smtp_cmd_id cmd, const char *line,
    size_t len, gint64 ts)
{
	struct dlg_item *it;

	it = g_new0(struct dlg_item, 1);
	it->kind = kind;
	it->cmd = cmd;
	it->ts = ts;
	if (line != NULL) {
		it->line = g_malloc(len + 1);
		memcpy(it->line, line, len);
		it->line[len] = '\0';
		it->line_len = len;
	}
	return it;
}

bool
dlg_item_argument(const struct dlg_item *it, const char **arg, size_t *len)
{
	const char *p, *end;

	if (it == NULL || it->line == NULL)
		return false;
	p = it->line;
	end = p + it->line_len;
	while (p < end && *p != ' ')
		p++;
	while (p < end && *p == ' ')
		p++;
	*arg = p;
	while (p < end && *p != ' ')
		p++;
	*len = (size_t)(p - *arg);
	return true;
}

void
dlg_item_free(struct dlg_item *it)
{
	if (it == NULL)
		return;
	smtp_reply_free(it->reply);
	g_free(it->line);
	g_free(it);
}

static size_t
reply_cost(const struct smtp_reply *r)
{
	/* The text is a GString's buffer: 128 bytes at first (64 asked, and
	 * one for the NUL, to a power of two), then doubled. */
	return r != NULL ? budget_bytes(sizeof *r) +
			       budget_grown(MAX(r->text_len, 64) + 1)
			 : 0;
}

/* What adding one pointer to an array of len costs. */
static size_t
array_growth(guint len)
{
	return budget_array_size(len + 1) - budget_array_size(len);
}

bool
dialogue_keep(struct dialogue *d, struct dlg_item *it)
{
	return dialogue_keep_before(d, it, NULL);
}

bool
dialogue_keep_before(
    struct dialogue *d, struct dlg_item *it, const struct dlg_item *before)
{
	size_t cost = budget_bytes(sizeof *it) +
		      (it->line != NULL ? budget_bytes(it->line_len + 1) : 0) +
		      reply_cost(it->reply) + array_growth(d->items->len);
	guint at;

	if (!d->frozen &&
	    (d->items->len >= DLG_MAX_ITEMS || d->mem + cost > DLG_MAX_BYTES)) {
		d->frozen = true;
		dialogue_anomaly(d, ANOMALY_RECORD_TRUNCATED);
	}
	if (d->frozen) {
		d->items_dropped++;
		return false;
	}
	dialogue_charge(d, cost);
	it->retained = true;
	if (before != NULL && g_ptr_array_find(d->items, before, &at))
		g_ptr_array_insert(d->items, (gint)at, it);
	else
		g_ptr_array_add(d->items, it);
	return true;
}

void
dialogue_reply(
    struct dialogue *d, struct dlg_item *it, struct smtp_reply *r, gint64 ts)
{
	if (it->retained)
		dialogue_charge(d, reply_cost(r));
	smtp_reply_free(it->reply); /* (never charged twice: one reply) */
	it->reply = r;
	it->reply_ts = ts;
}

void
dialogue_charge(struct dialogue *d, size_t n)
{
	d->mem += n;
	budget_charge(BUDGET_DIALOGUES, n);
}

void
dialogue_rcpt_add(struct dialogue *d, struct dlg_tx *tx, struct dlg_rcpt *r)
{
	dialogue_charge(d, budget_bytes(sizeof *r) + budget_str(r->address) +
			       budget_str(r->params) +
			       array_growth(tx->rcpts->len));
	g_ptr_array_add(tx->rcpts, r);
}

struct dlg_data *
dialogue_data_new(struct dialogue *d, struct dlg_tx *tx, enum smtp_cmd_id cmd)
{
	bool first = tx->data == NULL;

	/* A new record replaces the old one, of the same size. */
	dlg_data_free(tx->data);
	tx->data = g_new0(struct dlg_data, 1);
	tx->data->command = cmd;
	if (first)
		dialogue_charge(d, budget_bytes(sizeof *tx->data));
	return tx->data;
}

void
dialogue_anomaly(struct dialogue *d, enum anomaly a)
{
	if (d->anomalies[a] < G_MAXUINT)
		d->anomalies[a]++;
}

static void
dlg_rcpt_free(gpointer p)
{
	struct dlg_rcpt *r = p;

	g_free(r->address);
	g_free(r->params);
	g_free(r->final_domain);
	g_free(r->local_evidence);
	if (r->local_dns != NULL)
		g_ptr_array_unref(r->local_dns);
	g_free(r);
}

void
dlg_data_free(struct dlg_data *dd)
{
	if (dd == NULL)
		return;
	if (dd->body != NULL)
		g_byte_array_unref(dd->body);
	g_free(dd->message_id);
	if (dd->headers != NULL)
		g_ptr_array_unref(dd->headers);
	mime_info_free(dd->mime);
	g_free(dd->extract);
	if (dd->feed != NULL)
		*dd->feed = NULL;
	g_free(dd);
}

static void
dlg_tx_free(gpointer p)
{
	struct dlg_tx *tx = p;

	g_free(tx->mail_from);
	g_free(tx->mail_params);
	g_ptr_array_unref(tx->rcpts);
	dlg_data_free(tx->data);
	g_free(tx);
}

struct dlg_tx *
dialogue_tx_new(struct dialogue *d)
{
	struct dlg_tx *tx;

	d->tx_total++;
	if (d->frozen)
		return NULL;
	tx = g_new0(struct dlg_tx, 1);
	tx->rcpts = g_ptr_array_new_with_free_func(dlg_rcpt_free);
	dialogue_charge(d, budget_bytes(sizeof *tx) + PTR_ARRAY_HEAD +
			       array_growth(d->txs->len));
	g_ptr_array_add(d->txs, tx);
	return tx;
}

void
dialogue_set_id(struct dialogue *d)
{
	static const char hex[] = "0123456789abcdef";
	g_autoptr(GString) key = g_string_sized_new(160);
	g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 sum[32];
	gsize n = sizeof sum;
	size_t i;

	/* The first 16 hex digits of SHA-256("ts|cip|cport|sip|sport"),
	 * written without printf (once per session, 3% of the work). */
	gs_i64(key, d->ts_start);
	gs_putc(key, '|');
	gs_puts(key, d->client.ip);
	gs_putc(key, '|');
	gs_u64(key, d->client.port);
	gs_putc(key, '|');
	gs_puts(key, d->server.ip);
	gs_putc(key, '|');
	gs_u64(key, d->server.port);
	g_checksum_update(ck, (const guchar *)key->str, (gssize)key->len);
	g_checksum_get_digest(ck, sum, &n);
	for (i = 0; i < (sizeof d->id - 1) / 2; i++) {
		d->id[2 * i] = hex[sum[i] >> 4];
		d->id[2 * i + 1] = hex[sum[i] & 0xf];
	}
	d->id[sizeof d->id - 1] = '\0';
}

GPtrArray *
dialogue_onward_ids(const struct dialogue *d)
{
	GPtrArray *ids = g_ptr_array_new();
	guint i, j, k;

	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		for (j = 0; j < tx->rcpts->len; j++) {
			const struct dlg_rcpt *r =
			    g_ptr_array_index(tx->rcpts, j);

			if (r->onward_id[0] == '\0')
				continue;
			for (k = 0; k < ids->len; k++)
				if (strcmp(g_ptr_array_index(ids, k),
					r->onward_id) == 0)
					break;
			if (k == ids->len)
				g_ptr_array_add(ids, (gpointer)r->onward_id);
		}
	}
	return ids;
}
