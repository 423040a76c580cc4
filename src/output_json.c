/* SPDX-License-Identifier: GPL-2.0-or-later */
/* output_json.c: JSON Lines, one object per session and a final summary
 * object, built with json-glib.  Field names are an interface: every one
 * is documented in docs/output-format.md and pinned by golden tests. */
#include <string.h>

#include "address.h"
#include "community_id.h"
#include "diagnosis.h"
#include "gstr.h"
#include "jsonw.h"
#include "message.h"
#include "mime.h"
#include "output.h"
#include "output_json.h"
#include "proxy.h"
#include "relay.h"
#include "tls.h"

static void add_tls(struct jsonw *b, const struct dialogue *d);
static void add_proxy(struct jsonw *b, const struct dialogue *d);

/* A member holding n strings (wire bytes made valid UTF-8). */
static void
add_cstr_array(struct jsonw *b, const char *member, char *const *v, unsigned n)
{
	unsigned i;

	jw_array(b, member);
	for (i = 0; i < n; i++)
		jw_str(b, NULL, v[i]);
	jw_end_array(b);
}

/* A member holding a list of strings (wire bytes made valid UTF-8). */
static void
add_strings(struct jsonw *b, const char *member, const GPtrArray *v)
{
	add_cstr_array(b, member, v != NULL ? (char *const *)v->pdata : NULL,
	    v != NULL ? v->len : 0);
}

/* A time as epoch seconds, a JSON number written exactly: the integer
 * seconds, '.', six digits of microseconds, never through a double or
 * printf("%f") (1795395421.123456 has 16 significant digits).  Before
 * 1970 the number is negative and still exact: -0.000001 is the instant
 * output_time() writes as 1969-12-31T23:59:59.999999Z.  Every gint64 is
 * written as it is; output_time()'s fallback for a time gmtime_r() cannot
 * convert is never reached with a 64-bit time_t (gint64 microseconds end
 * in the year 294247). */
static void
add_epoch(struct jsonw *b, const char *member, gint64 usec)
{
	jw_key(b, member);
	gs_fixed(b->out, usec, 6);
}

/* An RFC 3339 time member, and after it the same time as epoch seconds:
 * the names follow one rule, epoch is member + "_epoch"
 * (docs/output-format.md, "Times"); both null when not known. */
static void
add_time(struct jsonw *b, const char *member, const char *epoch, bool known,
    gint64 usec)
{
	if (!known) {
		jw_null(b, member);
		jw_null(b, epoch);
		return;
	}
	jw_key(b, member);
	g_string_append_c(b->out, '"');
	output_time(b->out, usec);
	g_string_append_c(b->out, '"');
	add_epoch(b, epoch, usec);
}

/* "community_id": the session's Community ID v1 (community_id.h), or null
 * when its endpoints are not addresses (only in records made by hand: a
 * captured session always has them). */
static void
add_community_id(struct jsonw *b, const struct dialogue *d)
{
	char id[COMMUNITY_ID_SIZE];

	if (community_id_v1(id, d->client.ip, d->client.port, d->server.ip,
		d->server.port, COMMUNITY_ID_TCP, 0))
		jw_str(b, "community_id", id);
	else
		jw_null(b, "community_id");
}

static void
add_endpoint(struct jsonw *b, const char *member, const struct rs_endpoint *e)
{
	jw_object(b, member);
	jw_str(b, "ip", e->ip);
	jw_int(b, "port", e->port);
	jw_end_object(b);
}

/* REPLY: {"code", "enhanced", "text"} or null. */
void
output_json_add_reply(
    struct jsonw *b, const char *member, const struct smtp_reply *r)
{

	if (r == NULL) {
		jw_null(b, member);
		return;
	}
	jw_object(b, member);
	jw_int(b, "code", r->code);
	jw_str(b, "enhanced", r->enhanced[0] != '\0' ? r->enhanced : NULL);
	jw_text(b, "text", r->text, r->text_len);
	if (r->truncated)
		jw_bool(b, "truncated", true);
	if (r->unterminated)
		jw_bool(b, "unterminated", true);
	jw_end_object(b);
}

static void
add_item_reply(struct jsonw *b, const char *member, const struct dlg_item *it)
{
	output_json_add_reply(b, member, it != NULL ? it->reply : NULL);
}

/* ESMTP parameters as a list of "KEY=VALUE" strings. */
static void
add_params(struct jsonw *b, const char *member, const char *params)
{
	const char *p = params, *sp;

	jw_array(b, member);
	/* Split at spaces, empty words skipped, without copying. */
	while (p != NULL && *p != '\0') {
		sp = strchr(p, ' ');
		if (sp == NULL)
			sp = p + strlen(p);
		if (sp > p)
			jw_text(b, NULL, p, (size_t)(sp - p));
		p = *sp != '\0' ? sp + 1 : sp;
	}
	jw_end_array(b);
}

static void
add_helo(struct jsonw *b, const struct dialogue *d)
{
	g_autoptr(GPtrArray) ext = NULL;
	struct smtp_cmd c;
	struct strview line;

	if (d->helo == NULL) {
		jw_null(b, "helo");
		return;
	}
	line.p = d->helo->line;
	line.len = d->helo->line_len;
	smtp_cmd_parse(line, &c);
	jw_object(b, "helo");
	jw_str(b, "verb", smtp_cmd_name(d->helo->cmd));
	jw_text(b, "name", c.arg.p, c.arg.len);
	add_item_reply(b, "reply", d->helo);
	/* HELO has no extensions; an EHLO reply lists them after line 1. */
	if (d->helo->cmd != SMTP_CMD_HELO)
		ext = smtp_reply_ehlo_extensions(d->helo->reply);
	add_strings(b, "extensions", ext);
	jw_end_object(b);
}

static void
add_auth(struct jsonw *b, const struct dialogue *d)
{

	if (d->auth == NULL) {
		jw_null(b, "auth");
		return;
	}
	jw_object(b, "auth");
	jw_str(b, "mechanism", d->auth->mechanism);
	jw_str(b, "user", d->auth->user);
	jw_str(b, "result",
	    d->auth->result == DLG_AUTH_SUCCESS	  ? "success"
	    : d->auth->result == DLG_AUTH_FAILURE ? "failure"
						  : "unknown");
	jw_int(b, "attempts", d->auth_count);
	jw_bool(b, "password_sent", d->auth->password_sent);
	jw_end_object(b);
}

