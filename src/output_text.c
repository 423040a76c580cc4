/* SPDX-License-Identifier: GPL-2.0-or-later */
/* output_text.c: the human transcript, one block per session, in the form
 * of a telnet session (C:/S: lines), and the run summary.  The format is
 * specified in docs/output-format.md and pinned by golden tests. */
#include <string.h>

#include "address.h"
#include "diagnosis.h"
#include "message.h"
#include "mime.h"
#include "gstr.h"
#include "output.h"
#include "proxy.h"
#include "tls.h"
#include "relay.h"
#include "relay_texts.h"

#define COL_RESET "\033[0m"
#define COL_BOLD "\033[1m"
#define COL_DIM "\033[2m"
#define COL_RED "\033[31m"
#define COL_GREEN "\033[32m"
#define COL_YELLOW "\033[33m"
#define COL_BLUE "\033[34m"
#define COL_MAGENTA "\033[35m"
#define COL_CYAN "\033[36m"

static void
col(GString *s, const struct output_opts *o, const char *c)
{
	if (o->color)
		gs_puts(s, c);
}

static const char *
reply_color(int code)
{
	switch (smtp_reply_class(code)) {
	case 2:
		return COL_GREEN;
	case 3:
		return COL_CYAN;
	case 4:
		return COL_YELLOW;
	default:
		return COL_RED;
	}
}

/* "  +0.123 " relative to the session start, milliseconds. */
static void
rel_time(GString *s, const struct dialogue *d, gint64 ts)
{
	gint64 ms = (ts - d->ts_start) / 1000;

	/* "  +S.mmm ", without printf: once per line of every transcript,
	 * where printf was a tenth of the text writer's time. */
	gs_put(s, "  +", 3);
	gs_fixed(s, ms < 0 ? 0 : ms, 3);
	gs_putc(s, ' ');
}

static void
print_reply(GString *s, const struct output_opts *o, const struct dialogue *d,
    const struct smtp_reply *r, gint64 ts, unsigned flags)
{
	const char *p = r->text, *nl, *end = r->text + r->text_len;
	bool last;

	do {
		nl = memchr(p, '\n', (size_t)(end - p));
		last = nl == NULL;
		rel_time(s, d, ts);
		col(s, o, reply_color(r->code));
		if (r->code >= 0 && r->code <= 999) {
			char c[6] = { 'S', ':', ' ',
				(char)('0' + r->code / 100),
				(char)('0' + r->code / 10 % 10),
				(char)('0' + r->code % 10) };

			gs_put(s, c, sizeof c);
			gs_putc(s, last ? ' ' : '-');
		} else
			g_string_append_printf(
			    s, "S: %03d%c", r->code, last ? ' ' : '-');
		output_escape(
		    s, p, last ? (size_t)(end - p) : (size_t)(nl - p));
		if (last && r->truncated)
			gs_puts(s, " [reply cut]");
		if (last && r->unterminated)
			gs_puts(s, " [not terminated]");
		if (last && (flags & DLG_F_UNCERTAIN))
			gs_puts(s, " [pairing uncertain]");
		col(s, o, COL_RESET);
		gs_putc(s, '\n');
		p = last ? end : nl + 1;
	} while (!last);
}

static void
print_no_reply(GString *s, const struct output_opts *o, unsigned flags)
{
	gs_puts(s, "          ");
	col(s, o, COL_DIM);
	gs_puts(s, flags & DLG_F_REPLY_LOST ? "(reply lost in a capture gap)"
					    : "(no reply)");
	col(s, o, COL_RESET);
	gs_putc(s, '\n');
}

/* "local", "probably local", "not local", "": the locality in words. */
static const char *
local_phrase(const struct dlg_rcpt *r)
{
	if (r->local == 1)
		return relay_local_level(r->local_kind) == 5 ? " probably local"
							     : " local";
	if (r->local == 0)
		return " not local";
	return "";
}

/* " [verdict: domain not local (evidence); trick: x]", or for a refusal
 * " [verdict: cause]". */
static void
print_verdict(GString *s, const struct output_opts *o, const struct dlg_rcpt *r)
{
	g_autofree char *tricks = NULL;

	col(s, o, COL_BOLD);
	gs_puts(s, "  [");
	gs_puts(s, relay_verdict_name(r->verdict));
	gs_puts(s, ": ");
	switch (r->verdict) {
	case RELAY_VERDICT_RELAY_DENIED:
	case RELAY_VERDICT_REJECTED_OTHER:
	case RELAY_VERDICT_TEMPFAIL:
		gs_puts(s, r->cause != NULL ? relay_texts_cause_phrase(r->cause)
					    : "no cause named");
		if (r->verdict == RELAY_VERDICT_RELAY_DENIED && r->local == 1) {
			/* The server disagrees with strong evidence: say
			 * which (a wrong --local-domains, a stale MX). */
			gs_puts(s, ", although ");
			output_escape(
			    s, r->final_domain, strlen(r->final_domain));
			gs_puts(s, " is local (");
			output_escape(
			    s, r->local_evidence, strlen(r->local_evidence));
			gs_putc(s, ')');
		}
		break;
	case RELAY_VERDICT_UNKNOWN:
		gs_puts(s, r->item->reply == NULL ? "no reply seen"
						  : "not a reply to RCPT");
		break;
	default:
		if (r->final_domain != NULL)
			output_escape(
			    s, r->final_domain, strlen(r->final_domain));
		else
			gs_puts(s, "no domain");
		gs_puts(s, local_phrase(r));
		if (r->local_evidence != NULL) {
			gs_puts(s, " (");
			output_escape(
			    s, r->local_evidence, strlen(r->local_evidence));
			gs_putc(s, ')');
		}
		break;
	}
	if (r->tricks != 0) {
		tricks = address_tricks_names(r->tricks, ", ");
		g_string_append_printf(s, "; trick: %s", tricks);
	}
	gs_putc(s, ']');
}

static void
print_item(GString *s, const struct output_opts *o, const struct dialogue *d,
    const struct dlg_item *it, const struct dlg_rcpt *rcpt)
{
	switch (it->kind) {
	case DLG_ITEM_BANNER:
		print_reply(s, o, d, it->reply, it->reply_ts, it->flags);
		return;
	case DLG_ITEM_UNSOLICITED:
		if (it->flags & DLG_F_NOT_CAPTURED) {
			rel_time(s, d, it->reply_ts);
			col(s, o, COL_DIM);
			gs_puts(s, "C: [command not captured]");
			col(s, o, COL_RESET);
			gs_putc(s, '\n');
		}
		print_reply(s, o, d, it->reply, it->reply_ts, it->flags);
		return;
	case DLG_ITEM_GAP:
		rel_time(s, d, it->ts);
		col(s, o, COL_RED);
		g_string_append_printf(s,
		    "%s [capture gap: %" G_GUINT64_FORMAT " bytes lost]",
		    it->dir == DLG_DIR_CLIENT ? "C:" : "S:", it->bytes);
		col(s, o, COL_RESET);
		gs_putc(s, '\n');
		return;
	case DLG_ITEM_SERVER_JUNK:
		rel_time(s, d, it->ts);
		col(s, o, COL_RED);
		gs_puts(s, "S? ");
		output_escape(s, it->line, it->line_len);
		col(s, o, COL_RESET);
		gs_putc(s, '\n');
		return;
	case DLG_ITEM_COMMAND:
		break;
	}
	rel_time(s, d, it->ts);
	col(s, o, COL_BLUE);
	if (it->cmd == SMTP_CMD_END_OF_DATA && (it->flags & DLG_F_NOT_CAPTURED))
		g_string_append_printf(s,
		    "C: [end of a message body not wholly captured: "
		    "%" G_GUINT64_FORMAT " bytes, %" G_GUINT64_FORMAT
		    " lines seen]",
		    it->bytes, it->lines);
	else if (it->cmd == SMTP_CMD_END_OF_DATA) {
		/* (One per message: written without printf.) */
		gs_puts(s, "C: [message body: ");
		gs_u64(s, it->bytes);
		gs_puts(s, " bytes, ");
		gs_u64(s, it->lines);
		gs_puts(s, " lines");
		if (it->tx != NULL && it->tx->data != NULL &&
		    it->tx->data->bytes_lost > 0)
			gs_puts(s, "; part lost in a capture gap");
		gs_putc(s, ']');
	} else {
		gs_puts(s, "C: ");
		output_escape(s, it->line, it->line_len);
		if (it->flags & DLG_F_TOO_LONG)
			gs_puts(s, " [line cut]");
		if (it->flags & DLG_F_UNTERMINATED)
			gs_puts(s, " [no line end]");
	}
	if (it->flags & DLG_F_EARLY)
		gs_puts(s, " [before the greeting]");
	if (rcpt != NULL && rcpt->judged)
		print_verdict(s, o, rcpt);
	col(s, o, COL_RESET);
	gs_putc(s, '\n');
	if (it->cmd == SMTP_CMD_BDAT && it->line != NULL) {
		gs_puts(s, "          ");
		col(s, o, COL_BLUE);
		g_string_append_printf(
		    s, "C: [chunk: %" G_GUINT64_FORMAT " bytes]", it->bytes);
		col(s, o, COL_RESET);
		gs_putc(s, '\n');
	}
	if (it->reply != NULL)
		print_reply(s, o, d, it->reply, it->reply_ts, it->flags);
	else
		print_no_reply(s, o, it->flags);
}

