/* SPDX-License-Identifier: GPL-2.0-or-later */
/* output_zeek.c: Zeek's smtp.log (TSV, as zeek-cut reads it): one line
 * per mail transaction, with Zeek's fields and semantics, and its
 * files.log: one line per MIME leaf (docs/output-format.md, "Zeek
 * logs"). */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "dialogue.h"
#include "gstr.h"
#include "message.h"
#include "mime.h"
#include "output.h"

static const char zeek_fields[] =
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t"
    "trans_depth\thelo\tmailfrom\trcptto\tdate\tfrom\tto\tcc\treply_to\t"
    "msg_id\tin_reply_to\tsubject\tx_originating_ip\tfirst_received\t"
    "second_received\tlast_reply\tpath\tuser_agent\ttls\tfuids\n";
static const char zeek_files_fields[] =
    "#fields\tts\tfuid\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t"
    "source\tdepth\tanalyzers\tmime_type\tfilename\tduration\t"
    "local_orig\tis_orig\tseen_bytes\ttotal_bytes\tmissing_bytes\t"
    "overflow_bytes\ttimedout\tparent_fuid\tmd5\tsha1\tsha256\t"
    "extracted\n";
static const char zeek_files_types[] =
    "#types\ttime\tstring\tstring\taddr\tport\taddr\tport\tstring\t"
    "count\tset[string]\tstring\tstring\tinterval\tbool\tbool\tcount\t"
    "count\tcount\tcount\tbool\tstring\tstring\tstring\tstring\t"
    "string\n";
static const char zeek_types[] =
    "#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\t"
    "set[string]\tstring\tstring\tset[string]\tset[string]\tstring\t"
    "string\tstring\tstring\taddr\tstring\tstring\tstring\tvector[addr]\t"
    "string\tbool\tvector[string]\n";

/* The standard output's smtp.log (--format zeek). */
static struct zeek_log zeek_stdout = { "smtp", false, 0, 0 };

/* Zeek's log time stamp ("2026-12-02-05-00-00", UTC) of a capture time
 * (the epoch's start when no session was seen: output never depends on
 * the clock). */
static void
zeek_stamp(GString *out, gint64 usec)
{
	GDateTime *t =
	    g_date_time_new_from_unix_utc(usec > 0 ? usec / G_USEC_PER_SEC : 0);
	char *s = t != NULL ? g_date_time_format(t, "%Y-%m-%d-%H-%M-%S")
			    : g_strdup("-");

	gs_puts(out, s);
	g_free(s);
	if (t != NULL)
		g_date_time_unref(t);
}

static void
zeek_header(struct zeek_log *z, GString *out)
{
	bool files = strcmp(z->path, "files") == 0;

	if (z->header_done)
		return;
	z->header_done = true;
	gs_puts(out, "#separator \\x09\n#set_separator\t,\n"
		     "#empty_field\t(empty)\n#unset_field\t-\n#path\t");
	gs_puts(out, z->path);
	gs_puts(out, "\n#open\t");
	zeek_stamp(out, z->open_ts);
	gs_putc(out, '\n');
	gs_puts(out, files ? zeek_files_fields : zeek_fields);
	gs_puts(out, files ? zeek_files_types : zeek_types);
}

/* One value as Zeek's ASCII writer escapes it: non-printable bytes, '\\',
 * the separator and (in a set) the set separator as \xNN; "" is
 * "(empty)", a value equal to "-" or "(empty)" is escaped. */
static void
zeek_put(GString *out, const char *p, size_t n, bool in_set)
{
	size_t i;

	if (n == 0) {
		gs_puts(out, "(empty)");
		return;
	}
	if ((n == 1 && p[0] == '-') ||
	    (n == 7 && memcmp(p, "(empty)", 7) == 0)) {
		g_string_append_printf(out, "\\x%02x", (unsigned char)p[0]);
		p++, n--;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c >= 0x7f || c == '\\' || (in_set && c == ','))
			g_string_append_printf(out, "\\x%02x", c);
		else
			gs_putc(out, (char)c);
	}
}

static void
zeek_str(GString *out, const char *s)
{
	gs_putc(out, '\t');
	if (s == NULL)
		gs_putc(out, '-');
	else
		zeek_put(out, s, strlen(s), false);
}

/* A set or vector of strings: "-" when unset (NULL), "(empty)" when
 * empty. */