static void
add_data(struct jsonw *b, const struct dlg_data *data)
{

	if (data == NULL) {
		jw_null(b, "data");
		return;
	}
	jw_object(b, "data");
	jw_str(b, "command", smtp_cmd_name(data->command));
	add_item_reply(b, "reply", data->item);
	add_item_reply(b, "final_reply", data->end);
	jw_int(b, "bytes", (gint64)data->bytes);
	if (data->command == SMTP_CMD_DATA)
		jw_int(b, "lines", (gint64)data->lines);
	else
		jw_int(b, "chunks", data->chunks);
	jw_bool(b, "complete", data->complete);
	jw_int(b, "bytes_lost", (gint64)data->bytes_lost);
	jw_str(b, "message_id", data->message_id);
	{
		char qid[SMTP_QUEUE_ID_MAX + 1];

		jw_str(b, "queue_id",
		    data->end != NULL &&
			    smtp_reply_queue_id(data->end->reply, qid)
			? qid
			: NULL);
	}
	jw_end_object(b);
}

/* DNS facts (struct dns_fact *): [{"source", "time", "type", "name",
 * "data", "status"}]; an empty list for NULL. */
static void
add_facts(struct jsonw *b, const char *member, const GPtrArray *facts)
{
	guint i;

	jw_array(b, member);
	for (i = 0; facts != NULL && i < facts->len; i++) {
		const struct dns_fact *e = g_ptr_array_index(facts, i);

		jw_object(b, NULL);
		jw_str(b, "source", e->source);
		add_time(b, "time", "time_epoch", e->ts != 0, e->ts);
		jw_str(b, "type", dns_type_name(e->type));
		jw_str(b, "name", e->name);
		jw_str(b, "data", e->data);
		jw_str(b, "status", dns_status_name(e->status));
		jw_end_object(b);
	}
	jw_end_array(b);
}

/* The relay verdict of a recipient (relay.c). */
static void
add_verdict(struct jsonw *b, const struct dlg_rcpt *r)
{
	g_auto(GStrv) tricks = NULL;
	g_autofree char *names = NULL;
	int i;

	jw_str(b, "verdict", relay_verdict_name(r->verdict));
	jw_str(b, "cause", r->cause);
	jw_str(b, "cause_source", r->cause_source);

	if (r->local < 0)
		jw_null(b, "local");
	else
		jw_bool(b, "local", r->local == 1);
	jw_str(b, "local_source", r->local_source);
	jw_str(b, "local_confidence", relay_local_confidence(r->local_kind));
	jw_str(b, "local_evidence", r->local_evidence);
	add_facts(b, "local_dns", r->local_dns);
	jw_str(
	    b, "onward_session", r->onward_id[0] != '\0' ? r->onward_id : NULL);
	jw_str(b, "final_domain", r->final_domain);
	jw_array(b, "tricks");
	names = address_tricks_names(r->tricks, ",");
	tricks = g_strsplit(names, ",", -1);
	for (i = 0; tricks[i] != NULL; i++)
		if (tricks[i][0] != '\0')
			jw_str(b, NULL, tricks[i]);
	jw_end_array(b);
}

/* A verdict: {"outcome", "stage", "cause", "cause_source", "phrase",
 * "explanation", "remedy": {"client", "server"}, "command", "reply",
 * "retry_after", "waited_ms", "blocklist", "url", "note"}. */
static void
add_diag_verdict(struct jsonw *b, const char *key, const struct diag_verdict *v)
{
	const struct cause_info *c = cause_info(v->cause);
	const struct dlg_item *it = v->item;

	jw_object(b, key);
	jw_str(b, "outcome", diag_outcome_name(v->outcome));
	jw_str(b, "stage",
	    v->outcome == DIAG_OUTCOME_DELIVERED
		? diag_stage_name(DIAG_STAGE_END_OF_DATA)
		: diag_stage_name(v->stage));
	jw_str(b, "cause", v->cause);
	jw_str(b, "cause_source", v->cause_source);
	jw_str(b, "phrase", c != NULL ? c->phrase : NULL);
	jw_str(b, "explanation", c != NULL ? c->explanation : NULL);
	if (c != NULL) {
		jw_object(b, "remedy");
		jw_str(b, "client", c->remedy_client);
		jw_str(b, "server", c->remedy_server);
		jw_end_object(b);
	} else
		jw_null(b, "remedy");
	if (it != NULL && it->kind == DLG_ITEM_COMMAND)
		jw_str(b, "command", smtp_cmd_name(it->cmd));
	else if (it != NULL && it->kind == DLG_ITEM_BANNER)
		jw_str(b, "command", NULL);
	else
		jw_str(b, "command", NULL);
	output_json_add_reply(b, "reply", it != NULL ? it->reply : NULL);
	if (v->retry_after >= 0)
		jw_int(b, "retry_after", v->retry_after);
	else
		jw_null(b, "retry_after");
	jw_ms(b, "waited_ms", v->waited);
	if (v->list != NULL || v->address != NULL) {
		jw_object(b, "blocklist");
		jw_str(b, "list", v->list);
		jw_str(b, "address", v->address);
		jw_end_object(b);
	} else
		jw_null(b, "blocklist");
	jw_str(b, "url", v->url);
	jw_str(b, "note", v->note);
	jw_bool(b, "client_fault",
	    c != NULL && (c->flags & CAUSE_F_CLIENT_FAULT) != 0);
	jw_end_object(b);
}

