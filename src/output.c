/* SPDX-License-Identifier: GPL-2.0-or-later */
/* output.c: writer dispatch, the one escaping routine for wire bytes, and
 * run statistics. */
#include <string.h>
#include <time.h>

#include "gstr.h"
#include "output.h"
#include "relay.h"

static const char *const nids_warn_names[RS_NIDS_WARN_COUNT] = {
	[RS_NIDS_WARN_IP_HDR] = "ip-header",
	[RS_NIDS_WARN_IP_OTHER] = "ip-other",
	[RS_NIDS_WARN_TCP_HDR] = "tcp-header",
	[RS_NIDS_WARN_TCP_BIGQUEUE] = "tcp-big-queue",
	[RS_NIDS_WARN_TCP_TOOMUCH] = "tcp-too-many-streams",
	[RS_NIDS_WARN_OTHER] = "other",
};

const char *
output_nids_warn_name(enum rs_nids_warn w)
{
	return (unsigned)w < RS_NIDS_WARN_COUNT ? nids_warn_names[w] : "other";
}

void
output_escape(GString *out, const char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run;
	unsigned char c;

	for (i = 0; i < len; i++) {
		/* Printable bytes other than the backslash go out as a run:
		 * one append, not one per byte. */
		for (run = i; run < len && (unsigned char)p[run] >= 0x20 &&
			      (unsigned char)p[run] < 0x7f && p[run] != '\\';
		     run++)
			;
		if (run > i) {
			gs_put(out, p + i, run - i);
			i = run - 1;
			continue;
		}
		c = (unsigned char)p[i];
		if (c == '\\')
			gs_puts(out, "\\\\");
		else if (c >= 0x20 && c < 0x7f)
			gs_putc(out, (char)c);
		else if (c == '\r')
			gs_puts(out, "\\r");
		else if (c == '\n')
			gs_puts(out, "\\n");
		else if (c == '\t')
			gs_puts(out, "\\t");
		else {
			gs_puts(out, "\\x");
			gs_putc(out, hex[c >> 4]);
			gs_putc(out, hex[c & 0xf]);
		}
	}
}

