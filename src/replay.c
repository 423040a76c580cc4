/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay.c: confirm a captured relay verdict against the live server.
 *
 * The session is found in the capture by its id, judged as the analysis
 * judges it, and its client side re-sent: the greeting, MAIL FROM, every
 * RCPT TO, then RSET and QUIT.  DATA only with --send-data (a marked test
 * message, or the captured body with --original-body); AUTH only with a
 * user name and a password from a file or the environment.  The live
 * exchange becomes a dialogue of its own, judged by the same relay code,
 * so "captured" and "live" verdicts mean exactly the same thing.
 * Sockets and TLS are GIO's (GSocketClient, GTlsClientConnection).
 *
 * A capture is data from anywhere, so replay cannot be turned into a
 * weapon by one: a target that came from the capture must be a unicast
 * address that is not this machine's, on an SMTP port; no address can be
 * unspecified, broadcast, multicast or reserved; the whole exchange has a
 * deadline and every reply a size; at most --max-rcpts recipients are
 * sent; a password goes only over TLS, to a verified certificate unless
 * --tls-no-verify, from a file no one else may read (docs/replay.md,
 * "Safety").  RFC 5321 §3.3, §4.1.1, §4.2, §4.5.3.1; RFC 3207
 * (STARTTLS); RFC 4954 (AUTH); RFC 8314 (port 465), RFC 6409 (587). */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netinet/in.h>

#include <gio/gio.h>

#include "capture.h"
#include "log.h"
#include "onward.h"
#include "options.h"
#include "output.h"
#include "output_json.h"
#include "address.h"
#include "relay.h"
#include "replay.h"
#include "smtp_cmd.h"
#include "stream.h"

/* The relay-trick probes (nmap smtp-open-relay's forms): L@E is the
 * outside address, D the server's domain, S its address.  Each runs in a
 * transaction of its own, never with DATA. */
struct probe {
	const char *name;
	const char *from; /* NULL: the replay's sender */
	const char *to;
};

static const struct probe probes[] = {
	{ "plain", NULL, "<L@E>" },
	{ "null-sender", "<>", "<L@E>" },
	{ "local-sender", "<postmaster@D>", "<L@E>" },
	{ "literal-sender", "<postmaster@[S]>", "<L@E>" },
	{ "percent-hack", NULL, "<L%E@D>" },
	{ "percent-hack-literal", NULL, "<L%E@[S]>" },
	{ "quoted-at", NULL, "<\"L@E\">" },
	{ "quoted-percent", NULL, "<\"L%E\">" },
	{ "quoted-at-domain", NULL, "<\"L@E\"@D>" },
	{ "double-at", NULL, "<L@E@D>" },
	{ "source-route", NULL, "<@D:L@E>" },
	{ "source-route-literal", NULL, "<@[S]:L@E>" },
	{ "bang-path", NULL, "<E!L>" },
	{ "bang-path-domain", NULL, "<E!L@D>" },
	{ "bang-path-literal", NULL, "<E!L@[S]>" },
};

/* The limits of the live exchange (docs/replay.md, "Limits"); each has
 * an option, within these bounds. */
#define REPLAY_DEFAULT_DEADLINE 120 /* s, the whole exchange */
#define REPLAY_MAX_DEADLINE 86400
/* A reply of more lines or bytes (line ends included) ends the replay:
 * EHLO replies have a dozen lines of a few dozen bytes, and RFC 5321
 * §4.5.3.1.5 keeps a reply line within 512 bytes. */
#define REPLAY_DEFAULT_MAX_REPLY_LINES 200
#define REPLAY_MAX_REPLY_LINES 100000
#define REPLAY_DEFAULT_MAX_REPLY_BYTES 65536
#define REPLAY_MIN_REPLY_BYTES 512
#define REPLAY_MAX_REPLY_BYTES (16 * 1024 * 1024)
/* Recipients sent: RFC 5321 §4.5.3.1.8 has servers take at least 100
 * per message, so 100 is what any server is asked without refusing. */
#define REPLAY_DEFAULT_MAX_RCPTS 100
#define REPLAY_MAX_RCPTS 10000
/* A password longer than this is refused (a file of anything else is
 * not a password). */
#define REPLAY_PASSWORD_MAX 4096

struct ropts {
	char **files;
	char *session;
	char *target;
	char *source;
	char *ehlo;
	char *mail_from;
	char **rcpts;
	gboolean send_data, original_body, starttls, tls_verify, probe;
	gboolean tls_no_verify;
	char *tls_ca; /* PEM file of the certificates to trust, or NULL */
	char *auth_user, *auth_pw_file, *auth_pw_env;
	int connect_timeout, reply_timeout;
	int deadline;			      /* s, the whole exchange */
	int max_reply_lines, max_reply_bytes; /* per reply */
	int max_rcpts;
	enum output_format format;
	char *local_domains, *trusted_nets, *config;
	uint8_t ports[65536];
};

/* The deadline of the whole exchange (--deadline).  --timeout bounds one
 * read, which a server trickling a byte a second never trips; so a
 * thread cancels r->cancel when the deadline passes, and every blocking
 * call (resolver, connect, TLS handshake, read, write) takes it. */
struct deadline {
	GMutex lock;
	GCond cond;
	bool stop;	      /* under lock: the exchange is over */
	gint64 end;	      /* g_get_monotonic_time() */
	GCancellable *cancel; /* borrowed: the replay's */
	GThread *thread;
};

/* One command of the replay, with the captured and the live reply. */
struct step {
	char *line; /* as sent; AUTH data masked */
	enum smtp_cmd_id cmd;
	struct smtp_reply *captured; /* owned copy, or NULL */
	struct smtp_reply *live;     /* owned, or NULL */
	const struct probe *probe;   /* part of a probe, or NULL */
	char *rcpt;		     /* RCPT: the address; owned */
	gint64 ts;
};

struct replay {
	struct ropts o;
	/* The captured side. */
	struct dialogue *cap;
	struct dns_store *dns;
	struct dns_view view;
	struct relay_config *policy;
	struct relay_env env;  /* what the captured session is judged on */
	struct onward *onward; /* the capture's onward deliveries */
	/* The plan. */
	const char *verb; /* "EHLO" or "HELO" */
	char *helo_name;
	char *mail_from;
	GPtrArray *rcpts; /* char * */
	char *outside;	  /* L@E of the probes */
	char *target; /* what to connect to: --target, or the captured server */
	guint64 rcpts_captured; /* distinct recipients the capture had */
	guint64 rcpts_left_out; /* of those, not sent (--max-rcpts) */
	char *password;		/* read before anything is sent; wiped */
	GTlsDatabase *ca;	/* --tls-ca, or NULL: the system's */
	bool tls_check;		/* the certificate must verify */
	/* The live side. */
	GList *addrs; /* GInetAddress *: where the target is, checked */
	guint16 port; /* the target's port */
	GCancellable *cancel;
	struct deadline dl;
	char *ended; /* why a limit ended the replay (exit 4), or NULL */
	struct rs_endpoint peer; /* the address connected to */
	char *target_text;	 /* the peer as "ip:port" / "[ip]:port" */
	char *local_ip;		 /* this machine's address in the dialogue */
	GSocketConnection *conn;
	GIOStream *io;
	GTlsCertificateFlags tls_errors;
	bool tls_started, data_sent, body_original;
	GByteArray *rx; /* received, not yet framed */
	struct smtp_reply_asm ra;
	struct smtp_reply *banner;
	GPtrArray *steps; /* struct step * */
	char *failure;	  /* why the dialogue could not go on, or NULL */
	struct dialogue *live;
	const char *source_trust; /* why the server may trust this machine's
				   * address, or NULL */
	/* Results. */
	GPtrArray *probe_results; /* struct probe_result *, one per probe */
	unsigned reconnects;	  /* after the server hung up on a probe */
};

/* What became of one relay-trick probe. */
#define PROBE_OUTCOME_LIST(X)                                                  \
	X(ACCEPTED, "accepted")                                                \
	X(REFUSED_MAIL, "refused-at-mail")                                     \
	X(REFUSED_RCPT, "refused-at-rcpt")                                     \
	X(DROPPED, "connection-dropped")                                       \
	X(NOT_SENT, "not-sent")

enum probe_outcome {
#define PROBE_OUTCOME_ENUM(id, name) PROBE_##id,
	PROBE_OUTCOME_LIST(PROBE_OUTCOME_ENUM)
#undef PROBE_OUTCOME_ENUM
};

static const char *const probe_outcome_names[] = {
#define PROBE_OUTCOME_NAME(id, name) [PROBE_##id] = name,
	PROBE_OUTCOME_LIST(PROBE_OUTCOME_NAME)
#undef PROBE_OUTCOME_NAME
};

struct probe_result {
	const struct probe *p;
	char *from, *to;	 /* as sent (or as they would have been) */
	struct smtp_reply *mail; /* copies of the live replies, or NULL */
	struct smtp_reply *rcpt;
	enum probe_outcome outcome;
	char *why; /* dropped or not sent: why; owned, or NULL */
};

/* After the server hangs up on a probe, connect again at most this many
 * times in a row without success (each probe has one try at most). */
#define PROBE_MAX_FAILED_RECONNECTS 3

/* ---- finding the session in the capture ---- */

struct finder {
	const char *id;
	struct dialogue *found;
	unsigned matches;
	uint64_t sessions;
	struct onward *onward;
};

static void
find_start(const struct dialogue *d, void *arg)
{
	struct finder *f = arg;

	onward_started(f->onward, d);
}

static void
find_emit(struct dialogue *d, void *arg)
{
	struct finder *f = arg;

	f->sessions++;
	onward_ended(f->onward, d);
	if (g_str_has_prefix(d->id, f->id)) {
		f->matches++;
		if (f->found == NULL) {
			f->found = d;
			return;
		}
	}
	dialogue_free(d);
}

static bool
find_session(struct replay *r, GError **error)
{
	struct run_stats stats;
	struct stream_opts so;
	struct capture_opts co;
	struct finder f = { .id = r->o.session, .onward = r->onward };
	bool ok;

	run_stats_init(&stats);
	memset(&so, 0, sizeof so);
	so.start = find_start;
	so.ports = r->o.ports;
	so.detect = true; /* as the analysis that named the session */
	so.max_streams = RS_DEFAULT_MAX_STREAMS;
	so.dns = r->dns;
	if (r->o.original_body)
		so.keep_body_id = r->o.session;
	if (!stream_init(&so, &stats, find_emit, &f, error)) {
		run_stats_clear(&stats);
		return false;
	}
	memset(&co, 0, sizeof co);
	co.files = r->o.files;
	ok = capture_run(&co, &stats, error);
	stream_finish();
	run_stats_clear(&stats);
	if (f.matches > 1) {
		g_clear_error(error);
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--session %s: %u sessions have ids starting so; give more "
		    "digits",
		    r->o.session, f.matches);
		dialogue_free(f.found);
		return false;
	}
	if (f.found == NULL) {
		if (ok)
			g_set_error(error, G_OPTION_ERROR,
			    G_OPTION_ERROR_BAD_VALUE,
			    "%s: no session with id %s (%" G_GUINT64_FORMAT
			    " sessions read)",
			    r->o.files[0], r->o.session, f.sessions);
		return false;
	}
	if (!ok) {
		/* The session was read before the input broke: usable. */
		log_warnx("%s", (*error)->message);
		g_clear_error(error);
	}
	r->cap = f.found;
	return true;
}

/* ---- the plan ---- */

static char *
helo_argument(const struct dlg_item *it)
{
	const char *a;
	size_t n;

	return dlg_item_argument(it, &a, &n) && n > 0 ? g_strndup(a, n) : NULL;
}