/* " (port P: N, port Q: N)" for a table of ports and counts. */
static void
print_ports(GString *t, GHashTable *h)
{
	g_autoptr(GPtrArray) keys = run_stats_ports(h);
	gpointer k;
	guint i;

	for (i = 0; i < keys->len; i++) {
		k = g_ptr_array_index(keys, i);
		g_string_append_printf(t, "%sport %u: %" G_GSIZE_FORMAT,
		    i == 0 ? " (" : ", ", GPOINTER_TO_UINT(k),
		    GPOINTER_TO_SIZE(g_hash_table_lookup(h, k)));
	}
	if (keys->len > 0)
		gs_putc(t, ')');
}

/* "  found by content: N sessions (port P: N, ...); N other TCP
 * connections not SMTP", when detection found or turned anything down;
 * "  not SMTP on SMTP ports: ..." when a connection there spoke another
 * protocol. */
static void
print_detection(GString *t, const struct run_stats *s)
{
	if (s->detected + s->detect_rejected > 0) {
		g_string_append_printf(t,
		    "\n  found by content: %" G_GUINT64_FORMAT " session%s",
		    s->detected, s->detected == 1 ? "" : "s");
		print_ports(t, s->detected_ports);
		g_string_append_printf(t,
		    "; %" G_GUINT64_FORMAT
		    " TCP connection%s on other ports not SMTP",
		    s->detect_rejected, s->detect_rejected == 1 ? "" : "s");
	}
	if (s->non_smtp > 0) {
		g_string_append_printf(t,
		    "\n  not SMTP on SMTP ports: %" G_GUINT64_FORMAT
		    " connection%s",
		    s->non_smtp, s->non_smtp == 1 ? "" : "s");
		print_ports(t, s->non_smtp_ports);
		gs_puts(t, ", another protocol: not shown");
	}
}

static void
text_name(GString *s, const char *p)
{
	output_escape(s, p, strlen(p));
}

static const char *
version_name(uint16_t v, char *buf, size_t n)
{
	const char *name = tls_version_name(v);

	if (name == NULL) {
		g_snprintf(buf, n, "0x%04x", v);
		name = buf;
	}
	return name;
}

/* "  proxy: KIND at ADDR to HOST:PORT: STATE (REPLY); AUTH": the preamble
 * before the tunnelled SMTP. */
static void
print_proxy(GString *s, const struct output_opts *o, const struct dialogue *d)
{
	const struct proxy_info *p;

	if (d->proxy == NULL)
		return;
	p = proxy_conn_info(d->proxy);
	g_string_append_printf(s, "  proxy: %s at ", proxy_kind_name(p->kind));
	output_endpoint(s, &d->server);
	gs_puts(s, " to ");
	if (p->host != NULL)
		output_escape(s, p->host, strlen(p->host));
	else
		gs_putc(s, '?');
	if (p->port != 0)
		g_string_append_printf(s, ":%u", p->port);
	g_string_append_printf(s, ": %s", proxy_state_name(p->state));
	if (p->reply_code >= 0) {
		const char *t = p->reply_text != NULL
				    ? p->reply_text
				    : proxy_reply_name(p->kind, p->reply_code);

		g_string_append_printf(s, " (%d", p->reply_code);
		if (t != NULL) {
			gs_putc(s, ' ');
			output_escape(s, t, strlen(t));
		}
		gs_putc(s, ')');
	}
	if (p->reason != NULL)
		g_string_append_printf(s, ": %s", p->reason);
	if (p->authenticated) {
		gs_puts(s, "; authenticated");
		if (p->user != NULL) {
			gs_puts(s, " as ");
			output_escape(s, p->user, strlen(p->user));
		}
	} else if (p->credentials_sent)
		gs_puts(s, "; credentials sent, not accepted");
	else if (p->state == PROXY_STATE_ESTABLISHED) {
		col(s, o, COL_YELLOW);
		gs_puts(s, "; no proxy authentication: open to anyone");
		col(s, o, COL_RESET);
	}
	gs_putc(s, '\n');
}

/* What a fatal alert most often means in a mail server's handshake
 * (RFC 8446 §6.2, RFC 5246 §7.2.2), or NULL. */
static const char *
alert_why(unsigned desc)
{
	switch (desc) {
	case 70:
		return "no TLS version that both sides accept";
	case 40:
	case 71:
		return "no cipher suite or parameters that both sides accept";
	case 42:
	case 43:
	case 44:
	case 45:
	case 46:
	case 48:
		return "the client did not accept the server's certificate";
	case 112:
		return "the server has no certificate for the name asked for";
	case 120:
		return "no application protocol (ALPN) that both sides accept";
	default:
		return NULL;
	}
}

/* "  tls: ..." and "  tls certificate: ...": what the cleartext handshake
 * of implicit TLS or STARTTLS said. */