void
output_time(GString *out, gint64 usec)
{
	/* The date and time of the last second formatted: records and
	 * their commands mostly share it (one process, one thread). */
	static time_t last_t = -1;
	static char last[48];
	static size_t last_len;
	char frac6[8];
	struct tm tm;
	time_t t;
	gint64 frac;
	int i;

	t = (time_t)(usec / G_USEC_PER_SEC);
	frac = usec % G_USEC_PER_SEC;
	if (frac < 0) {
		frac += G_USEC_PER_SEC;
		t--;
	}
	if (t != last_t || last_len == 0) {
		if (gmtime_r(&t, &tm) == NULL) {
			gs_puts(out, "1970-01-01T00:00:00.000000Z");
			return;
		}
		last_len = (size_t)g_snprintf(last, sizeof last,
		    "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
		last_t = t;
	}
	frac6[0] = '.';
	for (i = 6; i >= 1; i--) {
		frac6[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	frac6[7] = 'Z';
	gs_put(out, last, last_len);
	gs_put(out, frac6, 8);
}

void
output_endpoint(GString *out, const struct rs_endpoint *e)
{
	bool v6 = strchr(e->ip, ':') != NULL;

	if (v6)
		gs_putc(out, '[');
	gs_puts(out, e->ip);
	gs_put(out, v6 ? "]:" : ":", v6 ? 2 : 1);
	gs_u64(out, e->port);
}

char *
output_session(const struct output_opts *o, const struct dialogue *d)
{
	if (o->format == OUTPUT_JSON)
		return output_json_session(d);
	if (o->format == OUTPUT_ZEEK)
		return output_zeek_session(d);
	return output_text_session(o, d);
}

char *
output_summary(const struct output_opts *o, const struct run_stats *s)
{
	if (o->format == OUTPUT_JSON)
		return output_json_summary(s);
	if (o->format == OUTPUT_ZEEK)
		return output_zeek_summary();
	return output_text_summary(o, s);
}

static void
server_stats_free(gpointer p)
{
	struct server_stats *v = p;

	g_ptr_array_unref(v->refused);
	g_hash_table_destroy(v->unknown);
	diag_totals_clear(&v->diag);
	g_free(v);
}

uint64_t
server_stats_relay_attempts(const struct server_stats *v)
{
	return v->verdicts[RELAY_VERDICT_RELAY_ACCEPTED_OPEN] +
	       v->verdicts[RELAY_VERDICT_RELAY_ACCEPTED_AUTH] +
	       v->verdicts[RELAY_VERDICT_RELAY_ACCEPTED_TRUSTED] +
	       v->verdicts[RELAY_VERDICT_RELAY_DENIED];
}

static gint
unknown_cmp(gconstpointer a, gconstpointer b, gpointer h)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	gsize nx = GPOINTER_TO_SIZE(g_hash_table_lookup(h, x));
	gsize ny = GPOINTER_TO_SIZE(g_hash_table_lookup(h, y));

	if (nx != ny)
		return nx > ny ? -1 : 1;
	return strcmp(x, y);
}

GPtrArray *
server_stats_unknown(const struct server_stats *v)
{
	GPtrArray *a = g_ptr_array_new();
	GHashTableIter it;
	gpointer k;

	g_hash_table_iter_init(&it, v->unknown);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_ptr_array_add(a, k);
	g_ptr_array_sort_with_data(a, unknown_cmp, v->unknown);
	return a;
}

GPtrArray *
server_stats_decide(const struct server_stats *v, const struct run_stats *s)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) doms = server_stats_unknown(v);
	GString *c;
	guint i;

	if (v->unknown_rcpts == 0)
		return out;
	c = g_string_new("--local-domains ");
	for (i = 0; i < doms->len; i++)
		g_string_append_printf(c, "%s%s", i > 0 ? "," : "",
		    (const char *)g_ptr_array_index(doms, i));
	g_ptr_array_add(out, g_string_free(c, FALSE));
	g_ptr_array_add(out, g_strdup("--resolve"));
	c = g_string_new("relayscope replay");
	for (i = 0; i < s->files->len; i++) {
		const char *f = g_ptr_array_index(s->files, i);
		g_autofree char *q = NULL;

		/* Quoted for a shell only when it needs to be. */
		if (f[0] == '\0' ||
		    f[strspn(f, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"0123456789._/+-:@%,=")] != '\0')
			q = g_shell_quote(f);
		g_string_append_printf(c, " %s", q != NULL ? q : f);
	}
	if (s->files->len == 0)
		gs_puts(c, " FILE");
	g_string_append_printf(c, " --session %s --probe", v->unknown_session);
	g_ptr_array_add(out, g_string_free(c, FALSE));
	return out;
}

/* A recipient accepted from a stranger with locality unknown. */
static void
unknown_add(
    struct server_stats *v, const struct dialogue *d, const struct dlg_rcpt *r)
{
	const char *dom = r->final_domain != NULL ? r->final_domain : "";
	gpointer n;

	if (v->unknown_rcpts++ == 0)
		g_strlcpy(v->unknown_session, d->id, sizeof v->unknown_session);
	if (g_hash_table_lookup_extended(v->unknown, dom, NULL, &n)) {
		g_hash_table_insert(v->unknown, g_strdup(dom),
		    GSIZE_TO_POINTER(GPOINTER_TO_SIZE(n) + 1));
		return;
	}
	if (g_hash_table_size(v->unknown) >= RUN_MAX_UNKNOWN) {
		v->unknown_more++;
		return;
	}
	g_hash_table_insert(v->unknown, g_strdup(dom), GSIZE_TO_POINTER(1));
}