/* Is s safe to put in a command line (no CR, LF, NUL, controls)? */
static bool
line_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool
plan(struct replay *r, GError **error)
{
	const struct dialogue *d = r->cap;
	guint i, j;

	if (r->o.target != NULL)
		r->target = g_strdup(r->o.target);
	else {
		g_autoptr(GString) t = g_string_new(NULL);

		output_endpoint(t, &d->server);
		r->target = g_strdup(t->str);
	}
	r->verb =
	    d->helo != NULL && d->helo->cmd == SMTP_CMD_HELO ? "HELO" : "EHLO";
	r->helo_name =
	    r->o.ehlo != NULL ? g_strdup(r->o.ehlo) : helo_argument(d->helo);
	if (r->helo_name == NULL)
		r->helo_name = g_strdup(g_get_host_name());
	if (r->o.mail_from != NULL)
		r->mail_from = g_strdup(r->o.mail_from);
	for (i = 0; r->mail_from == NULL && i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		if (tx->mail_from != NULL)
			r->mail_from = g_strdup(tx->mail_from);
	}
	if (r->mail_from == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "session %s has no MAIL FROM%s: give --mail-from", d->id,
		    d->tls_started ? " in clear (it is encrypted after "
				     "STARTTLS)"
				   : "");
		return false;
	}
	r->rcpts = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; r->o.rcpts != NULL && r->o.rcpts[i] != NULL; i++)
		g_ptr_array_add(r->rcpts, g_strdup(r->o.rcpts[i]));
	if (r->rcpts->len > (guint)r->o.max_rcpts) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--rcpt given %u times, more than --max-rcpts %d",
		    r->rcpts->len, r->o.max_rcpts);
		return false;
	}
	if (r->o.rcpts == NULL) {
		/* Each address once (case aside), the first --max-rcpts of
		 * them; the rest are counted, to say how many were left out.
		 * The record of a session keeps a bounded number of commands
		 * (DLG_MAX_ITEMS, DLG_MAX_BYTES): RCPTs it did not keep are
		 * left out too. */
		g_autoptr(GHashTable) seen = g_hash_table_new_full(
		    g_str_hash, g_str_equal, g_free, NULL);
		guint64 kept = 0;

		for (i = 0; i < d->txs->len; i++) {
			const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

			for (j = 0; j < tx->rcpts->len; j++) {
				const struct dlg_rcpt *rc =
				    g_ptr_array_index(tx->rcpts, j);

				kept++;
				if (g_hash_table_add(seen,
					g_ascii_strdown(rc->address, -1)) &&
				    r->rcpts->len < (guint)r->o.max_rcpts)
					g_ptr_array_add(
					    r->rcpts, g_strdup(rc->address));
				/* The probes aim at the first address the
				 * server does not serve. */
				if (r->outside == NULL && rc->local == 0 &&
				    strchr(rc->address, '@') != NULL)
					r->outside = g_strdup(rc->address);
			}
		}
		r->rcpts_captured =
		    g_hash_table_size(seen) +
		    (d->rcpt_total > kept ? d->rcpt_total - kept : 0);
		r->rcpts_left_out = r->rcpts_captured - r->rcpts->len;
	}
	if (r->rcpts->len == 0) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "session %s has no RCPT TO%s: give --rcpt", d->id,
		    d->tls_started ? " in clear (it is encrypted after "
				     "STARTTLS)"
				   : "");
		return false;
	}
	if (!line_safe(r->helo_name) || !line_safe(r->mail_from)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "control characters in the EHLO name or sender");
		return false;
	}
	for (i = 0; i < r->rcpts->len; i++)
		if (!line_safe(g_ptr_array_index(r->rcpts, i))) {
			g_set_error(error, G_OPTION_ERROR,
			    G_OPTION_ERROR_BAD_VALUE,
			    "control characters in a recipient");
			return false;
		}
	if (r->outside == NULL) {
		for (i = 0; i < r->rcpts->len && r->outside == NULL; i++)
			if (strchr(g_ptr_array_index(r->rcpts, i), '@'))
				r->outside =
				    g_strdup(g_ptr_array_index(r->rcpts, i));
	}
	if (r->outside == NULL)
		r->outside = g_strdup("relay-test@example.net");
	if (r->o.auth_user != NULL && !r->o.starttls && !d->tls_started) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "--auth-user needs TLS (the password would cross the "
		    "network in the clear): add --starttls");
		return false;
	}
	return true;
}

/* ---- the live connection ---- */

static void fail(struct replay *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
fail(struct replay *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failure != NULL)
		return;
	va_start(ap, fmt);
	r->failure = g_strdup_vprintf(fmt, ap);
	va_end(ap);
}

static gpointer
deadline_watch(gpointer p)
{
	struct deadline *dl = p;

	g_mutex_lock(&dl->lock);
	while (!dl->stop)
		if (!g_cond_wait_until(&dl->cond, &dl->lock, dl->end)) {
			/* Timed out (a wake-up without stop is spurious). */
			if (!dl->stop)
				g_cancellable_cancel(dl->cancel);
			break;
		}
	g_mutex_unlock(&dl->lock);
	return NULL;
}

/* Start the clock of --deadline: from now on r->cancel is cancelled when
 * it runs out. */
static void
deadline_start(struct replay *r)
{
	struct deadline *dl = &r->dl;

	g_mutex_init(&dl->lock);
	g_cond_init(&dl->cond);
	dl->stop = false;
	dl->end =
	    g_get_monotonic_time() + (gint64)r->o.deadline * G_USEC_PER_SEC;
	dl->cancel = r->cancel;
	dl->thread = g_thread_new("replay-deadline", deadline_watch, dl);
}

static void
deadline_stop(struct replay *r)
{
	struct deadline *dl = &r->dl;

	if (dl->thread == NULL)
		return;
	g_mutex_lock(&dl->lock);
	dl->stop = true;
	g_cond_signal(&dl->cond);
	g_mutex_unlock(&dl->lock);
	g_thread_join(dl->thread);
	dl->thread = NULL;
	g_mutex_clear(&dl->lock);
	g_cond_clear(&dl->cond);
}

/* A limit ended the replay: it is broken off (exit 4), whatever was
 * answered before, and nothing more is sent (no probe either). */
static void
end_replay(struct replay *r, const char *why)
{
	if (r->ended == NULL)
		r->ended = g_strdup(why);
	fail(r, "%s", why);
}

static bool
replay_ended(const struct replay *r)
{
	return r->ended != NULL;
}

/* What went wrong in a blocking call, for the record.  A cancelled call
 * is the deadline's doing (r->cancel is cancelled by nothing else). */
static const char *
io_problem(struct replay *r, const GError *e)
{
	static char buf[256];

	if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		snprintf(buf, sizeof buf,
		    "the replay went over its deadline of %d s (--deadline)",
		    r->o.deadline);
		if (r->ended == NULL)
			r->ended = g_strdup(buf);
	} else if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
		snprintf(buf, sizeof buf, "no reply within %d s",
		    r->o.reply_timeout);
	else
		snprintf(buf, sizeof buf, "%s", e->message);
	return buf;
}

static bool
send_line(struct replay *r, const char *line, const char *shown)
{
	g_autoptr(GError) e = NULL;
	g_autofree char *wire = g_strconcat(line, "\r\n", NULL);
	GOutputStream *out = g_io_stream_get_output_stream(r->io);

	if (log_debug_enabled())
		log_debug("C: %s", shown != NULL ? shown : line);
	if (!g_output_stream_write_all(
		out, wire, strlen(wire), NULL, r->cancel, &e)) {
		fail(r, "sending \"%s\": %s", shown != NULL ? shown : line,
		    io_problem(r, e));
		return false;
	}
	return true;
}

/* Take one line (without its line end) from the received bytes; *used:
 * the bytes it took, line end included. */
static bool
take_line(GByteArray *rx, GString *line, guint *used)
{
	guint8 *lf;
	guint n;

	/* An array that never held data has no buffer (data is NULL), and
	 * memchr() must not be given NULL even for 0 bytes (C11 7.24.1). */
	if (rx->len == 0)
		return false;
	lf = memchr(rx->data, '\n', rx->len);
	if (lf == NULL)
		return false;
	n = (guint)(lf - rx->data);
	g_string_truncate(line, 0);
	g_string_append_len(line, (const char *)rx->data,
	    n > 0 && rx->data[n - 1] == '\r' ? n - 1 : n);
	g_byte_array_remove_range(rx, 0, n + 1);
	*used = n + 1;
	return true;
}

/* Has the reply being read gone over --max-reply-lines or
 * --max-reply-bytes?  Then the replay ends. */
static bool
over_reply_limits(struct replay *r, guint64 lines, guint64 bytes)
{
	g_autofree char *why = NULL;

	if (lines > (guint64)r->o.max_reply_lines)
		why = g_strdup_printf("the server's reply went over %d lines "
				      "(--max-reply-lines)",
		    r->o.max_reply_lines);
	else if (bytes > (guint64)r->o.max_reply_bytes)
		why = g_strdup_printf("the server's reply went over %d bytes "
				      "(--max-reply-bytes)",
		    r->o.max_reply_bytes);
	else
		return false;
	end_replay(r, why);
	return true;
}

/* Read one complete reply (multi-line assembled); NULL on error, end of
 * stream, a line that is not a reply, or a reply over the limits:
 * --max-reply-lines lines or --max-reply-bytes bytes (line ends
 * included, and what has come of a line not yet ended), so that a server
 * sending an endless "250-" reply cannot keep the replay reading. */
static struct smtp_reply *
read_reply(struct replay *r)
{
	GInputStream *in = g_io_stream_get_input_stream(r->io);
	g_autoptr(GString) line = g_string_new(NULL);
	struct smtp_reply_line rl;
	struct smtp_reply *rep;
	guint64 lines = 0, bytes = 0;
	char buf[4096];
	gssize n;
	guint used;

	for (;;) {
		g_autoptr(GError) e = NULL;

		while (take_line(r->rx, line, &used)) {
			struct strview v = { line->str, line->len };

			lines++;
			bytes += used;
			if (over_reply_limits(r, lines, bytes))
				return NULL;
			if (!smtp_reply_line_parse(v, &rl)) {
				g_autoptr(GString) esc = g_string_new(NULL);

				output_escape(
				    esc, line->str, MIN(line->len, 80));
				fail(r,
				    "the server sent a line that is not "
				    "an SMTP reply: \"%s\"",
				    esc->str);
				return NULL;
			}
			rep = smtp_reply_asm_push(&r->ra, &rl);
			if (rep != NULL)
				return rep;
		}
		if (over_reply_limits(r, lines, bytes + r->rx->len))
			return NULL;
		if (r->rx->len > LINEBUF_MAX) {
			fail(r, "the server sent a line over %d bytes",
			    LINEBUF_MAX);
			return NULL;
		}
		n = g_input_stream_read(in, buf, sizeof buf, r->cancel, &e);
		if (n < 0) {
			fail(r, "%s", io_problem(r, e));
			return NULL;
		}
		if (n == 0) {
			fail(r, "the server closed the connection");
			return NULL;
		}
		g_byte_array_append(r->rx, (const guint8 *)buf, (guint)n);
	}
}

/* Send a command and read its reply, as one step of the record.  Returns
 * the live reply (borrowed), or NULL when the dialogue broke. */
static const struct smtp_reply *
exchange(struct replay *r, const char *line, const char *shown,
    enum smtp_cmd_id cmd, const struct smtp_reply *captured,
    const struct probe *pr, const char *rcpt)
{
	struct step *st;

	if (r->failure != NULL || replay_ended(r))
		return NULL;
	st = g_new0(struct step, 1);
	st->line = g_strdup(shown != NULL ? shown : line);
	st->cmd = cmd;
	st->captured = captured != NULL ? smtp_reply_copy(captured) : NULL;
	st->probe = pr;
	st->rcpt = g_strdup(rcpt);
	st->ts = g_get_real_time();
	g_ptr_array_add(r->steps, st);
	if (!send_line(r, line, shown))
		return NULL;
	st->live = read_reply(r);
	return st->live;
}

static bool
ok2(const struct smtp_reply *rep)
{
	return rep != NULL && smtp_reply_class(rep->code) == 2;
}

/* The captured reply to the first command of this kind, or NULL. */
static const struct smtp_reply *
captured_reply(const struct dialogue *d, enum smtp_cmd_id cmd)
{
	guint i;

	for (i = 0; i < d->items->len; i++) {
		const struct dlg_item *it = g_ptr_array_index(d->items, i);

		if (it->kind == DLG_ITEM_COMMAND && it->cmd == cmd)
			return it->reply;
	}
	return NULL;
}

static const struct dlg_rcpt *
captured_rcpt(const struct dialogue *d, const char *address)
{
	guint i, j;

	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		for (j = 0; j < tx->rcpts->len; j++) {
			const struct dlg_rcpt *rc =
			    g_ptr_array_index(tx->rcpts, j);

			if (g_ascii_strcasecmp(rc->address, address) == 0)
				return rc;
		}
	}
	return NULL;
}

static const struct smtp_reply *
captured_mail(const struct dialogue *d, const char *from)
{
	guint i;

	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		if (tx->mail != NULL && g_strcmp0(tx->mail_from, from) == 0)
			return tx->mail->reply;
	}
	return NULL;
}

static char *
address_text(GSocketAddress *a)
{
	GInetAddress *ia;

	if (!G_IS_INET_SOCKET_ADDRESS(a))
		return g_strdup("?");
	ia = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(a));
	return g_inet_address_to_string(ia);
}

