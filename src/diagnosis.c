/* SPDX-License-Identifier: GPL-2.0-or-later */
/* diagnosis.c: outcome, stage, cause and timing of every transaction and
 * session (docs/diagnosis.md). */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "diagnosis.h"
#include "gstr.h"
#include "tls.h"

static const char *const outcome_names[] = {
#define DIAG_OUTCOME_NAME(id, name) name,
	DIAG_OUTCOME_LIST(DIAG_OUTCOME_NAME)
#undef DIAG_OUTCOME_NAME
};

static const char *const flag_names[] = {
#define DIAG_FLAG_NAME(id, name) name,
	DIAG_FLAG_LIST(DIAG_FLAG_NAME)
#undef DIAG_FLAG_NAME
};

static const char *const fail_names[] = {
#define DIAG_FAIL_NAME(id, name) name,
	DIAG_FAIL_LIST(DIAG_FAIL_NAME)
#undef DIAG_FAIL_NAME
};

/* RFC 5321 §4.5.3.2's minimum client timeouts, by stage (seconds). */
static int64_t
rfc_timeout(enum diag_stage s)
{
	switch (s) {
	case DIAG_STAGE_GREETING:
	case DIAG_STAGE_MAIL:
	case DIAG_STAGE_RCPT:
		return 300;
	case DIAG_STAGE_DATA:
		return 120;
	case DIAG_STAGE_END_OF_DATA:
		return 600;
	default:
		return 300; /* §4.5.3.2: "at least 5 minutes" for others */
	}
}

const char *
diag_outcome_name(enum diag_outcome o)
{
	return (unsigned)o < G_N_ELEMENTS(outcome_names) ? outcome_names[o]
							 : "?";
}

const char *
diag_flag_name(enum diag_flag_kind k)
{
	return (unsigned)k < G_N_ELEMENTS(flag_names) ? flag_names[k] : "?";
}

int
diag_fail_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(fail_names); i++)
		if (strcmp(fail_names[i], name) == 0)
			return (int)i;
	return -1;
}

enum diag_stage
diagnosis_stage_of(const struct dlg_item *it)
{
	if (it->kind == DLG_ITEM_BANNER)
		return DIAG_STAGE_GREETING;
	if (it->kind != DLG_ITEM_COMMAND)
		return DIAG_STAGE_COMMAND;
	switch (it->cmd) {
	case SMTP_CMD_HELO:
	case SMTP_CMD_EHLO:
	case SMTP_CMD_LHLO:
		return DIAG_STAGE_HELO;
	case SMTP_CMD_STARTTLS:
		return DIAG_STAGE_STARTTLS;
	case SMTP_CMD_AUTH:
	case SMTP_CMD_AUTH_RESPONSE:
		return DIAG_STAGE_AUTH;
	case SMTP_CMD_MAIL:
		return DIAG_STAGE_MAIL;
	case SMTP_CMD_RCPT:
		return DIAG_STAGE_RCPT;
	case SMTP_CMD_DATA:
	case SMTP_CMD_BDAT:
		return DIAG_STAGE_DATA;
	case SMTP_CMD_END_OF_DATA:
		return DIAG_STAGE_END_OF_DATA;
	case SMTP_CMD_QUIT:
		return DIAG_STAGE_QUIT;
	default:
		return DIAG_STAGE_COMMAND;
	}
}

int64_t
diagnosis_reply_time(const struct dlg_item *it)
{
	if (it->kind != DLG_ITEM_COMMAND || it->reply == NULL ||
	    it->reply_ts < it->ts || it->ts == 0)
		return -1;
	return it->reply_ts - it->ts;
}

static int
reply_class(const struct dlg_item *it)
{
	return it != NULL && it->reply != NULL
		   ? smtp_reply_class(it->reply->code)
		   : 0;
}

static bool
refused(const struct dlg_item *it)
{
	int c = reply_class(it);

	return c == 4 || c == 5;
}

/* The capture, not the session, ended it: what came next is not known. */
static bool
capture_cut(const struct dialogue *d)
{
	switch (d->end) {
	case DLG_END_CLOSED:
	case DLG_END_RESET:
		return false;
	default:
		return true;
	}
}

/* When the client closed its side at or after ts, before the server
 * closed its own: it stopped waiting.  0 if it did not. */
static gint64
client_left(const struct dialogue *d, gint64 ts)
{
	gint64 c = d->fin_ts[DLG_DIR_CLIENT], s = d->fin_ts[DLG_DIR_SERVER];

	if (c == 0 || c < ts || (s != 0 && s < c))
		return 0;
	return c;
}

/* Did the server close its side first? */
static bool
server_closed_first(const struct dialogue *d)
{
	gint64 c = d->fin_ts[DLG_DIR_CLIENT], s = d->fin_ts[DLG_DIR_SERVER];

	return s != 0 && (c == 0 || s < c);
}

static void
verdict_clear(struct diag_verdict *v)
{
	g_free(v->list);
	g_free(v->address);
	g_free(v->url);
	g_free(v->note);
	memset(v, 0, sizeof *v);
	v->retry_after = -1;
	v->waited = -1;
}

static void
verdict_set(struct diag_verdict *v, enum diag_outcome o, enum diag_stage s,
    const char *cause, const struct dlg_item *it)
{
	verdict_clear(v);
	v->outcome = o;
	v->stage = s;
	v->cause = cause;
	v->item = it;
}

/* The verdict a refusal gives at a stage: deferred for 4xx, rejected for
 * 5xx, with the cause the catalogue (or, for RCPT, the relay judgement,
 * which also knows the recipient's locality) names. */
static void
verdict_refusal(struct diag_verdict *v, const struct dlg_item *it,
    enum diag_stage s, const char *cause, const char *source)
{
	const struct smtp_reply *r = it->reply;
	struct cause_details det;
	struct cause_match m;

