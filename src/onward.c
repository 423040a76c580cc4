/* SPDX-License-Identifier: GPL-2.0-or-later */
/* onward.c: sessions that carry on the mail of others (onward.h).
 *
 * A relay that accepts a message queues it and delivers it from its own
 * address, usually within a second (RFC 5321 §4.4, §4.5.4): an onward
 * transaction with the same sender and recipient, or the same Message-ID,
 * to another host.  Content filters on the same host (amavis on
 * 127.0.0.1:10024) are not another host; senders rewritten on the way
 * (SRS) still match by Message-ID.  Connections are reused (Postfix's
 * connection cache), so transactions are matched, not sessions, and open
 * sessions are looked at too. */
#include <string.h>

#include "address.h"
#include "onward.h"

/* One transaction of an ended session, as the index keeps it. */
struct otx {
	char session_id[17];
	char client_ip[48], server_ip[48];
	char *server_name;   /* from the server's greeting; or NULL */
	gint64 ts;	     /* when it began (MAIL, else the first RCPT) */
	gint64 accept_ts;    /* the first recipient the server accepted */
	gint64 end_ts;	     /* the end of its session */
	char *mail_from;     /* or NULL */
	char *message_id;    /* or NULL */
	GPtrArray *rcpts;    /* char *: every RCPT sent */
	GPtrArray *accepted; /* char *: those accepted */
};

struct onward {
	gint64 window;
	GQueue order;	       /* struct otx *, oldest first */
	GHashTable *by_client; /* ip -> GPtrArray of struct otx * */
	GHashTable *by_server; /* ip -> GPtrArray of struct otx * */
	GHashTable *open;      /* client ip -> GPtrArray of dialogue * */
};

static void
otx_free(struct otx *t)
{
	g_free(t->server_name);
	g_free(t->mail_from);
	g_free(t->message_id);
	g_ptr_array_unref(t->rcpts);
	g_ptr_array_unref(t->accepted);
	g_free(t);
}

struct onward *
onward_new(gint64 window)
{
	struct onward *o = g_new0(struct onward, 1);

	o->window = window;
	g_queue_init(&o->order);
	o->by_client = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
	o->by_server = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
	o->open = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
	return o;
}

void
onward_free(struct onward *o)
{
	struct otx *t;

	if (o == NULL)
		return;
	while ((t = g_queue_pop_head(&o->order)) != NULL)
		otx_free(t);
	g_hash_table_destroy(o->by_client);
	g_hash_table_destroy(o->by_server);
	g_hash_table_destroy(o->open);
	g_free(o);
}

/* Append p to the array under key, making it if need be. */
static void
multi_add(GHashTable *h, const char *key, gpointer p)
{
	GPtrArray *a = g_hash_table_lookup(h, key);

	if (a == NULL) {
		a = g_ptr_array_new();
		g_hash_table_insert(h, g_strdup(key), a);
	}
	g_ptr_array_add(a, p);
}

static void
multi_remove(GHashTable *h, const char *key, gpointer p)
{
	GPtrArray *a = g_hash_table_lookup(h, key);

	if (a == NULL)
		return;
	g_ptr_array_remove(a, p);
	if (a->len == 0)
		g_hash_table_remove(h, key);
}

void
onward_started(struct onward *o, const struct dialogue *d)
{
	multi_add(o->open, d->client.ip, (gpointer)d);
}

/* When a transaction began: its MAIL, else its first RCPT. */
static gint64
tx_start(const struct dlg_tx *tx)
{
	const struct dlg_rcpt *r;

	if (tx->mail != NULL)
		return tx->mail->ts;
	if (tx->rcpts->len == 0)
		return 0;
	r = g_ptr_array_index(tx->rcpts, 0);
	return r->item->ts;
}

static bool
accepted(const struct dlg_rcpt *r)
{
	return r->item->reply != NULL &&
	       smtp_reply_class(r->item->reply->code) == 2;
}

/* A transaction as the index keeps it. */
static struct otx *
otx_new(const struct dialogue *d, const struct dlg_tx *tx)
{
	struct otx *t = g_new0(struct otx, 1);
	guint i;

	g_strlcpy(t->session_id, d->id, sizeof t->session_id);
	g_strlcpy(t->client_ip, d->client.ip, sizeof t->client_ip);
	g_strlcpy(t->server_ip, d->server.ip, sizeof t->server_ip);
	t->server_name =
	    d->banner != NULL ? relay_reply_host_name(d->banner->reply) : NULL;
	t->ts = tx_start(tx);
	t->end_ts = d->ts_end;
	t->mail_from = g_strdup(tx->mail_from);
	t->message_id =
	    tx->data != NULL ? g_strdup(tx->data->message_id) : NULL;
	t->rcpts = g_ptr_array_new_with_free_func(g_free);
	t->accepted = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; i < tx->rcpts->len; i++) {
		const struct dlg_rcpt *r = g_ptr_array_index(tx->rcpts, i);

		g_ptr_array_add(t->rcpts, g_strdup(r->address));
		if (!accepted(r))
			continue;
		if (t->accepted->len == 0)
			t->accept_ts = r->item->reply_ts;
		g_ptr_array_add(t->accepted, g_strdup(r->address));
	}
	return t;
}