void
diag_totals_init(struct diag_totals *t)
{
	memset(t, 0, sizeof *t);
	t->failures =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

void
diag_totals_clear(struct diag_totals *t)
{
	if (t->failures != NULL)
		g_hash_table_destroy(t->failures);
	memset(t, 0, sizeof *t);
}

static void
failure_add(struct diag_totals *t, const struct diag_verdict *v)
{
	g_autofree char *key = NULL;
	struct diag_failure *f;

	if (v->outcome == DIAG_OUTCOME_DELIVERED || v->cause == NULL)
		return;
	key = g_strdup_printf("%s\t%s\t%.*s", diag_outcome_name(v->outcome),
	    v->cause, RUN_FAILURE_LIST_MAX, v->list != NULL ? v->list : "");
	/* (A list name holds no blank: causes_details() ends it there.) */
	f = g_hash_table_lookup(t->failures, key);
	if (f == NULL &&
	    g_hash_table_size(t->failures) >= RUN_MAX_FAILURE_KINDS) {
		g_free(key);
		key = g_strdup_printf(
		    "%s\t%s\t", diag_outcome_name(v->outcome), v->cause);
		f = g_hash_table_lookup(t->failures, key);
	}
	if (f == NULL) {
		f = g_new0(struct diag_failure, 1);
		f->outcome = diag_outcome_name(v->outcome);
		f->cause = v->cause;
		/* The list is the key's third part, which the table keeps. */
		f->list = strrchr(key, '\t') + 1;
		g_hash_table_insert(t->failures, g_steal_pointer(&key), f);
	}
	f->count++;
}

void
diag_totals_add(struct diag_totals *t, const struct dialogue *d)
{
	const struct diagnosis *g = d->diagnosis;
	unsigned i;

	if (g == NULL)
		return;
	t->sessions[g->session.outcome]++;
	if (g->n_txs == 0) {
		t->no_tx[g->session.outcome]++;
		failure_add(t, &g->session);
	}
	for (i = 0; i < g->n_txs; i++) {
		t->txs[g->txs[i].v.outcome]++;
		failure_add(t, &g->txs[i].v);
	}
}

static gint
failure_cmp(gconstpointer a, gconstpointer b)
{
	const struct diag_failure *x = *(struct diag_failure *const *)a;
	const struct diag_failure *y = *(struct diag_failure *const *)b;
	int c;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if ((c = strcmp(x->outcome, y->outcome)) != 0)
		return c;
	if ((c = strcmp(x->cause, y->cause)) != 0)
		return c;
	return strcmp(x->list, y->list);
}

GPtrArray *
diag_totals_failures(const struct diag_totals *t)
{
	GPtrArray *a = g_ptr_array_sized_new(g_hash_table_size(t->failures));
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, t->failures);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_ptr_array_add(a, v);
	g_ptr_array_sort(a, failure_cmp);
	return a;
}

void
run_stats_init(struct run_stats *s)
{
	memset(s, 0, sizeof *s);
	s->files = g_ptr_array_new_with_free_func(g_free);
	s->servers = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, server_stats_free);
	s->detected_ports = g_hash_table_new(g_direct_hash, g_direct_equal);
	s->non_smtp_ports = g_hash_table_new(g_direct_hash, g_direct_equal);
	diag_totals_init(&s->diag);
	for (int k = 0; k < RELAY_FINDING_COUNT; k++)
		s->finding_ids[k] = g_ptr_array_new_with_free_func(g_free);
}

static void
port_count(GHashTable *h, uint16_t port)
{
	gpointer k = GUINT_TO_POINTER(port);

	g_hash_table_insert(h, k,
	    GSIZE_TO_POINTER(GPOINTER_TO_SIZE(g_hash_table_lookup(h, k)) + 1));
}

void
run_stats_add_non_smtp(struct run_stats *s, const struct dialogue *d)
{
	s->non_smtp++;
	port_count(s->non_smtp_ports, d->server.port);
}

void
run_stats_clear(struct run_stats *s)
{
	g_ptr_array_unref(s->files);
	g_hash_table_destroy(s->servers);
	g_hash_table_destroy(s->detected_ports);
	g_hash_table_destroy(s->non_smtp_ports);
	diag_totals_clear(&s->diag);
	for (int k = 0; k < RELAY_FINDING_COUNT; k++)
		if (s->finding_ids[k] != NULL)
			g_ptr_array_unref(s->finding_ids[k]);
	memset(s, 0, sizeof *s);
}

static gint
server_cmp(gconstpointer a, gconstpointer b)
{
	const struct server_stats *x = *(struct server_stats *const *)a;
	const struct server_stats *y = *(struct server_stats *const *)b;
	int c = strcmp(x->server.ip, y->server.ip);

	return c != 0 ? c : (int)x->server.port - (int)y->server.port;
}

static gint
port_cmp(gconstpointer a, gconstpointer b)
{
	guint x = GPOINTER_TO_UINT(*(gconstpointer const *)a);
	guint y = GPOINTER_TO_UINT(*(gconstpointer const *)b);

	return x < y ? -1 : x > y;
}

GPtrArray *
run_stats_ports(GHashTable *h)
{
	GPtrArray *keys = g_ptr_array_sized_new(g_hash_table_size(h));
	GHashTableIter it;
	gpointer k;

	g_hash_table_iter_init(&it, h);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_ptr_array_add(keys, k);
	g_ptr_array_sort(keys, port_cmp);
	return keys;
}

GPtrArray *
run_stats_servers(const struct run_stats *s)
{
	GPtrArray *a = g_ptr_array_new();
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, s->servers);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_ptr_array_add(a, v);
	g_ptr_array_sort(a, server_cmp);
	return a;
}