static void
zeek_set(GString *out, GPtrArray *v)
{
	guint i;

	gs_putc(out, '\t');
	if (v == NULL) {
		gs_putc(out, '-');
		return;
	}
	if (v->len == 0) {
		gs_puts(out, "(empty)");
		return;
	}
	for (i = 0; i < v->len; i++) {
		const char *s = g_ptr_array_index(v, i);

		if (i > 0)
			gs_putc(out, ',');
		zeek_put(out, s, strlen(s), true);
	}
}

/* Add s to a set kept in insertion order, once. */
static void
set_add(GPtrArray *v, const char *s, size_t n)
{
	guint i;

	for (i = 0; i < v->len; i++) {
		const char *e = g_ptr_array_index(v, i);

		if (strlen(e) == n && memcmp(e, s, n) == 0)
			return;
	}
	g_ptr_array_add(v, g_strndup(s, n));
}

/* Zeek's split_mime_email_addresses(): the value cut at commas outside
 * quotes, angle brackets and comments, each part trimmed. */
static void
split_addresses(GPtrArray *v, const char *s)
{
	const char *p = s, *start = s;
	bool quoted = false;
	int angle = 0, paren = 0;

	for (;; p++) {
		if (*p == '\0' ||
		    (*p == ',' && !quoted && angle == 0 && paren == 0)) {
			const char *a = start, *b = p;

			while (a < b && g_ascii_isspace(*a))
				a++;
			while (b > a && g_ascii_isspace(b[-1]))
				b--;
			if (b > a)
				set_add(v, a, (size_t)(b - a));
			if (*p == '\0')
				break;
			start = p + 1;
		} else if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '<')
			angle++;
		else if (!quoted && *p == '>' && angle > 0)
			angle--;
		else if (!quoted && *p == '(')
			paren++;
		else if (!quoted && *p == ')' && paren > 0)
			paren--;
	}
}

/* The IPv4 addresses in s (dotted quads not part of a longer token), in
 * order, as new strings. */
static GPtrArray *
ipv4_in(const char *s)
{
	GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
	const char *p = s;

	while (*p != '\0') {
		const char *q = p;
		unsigned parts = 0, val = 0, digits = 0;
		bool ok = true;

		if (!g_ascii_isdigit(*p) ||
		    (p > s && (g_ascii_isdigit(p[-1]) || p[-1] == '.'))) {
			p++;
			continue;
		}
		for (;;) {
			if (g_ascii_isdigit(*q)) {
				val = val * 10 + (unsigned)(*q - '0');
				if (++digits > 3 || val > 255)
					ok = false;
				q++;
			} else if (*q == '.' && digits > 0 && parts < 3 &&
				   g_ascii_isdigit(q[1])) {
				parts++, val = 0, digits = 0;
				q++;
			} else
				break;
		}
		if (ok && parts == 3 && digits > 0 && *q != '.' &&
		    !g_ascii_isdigit(*q))
			g_ptr_array_add(v, g_strndup(p, (size_t)(q - p)));
		p = q;
	}
	return v;
}

/* The HELO/EHLO/LHLO argument in force when the transaction began. */
static char *
helo_before(const struct dialogue *d, const struct dlg_tx *tx)
{
	const struct dlg_item *last = NULL;
	guint i;

	for (i = 0; i < d->items->len; i++) {
		const struct dlg_item *it = g_ptr_array_index(d->items, i);

		if (tx != NULL && it->tx == tx)
			break;
		if (it->kind == DLG_ITEM_COMMAND &&
		    (it->cmd == SMTP_CMD_HELO || it->cmd == SMTP_CMD_EHLO ||
			it->cmd == SMTP_CMD_LHLO))
			last = it;
	}
	if (last == NULL && d->helo != NULL)
		last = d->helo;
	if (last != NULL && last->line != NULL) {
		/* Zeek: all after the verb and its space. */
		const char *sp = memchr(last->line, ' ', last->line_len);

		if (sp == NULL)
			return g_strdup("");
		return g_strndup(
		    sp + 1, last->line_len - (size_t)(sp + 1 - last->line));
	}
	return NULL;
}

/* The last reply of the transaction's record, "CODE text" (the reply's
 * last line, as Zeek keeps it): Zeek's record takes every reply until
 * the reply to the end of data, or, without one, until the next MAIL or
 * the connection's end (a 521 that closed it, a 221 to QUIT).  next is
 * the next record's transaction, or NULL.  For the STARTTLS record
 * (tx NULL): the reply to STARTTLS. */
