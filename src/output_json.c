/* SPDX-License-Identifier: GPL-2.0-or-later */
/* output_json.c: JSON Lines, one object per session and a final summary
 * object, built with json-glib.  Field names are an interface: every one
 * is documented in docs/output-format.md and pinned by golden tests. */
#include <string.h>

#include <json-glib/json-glib.h>

#include "address.h"
#include "output.h"
#include "output_json.h"
#include "proxy.h"
#include "relay.h"
#include "tls.h"

static void
add_text(JsonBuilder *b, const char *member, const char *p, size_t len)
{
	g_autofree char *t = output_json_text(p, len);

	json_builder_set_member_name(b, member);
	json_builder_add_string_value(b, t);
}

void
output_json_add_str(JsonBuilder *b, const char *member, const char *s)
{
	if (s == NULL) {
		json_builder_set_member_name(b, member);
		json_builder_add_null_value(b);
		return;
	}
	add_text(b, member, s, strlen(s));
}

static void add_tls(JsonBuilder *b, const struct dialogue *d);
static void add_proxy(JsonBuilder *b, const struct dialogue *d);

/* A member holding n strings (wire bytes made valid UTF-8). */
static void
add_cstr_array(JsonBuilder *b, const char *member, char *const *v, unsigned n)
{
	unsigned i;

	json_builder_set_member_name(b, member);
	json_builder_begin_array(b);
	for (i = 0; i < n; i++) {
		g_autofree char *t = output_json_text(v[i], strlen(v[i]));

		json_builder_add_string_value(b, t);
	}
	json_builder_end_array(b);
}

/* A member holding a list of strings (wire bytes made valid UTF-8). */
static void
add_strings(JsonBuilder *b, const char *member, const GPtrArray *v)
{
	add_cstr_array(b, member, v != NULL ? (char *const *)v->pdata : NULL,
	    v != NULL ? v->len : 0);
}

static void
add_int(JsonBuilder *b, const char *member, gint64 v)
{
	json_builder_set_member_name(b, member);
	json_builder_add_int_value(b, v);
}

void
output_json_add_bool(JsonBuilder *b, const char *member, gboolean v)
{
	json_builder_set_member_name(b, member);
	json_builder_add_boolean_value(b, v);
}

static void
add_time(JsonBuilder *b, const char *member, gint64 usec)
{
	g_autoptr(GString) s = g_string_new(NULL);

	output_time(s, usec);
	json_builder_set_member_name(b, member);
	json_builder_add_string_value(b, s->str);
}

static void
add_endpoint(JsonBuilder *b, const char *member, const struct rs_endpoint *e)
{
	json_builder_set_member_name(b, member);
	json_builder_begin_object(b);
	output_json_add_str(b, "ip", e->ip);
	add_int(b, "port", e->port);
	json_builder_end_object(b);
}

/* REPLY: {"code", "enhanced", "text"} or null. */
void
output_json_add_reply(
    JsonBuilder *b, const char *member, const struct smtp_reply *r)
{
	json_builder_set_member_name(b, member);
	if (r == NULL) {
		json_builder_add_null_value(b);
		return;
	}
	json_builder_begin_object(b);
	add_int(b, "code", r->code);
	output_json_add_str(
	    b, "enhanced", r->enhanced[0] != '\0' ? r->enhanced : NULL);
	add_text(b, "text", r->text, r->text_len);
	if (r->truncated)
		output_json_add_bool(b, "truncated", TRUE);
	if (r->unterminated)
		output_json_add_bool(b, "unterminated", TRUE);
	json_builder_end_object(b);
}

static void
add_item_reply(JsonBuilder *b, const char *member, const struct dlg_item *it)
{
	output_json_add_reply(b, member, it != NULL ? it->reply : NULL);
}

/* ESMTP parameters as a list of "KEY=VALUE" strings. */
static void
add_params(JsonBuilder *b, const char *member, const char *params)
{
	g_auto(GStrv) v = NULL;
	int i;

	json_builder_set_member_name(b, member);
	json_builder_begin_array(b);
	if (params != NULL && params[0] != '\0') {
		v = g_strsplit(params, " ", -1);
		for (i = 0; v[i] != NULL; i++) {
			g_autofree char *t = NULL;

			if (v[i][0] == '\0')
				continue;
			t = output_json_text(v[i], strlen(v[i]));
			json_builder_add_string_value(b, t);
		}
	}
	json_builder_end_array(b);
}