	if (cause == NULL) {
		causes_classify(r, s, &m);
		cause = m.cause;
		source = m.source;
	}
	verdict_set(v,
	    smtp_reply_class(r->code) == 4 ? DIAG_OUTCOME_DEFERRED
					   : DIAG_OUTCOME_REJECTED,
	    s, cause != NULL ? cause : "unstated", it);
	v->cause_source = source;
	causes_details(r, &det);
	if (smtp_reply_class(r->code) == 4)
		v->retry_after = det.retry_after;
	if (cause != NULL && strcmp(cause, "blocklist") == 0) {
		if (det.list != NULL)
			v->list = g_strndup(det.list, det.list_len);
		if (det.address != NULL)
			v->address = g_strndup(det.address, det.address_len);
	}
	if (det.url != NULL)
		v->url = g_strndup(det.url, det.url_len);
}

/* A command left without a reply: the client gave up or the connection
 * broke (or the capture ended, or lost the reply). */
static void
verdict_no_reply(struct diag_verdict *v, const struct dialogue *d,
    const struct dlg_item *it, enum diag_stage s)
{
	gint64 left = client_left(d, it->ts);

	if ((it->flags & DLG_F_REPLY_LOST) != 0) {
		verdict_set(v, DIAG_OUTCOME_UNKNOWN, s, "capture-gap", it);
		return;
	}
	if (left != 0) {
		verdict_set(v,
		    s == DIAG_STAGE_END_OF_DATA ? DIAG_OUTCOME_UNKNOWN
						: DIAG_OUTCOME_ABANDONED,
		    s, "no-reply", it);
		v->waited = left - it->ts;
		v->note = g_strdup("the client closed the connection");
		return;
	}
	if (capture_cut(d)) {
		verdict_set(v, DIAG_OUTCOME_UNKNOWN, s, "capture-ended", it);
		return;
	}
	/* After the final dot the server may have taken the message: the
	 * outcome is not known (and a retry may deliver it twice). */
	verdict_set(v,
	    s == DIAG_STAGE_END_OF_DATA ? DIAG_OUTCOME_UNKNOWN
					: DIAG_OUTCOME_ABANDONED,
	    s, "no-reply", it);
	if (d->ts_end >= it->ts)
		v->waited = d->ts_end - it->ts;
}

/* A recipient's cause: the relay judgement's, else the catalogue's. */
static const char *
rcpt_cause(const struct dlg_rcpt *r, const char **source)
{
	struct cause_match m;

	*source = r->cause_source;
	if (r->cause != NULL)
		return r->cause;
	causes_classify(r->item->reply, DIAG_STAGE_RCPT, &m);
	*source = m.source;
	return m.cause != NULL ? m.cause : "unstated";
}

/* The transaction failed at RCPT: the first deferred recipient decides
 * (the sender will retry), else the first rejected one. */
static void
verdict_from_rcpts(struct diag_verdict *v, const struct dlg_tx *tx)
{
	int want;
	guint j;

	for (want = 4; want <= 5; want++)
		for (j = 0; j < tx->rcpts->len; j++) {
			const struct dlg_rcpt *r =
			    g_ptr_array_index(tx->rcpts, j);
			const char *src, *c;

			if (reply_class(r->item) != want)
				continue;
			c = rcpt_cause(r, &src);
			verdict_refusal(v, r->item, DIAG_STAGE_RCPT, c, src);
			return;
		}
}

/* The last unsolicited refusal (a 421 on closing) after item it, or
 * NULL. */
static const struct dlg_item *
closing_reply(const struct dialogue *d, const struct dlg_item *after)
{
	const struct dlg_item *found = NULL;
	bool past = after == NULL;
	guint i;

	for (i = 0; i < d->items->len; i++) {
		const struct dlg_item *it = g_ptr_array_index(d->items, i);

		if (it == after)
			past = true;
		else if (past && it->kind == DLG_ITEM_UNSOLICITED &&
			 refused(it))
			found = it;
	}
	return found;
}

/* The session ended inside a message the client was sending. */
static void
verdict_cut_in_data(struct diag_verdict *v, const struct dialogue *d,
    const struct dlg_item *data)
{
	const struct dlg_item *c = closing_reply(d, data);

	if (c != NULL) {
		verdict_refusal(v, c, DIAG_STAGE_DATA, NULL, NULL);
		return;
	}
	if (capture_cut(d))
		verdict_set(v, DIAG_OUTCOME_UNKNOWN, DIAG_STAGE_DATA,
		    "capture-ended", data);
	else
		verdict_set(v, DIAG_OUTCOME_ABANDONED, DIAG_STAGE_DATA,
		    d->end == DLG_END_RESET ? "connection-reset-in-data"
					    : "connection-closed-in-data",
		    data);
}

/* A BDAT chunk of the transaction that was refused, or NULL. */
static const struct dlg_item *
refused_chunk(const struct dialogue *d, const struct dlg_tx *tx)
{
	guint i;

	for (i = 0; i < d->items->len; i++) {
		const struct dlg_item *it = g_ptr_array_index(d->items, i);

		if (it->tx == tx && it->kind == DLG_ITEM_COMMAND &&
		    it->cmd == SMTP_CMD_BDAT && refused(it))
			return it;
	}
	return NULL;
}