static char *
last_reply(const struct dialogue *d, const struct dlg_tx *tx,
    const struct dlg_tx *next)
{
	const struct dlg_item *last = NULL, *end = NULL;
	const char *t, *nl;
	bool in = false;
	guint i;

	if (tx != NULL && tx->data != NULL && tx->data->end != NULL &&
	    tx->data->end->reply != NULL)
		end = tx->data->end;
	for (i = 0; end == NULL && i < d->items->len; i++) {
		const struct dlg_item *it = g_ptr_array_index(d->items, i);

		if (tx == NULL) {
			if (it->kind == DLG_ITEM_COMMAND &&
			    it->cmd == SMTP_CMD_STARTTLS && it->reply != NULL)
				last = it;
			continue;
		}
		if (it->tx == tx)
			in = true;
		else if (next != NULL && it->tx == next)
			break;
		if (in && it->reply != NULL)
			last = it;
	}
	if (end != NULL)
		last = end;
	if (last == NULL)
		return NULL;
	t = last->reply->text;
	nl = strrchr(t, '\n');
	if (nl != NULL)
		t = nl + 1;
	return g_strdup_printf("%d %s", last->reply->code, t);
}

struct zeek_rec {
	gint64 ts;
	unsigned depth;
	const struct dlg_tx *tx;   /* NULL: the STARTTLS record */
	const struct dlg_tx *next; /* the next record's, or NULL */
	bool tls;
};

/* The files of a message: its MIME leaves with content, as Zeek makes a
 * file of every entity that hands bytes on. */
static bool
zeek_file(const struct mime_part *p)
{
	return (p->flags & MIME_PART_LEAF) != 0 && p->size > 0;
}

/* A file's id: "F" and 17 hex digits of a hash of the session, the
 * transaction and the part (Zeek's are random). */
static void
zeek_fuid(GString *out, const struct dialogue *d, guint t, unsigned index)
{
	char key[64];
	char *h;

	g_snprintf(key, sizeof key, "%s/%u/%u", d->id, t, index);
	h = g_compute_checksum_for_string(G_CHECKSUM_SHA1, key, -1);
	gs_putc(out, 'F');
	gs_put(out, h, 17);
	g_free(h);
}

static guint
tx_number(const struct dialogue *d, const struct dlg_tx *tx)
{
	guint i;

	for (i = 0; i < d->txs->len; i++)
		if (g_ptr_array_index(d->txs, i) == tx)
			return i + 1;
	return 0;
}

/* smtp.log's fuids: the files of the transaction's message. */
static void
zeek_fuids(GString *out, const struct dialogue *d, const struct dlg_tx *tx)
{
	const struct mime_info *m =
	    tx != NULL && tx->data != NULL ? tx->data->mime : NULL;
	guint i, n = 0;

	gs_putc(out, '\t');
	for (i = 0; m != NULL && i < m->parts->len; i++) {
		const struct mime_part *p = g_ptr_array_index(m->parts, i);

		if (!zeek_file(p))
			continue;
		if (n++ > 0)
			gs_putc(out, ',');
		zeek_fuid(out, d, tx_number(d, tx), p->index);
	}
	if (n == 0)
		gs_puts(out, "(empty)"); /* Zeek's empty vector */
}

/* Is the address one of a private network (RFC 1918, RFC 4193), a
 * loopback or a link-local one: Zeek's local_orig for a site whose
 * Site::local_nets are the private ranges. */
static bool
zeek_local(const char *ip)
{
	if (strchr(ip, ':') != NULL)
		return g_str_has_prefix(ip, "::1") ||
		       g_ascii_strncasecmp(ip, "fc", 2) == 0 ||
		       g_ascii_strncasecmp(ip, "fd", 2) == 0 ||
		       g_ascii_strncasecmp(ip, "fe80:", 5) == 0;
	if (g_str_has_prefix(ip, "10.") || g_str_has_prefix(ip, "127.") ||
	    g_str_has_prefix(ip, "192.168.") ||
	    g_str_has_prefix(ip, "169.254."))
		return true;
	if (g_str_has_prefix(ip, "172.")) {
		int b = atoi(ip + 4);

		return b >= 16 && b <= 31;
	}
	return false;
}