static void
add_helo(JsonBuilder *b, const struct dialogue *d)
{
	g_autoptr(GPtrArray) ext = NULL;
	struct smtp_cmd c;
	struct strview line;

	json_builder_set_member_name(b, "helo");
	if (d->helo == NULL) {
		json_builder_add_null_value(b);
		return;
	}
	line.p = d->helo->line;
	line.len = d->helo->line_len;
	smtp_cmd_parse(line, &c);
	json_builder_begin_object(b);
	output_json_add_str(b, "verb", smtp_cmd_name(d->helo->cmd));
	add_text(b, "name", c.arg.p, c.arg.len);
	add_item_reply(b, "reply", d->helo);
	/* HELO has no extensions; an EHLO reply lists them after line 1. */
	if (d->helo->cmd != SMTP_CMD_HELO)
		ext = output_ehlo_extensions(d->helo->reply);
	add_strings(b, "extensions", ext);
	json_builder_end_object(b);
}

static void
add_auth(JsonBuilder *b, const struct dialogue *d)
{
	json_builder_set_member_name(b, "auth");
	if (d->auth == NULL) {
		json_builder_add_null_value(b);
		return;
	}
	json_builder_begin_object(b);
	output_json_add_str(b, "mechanism", d->auth->mechanism);
	output_json_add_str(b, "user", d->auth->user);
	output_json_add_str(b, "result",
	    d->auth->result == DLG_AUTH_SUCCESS	  ? "success"
	    : d->auth->result == DLG_AUTH_FAILURE ? "failure"
						  : "unknown");
	add_int(b, "attempts", d->auth_count);
	output_json_add_bool(b, "password_sent", d->auth->password_sent);
	json_builder_end_object(b);
}

static void
add_data(JsonBuilder *b, const struct dlg_data *data)
{
	json_builder_set_member_name(b, "data");
	if (data == NULL) {
		json_builder_add_null_value(b);
		return;
	}
	json_builder_begin_object(b);
	output_json_add_str(b, "command", smtp_cmd_name(data->command));
	add_item_reply(b, "reply", data->item);
	add_item_reply(b, "final_reply", data->end);
	add_int(b, "bytes", (gint64)data->bytes);
	if (data->command == SMTP_CMD_DATA)
		add_int(b, "lines", (gint64)data->lines);
	else
		add_int(b, "chunks", data->chunks);
	output_json_add_bool(b, "complete", data->complete);
	add_int(b, "bytes_lost", (gint64)data->bytes_lost);
	output_json_add_str(b, "message_id", data->message_id);
	json_builder_end_object(b);
}

/* DNS facts (struct dns_fact *): [{"source", "time", "type", "name",
 * "data", "status"}]; an empty list for NULL. */