static void
diagnose_data(struct diag_verdict *v, const struct dialogue *d,
    const struct dlg_tx *tx, const struct diag_tx *t)
{
	const struct dlg_data *dd = tx->data;
	const struct dlg_item *chunk;

	if (dd->end != NULL && dd->end->reply != NULL && !refused(dd->end) &&
	    reply_class(dd->end) == 2) {
		if (t->deferred + t->rejected == 0) {
			verdict_set(v, DIAG_OUTCOME_DELIVERED,
			    DIAG_STAGE_END_OF_DATA, NULL, dd->end);
			return;
		}
		verdict_from_rcpts(v, tx);
		v->outcome = DIAG_OUTCOME_PARTLY_DELIVERED;
		return;
	}
	if (dd->end != NULL && refused(dd->end)) {
		verdict_refusal(v, dd->end, DIAG_STAGE_END_OF_DATA, NULL, NULL);
		return;
	}
	if (refused(dd->item)) {
		/* "554 5.5.1 Error: no valid recipients": the recipients'
		 * refusals are the reason. */
		if (t->accepted == 0 && t->deferred + t->rejected > 0)
			verdict_from_rcpts(v, tx);
		else
			verdict_refusal(
			    v, dd->item, DIAG_STAGE_DATA, NULL, NULL);
		return;
	}
	chunk = dd->command == SMTP_CMD_BDAT ? refused_chunk(d, tx) : NULL;
	if (chunk != NULL) {
		verdict_refusal(v, chunk, DIAG_STAGE_DATA, NULL, NULL);
		return;
	}
	if (dd->complete && dd->end != NULL) {
		verdict_no_reply(v, d, dd->end, DIAG_STAGE_END_OF_DATA);
		return;
	}
	if (dd->item != NULL && dd->item->reply == NULL &&
	    dd->command == SMTP_CMD_DATA) {
		if (t->accepted == 0 && t->deferred + t->rejected > 0)
			verdict_from_rcpts(v, tx);
		else
			verdict_no_reply(v, d, dd->item, DIAG_STAGE_DATA);
		return;
	}
	verdict_cut_in_data(v, d, dd->item);
}

/* The transaction stopped before DATA with recipients accepted, or none
 * given: the client ended it, or the session ended under it. */
static void
verdict_stopped(struct diag_verdict *v, const struct dialogue *d,
    const struct dlg_item *last, enum diag_stage s)
{
	const struct dlg_item *c = closing_reply(d, last);

	if (c != NULL)
		verdict_refusal(v, c, s, NULL, NULL);
	else if (capture_cut(d) && (last == NULL || d->end != DLG_END_NONE))
		verdict_set(v, DIAG_OUTCOME_UNKNOWN, s, "capture-ended", last);
	else
		verdict_set(v, DIAG_OUTCOME_ABANDONED, s, "client-quit", NULL);
}

/* Did the client end the session itself (RSET, QUIT or a new MAIL after
 * it)?  Then a capture cut later says nothing about this transaction. */
static bool
client_moved_on(const struct dialogue *d, const struct dlg_item *after)
{
	bool past = false;
	guint i;

	for (i = 0; after != NULL && i < d->items->len; i++) {
		const struct dlg_item *it = g_ptr_array_index(d->items, i);

		if (it == after)
			past = true;
		else if (past && it->kind == DLG_ITEM_COMMAND &&
			 (it->cmd == SMTP_CMD_RSET ||
			     it->cmd == SMTP_CMD_QUIT ||
			     it->cmd == SMTP_CMD_MAIL))
			return true;
	}
	return false;
}

static void
diagnose_tx(
    const struct dialogue *d, const struct dlg_tx *tx, struct diag_tx *t)
{
	struct diag_verdict *v = &t->v;
	const struct dlg_item *last = tx->mail;
	const struct dlg_item *unanswered = NULL;
	guint j;

	verdict_clear(v);
	t->queue_item = tx->data != NULL ? tx->data->end : NULL;
	t->n_rcpts = tx->rcpts->len;
	t->rcpts = g_new0(struct diag_rcpt, MAX(t->n_rcpts, 1));
	for (j = 0; j < tx->rcpts->len; j++) {
		const struct dlg_rcpt *r = g_ptr_array_index(tx->rcpts, j);
		const char *src;

		last = r->item;
		switch (reply_class(r->item)) {
		case 2:
			t->accepted++;
			break;
		case 4:
			t->deferred++;
			t->rcpts[j].outcome = DIAG_OUTCOME_DEFERRED;
			t->rcpts[j].cause = rcpt_cause(r, &src);
			break;
		case 5:
			t->rejected++;
			t->rcpts[j].outcome = DIAG_OUTCOME_REJECTED;
			t->rcpts[j].cause = rcpt_cause(r, &src);
			break;
		default:
			t->unanswered++;
			if (unanswered == NULL)
				unanswered = r->item;
			t->rcpts[j].outcome = DIAG_OUTCOME_UNKNOWN;
			break;
		}
	}
	if (tx->mail != NULL && refused(tx->mail))
		verdict_refusal(v, tx->mail, DIAG_STAGE_MAIL, NULL, NULL);
	else if (tx->gap && !(tx->data != NULL && tx->data->end != NULL &&
				tx->data->end->reply != NULL &&
				(tx->data->end->flags & DLG_F_UNCERTAIN) == 0))
		verdict_set(v, DIAG_OUTCOME_UNKNOWN,
		    last != NULL ? diagnosis_stage_of(last) : DIAG_STAGE_MAIL,
		    "capture-gap", last);
	else if (tx->data != NULL)
		diagnose_data(v, d, tx, t);
	else if (t->accepted == 0 && t->deferred + t->rejected > 0)
		verdict_from_rcpts(v, tx);
	else if (t->accepted == 0 && unanswered != NULL)
		verdict_no_reply(v, d, unanswered, DIAG_STAGE_RCPT);
	else if (t->accepted > 0)
		verdict_stopped(v, d, client_moved_on(d, last) ? NULL : last,
		    DIAG_STAGE_RCPT);
	else if (tx->mail != NULL && tx->mail->reply == NULL)
		verdict_no_reply(v, d, tx->mail, DIAG_STAGE_MAIL);
	else
		verdict_stopped(v, d,
		    client_moved_on(d, tx->mail) ? NULL : tx->mail,
		    DIAG_STAGE_MAIL);
	if (v->item == NULL &&
	    (v->cause == NULL || strcmp(v->cause, "client-quit") != 0))
		v->item = last;
	if (v->cause != NULL && strcmp(v->cause, "client-quit") == 0 &&
	    t->deferred + t->rejected > 0 && v->note == NULL) {
		const char *why = NULL;

		for (j = 0; j < tx->rcpts->len && why == NULL; j++)
			why = t->rcpts[j].cause;
		v->note = g_strdup_printf("%u of %u recipients refused: %s",
		    t->deferred + t->rejected, t->n_rcpts,
		    why != NULL ? why : "unstated");
	}
	/* Accepted recipients share the message's fate; unanswered ones
	 * too when the transaction ended without their reply. */
	for (j = 0; j < tx->rcpts->len; j++) {
		const struct dlg_rcpt *r = g_ptr_array_index(tx->rcpts, j);
		int c = reply_class(r->item);

		if (c == 2 || c == 0) {
			t->rcpts[j].outcome =
			    v->outcome == DIAG_OUTCOME_PARTLY_DELIVERED
				? DIAG_OUTCOME_DELIVERED
				: v->outcome;
			t->rcpts[j].cause =
			    v->outcome == DIAG_OUTCOME_PARTLY_DELIVERED
				? NULL
				: v->cause;
			if (c == 0 && v->outcome != DIAG_OUTCOME_UNKNOWN &&
			    v->outcome != DIAG_OUTCOME_ABANDONED)
				t->rcpts[j].outcome = DIAG_OUTCOME_UNKNOWN;
		}
	}
}

