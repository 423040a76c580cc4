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
 * sessions are looked at too.
 *
 * The index is compact: addresses are compared as hashes (case-folded,
 * as the matching is), a collision costs at worst a wrong link, never a
 * wrong byte of output.  A transaction is kept as a possible onward one
 * only when its client has been seen as a server of the capture, and as
 * a possible first one only when its server accepted a recipient. */
#include <string.h>

#include "address.h"
#include "budget.h"
#include "onward.h"

/* Addresses remembered as seen clients or servers, at most. */
#define ONWARD_MAX_SEEN 65536
/* How long after its session an onward transaction is kept, beyond the
 * window: the session it continues may end that much later (a long
 * session with many messages) and look for it then. */
#define ONWARD_KEEP (600 * G_USEC_PER_SEC)

/* One transaction of an ended session, as the index keeps it. */
struct otx {
	char session_id[17];
	char client_ip[48], server_ip[48];
	char *server_name; /* from the greeting (onward ones only); or NULL */
	size_t mem;	   /* charged to the budget */
	gint64 ts;	   /* when it began (MAIL, else the first RCPT) */
	gint64 accept_ts;  /* the first recipient the server accepted */
	gint64 end_ts;	   /* the end of its session */
	guint from;	   /* hashes; 0: none */
	guint msgid;
	guint n_rcpts, n_accepted;
	guint *rcpts; /* every RCPT sent, then those accepted */
	bool onward;  /* in by_client: its client is a server */
	bool first;   /* in by_server: its server accepted mail */
};

/* The index's queues, each oldest first, by how long an entry stays:
 * the possible first hops of servers not seen sending (ONWARD_FIRST_WAIT),
 * of servers seen sending, and the possible onward hops (both: the window
 * and ONWARD_KEEP). */
enum { Q_SHORT, Q_LONG, Q_ONWARD, Q_COUNT };

struct onward {
	gint64 window;
	gint64 now;	       /* the latest session end seen */
	GQueue q[Q_COUNT];     /* struct otx * */
	GHashTable *by_client; /* ip -> GPtrArray of struct otx * */
	GHashTable *by_server; /* ip -> GPtrArray of struct otx * */
	GHashTable *open;      /* client ip -> GPtrArray of dialogue * */
	GHashTable *clients;   /* ips seen as clients (a set) */
	GHashTable *servers;   /* ips seen as servers (a set) */
};

static void
otx_free(struct otx *t)
{
	budget_release(BUDGET_ONWARD, t->mem);
	g_free(t->server_name);
	g_free(t->rcpts);
	g_free(t);
}

static GHashTable *
multi_new(void)
{
	return g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
}

struct onward *
onward_new(gint64 window)
{
	struct onward *o = g_new0(struct onward, 1);

	o->window = window;
	for (int i = 0; i < Q_COUNT; i++)
		g_queue_init(&o->q[i]);
	o->by_client = multi_new();
	o->by_server = multi_new();
	o->open = multi_new();
	o->clients =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	o->servers =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return o;
}