void
onward_ended(struct onward *o, const struct dialogue *d)
{
	struct otx *t;
	guint i;

	multi_remove(o->open, d->client.ip, (gpointer)d);
	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		if (tx->rcpts->len == 0)
			continue;
		t = otx_new(d, tx);
		g_queue_push_tail(&o->order, t);
		multi_add(o->by_client, t->client_ip, t);
		multi_add(o->by_server, t->server_ip, t);
	}
	while (g_queue_get_length(&o->order) > ONWARD_MAX_TXS) {
		t = g_queue_pop_head(&o->order);
		multi_remove(o->by_client, t->client_ip, t);
		multi_remove(o->by_server, t->server_ip, t);
		otx_free(t);
	}
}

static bool
has_address(const GPtrArray *a, const char *addr)
{
	guint i;

	for (i = 0; i < a->len; i++)
		if (g_ascii_strcasecmp(g_ptr_array_index(a, i), addr) == 0)
			return true;
	return false;
}

/* Does onward transaction t carry recipient addr of a transaction with
 * this sender and Message-ID?  2 yes, 1 the same message to other
 * recipients, 0 no. */
static int
carries(
    const struct otx *t, const char *from, const char *msgid, const char *addr)
{
	bool same_msg = msgid != NULL && t->message_id != NULL &&
			strcmp(msgid, t->message_id) == 0;
	bool same_from = from != NULL && t->mail_from != NULL &&
			 g_ascii_strcasecmp(from, t->mail_from) == 0;

	if ((same_msg || same_from) && has_address(t->rcpts, addr))
		return 2;
	return same_msg ? 1 : 0;
}

/* Keep the better and earlier of two candidates. */
static void
consider(struct relay_onward *out, int *best, const struct otx *t, int how)
{
	if (how == 0 || how < *best || (how == *best && t->ts >= out->ts))
		return;
	*best = how;
	out->found = true;
	out->other_rcpts = how == 1;
	g_strlcpy(out->session_id, t->session_id, sizeof out->session_id);
	g_strlcpy(out->to_ip, t->server_ip, sizeof out->to_ip);
	g_free(out->to_name);
	out->to_name = g_strdup(t->server_name);
	out->ts = t->ts;
}

void
onward_lookup(void *arg, const struct dialogue *d, const struct dlg_tx *tx,
    const struct dlg_rcpt *r, struct relay_onward *out)
{
	struct onward *o = arg;
	const char *msgid = tx->data != NULL ? tx->data->message_id : NULL;
	gint64 after, until;
	GPtrArray *a;
	int best = 0;
	guint i, j;

	if (!accepted(r))
		return;
	after = r->item->reply_ts;
	until = d->ts_end + o->window;
	a = g_hash_table_lookup(o->by_client, d->server.ip);
	for (i = 0; a != NULL && i < a->len; i++) {
		const struct otx *t = g_ptr_array_index(a, i);

		if (address_same_ip(t->server_ip, d->server.ip) ||
		    t->ts < after || t->ts > until)
			continue;
		consider(out, &best, t,
		    carries(t, tx->mail_from, msgid, r->address));
	}
	a = g_hash_table_lookup(o->open, d->server.ip);
	for (i = 0; a != NULL && i < a->len; i++) {
		const struct dialogue *b = g_ptr_array_index(a, i);

		if (b == d || address_same_ip(b->server.ip, d->server.ip))
			continue;
		for (j = 0; j < b->txs->len; j++) {
			const struct dlg_tx *btx = g_ptr_array_index(b->txs, j);
			struct otx *t;
			gint64 ts = tx_start(btx);

			if (btx->rcpts->len == 0 || ts < after || ts > until)
				continue;
			t = otx_new(b, btx);
			consider(out, &best, t,
			    carries(t, tx->mail_from, msgid, r->address));
			otx_free(t);
		}
	}
}

GPtrArray *
onward_continues(struct onward *o, const struct dialogue *d)
{
	GPtrArray *a = g_hash_table_lookup(o->by_server, d->client.ip);
	GPtrArray *out = NULL;
	guint i, j, k;

	for (i = 0; a != NULL && i < a->len; i++) {
		const struct otx *t = g_ptr_array_index(a, i);
		bool hit = false;

		/* A session of the host with itself (a content filter) is
		 * a hop within it, not mail it accepted from outside. */
		if (address_same_ip(d->server.ip, t->server_ip) ||
		    address_same_ip(t->client_ip, t->server_ip))
			continue;
		for (j = 0; j < d->txs->len && !hit; j++) {
			const struct dlg_tx *tx = g_ptr_array_index(d->txs, j);
			const char *msgid =
			    tx->data != NULL ? tx->data->message_id : NULL;
			gint64 ts = tx_start(tx);

			if (t->accepted->len == 0 || ts < t->accept_ts ||
			    ts > t->end_ts + o->window)
				continue;
			for (k = 0; k < tx->rcpts->len && !hit; k++) {
				const struct dlg_rcpt *r =
				    g_ptr_array_index(tx->rcpts, k);
				bool same_msg =
				    msgid != NULL && t->message_id != NULL &&
				    strcmp(msgid, t->message_id) == 0;
				bool same_from =
				    tx->mail_from != NULL &&
				    t->mail_from != NULL &&
				    g_ascii_strcasecmp(
					tx->mail_from, t->mail_from) == 0;

				hit = same_msg ||
				      (same_from &&
					  has_address(t->accepted, r->address));
			}
		}
		if (!hit)
			continue;
		if (out == NULL)
			out = g_ptr_array_new_with_free_func(g_free);
		for (j = 0; j < out->len; j++)
			if (strcmp(g_ptr_array_index(out, j), t->session_id) ==
			    0)
				break;
		if (j == out->len)
			g_ptr_array_add(out, g_strdup(t->session_id));
	}
	return out;
}