/* The session's "diagnosis" and "timing". */
static void
add_diagnosis(struct jsonw *b, const struct dialogue *d)
{
	const struct diagnosis *g = d->diagnosis;
	unsigned i;

	if (g == NULL) {
		jw_null(b, "diagnosis");
		jw_null(b, "timing");
		return;
	}
	add_diag_verdict(b, "diagnosis", &g->session);
	jw_object(b, "timing");
	jw_ms(b, "greeting_ms", g->greeting);
	jw_int(b, "replies", g->replies);
	jw_ms(b, "median_reply_ms", g->median);
	jw_ms(b, "slowest_reply_ms", g->slowest);
	jw_str(b, "slowest_command",
	    g->slowest_item != NULL ? smtp_cmd_name(g->slowest_item->cmd)
				    : NULL);
	jw_array(b, "flags");
	for (i = 0; i < g->n_flags; i++) {
		const struct diag_flag *f = &g->flags[i];

		jw_object(b, NULL);
		jw_str(b, "kind", diag_flag_name(f->kind));
		jw_str(b, "command",
		    f->item != NULL && f->item->kind == DLG_ITEM_COMMAND
			? smtp_cmd_name(f->item->cmd)
			: NULL);
		jw_ms(b, "ms", f->usec);
		jw_str(b, "text", f->text);
		jw_end_object(b);
	}
	jw_end_array(b);
	jw_end_object(b);
}

static void
add_addresses(struct jsonw *b, const char *key, const GPtrArray *a)
{
	guint i;

	jw_array(b, key);
	for (i = 0; i < a->len; i++) {
		const struct message_address *x = g_ptr_array_index(a, i);

		jw_object(b, NULL);
		jw_str(b, "name", x->name);
		jw_str(b, "address", x->address);
		jw_end_object(b);
	}
	jw_end_array(b);
}

/* The names of the bits of v, by name(bit), as an array. */
static void
add_bit_names(struct jsonw *b, const char *key, unsigned v,
    const char *(*name)(unsigned bit))
{
	unsigned bit;

	jw_array(b, key);
	for (bit = 1; bit != 0; bit <<= 1)
		if ((v & bit) && name(bit) != NULL)
			jw_str(b, NULL, name(bit));
	jw_end_array(b);
}

/* "mime": the message's MIME structure (mime.h), or null. */
static void
add_mime(struct jsonw *b, const struct dlg_data *dd)
{
	const struct mime_info *m = dd != NULL ? dd->mime : NULL;
	guint i;

	if (m == NULL) {
		jw_null(b, "mime");
		return;
	}
	jw_object(b, "mime");
	jw_int(b, "entities", m->entities);
	jw_array(b, "parts");
	for (i = 0; i < m->parts->len; i++) {
		const struct mime_part *p = g_ptr_array_index(m->parts, i);
		bool leaf = p->flags & MIME_PART_LEAF;

		jw_object(b, NULL);
		jw_int(b, "index", p->index);
		jw_int(b, "parent", p->parent);
		jw_int(b, "level", p->level);
		jw_str(b, "content_type", p->type);
		jw_str(b, "charset", p->charset);
		jw_str(b, "encoding", p->encoding);
		jw_str(b, "disposition", p->disposition);
		jw_str(b, "filename", p->filename);
		jw_bool(b, "leaf", leaf);
		jw_bool(
		    b, "attachment", leaf && (p->flags & MIME_PART_ATTACHMENT));
		if (leaf)
			jw_int(b, "size", (gint64)p->size);
		else
			jw_null(b, "size");
		jw_int(b, "wire_size", (gint64)p->wire_size);
		jw_str(b, "md5", p->md5[0] != '\0' ? p->md5 : NULL);
		jw_str(b, "sha1", p->sha1[0] != '\0' ? p->sha1 : NULL);
		jw_str(b, "sha256", p->sha256[0] != '\0' ? p->sha256 : NULL);
		add_bit_names(b, "flags", p->flags, mime_part_flag_name);
		jw_str(b, "extracted",
		    p->extract_status != NULL ? p->extract : NULL);
		jw_str(b, "extract_status", p->extract_status);
		jw_end_object(b);
	}
	jw_end_array(b);
	add_strings(b, "urls", m->urls);
	jw_int(b, "urls_dropped", (gint64)m->urls_dropped);
	jw_array(b, "gaps");
	for (i = 0; m->gaps != NULL && i < m->gaps->len; i++) {
		const struct mime_gap *g =
		    &g_array_index(m->gaps, struct mime_gap, i);

		jw_object(b, NULL);
		jw_int(b, "offset", (gint64)g->offset);
		jw_int(b, "bytes", (gint64)g->bytes);
		jw_end_object(b);
	}
	jw_end_array(b);
	jw_bool(b, "structure_lost", m->structure_lost);
	jw_str(b, "body_md5", m->body_md5[0] != '\0' ? m->body_md5 : NULL);
	add_bit_names(b, "limits", m->limits, mime_limit_name);
	jw_end_object(b);
}

/* "extracted": --extract's file of the message, or null. */
static void
add_extracted(struct jsonw *b, const struct dlg_data *dd)
{
	if (dd == NULL || dd->extract_status == NULL) {
		jw_null(b, "extracted");
		return;
	}
	jw_object(b, "extracted");
	jw_str(b, "file", dd->extract);
	jw_str(b, "status", dd->extract_status);
	jw_int(b, "bytes", (gint64)dd->extract_bytes);
	jw_str(b, "sha256", dd->extract != NULL ? dd->extract_sha256 : NULL);
	jw_end_object(b);
}