static void
print_tls(GString *s, const struct output_opts *o, const struct dialogue *d)
{
	const struct tls_info *t;
	char vb[8];
	unsigned i;

	if (d->tls_plaintext)
		gs_puts(s, "  tls: STARTTLS accepted, then plaintext SMTP "
			   "(a TLS-terminating proxy in front, or a "
			   "decrypted capture)\n");
	if (d->tls_server_plaintext)
		gs_puts(s, "  tls: the client began TLS at once "
			   "(implicit TLS), the server answered in "
			   "plaintext SMTP: it does not speak TLS from "
			   "the first byte on this port (its clients "
			   "should use STARTTLS, or the port is "
			   "misconfigured)\n");
	if (d->tls == NULL)
		return;
	t = tls_conn_info(d->tls);
	gs_puts(s, "  tls: ");
	gs_puts(s, d->tls_mode == DLG_TLS_IMPLICIT
		       ? "implicit (TLS from the first byte)"
		       : "STARTTLS");
	if (t->server_hello)
		g_string_append_printf(
		    s, ", %s chosen", version_name(t->version, vb, sizeof vb));
	if (t->n_ch_versions > 0) {
		gs_puts(s, t->server_hello ? " (offered " : ", offered ");
		for (i = 0; i < t->n_ch_versions; i++)
			g_string_append_printf(s, "%s%s", i > 0 ? " " : "",
			    version_name(t->ch_versions[i], vb, sizeof vb));
		if (t->server_hello)
			gs_putc(s, ')');
	}
	if (t->sni != NULL) {
		gs_puts(s, ", SNI ");
		text_name(s, t->sni);
	}
	for (i = 0; i < t->n_alpn; i++) {
		gs_puts(s, i == 0 ? ", ALPN " : " ");
		text_name(s, t->alpn[i]);
	}
	if (t->server_hello)
		g_string_append_printf(s, ", cipher %s (0x%04x)",
		    t->cipher_suite_name != NULL ? t->cipher_suite_name : "?",
		    t->cipher_suite);
	for (i = 0; i < t->n_alerts; i++) {
		const char *n = tls_alert_name(t->alerts[i].desc);
		const char *why = alert_why(t->alerts[i].desc);

		g_string_append_printf(s, ", %s sent %s alert ",
		    t->alerts[i].from_server ? "server" : "client",
		    t->alerts[i].level == TLS_ALERT_FATAL ? "fatal"
							  : "warning");
		if (n != NULL)
			gs_puts(s, n);
		else
			g_string_append_printf(s, "%u", t->alerts[i].desc);
		if (why != NULL && t->alerts[i].level == TLS_ALERT_FATAL)
			g_string_append_printf(s, " (%s)", why);
	}
	if (t->completed)
		gs_puts(s, ": handshake completed\n");
	else {
		col(s, o, COL_YELLOW);
		gs_puts(s, t->fatal_alert ? ": handshake failed"
					  : ": handshake not seen to complete");
		col(s, o, COL_RESET);
		gs_putc(s, '\n');
	}
	if (t->certificate_encrypted)
		gs_puts(s, "  tls certificate: encrypted (TLS 1.3), "
			   "not in the capture\n");
	for (i = 0; i < t->server.chain.len; i++) {
		const struct tls_cert *c = &t->server.chain.certs[i];
		unsigned j;

		gs_puts(s, "  tls certificate: ");
		if (c->subject != NULL)
			text_name(s, c->subject);
		if (c->issuer != NULL) {
			gs_puts(s, ", issued by ");
			text_name(s, c->issuer);
		}
		for (j = 0; j < c->n_dns; j++) {
			gs_puts(s, j == 0 ? ", DNS " : " ");
			text_name(s, c->dns[j]);
		}
		for (j = 0; j < c->n_ip; j++) {
			gs_puts(s, j == 0 ? ", IP " : " ");
			text_name(s, c->ip[j]);
		}
		if (c->not_before >= 0 && c->not_after >= 0) {
			gs_puts(s, ", valid ");
			output_time(s, c->not_before * G_USEC_PER_SEC);
			gs_puts(s, " to ");
			output_time(s, c->not_after * G_USEC_PER_SEC);
		}
		g_string_append_printf(s, ", SHA-256 %s%s\n", c->sha256,
		    c->unreadable ? " (not readable as X.509)" : "");
	}
}

/* "  capture: ..." when the capture did not hold the whole connection. */
static void
print_capture(GString *s, const struct output_opts *o, const struct dialogue *d)
{
	const char *sep = "";

	if (!d->picked_up && d->missing == DLG_MISSING_NONE &&
	    d->gaps[0] + d->gaps[1] == 0)
		return;
	gs_puts(s, "  ");
	col(s, o, COL_YELLOW);
	gs_puts(s, "capture: ");
	if (d->picked_up) {
		gs_puts(s, "picked up mid-stream (no handshake)");
		sep = "; ";
	}
	if (d->gaps[0] + d->gaps[1] > 0) {
		g_string_append_printf(s,
		    "%s%u gap%s, %" G_GUINT64_FORMAT
		    " bytes lost from client, %" G_GUINT64_FORMAT
		    " from server",
		    sep, d->gaps[0] + d->gaps[1],
		    d->gaps[0] + d->gaps[1] == 1 ? "" : "s", d->gap_bytes[0],
		    d->gap_bytes[1]);
		sep = "; ";
	}
	if (d->missing != DLG_MISSING_NONE)
		g_string_append_printf(s,
		    "%sone-sided: nothing from the %s was captured", sep,
		    dialogue_missing_name(d->missing));
	col(s, o, COL_RESET);
	gs_putc(s, '\n');
}

static void
print_anomalies(
    GString *s, const struct output_opts *o, const struct dialogue *d)
{
	int a;
	bool any = false;

	for (a = 0; a < ANOMALY_COUNT; a++) {
		if (d->anomalies[a] == 0)
			continue;
		if (!any) {
			gs_puts(s, "  ");
			col(s, o, COL_MAGENTA);
			gs_puts(s, "anomalies:");
			any = true;
		}
		g_string_append_printf(s, " %s", anomaly_name(a));
		if (d->anomalies[a] > 1)
			g_string_append_printf(s, " (x%u)", d->anomalies[a]);
	}
	if (any) {
		col(s, o, COL_RESET);
		gs_putc(s, '\n');
	}
}

/* " (capture +0.004)": a fact's source and, from the capture, its time
 * relative to the session start (negative: before the session). */
static void
print_source(GString *s, const struct dialogue *d, const struct dns_fact *e)
{
	gint64 ms, a;

	g_string_append_printf(s, "  (%s", e->source);
	if (e->ts != 0 && strcmp(e->source, "live") == 0) {
		/* A lookup made now, not a packet of the capture. */
		gs_putc(s, ' ');
		output_time(s, e->ts);
	} else if (e->ts != 0) {
		ms = (e->ts - d->ts_start) / 1000;
		a = ms < 0 ? -ms : ms;
		g_string_append_printf(s, " %c%" G_GINT64_FORMAT ".%03d",
		    ms < 0 ? '-' : '+', a / 1000, (int)(a % 1000));
	}
	gs_putc(s, ')');
}

static void
print_list(GString *s, const GPtrArray *v, const char *none)
{
	guint i;

	if (v->len == 0)
		gs_puts(s, none);
	for (i = 0; i < v->len; i++) {
		const char *x = g_ptr_array_index(v, i);

		if (i > 0)
			gs_puts(s, ", ");
		output_escape(s, x, strlen(x));
	}
}

static void
print_helo_check(
    GString *s, const struct output_opts *o, const struct dialogue *d)
{
	const struct helo_report *r = d->helo_check;
	guint i;

	if (r == NULL)
		return;
	gs_puts(s, "  helo: ");
	output_escape(s, r->name, strlen(r->name));
	g_string_append_printf(s, " from %s: ", r->client_ip);
	col(s, o,
	    r->result == HELO_RESULT_MATCH     ? COL_RESET
	    : r->result == HELO_RESULT_UNKNOWN ? COL_RESET
					       : COL_YELLOW);
	gs_puts(s, helo_result_name(r->result));
	col(s, o, COL_RESET);
	if (r->result == HELO_RESULT_NOT_FQDN ||
	    r->result == HELO_RESULT_INVALID)
		g_string_append_printf(
		    s, " (%s)", helo_syntax_describe(r->syntax.syntax));
	if (r->syntax.syntax == HELO_SYNTAX_FQDN && r->evidence->len == 0)
		gs_puts(s, " (no DNS evidence)");
	gs_putc(s, '\n');
	if (r->syntax.syntax == HELO_SYNTAX_FQDN && r->evidence->len > 0) {
		gs_puts(s, "    forward: ");
		if (r->forward == HELO_UNKNOWN)
			gs_puts(s, "unknown");
		else
			print_list(s, r->addresses, "no address");
		gs_puts(s, "; reverse: ");
		if (r->name_is_ptr == HELO_UNKNOWN)
			gs_puts(s, "unknown");
		else
			print_list(s, r->ptr_names, "no name");
		g_string_append_printf(
		    s, "; fcrdns: %s\n", helo_tri_name(r->fcrdns));
	}
	for (i = 0; i < r->evidence->len; i++) {
		const struct dns_fact *e = g_ptr_array_index(r->evidence, i);

		g_string_append_printf(s, "    %s ", dns_type_name(e->type));
		output_escape(s, e->name, strlen(e->name));
		if (e->data != NULL) {
			gs_puts(s, " = ");
			output_escape(s, e->data, strlen(e->data));
		} else
			g_string_append_printf(
			    s, ": %s", dns_status_name(e->status));
		print_source(s, d, e);
		gs_putc(s, '\n');
	}
	if (r->server_rejected) {
		gs_puts(s, "    server rejected: ");
		output_escape(s, r->server_reply, strlen(r->server_reply));
		gs_putc(s, '\n');
	}
}