/* Does a certificate name the host (one left-most wildcard label
 * allowed, RFC 6125 §6.4.3)? */
static bool
cert_names(const struct tls_cert *c, const char *host)
{
	unsigned i;

	for (i = 0; i < c->n_dns; i++) {
		const char *n = c->dns[i];

		if (g_ascii_strcasecmp(n, host) == 0)
			return true;
		if (n[0] == '*' && n[1] == '.') {
			const char *dot = strchr(host, '.');

			if (dot != NULL && g_ascii_strcasecmp(dot, n + 1) == 0)
				return true;
		}
	}
	return false;
}

/* Add the certificate's dates to a note whose cause rests on them. */
static void
cert_dates_note(struct diag_verdict *v, const struct tls_cert *leaf)
{
	g_autoptr(GDateTime) t = NULL;
	g_autofree char *when = NULL;
	char *note;
	bool expired = strcmp(v->cause, "tls-cert-expired") == 0;

	if (leaf == NULL ||
	    (!expired && strcmp(v->cause, "tls-cert-not-yet-valid") != 0))
		return;
	t = g_date_time_new_from_unix_utc(
	    expired ? leaf->not_after : leaf->not_before);
	if (t == NULL)
		return;
	when = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
	note = g_strdup_printf("%s%sthe server's certificate %s %s",
	    v->note != NULL ? v->note : "", v->note != NULL ? "; " : "",
	    expired ? "expired at" : "is valid only from", when);
	g_free(v->note);
	v->note = note;
}

/* Why a client refused the server's certificate (its alert, or its
 * leaving after the server's hello), as far as the certificate in clear
 * (TLS 1.2 and older) shows: out of date at the session's time (epoch
 * seconds), not naming the host asked for, else not trusted. */
static const char *
refused_cert_cause(
    const struct tls_info *t, const struct tls_cert *leaf, int64_t now)
{
	if (leaf != NULL && leaf->not_after >= 0 && leaf->not_after < now)
		return "tls-cert-expired";
	if (leaf != NULL && leaf->not_before > now)
		return "tls-cert-not-yet-valid";
	if (leaf != NULL && t->sni != NULL && !cert_names(leaf, t->sni))
		return "tls-cert-name";
	return "tls-cert-untrusted";
}

/* What became of a TLS handshake (STARTTLS or implicit). */
static void
verdict_tls(struct diag_verdict *v, const struct dialogue *d,
    const struct dlg_item *it, enum diag_stage s)
{
	const struct tls_info *t;
	const struct tls_cert *leaf;
	int64_t now = d->ts_start / G_USEC_PER_SEC;
	unsigned i;

	if (d->tls == NULL) {
		verdict_set(v, DIAG_OUTCOME_UNKNOWN, s, "encrypted", it);
		return;
	}
	t = tls_conn_info(d->tls);
	if (t->completed) {
		verdict_set(v, DIAG_OUTCOME_UNKNOWN, s, "encrypted", it);
		return;
	}
	leaf = t->server.chain.len > 0 ? &t->server.chain.certs[0] : NULL;
	for (i = 0; i < t->n_alerts; i++) {
		const struct tls_alert *a = &t->alerts[i];
		const char *n = tls_alert_name(a->desc);

		if (a->level != TLS_ALERT_FATAL)
			continue;
		verdict_set(
		    v, DIAG_OUTCOME_ABANDONED, s, "tls-handshake-failed", it);
		if (a->desc == 45)
			v->cause = "tls-cert-expired";
		else if (!a->from_server &&
			 (a->desc == 42 || a->desc == 43 || a->desc == 44 ||
			     a->desc == 46 || a->desc == 48)) {
			v->cause = refused_cert_cause(t, leaf, now);
		}
		if (n != NULL)
			v->note =
			    g_strdup_printf("the %s sent a fatal %s alert",
				a->from_server ? "server" : "client", n);
		else
			v->note = g_strdup_printf("the %s sent fatal alert %u",
			    a->from_server ? "server" : "client", a->desc);
		cert_dates_note(v, leaf);
		return;
	}
	if (capture_cut(d)) {
		verdict_set(v, DIAG_OUTCOME_UNKNOWN, s, "capture-ended", it);
		return;
	}
	if (t->server_hello && !t->client.ccs && t->client.app_records == 0) {
		/* The client closed after the server's hello and certificate:
		 * typically it did not trust what it saw. */
		verdict_set(v, DIAG_OUTCOME_ABANDONED, s,
		    refused_cert_cause(t, leaf, now), it);
		v->note = g_strdup("the client closed the connection after the "
				   "server's hello without finishing the "
				   "handshake");
		cert_dates_note(v, leaf);
		return;
	}
	verdict_set(v, DIAG_OUTCOME_ABANDONED, s, "tls-handshake-failed", it);
	v->note = g_strdup("the handshake was not seen to complete");
}