/* "message": what the header says (message.h), or null. */
static void
add_message(struct jsonw *b, const struct dlg_tx *tx)
{
	struct message_info *m = message_parse(tx);
	guint i;

	if (m == NULL) {
		jw_null(b, "message");
		return;
	}
	jw_object(b, "message");
	add_addresses(b, "from", m->from);
	add_addresses(b, "sender", m->sender);
	add_addresses(b, "to", m->to);
	add_addresses(b, "cc", m->cc);
	add_addresses(b, "reply_to", m->reply_to);
	jw_str(b, "subject", m->subject);
	jw_str(b, "subject_raw", m->subject_raw);
	{
		/* Suricata's email.subject_md5: of the field as sent. */
		char *md5 = m->subject_raw != NULL
				? g_compute_checksum_for_string(
				      G_CHECKSUM_MD5, m->subject_raw, -1)
				: NULL;

		jw_str(b, "subject_md5", md5);
		g_free(md5);
	}
	jw_str(b, "date", m->date);
	jw_str(b, "in_reply_to", m->in_reply_to);
	jw_str(b, "references", m->references);
	jw_str(b, "user_agent", m->user_agent);
	jw_str(b, "x_originating_ip", m->x_originating_ip);
	jw_array(b, "received");
	for (i = 0; i < m->received->len; i++) {
		const struct message_hop *h = g_ptr_array_index(m->received, i);

		jw_object(b, NULL);
		jw_str(b, "from", h->from);
		jw_str(b, "by", h->by);
		jw_str(b, "with", h->with);
		jw_str(b, "id", h->id);
		jw_str(b, "for", h->for_);
		jw_str(b, "date", h->date);
		jw_str(b, "raw", h->raw);
		jw_end_object(b);
	}
	jw_end_array(b);
	add_strings(b, "authentication_results", m->auth_results);
	jw_bool(b, "from_domain_differs", m->from_domain_differs);
	add_strings(b, "rcpts_not_in_header", m->not_in_header);
	add_strings(b, "header_rcpts_not_in_envelope", m->not_in_envelope);
	add_strings(b, "mismatches", m->mismatches);
	jw_bool(b, "header_cut", m->cut);
	jw_end_object(b);
	message_free(m);
}

static void
add_transactions(struct jsonw *b, const struct dialogue *d)
{
	const struct diagnosis *g = d->diagnosis;
	guint i, j;

	jw_array(b, "transactions");
	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		jw_object(b, NULL);
		jw_str(b, "mail_from", tx->mail_from);
		add_item_reply(b, "mail_reply", tx->mail);
		add_params(b, "mail_params", tx->mail_params);
		jw_array(b, "rcpts");
		for (j = 0; j < tx->rcpts->len; j++) {
			const struct dlg_rcpt *r =
			    g_ptr_array_index(tx->rcpts, j);

			jw_object(b, NULL);
			jw_str(b, "address", r->address);
			add_item_reply(b, "reply", r->item);
			add_params(b, "params", r->params);
			if (r->judged)
				add_verdict(b, r);
			if (g != NULL && i < g->n_txs &&
			    j < g->txs[i].n_rcpts) {
				jw_str(b, "outcome",
				    diag_outcome_name(
					g->txs[i].rcpts[j].outcome));
				jw_str(b, "outcome_cause",
				    g->txs[i].rcpts[j].cause);
			}
			jw_end_object(b);
		}
		jw_end_array(b);
		add_data(b, tx->data);
		add_message(b, tx);
		add_mime(b, tx->data);
		add_extracted(b, tx->data);
		jw_bool(b, "gap", tx->gap);
		if (g != NULL && i < g->n_txs) {
			const struct diag_retry *rt = &g->txs[i].retry_of;

			add_diag_verdict(b, "diagnosis", &g->txs[i].v);
			if (rt->session[0] != '\0') {
				jw_object(b, "retry_of");
				jw_str(b, "session", rt->session);
				jw_ms(b, "after_ms", rt->after);
				jw_str(b, "cause", rt->cause);
				jw_end_object(b);
			} else
				jw_null(b, "retry_of");
		}
		jw_end_object(b);
	}
	jw_end_array(b);
}

static void
add_commands(struct jsonw *b, const struct dialogue *d)
{
	guint i;

	jw_array(b, "commands");
	for (i = 0; i < d->items->len; i++) {
		const struct dlg_item *it = g_ptr_array_index(d->items, i);

		if (it->kind == DLG_ITEM_BANNER)
			continue;
		jw_object(b, NULL);
		add_time(b, "ts", "ts_epoch", true,
		    it->kind == DLG_ITEM_UNSOLICITED ? it->reply_ts : it->ts);
		switch (it->kind) {
		case DLG_ITEM_UNSOLICITED:
			jw_str(b, "verb", NULL);
			jw_str(b, "line", NULL);
			break;
		case DLG_ITEM_GAP:
			jw_str(b, "verb", NULL);
			jw_str(b, "line", NULL);
			jw_object(b, "gap");
			jw_str(b, "side",
			    it->dir == DLG_DIR_CLIENT ? "client" : "server");
			jw_int(b, "bytes", (gint64)it->bytes);
			jw_end_object(b);
			break;
		case DLG_ITEM_SERVER_JUNK:
			jw_str(b, "verb", NULL);
			jw_text(b, "server_line", it->line, it->line_len);
			break;
		default:
			jw_str(b, "verb", smtp_cmd_name(it->cmd));
			if (it->line != NULL)
				jw_text(b, "line", it->line, it->line_len);
			else
				jw_str(b, "line", NULL);
			break;
		}
		if (it->cmd == SMTP_CMD_END_OF_DATA || it->cmd == SMTP_CMD_BDAT)
			jw_int(b, "bytes", (gint64)it->bytes);
		if (it->kind != DLG_ITEM_SERVER_JUNK)
			output_json_add_reply(b, "reply", it->reply);
		if (it->kind == DLG_ITEM_COMMAND)
			jw_ms(b, "response_ms", diagnosis_reply_time(it));
		jw_bool(b, "pipelined", (it->flags & DLG_F_PIPELINED) != 0);
		/* Present only when true (capture loss, pickup). */
		if (it->flags & DLG_F_REPLY_LOST)
			jw_bool(b, "reply_lost", true);
		if (it->flags & DLG_F_UNCERTAIN)
			jw_bool(b, "uncertain", true);
		if (it->flags & DLG_F_NOT_CAPTURED)
			jw_bool(b, "not_captured", true);
		if (it->flags & DLG_F_EARLY)
			jw_bool(b, "before_greeting", true);
		jw_end_object(b);
	}
	jw_end_array(b);
}