/* Whom the server may trust, and the sessions that carried this one's
 * mail on or whose mail it carries on (onward.h). */
static void
print_links(GString *s, const struct dialogue *d)
{
	g_autoptr(GPtrArray) ids = dialogue_onward_ids(d);
	guint i;

	if (d->client_trust != NULL)
		g_string_append_printf(s, "  client: trusted by the server%s\n",
		    strcmp(d->client_trust, "config") == 0 ? " (configured)"
		    : strcmp(d->client_trust, "inferred:loopback") == 0
			? ", inferred: it is on loopback (servers relay for "
			  "their own host by default; --trusted-nets says "
			  "otherwise)"
			: ", inferred: it is the server's own address "
			  "(servers relay for their own host by default; "
			  "--trusted-nets says otherwise)");
	for (i = 0; i < ids->len; i++)
		g_string_append_printf(s, "%s%s",
		    i == 0 ? "  onward: the "
			     "server passed mail of this session on in session "
			   : ", ",
		    (const char *)g_ptr_array_index(ids, i));
	if (ids->len > 0)
		gs_putc(s, '\n');
	for (i = 0; d->continues != NULL && i < d->continues->len; i++)
		g_string_append_printf(s, "%s%s",
		    i == 0 ? "  continues: "
			     "carries on mail accepted in session "
			   : ", ",
		    (const char *)g_ptr_array_index(d->continues, i));
	if (d->continues != NULL && d->continues->len > 0)
		gs_putc(s, '\n');
	if (d->judged_early)
		gs_puts(s, "  memory: judged before its --onward-window "
			   "ended, to stay within --max-memory\n");
	if (d->cut_to[0] != '\0')
		g_string_append_printf(s,
		    "  memory: cut at +%.3f s to stay within --max-memory; the "
		    "rest is session %s\n",
		    (double)(d->cut_ts - d->ts_start) / G_USEC_PER_SEC,
		    d->cut_to);
	if (d->cut_from[0] != '\0')
		g_string_append_printf(s,
		    "  memory: the rest of session %s, cut to stay within "
		    "--max-memory\n",
		    d->cut_from);
}

static void
print_findings(
    GString *s, const struct output_opts *o, const struct dialogue *d)
{
	guint i;

	for (i = 0; d->findings != NULL && i < d->findings->len; i++) {
		const struct relay_finding *f =
		    g_ptr_array_index(d->findings, i);

		gs_puts(s, "  ");
		col(s, o,
		    strcmp(f->severity, "high") == 0	 ? COL_RED
		    : strcmp(f->severity, "medium") == 0 ? COL_YELLOW
							 : COL_BOLD);
		g_string_append_printf(s, "finding: %s (%s%s)",
		    relay_finding_name(f->kind), f->severity,
		    f->kind != RELAY_FINDING_OPEN_RELAY ? ""
		    : f->confirmed			? ", confirmed"
							: ", not confirmed");
		col(s, o, COL_RESET);
		gs_puts(s, ": ");
		output_escape(s, f->summary, strlen(f->summary));
		gs_puts(s, "\n    remedy: ");
		output_escape(s, f->remedy, strlen(f->remedy));
		gs_putc(s, '\n');
	}
}

static void
text_addresses(GString *s, const char *label, const GPtrArray *a)
{
	guint i;

	if (a->len == 0)
		return;
	gs_puts(s, label);
	for (i = 0; i < a->len; i++) {
		const struct message_address *x = g_ptr_array_index(a, i);

		gs_puts(s, i > 0 ? ", " : "");
		if (x->name != NULL) {
			gs_putc(s, '"');
			output_escape(s, x->name, strlen(x->name));
			gs_puts(s, "\" <");
		}
		output_escape(s, x->address, strlen(x->address));
		if (x->name != NULL)
			gs_putc(s, '>');
	}
}

/* URLs and attachments a message's text lists, and the bytes of a file
 * name it shows (the JSON has them all, whole). */
#define OUTPUT_TEXT_URLS 10
#define OUTPUT_TEXT_ATTACHMENTS 20
#define OUTPUT_TEXT_NAME 128

static void print_mime(GString *s, const struct dlg_data *dd);

/* "  message: From ..., To ..., Subject "...", Date ..." with the
 * Received hops and the header's disagreements with the envelope. */
static void
print_messages(GString *s, const struct dialogue *d)
{
	guint i, j;

	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);
		struct message_info *m = message_parse(tx);
		bool mime = tx->data != NULL && tx->data->mime != NULL;

		if (m == NULL && !mime)
			continue;
		gs_puts(s, "  message");
		if (d->txs->len > 1)
			g_string_append_printf(s, " %u", i + 1);
		gs_putc(s, ':');
		if (m == NULL) {
			gs_puts(s, " (no originator or destination field)\n");
			print_mime(s, tx->data);
			continue;
		}
		text_addresses(s, " From ", m->from);
		text_addresses(s, "; To ", m->to);
		text_addresses(s, "; Cc ", m->cc);
		text_addresses(s, "; Reply-To ", m->reply_to);
		if (m->subject != NULL) {
			gs_puts(s, "; Subject \"");
			output_escape(s, m->subject, strlen(m->subject));
			gs_putc(s, '"');
			if (m->subject_raw != NULL &&
			    strcmp(m->subject, m->subject_raw) != 0) {
				gs_puts(s, " (as sent: ");
				output_escape(
				    s, m->subject_raw, strlen(m->subject_raw));
				gs_putc(s, ')');
			}
		}
		if (m->date != NULL) {
			gs_puts(s, "; Date ");
			output_escape(s, m->date, strlen(m->date));
		}
		if (m->user_agent != NULL) {
			gs_puts(s, "; agent ");
			output_escape(s, m->user_agent, strlen(m->user_agent));
		}
		if (m->x_originating_ip != NULL) {
			gs_puts(s, "; X-Originating-IP ");
			output_escape(s, m->x_originating_ip,
			    strlen(m->x_originating_ip));
		}
		gs_putc(s, '\n');
		for (j = 0; j < m->received->len; j++) {
			const struct message_hop *h =
			    g_ptr_array_index(m->received, j);

			gs_puts(s, "    received: ");
			output_escape(s, h->raw, strlen(h->raw));
			gs_putc(s, '\n');
		}
		for (j = 0; j < m->mismatches->len; j++) {
			const char *x = g_ptr_array_index(m->mismatches, j);

			gs_puts(s, "    mismatch: ");
			output_escape(s, x, strlen(x));
			if (strstr(x, "envelope recipient") != NULL) {
				guint k;

				for (k = 0; k < m->not_in_header->len; k++) {
					const char *r = g_ptr_array_index(
					    m->not_in_header, k);

					gs_puts(s, k == 0 ? ": " : ", ");
					output_escape(s, r, strlen(r));
				}
			}
			gs_putc(s, '\n');
		}
		message_free(m);
		if (mime)
			print_mime(s, tx->data);
	}
}

/* The message's MIME structure: "    mime: multipart/mixed, 6 parts (4
 * leaves, 2 attachments), 3 URLs", each attachment, the URLs, the
 * limits reached, and --extract's file. */