char *
output_zeek_files(struct zeek_log *z, const struct dialogue *d)
{
	GString *out = g_string_new(NULL);
	guint i, j;

	if (z->open_ts == 0)
		z->open_ts = d->ts_start;
	if (d->ts_end > z->close_ts)
		z->close_ts = d->ts_end;
	zeek_header(z, out);
	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);
		const struct mime_info *m =
		    tx->data != NULL ? tx->data->mime : NULL;

		for (j = 0; m != NULL && j < m->parts->len; j++) {
			const struct mime_part *p =
			    g_ptr_array_index(m->parts, j);

			if (!zeek_file(p))
				continue;
			gs_fixed(out, p->ts_first, 6);
			gs_putc(out, '\t');
			zeek_fuid(out, d, i + 1, p->index);
			gs_puts(out, "\tC");
			gs_puts(out, d->id);
			zeek_str(out, d->client.ip);
			g_string_append_printf(out, "\t%u", d->client.port);
			zeek_str(out, d->server.ip);
			g_string_append_printf(out, "\t%u\tSMTP\t%u\t(empty)",
			    d->server.port, p->index);
			zeek_str(out, p->type);
			zeek_str(out, p->filename);
			gs_putc(out, '\t');
			gs_fixed(out, p->ts_last - p->ts_first, 6);
			gs_puts(out, zeek_local(d->client.ip) ? "\tT" : "\tF");
			g_string_append_printf(out,
			    "\tT\t%" G_GUINT64_FORMAT "\t-\t%" G_GUINT64_FORMAT
			    "\t0\tF\t-",
			    p->size,
			    (p->flags & MIME_PART_GAP) ? tx->data->bytes_lost
						       : 0);
			zeek_str(out, p->md5[0] != '\0' ? p->md5 : NULL);
			zeek_str(out, p->sha1[0] != '\0' ? p->sha1 : NULL);
			zeek_str(out, p->sha256[0] != '\0' ? p->sha256 : NULL);
			zeek_str(
			    out, p->extract_status != NULL ? p->extract : NULL);
			gs_putc(out, '\n');
		}
	}
	return g_string_free(out, FALSE);
}

static void
zeek_line(GString *out, const struct dialogue *d, const struct zeek_rec *r)
{
	const struct dlg_tx *tx = r->tx;
	const GPtrArray *h =
	    tx != NULL && tx->data != NULL ? tx->data->headers : NULL;
	const char *date = NULL, *from = NULL, *reply_to = NULL,
		   *in_reply_to = NULL, *subject = NULL, *xoip = NULL,
		   *ua = NULL, *rcv1 = NULL, *rcv2 = NULL;
	GPtrArray *rcptto = NULL, *to = NULL, *cc = NULL;
	GPtrArray *path = g_ptr_array_new_with_free_func(g_free);
	char *xoip_addr = NULL, *helo, *reply;
	guint i;

	g_ptr_array_add(path, g_strdup(d->server.ip));
	g_ptr_array_add(path, g_strdup(d->client.ip));
	for (i = 0; h != NULL && i < h->len; i++) {
		const char *f = g_ptr_array_index(h, i), *v;

		if ((v = message_field_value(f, "Date")) != NULL)
			date = v;
		else if ((v = message_field_value(f, "From")) != NULL)
			from = v;
		else if ((v = message_field_value(f, "Reply-To")) != NULL)
			reply_to = v;
		else if ((v = message_field_value(f, "In-Reply-To")) != NULL)
			in_reply_to = v;
		else if ((v = message_field_value(f, "Subject")) != NULL)
			subject = v;
		else if ((v = message_field_value(f, "X-Mailer")) != NULL ||
			 (v = message_field_value(f, "User-Agent")) != NULL)
			ua = v;
		else if ((v = message_field_value(f, "X-Originating-IP")) !=
			 NULL)
			xoip = v;
		else if ((v = message_field_value(f, "To")) != NULL) {
			if (to == NULL)
				to = g_ptr_array_new_with_free_func(g_free);
			split_addresses(to, v);
		} else if ((v = message_field_value(f, "Cc")) != NULL) {
			if (cc == NULL)
				cc = g_ptr_array_new_with_free_func(g_free);
			split_addresses(cc, v);
		} else if ((v = message_field_value(f, "Received")) != NULL) {
			GPtrArray *ips = ipv4_in(v);

			rcv2 = rcv1;
			rcv1 = v;
			if (ips->len > 0) {
				const char *ip = g_ptr_array_index(
				    ips, ips->len > 1 ? 1 : 0);
				const char *end =
				    g_ptr_array_index(path, path->len - 1);

				if (strcmp(ip, end) != 0)
					g_ptr_array_add(path, g_strdup(ip));
			}
			g_ptr_array_unref(ips);
		}
	}
	if (xoip != NULL) {
		GPtrArray *ips = ipv4_in(xoip);

		if (ips->len > 0)
			xoip_addr = g_strdup(g_ptr_array_index(ips, 0));
		g_ptr_array_unref(ips);
	}
	if (tx != NULL && tx->rcpts->len > 0) {
		rcptto = g_ptr_array_new_with_free_func(g_free);
		for (i = 0; i < tx->rcpts->len; i++) {
			const struct dlg_rcpt *rc =
			    g_ptr_array_index(tx->rcpts, i);

			if (rc->address[0] != '\0')
				set_add(
				    rcptto, rc->address, strlen(rc->address));
		}
	}

	gs_fixed(out, r->ts, 6);
	gs_puts(out, "\tC");
	gs_puts(out, d->id);
	zeek_str(out, d->client.ip);
	g_string_append_printf(out, "\t%u", d->client.port);
	zeek_str(out, d->server.ip);
	g_string_append_printf(out, "\t%u\t%u", d->server.port, r->depth);
	helo = helo_before(d, tx);
	zeek_str(out, helo);
	g_free(helo);
	zeek_str(
	    out, tx != NULL && tx->mail_from != NULL && tx->mail_from[0] != '\0'
		     ? tx->mail_from
		     : NULL);
	zeek_set(out, rcptto);
	zeek_str(out, date);
	zeek_str(out, from);
	zeek_set(out, to);
	zeek_set(out, cc);
	zeek_str(out, reply_to);
	zeek_str(
	    out, tx != NULL && tx->data != NULL ? tx->data->message_id : NULL);
	zeek_str(out, in_reply_to);
	zeek_str(out, subject);
	zeek_str(out, xoip_addr);
	zeek_str(out, rcv1);
	zeek_str(out, rcv2);
	reply = last_reply(d, tx, r->next);
	zeek_str(out, reply);
	g_free(reply);
	zeek_set(out, path);
	zeek_str(out, ua);
	gs_puts(out, r->tls ? "\tT" : "\tF");
	zeek_fuids(out, d, r->tx);
	gs_putc(out, '\n');

	g_free(xoip_addr);
	if (rcptto != NULL)
		g_ptr_array_unref(rcptto);
	if (to != NULL)
		g_ptr_array_unref(to);
	if (cc != NULL)
		g_ptr_array_unref(cc);
	g_ptr_array_unref(path);
}