/* A session without a transaction: what stopped it. */
static void
diagnose_session_only(struct diag_verdict *v, const struct dialogue *d)
{
	const struct dlg_item *last_cmd = NULL;
	const struct dlg_item *c;
	bool decided = false;
	guint i;

	if (d->tls_mode == DLG_TLS_IMPLICIT && !d->tls_server_plaintext) {
		verdict_tls(v, d, NULL, DIAG_STAGE_CONNECT);
		return;
	}
	if (!d->picked_up && client_left(d, d->ts_start) != 0 &&
	    (d->banner == NULL ||
		d->banner->reply_ts > client_left(d, d->ts_start))) {
		/* The client gave up before the greeting came. */
		gint64 left = client_left(d, d->ts_start);

		verdict_set(v, DIAG_OUTCOME_ABANDONED, DIAG_STAGE_GREETING,
		    d->banner != NULL ? "slow-greeting" : "no-greeting", NULL);
		v->waited = left - d->ts_start;
		v->note = g_strdup(d->banner != NULL
				       ? "the client closed the connection "
					 "before the greeting came"
				       : "the client closed the connection");
		return;
	}
	if (d->banner != NULL && refused(d->banner)) {
		verdict_refusal(v, d->banner, DIAG_STAGE_GREETING, NULL, NULL);
		return;
	}
	/* The last decisive event, in order. */
	for (i = 0; i < d->items->len; i++) {
		const struct dlg_item *it = g_ptr_array_index(d->items, i);
		enum diag_stage s;

		if (it->kind != DLG_ITEM_COMMAND)
			continue;
		s = diagnosis_stage_of(it);
		if (it->cmd != SMTP_CMD_QUIT)
			last_cmd = it;
		if (it->cmd == SMTP_CMD_STARTTLS && reply_class(it) == 2 &&
		    !d->tls_plaintext) {
			verdict_tls(v, d, it, DIAG_STAGE_STARTTLS);
			return;
		}
		if (refused(it) &&
		    (s == DIAG_STAGE_HELO || s == DIAG_STAGE_STARTTLS ||
			s == DIAG_STAGE_AUTH)) {
			verdict_refusal(v, it, s, NULL, NULL);
			decided = true;
		} else if (reply_class(it) == 2 && s == DIAG_STAGE_HELO)
			decided = false; /* a later EHLO was accepted */
	}
	if (decided)
		return;
	c = closing_reply(d, NULL);
	if (c != NULL) {
		verdict_refusal(v, c,
		    last_cmd != NULL ? diagnosis_stage_of(last_cmd)
				     : DIAG_STAGE_GREETING,
		    NULL, NULL);
		return;
	}
	if (last_cmd != NULL && last_cmd->reply == NULL &&
	    (last_cmd->flags & DLG_F_REPLY_LOST) == 0 && !capture_cut(d)) {
		verdict_no_reply(v, d, last_cmd, diagnosis_stage_of(last_cmd));
		return;
	}
	if (d->banner == NULL) {
		if (d->picked_up)
			verdict_set(v, DIAG_OUTCOME_UNKNOWN, DIAG_STAGE_CONNECT,
			    "capture-started-late", NULL);
		else if (capture_cut(d))
			verdict_set(v, DIAG_OUTCOME_UNKNOWN,
			    DIAG_STAGE_GREETING, "capture-ended", NULL);
		else if (d->bytes_server == 0) {
			verdict_set(v, DIAG_OUTCOME_ABANDONED,
			    DIAG_STAGE_GREETING, "no-greeting", NULL);
			if (d->ts_end >= d->ts_start)
				v->waited = d->ts_end - d->ts_start;
		} else
			verdict_set(v, DIAG_OUTCOME_UNKNOWN,
			    DIAG_STAGE_GREETING, "capture-gap", NULL);
		return;
	}
	if (capture_cut(d))
		verdict_set(v, DIAG_OUTCOME_UNKNOWN,
		    last_cmd != NULL ? diagnosis_stage_of(last_cmd)
				     : DIAG_STAGE_GREETING,
		    "capture-ended", last_cmd);
	else
		verdict_set(v, DIAG_OUTCOME_ABANDONED,
		    last_cmd != NULL ? diagnosis_stage_of(last_cmd)
				     : DIAG_STAGE_GREETING,
		    "client-quit", NULL);
}

static int
severity(const struct diag_verdict *v)
{
	switch (v->outcome) {
	case DIAG_OUTCOME_REJECTED:
		return 5;
	case DIAG_OUTCOME_DEFERRED:
		return 4;
	case DIAG_OUTCOME_ABANDONED:
		return v->cause != NULL && strcmp(v->cause, "client-quit") == 0
			   ? 1
			   : 3;
	case DIAG_OUTCOME_UNKNOWN:
		return 2;
	default:
		return 0;
	}
}

static void
verdict_copy(struct diag_verdict *to, const struct diag_verdict *from)
{
	verdict_clear(to);
	*to = *from;
	to->list = g_strdup(from->list);
	to->address = g_strdup(from->address);
	to->url = g_strdup(from->url);
	to->note = g_strdup(from->note);
}