static void
print_mime(GString *s, const struct dlg_data *dd)
{
	const struct mime_info *m = dd->mime;
	unsigned leaves = 0, attachments = 0, bit, shown;
	guint i;

	for (i = 0; i < m->parts->len; i++) {
		const struct mime_part *p = g_ptr_array_index(m->parts, i);

		leaves += (p->flags & MIME_PART_LEAF) != 0;
		attachments +=
		    (p->flags & (MIME_PART_LEAF | MIME_PART_ATTACHMENT)) ==
		    (MIME_PART_LEAF | MIME_PART_ATTACHMENT);
	}
	if (m->entities <= 1 && attachments == 0 && m->urls->len == 0 &&
	    m->limits == 0 && !m->structure_lost)
		goto extracted; /* one plain part: nothing to say */
	gs_puts(s, "    mime: ");
	if (m->parts->len > 0) {
		const struct mime_part *p = g_ptr_array_index(m->parts, 0);

		output_escape(s, p->type, strlen(p->type));
	}
	g_string_append_printf(s, ", %u part%s (%u lea%s, %u attachment%s)",
	    m->entities, m->entities == 1 ? "" : "s", leaves,
	    leaves == 1 ? "f" : "ves", attachments,
	    attachments == 1 ? "" : "s");
	if (m->urls->len > 0)
		g_string_append_printf(s, ", %u URL%s", m->urls->len,
		    m->urls->len == 1 ? "" : "s");
	if (m->structure_lost)
		gs_puts(s, "; bytes were not captured: nothing after them was "
			   "read");
	if (m->limits != 0) {
		const char *sep = "; limits reached: ";

		for (bit = 1; bit != 0; bit <<= 1)
			if ((m->limits & bit) && mime_limit_name(bit) != NULL) {
				gs_puts(s, sep);
				gs_puts(s, mime_limit_name(bit));
				sep = ", ";
			}
		if (m->limits & MIME_LIMIT_PARTS)
			g_string_append_printf(
			    s, " (%u of %u kept)", m->parts->len, m->entities);
	}
	gs_putc(s, '\n');
	for (i = 0, shown = 0; i < m->parts->len; i++) {
		const struct mime_part *p = g_ptr_array_index(m->parts, i);

		if ((p->flags & (MIME_PART_LEAF | MIME_PART_ATTACHMENT)) !=
		    (MIME_PART_LEAF | MIME_PART_ATTACHMENT))
			continue;
		if (shown++ == OUTPUT_TEXT_ATTACHMENTS) {
			g_string_append_printf(s,
			    "    (and %u more attachments: see the JSON)\n",
			    attachments - OUTPUT_TEXT_ATTACHMENTS);
			break;
		}
		g_string_append_printf(s, "    attachment %u: ", p->index);
		if (p->filename != NULL) {
			size_t n = strlen(p->filename), k = n;

			if (k > OUTPUT_TEXT_NAME) {
				k = OUTPUT_TEXT_NAME;
				while (k > 0 && ((unsigned char)p->filename[k] &
						    0xC0) == 0x80)
					k--;
			}
			gs_putc(s, '"');
			output_escape(s, p->filename, k);
			if (k < n)
				g_string_append_printf(
				    s, "...\" (%zu bytes) ", n);
			else
				gs_puts(s, "\" ");
		}
		output_escape(s, p->type, strlen(p->type));
		g_string_append_printf(
		    s, ", %" G_GUINT64_FORMAT " bytes", p->size);
		if (p->sha256[0] != '\0')
			g_string_append_printf(
			    s, ", md5 %s, sha256 %s", p->md5, p->sha256);
		for (bit = 1; bit != 0; bit <<= 1)
			if ((p->flags & bit) &&
			    mime_part_flag_name(bit) != NULL) {
				gs_puts(s, ", ");
				gs_puts(s, mime_part_flag_name(bit));
			}
		if (p->extract_status != NULL) {
			gs_puts(s, "; ");
			if (p->extract != NULL) {
				gs_puts(
				    s, strcmp(p->extract_status, "written") == 0
					   ? "extracted as "
					   : "already extracted as ");
				gs_puts(s, p->extract);
			} else
				gs_puts(s, p->extract_status);
		}
		gs_putc(s, '\n');
	}
	for (i = 0; i < m->urls->len && i < OUTPUT_TEXT_URLS; i++) {
		const char *u = g_ptr_array_index(m->urls, i);

		gs_puts(s, i == 0 ? "    urls: " : ", ");
		output_escape(s, u, strlen(u));
	}
	if (m->urls->len > OUTPUT_TEXT_URLS || m->urls_dropped > 0)
		g_string_append_printf(s, " (and %" G_GUINT64_FORMAT " more)",
		    m->urls->len - MIN(m->urls->len, OUTPUT_TEXT_URLS) +
			m->urls_dropped);
	if (m->urls->len > 0)
		gs_putc(s, '\n');
extracted:
	if (dd->extract_status != NULL) {
		gs_puts(s, "    extracted: ");
		if (dd->extract != NULL)
			g_string_append_printf(s,
			    "%s (%" G_GUINT64_FORMAT " bytes%s)", dd->extract,
			    dd->extract_bytes,
			    strcmp(dd->extract_status, "exists") == 0
				? ", already there"
				: "");
		else
			gs_puts(s, dd->extract_status);
		gs_putc(s, '\n');
	}
}

/* A reply's first line, as the transcript shows it, with "..." when
 * more lines follow. */
static void
reply_first_line(GString *s, const struct smtp_reply *r)
{
	const char *nl = memchr(r->text, '\n', r->text_len);

	gs_u64(s, (uint64_t)r->code);
	gs_putc(s, ' ');
	output_escape(
	    s, r->text, nl != NULL ? (size_t)(nl - r->text) : r->text_len);
	if (nl != NULL)
		gs_puts(s, " ...");
}

/* "deferred at RCPT (greylisting, retry after 300 s): 450 4.2.0 ..." */
static void
print_verdict_line(GString *s, const struct output_opts *o,
    const struct diag_verdict *v, const struct diag_tx *t)
{
	bool ok = v->outcome == DIAG_OUTCOME_DELIVERED;
	const char *name = diag_outcome_name(v->outcome);

	col(s, o,
	    ok ? COL_GREEN
	    : v->outcome == DIAG_OUTCOME_UNKNOWN ||
		    v->outcome == DIAG_OUTCOME_ABANDONED
		? COL_YELLOW
		: COL_RED);
	gs_puts(s, v->outcome == DIAG_OUTCOME_PARTLY_DELIVERED
		       ? "partly delivered"
		       : name);
	col(s, o, COL_RESET);
	if (t != NULL && v->outcome == DIAG_OUTCOME_PARTLY_DELIVERED)
		g_string_append_printf(s, " (%u of %u recipients refused)",
		    t->deferred + t->rejected, t->n_rcpts);
	if ((ok || v->outcome == DIAG_OUTCOME_PARTLY_DELIVERED) && t != NULL &&
	    t->queue_item != NULL) {
		char qid[SMTP_QUEUE_ID_MAX + 1];

		if (smtp_reply_queue_id(t->queue_item->reply, qid)) {
			gs_puts(s, ", queue id ");
			output_escape(s, qid, strlen(qid));
		}
	}
	if (!ok) {
		gs_puts(s, v->outcome == DIAG_OUTCOME_PARTLY_DELIVERED
			       ? ", refused at "
			       : " at ");
		/* "another command": the one it was */
		gs_puts(s, v->stage == DIAG_STAGE_COMMAND && v->item != NULL &&
				   v->item->kind == DLG_ITEM_COMMAND
			       ? smtp_cmd_name(v->item->cmd)
			       : diag_stage_label(v->stage));
	}
	if (v->cause != NULL) {
		gs_puts(s, " (");
		gs_puts(s, v->cause);
		if (v->retry_after >= 0) {
			gs_puts(s, ", retry after ");
			gs_i64(s, v->retry_after);
			gs_puts(s, " s");
		}
		if (v->list != NULL) {
			gs_puts(s, ", list ");
			output_escape(s, v->list, strlen(v->list));
		}
		if (v->address != NULL) {
			gs_puts(s, ", listed address ");
			output_escape(s, v->address, strlen(v->address));
		}
		if (v->waited >= 0) {
			gs_puts(s, ", the client waited ");
			gs_seconds(s, v->waited);
		}
		if (v->note != NULL) {
			gs_puts(s, "; ");
			output_escape(s, v->note, strlen(v->note));
		}
		gs_putc(s, ')');
	}
	/* The reply that decided it: a refusal, or the acceptance. */
	if (v->item != NULL && v->item->reply != NULL &&
	    (ok || smtp_reply_class(v->item->reply->code) >= 4) &&
	    (v->cause == NULL || strcmp(v->cause, "client-quit") != 0)) {
		gs_puts(s, ": ");
		reply_first_line(s, v->item->reply);
	}
	gs_putc(s, '\n');
}

/* "  diagnosis: ...", why and what to do, the transactions when there are
 * several, and the timing and closing notes. */