static void
add_findings(struct jsonw *b, const struct dialogue *d)
{
	guint i;

	jw_array(b, "findings");
	for (i = 0; d->findings != NULL && i < d->findings->len; i++) {
		const struct relay_finding *f =
		    g_ptr_array_index(d->findings, i);

		jw_object(b, NULL);
		jw_str(b, "kind", relay_finding_name(f->kind));
		jw_str(b, "severity", f->severity);
		if (f->kind == RELAY_FINDING_OPEN_RELAY) {
			jw_bool(b, "confirmed", f->confirmed);
			jw_str(b, "evidence", f->evidence);
		}
		add_strings(b, "rcpts", f->rcpts);
		jw_bool(b, "uncertain", f->uncertain);
		jw_str(b, "summary", f->summary);
		jw_str(b, "remedy", f->remedy);
		jw_end_object(b);
	}
	jw_end_array(b);
}

static void
add_helo_check(struct jsonw *b, const struct helo_report *r)
{

	if (r == NULL) {
		jw_null(b, "helo_check");
		return;
	}
	jw_object(b, "helo_check");
	jw_str(b, "result", helo_result_name(r->result));
	jw_text(b, "name", r->name, strlen(r->name));
	jw_str(b, "client_ip", r->client_ip);
	jw_str(b, "syntax", helo_syntax_name(r->syntax.syntax));
	jw_str(b, "forward", helo_tri_name(r->forward));
	add_strings(b, "addresses", r->addresses);
	add_strings(b, "ptr_names", r->ptr_names);
	jw_str(b, "name_is_ptr", helo_tri_name(r->name_is_ptr));
	jw_str(b, "fcrdns", helo_tri_name(r->fcrdns));
	add_facts(b, "evidence", r->evidence);
	jw_bool(b, "server_rejected", r->server_rejected);
	jw_str(b, "server_reply", r->server_reply);
	jw_end_object(b);
}

static void
add_dns_summary(struct jsonw *b, const struct run_stats *s)
{
	int k;

	jw_object(b, "helo_checks");
	for (k = 0; k < HELO_RESULT_COUNT; k++)
		jw_int(b, helo_result_name(k), (gint64)s->helo[k]);
	jw_end_object(b);
	jw_object(b, "dns");
	jw_int(b, "capture_facts", (gint64)s->dns_capture);
	jw_int(b, "capture_dropped", (gint64)s->dns_capture_dropped);
	jw_int(b, "map_facts", (gint64)s->dns_map);

	if (!s->live)
		jw_null(b, "live");
	else {
		jw_object(b, "live");
		jw_int(b, "queries", (gint64)s->live_stats.queries);
		jw_int(b, "answered", (gint64)s->live_stats.answered);
		jw_int(b, "timeouts", (gint64)s->live_stats.timeouts);
		jw_int(b, "failed", (gint64)s->live_stats.failed);
		jw_bool(b, "stopped", s->live_stats.stopped);
		jw_end_object(b);
	}
	jw_end_object(b);
}

char *
output_json_finish(struct jsonw *b)
{
	g_assert(b->depth == 0);
	g_string_append_c(b->out, '\n');
	return g_string_free(b->out, FALSE);
}

char *
output_json_session(const struct dialogue *d)
{
	struct jsonw w, *b = &w;
	int a;

	/* Sized for a typical record: one allocation, rarely grown. */
	jw_init(b, g_string_sized_new(4096));
	jw_object(b, NULL);
	jw_str(b, "type", "session");
	jw_str(b, "id", d->id);
	jw_int(b, "seq", (gint64)d->seq);
	/* The name Zeek's and Suricata's users sort by: the start, as
	 * seconds (docs/output-format.md, "Times"). */
	add_epoch(b, "ts", d->ts_start);
	add_time(b, "ts_start", "ts_start_epoch", true, d->ts_start);
	add_time(b, "ts_end", "ts_end_epoch", true, d->ts_end);
	add_endpoint(b, "client", &d->client);
	add_endpoint(b, "server", &d->server);
	add_community_id(b, d);
	jw_str(b, "detected",
	    d->detected == DLG_DETECT_CONTENT ? "content" : "port");
	jw_str(b, "end", dialogue_end_name(d->end));
	jw_bool(b, "picked_up", d->picked_up);
	jw_str(b, "missing_side", dialogue_missing_name(d->missing));
	jw_object(b, "gap");
	jw_int(b, "count", d->gaps[0] + d->gaps[1]);
	jw_int(b, "client_bytes", (gint64)d->gap_bytes[0]);
	jw_int(b, "server_bytes", (gint64)d->gap_bytes[1]);
	jw_int(b, "transactions", dialogue_gap_txs(d));
	jw_end_object(b);
	add_item_reply(b, "banner", d->banner);
	add_helo(b, d);
	jw_int(b, "helo_count", d->helo_count);
	add_tls(b, d);
	add_proxy(b, d);
	add_auth(b, d);
	jw_object(b, "client_trust");
	jw_bool(b, "trusted", d->client_trust != NULL);
	jw_str(b, "source", d->client_trust);
	jw_end_object(b);
	{
		g_autoptr(GPtrArray) ids = dialogue_onward_ids(d);

		add_strings(b, "onward_sessions", ids);
		add_strings(b, "continues", d->continues);
	}
	jw_bool(b, "judged_early", d->judged_early);
	jw_object(b, "cut");
	jw_str(b, "to", d->cut_to[0] != '\0' ? d->cut_to : NULL);
	jw_str(b, "from", d->cut_from[0] != '\0' ? d->cut_from : NULL);
	jw_end_object(b);
	add_transactions(b, d);
	jw_int(b, "transaction_count", (gint64)d->tx_total);
	jw_int(b, "rcpt_count", (gint64)d->rcpt_total);
	add_commands(b, d);
	jw_object(b, "bytes");
	jw_int(b, "client", (gint64)d->bytes_client);
	jw_int(b, "server", (gint64)d->bytes_server);
	jw_end_object(b);
	jw_array(b, "anomalies");
	for (a = 0; a < ANOMALY_COUNT; a++)
		if (d->anomalies[a] > 0)
			jw_str(b, NULL, anomaly_name(a));
	jw_end_array(b);
	jw_object(b, "anomaly_counts");
	for (a = 0; a < ANOMALY_COUNT; a++)
		if (d->anomalies[a] > 0)
			jw_int(b, anomaly_name(a), d->anomalies[a]);
	jw_end_object(b);
	add_helo_check(b, d->helo_check);
	add_findings(b, d);
	add_diagnosis(b, d);
	jw_bool(b, "truncated", d->frozen);
	jw_end_object(b);
	return output_json_finish(b);
}