void
onward_free(struct onward *o)
{
	struct otx *t;

	if (o == NULL)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		while ((t = g_queue_pop_head(&o->q[i])) != NULL)
			otx_free(t);
	g_hash_table_destroy(o->by_client);
	g_hash_table_destroy(o->by_server);
	g_hash_table_destroy(o->open);
	g_hash_table_destroy(o->clients);
	g_hash_table_destroy(o->servers);
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

static void
seen_add(GHashTable *set, const char *ip)
{
	if (g_hash_table_size(set) < ONWARD_MAX_SEEN &&
	    !g_hash_table_contains(set, ip))
		g_hash_table_add(set, g_strdup(ip));
}

void
onward_started(struct onward *o, const struct dialogue *d)
{
	multi_add(o->open, d->client.ip, (gpointer)d);
	seen_add(o->clients, d->client.ip);
	seen_add(o->servers, d->server.ip);
}

bool
onward_seen_client(const struct onward *o, const char *ip)
{
	return g_hash_table_contains(o->clients, ip);
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

/* An address as the matching compares it: case-folded, hashed; 0 for
 * none (a hash of 0 becomes 1). */
static guint
addr_hash(const char *a)
{
	g_autofree char *low = NULL;
	guint h;

	if (a == NULL)
		return 0;
	low = g_ascii_strdown(a, -1);
	h = g_str_hash(low);
	return h != 0 ? h : 1;
}

static guint
msgid_hash(const char *m)
{
	guint h;

	if (m == NULL)
		return 0;
	h = g_str_hash(m);
	return h != 0 ? h : 1;
}

/* A transaction as the index keeps it; with_name: keep the server's name
 * (to tell where an onward hop went). */
static struct otx *
otx_new(const struct dialogue *d, const struct dlg_tx *tx, bool with_name)
{
	struct otx *t = g_new0(struct otx, 1);
	guint i;

	g_strlcpy(t->session_id, d->id, sizeof t->session_id);
	g_strlcpy(t->client_ip, d->client.ip, sizeof t->client_ip);
	g_strlcpy(t->server_ip, d->server.ip, sizeof t->server_ip);
	if (with_name && d->banner != NULL)
		t->server_name = relay_reply_host_name(d->banner->reply);
	t->ts = tx_start(tx);
	t->end_ts = d->ts_end;
	t->from = addr_hash(tx->mail_from);
	t->msgid = msgid_hash(tx->data != NULL ? tx->data->message_id : NULL);
	t->rcpts = g_new(guint, 2 * tx->rcpts->len + 1);
	for (i = 0; i < tx->rcpts->len; i++) {
		const struct dlg_rcpt *r = g_ptr_array_index(tx->rcpts, i);

		t->rcpts[t->n_rcpts++] = addr_hash(r->address);
	}
	for (i = 0; i < tx->rcpts->len; i++) {
		const struct dlg_rcpt *r = g_ptr_array_index(tx->rcpts, i);

		if (!accepted(r))
			continue;
		if (t->n_accepted == 0)
			t->accept_ts = r->item->reply_ts;
		t->rcpts[t->n_rcpts + t->n_accepted++] = addr_hash(r->address);
	}
	/* With its queue link and its place in the by_* arrays. */
	t->mem = budget_bytes(sizeof *t) + budget_str(t->server_name) +
		 budget_bytes((2 * tx->rcpts->len + 1) * sizeof(guint)) + 48;
	budget_charge(BUDGET_ONWARD, t->mem);
	return t;
}

static void
otx_drop(struct onward *o, struct otx *t)
{
	if (t->onward)
		multi_remove(o->by_client, t->client_ip, t);
	if (t->first)
		multi_remove(o->by_server, t->server_ip, t);
	otx_free(t);
}

static guint
index_size(const struct onward *o)
{
	guint n = 0;

	for (int i = 0; i < Q_COUNT; i++)
		n += g_queue_get_length((GQueue *)&o->q[i]);
	return n;
}

/* Forget what can no longer match: a possible first hop whose server has
 * not been seen sending, ONWARD_FIRST_WAIT after its session (moved to the
 * long queue if its server did send meanwhile), the others after the
 * window and ONWARD_KEEP; and past ONWARD_MAX_TXS or a quarter of the
 * memory budget, the oldest. */
static void
expire(struct onward *o)
{
	gint64 keep = o->window + ONWARD_KEEP;
	struct otx *t;
	int i;

	while ((t = g_queue_peek_head(&o->q[Q_SHORT])) != NULL &&
	       t->end_ts + MIN(o->window, ONWARD_FIRST_WAIT) < o->now) {
		g_queue_pop_head(&o->q[Q_SHORT]);
		if (g_hash_table_contains(o->clients, t->server_ip))
			g_queue_push_tail(&o->q[Q_LONG], t);
		else
			otx_drop(o, t);
	}
	for (i = Q_LONG; i < Q_COUNT; i++)
		while ((t = g_queue_peek_head(&o->q[i])) != NULL &&
		       t->end_ts + keep < o->now)
			otx_drop(o, g_queue_pop_head(&o->q[i]));
	while (index_size(o) > ONWARD_MAX_TXS ||
	       rs_budget.used[BUDGET_ONWARD] > rs_budget.limit / 4) {
		GQueue *q = NULL;

		/* The oldest head of the three. */
		for (i = 0; i < Q_COUNT; i++) {
			t = g_queue_peek_head(&o->q[i]);
			if (t != NULL &&
			    (q == NULL ||
				t->end_ts < ((struct otx *)g_queue_peek_head(q))
						->end_ts))
				q = &o->q[i];
		}
		if (q == NULL)
			break;
		otx_drop(o, g_queue_pop_head(q));
	}
}

void
onward_ended(struct onward *o, const struct dialogue *d)
{
	bool onward = g_hash_table_contains(o->servers, d->client.ip);
	bool sends = g_hash_table_contains(o->clients, d->server.ip);
	struct otx *t;
	guint i;

	multi_remove(o->open, d->client.ip, (gpointer)d);
	if (d->ts_end > o->now)
		o->now = d->ts_end;
	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		if (tx->rcpts->len == 0)
			continue;
		t = otx_new(d, tx, onward);
		t->onward = onward;
		t->first = t->n_accepted > 0;
		if (!t->onward && !t->first) {
			otx_free(t);
			continue;
		}
		g_queue_push_tail(&o->q[onward	? Q_ONWARD
					: sends ? Q_LONG
						: Q_SHORT],
		    t);
		if (t->onward)
			multi_add(o->by_client, t->client_ip, t);
		if (t->first)
			multi_add(o->by_server, t->server_ip, t);
	}
	expire(o);
}

static bool
has_hash(const guint *v, guint n, guint h)
{
	guint i;

	for (i = 0; i < n; i++)
		if (v[i] == h)
			return true;
	return false;
}

/* Does onward transaction t carry recipient (hash) rcpt of a transaction
 * with this sender and Message-ID (hashes)?  2 yes, 1 the same message to
 * other recipients, 0 no. */
static int
carries(const struct otx *t, guint from, guint msgid, guint rcpt)
{
	bool same_msg = msgid != 0 && t->msgid == msgid;
	bool same_from = from != 0 && t->from == from;

	if ((same_msg || same_from) && has_hash(t->rcpts, t->n_rcpts, rcpt))
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
	GPtrArray *a = g_hash_table_lookup(o->by_client, d->server.ip);
	GPtrArray *open = g_hash_table_lookup(o->open, d->server.ip);
	guint from, msgid, rcpt;
	gint64 after, until;
	int best = 0;
	guint i, j;

	/* Most servers never send: nothing to hash then. */
	if ((a == NULL && open == NULL) || !accepted(r))
		return;
	from = addr_hash(tx->mail_from);
	msgid = msgid_hash(tx->data != NULL ? tx->data->message_id : NULL);
	rcpt = addr_hash(r->address);
	after = r->item->reply_ts;
	until = d->ts_end + o->window;
	for (i = 0; a != NULL && i < a->len; i++) {
		const struct otx *t = g_ptr_array_index(a, i);

		if (address_same_ip(t->server_ip, d->server.ip) ||
		    t->ts < after || t->ts > until)
			continue;
		consider(out, &best, t, carries(t, from, msgid, rcpt));
	}
	for (i = 0; open != NULL && i < open->len; i++) {
		const struct dialogue *b = g_ptr_array_index(open, i);

		if (b == d || address_same_ip(b->server.ip, d->server.ip))
			continue;
		for (j = 0; j < b->txs->len; j++) {
			const struct dlg_tx *btx = g_ptr_array_index(b->txs, j);
			struct otx *t;
			gint64 ts = tx_start(btx);

			if (btx->rcpts->len == 0 || ts < after || ts > until)
				continue;
			t = otx_new(b, btx, true);
			consider(out, &best, t, carries(t, from, msgid, rcpt));
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
		const guint *acc = t->rcpts + t->n_rcpts;
		bool hit = false;

		/* A session of the host with itself (a content filter) is
		 * a hop within it, not mail it accepted from outside. */
		if (address_same_ip(d->server.ip, t->server_ip) ||
		    address_same_ip(t->client_ip, t->server_ip))
			continue;
		for (j = 0; j < d->txs->len && !hit; j++) {
			const struct dlg_tx *tx = g_ptr_array_index(d->txs, j);
			guint msgid = msgid_hash(
			    tx->data != NULL ? tx->data->message_id : NULL);
			guint from = addr_hash(tx->mail_from);
			gint64 ts = tx_start(tx);

			if (ts < t->accept_ts || ts > t->end_ts + o->window)
				continue;
			if (msgid != 0 && msgid == t->msgid)
				hit = true;
			for (k = 0; k < tx->rcpts->len && !hit; k++) {
				const struct dlg_rcpt *r =
				    g_ptr_array_index(tx->rcpts, k);

				hit = from != 0 && from == t->from &&
				      has_hash(acc, t->n_accepted,
					  addr_hash(r->address));
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