static void
add_facts(JsonBuilder *b, const char *member, const GPtrArray *facts)
{
	guint i;

	json_builder_set_member_name(b, member);
	json_builder_begin_array(b);
	for (i = 0; facts != NULL && i < facts->len; i++) {
		const struct dns_fact *e = g_ptr_array_index(facts, i);

		json_builder_begin_object(b);
		output_json_add_str(b, "source", e->source);
		if (e->ts != 0)
			add_time(b, "time", e->ts);
		else
			output_json_add_str(b, "time", NULL);
		output_json_add_str(b, "type", dns_type_name(e->type));
		output_json_add_str(b, "name", e->name);
		output_json_add_str(b, "data", e->data);
		output_json_add_str(b, "status", dns_status_name(e->status));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

/* The relay verdict of a recipient (relay.c). */
static void
add_verdict(JsonBuilder *b, const struct dlg_rcpt *r)
{
	g_auto(GStrv) tricks = NULL;
	g_autofree char *names = NULL;
	int i;

	output_json_add_str(b, "verdict", relay_verdict_name(r->verdict));
	output_json_add_str(b, "cause", r->cause);
	output_json_add_str(b, "cause_source", r->cause_source);
	json_builder_set_member_name(b, "local");
	if (r->local < 0)
		json_builder_add_null_value(b);
	else
		json_builder_add_boolean_value(b, r->local == 1);
	output_json_add_str(b, "local_source", r->local_source);
	output_json_add_str(
	    b, "local_confidence", relay_local_confidence(r->local_kind));
	output_json_add_str(b, "local_evidence", r->local_evidence);
	add_facts(b, "local_dns", r->local_dns);
	output_json_add_str(
	    b, "onward_session", r->onward_id[0] != '\0' ? r->onward_id : NULL);
	output_json_add_str(b, "final_domain", r->final_domain);
	json_builder_set_member_name(b, "tricks");
	json_builder_begin_array(b);
	names = address_tricks_names(r->tricks, ",");
	tricks = g_strsplit(names, ",", -1);
	for (i = 0; tricks[i] != NULL; i++)
		if (tricks[i][0] != '\0')
			json_builder_add_string_value(b, tricks[i]);
	json_builder_end_array(b);
}

static void
add_transactions(JsonBuilder *b, const struct dialogue *d)
{
	guint i, j;

	json_builder_set_member_name(b, "transactions");
	json_builder_begin_array(b);
	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		json_builder_begin_object(b);
		output_json_add_str(b, "mail_from", tx->mail_from);
		add_item_reply(b, "mail_reply", tx->mail);
		add_params(b, "mail_params", tx->mail_params);
		json_builder_set_member_name(b, "rcpts");
		json_builder_begin_array(b);
		for (j = 0; j < tx->rcpts->len; j++) {
			const struct dlg_rcpt *r =
			    g_ptr_array_index(tx->rcpts, j);

			json_builder_begin_object(b);
			output_json_add_str(b, "address", r->address);
			add_item_reply(b, "reply", r->item);
			add_params(b, "params", r->params);
			if (r->judged)
				add_verdict(b, r);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		add_data(b, tx->data);
		output_json_add_bool(b, "gap", tx->gap);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void
add_commands(JsonBuilder *b, const struct dialogue *d)
{
	guint i;

	json_builder_set_member_name(b, "commands");
	json_builder_begin_array(b);
	for (i = 0; i < d->items->len; i++) {
		const struct dlg_item *it = g_ptr_array_index(d->items, i);

		if (it->kind == DLG_ITEM_BANNER)
			continue;
		json_builder_begin_object(b);
		add_time(b, "ts",
		    it->kind == DLG_ITEM_UNSOLICITED ? it->reply_ts : it->ts);
		switch (it->kind) {
		case DLG_ITEM_UNSOLICITED:
			output_json_add_str(b, "verb", NULL);
			output_json_add_str(b, "line", NULL);
			break;
		case DLG_ITEM_GAP:
			output_json_add_str(b, "verb", NULL);
			output_json_add_str(b, "line", NULL);
			json_builder_set_member_name(b, "gap");
			json_builder_begin_object(b);
			output_json_add_str(b, "side",
			    it->dir == DLG_DIR_CLIENT ? "client" : "server");
			add_int(b, "bytes", (gint64)it->bytes);
			json_builder_end_object(b);
			break;
		case DLG_ITEM_SERVER_JUNK:
			output_json_add_str(b, "verb", NULL);
			add_text(b, "server_line", it->line, it->line_len);
			break;
		default:
			output_json_add_str(b, "verb", smtp_cmd_name(it->cmd));
			if (it->line != NULL)
				add_text(b, "line", it->line, it->line_len);
			else
				output_json_add_str(b, "line", NULL);
			break;
		}
		if (it->cmd == SMTP_CMD_END_OF_DATA || it->cmd == SMTP_CMD_BDAT)
			add_int(b, "bytes", (gint64)it->bytes);
		if (it->kind != DLG_ITEM_SERVER_JUNK)
			output_json_add_reply(b, "reply", it->reply);
		output_json_add_bool(
		    b, "pipelined", (it->flags & DLG_F_PIPELINED) != 0);
		/* Present only when true (capture loss, pickup). */
		if (it->flags & DLG_F_REPLY_LOST)
			output_json_add_bool(b, "reply_lost", TRUE);
		if (it->flags & DLG_F_UNCERTAIN)
			output_json_add_bool(b, "uncertain", TRUE);
		if (it->flags & DLG_F_NOT_CAPTURED)
			output_json_add_bool(b, "not_captured", TRUE);
		if (it->flags & DLG_F_EARLY)
			output_json_add_bool(b, "before_greeting", TRUE);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void
add_findings(JsonBuilder *b, const struct dialogue *d)
{
	guint i;

	json_builder_set_member_name(b, "findings");
	json_builder_begin_array(b);
	for (i = 0; d->findings != NULL && i < d->findings->len; i++) {
		const struct relay_finding *f =
		    g_ptr_array_index(d->findings, i);

		json_builder_begin_object(b);
		output_json_add_str(b, "kind", relay_finding_name(f->kind));
		output_json_add_str(b, "severity", f->severity);
		if (f->kind == RELAY_FINDING_OPEN_RELAY) {
			output_json_add_bool(b, "confirmed", f->confirmed);
			output_json_add_str(b, "evidence", f->evidence);
		}
		add_strings(b, "rcpts", f->rcpts);
		output_json_add_bool(b, "uncertain", f->uncertain);
		output_json_add_str(b, "summary", f->summary);
		output_json_add_str(b, "remedy", f->remedy);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void
add_helo_check(JsonBuilder *b, const struct helo_report *r)
{
	json_builder_set_member_name(b, "helo_check");
	if (r == NULL) {
		json_builder_add_null_value(b);
		return;
	}
	json_builder_begin_object(b);
	output_json_add_str(b, "result", helo_result_name(r->result));
	add_text(b, "name", r->name, strlen(r->name));
	output_json_add_str(b, "client_ip", r->client_ip);
	output_json_add_str(b, "syntax", helo_syntax_name(r->syntax.syntax));
	output_json_add_str(b, "forward", helo_tri_name(r->forward));
	add_strings(b, "addresses", r->addresses);
	add_strings(b, "ptr_names", r->ptr_names);
	output_json_add_str(b, "name_is_ptr", helo_tri_name(r->name_is_ptr));
	output_json_add_str(b, "fcrdns", helo_tri_name(r->fcrdns));
	add_facts(b, "evidence", r->evidence);
	output_json_add_bool(b, "server_rejected", r->server_rejected);
	output_json_add_str(b, "server_reply", r->server_reply);
	json_builder_end_object(b);
}

static void
add_dns_summary(JsonBuilder *b, const struct run_stats *s)
{
	int k;

	json_builder_set_member_name(b, "helo_checks");
	json_builder_begin_object(b);
	for (k = 0; k < HELO_RESULT_COUNT; k++)
		add_int(b, helo_result_name(k), (gint64)s->helo[k]);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "dns");
	json_builder_begin_object(b);
	add_int(b, "capture_facts", (gint64)s->dns_capture);
	add_int(b, "capture_dropped", (gint64)s->dns_capture_dropped);
	add_int(b, "map_facts", (gint64)s->dns_map);
	json_builder_set_member_name(b, "live");
	if (!s->live)
		json_builder_add_null_value(b);
	else {
		json_builder_begin_object(b);
		add_int(b, "queries", (gint64)s->live_stats.queries);
		add_int(b, "answered", (gint64)s->live_stats.answered);
		add_int(b, "timeouts", (gint64)s->live_stats.timeouts);
		add_int(b, "failed", (gint64)s->live_stats.failed);
		output_json_add_bool(b, "stopped", s->live_stats.stopped);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
}

char *
output_json_generate(JsonBuilder *b)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autofree char *txt = NULL;

	GString *out;
	const char *p;

	json_generator_set_root(gen, root);
	txt = json_generator_to_data(gen, NULL);
	/* json-glib 1.6 escapes control characters below 0x1f but writes
	 * 0x1f itself as is, which JSON forbids (RFC 8259 §7).  The byte
	 * can only stand inside a string: escape it there. */
	if (strchr(txt, 0x1f) == NULL)
		return g_strconcat(txt, "\n", NULL);
	out = g_string_sized_new(strlen(txt) + 16);
	for (p = txt; *p != '\0'; p++) {
		if (*p == 0x1f)
			g_string_append(out, "\\u001f");
		else
			g_string_append_c(out, *p);
	}
	g_string_append_c(out, '\n');
	return g_string_free(out, FALSE);
}

char *
output_json_session(const struct dialogue *d)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	int a;

	json_builder_begin_object(b);
	output_json_add_str(b, "type", "session");
	output_json_add_str(b, "id", d->id);
	add_int(b, "seq", (gint64)d->seq);
	add_time(b, "ts_start", d->ts_start);
	add_time(b, "ts_end", d->ts_end);
	add_endpoint(b, "client", &d->client);
	add_endpoint(b, "server", &d->server);
	output_json_add_str(b, "detected",
	    d->detected == DLG_DETECT_CONTENT ? "content" : "port");
	output_json_add_str(b, "end", dialogue_end_name(d->end));
	output_json_add_bool(b, "picked_up", d->picked_up);
	output_json_add_str(
	    b, "missing_side", dialogue_missing_name(d->missing));
	json_builder_set_member_name(b, "gap");
	json_builder_begin_object(b);
	add_int(b, "count", d->gaps[0] + d->gaps[1]);
	add_int(b, "client_bytes", (gint64)d->gap_bytes[0]);
	add_int(b, "server_bytes", (gint64)d->gap_bytes[1]);
	add_int(b, "transactions", dialogue_gap_txs(d));
	json_builder_end_object(b);
	add_item_reply(b, "banner", d->banner);
	add_helo(b, d);
	add_int(b, "helo_count", d->helo_count);
	add_tls(b, d);
	add_proxy(b, d);
	add_auth(b, d);
	json_builder_set_member_name(b, "client_trust");
	json_builder_begin_object(b);
	output_json_add_bool(b, "trusted", d->client_trust != NULL);
	output_json_add_str(b, "source", d->client_trust);
	json_builder_end_object(b);
	{
		g_autoptr(GPtrArray) ids = dialogue_onward_ids(d);

		add_strings(b, "onward_sessions", ids);
		add_strings(b, "continues", d->continues);
	}
	output_json_add_bool(b, "judged_early", d->judged_early);
	json_builder_set_member_name(b, "cut");
	json_builder_begin_object(b);
	output_json_add_str(b, "to", d->cut_to[0] != '\0' ? d->cut_to : NULL);
	output_json_add_str(
	    b, "from", d->cut_from[0] != '\0' ? d->cut_from : NULL);
	json_builder_end_object(b);
	add_transactions(b, d);
	add_int(b, "transaction_count", (gint64)d->tx_total);
	add_int(b, "rcpt_count", (gint64)d->rcpt_total);
	add_commands(b, d);
	json_builder_set_member_name(b, "bytes");
	json_builder_begin_object(b);
	add_int(b, "client", (gint64)d->bytes_client);
	add_int(b, "server", (gint64)d->bytes_server);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "anomalies");
	json_builder_begin_array(b);
	for (a = 0; a < ANOMALY_COUNT; a++)
		if (d->anomalies[a] > 0)
			json_builder_add_string_value(b, anomaly_name(a));
	json_builder_end_array(b);
	json_builder_set_member_name(b, "anomaly_counts");
	json_builder_begin_object(b);
	for (a = 0; a < ANOMALY_COUNT; a++)
		if (d->anomalies[a] > 0)
			add_int(b, anomaly_name(a), d->anomalies[a]);
	json_builder_end_object(b);
	add_helo_check(b, d->helo_check);
	add_findings(b, d);
	output_json_add_bool(b, "truncated", d->frozen);
	json_builder_end_object(b);
	return output_json_generate(b);
}

static void
add_servers(JsonBuilder *b, const struct run_stats *s)
{
	g_autoptr(GPtrArray) v = run_stats_servers(s);
	guint i;

	json_builder_set_member_name(b, "servers");
	json_builder_begin_array(b);
	for (i = 0; i < v->len; i++) {
		const struct server_stats *x = g_ptr_array_index(v, i);

		json_builder_begin_object(b);
		add_endpoint(b, "server", &x->server);
		g_autoptr(GPtrArray) doms = server_stats_unknown(x);
		g_autoptr(GPtrArray) cmds = server_stats_decide(x, s);
		guint j;
		int k;

		add_int(b, "sessions", (gint64)x->sessions);
		add_int(b, "recipients", (gint64)x->rcpts);
		json_builder_set_member_name(b, "verdicts");
		json_builder_begin_object(b);
		for (k = 0; k < RELAY_VERDICT_COUNT; k++)
			add_int(
			    b, relay_verdict_name(k), (gint64)x->verdicts[k]);
		json_builder_end_object(b);
		add_int(b, "relay_attempts",
		    (gint64)server_stats_relay_attempts(x));
		add_int(b, "accepted_open",
		    (gint64)x->verdicts[RELAY_VERDICT_RELAY_ACCEPTED_OPEN]);
		add_int(b, "confirmed", (gint64)x->confirmed);
		add_int(b, "denied",
		    (gint64)x->verdicts[RELAY_VERDICT_RELAY_DENIED]);
		add_strings(b, "clients_refused", x->refused);
		add_int(b, "clients_refused_more", (gint64)x->refused_more);
		add_int(b, "unknown_rcpts", (gint64)x->unknown_rcpts);
		json_builder_set_member_name(b, "unknown_domains");
		json_builder_begin_array(b);
		for (j = 0; j < doms->len; j++) {
			const char *dom = g_ptr_array_index(doms, j);

			json_builder_begin_object(b);
			output_json_add_str(b, "domain", dom);
			add_int(b, "rcpts",
			    (gint64)GPOINTER_TO_SIZE(
				g_hash_table_lookup(x->unknown, dom)));
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		add_int(b, "unknown_domains_more", (gint64)x->unknown_more);
		add_strings(b, "decide", cmds);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	add_int(b, "servers_untracked_sessions", (gint64)s->servers_untracked);
}

/* Ports and counts, by port. */
static void
add_port_counts(JsonBuilder *b, const char *name, GHashTable *h)
{
	g_autoptr(GPtrArray) keys = run_stats_ports(h);
	guint i;

	json_builder_set_member_name(b, name);
	json_builder_begin_object(b);
	for (i = 0; i < keys->len; i++) {
		char port[8];
		gpointer key = g_ptr_array_index(keys, i);

		g_snprintf(port, sizeof port, "%u", GPOINTER_TO_UINT(key));
		add_int(b, port,
		    (gint64)GPOINTER_TO_SIZE(g_hash_table_lookup(h, key)));
	}
	json_builder_end_object(b);
}

static void
add_detection(JsonBuilder *b, const struct run_stats *s)
{
	json_builder_set_member_name(b, "detection");
	json_builder_begin_object(b);
	add_int(b, "by_port", (gint64)(s->sessions - s->detected));
	add_int(b, "by_content", (gint64)s->detected);
	add_port_counts(b, "content_ports", s->detected_ports);
	add_int(b, "not_smtp", (gint64)s->detect_rejected);
	add_int(b, "non_smtp_on_smtp_ports", (gint64)s->non_smtp);
	add_port_counts(b, "non_smtp_ports", s->non_smtp_ports);
	json_builder_end_object(b);
}

static void
add_tls_version(JsonBuilder *b, const char *member, uint16_t v)
{
	char hex[8];
	const char *name = tls_version_name(v);

	if (name == NULL) {
		g_snprintf(hex, sizeof hex, "0x%04x", v);
		name = hex;
	}
	output_json_add_str(b, member, name);
}

static void
add_tls_cert(JsonBuilder *b, const struct tls_cert *c)
{
	json_builder_begin_object(b);
	output_json_add_str(b, "subject", c->subject);
	output_json_add_str(b, "issuer", c->issuer);
	add_cstr_array(b, "dns_names", c->dns, c->n_dns);
	add_cstr_array(b, "ip_addresses", c->ip, c->n_ip);
	if (c->not_before >= 0)
		add_time(b, "not_before", c->not_before * G_USEC_PER_SEC);
	else
		output_json_add_str(b, "not_before", NULL);
	if (c->not_after >= 0)
		add_time(b, "not_after", c->not_after * G_USEC_PER_SEC);
	else
		output_json_add_str(b, "not_after", NULL);
	output_json_add_str(b, "sha256", c->sha256);
	output_json_add_bool(b, "readable", !c->unreadable);
	json_builder_end_object(b);
}

/* "tls": STARTTLS offered and begun, and what its cleartext handshake
 * said (docs/output-format.md). */
static void
add_tls(JsonBuilder *b, const struct dialogue *d)
{
	const struct tls_info *t =
	    d->tls != NULL ? tls_conn_info(d->tls) : NULL;
	char id[8];
	unsigned i;

	json_builder_set_member_name(b, "tls");
	json_builder_begin_object(b);
	output_json_add_bool(b, "offered", d->tls_offered);
	output_json_add_bool(b, "started", d->tls_started);
	output_json_add_str(b, "mode",
	    d->tls_mode == DLG_TLS_IMPLICIT   ? "implicit"
	    : d->tls_mode == DLG_TLS_STARTTLS ? "starttls"
					      : NULL);
	output_json_add_bool(b, "plaintext_after", d->tls_plaintext);
	output_json_add_bool(b, "server_plaintext", d->tls_server_plaintext);
	json_builder_set_member_name(b, "handshake");
	if (t == NULL) {
		json_builder_add_null_value(b);
		json_builder_end_object(b);
		return;
	}
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "versions_offered");
	json_builder_begin_array(b);
	for (i = 0; i < t->n_ch_versions; i++) {
		const char *n = tls_version_name(t->ch_versions[i]);

		if (n != NULL)
			json_builder_add_string_value(b, n);
	}
	json_builder_end_array(b);
	if (t->server_hello)
		add_tls_version(b, "version", t->version);
	else
		output_json_add_str(b, "version", NULL);
	output_json_add_str(b, "sni", t->sni);
	add_cstr_array(b, "alpn", t->alpn, t->n_alpn);
	json_builder_set_member_name(b, "cipher_suite");
	if (t->server_hello) {
		json_builder_begin_object(b);
		g_snprintf(id, sizeof id, "0x%04x", t->cipher_suite);
		output_json_add_str(b, "id", id);
		output_json_add_str(b, "name", t->cipher_suite_name);
		json_builder_end_object(b);
	} else
		json_builder_add_null_value(b);
	output_json_add_bool(b, "hello_retry", t->hello_retry);
	json_builder_set_member_name(b, "certificates");
	json_builder_begin_array(b);
	for (i = 0; i < t->server.chain.len; i++)
		add_tls_cert(b, &t->server.chain.certs[i]);
	json_builder_end_array(b);
	add_int(b, "certificates_total", t->server.chain.total);
	output_json_add_bool(
	    b, "certificate_encrypted", t->certificate_encrypted);
	json_builder_set_member_name(b, "alerts");
	json_builder_begin_array(b);
	for (i = 0; i < t->n_alerts; i++) {
		const struct tls_alert *a = &t->alerts[i];
		const char *n = tls_alert_name(a->desc);
		char code[8];

		if (n == NULL) {
			g_snprintf(code, sizeof code, "%u", a->desc);
			n = code;
		}
		json_builder_begin_object(b);
		output_json_add_str(
		    b, "from", a->from_server ? "server" : "client");
		output_json_add_str(b, "level",
		    a->level == TLS_ALERT_FATAL ? "fatal" : "warning");
		output_json_add_str(b, "description", n);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	add_int(b, "alerts_total", t->alerts_total);
	add_int(b, "encrypted_alerts",
	    t->client.encrypted_alerts + t->server.encrypted_alerts);
	output_json_add_bool(b, "completed", t->completed);
	json_builder_end_object(b);
	json_builder_end_object(b);
}

/* "proxy": the preamble before the tunnelled SMTP (docs/output-format.md),
 * or null. */
static void
add_proxy(JsonBuilder *b, const struct dialogue *d)
{
	const struct proxy_info *p;
	unsigned q;

	json_builder_set_member_name(b, "proxy");
	if (d->proxy == NULL) {
		json_builder_add_null_value(b);
		return;
	}
	p = proxy_conn_info(d->proxy);
	json_builder_begin_object(b);
	output_json_add_str(b, "kind", proxy_kind_name(p->kind));
	add_endpoint(b, "address", &d->server);
	json_builder_set_member_name(b, "destination");
	json_builder_begin_object(b);
	output_json_add_str(b, "host", p->host);
	if (p->port != 0)
		add_int(b, "port", p->port);
	else
		output_json_add_str(b, "port", NULL);
	json_builder_end_object(b);
	output_json_add_str(b, "state", proxy_state_name(p->state));
	output_json_add_str(b, "reason", p->reason);
	json_builder_set_member_name(b, "reply");
	if (p->reply_code >= 0) {
		json_builder_begin_object(b);
		add_int(b, "code", p->reply_code);
		output_json_add_str(b, "text",
		    p->reply_text != NULL
			? p->reply_text
			: proxy_reply_name(p->kind, p->reply_code));
		json_builder_end_object(b);
	} else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "auth");
	json_builder_begin_object(b);
	output_json_add_bool(b, "demanded", p->auth_demanded);
	output_json_add_str(b, "scheme",
	    p->auth_scheme != NULL ? p->auth_scheme
	    : p->method >= 0	   ? proxy_method_name(p->method)
				   : NULL);
	output_json_add_str(b, "user", p->user);
	output_json_add_bool(b, "password_sent", p->password_sent);
	output_json_add_bool(b, "authenticated", p->authenticated);
	json_builder_end_object(b);
	output_json_add_bool(b, "open", proxy_conn_open_tunnel(d->proxy));
	add_int(b, "attempts", p->attempts);
	add_int(b, "client_early", (gint64)p->client_early);
	json_builder_set_member_name(b, "quirks");
	json_builder_begin_array(b);
	for (q = 0; q < PROXY_QUIRK_COUNT; q++)
		if (p->quirks & (1u << q))
			json_builder_add_string_value(b, proxy_quirk_name(q));
	json_builder_end_array(b);
	json_builder_end_object(b);
}

/* What the memory budget made the run give up (docs/output-format.md). */
static void
add_memory(JsonBuilder *b, const struct budget *m)
{
	json_builder_set_member_name(b, "memory");
	json_builder_begin_object(b);
	add_int(b, "limit", (gint64)MIN(m->limit, (size_t)G_MAXINT64));
	add_int(b, "times_over", (gint64)m->reliefs);
	add_int(b, "records_out_of_order", (gint64)m->records_forced);
	add_int(b, "judged_early", (gint64)m->held_early);
	add_int(b, "buffers_freed", (gint64)m->buffers_freed);
	add_int(b, "sessions_cut", (gint64)m->sessions_cut);
	add_int(b, "bytes_shed", (gint64)m->bytes_shed);
	add_int(b, "dns_not_kept", (gint64)m->refused[BUDGET_DNS]);
	json_builder_end_object(b);
}

char *
output_json_summary(const struct run_stats *s)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	int e;

	json_builder_begin_object(b);
	output_json_add_str(b, "type", "summary");
	output_json_add_bool(b, "complete", !s->incomplete);
	output_json_add_str(b, "interrupted", s->interrupted);
	add_strings(b, "files", s->files);
	json_builder_set_member_name(b, "packets");
	json_builder_begin_object(b);
	add_int(b, "read", (gint64)s->frames);
	add_int(b, "ipv4", (gint64)s->ipv4);
	add_int(b, "ipv6", (gint64)s->ipv6);
	add_int(b, "tunnelled", (gint64)s->tunnelled);
	add_int(b, "ipv6_fragments", (gint64)s->ipv6_fragments);
	add_int(b, "ipv6_unmapped", (gint64)s->ipv6_unmapped);
	add_int(b, "other", (gint64)s->other_l3);
	add_int(b, "undecodable", (gint64)s->undecodable);
	add_int(b, "truncated", (gint64)s->truncated);
	add_int(b, "dropped", (gint64)s->pcap_drops);
	add_int(b, "ipv4_fragments_dropped", (gint64)s->ipv4_frag_dropped);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "sessions");
	json_builder_begin_object(b);
	add_int(b, "total", (gint64)s->sessions);
	for (e = 1; e < DLG_END_COUNT; e++)
		add_int(b, dialogue_end_name(e), (gint64)s->ends[e]);
	add_int(b, "picked_up", (gint64)s->picked_up);
	add_int(b, "with_gaps", (gint64)s->with_gaps);
	add_int(b, "one_sided", (gint64)s->one_sided);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "gap_bytes");
	json_builder_begin_object(b);
	add_int(b, "client", (gint64)s->gap_bytes[0]);
	add_int(b, "server", (gint64)s->gap_bytes[1]);
	json_builder_end_object(b);
	add_int(b, "gap_transactions", (gint64)s->gap_txs);
	add_int(b, "transactions", (gint64)s->transactions);
	json_builder_set_member_name(b, "recipients");
	json_builder_begin_object(b);
	add_int(b, "total", (gint64)s->rcpts);
	add_int(b, "2xx", (gint64)s->rcpt_class[2]);
	add_int(b, "4xx", (gint64)s->rcpt_class[4]);
	add_int(b, "5xx", (gint64)s->rcpt_class[5]);
	add_int(b, "no_reply", (gint64)s->rcpt_class[0]);
	json_builder_end_object(b);
	add_servers(b, s);
	add_dns_summary(b, s);
	add_memory(b, &s->memory);
	json_builder_set_member_name(b, "overlap_conflicts");
	json_builder_begin_object(b);
	add_int(b, "tcp", (gint64)s->overlap_conflicts[0]);
	add_int(b, "fragments", (gint64)s->overlap_conflicts[1]);
	json_builder_end_object(b);
	add_int(b, "handshakes_forgotten", (gint64)s->handshakes_forgotten);
	add_detection(b, s);
	json_builder_set_member_name(b, "libnids_warnings");
	json_builder_begin_object(b);
	for (e = 0; e < RS_NIDS_WARN_COUNT; e++)
		add_int(b, output_nids_warn_name(e), (gint64)s->nids_warn[e]);
	json_builder_end_object(b);
	json_builder_end_object(b);
	return output_json_generate(b);
}