static void
print_diagnosis(
    GString *s, const struct output_opts *o, const struct dialogue *d)
{
	const struct diagnosis *g = d->diagnosis;
	const struct cause_info *c;
	unsigned i;

	if (g == NULL)
		return;
	gs_puts(s, "  diagnosis: ");
	if (g->n_txs > 1 && g->from_tx >= 0) {
		/* "partly delivered (3 of 4 transactions); transaction 2:
		 * rejected at RCPT (...)" */
		if (g->session.outcome == DIAG_OUTCOME_PARTLY_DELIVERED) {
			col(s, o, COL_YELLOW);
			gs_puts(s, "partly delivered");
			col(s, o, COL_RESET);
			g_string_append_printf(s,
			    " (%u of %u transactions delivered); ",
			    g->delivered_txs, g->n_txs);
		}
		g_string_append_printf(s, "transaction %d: ", g->from_tx + 1);
		print_verdict_line(
		    s, o, &g->txs[g->from_tx].v, &g->txs[g->from_tx]);
	} else
		print_verdict_line(
		    s, o, &g->session, g->n_txs == 1 ? &g->txs[0] : NULL);
	c = cause_info(g->session.cause);
	if (c != NULL && strcmp(c->name, "client-quit") != 0) {
		gs_puts(s, "    why: ");
		gs_puts(s, c->explanation);
		if (c->flags & CAUSE_F_CLIENT_FAULT)
			gs_puts(s, " The client is at fault.");
		if (g->session.url != NULL) {
			gs_puts(s, " The reply points to ");
			output_escape(
			    s, g->session.url, strlen(g->session.url));
			gs_putc(s, '.');
		}
		gs_puts(s, "\n    remedy (client side): ");
		gs_puts(s, c->remedy_client);
		gs_puts(s, "\n    remedy (server side): ");
		gs_puts(s, c->remedy_server);
		gs_putc(s, '\n');
	}
	for (i = 0; g->n_txs > 1 && i < g->n_txs; i++) {
		gs_puts(s, "  transaction ");
		gs_u64(s, i + 1);
		gs_puts(s, ": ");
		print_verdict_line(s, o, &g->txs[i].v, &g->txs[i]);
	}
	for (i = 0; i < g->n_txs; i++) {
		const struct diag_retry *rt = &g->txs[i].retry_of;

		if (rt->session[0] == '\0')
			continue;
		gs_puts(s, "  note: ");
		if (g->n_txs > 1)
			g_string_append_printf(s, "transaction %u: ", i + 1);
		gs_puts(s, "a retry of session ");
		gs_puts(s, rt->session);
		gs_puts(s, " (deferred");
		if (rt->cause != NULL) {
			gs_puts(s, " by ");
			gs_puts(s, rt->cause);
		}
		gs_putc(s, ' ');
		gs_seconds(s, rt->after);
		gs_puts(s, " earlier)\n");
	}
	for (i = 0; i < g->n_flags; i++) {
		const struct diag_flag *f = &g->flags[i];
		bool slow = f->kind == DIAG_FLAG_SLOW_GREETING ||
			    f->kind == DIAG_FLAG_SLOW_REPLY ||
			    f->kind == DIAG_FLAG_NO_REPLY ||
			    f->kind == DIAG_FLAG_NO_GREETING;

		gs_puts(s, slow ? "  timing: " : "  note: ");
		if (slow)
			col(s, o, COL_YELLOW);
		gs_puts(s, f->text);
		if (slow)
			col(s, o, COL_RESET);
		gs_putc(s, '\n');
	}
}

char *
output_text_session(const struct output_opts *o, const struct dialogue *d)
{
	GString *s = g_string_sized_new(1024);
	/* (times may go back between files given out of order) */
	gint64 dur = d->ts_end > d->ts_start ? d->ts_end - d->ts_start : 0;
	unsigned gap_txs = dialogue_gap_txs(d);
	g_autoptr(GHashTable) rcpts = NULL;
	guint i, j;

	col(s, o, COL_BOLD);
	gs_puts(s, "session ");
	gs_u64(s, d->seq);
	gs_putc(s, ' ');
	gs_puts(s, d->id);
	gs_putc(s, ' ');
	output_time(s, d->ts_start);
	gs_putc(s, ' ');
	output_endpoint(s, &d->client);
	gs_puts(s, " -> ");
	output_endpoint(s, &d->server);
	col(s, o, COL_RESET);
	if (d->detected == DLG_DETECT_CONTENT)
		g_string_append_printf(s,
		    "\n  found by content: SMTP on port %u, not one of "
		    "--ports",
		    d->server.port);
	gs_puts(s, "\n  end: ");
	gs_puts(s, dialogue_end_name(d->end));
	gs_puts(s, " after ");
	gs_seconds(s, dur);
	gs_puts(s, ", ");
	gs_u64(s, d->bytes_client);
	gs_puts(s, " bytes from client, ");
	gs_u64(s, d->bytes_server);
	gs_puts(s, " from server\n");
	print_capture(s, o, d);
	print_proxy(s, o, d);

	/* Which recipient each RCPT item is, for its verdict. */
	rcpts = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		for (j = 0; j < tx->rcpts->len; j++) {
			struct dlg_rcpt *r = g_ptr_array_index(tx->rcpts, j);

			g_hash_table_insert(rcpts, r->item, r);
		}
	}
	for (i = 0; i < d->items->len; i++) {
		const struct dlg_item *it = g_ptr_array_index(d->items, i);

		print_item(s, o, d, it, g_hash_table_lookup(rcpts, it));
	}
	if (d->items_dropped > 0)
		g_string_append_printf(s,
		    "          [%u more items not kept: "
		    "record limit]\n",
		    d->items_dropped);
	if (d->tls_started && !d->tls_plaintext)
		g_string_append_printf(s,
		    "          [TLS: %" G_GUINT64_FORMAT
		    " bytes from client, %" G_GUINT64_FORMAT " from server, "
		    "not decrypted]\n",
		    d->tls_bytes_client, d->tls_bytes_server);
	print_tls(s, o, d);

	if (d->auth != NULL) {
		gs_puts(s, "  auth: ");
		output_escape(
		    s, d->auth->mechanism, strlen(d->auth->mechanism));
		if (d->auth->user != NULL) {
			gs_puts(s, " user \"");
			output_escape(s, d->auth->user, strlen(d->auth->user));
			gs_putc(s, '"');
		}
		g_string_append_printf(s, ": %s%s\n",
		    d->auth->result == DLG_AUTH_SUCCESS	  ? "success"
		    : d->auth->result == DLG_AUTH_FAILURE ? "failure"
							  : "unknown",
		    d->auth->password_sent ? "" : "; no password sent");
	}
	gs_puts(s, "  transactions: ");
	gs_u64(s, d->tx_total);
	if (gap_txs > 0)
		g_string_append_printf(
		    s, " (%u touched by a capture gap)", gap_txs);
	gs_puts(s, ", recipients: ");
	gs_u64(s, d->rcpt_total);
	gs_putc(s, '\n');
	print_diagnosis(s, o, d);
	print_messages(s, d);
	print_links(s, d);
	print_helo_check(s, o, d);
	print_findings(s, o, d);
	print_anomalies(s, o, d);
	gs_putc(s, '\n');
	return g_string_free(s, FALSE);
}

/* " (name N, name N)" for the non-zero counts; nothing if all are zero. */
static void
append_counts(GString *t, const uint64_t *v, const char *const *names, int n)
{
	const char *sep = " (";
	int i;

	for (i = 0; i < n; i++) {
		if (v[i] == 0)
			continue;
		g_string_append_printf(
		    t, "%s%s %" G_GUINT64_FORMAT, sep, names[i], v[i]);
		sep = ", ";
	}
	if (sep[0] == ',')
		gs_putc(t, ')');
}

/* "  findings: N in N sessions (KIND N, ...)" and a line per kind naming
 * its first sessions: what to look at first. */