static bool
connect_live(struct replay *r)
{
	g_autoptr(GSocketClient) c = g_socket_client_new();
	g_autoptr(GError) e = NULL;
	g_autoptr(GSocketAddress) remote = NULL;
	g_autoptr(GSocketAddress) local = NULL;
	g_autofree char *rip = NULL;
	g_autoptr(GString) peer = g_string_new(NULL);
	GList *l;

	g_socket_client_set_timeout(c, (guint)r->o.connect_timeout);
	/* Only to the checked addresses: a proxy from the environment
	 * (GProxyResolver reads all_proxy and the like) would be another
	 * host, and one that no check has seen. */
	g_socket_client_set_enable_proxy(c, FALSE);
	if (r->o.source != NULL) {
		g_autoptr(GInetAddress) a =
		    g_inet_address_new_from_string(r->o.source);
		g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(a, 0);

		g_socket_client_set_local_address(c, sa);
	}
	for (l = r->addrs; l != NULL && r->conn == NULL; l = l->next) {
		g_autoptr(GSocketAddress) sa =
		    g_inet_socket_address_new(l->data, r->port);

		g_clear_error(&e);
		r->conn = g_socket_client_connect(
		    c, G_SOCKET_CONNECTABLE(sa), r->cancel, &e);
		if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			break;
	}
	if (r->conn == NULL) {
		if (e == NULL)
			fail(r, "cannot connect to %s: no address", r->target);
		else if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
			fail(r, "cannot connect to %s: no answer within %d s",
			    r->target, r->o.connect_timeout);
		else
			fail(r, "cannot connect to %s: %s", r->target,
			    io_problem(r, e));
		return false;
	}
	g_socket_set_timeout(
	    g_socket_connection_get_socket(r->conn), (guint)r->o.reply_timeout);
	remote = g_socket_connection_get_remote_address(r->conn, NULL);
	local = g_socket_connection_get_local_address(r->conn, NULL);
	rip = remote != NULL ? address_text(remote) : g_strdup("?");
	g_strlcpy(r->peer.ip, rip, sizeof r->peer.ip);
	if (remote != NULL)
		r->peer.port = g_inet_socket_address_get_port(
		    G_INET_SOCKET_ADDRESS(remote));
	output_endpoint(peer, &r->peer);
	g_free(r->target_text);
	r->target_text = g_strdup(peer->str);
	g_free(r->local_ip);
	r->local_ip = local != NULL ? address_text(local) : g_strdup("?");
	r->io = G_IO_STREAM(g_object_ref(r->conn));
	return true;
}

/* Drop the live connection (after the server hung up). */
static void
close_live(struct replay *r)
{
	if (r->io != NULL) {
		g_io_stream_close(r->io, NULL, NULL);
		g_clear_object(&r->io);
	}
	g_clear_object(&r->conn);
	g_byte_array_set_size(r->rx, 0);
	smtp_reply_asm_clear(&r->ra);
	memset(&r->ra, 0, sizeof r->ra);
}

/* Does the kernel let a socket bind to addresses that are not local
 * (net.ipv4.ip_nonlocal_bind, net.ipv6.ip_nonlocal_bind)?  Then a bind
 * that works says nothing. */
static bool
nonlocal_bind(GSocketFamily family)
{
	g_autofree char *v = NULL;

	if (!g_file_get_contents(family == G_SOCKET_FAMILY_IPV6
				     ? "/proc/sys/net/ipv6/ip_nonlocal_bind"
				     : "/proc/sys/net/ipv4/ip_nonlocal_bind",
		&v, NULL, NULL))
		return false;
	return v[0] != '0';
}

/* The address bytes of a socket address of this family (AF_INET or
 * AF_INET6; a netmask of getifaddrs is of its address's family, whatever
 * its own sa_family says). */
static const guint8 *
sockaddr_bytes(const struct sockaddr *sa, int family)
{
	const struct sockaddr_in *s4 = (const void *)sa;
	const struct sockaddr_in6 *s6 = (const void *)sa;

	if (family == AF_INET)
		return (const guint8 *)&s4->sin_addr;
	return (const guint8 *)&s6->sin6_addr;
}

/* What this machine's interfaces say of a: it is one of their addresses
 * (*local), or the broadcast address of one of their IPv4 networks (the
 * interface's name and the network into bcast, "" if not).  Networks of
 * /31 and /32 have no broadcast address (RFC 3021). */
static void
interfaces_say(GInetAddress *a, bool *local, char *bcast, size_t bcastsz)
{
	struct ifaddrs *ifs = NULL, *i;
	const guint8 *b = g_inet_address_to_bytes(a);
	gsize n = g_inet_address_get_native_size(a);
	int family = n == 4 ? AF_INET : AF_INET6;

	*local = false;
	bcast[0] = '\0';
	if (getifaddrs(&ifs) != 0)
		return;
	for (i = ifs; i != NULL; i = i->ifa_next) {
		const guint8 *ia, *im;
		guint8 all[4];
		unsigned k, plen = 0;

		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family)
			continue;
		ia = sockaddr_bytes(i->ifa_addr, family);
		if (memcmp(ia, b, n) == 0)
			*local = true;
		if (family != AF_INET || i->ifa_netmask == NULL)
			continue;
		im = sockaddr_bytes(i->ifa_netmask, AF_INET);
		for (k = 0; k < 4; k++) {
			all[k] = (guint8)(ia[k] | (guint8)~im[k]);
			plen += (unsigned)__builtin_popcount(im[k]);
		}
		if (plen <= 30 && memcmp(all, b, 4) == 0 && bcast[0] == '\0')
			snprintf(bcast, bcastsz, "%u.%u.%u.%u/%u on %s",
			    (unsigned)(ia[0] & im[0]),
			    (unsigned)(ia[1] & im[1]),
			    (unsigned)(ia[2] & im[2]),
			    (unsigned)(ia[3] & im[3]), plen, i->ifa_name);
	}
	freeifaddrs(ifs);
}

/* Is a an address of this machine?  An interface's address, or one a
 * socket can bind to: that covers all of 127.0.0.0/8 and local routes of
 * any prefix ("ip route add local"), unless the kernel allows binding to
 * any address. */
static bool
local_inet(GInetAddress *a)
{
	g_autoptr(GSocketAddress) sa = NULL;
	g_autoptr(GSocket) s = NULL;
	char bcast[64];
	bool local;

	interfaces_say(a, &local, bcast, sizeof bcast);
	if (local)
		return true;
	if (nonlocal_bind(g_inet_address_get_family(a)))
		return false;
	s = g_socket_new(g_inet_address_get_family(a), G_SOCKET_TYPE_DATAGRAM,
	    G_SOCKET_PROTOCOL_UDP, NULL);
	if (s == NULL)
		return false;
	sa = g_inet_socket_address_new(a, 0);
	return g_socket_bind(s, sa, FALSE, NULL);
}

/* Is ip (text) an address of this machine? */
static bool
local_address(const char *ip)
{
	g_autoptr(GInetAddress) a = g_inet_address_new_from_string(ip);

	return a != NULL && local_inet(a);
}

/* ---- where replay may connect ---- */

/* The ports a server from the capture may be tested on: SMTP (RFC 5321),
 * submissions (RFC 8314), submission (RFC 6409), and 2525, the
 * submission port of hosting providers whose 587 is blocked.  Any other
 * takes --target HOST:PORT: --ports only says where the capture has SMTP
 * (and a session is found only on one of those, so a port of --ports
 * cannot vouch for itself). */
static const guint16 smtp_ports[] = { 25, 465, 587, 2525 };

/* The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:0:0/96,
 * which Linux connects as IPv4), else a itself; a new reference. */
static GInetAddress *
unmapped(GInetAddress *a)
{
	static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		0xff };
	const guint8 *b = g_inet_address_to_bytes(a);

	if (g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV6 &&
	    memcmp(b, mapped, sizeof mapped) == 0)
		return g_inet_address_new_from_bytes(
		    b + 12, G_SOCKET_FAMILY_IPV4);
	return g_object_ref(a);
}

/* Why no SMTP server can be at a (no TCP connection to it reaches a
 * server, or it reaches this machine by accident), into why; false if
 * none of that is so.  a is unmapped. */
static bool
address_impossible(GInetAddress *a, char *why, size_t whysz)
{
	const guint8 *b = g_inet_address_to_bytes(a);
	bool v4 = g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV4;
	static const guint8 zero[12];
	char bcast[64];
	bool local;

	if (g_inet_address_get_is_any(a))
		snprintf(why, whysz,
		    "the unspecified address, which Linux connects to this "
		    "machine");
	else if (v4 && b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
		snprintf(why, whysz, "the broadcast address");
	else if (v4 && b[0] == 0)
		snprintf(why, whysz,
		    "in 0.0.0.0/8, reserved for \"this network\" (RFC 1122 "
		    "3.2.1.3)");
	else if (v4 ? b[0] == 224 && b[1] == 0 && b[2] == 0
		    : g_inet_address_get_is_mc_link_local(a))
		/* (GLib's test is for IPv6 only.) */
		snprintf(why, whysz, "a link-local multicast address (%s)",
		    v4 ? "224.0.0.0/24" : "ff02::/16");
	else if (g_inet_address_get_is_multicast(a))
		snprintf(why, whysz, "a multicast address (%s)",
		    v4 ? "224.0.0.0/4" : "ff00::/8");
	else if (v4 && b[0] >= 240)
		snprintf(
		    why, whysz, "a reserved address (240.0.0.0/4, RFC 1112 4)");
	else if (!v4 && memcmp(b, zero, sizeof zero) == 0 &&
		 !g_inet_address_get_is_loopback(a))
		snprintf(why, whysz,
		    "an IPv4-compatible IPv6 address (::/96, deprecated by "
		    "RFC 4291 2.5.5.1)");
	else if (!v4 && b[0] == 0x01 && memcmp(b + 1, zero, 7) == 0)
		snprintf(why, whysz,
		    "in 100::/64, the discard-only prefix (RFC 6666)");
	else {
		if (!v4)
			return false;
		interfaces_say(a, &local, bcast, sizeof bcast);
		if (bcast[0] == '\0')
			return false;
		snprintf(why, whysz, "the broadcast address of %s", bcast);
	}
	return true;
}

/* Why replay will not connect to a (from the capture, or from --target),
 * into why; false if it may. */
static bool
address_refused(GInetAddress *addr, bool captured, char *why, size_t whysz)
{
	g_autoptr(GInetAddress) a = unmapped(addr);
	static const char here[] =
	    "; a server from a capture is never tested on this machine: to "
	    "test one here, name it with --target";

	if (address_impossible(a, why, whysz))
		return true;
	if (!captured)
		return false;
	if (g_inet_address_get_is_loopback(a))
		snprintf(why, whysz, "a loopback address%s", here);
	else if (local_inet(a))
		snprintf(why, whysz, "an address of this machine%s", here);
	else
		return false;
	return true;
}

/* The addresses of the target (r->target: the captured server, or
 * --target), each checked, into r->addrs and r->port.  A refusal is a
 * usage error: false with *error, and nothing was sent.  A name that
 * does not resolve is no refusal: r->failure says so (unreachable).
 *
 * Wherever the address came from, it must be one a server can have
 * (address_impossible).  One from the capture must also not be this
 * machine's (loopback, or local: replaying a crafted capture must not
 * deliver through the local mail server) and must be on an SMTP port
 * (smtp_ports).  --target may name any other host, this one included,
 * and any port: whoever types it means it. */
static bool
target_check(struct replay *r, GError **error)
{
	g_autoptr(GError) e = NULL;
	g_autoptr(GSocketConnectable) na = NULL;
	bool captured = r->o.target == NULL;
	const char *what = captured ? "the captured server" : "--target";
	const char *host;
	GInetAddress *a;
	GList *l;
	size_t i;
	char why[256];

	na = g_network_address_parse(r->target, 25, &e);
	if (na == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--target: \"%s\": %s", r->target, e->message);
		return false;
	}
	host = g_network_address_get_hostname(G_NETWORK_ADDRESS(na));
	r->port = g_network_address_get_port(G_NETWORK_ADDRESS(na));
	if (captured) {
		for (i = 0; i < G_N_ELEMENTS(smtp_ports); i++)
			if (smtp_ports[i] == r->port)
				break;
		if (i == G_N_ELEMENTS(smtp_ports)) {
			g_set_error(error, G_OPTION_ERROR,
			    G_OPTION_ERROR_FAILED,
			    "session %s: will not connect to %s (%s): port "
			    "%u is not an SMTP port (25, 465, 587, 2525); to "
			    "test it, name it: --target %s",
			    r->cap->id, r->target, what, r->port, r->target);
			return false;
		}
	}
	/* (An address with a scope, "fe80::1%eth0", is not one that
	 * GInetAddress parses: the resolver does.) */
	a = g_inet_address_new_from_string(host);
	if (a != NULL)
		r->addrs = g_list_prepend(NULL, a);
	else {
		g_autoptr(GResolver) res = g_resolver_get_default();

		r->addrs = g_resolver_lookup_by_name(res, host, r->cancel, &e);
		if (r->addrs == NULL) {
			fail(r, "cannot connect to %s: %s", r->target,
			    io_problem(r, e));
			return true;
		}
	}
	for (l = r->addrs; l != NULL; l = l->next) {
		g_autofree char *at = NULL;

		if (!address_refused(l->data, captured, why, sizeof why))
			continue;
		at = g_inet_address_to_string(l->data);
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "session %s: will not connect to %s (%s%s%s): it is %s",
		    r->cap->id, r->target, what,
		    g_hostname_is_ip_address(host) ? ""
						   : ", which resolves to ",
		    g_hostname_is_ip_address(host) ? "" : at, why);
		return false;
	}
	return true;
}