static void
diagnose_session(struct diagnosis *g, const struct dialogue *d)
{
	struct diag_verdict *v = &g->session;
	const struct diag_verdict *worst = NULL;
	unsigned delivered = 0, i;

	verdict_clear(v);
	g->from_tx = -1;
	if (d->missing != DLG_MISSING_NONE) {
		verdict_set(v, DIAG_OUTCOME_UNKNOWN, DIAG_STAGE_CONNECT,
		    "one-sided-capture", NULL);
		return;
	}
	if (g->n_txs == 0) {
		diagnose_session_only(v, d);
		return;
	}
	for (i = 0; i < g->n_txs; i++) {
		const struct diag_verdict *t = &g->txs[i].v;

		if (t->outcome == DIAG_OUTCOME_DELIVERED ||
		    t->outcome == DIAG_OUTCOME_PARTLY_DELIVERED)
			delivered++;
		if (t->outcome != DIAG_OUTCOME_DELIVERED &&
		    (worst == NULL || severity(t) > severity(worst))) {
			worst = t;
			g->from_tx = (int)i;
		}
	}
	g->delivered_txs = delivered;
	if (worst == NULL) {
		verdict_copy(v, &g->txs[g->n_txs - 1].v);
		return;
	}
	verdict_copy(v, worst);
	if (delivered > 0)
		v->outcome = DIAG_OUTCOME_PARTLY_DELIVERED;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
add_flag(GArray *flags, enum diag_flag_kind k, const struct dlg_item *it,
    int64_t usec, char *text)
{
	struct diag_flag f = { k, it, usec, text };

	g_array_append_val(flags, f);
}

/* The SIZE an EHLO reply advertises, or 0. */
static uint64_t
advertised_size(const struct dialogue *d)
{
	const struct smtp_reply *r;
	const char *p, *end;

	if (d->helo == NULL || d->helo->reply == NULL ||
	    d->helo->reply->code != 250)
		return 0;
	r = d->helo->reply;
	end = r->text + r->text_len;
	for (p = r->text; p < end; p++) {
		if ((p == r->text || p[-1] == '\n') && end - p > 5 &&
		    g_ascii_strncasecmp(p, "SIZE ", 5) == 0)
			return g_ascii_strtoull(p + 5, NULL, 10);
	}
	return 0;
}

/* The SIZE= a MAIL command declares, or 0. */
static uint64_t
declared_size(const struct dlg_tx *tx)
{
	const char *p = tx->mail_params;

	while (p != NULL && *p != '\0') {
		if (g_ascii_strncasecmp(p, "SIZE=", 5) == 0)
			return g_ascii_strtoull(p + 5, NULL, 10);
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	return 0;
}

static void
timing(struct diagnosis *g, const struct dialogue *d, GArray *flags)
{
	int64_t stack[64];
	int64_t *times = stack;
	g_autofree int64_t *heap = NULL;
	unsigned n_times = 0, cap = G_N_ELEMENTS(stack);
	const struct dlg_item *last_cmd = NULL;
	uint64_t size = advertised_size(d);
	unsigned slow = 0;
	bool quit = false, in_data = false;
	guint i;

	g->greeting = -1;
	g->slowest = -1;
	g->median = -1;
	if (d->banner != NULL && d->banner->reply != NULL && !d->picked_up &&
	    d->banner->reply_ts >= d->ts_start) {
		g->greeting = d->banner->reply_ts - d->ts_start;
		if (g->greeting > DIAG_SLOW_GREETING) {
			GString *s = g_string_new("greeting after ");

			gs_seconds(s, g->greeting);
			g_string_append(s, " (over 5 s: tarpitting, slow "
					   "reverse DNS of the client, or "
					   "postscreen's tests)");
			add_flag(flags, DIAG_FLAG_SLOW_GREETING, d->banner,
			    g->greeting, g_string_free(s, FALSE));
		}
	}
	for (i = 0; i < d->items->len; i++) {
		const struct dlg_item *it = g_ptr_array_index(d->items, i);
		int64_t t = diagnosis_reply_time(it);

		if (it->kind == DLG_ITEM_COMMAND) {
			last_cmd = it;
			if (it->cmd == SMTP_CMD_QUIT)
				quit = true;
		}
		if (t < 0)
			continue;
		if (n_times == cap) {
			/* (A session with many replies: on the heap.) */
			int64_t *more = g_new(int64_t, (gsize)cap * 2);

			memcpy(more, times, sizeof *times * cap);
			g_free(heap);
			times = heap = more;
			cap *= 2;
		}
		times[n_times++] = t;
		if (t > g->slowest) {
			g->slowest = t;
			g->slowest_item = it;
		}
	}
	g->replies = n_times;
	if (n_times > 0) {
		qsort(times, n_times, sizeof *times, cmp_i64);
		g->median = times[n_times / 2];
	}
	for (i = 0; i < d->items->len && slow < 8; i++) {
		const struct dlg_item *it = g_ptr_array_index(d->items, i);
		int64_t t = diagnosis_reply_time(it);
		GString *s;

		if (t < 0 || !(t > DIAG_SLOW_REPLY ||
				 (t >= DIAG_SLOW_REPLY_MIN && n_times >= 3 &&
				     t >= DIAG_SLOW_FACTOR * g->median)))
			continue;
		s = g_string_new("");
		g_string_append_printf(
		    s, "%s answered after ", smtp_cmd_name(it->cmd));
		gs_seconds(s, t);
		if (n_times >= 2) {
			g_string_append(s, " (the median reply took ");
			gs_seconds(s, g->median);
			g_string_append_c(s, ')');
		}
		add_flag(flags, DIAG_FLAG_SLOW_REPLY, it, t,
		    g_string_free(s, FALSE));
		slow++;
	}
	if (last_cmd != NULL && last_cmd->reply == NULL &&
	    (last_cmd->flags & DLG_F_REPLY_LOST) == 0 &&
	    (!capture_cut(d) || client_left(d, last_cmd->ts) != 0) &&
	    d->ts_end >= last_cmd->ts && last_cmd->cmd != SMTP_CMD_QUIT) {
		gint64 left = client_left(d, last_cmd->ts);
		int64_t w = (left != 0 ? left : d->ts_end) - last_cmd->ts;
		enum diag_stage st = diagnosis_stage_of(last_cmd);
		GString *s = g_string_new("");

		g_string_append_printf(s, "no reply to %s: %s ",
		    smtp_cmd_name(last_cmd->cmd),
		    left != 0 ? "the client closed the connection"
		    : d->end == DLG_END_RESET ? "the connection was reset"
					      : "the connection closed");
		gs_seconds(s, w);
		g_string_append(s, " after it");
		if (w < rfc_timeout(st) * G_USEC_PER_SEC)
			g_string_append_printf(s,
			    ", sooner than the %" G_GINT64_FORMAT
			    " minutes RFC 5321 §4.5.3.2 has a client wait",
			    rfc_timeout(st) / 60);
		add_flag(flags, DIAG_FLAG_NO_REPLY, last_cmd, w,
		    g_string_free(s, FALSE));
	}
	if (g->session.cause != NULL && g->session.waited >= 0 &&
	    (strcmp(g->session.cause, "no-greeting") == 0 ||
		strcmp(g->session.cause, "slow-greeting") == 0)) {
		bool came = strcmp(g->session.cause, "slow-greeting") == 0;
		GString *s = g_string_new(
		    came ? "no greeting in time: " : "no greeting: ");

		g_string_append(s, client_left(d, d->ts_start) != 0
				       ? "the client closed the connection "
				       : "the connection ended ");
		gs_seconds(s, g->session.waited);
		g_string_append(s, " after it was opened");
		if (came)
			g_string_append(s, ", before the greeting came");
		add_flag(flags,
		    came ? DIAG_FLAG_SLOW_GREETING : DIAG_FLAG_NO_GREETING,
		    NULL, g->session.waited, g_string_free(s, FALSE));
	}
	for (i = 0; i < g->n_txs; i++) {
		const struct diag_verdict *v = &g->txs[i].v;

		if (v->cause == NULL)
			continue;
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);
		uint64_t sent = tx->data != NULL ? tx->data->bytes : 0;

		bool reset = strcmp(v->cause, "connection-reset-in-data") == 0;

		if (!reset &&
		    strcmp(v->cause, "connection-closed-in-data") != 0)
			continue;
		add_flag(flags,
		    reset ? DIAG_FLAG_RESET_IN_DATA : DIAG_FLAG_CLOSED_IN_DATA,
		    v->item, -1,
		    g_strdup_printf("the connection %s in the middle of the "
				    "message, after %" G_GUINT64_FORMAT
				    " bytes of it",
			reset ? "was reset" : "closed", sent));
		in_data = true;
	}
	if (!capture_cut(d) && d->banner != NULL) {
		const struct dlg_item *c = closing_reply(d, NULL);

		if (c == NULL && refused(d->banner))
			c = d->banner; /* refused at once, then closed */

		if (c != NULL && c->reply->code == 421) {
			GString *s =
			    g_string_new("the server closed the session: ");

			g_string_append_printf(s, "%d ", c->reply->code);
			g_string_append_len(s, c->reply->text,
			    (gssize)strcspn(c->reply->text, "\n"));
			add_flag(flags, DIAG_FLAG_SERVER_CLOSED, c, -1,
			    g_string_free(s, FALSE));
		} else if (!quit && server_closed_first(d) &&
			   d->banner->reply != NULL &&
			   reply_class(d->banner) == 2 && !d->tls_started)
			add_flag(flags, DIAG_FLAG_SERVER_CLOSED, NULL, -1,
			    g_strdup("the server closed the connection first, "
				     "without 421"));
		else if (quit && last_cmd != NULL &&
			 last_cmd->cmd == SMTP_CMD_QUIT &&
			 last_cmd->reply == NULL)
			add_flag(flags, DIAG_FLAG_SERVER_CLOSED, last_cmd, -1,
			    g_strdup("no 221 to QUIT before the connection "
				     "closed"));
		else if (!quit && !in_data && !d->tls_started &&
			 d->banner->reply != NULL &&
			 reply_class(d->banner) == 2)
			add_flag(flags, DIAG_FLAG_NO_QUIT, NULL, -1,
			    g_strdup(
				d->end == DLG_END_RESET
				    ? "the connection was reset before the "
				      "client ended the session (no quit)"
				    : "the connection closed before the "
				      "client ended the session (no quit)"));
	}
	if (d->tls_offered && !d->tls_started && d->txs->len > 0)
		add_flag(flags, DIAG_FLAG_TLS_NOT_USED, NULL, -1,
		    g_strdup("the server offered STARTTLS; the client sent "
			     "its mail in clear"));
	for (i = 0; size > 0 && i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);
		uint64_t said = declared_size(tx);
		uint64_t sent = tx->data != NULL ? tx->data->bytes : 0;

		if (said <= size && sent <= size)
			continue;
		add_flag(flags, DIAG_FLAG_SIZE_EXCEEDED,
		    said > size ? tx->mail
				: (tx->data->end != NULL ? tx->data->end
							 : tx->data->item),
		    -1,
		    g_strdup_printf("the client %s %" G_GUINT64_FORMAT
				    " bytes; the server advertised SIZE "
				    "%" G_GUINT64_FORMAT,
			said > size ? "declared" : "sent",
			said > size ? said : sent, size));
		break;
	}
}