static void
print_findings_summary(GString *t, const struct run_stats *s)
{
	const char *names[RELAY_FINDING_COUNT];
	uint64_t total = 0;
	int k;

	for (k = 0; k < RELAY_FINDING_COUNT; k++) {
		names[k] = relay_finding_name(k);
		total += s->findings[k];
	}
	if (total == 0) {
		gs_puts(t, "\n  findings: none");
		return;
	}
	g_string_append_printf(t,
	    "\n  findings: %" G_GUINT64_FORMAT " in %" G_GUINT64_FORMAT
	    " sessions",
	    total, s->finding_sessions);
	append_counts(t, s->findings, names, RELAY_FINDING_COUNT);
	for (k = 0; k < RELAY_FINDING_COUNT; k++) {
		const GPtrArray *ids = s->finding_ids[k];
		guint i;

		if (ids->len == 0)
			continue;
		g_string_append_printf(t, "\n    %s: ", names[k]);
		for (i = 0; i < ids->len; i++) {
			gs_puts(t, i > 0 ? ", " : "");
			gs_puts(t, g_ptr_array_index(ids, i));
		}
		if (s->finding_kind_sessions[k] > ids->len)
			g_string_append_printf(t,
			    " and %" G_GUINT64_FORMAT " more sessions",
			    s->finding_kind_sessions[k] - ids->len);
	}
}

/* "{ind}outcomes: ..." and "{ind}failures: 2 deferred by greylisting,
 * 1 rejected by blocklist dnsbl.test": the sums of diagnosis.h's
 * verdicts; nothing when no session was diagnosed. */
static void
print_diag_totals(GString *t, const char *ind, const struct diag_totals *x)
{
	const char *names[DIAG_OUTCOME_COUNT];
	g_autoptr(GPtrArray) f = NULL;
	uint64_t txs = 0, no_tx = 0;
	guint i;
	int k;

	for (k = 0; k < DIAG_OUTCOME_COUNT; k++) {
		names[k] = diag_outcome_name(k);
		txs += x->txs[k];
		no_tx += x->no_tx[k];
	}
	if (txs + no_tx == 0)
		return;
	g_string_append_printf(
	    t, "\n%soutcomes: %" G_GUINT64_FORMAT " transactions", ind, txs);
	append_counts(t, x->txs, names, DIAG_OUTCOME_COUNT);
	g_string_append_printf(
	    t, ", %" G_GUINT64_FORMAT " sessions without one", no_tx);
	append_counts(t, x->no_tx, names, DIAG_OUTCOME_COUNT);
	f = diag_totals_failures(x);
	for (i = 0; i < f->len; i++) {
		const struct diag_failure *e = g_ptr_array_index(f, i);

		if (i == 0) {
			gs_putc(t, '\n');
			gs_puts(t, ind);
			gs_puts(t, "failures: ");
		} else
			gs_puts(t, ", ");
		g_string_append_printf(t, "%" G_GUINT64_FORMAT " %s by %s",
		    e->count, e->outcome, e->cause);
		if (e->list[0] != '\0') {
			gs_putc(t, ' ');
			output_escape(t, e->list, strlen(e->list));
		}
	}
}

/* The per-server relay table of the summary. */
static void
print_servers(GString *t, const struct run_stats *s)
{
	g_autoptr(GPtrArray) v = run_stats_servers(s);
	const char *names[RELAY_VERDICT_COUNT];
	guint i, j;
	int k;

	if (v->len == 0)
		return;
	for (k = 0; k < RELAY_VERDICT_COUNT; k++)
		names[k] = relay_verdict_name(k);
	gs_puts(t, "\n  servers:");
	for (i = 0; i < v->len; i++) {
		const struct server_stats *x = g_ptr_array_index(v, i);
		g_autoptr(GPtrArray) doms = NULL;
		g_autoptr(GPtrArray) cmds = NULL;

		gs_puts(t, "\n    ");
		output_endpoint(t, &x->server);
		g_string_append_printf(t,
		    ": %" G_GUINT64_FORMAT " sessions, %" G_GUINT64_FORMAT
		    " recipients",
		    x->sessions, x->rcpts);
		append_counts(t, x->verdicts, names, RELAY_VERDICT_COUNT);
		g_string_append_printf(t,
		    ", %" G_GUINT64_FORMAT " relay attempts, %" G_GUINT64_FORMAT
		    " accepted open (%" G_GUINT64_FORMAT
		    " confirmed), %" G_GUINT64_FORMAT " denied",
		    server_stats_relay_attempts(x),
		    x->verdicts[RELAY_VERDICT_RELAY_ACCEPTED_OPEN],
		    x->confirmed, x->verdicts[RELAY_VERDICT_RELAY_DENIED]);
		for (j = 0; j < x->refused->len; j++)
			g_string_append_printf(t, "%s%s",
			    j == 0 ? "; refused: " : ", ",
			    (const char *)g_ptr_array_index(x->refused, j));
		if (x->refused_more > 0)
			g_string_append_printf(t,
			    " and %" G_GUINT64_FORMAT " more", x->refused_more);
		print_diag_totals(t, "      ", &x->diag);
		if (x->unknown_rcpts == 0)
			continue;
		doms = server_stats_unknown(x);
		g_string_append_printf(t,
		    "\n      accepted from strangers without evidence of "
		    "locality: %" G_GUINT64_FORMAT " recipients, ",
		    x->unknown_rcpts);
		for (j = 0; j < doms->len; j++) {
			const char *dom = g_ptr_array_index(doms, j);

			gs_puts(t, j > 0 ? ", " : "");
			output_escape(t, dom, strlen(dom));
			g_string_append_printf(t, " (%zu)",
			    GPOINTER_TO_SIZE(
				g_hash_table_lookup(x->unknown, dom)));
		}
		if (x->unknown_more > 0)
			g_string_append_printf(t,
			    ", and %" G_GUINT64_FORMAT " in further domains",
			    x->unknown_more);
		cmds = server_stats_decide(x, s);
		gs_puts(t, "\n      to decide: ");
		for (j = 0; j < cmds->len; j++) {
			const char *c = g_ptr_array_index(cmds, j);

			gs_puts(t, j == 0		? ""
				   : j + 1 == cmds->len ? "; or test it: "
							: "; or ");
			output_escape(t, c, strlen(c));
		}
	}
	if (s->servers_untracked > 0)
		g_string_append_printf(t,
		    "\n    (%" G_GUINT64_FORMAT
		    " sessions of further servers not tabulated)",
		    s->servers_untracked);
}

/* EHLO check results, and where the DNS facts came from. */
static void
print_dns_summary(GString *t, const struct run_stats *s)
{
	const char *names[HELO_RESULT_COUNT];
	uint64_t n = 0;
	int k;

	for (k = 0; k < HELO_RESULT_COUNT; k++) {
		names[k] = helo_result_name(k);
		n += s->helo[k];
	}
	g_string_append_printf(t, "\n  helo checks: %" G_GUINT64_FORMAT, n);
	append_counts(t, s->helo, names, HELO_RESULT_COUNT);
	g_string_append_printf(t,
	    "\n  dns facts: %" G_GUINT64_FORMAT " from the capture",
	    s->dns_capture);
	if (s->dns_capture_dropped > 0)
		g_string_append_printf(t,
		    " (%" G_GUINT64_FORMAT " more not kept)",
		    s->dns_capture_dropped);
	g_string_append_printf(t,
	    ", %" G_GUINT64_FORMAT " from the map, live lookups ", s->dns_map);
	if (!s->live)
		gs_puts(t, "off");
	else
		g_string_append_printf(t,
		    "%" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
		    " answered, %" G_GUINT64_FORMAT
		    " timed out, %" G_GUINT64_FORMAT " failed)",
		    s->live_stats.queries, s->live_stats.answered,
		    s->live_stats.timeouts, s->live_stats.failed);
	if (s->live && s->live_stats.stopped)
		gs_puts(t, ", stopped: no response");
}