static gint
str_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Count a session's relay activity under its server. */
static void
server_add(struct run_stats *s, const struct dialogue *d)
{
	g_autofree char *key =
	    g_strdup_printf("%s|%u", d->server.ip, d->server.port);
	struct server_stats *v = g_hash_table_lookup(s->servers, key);
	bool refused = false;
	guint i, j;

	if (v == NULL) {
		if (g_hash_table_size(s->servers) >= RUN_MAX_SERVERS) {
			s->servers_untracked++;
			return;
		}
		v = g_new0(struct server_stats, 1);
		v->server = d->server;
		v->refused = g_ptr_array_new_with_free_func(g_free);
		v->unknown = g_hash_table_new_full(
		    g_str_hash, g_str_equal, g_free, NULL);
		diag_totals_init(&v->diag);
		g_hash_table_insert(s->servers, g_steal_pointer(&key), v);
	}
	v->sessions++;
	diag_totals_add(&v->diag, d);
	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		for (j = 0; j < tx->rcpts->len; j++) {
			const struct dlg_rcpt *r =
			    g_ptr_array_index(tx->rcpts, j);

			if (!r->judged)
				continue;
			v->rcpts++;
			v->verdicts[r->verdict]++;
			if (r->verdict == RELAY_VERDICT_RELAY_DENIED)
				refused = true;
			if (r->verdict ==
				RELAY_VERDICT_ACCEPTED_LOCALITY_UNKNOWN &&
			    relay_from_stranger(d, r))
				unknown_add(v, d, r);
		}
	}
	for (i = 0; d->findings != NULL && i < d->findings->len; i++) {
		const struct relay_finding *f =
		    g_ptr_array_index(d->findings, i);

		if (f->kind == RELAY_FINDING_OPEN_RELAY && f->confirmed)
			v->confirmed++;
	}
	if (refused) {
		for (i = 0; i < v->refused->len; i++)
			if (strcmp(g_ptr_array_index(v->refused, i),
				d->client.ip) == 0)
				return;
		if (v->refused->len >= RUN_MAX_REFUSED) {
			/* May count a client twice; it is a bound. */
			v->refused_more++;
			return;
		}
		g_ptr_array_add(v->refused, g_strdup(d->client.ip));
		g_ptr_array_sort(v->refused, str_cmp);
	}
}

void
run_stats_add(struct run_stats *s, const struct dialogue *d)
{
	guint i, j;

	server_add(s, d);
	diag_totals_add(&s->diag, d);
	if (d->findings != NULL && d->findings->len > 0)
		s->finding_sessions++;
	{
		unsigned kinds = 0;
		int k;

		for (i = 0; d->findings != NULL && i < d->findings->len; i++) {
			const struct relay_finding *f =
			    g_ptr_array_index(d->findings, i);

			s->findings[f->kind]++;
			kinds |= 1u << f->kind;
		}
		for (k = 0; k < RELAY_FINDING_COUNT; k++) {
			if ((kinds & (1u << k)) == 0)
				continue;
			s->finding_kind_sessions[k]++;
			if (s->finding_ids[k]->len < RUN_FINDING_IDS)
				g_ptr_array_add(
				    s->finding_ids[k], g_strdup(d->id));
		}
	}
	s->sessions++;
	s->ends[d->end]++;
	if (d->picked_up)
		s->picked_up++;
	if (d->detected == DLG_DETECT_CONTENT) {
		s->detected++;
		port_count(s->detected_ports, d->server.port);
	}
	if (d->gaps[0] + d->gaps[1] > 0)
		s->with_gaps++;
	s->gap_bytes[0] += d->gap_bytes[0];
	s->gap_bytes[1] += d->gap_bytes[1];
	if (d->missing != DLG_MISSING_NONE)
		s->one_sided++;
	s->gap_txs += dialogue_gap_txs(d);
	s->transactions += d->tx_total;
	s->rcpts += d->rcpt_total;
	if (d->helo_check != NULL)
		s->helo[d->helo_check->result]++;
	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		for (j = 0; j < tx->rcpts->len; j++) {
			const struct dlg_rcpt *r =
			    g_ptr_array_index(tx->rcpts, j);
			const struct smtp_reply *rep = r->item->reply;

			s->rcpt_class[rep != NULL ? smtp_reply_class(rep->code)
						  : 0]++;
		}
	}
}