/* Why the server may trust the address this test comes from, or NULL.
 * Servers relay for their own host by default (Postfix mynetworks_style,
 * Exim relay_from_hosts = localhost, sendmail), and for what their admin
 * listed: an acceptance from such an address says nothing about
 * strangers. */
static const char *
source_trust(const struct replay *r)
{
	const struct relay_policy *p = relay_config_policy(r->policy, r->cap);
	g_autoptr(GInetAddress) a = NULL;
	guint i;

	if (r->local_ip == NULL)
		return NULL;
	if (address_scope(r->local_ip) == ADDRESS_SCOPE_LOOPBACK)
		return "it is a loopback address";
	if (address_same_ip(r->local_ip, r->peer.ip))
		return "it is the server's own address";
	if (local_address(r->peer.ip))
		return "this machine is the server's own host";
	a = g_inet_address_new_from_string(r->local_ip);
	for (i = 0; p != NULL && a != NULL && i < p->trusted->len; i++)
		if (g_inet_address_mask_matches(
			g_ptr_array_index(p->trusted, i), a))
			return "it is in the configured trusted networks";
	return NULL;
}

static char *
cert_problems(GTlsCertificateFlags f)
{
	static const struct {
		GTlsCertificateFlags flag;
		const char *name;
	} names[] = {
		{ G_TLS_CERTIFICATE_UNKNOWN_CA, "unknown-ca" },
		{ G_TLS_CERTIFICATE_BAD_IDENTITY, "bad-identity" },
		{ G_TLS_CERTIFICATE_NOT_ACTIVATED, "not-activated" },
		{ G_TLS_CERTIFICATE_EXPIRED, "expired" },
		{ G_TLS_CERTIFICATE_REVOKED, "revoked" },
		{ G_TLS_CERTIFICATE_INSECURE, "insecure" },
		{ G_TLS_CERTIFICATE_GENERIC_ERROR, "generic-error" },
	};
	GString *s = g_string_new(NULL);
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(names); i++)
		if (f & names[i].flag)
			g_string_append_printf(
			    s, "%s%s", s->len > 0 ? "," : "", names[i].name);
	return g_string_free(s, FALSE);
}

static gboolean
accept_cert(GTlsConnection *c, GTlsCertificate *cert,
    GTlsCertificateFlags errors, gpointer data)
{
	struct replay *r = data;

	(void)c;
	(void)cert;
	r->tls_errors = errors;
	return !r->tls_check;
}

static bool
start_tls(struct replay *r)
{
	g_autoptr(GError) e = NULL;
	g_autoptr(GSocketConnectable) id = NULL;
	GIOStream *tls;

	/* The identity the certificate must name: the target as given (a
	 * name, or the address of the captured server). */
	id = g_network_address_parse(r->target, 25, NULL);
	tls = g_tls_client_connection_new(G_IO_STREAM(r->conn), id, &e);
	if (tls == NULL) {
		fail(r, "TLS: %s (is glib-networking installed?)", e->message);
		return false;
	}
	if (r->ca != NULL)
		g_tls_connection_set_database(G_TLS_CONNECTION(tls), r->ca);
	r->tls_errors = 0;
	g_signal_connect(tls, "accept-certificate", G_CALLBACK(accept_cert), r);
	if (!g_tls_connection_handshake(G_TLS_CONNECTION(tls), r->cancel, &e)) {
		g_autofree char *why = cert_problems(r->tls_errors);

		fail(r, "TLS handshake failed: %s%s%s%s", io_problem(r, e),
		    *why != '\0' ? "; certificate: " : "", why,
		    *why != '\0' && r->o.auth_user != NULL &&
			    !r->o.tls_verify && r->o.tls_ca == NULL
			? " (--auth-user sends the password only to a server "
			  "whose certificate verifies: give --tls-ca FILE, or "
			  "--tls-no-verify)"
			: "");
		g_object_unref(tls);
		return false;
	}
	g_object_unref(r->io);
	r->io = tls;
	r->tls_started = true;
	/* Nothing sent before the handshake may count after it (the
	 * STARTTLS command injection of CVE-2011-0411). */
	g_byte_array_set_size(r->rx, 0);
	return true;
}

/* The password of --auth-password-file or --auth-password-env, read
 * before anything is sent; the caller owns (and wipes) it.  The file must
 * be readable by its owner alone, as ssh wants of a private key: one
 * that others can read is no secret.  At most REPLAY_PASSWORD_MAX bytes;
 * a trailing line end is not part of it, a NUL byte is refused (AUTH
 * PLAIN separates its fields with NUL).  NULL with *error. */
static char *
read_password(const struct ropts *o, GError **error)
{
	char *pw = g_malloc0(REPLAY_PASSWORD_MAX + 2);
	size_t n = 0;

	if (o->auth_pw_file != NULL) {
		struct stat sb;
		int fd = open(o->auth_pw_file, O_RDONLY | O_NOCTTY | O_CLOEXEC);
		ssize_t got = 0;

		if (fd < 0 || fstat(fd, &sb) != 0) {
			g_set_error(error, G_FILE_ERROR,
			    g_file_error_from_errno(errno),
			    "--auth-password-file: %s: %s", o->auth_pw_file,
			    g_strerror(errno));
			if (fd >= 0)
				close(fd);
			g_free(pw);
			return NULL;
		}
		if (sb.st_mode & (S_IRGRP | S_IROTH)) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM,
			    "--auth-password-file: %s is readable by %s (mode "
			    "%04o): a password others can read is no secret; "
			    "chmod go-rwx it",
			    o->auth_pw_file,
			    (sb.st_mode & S_IRGRP) && (sb.st_mode & S_IROTH)
				? "group and others"
			    : (sb.st_mode & S_IRGRP) ? "its group"
						     : "others",
			    (unsigned)(sb.st_mode & 07777));
			close(fd);
			g_free(pw);
			return NULL;
		}
		/* One byte more than allowed tells a password too long. */
		while (n <= REPLAY_PASSWORD_MAX) {
			got = read(fd, pw + n, REPLAY_PASSWORD_MAX + 1 - n);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				break;
			n += (size_t)got;
		}
		if (got < 0) {
			g_set_error(error, G_FILE_ERROR,
			    g_file_error_from_errno(errno),
			    "--auth-password-file: %s: %s", o->auth_pw_file,
			    g_strerror(errno));
			close(fd);
			memset(pw, 0, REPLAY_PASSWORD_MAX + 2);
			g_free(pw);
			return NULL;
		}
		close(fd);
	} else {
		const char *v = getenv(o->auth_pw_env);

		if (v == NULL) {
			g_set_error(error, G_OPTION_ERROR,
			    G_OPTION_ERROR_FAILED,
			    "--auth-password-env: %s is not set",
			    o->auth_pw_env);
			g_free(pw);
			return NULL;
		}
		n = MIN(strlen(v), (size_t)REPLAY_PASSWORD_MAX + 1);
		memcpy(pw, v, n);
	}
	while (n > 0 && (pw[n - 1] == '\n' || pw[n - 1] == '\r'))
		n--;
	if (n > REPLAY_PASSWORD_MAX || memchr(pw, '\0', n) != NULL || n == 0) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "%s: %s",
		    o->auth_pw_file != NULL ? o->auth_pw_file : o->auth_pw_env,
		    n == 0 ? "the password is empty"
		    : n > REPLAY_PASSWORD_MAX
			? "the password is over " G_STRINGIFY(
			      REPLAY_PASSWORD_MAX) " bytes"
			: "the password holds a NUL byte");
		memset(pw, 0, REPLAY_PASSWORD_MAX + 2);
		g_free(pw);
		return NULL;
	}
	memset(pw + n, 0, REPLAY_PASSWORD_MAX + 2 - n);
	return pw;
}

static void
wipe(char *s)
{
	if (s == NULL)
		return;
	memset(s, 0, strlen(s));
	g_free(s);
}

static void
authenticate(struct replay *r, const struct smtp_reply *ehlo)
{
	const char *pw = r->password;
	char *raw, *tok, *line;
	const struct smtp_reply *rep;
	size_t ul;

	if (!r->tls_started) {
		fail(r, "AUTH needs TLS (the password would cross the network "
			"in the clear): add --starttls");
		return;
	}
	ul = strlen(r->o.auth_user);
	if (smtp_reply_ehlo_offers(ehlo, "AUTH", "PLAIN")) {
		raw = g_malloc0(ul + strlen(pw) + 3);
		memcpy(raw + 1, r->o.auth_user, ul);
		memcpy(raw + 2 + ul, pw, strlen(pw));
		tok = g_base64_encode((guchar *)raw, ul + strlen(pw) + 2);
		line = g_strconcat("AUTH PLAIN ", tok, NULL);
		exchange(r, line, "AUTH PLAIN ********", SMTP_CMD_AUTH, NULL,
		    NULL, NULL);
		memset(raw, 0, ul + strlen(pw) + 2);
		g_free(raw);
		wipe(tok);
		wipe(line);
	} else if (smtp_reply_ehlo_offers(ehlo, "AUTH", "LOGIN")) {
		rep = exchange(
		    r, "AUTH LOGIN", NULL, SMTP_CMD_AUTH, NULL, NULL, NULL);
		if (rep != NULL && rep->code == 334) {
			tok = g_base64_encode((guchar *)r->o.auth_user, ul);
			rep = exchange(r, tok, "(user name)",
			    SMTP_CMD_AUTH_RESPONSE, NULL, NULL, NULL);
			g_free(tok);
		}
		if (rep != NULL && rep->code == 334) {
			tok = g_base64_encode((guchar *)pw, strlen(pw));
			exchange(r, tok, "********", SMTP_CMD_AUTH_RESPONSE,
			    NULL, NULL, NULL);
			wipe(tok);
		}
	} else
		fail(r, "the server offers neither AUTH PLAIN nor AUTH LOGIN");
}

/* The test message of --send-data: short, and saying what it is. */
static char *
test_message(struct replay *r)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *date =
	    g_date_time_format(now, "%a, %d %b %Y %H:%M:%S %z");

	return g_strdup_printf(
	    "From: <%s>\r\n"
	    "To: <%s>\r\n"
	    "Subject: relayscope relay test - please discard\r\n"
	    "Date: %s\r\n"
	    "Message-ID: <relayscope-%s-%" G_GINT64_FORMAT "@%s>\r\n"
	    "X-Relayscope-Test: relay test replaying captured session %s\r\n"
	    "\r\n"
	    "This message was sent by relayscope to test whether %s relays\r\n"
	    "mail from %s. It carries no content and can be discarded.\r\n",
	    r->mail_from, (char *)g_ptr_array_index(r->rcpts, 0), date,
	    r->cap->id, g_get_real_time(), g_get_host_name(), r->cap->id,
	    r->target_text, r->local_ip);
}

static bool
send_body(struct replay *r, const char *body, size_t len)
{
	g_autoptr(GString) w = g_string_sized_new(len + 64);
	g_autoptr(GError) e = NULL;
	GOutputStream *out = g_io_stream_get_output_stream(r->io);
	bool bol = true;
	size_t i;

	/* RFC 5321 4.5.2: a leading dot is doubled; lines end in CRLF. */
	for (i = 0; i < len; i++) {
		if (bol && body[i] == '.')
			g_string_append_c(w, '.');
		if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r'))
			g_string_append_c(w, '\r');
		g_string_append_c(w, body[i]);
		bol = body[i] == '\n';
	}
	if (!bol)
		g_string_append(w, "\r\n");
	g_string_append(w, ".\r\n");
	if (!g_output_stream_write_all(
		out, w->str, w->len, NULL, r->cancel, &e)) {
		fail(r, "sending the message: %s", io_problem(r, e));
		return false;
	}
	return true;
}