struct diagnosis *
diagnosis_new(const struct dialogue *d)
{
	struct diagnosis *g = g_new0(struct diagnosis, 1);
	g_autoptr(GArray) flags =
	    g_array_new(FALSE, FALSE, sizeof(struct diag_flag));
	guint i;

	g->n_txs = d->txs->len;
	g->txs = g_new0(struct diag_tx, MAX(g->n_txs, 1));
	for (i = 0; i < g->n_txs; i++)
		diagnose_tx(d, g_ptr_array_index(d->txs, i), &g->txs[i]);
	diagnose_session(g, d);
	timing(g, d, flags);
	g->n_flags = flags->len;
	g->flags =
	    (struct diag_flag *)g_array_free(g_steal_pointer(&flags), FALSE);
	return g;
}

void
diagnosis_free(struct diagnosis *g)
{
	unsigned i;

	if (g == NULL)
		return;
	verdict_clear(&g->session);
	for (i = 0; i < g->n_txs; i++) {
		verdict_clear(&g->txs[i].v);
		g_free(g->txs[i].rcpts);
	}
	g_free(g->txs);
	for (i = 0; i < g->n_flags; i++)
		g_free(g->flags[i].text);
	g_free(g->flags);
	g_free(g);
}

static unsigned
verdict_bits(const struct diag_verdict *v)
{
	const struct cause_info *c = cause_info(v->cause);
	unsigned b = 0;

	if (v->outcome == DIAG_OUTCOME_DEFERRED)
		b |= 1u << DIAG_FAIL_DEFERRED;
	if (v->outcome == DIAG_OUTCOME_REJECTED)
		b |= 1u << DIAG_FAIL_REJECTED;
	if (c != NULL && (c->flags & CAUSE_F_TLS) != 0)
		b |= 1u << DIAG_FAIL_TLS_FAILURE;
	if (c != NULL && (c->flags & CAUSE_F_SLOW) != 0)
		b |= 1u << DIAG_FAIL_SLOW_SERVER;
	return b;
}