/* "findings": {"total", "sessions", "by_kind": {KIND: n}, "session_ids":
 * {KIND: [id]}}: every kind a key of by_kind; session_ids only for the
 * kinds seen, their first RUN_FINDING_IDS sessions. */
static void
add_findings_summary(struct jsonw *b, const struct run_stats *s)
{
	uint64_t total = 0;
	int k;

	for (k = 0; k < RELAY_FINDING_COUNT; k++)
		total += s->findings[k];
	jw_object(b, "findings");
	jw_int(b, "total", (gint64)total);
	jw_int(b, "sessions", (gint64)s->finding_sessions);
	jw_object(b, "by_kind");
	for (k = 0; k < RELAY_FINDING_COUNT; k++)
		jw_int(b, relay_finding_name(k), (gint64)s->findings[k]);
	jw_end_object(b);
	jw_object(b, "session_ids");
	for (k = 0; k < RELAY_FINDING_COUNT; k++)
		if (s->finding_ids[k]->len > 0)
			add_strings(
			    b, relay_finding_name(k), s->finding_ids[k]);
	jw_end_object(b);
	jw_end_object(b);
}

/* "outcomes": {"transactions": {outcome: n}, "sessions": {...},
 * "sessions_without_transaction": {...}, "failures": [{"outcome",
 * "cause", "list", "count"}]}: every outcome named, 0 or not. */
static void
add_outcome_counts(struct jsonw *b, const char *key, const uint64_t *v)
{
	int k;

	jw_object(b, key);
	for (k = 0; k < DIAG_OUTCOME_COUNT; k++)
		jw_int(b, diag_outcome_name(k), (gint64)v[k]);
	jw_end_object(b);
}

static void
add_diag_totals(struct jsonw *b, const struct diag_totals *x)
{
	g_autoptr(GPtrArray) f = diag_totals_failures(x);
	guint i;

	jw_object(b, "outcomes");
	add_outcome_counts(b, "transactions", x->txs);
	add_outcome_counts(b, "sessions", x->sessions);
	add_outcome_counts(b, "sessions_without_transaction", x->no_tx);
	jw_array(b, "failures");
	for (i = 0; i < f->len; i++) {
		const struct diag_failure *e = g_ptr_array_index(f, i);

		jw_object(b, NULL);
		jw_str(b, "outcome", e->outcome);
		jw_str(b, "cause", e->cause);
		jw_str(b, "list", e->list[0] != '\0' ? e->list : NULL);
		jw_int(b, "count", (gint64)e->count);
		jw_end_object(b);
	}
	jw_end_array(b);
	jw_end_object(b);
}

static void
add_servers(struct jsonw *b, const struct run_stats *s)
{
	g_autoptr(GPtrArray) v = run_stats_servers(s);
	guint i;

	jw_array(b, "servers");
	for (i = 0; i < v->len; i++) {
		const struct server_stats *x = g_ptr_array_index(v, i);

		jw_object(b, NULL);
		add_endpoint(b, "server", &x->server);
		g_autoptr(GPtrArray) doms = server_stats_unknown(x);
		g_autoptr(GPtrArray) cmds = server_stats_decide(x, s);
		guint j;
		int k;

		jw_int(b, "sessions", (gint64)x->sessions);
		jw_int(b, "recipients", (gint64)x->rcpts);
		jw_object(b, "verdicts");
		for (k = 0; k < RELAY_VERDICT_COUNT; k++)
			jw_int(
			    b, relay_verdict_name(k), (gint64)x->verdicts[k]);
		jw_end_object(b);
		jw_int(b, "relay_attempts",
		    (gint64)server_stats_relay_attempts(x));
		jw_int(b, "accepted_open",
		    (gint64)x->verdicts[RELAY_VERDICT_RELAY_ACCEPTED_OPEN]);
		jw_int(b, "confirmed", (gint64)x->confirmed);
		jw_int(b, "denied",
		    (gint64)x->verdicts[RELAY_VERDICT_RELAY_DENIED]);
		add_strings(b, "clients_refused", x->refused);
		jw_int(b, "clients_refused_more", (gint64)x->refused_more);
		add_diag_totals(b, &x->diag);
		jw_int(b, "unknown_rcpts", (gint64)x->unknown_rcpts);
		jw_array(b, "unknown_domains");
		for (j = 0; j < doms->len; j++) {
			const char *dom = g_ptr_array_index(doms, j);

			jw_object(b, NULL);
			jw_str(b, "domain", dom);
			jw_int(b, "rcpts",
			    (gint64)GPOINTER_TO_SIZE(
				g_hash_table_lookup(x->unknown, dom)));
			jw_end_object(b);
		}
		jw_end_array(b);
		jw_int(b, "unknown_domains_more", (gint64)x->unknown_more);
		add_strings(b, "decide", cmds);
		jw_end_object(b);
	}
	jw_end_array(b);
	jw_int(b, "servers_untracked_sessions", (gint64)s->servers_untracked);
}

/* Ports and counts, by port. */
static void
add_port_counts(struct jsonw *b, const char *name, GHashTable *h)
{
	g_autoptr(GPtrArray) keys = run_stats_ports(h);
	guint i;

	jw_object(b, name);
	for (i = 0; i < keys->len; i++) {
		char port[8];
		gpointer key = g_ptr_array_index(keys, i);

		g_snprintf(port, sizeof port, "%u", GPOINTER_TO_UINT(key));
		jw_int(b, port,
		    (gint64)GPOINTER_TO_SIZE(g_hash_table_lookup(h, key)));
	}
	jw_end_object(b);
}