static void
send_data(struct replay *r)
{
	const struct dlg_tx *tx = NULL;
	const struct smtp_reply *rep;
	g_autofree char *msg = NULL;
	const char *body;
	size_t len;
	struct step *st;
	guint i;

	for (i = 0; i < r->cap->txs->len && tx == NULL; i++) {
		const struct dlg_tx *t = g_ptr_array_index(r->cap->txs, i);

		if (t->data != NULL && t->data->body != NULL)
			tx = t;
	}
	if (r->o.original_body && tx == NULL) {
		fail(r, "--original-body: the captured session has no "
			"complete message body");
		return;
	}
	rep = exchange(r, "DATA", NULL, SMTP_CMD_DATA,
	    captured_reply(r->cap, SMTP_CMD_DATA), NULL, NULL);
	if (rep == NULL || rep->code != 354)
		return;
	if (r->o.original_body) {
		body = (const char *)tx->data->body->data;
		len = tx->data->body->len;
		r->body_original = true;
	} else {
		msg = test_message(r);
		body = msg;
		len = strlen(msg);
	}
	st = g_new0(struct step, 1);
	st->line = g_strdup_printf("[message body: %zu bytes%s]", len,
	    r->body_original ? ", the captured one" : ", a relay test");
	st->cmd = SMTP_CMD_END_OF_DATA;
	if (tx != NULL && tx->data->end != NULL && tx->data->end->reply)
		st->captured = smtp_reply_copy(tx->data->end->reply);
	st->ts = g_get_real_time();
	g_ptr_array_add(r->steps, st);
	if (!send_body(r, body, len))
		return;
	r->data_sent = true;
	st->live = read_reply(r);
}

/* Fill a probe's pattern: L@E the outside address, D the server's domain,
 * S its address. */
static char *
probe_address(
    const char *pat, const char *l, const char *e, const char *d, const char *s)
{
	GString *o = g_string_new(NULL);

	for (; *pat != '\0'; pat++)
		switch (*pat) {
		case 'L':
			g_string_append(o, l);
			break;
		case 'E':
			g_string_append(o, e);
			break;
		case 'D':
			g_string_append(o, d);
			break;
		case 'S':
			g_string_append(o, s);
			break;
		default:
			g_string_append_c(o, *pat);
		}
	return g_string_free(o, FALSE);
}

/* The server's domain for the probes: its greeting's name, else its EHLO
 * reply's, else its address literal. */
static char *
server_domain(
    const struct replay *r, const struct smtp_reply *ehlo, const char *lit)
{
	char *d = relay_reply_host_name(r->banner);

	if (d == NULL)
		d = relay_reply_host_name(ehlo);
	return d != NULL ? d : g_strdup_printf("[%s]", lit);
}

static void
probe_result_free(gpointer x)
{
	struct probe_result *pr = x;

	g_free(pr->from);
	g_free(pr->to);
	smtp_reply_free(pr->mail);
	smtp_reply_free(pr->rcpt);
	g_free(pr->why);
	g_free(pr);
}

/* Greet again on a new connection, as the first one did (TLS and AUTH
 * included); false with *why when that fails. */
static bool
reconnect(struct replay *r, const struct probe *p, char **why)
{
	g_autofree char *greet = NULL;
	struct smtp_reply *banner;
	const struct smtp_reply *ehlo;

	close_live(r);
	r->reconnects++;
	if (!connect_live(r))
		goto failed;
	banner = read_reply(r);
	if (banner == NULL)
		goto failed;
	if (banner->code != 220) {
		fail(r, "the server refused the new session: %d", banner->code);
		smtp_reply_free(banner);
		goto failed;
	}
	smtp_reply_free(banner);
	greet = g_strdup_printf("%s %s", r->verb, r->helo_name);
	ehlo = exchange(r, greet, NULL,
	    strcmp(r->verb, "HELO") == 0 ? SMTP_CMD_HELO : SMTP_CMD_EHLO, NULL,
	    p, NULL);
	if (r->tls_started && ok2(ehlo)) {
		/* The first connection's TLS is what the record says. */
		ehlo = NULL;
		if (exchange(r, "STARTTLS", NULL, SMTP_CMD_STARTTLS, NULL, p,
			NULL) != NULL &&
		    start_tls(r))
			ehlo = exchange(
			    r, greet, NULL, SMTP_CMD_EHLO, NULL, p, NULL);
		r->tls_started = true;
	}
	if (!ok2(ehlo)) {
		fail(r, "the server did not accept %s again", greet);
		goto failed;
	}
	if (r->o.auth_user != NULL)
		authenticate(r, ehlo);
	if (r->failure == NULL)
		return true;
failed:
	*why = g_steal_pointer(&r->failure);
	close_live(r);
	return false;
}

/* One step of a probe: a dropped connection is the probe's outcome, not
 * the end of the replay.  The reply (borrowed), or NULL with *why. */
static const struct smtp_reply *
probe_step(struct replay *r, const char *line, enum smtp_cmd_id cmd,
    const struct probe *p, const char *rcpt, char **why)
{
	const struct smtp_reply *rep =
	    exchange(r, line, NULL, cmd, NULL, p, rcpt);

	if (rep == NULL) {
		*why = g_steal_pointer(&r->failure);
		close_live(r);
	}
	return rep;
}

static void
run_probes(struct replay *r, const struct smtp_reply *ehlo)
{
	g_autofree char *local = NULL;
	g_autofree char *dom = NULL;
	g_autofree char *lit = NULL;
	const char *at = strrchr(r->outside, '@');
	unsigned failed = 0;
	size_t i;

	local = g_strndup(r->outside, (gsize)(at - r->outside));
	/* The inside of an address literal (RFC 5321 4.1.3). */
	lit = g_strdup_printf(
	    "%s%s", strchr(r->peer.ip, ':') ? "IPv6:" : "", r->peer.ip);
	dom = server_domain(r, ehlo, lit);
	r->probe_results = g_ptr_array_new_with_free_func(probe_result_free);
	for (i = 0; i < G_N_ELEMENTS(probes); i++) {
		const struct probe *p = &probes[i];
		struct probe_result *pr = g_new0(struct probe_result, 1);
		g_autofree char *ml = NULL;
		g_autofree char *rl = NULL;
		const struct smtp_reply *rep;

		pr->p = p;
		pr->from = p->from != NULL
			       ? probe_address(p->from, local, at + 1, dom, lit)
			       : g_strdup_printf("<%s>", r->mail_from);
		pr->to = probe_address(p->to, local, at + 1, dom, lit);
		g_ptr_array_add(r->probe_results, pr);
		ml = g_strconcat("MAIL FROM:", pr->from, NULL);
		rl = g_strconcat("RCPT TO:", pr->to, NULL);
		pr->outcome = PROBE_NOT_SENT;
		if (replay_ended(r)) {
			pr->why =
			    g_strdup_printf("the replay ended: %s", r->ended);
			continue;
		}
		if (!line_safe(ml) || !line_safe(rl)) {
			/* A hostile greeting's name: never sent. */
			pr->why = g_strdup("the server's name holds bytes that "
					   "cannot be sent");
			continue;
		}
		if (r->io == NULL) {
			if (failed >= PROBE_MAX_FAILED_RECONNECTS) {
				pr->why = g_strdup_printf(
				    "the server hung up and %u new connections "
				    "failed in a row",
				    failed);
				continue;
			}
			if (!reconnect(r, p, &pr->why)) {
				failed++;
				continue;
			}
			failed = 0;
		}
		pr->outcome = PROBE_DROPPED;
		rep = probe_step(r, ml, SMTP_CMD_MAIL, p, NULL, &pr->why);
		if (rep == NULL)
			continue;
		pr->mail = smtp_reply_copy(rep);
		if (!ok2(rep))
			pr->outcome = PROBE_REFUSED_MAIL;
		else {
			rep = probe_step(
			    r, rl, SMTP_CMD_RCPT, p, pr->to, &pr->why);
			if (rep == NULL)
				continue;
			pr->rcpt = smtp_reply_copy(rep);
			pr->outcome =
			    ok2(rep) ? PROBE_ACCEPTED : PROBE_REFUSED_RCPT;
		}
		/* A hang-up at RSET ends the connection, not the probe. */
		if (probe_step(r, "RSET", SMTP_CMD_RSET, p, NULL, &pr->why) ==
		    NULL) {
			g_free(pr->why);
			pr->why = NULL;
		}
	}
}

static void
converse(struct replay *r)
{
	const struct smtp_reply *ehlo;
	g_autofree char *greet = NULL;
	g_autofree char *mail = NULL;
	bool any_ok = false;
	guint i;

	if (r->failure != NULL || !connect_live(r))
		return;
	r->source_trust = source_trust(r);
	r->banner = read_reply(r);
	if (r->banner == NULL)
		return;
	if (r->banner->code != 220) {
		fail(r, "the server refused the session: %d %s",
		    r->banner->code, r->banner->text);
		exchange(r, "QUIT", NULL, SMTP_CMD_QUIT, NULL, NULL, NULL);
		return;
	}
	greet = g_strdup_printf("%s %s", r->verb, r->helo_name);
	ehlo = exchange(r, greet, NULL,
	    strcmp(r->verb, "HELO") == 0 ? SMTP_CMD_HELO : SMTP_CMD_EHLO,
	    r->cap->helo != NULL ? r->cap->helo->reply : NULL, NULL, NULL);
	if (!ok2(ehlo) && r->failure == NULL && strcmp(r->verb, "EHLO") == 0) {
		g_free(greet);
		greet = g_strdup_printf("HELO %s", r->helo_name);
		ehlo =
		    exchange(r, greet, NULL, SMTP_CMD_HELO, NULL, NULL, NULL);
	}
	if (!ok2(ehlo)) {
		fail(r, "the server did not accept %s", greet);
		return;
	}
	if (r->o.starttls || r->cap->tls_started) {
		if (!smtp_reply_ehlo_offers(ehlo, "STARTTLS", NULL)) {
			fail(r, "the server does not offer STARTTLS%s",
			    r->cap->tls_started ? " (the captured session "
						  "used it)"
						: "");
			return;
		}
		if (exchange(r, "STARTTLS", NULL, SMTP_CMD_STARTTLS,
			captured_reply(r->cap, SMTP_CMD_STARTTLS), NULL,
			NULL) == NULL)
			return;
		if (((struct step *)g_ptr_array_index(
			 r->steps, r->steps->len - 1))
			->live->code != 220) {
			fail(r, "the server refused STARTTLS");
			return;
		}
		if (!start_tls(r))
			return;
		ehlo =
		    exchange(r, greet, NULL, SMTP_CMD_EHLO, NULL, NULL, NULL);
		if (!ok2(ehlo)) {
			fail(
			    r, "the server did not accept %s after TLS", greet);
			return;
		}
	}
	if (r->o.auth_user != NULL)
		authenticate(r, ehlo);
	mail = g_strdup_printf("MAIL FROM:<%s>", r->mail_from);
	if (ok2(exchange(r, mail, NULL, SMTP_CMD_MAIL,
		captured_mail(r->cap, r->mail_from), NULL, NULL))) {
		for (i = 0; i < r->rcpts->len; i++) {
			const char *a = g_ptr_array_index(r->rcpts, i);
			const struct dlg_rcpt *rc = captured_rcpt(r->cap, a);
			g_autofree char *l = g_strdup_printf("RCPT TO:<%s>", a);

			if (ok2(exchange(r, l, NULL, SMTP_CMD_RCPT,
				rc != NULL ? rc->item->reply : NULL, NULL, a)))
				any_ok = true;
		}
		if (r->o.send_data && any_ok)
			send_data(r);
	}
	exchange(r, "RSET", NULL, SMTP_CMD_RSET, NULL, NULL, NULL);
	if (r->o.probe && r->failure == NULL)
		run_probes(r, ehlo);
	if (r->io != NULL)
		exchange(r, "QUIT", NULL, SMTP_CMD_QUIT,
		    captured_reply(r->cap, SMTP_CMD_QUIT), NULL, NULL);
	/* A probe's failure is the probe's; a limit's is the replay's. */
	if (replay_ended(r) && r->failure == NULL)
		fail(r, "%s", r->ended);
}