/* "  memory: ..." when the budget made the run give something up. */
static void
print_memory(GString *t, const struct budget *m)
{
	if (m->reliefs == 0)
		return;
	g_string_append_printf(t,
	    "\n  memory: over --max-memory (%.1f MiB) %" G_GUINT64_FORMAT
	    " time%s: %" G_GUINT64_FORMAT
	    " records written out of order, %" G_GUINT64_FORMAT
	    " sessions judged before their onward window "
	    "ended, %" G_GUINT64_FORMAT
	    " idle reassembly buffers freed, %" G_GUINT64_FORMAT
	    " sessions cut in two (%.1f MiB given back), %" G_GUINT64_FORMAT
	    " DNS facts not kept",
	    (double)m->limit / (1024 * 1024), m->reliefs,
	    m->reliefs == 1 ? "" : "s", m->records_forced, m->held_early,
	    m->buffers_freed, m->sessions_cut,
	    (double)m->bytes_shed / (1024 * 1024), m->refused[BUDGET_DNS]);
}

char *
output_text_summary(const struct output_opts *o, const struct run_stats *s)
{
	const char *names[(int)DLG_END_COUNT + (int)RS_NIDS_WARN_COUNT];
	GString *t = g_string_sized_new(512);
	uint64_t warn = 0;
	guint i;
	int e;

	col(t, o, COL_BOLD);
	gs_puts(t, "summary");
	col(t, o, COL_RESET);
	if (s->interrupted != NULL)
		g_string_append_printf(t, " (%s by %s)",
		    s->incomplete ? "run incomplete: stopped" : "stopped",
		    s->interrupted);
	else if (s->incomplete)
		gs_puts(t, " (run incomplete)");
	print_findings_summary(t, s);
	if (s->selecting)
		g_string_append_printf(t,
		    "\n  selected: %" G_GUINT64_FORMAT
		    " sessions written, %" G_GUINT64_FORMAT
		    " not selected (the counts below are of those written)",
		    s->sessions, s->unselected);
	if (s->extract_dir != NULL) {
		gs_puts(t, "\n  extracted: ");
		g_string_append_printf(t,
		    "%" G_GUINT64_FORMAT " messages and %" G_GUINT64_FORMAT
		    " attachments (%" G_GUINT64_FORMAT " bytes) to ",
		    s->extracted_messages, s->extracted_attachments,
		    s->extracted_bytes);
		output_escape(t, s->extract_dir, strlen(s->extract_dir));
		gs_puts(t, ", listed in index.jsonl");
		if (s->extract_skipped > 0)
			g_string_append_printf(t,
			    "; %" G_GUINT64_FORMAT
			    " not extracted: --extract-max reached",
			    s->extract_skipped);
		if (s->extract_failed > 0)
			g_string_append_printf(t,
			    "; %" G_GUINT64_FORMAT " could not be written",
			    s->extract_failed);
	}
	if (s->write_file != NULL) {
		gs_puts(t, "\n  written: ");
		g_string_append_printf(t,
		    "%" G_GUINT64_FORMAT " packets (%" G_GUINT64_FORMAT
		    " bytes) of %" G_GUINT64_FORMAT " sessions to ",
		    s->written_packets, s->written_bytes, s->written_sessions);
		output_escape(t, s->write_file, strlen(s->write_file));
		if (s->write_format != NULL)
			g_string_append_printf(t, " (%s)", s->write_format);
		else
			gs_puts(t, " (not written: nothing was read)");
		if (s->write_sessions_over > 0)
			g_string_append_printf(t,
			    "; %" G_GUINT64_FORMAT
			    " selected sessions not written: too many",
			    s->write_sessions_over);
	}
	g_string_append_printf(t, "\n  files: %u", s->files->len);
	for (i = 0; i < s->files->len; i++) {
		const char *f = g_ptr_array_index(s->files, i);

		gs_puts(t, i == 0 ? " (" : ", ");
		output_escape(t, f, strlen(f));
	}
	gs_puts(t, s->files->len > 0 ? ")\n" : "\n");
	g_string_append_printf(t,
	    "  packets: %" G_GUINT64_FORMAT " read, %" G_GUINT64_FORMAT
	    " IPv4, %" G_GUINT64_FORMAT " IPv6, %" G_GUINT64_FORMAT
	    " other, %" G_GUINT64_FORMAT " undecodable, %" G_GUINT64_FORMAT
	    " truncated",
	    s->frames, s->ipv4, s->ipv6, s->other_l3, s->undecodable,
	    s->truncated);
	if (s->pcap_drops > 0)
		g_string_append_printf(t,
		    ", %" G_GUINT64_FORMAT " dropped by the kernel",
		    s->pcap_drops);
	if (s->tunnelled > 0)
		g_string_append_printf(
		    t, ", %" G_GUINT64_FORMAT " from tunnels", s->tunnelled);
	if (s->ipv6_fragments > 0)
		g_string_append_printf(t,
		    ", %" G_GUINT64_FORMAT " IPv6 fragments (not reassembled)",
		    s->ipv6_fragments);
	if (s->ipv6_unmapped > 0)
		g_string_append_printf(t,
		    ", %" G_GUINT64_FORMAT
		    " IPv6 past the address map's limit (not analysed)",
		    s->ipv6_unmapped);
	if (s->ipv4_frag_dropped > 0)
		g_string_append_printf(t,
		    ", %" G_GUINT64_FORMAT " fragmented datagrams given up",
		    s->ipv4_frag_dropped);
	g_string_append_printf(
	    t, "\n  sessions: %" G_GUINT64_FORMAT, s->sessions);
	for (e = 1; e < DLG_END_COUNT; e++)
		names[e] = dialogue_end_name(e);
	append_counts(t, s->ends + 1, names + 1, DLG_END_COUNT - 1);
	if (s->picked_up + s->with_gaps + s->one_sided > 0)
		g_string_append_printf(t,
		    "\n  capture quality: %" G_GUINT64_FORMAT
		    " picked up mid-stream, %" G_GUINT64_FORMAT
		    " with gaps (%" G_GUINT64_FORMAT
		    " bytes lost from clients, %" G_GUINT64_FORMAT
		    " from servers), %" G_GUINT64_FORMAT " one-sided",
		    s->picked_up, s->with_gaps, s->gap_bytes[0],
		    s->gap_bytes[1], s->one_sided);
	print_detection(t, s);
	g_string_append_printf(t,
	    "\n  transactions: %" G_GUINT64_FORMAT
	    "\n  recipients: %" G_GUINT64_FORMAT " (2xx %" G_GUINT64_FORMAT
	    ", 4xx %" G_GUINT64_FORMAT ", 5xx %" G_GUINT64_FORMAT
	    ", no reply %" G_GUINT64_FORMAT ")\n",
	    s->transactions, s->rcpts, s->rcpt_class[2], s->rcpt_class[4],
	    s->rcpt_class[5], s->rcpt_class[0]);
	g_string_truncate(t, t->len - 1);
	print_diag_totals(t, "  ", &s->diag);
	gs_putc(t, '\n');
	for (e = 0; e < RS_NIDS_WARN_COUNT; e++)
		warn += s->nids_warn[e];
	g_string_append_printf(
	    t, "  libnids warnings: %" G_GUINT64_FORMAT, warn);
	for (e = 0; e < RS_NIDS_WARN_COUNT; e++)
		names[e] = output_nids_warn_name(e);
	append_counts(t, s->nids_warn, names, RS_NIDS_WARN_COUNT);
	print_servers(t, s);
	print_dns_summary(t, s);
	print_memory(t, &s->memory);
	if (s->overlap_conflicts[0] + s->overlap_conflicts[1] > 0)
		g_string_append_printf(t,
		    "\n  overlaps: %" G_GUINT64_FORMAT
		    " conflicting copies (%" G_GUINT64_FORMAT
		    " in IPv4 fragments)",
		    s->overlap_conflicts[0] + s->overlap_conflicts[1],
		    s->overlap_conflicts[1]);
	if (s->handshakes_forgotten > 0)
		g_string_append_printf(t,
		    "\n  handshakes: %" G_GUINT64_FORMAT
		    " half-open forgotten (table full)",
		    s->handshakes_forgotten);
	gs_putc(t, '\n');
	return g_string_free(t, FALSE);
}