static void
add_detection(struct jsonw *b, const struct run_stats *s)
{
	jw_object(b, "detection");
	jw_int(b, "by_port", (gint64)(s->sessions - s->detected));
	jw_int(b, "by_content", (gint64)s->detected);
	add_port_counts(b, "content_ports", s->detected_ports);
	jw_int(b, "not_smtp", (gint64)s->detect_rejected);
	jw_int(b, "non_smtp_on_smtp_ports", (gint64)s->non_smtp);
	add_port_counts(b, "non_smtp_ports", s->non_smtp_ports);
	jw_end_object(b);
}

static void
add_tls_version(struct jsonw *b, const char *member, uint16_t v)
{
	char hex[8];
	const char *name = tls_version_name(v);

	if (name == NULL) {
		g_snprintf(hex, sizeof hex, "0x%04x", v);
		name = hex;
	}
	jw_str(b, member, name);
}

static void
add_tls_cert(struct jsonw *b, const struct tls_cert *c)
{
	jw_object(b, NULL);
	jw_str(b, "subject", c->subject);
	jw_str(b, "issuer", c->issuer);
	add_cstr_array(b, "dns_names", c->dns, c->n_dns);
	add_cstr_array(b, "ip_addresses", c->ip, c->n_ip);
	add_time(b, "not_before", "not_before_epoch", c->not_before >= 0,
	    c->not_before * G_USEC_PER_SEC);
	add_time(b, "not_after", "not_after_epoch", c->not_after >= 0,
	    c->not_after * G_USEC_PER_SEC);
	jw_str(b, "sha256", c->sha256);
	jw_bool(b, "readable", !c->unreadable);
	jw_end_object(b);
}

/* "tls": STARTTLS offered and begun, and what its cleartext handshake
 * said (docs/output-format.md). */
static void
add_tls(struct jsonw *b, const struct dialogue *d)
{
	const struct tls_info *t =
	    d->tls != NULL ? tls_conn_info(d->tls) : NULL;
	char id[8];
	unsigned i;

	jw_object(b, "tls");
	jw_bool(b, "offered", d->tls_offered);
	jw_bool(b, "started", d->tls_started);
	jw_str(b, "mode",
	    d->tls_mode == DLG_TLS_IMPLICIT   ? "implicit"
	    : d->tls_mode == DLG_TLS_STARTTLS ? "starttls"
					      : NULL);
	jw_bool(b, "plaintext_after", d->tls_plaintext);
	jw_bool(b, "server_plaintext", d->tls_server_plaintext);

	if (t == NULL) {
		jw_null(b, "handshake");
		jw_end_object(b);
		return;
	}
	jw_object(b, "handshake");
	jw_array(b, "versions_offered");
	for (i = 0; i < t->n_ch_versions; i++) {
		const char *n = tls_version_name(t->ch_versions[i]);

		if (n != NULL)
			jw_str(b, NULL, n);
	}
	jw_end_array(b);
	if (t->server_hello)
		add_tls_version(b, "version", t->version);
	else
		jw_str(b, "version", NULL);
	jw_str(b, "sni", t->sni);
	add_cstr_array(b, "alpn", t->alpn, t->n_alpn);

	if (t->server_hello) {
		jw_object(b, "cipher_suite");
		g_snprintf(id, sizeof id, "0x%04x", t->cipher_suite);
		jw_str(b, "id", id);
		jw_str(b, "name", t->cipher_suite_name);
		jw_end_object(b);
	} else
		jw_null(b, "cipher_suite");
	jw_bool(b, "hello_retry", t->hello_retry);
	jw_array(b, "certificates");
	for (i = 0; i < t->server.chain.len; i++)
		add_tls_cert(b, &t->server.chain.certs[i]);
	jw_end_array(b);
	jw_int(b, "certificates_total", t->server.chain.total);
	jw_bool(b, "certificate_encrypted", t->certificate_encrypted);
	jw_array(b, "alerts");
	for (i = 0; i < t->n_alerts; i++) {
		const struct tls_alert *a = &t->alerts[i];
		const char *n = tls_alert_name(a->desc);
		char code[8];

		if (n == NULL) {
			g_snprintf(code, sizeof code, "%u", a->desc);
			n = code;
		}
		jw_object(b, NULL);
		jw_str(b, "from", a->from_server ? "server" : "client");
		jw_str(b, "level",
		    a->level == TLS_ALERT_FATAL ? "fatal" : "warning");
		jw_str(b, "description", n);
		jw_end_object(b);
	}
	jw_end_array(b);
	jw_int(b, "alerts_total", t->alerts_total);
	jw_int(b, "encrypted_alerts",
	    t->client.encrypted_alerts + t->server.encrypted_alerts);
	jw_bool(b, "completed", t->completed);
	jw_end_object(b);
	jw_end_object(b);
}

/* "proxy": the preamble before the tunnelled SMTP (docs/output-format.md),
 * or null. */
static void
add_proxy(struct jsonw *b, const struct dialogue *d)
{
	const struct proxy_info *p;
	unsigned q;

	if (d->proxy == NULL) {
		jw_null(b, "proxy");
		return;
	}
	p = proxy_conn_info(d->proxy);
	jw_object(b, "proxy");
	jw_str(b, "kind", proxy_kind_name(p->kind));
	add_endpoint(b, "address", &d->server);
	jw_object(b, "destination");
	jw_str(b, "host", p->host);
	if (p->port != 0)
		jw_int(b, "port", p->port);
	else
		jw_str(b, "port", NULL);
	jw_end_object(b);
	jw_str(b, "state", proxy_state_name(p->state));
	jw_str(b, "reason", p->reason);

	if (p->reply_code >= 0) {
		jw_object(b, "reply");
		jw_int(b, "code", p->reply_code);
		jw_str(b, "text",
		    p->reply_text != NULL
			? p->reply_text
			: proxy_reply_name(p->kind, p->reply_code));
		jw_end_object(b);
	} else
		jw_null(b, "reply");
	jw_object(b, "auth");
	jw_bool(b, "demanded", p->auth_demanded);
	jw_str(b, "scheme",
	    p->auth_scheme != NULL ? p->auth_scheme
	    : p->method >= 0	   ? proxy_method_name(p->method)
				   : NULL);
	jw_str(b, "user", p->user);
	jw_bool(b, "password_sent", p->password_sent);
	jw_bool(b, "authenticated", p->authenticated);
	jw_end_object(b);
	jw_bool(b, "open", proxy_conn_open_tunnel(d->proxy));
	jw_int(b, "attempts", p->attempts);
	jw_int(b, "client_early", (gint64)p->client_early);
	jw_array(b, "quirks");
	for (q = 0; q < PROXY_QUIRK_COUNT; q++)
		if (p->quirks & (1u << q))
			jw_str(b, NULL, proxy_quirk_name(q));
	jw_end_array(b);
	jw_end_object(b);
}