/* ---- judging the live exchange ---- */

static struct dlg_item *
live_item(struct dialogue *d, const struct step *st)
{
	struct dlg_item *it = dlg_item_new(
	    DLG_ITEM_COMMAND, st->cmd, st->line, strlen(st->line), st->ts);

	if (st->live != NULL)
		it->reply = smtp_reply_copy(st->live);
	if (!dialogue_keep(d, it)) {
		dlg_item_free(it);
		return NULL;
	}
	return it;
}

/* The live exchange as a dialogue (without the probes), judged by the
 * same relay code as the capture. */
static void
build_live(struct replay *r)
{
	struct dialogue *d = dialogue_new();
	struct dlg_tx *tx = NULL;
	struct dlg_item *it;
	guint i;

	g_strlcpy(d->client.ip, r->local_ip != NULL ? r->local_ip : "",
	    sizeof d->client.ip);
	g_strlcpy(d->server.ip, r->cap->server.ip, sizeof d->server.ip);
	d->server.port = r->cap->server.port;
	if (r->banner != NULL) {
		it =
		    dlg_item_new(DLG_ITEM_BANNER, SMTP_CMD_UNKNOWN, NULL, 0, 0);
		it->reply = smtp_reply_copy(r->banner);
		if (dialogue_keep(d, it))
			d->banner = it;
		else
			dlg_item_free(it);
	}
	for (i = 0; i < r->steps->len; i++) {
		const struct step *st = g_ptr_array_index(r->steps, i);
		struct dlg_rcpt *rc;

		if (st->probe != NULL)
			continue;
		it = live_item(d, st);
		if (it == NULL)
			break;
		switch (st->cmd) {
		case SMTP_CMD_HELO:
		case SMTP_CMD_EHLO:
			d->helo = it;
			d->helo_count++;
			break;
		case SMTP_CMD_STARTTLS:
			d->tls_started = r->tls_started;
			break;
		case SMTP_CMD_AUTH:
			if (d->auth == NULL)
				d->auth = g_new0(struct dlg_auth, 1);
			g_free(d->auth->mechanism);
			d->auth->mechanism = g_strdup(
			    g_str_has_prefix(st->line, "AUTH PLAIN") ? "PLAIN"
								     : "LOGIN");
			g_free(d->auth->user);
			d->auth->user = g_strdup(r->o.auth_user);
			d->auth->item = it;
			d->auth_count++;
			/* FALLTHROUGH: the result is the last reply */
			G_GNUC_FALLTHROUGH;
		case SMTP_CMD_AUTH_RESPONSE:
			if (d->auth != NULL && st->live != NULL &&
			    st->live->code != 334)
				d->auth->result = ok2(st->live)
						      ? DLG_AUTH_SUCCESS
						      : DLG_AUTH_FAILURE;
			break;
		case SMTP_CMD_MAIL:
			tx = dialogue_tx_new(d);
			if (tx != NULL) {
				tx->mail_from = g_strdup(r->mail_from);
				tx->mail_params = g_strdup("");
				tx->mail = it;
			}
			break;
		case SMTP_CMD_RCPT:
			d->rcpt_total++;
			if (tx == NULL)
				break;
			rc = g_new0(struct dlg_rcpt, 1);
			rc->address = g_strdup(st->rcpt);
			rc->params = g_strdup("");
			rc->item = it;
			g_ptr_array_add(tx->rcpts, rc);
			break;
		default:
			break;
		}
	}
	{
		/* The live recipients' locality is at least what the capture
		 * showed of the same addresses (its onward deliveries). */
		struct relay_env env = r->env;

		env.onward = NULL;
		env.prior = r->cap;
		relay_annotate(&env, d);
	}
	r->live = d;
}

static const struct dlg_rcpt *
live_rcpt(const struct replay *r, const char *address)
{
	return r->live != NULL ? captured_rcpt(r->live, address) : NULL;
}

static const char *
verdict_of(const struct dlg_rcpt *rc)
{
	return rc != NULL && rc->judged ? relay_verdict_name(rc->verdict)
					: "none";
}

/* The overall verdict, and the exit status (docs/replay.md, one row
 * each): 0 a recipient not known to be local was accepted live, 3 none
 * was, 4 no answer (unreachable, or broken off before one). */
static const char *
overall(const struct replay *r, int *status)
{
	bool open = false, denied = false, relayed = false, unauth = false;
	bool answered = false, all = true, same = true;
	guint i;

	for (i = 0; i < r->rcpts->len; i++) {
		const char *a = g_ptr_array_index(r->rcpts, i);
		const struct dlg_rcpt *lr = live_rcpt(r, a);
		const struct dlg_rcpt *cr = captured_rcpt(r->cap, a);

		if (lr == NULL || lr->item->reply == NULL) {
			same = all = false;
			continue;
		}
		answered = true;
		switch (lr->verdict) {
		case RELAY_VERDICT_RELAY_ACCEPTED_OPEN:
			open = true;
			G_GNUC_FALLTHROUGH;
		case RELAY_VERDICT_RELAY_ACCEPTED_TRUSTED:
			unauth = true;
			relayed = true;
			break;
		case RELAY_VERDICT_ACCEPTED_LOCALITY_UNKNOWN:
			unauth |= relay_from_stranger(r->live, lr);
			relayed = true;
			break;
		case RELAY_VERDICT_RELAY_ACCEPTED_AUTH:
			relayed = true;
			break;
		case RELAY_VERDICT_RELAY_DENIED:
			denied = true;
			break;
		default:
			break;
		}
		same &=
		    cr != NULL && strcmp(verdict_of(cr), verdict_of(lr)) == 0;
	}
	*status = relayed ? REPLAY_EXIT_ACCEPTED : REPLAY_EXIT_NONE_ACCEPTED;
	if (replay_ended(r)) {
		/* Over the deadline or a reply limit: a server that stalls or
		 * floods is not one whose answers settle anything. */
		*status = REPLAY_EXIT_UNREACHABLE;
		return answered ? "broken-off" : "unreachable";
	}
	if (!answered && r->failure != NULL) {
		*status = REPLAY_EXIT_UNREACHABLE;
		return "unreachable";
	}
	if (r->source_trust != NULL && unauth) {
		/* Accepted, but from an address the server may trust: that
		 * says nothing about strangers. */
		return "accepted-from-trusted-source";
	}
	if (open)
		return "confirmed-open-relay";
	if (r->failure != NULL && !all) {
		*status = REPLAY_EXIT_UNREACHABLE;
		return "broken-off";
	}
	if (denied && !relayed)
		return "relay-denied";
	return same && answered ? "same-as-captured" : "differs";
}

/* What differs between the capture and the live exchange, one line each. */
static GPtrArray *
differences(const struct replay *r)
{
	GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
	guint i;

	for (i = 0; i < r->rcpts->len; i++) {
		const char *a = g_ptr_array_index(r->rcpts, i);
		const struct dlg_rcpt *c = captured_rcpt(r->cap, a);
		const struct dlg_rcpt *l = live_rcpt(r, a);
		const struct smtp_reply *cr = c != NULL ? c->item->reply : NULL;
		const struct smtp_reply *lr = l != NULL ? l->item->reply : NULL;

		if (c == NULL || strcmp(verdict_of(c), verdict_of(l)) == 0)
			continue;
		g_ptr_array_add(
		    v, g_strdup_printf("%s: captured %s (%d), live %s (%d)", a,
			   verdict_of(c), cr != NULL ? cr->code : 0,
			   verdict_of(l), lr != NULL ? lr->code : 0));
	}
	if (r->cap->tls_started != r->tls_started && r->failure == NULL)
		g_ptr_array_add(v, g_strdup_printf("TLS: captured %s, live %s",
				       r->cap->tls_started ? "yes" : "no",
				       r->tls_started ? "yes" : "no"));
	if (r->failure != NULL)
		g_ptr_array_add(v, g_strdup_printf("the live dialogue broke "
						   "off: %s",
				       r->failure));
	return v;
}

/* ---- output ---- */

static void
text_reply(GString *s, const char *label, const struct smtp_reply *rep,
    const char *verdict)
{
	const char *nl;
	size_t first;

	g_string_append_printf(s, "     %-9s ", label);
	if (rep == NULL) {
		g_string_append(s, "(none)\n");
		return;
	}
	nl = memchr(rep->text, '\n', rep->text_len);
	first = nl != NULL ? (size_t)(nl - rep->text) : rep->text_len;
	g_string_append_printf(s, "%d ", rep->code);
	output_escape(s, rep->text, first);
	if (rep->nlines > 1)
		g_string_append_printf(s, "  (+%u lines)", rep->nlines - 1);
	if (verdict != NULL)
		g_string_append_printf(s, "  [%s]", verdict);
	g_string_append_c(s, '\n');
}

/* Did the capture hold the session only in part? */
static bool
capture_partial(const struct dialogue *d)
{
	return d->picked_up || d->missing != DLG_MISSING_NONE ||
	       d->gaps[0] + d->gaps[1] > 0;
}

static char *
plan_text(const struct replay *r)
{
	GString *s = g_string_new(NULL);
	guint i;

	g_string_append_printf(
	    s, "replay of session %s, captured ", r->cap->id);
	output_time(s, r->cap->ts_start);
	g_string_append(s, ", ");
	output_endpoint(s, &r->cap->client);
	g_string_append(s, " -> ");
	output_endpoint(s, &r->cap->server);
	g_string_append_c(s, '\n');
	g_string_append_printf(s, "target: %s%s\n", r->target,
	    r->o.target != NULL ? " (--target)" : " (the captured server)");
	g_string_append(s, "will send: ");
	output_escape(s, r->verb, strlen(r->verb));
	g_string_append_c(s, ' ');
	output_escape(s, r->helo_name, strlen(r->helo_name));
	if (r->o.starttls || r->cap->tls_started)
		g_string_append(s, ", STARTTLS, EHLO again");
	if (r->o.auth_user != NULL)
		g_string_append(s, ", AUTH");
	g_string_append(s, ", MAIL FROM:<");
	output_escape(s, r->mail_from, strlen(r->mail_from));
	g_string_append_c(s, '>');
	for (i = 0; i < r->rcpts->len; i++) {
		const char *a = g_ptr_array_index(r->rcpts, i);

		g_string_append(s, ", RCPT TO:<");
		output_escape(s, a, strlen(a));
		g_string_append_c(s, '>');
	}
	if (r->o.send_data)
		g_string_append_printf(s,
		    ", DATA (%s) if a recipient is "
		    "accepted",
		    r->o.original_body ? "the captured message"
				       : "a short message marked as a relay "
					 "test");
	g_string_append(s, ", RSET");
	if (r->o.probe)
		g_string_append_printf(s,
		    ", %zu relay-trick probes (MAIL, "
		    "RCPT, RSET each)",
		    G_N_ELEMENTS(probes));
	g_string_append(s, ", QUIT\n");
	if (r->rcpts_left_out > 0)
		g_string_append_printf(s,
		    "recipients: %u of the %" G_GUINT64_FORMAT
		    " captured are sent, %" G_GUINT64_FORMAT
		    " left out (--max-rcpts %d)\n",
		    r->rcpts->len, r->rcpts_captured, r->rcpts_left_out,
		    r->o.max_rcpts);
	if (!r->o.send_data)
		g_string_append(s, "no DATA is sent (--send-data sends a "
				   "short test message)\n");
	g_string_append_printf(s,
	    "note: the live test comes from this machine's address, not from "
	    "the captured client %s; servers grant relaying per client "
	    "address, so the live answer is the one this machine gets.\n",
	    r->cap->client.ip);
	if (capture_partial(r->cap))
		g_string_append(s,
		    "note: the captured session is not whole (picked up "
		    "mid-stream, capture gaps or one side missing): the plan "
		    "holds what was captured, and captured replies compared "
		    "may be missing or uncertain.\n");
	return g_string_free(s, FALSE);
}