unsigned
diagnosis_fail_bits(const struct diagnosis *g)
{
	unsigned b = verdict_bits(&g->session);
	unsigned i, j;

	for (i = 0; i < g->n_txs; i++) {
		b |= verdict_bits(&g->txs[i].v);
		for (j = 0; j < g->txs[i].n_rcpts; j++) {
			if (g->txs[i].rcpts[j].outcome == DIAG_OUTCOME_DEFERRED)
				b |= 1u << DIAG_FAIL_DEFERRED;
			if (g->txs[i].rcpts[j].outcome == DIAG_OUTCOME_REJECTED)
				b |= 1u << DIAG_FAIL_REJECTED;
		}
	}
	for (i = 0; i < g->n_flags; i++)
		switch (g->flags[i].kind) {
		case DIAG_FLAG_SLOW_GREETING:
		case DIAG_FLAG_SLOW_REPLY:
		case DIAG_FLAG_NO_REPLY:
		case DIAG_FLAG_NO_GREETING:
			b |= 1u << DIAG_FAIL_SLOW_SERVER;
			break;
		default:
			break;
		}
	return b;
}

struct retry_entry {
	char *key; /* owned; also the table's key */
	char session[17];
	gint64 ts;
	const char *cause;
};

struct diag_retries {
	GHashTable *by_key; /* key -> struct retry_entry * */
	GQueue order;	    /* struct retry_entry *, oldest first */
};

struct diag_retries *
diag_retries_new(void)
{
	struct diag_retries *r = g_new0(struct diag_retries, 1);

	r->by_key = g_hash_table_new(g_str_hash, g_str_equal);
	g_queue_init(&r->order);
	return r;
}

static void
retry_entry_free(gpointer p)
{
	struct retry_entry *e = p;

	g_free(e->key);
	g_free(e);
}

void
diag_retries_free(struct diag_retries *r)
{
	if (r == NULL)
		return;
	g_hash_table_destroy(r->by_key);
	g_queue_clear_full(&r->order, retry_entry_free);
	g_free(r);
}

/* "client\tsender\trecipient", lower case: greylisting's triplet. */
static char *
retry_key(const struct dialogue *d, const struct dlg_tx *tx,
    const struct dlg_rcpt *rc)
{
	g_autofree char *k = g_strdup_printf("%s\t%s\t%s", d->client.ip,
	    tx->mail_from != NULL ? tx->mail_from : "", rc->address);

	return g_ascii_strdown(k, -1);
}

static void
retry_forget(struct diag_retries *r, struct retry_entry *e)
{
	g_hash_table_remove(r->by_key, e->key);
	g_queue_remove(&r->order, e);
	retry_entry_free(e);
}

void
diag_retries_apply(struct diag_retries *r, struct dialogue *d)
{
	struct diagnosis *g = d->diagnosis;
	struct retry_entry *e;
	guint i, j;

	if (g == NULL)
		return;
	if (g_queue_is_empty(&r->order)) {
		/* Nothing waits for a retry: only a deferral is news. */
		bool deferred = false;

		for (i = 0; i < g->n_txs && !deferred; i++)
			for (j = 0; j < g->txs[i].n_rcpts; j++)
				if (g->txs[i].rcpts[j].outcome ==
				    DIAG_OUTCOME_DEFERRED)
					deferred = true;
		if (!deferred)
			return;
	}
	/* Forget what is too old to be retried now. */
	while ((e = g_queue_peek_head(&r->order)) != NULL &&
	       e->ts + DIAG_RETRIES_AGE < d->ts_start)
		retry_forget(r, e);
	for (i = 0; i < d->txs->len && i < g->n_txs; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);
		struct diag_tx *t = &g->txs[i];

		for (j = 0; j < tx->rcpts->len && j < t->n_rcpts; j++) {
			const struct dlg_rcpt *rc =
			    g_ptr_array_index(tx->rcpts, j);
			g_autofree char *k = retry_key(d, tx, rc);

			e = g_hash_table_lookup(r->by_key, k);
			if (e != NULL && t->retry_of.session[0] == '\0' &&
			    strcmp(e->session, d->id) != 0) {
				g_strlcpy(t->retry_of.session, e->session,
				    sizeof t->retry_of.session);
				t->retry_of.after = d->ts_start >= e->ts
							? d->ts_start - e->ts
							: 0;
				t->retry_of.cause = e->cause;
			}
			if (e != NULL &&
			    t->rcpts[j].outcome != DIAG_OUTCOME_DEFERRED) {
				/* Passed (or failed for good): no longer
				 * waiting for a retry. */
				retry_forget(r, e);
				continue;
			}
			if (t->rcpts[j].outcome != DIAG_OUTCOME_DEFERRED ||
			    e != NULL)
				continue;
			if (g_queue_get_length(&r->order) >= DIAG_RETRIES_MAX)
				retry_forget(r, g_queue_peek_head(&r->order));
			e = g_new0(struct retry_entry, 1);
			e->key = g_steal_pointer(&k);
			g_strlcpy(e->session, d->id, sizeof e->session);
			e->ts = d->ts_start;
			e->cause = t->rcpts[j].cause;
			g_hash_table_insert(r->by_key, e->key, e);
			g_queue_push_tail(&r->order, e);
		}
	}
}