/* What the memory budget made the run give up (docs/output-format.md). */
static void
add_memory(struct jsonw *b, const struct budget *m)
{
	jw_object(b, "memory");
	jw_int(b, "limit", (gint64)MIN(m->limit, (size_t)G_MAXINT64));
	jw_int(b, "times_over", (gint64)m->reliefs);
	jw_int(b, "records_out_of_order", (gint64)m->records_forced);
	jw_int(b, "judged_early", (gint64)m->held_early);
	jw_int(b, "buffers_freed", (gint64)m->buffers_freed);
	jw_int(b, "sessions_cut", (gint64)m->sessions_cut);
	jw_int(b, "bytes_shed", (gint64)m->bytes_shed);
	jw_int(b, "dns_not_kept", (gint64)m->refused[BUDGET_DNS]);
	jw_end_object(b);
}

char *
output_json_summary(const struct run_stats *s)
{
	struct jsonw w, *b = &w;
	int e;

	jw_init(b, g_string_sized_new(4096));
	jw_object(b, NULL);
	jw_str(b, "type", "summary");
	jw_bool(b, "complete", !s->incomplete);
	jw_str(b, "interrupted", s->interrupted);
	add_findings_summary(b, s);
	if (s->selecting) {
		jw_object(b, "selected");
		jw_int(b, "written", (gint64)s->sessions);
		jw_int(b, "not_selected", (gint64)s->unselected);
		jw_end_object(b);
	} else
		jw_null(b, "selected");
	if (s->extract_dir != NULL) {
		jw_object(b, "extracted");
		jw_str(b, "dir", s->extract_dir);
		jw_int(b, "messages", (gint64)s->extracted_messages);
		jw_int(b, "attachments", (gint64)s->extracted_attachments);
		jw_int(b, "bytes", (gint64)s->extracted_bytes);
		jw_int(b, "skipped", (gint64)s->extract_skipped);
		jw_int(b, "failed", (gint64)s->extract_failed);
		jw_end_object(b);
	} else
		jw_null(b, "extracted");
	if (s->write_file != NULL) {
		jw_object(b, "written");
		jw_str(b, "file", s->write_file);
		jw_str(b, "format", s->write_format);
		jw_int(b, "packets", (gint64)s->written_packets);
		jw_int(b, "bytes", (gint64)s->written_bytes);
		jw_int(b, "sessions", (gint64)s->written_sessions);
		jw_int(
		    b, "sessions_not_written", (gint64)s->write_sessions_over);
		jw_end_object(b);
	} else
		jw_null(b, "written");
	add_strings(b, "files", s->files);
	jw_object(b, "packets");
	jw_int(b, "read", (gint64)s->frames);
	jw_int(b, "ipv4", (gint64)s->ipv4);
	jw_int(b, "ipv6", (gint64)s->ipv6);
	jw_int(b, "tunnelled", (gint64)s->tunnelled);
	jw_int(b, "ipv6_fragments", (gint64)s->ipv6_fragments);
	jw_int(b, "ipv6_unmapped", (gint64)s->ipv6_unmapped);
	jw_int(b, "other", (gint64)s->other_l3);
	jw_int(b, "undecodable", (gint64)s->undecodable);
	jw_int(b, "truncated", (gint64)s->truncated);
	jw_int(b, "dropped", (gint64)s->pcap_drops);
	jw_int(b, "ipv4_fragments_dropped", (gint64)s->ipv4_frag_dropped);
	jw_end_object(b);
	jw_object(b, "sessions");
	jw_int(b, "total", (gint64)s->sessions);
	for (e = 1; e < DLG_END_COUNT; e++)
		jw_int(b, dialogue_end_name(e), (gint64)s->ends[e]);
	jw_int(b, "picked_up", (gint64)s->picked_up);
	jw_int(b, "with_gaps", (gint64)s->with_gaps);
	jw_int(b, "one_sided", (gint64)s->one_sided);
	jw_end_object(b);
	jw_object(b, "gap_bytes");
	jw_int(b, "client", (gint64)s->gap_bytes[0]);
	jw_int(b, "server", (gint64)s->gap_bytes[1]);
	jw_end_object(b);
	jw_int(b, "gap_transactions", (gint64)s->gap_txs);
	jw_int(b, "transactions", (gint64)s->transactions);
	jw_object(b, "recipients");
	jw_int(b, "total", (gint64)s->rcpts);
	jw_int(b, "2xx", (gint64)s->rcpt_class[2]);
	jw_int(b, "4xx", (gint64)s->rcpt_class[4]);
	jw_int(b, "5xx", (gint64)s->rcpt_class[5]);
	jw_int(b, "no_reply", (gint64)s->rcpt_class[0]);
	jw_end_object(b);
	add_diag_totals(b, &s->diag);
	add_servers(b, s);
	add_dns_summary(b, s);
	add_memory(b, &s->memory);
	jw_object(b, "overlap_conflicts");
	jw_int(b, "tcp", (gint64)s->overlap_conflicts[0]);
	jw_int(b, "fragments", (gint64)s->overlap_conflicts[1]);
	jw_end_object(b);
	jw_int(b, "handshakes_forgotten", (gint64)s->handshakes_forgotten);
	add_detection(b, s);
	jw_object(b, "libnids_warnings");
	for (e = 0; e < RS_NIDS_WARN_COUNT; e++)
		jw_int(b, output_nids_warn_name(e), (gint64)s->nids_warn[e]);
	jw_end_object(b);
	jw_end_object(b);
	return output_json_finish(b);
}