static char *
result_text(const struct replay *r, const char *verdict)
{
	GString *s = g_string_new(NULL);
	g_autoptr(GPtrArray) diff = differences(r);
	guint i;
	bool any = false;

	if (r->target_text != NULL)
		g_string_append_printf(s, "connected to %s from %s%s\n",
		    r->target_text, r->local_ip,
		    r->tls_started ? ", TLS after STARTTLS" : "");
	if (r->source_trust != NULL)
		g_string_append_printf(s,
		    "note: the server may trust %s (%s): what it accepts from "
		    "here says nothing about strangers; to test as one, replay "
		    "from an address outside its networks (--source ADDR, or "
		    "another machine)\n",
		    r->local_ip, r->source_trust);
	if (r->tls_started && r->tls_errors != 0) {
		g_autofree char *why = cert_problems(r->tls_errors);

		g_string_append_printf(s,
		    "  TLS certificate not verified (%s); accepted because "
		    "%s\n",
		    why,
		    r->o.tls_no_verify ? "of --tls-no-verify"
				       : "--tls-verify was not given");
	} else if (r->tls_started && r->tls_check)
		g_string_append(s, "  TLS certificate verified\n");
	if (r->banner != NULL) {
		g_string_append(s, "  S: (greeting)\n");
		text_reply(s, "captured:",
		    r->cap->banner != NULL ? r->cap->banner->reply : NULL,
		    NULL);
		text_reply(s, "live:", r->banner, NULL);
	}
	for (i = 0; i < r->steps->len; i++) {
		const struct step *st = g_ptr_array_index(r->steps, i);
		const struct dlg_rcpt *c = NULL, *l = NULL;

		if (st->probe != NULL)
			continue;
		if (st->cmd == SMTP_CMD_RCPT) {
			c = captured_rcpt(r->cap, st->rcpt);
			l = live_rcpt(r, st->rcpt);
		}
		g_string_append(s, "  C: ");
		output_escape(s, st->line, strlen(st->line));
		g_string_append_c(s, '\n');
		text_reply(s, "captured:", st->captured,
		    c != NULL ? verdict_of(c) : NULL);
		text_reply(s, "live:", st->live,
		    st->cmd == SMTP_CMD_RCPT && st->live != NULL ? verdict_of(l)
								 : NULL);
	}
	if (r->probe_results != NULL) {
		g_string_append(s, "probes (each: MAIL, RCPT, RSET; no DATA; "
				   "a new connection when the server hangs "
				   "up):\n");
		for (i = 0; i < r->probe_results->len; i++) {
			const struct probe_result *pr =
			    g_ptr_array_index(r->probe_results, i);

			g_string_append_printf(
			    s, "  %-21s MAIL FROM:", pr->p->name);
			output_escape(s, pr->from, strlen(pr->from));
			g_string_append(s, " RCPT TO:");
			output_escape(s, pr->to, strlen(pr->to));
			g_string_append(s, ": ");
			switch (pr->outcome) {
			case PROBE_ACCEPTED:
				g_string_append_printf(
				    s, "ACCEPTED %d", pr->rcpt->code);
				any = true;
				break;
			case PROBE_REFUSED_RCPT:
				g_string_append_printf(
				    s, "refused %d", pr->rcpt->code);
				break;
			case PROBE_REFUSED_MAIL:
				g_string_append_printf(
				    s, "refused at MAIL %d", pr->mail->code);
				break;
			case PROBE_DROPPED:
			case PROBE_NOT_SENT:
				g_string_append(s, pr->outcome == PROBE_DROPPED
						       ? "connection dropped ("
						       : "not sent (");
				output_escape(s, pr->why != NULL ? pr->why : "",
				    pr->why != NULL ? strlen(pr->why) : 0);
				g_string_append_c(s, ')');
				break;
			}
			g_string_append_c(s, '\n');
		}
		g_string_append(s, "  accepted:");
		for (i = 0; i < r->probe_results->len; i++) {
			const struct probe_result *pr =
			    g_ptr_array_index(r->probe_results, i);

			if (pr->outcome == PROBE_ACCEPTED)
				g_string_append_printf(s, " %s", pr->p->name);
		}
		g_string_append(s, any ? "\n" : " none\n");
		if (r->reconnects > 0)
			g_string_append_printf(s,
			    "  new connections: %u (the server hung up)\n",
			    r->reconnects);
	}
	if (r->failure != NULL) {
		g_string_append(s, "error: ");
		output_escape(s, r->failure, strlen(r->failure));
		g_string_append_c(s, '\n');
	}
	if (r->rcpts_left_out > 0)
		g_string_append_printf(s,
		    "recipients left out: %" G_GUINT64_FORMAT
		    " of %" G_GUINT64_FORMAT " (--max-rcpts %d)\n",
		    r->rcpts_left_out, r->rcpts_captured, r->o.max_rcpts);
	g_string_append_printf(s, "data sent: %s\n",
	    !r->data_sent      ? "no"
	    : r->body_original ? "yes, the captured message"
			       : "yes, a relay test message");
	g_string_append_printf(s, "verdict: %s\n", verdict);
	for (i = 0; i < diff->len; i++) {
		const char *d = g_ptr_array_index(diff, i);

		g_string_append(s, "  differs: ");
		output_escape(s, d, strlen(d));
		g_string_append_c(s, '\n');
	}
	return g_string_free(s, FALSE);
}

static void
json_common(struct jsonw *b, const struct replay *r, const char *type)
{
	jw_str(b, "type", type);
	jw_str(b, "session", r->cap->id);
	jw_str(b, "captured_client", r->cap->client.ip);
	jw_str(b, "target", r->target);
}

/* How many captured recipients are not sent, and the cap. */
static void
json_left_out(struct jsonw *b, const struct replay *r)
{
	jw_int(b, "rcpts_captured", (gint64)r->rcpts_captured);
	jw_int(b, "rcpts_left_out", (gint64)r->rcpts_left_out);
	jw_int(b, "max_rcpts", r->o.max_rcpts);
}

static char *
plan_json(const struct replay *r)
{
	struct jsonw w, *b = &w;
	guint i;

	jw_init(b, g_string_sized_new(1024));
	jw_object(b, NULL);
	json_common(b, r, "replay-plan");
	jw_str(b, "helo", r->helo_name);
	jw_str(b, "mail_from", r->mail_from);
	jw_array(b, "rcpts");
	for (i = 0; i < r->rcpts->len; i++)
		jw_str(b, NULL, g_ptr_array_index(r->rcpts, i));
	jw_end_array(b);
	jw_bool(b, "starttls", r->o.starttls || r->cap->tls_started);
	jw_bool(b, "send_data", r->o.send_data);
	jw_bool(b, "probe", r->o.probe);
	jw_str(b, "note",
	    "the live test comes from this machine's address, not from the "
	    "captured client; servers grant relaying per client address");
	jw_bool(b, "capture_partial", capture_partial(r->cap));
	json_left_out(b, r);
	jw_bool(b, "tls_verify", r->tls_check);
	jw_int(b, "deadline", r->o.deadline);
	jw_end_object(b);
	return output_json_finish(b);
}

static char *
result_json(const struct replay *r, const char *verdict)
{
	struct jsonw w, *b = &w;
	g_autoptr(GPtrArray) diff = differences(r);
	guint i;

	jw_init(b, g_string_sized_new(1024));
	jw_object(b, NULL);
	json_common(b, r, "replay");
	jw_str(b, "peer", r->target_text);
	jw_str(b, "source_ip", r->local_ip);
	jw_str(b, "source_trust", r->source_trust);
	jw_bool(b, "tls", r->tls_started);
	jw_bool(b, "tls_verify", r->tls_check);
	if (r->tls_started) {
		g_autofree char *why = cert_problems(r->tls_errors);

		jw_str(b, "tls_certificate_problems", why);
	}
	output_json_add_reply(b, "banner_captured",
	    r->cap->banner != NULL ? r->cap->banner->reply : NULL);
	output_json_add_reply(b, "banner_live", r->banner);
	jw_array(b, "steps");
	for (i = 0; i < r->steps->len; i++) {
		const struct step *st = g_ptr_array_index(r->steps, i);

		jw_object(b, NULL);
		jw_str(b, "command", st->line);
		jw_str(b, "probe", st->probe != NULL ? st->probe->name : NULL);
		output_json_add_reply(b, "captured", st->captured);
		output_json_add_reply(b, "live", st->live);
		jw_end_object(b);
	}
	jw_end_array(b);
	jw_array(b, "rcpts");
	for (i = 0; i < r->rcpts->len; i++) {
		const char *a = g_ptr_array_index(r->rcpts, i);
		const struct dlg_rcpt *c = captured_rcpt(r->cap, a);
		const struct dlg_rcpt *l = live_rcpt(r, a);

		jw_object(b, NULL);
		jw_str(b, "address", a);
		jw_str(b, "captured_verdict", c != NULL ? verdict_of(c) : NULL);
		jw_str(b, "live_verdict",
		    l != NULL && l->item->reply != NULL ? verdict_of(l) : NULL);
		jw_bool(b, "same",
		    c != NULL && l != NULL &&
			strcmp(verdict_of(c), verdict_of(l)) == 0);
		jw_end_object(b);
	}
	jw_end_array(b);
	if (r->probe_results != NULL) {
		jw_array(b, "probes");
		for (i = 0; i < r->probe_results->len; i++) {
			const struct probe_result *pr =
			    g_ptr_array_index(r->probe_results, i);

			jw_object(b, NULL);
			jw_str(b, "name", pr->p->name);
			jw_str(b, "mail_from", pr->from);
			jw_str(b, "rcpt", pr->to);
			output_json_add_reply(b, "mail_reply", pr->mail);
			output_json_add_reply(b, "reply", pr->rcpt);
			jw_bool(b, "accepted", pr->outcome == PROBE_ACCEPTED);
			jw_str(b, "outcome", probe_outcome_names[pr->outcome]);
			jw_str(b, "why", pr->why);
			jw_end_object(b);
		}
		jw_end_array(b);
		jw_int(b, "reconnects", r->reconnects);
	}
	json_left_out(b, r);
	jw_bool(b, "data_sent", r->data_sent);
	jw_str(b, "error", r->failure);
	jw_str(b, "verdict", verdict);
	jw_array(b, "differences");
	for (i = 0; i < diff->len; i++)
		jw_str(b, NULL, g_ptr_array_index(diff, i));
	jw_end_array(b);
	jw_end_object(b);
	return output_json_finish(b);
}

/* ---- the command line ---- */