/* Zeek logs a record once the client sent MAIL or RCPT in it. */
static bool
zeek_logged(const struct dlg_tx *tx)
{
	return tx->mail != NULL || tx->rcpts->len > 0;
}

char *
output_zeek_session(const struct dialogue *d)
{
	return output_zeek_log(&zeek_stdout, d);
}

char *
output_zeek_log(struct zeek_log *z, const struct dialogue *d)
{
	GString *out = g_string_new(NULL);
	struct zeek_rec r = { 0 };
	bool flushed = false; /* the last record ended without its end of
			       * data being answered */
	gint64 ts;
	guint i;

	if (z->open_ts == 0)
		z->open_ts = d->ts_start;
	if (d->ts_end > z->close_ts)
		z->close_ts = d->ts_end;
	zeek_header(z, out);
	/* Zeek opens its record at the connection's first SMTP event, and a
	 * new one at the reply to each end of data. */
	ts = d->banner != NULL ? d->banner->reply_ts : 0;
	if (ts == 0 && d->items->len > 0) {
		const struct dlg_item *it = g_ptr_array_index(d->items, 0);

		ts = it->ts;
	}
	if (ts == 0)
		ts = d->ts_start;
	r.ts = ts;
	r.depth = 1;
	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);
		const struct dlg_item *end =
		    tx->data != NULL ? tx->data->end : NULL;
		guint j;

		if (!zeek_logged(tx))
			continue;
		/* A MAIL while a record is open flushes it: the new one
		 * starts at that MAIL. */
		if (flushed && tx->mail != NULL)
			r.ts = tx->mail->ts;
		r.tx = tx;
		r.next = NULL;
		for (j = i + 1; j < d->txs->len && r.next == NULL; j++)
			if (zeek_logged(g_ptr_array_index(d->txs, j)))
				r.next = g_ptr_array_index(d->txs, j);
		zeek_line(out, d, &r);
		flushed = true;
		if (end != NULL && end->reply != NULL) {
			r.depth++;
			r.ts = end->reply_ts;
			flushed = false;
		}
	}
	if (d->tls_started) {
		r.tx = NULL;
		r.next = NULL;
		r.tls = true;
		zeek_line(out, d, &r);
	}
	return g_string_free(out, FALSE);
}

char *
output_zeek_summary(void)
{
	return output_zeek_close(&zeek_stdout);
}

char *
output_zeek_close(struct zeek_log *z)
{
	GString *out = g_string_new(NULL);

	zeek_header(z, out);
	gs_puts(out, "#close\t");
	zeek_stamp(out, z->close_ts > 0 ? z->close_ts : z->open_ts);
	gs_putc(out, '\n');
	return g_string_free(out, FALSE);
}