static gboolean
parse(struct replay *r, int argc, char **argv, GError **error)
{
	g_autoptr(GOptionContext) ctx = NULL;
	g_auto(GStrv) rfiles = NULL;
	g_auto(GStrv) rest = NULL;
	g_autofree char *format = NULL;
	g_autofree char *ports = NULL;
	struct ropts *o = &r->o;
	const GOptionEntry entries[] = {
		{ "session", 's', 0, G_OPTION_ARG_STRING, &o->session,
		    "The session to replay: its id from the analysis (or "
		    "enough leading digits)",
		    "ID" },
		{ "read", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &rfiles,
		    "Capture file (or give it as an argument)", "FILE" },
		{ "target", 't', 0, G_OPTION_ARG_STRING, &o->target,
		    "Server to test instead of the captured one",
		    "HOST[:PORT]" },
		{ "source", 0, 0, G_OPTION_ARG_STRING, &o->source,
		    "Connect from this local address", "ADDR" },
		{ "ehlo", 0, 0, G_OPTION_ARG_STRING, &o->ehlo,
		    "Greet with this name instead of the captured one",
		    "NAME" },
		{ "mail-from", 0, 0, G_OPTION_ARG_STRING, &o->mail_from,
		    "Sender instead of the captured one (\"\" for <>)",
		    "ADDR" },
		{ "rcpt", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->rcpts,
		    "Recipient instead of the captured ones; repeatable",
		    "ADDR" },
		{ "send-data", 0, 0, G_OPTION_ARG_NONE, &o->send_data,
		    "Send a message if a recipient is accepted: a short one "
		    "marked as a relay test",
		    NULL },
		{ "original-body", 0, 0, G_OPTION_ARG_NONE, &o->original_body,
		    "With --send-data: send the captured message instead",
		    NULL },
		{ "starttls", 0, 0, G_OPTION_ARG_NONE, &o->starttls,
		    "Use STARTTLS (done anyway when the captured session "
		    "did)",
		    NULL },
		{ "tls-verify", 0, 0, G_OPTION_ARG_NONE, &o->tls_verify,
		    "Refuse a server certificate that does not verify (the "
		    "default with --auth-user)",
		    NULL },
		{ "tls-no-verify", 0, 0, G_OPTION_ARG_NONE, &o->tls_no_verify,
		    "With --auth-user: send the password even to a server "
		    "whose certificate does not verify",
		    NULL },
		{ "tls-ca", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_ca,
		    "Verify the certificate against the CA certificates in "
		    "this PEM file instead of the system's (implies "
		    "--tls-verify)",
		    "FILE" },
		{ "auth-user", 0, 0, G_OPTION_ARG_STRING, &o->auth_user,
		    "Authenticate (after STARTTLS) as this user", "NAME" },
		{ "auth-password-file", 0, 0, G_OPTION_ARG_FILENAME,
		    &o->auth_pw_file, "Read the password from this file",
		    "FILE" },
		{ "auth-password-env", 0, 0, G_OPTION_ARG_STRING,
		    &o->auth_pw_env,
		    "Take the password from this environment variable", "VAR" },
		{ "probe", 0, 0, G_OPTION_ARG_NONE, &o->probe,
		    "Also try the known relay tricks, one transaction each, "
		    "never DATA",
		    NULL },
		{ "connect-timeout", 0, 0, G_OPTION_ARG_INT,
		    &o->connect_timeout,
		    "Seconds to wait for the connection "
		    "(default 10)",
		    "S" },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &o->reply_timeout,
		    "Seconds to wait for each reply (default 30)", "S" },
		{ "deadline", 0, 0, G_OPTION_ARG_INT, &o->deadline,
		    "Seconds the whole exchange may take (default " G_STRINGIFY(
			REPLAY_DEFAULT_DEADLINE) ")",
		    "S" },
		{ "max-reply-lines", 0, 0, G_OPTION_ARG_INT,
		    &o->max_reply_lines,
		    "Lines a reply may have (default " G_STRINGIFY(
			REPLAY_DEFAULT_MAX_REPLY_LINES) ")",
		    "N" },
		{ "max-reply-bytes", 0, 0, G_OPTION_ARG_INT,
		    &o->max_reply_bytes,
		    "Bytes a reply may have (default " G_STRINGIFY(
			REPLAY_DEFAULT_MAX_REPLY_BYTES) ")",
		    "N" },
		{ "max-rcpts", 0, 0, G_OPTION_ARG_INT, &o->max_rcpts,
		    "Recipients sent at most; the rest are left out "
		    "(default " G_STRINGIFY(REPLAY_DEFAULT_MAX_RCPTS) ")",
		    "N" },
		{ "format", 'F', 0, G_OPTION_ARG_STRING, &format,
		    "text (default) or json", "FORMAT" },
		{ "ports", 'p', 0, G_OPTION_ARG_STRING, &ports,
		    "SMTP server ports in the capture "
		    "(default " RS_DEFAULT_PORTS ")",
		    "LIST" },
		{ "config", 0, 0, G_OPTION_ARG_FILENAME, &o->config,
		    "Relay policy, as for the analysis", "FILE" },
		{ "local-domains", 0, 0, G_OPTION_ARG_STRING, &o->local_domains,
		    "Local domains, as for the analysis", "LIST" },
		{ "trusted-nets", 0, 0, G_OPTION_ARG_STRING, &o->trusted_nets,
		    "Trusted client networks, as for the analysis", "LIST" },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest,
		    NULL, "FILE..." },
		G_OPTION_ENTRY_NULL
	};

	o->connect_timeout = 10;
	o->reply_timeout = 30;
	o->deadline = REPLAY_DEFAULT_DEADLINE;
	o->max_reply_lines = REPLAY_DEFAULT_MAX_REPLY_LINES;
	o->max_reply_bytes = REPLAY_DEFAULT_MAX_REPLY_BYTES;
	o->max_rcpts = REPLAY_DEFAULT_MAX_RCPTS;
	ctx = g_option_context_new("FILE --session ID");
	g_option_context_set_summary(ctx,
	    "Re-send a captured client's dialogue to the live server and "
	    "compare the replies: does it still relay, or still refuse?");
	g_option_context_set_description(ctx,
	    "Sends the greeting, MAIL FROM, every RCPT TO, RSET and QUIT; "
	    "never DATA without --send-data.  A server from the capture is "
	    "never this machine, nor on a port other than 25, 465, 587 or "
	    "2525: --target names any other.\nExit status: 0 a recipient "
	    "was accepted, 3 none was, 4 the server could not be reached, "
	    "the dialogue broke off or went over a limit, 2 usage error or "
	    "a refused target.\nSee docs/replay.md.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, error))
		return FALSE;
	o->files = options_files(rfiles, rest);
	if (o->files[0] == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "replay: give the capture file and --session ID");
		return FALSE;
	}
	if (o->session == NULL || strlen(o->session) < 4 ||
	    strspn(o->session, "0123456789abcdef") != strlen(o->session)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--session: give the session's id (at least 4 of its "
		    "hex digits)");
		return FALSE;
	}
	if (o->original_body && !o->send_data) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "--original-body needs --send-data");
		return FALSE;
	}
	if (o->auth_user != NULL &&
	    (o->auth_pw_file == NULL) == (o->auth_pw_env == NULL)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "--auth-user needs exactly one of --auth-password-file "
		    "and --auth-password-env (never a password on the command "
		    "line)");
		return FALSE;
	}
	if ((o->auth_pw_file != NULL || o->auth_pw_env != NULL) &&
	    o->auth_user == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "a password option needs --auth-user");
		return FALSE;
	}
	if (o->connect_timeout < 1 || o->connect_timeout > 600 ||
	    o->reply_timeout < 1 || o->reply_timeout > 3600) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--connect-timeout: 1-600 s, --timeout: 1-3600 s");
		return FALSE;
	}
	if (o->deadline < 1 || o->deadline > REPLAY_MAX_DEADLINE) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--deadline: 1-%d s", REPLAY_MAX_DEADLINE);
		return FALSE;
	}
	if (o->max_reply_lines < 1 ||
	    o->max_reply_lines > REPLAY_MAX_REPLY_LINES ||
	    o->max_reply_bytes < REPLAY_MIN_REPLY_BYTES ||
	    o->max_reply_bytes > REPLAY_MAX_REPLY_BYTES) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--max-reply-lines: 1-%d, --max-reply-bytes: %d-%d",
		    REPLAY_MAX_REPLY_LINES, REPLAY_MIN_REPLY_BYTES,
		    REPLAY_MAX_REPLY_BYTES);
		return FALSE;
	}
	if (o->max_rcpts < 1 || o->max_rcpts > REPLAY_MAX_RCPTS) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--max-rcpts: 1-%d", REPLAY_MAX_RCPTS);
		return FALSE;
	}
	if (o->tls_no_verify && (o->tls_verify || o->tls_ca != NULL)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "--tls-no-verify contradicts --tls-verify and --tls-ca");
		return FALSE;
	}
	if (o->source != NULL) {
		g_autoptr(GInetAddress) a =
		    g_inet_address_new_from_string(o->source);

		if (a == NULL) {
			g_set_error(error, G_OPTION_ERROR,
			    G_OPTION_ERROR_BAD_VALUE,
			    "--source: \"%s\" is not an IP address", o->source);
			return FALSE;
		}
	}
	if (!options_parse_format(format, &o->format, error))
		return FALSE;
	if (o->format == OUTPUT_ZEEK) {
		/* smtp.log has no fields for a replay's plan or result. */
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--format: replay writes text or json, not zeek");
		return FALSE;
	}
	return options_parse_ports(
	    ports != NULL ? ports : RS_DEFAULT_PORTS, o->ports, error);
}

static void
step_free(gpointer p)
{
	struct step *st = p;

	g_free(st->line);
	g_free(st->rcpt);
	smtp_reply_free(st->captured);
	smtp_reply_free(st->live);
	g_free(st);
}

static void
replay_clear(struct replay *r)
{
	struct ropts *o = &r->o;

	g_strfreev(o->files);
	g_free(o->session);
	g_free(o->target);
	g_free(o->source);
	g_free(o->ehlo);
	g_free(o->mail_from);
	g_strfreev(o->rcpts);
	g_free(o->auth_user);
	g_free(o->auth_pw_file);
	g_free(o->auth_pw_env);
	g_free(o->tls_ca);
	g_free(o->local_domains);
	g_free(o->trusted_nets);
	g_free(o->config);
	dialogue_free(r->cap);
	dialogue_free(r->live);
	dns_store_free(r->dns);
	relay_config_free(r->policy);
	onward_free(r->onward);
	g_free(r->helo_name);
	g_free(r->mail_from);
	if (r->rcpts != NULL)
		g_ptr_array_unref(r->rcpts);
	g_free(r->outside);
	g_free(r->target);
	g_free(r->target_text);
	g_free(r->local_ip);
	wipe(r->password);
	g_clear_object(&r->ca);
	g_list_free_full(r->addrs, g_object_unref);
	g_clear_object(&r->cancel);
	g_free(r->ended);
	if (r->io != NULL) {
		g_io_stream_close(r->io, NULL, NULL);
		g_object_unref(r->io);
	}
	if (r->conn != NULL)
		g_object_unref(r->conn);
	if (r->rx != NULL)
		g_byte_array_unref(r->rx);
	smtp_reply_asm_clear(&r->ra);
	smtp_reply_free(r->banner);
	if (r->steps != NULL)
		g_ptr_array_unref(r->steps);
	if (r->probe_results != NULL)
		g_ptr_array_unref(r->probe_results);
	g_free(r->failure);
}

int
replay_main(int argc, char **argv)
{
	static struct replay r;
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) pw_error = NULL;
	g_autofree char *out = NULL;
	const char *verdict;
	int status = REPLAY_EXIT_USAGE;

	if (!parse(&r, argc, argv, &error)) {
		log_warnx("%s", error->message);
		goto done;
	}
	if (!relay_config_load(r.o.config, r.o.local_domains, r.o.trusted_nets,
		&r.policy, &error)) {
		log_warnx("%s", error->message);
		goto done;
	}
	r.dns = dns_store_new();
	r.view.store[0] = r.dns;
	r.view.source[0] = "capture";
	r.view.n = 1;
	r.env.config = r.policy;
	r.env.dns = &r.view;
	r.env.window = (gint64)RS_DEFAULT_ONWARD_WINDOW * G_USEC_PER_SEC;
	r.onward = onward_new(r.env.window);
	r.env.onward = onward_lookup;
	r.env.onward_ctx = r.onward;
	if (r.o.tls_ca != NULL) {
		/* (GTlsFileDatabase takes absolute names only, and says of a
		 * file it cannot open only that reading failed.) */
		g_autofree char *ca = g_canonicalize_filename(r.o.tls_ca, NULL);
		int fd = open(ca, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			log_warnx(
			    "--tls-ca: %s: %s", r.o.tls_ca, g_strerror(errno));
			goto done;
		}
		close(fd);
		r.ca = g_tls_file_database_new(ca, &error);
		if (r.ca == NULL) {
			log_warnx(
			    "--tls-ca: %s: %s", r.o.tls_ca, error->message);
			goto done;
		}
	}
	/* The certificate must verify when asked to, and whenever a
	 * password goes to the server (unless --tls-no-verify). */
	r.tls_check = r.o.tls_verify || r.o.tls_ca != NULL ||
		      (r.o.auth_user != NULL && !r.o.tls_no_verify);
	/* The password and the CA file (above) are read before the
	 * capture, so that they stay readable where capture_run() gives
	 * up root's privileges once its input is open (-Z).  A problem
	 * with the password is told after those of the session, as a
	 * usage error. */
	if (r.o.auth_user != NULL)
		r.password = read_password(&r.o, &pw_error);
	if (!find_session(&r, &error) || !plan(&r, &error)) {
		log_warnx("%s", error->message);
		goto done;
	}
	/* Everything that can refuse is done before anything is sent: the
	 * password, then the target, whose name may take a DNS lookup. */
	if (pw_error != NULL) {
		log_warnx("%s", pw_error->message);
		goto done;
	}
	r.cancel = g_cancellable_new();
	r.rx = g_byte_array_new();
	r.steps = g_ptr_array_new_with_free_func(step_free);
	deadline_start(&r);
	if (!target_check(&r, &error)) {
		log_warnx("%s", error->message);
		goto done;
	}
	if (r.o.auth_user != NULL && r.o.tls_no_verify)
		log_warnx("warning: --tls-no-verify: the password of %s may go "
			  "to a server whose certificate does not verify",
		    r.o.auth_user);
	relay_annotate(&r.env, r.cap);
	out = r.o.format == OUTPUT_JSON ? plan_json(&r) : plan_text(&r);
	fputs(out, stdout);
	fflush(stdout);
	g_clear_pointer(&out, g_free);

	converse(&r);
	deadline_stop(&r);
	build_live(&r);
	verdict = overall(&r, &status);
	out = r.o.format == OUTPUT_JSON ? result_json(&r, verdict)
					: result_text(&r, verdict);
	fputs(out, stdout);
	fflush(stdout);
	if (r.failure != NULL)
		log_warnx("replay: %s", r.failure);
done:
	deadline_stop(&r);
	replay_clear(&r);
	return status;
}
