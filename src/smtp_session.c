/* SPDX-License-Identifier: GPL-2.0-or-later */
/* smtp_session.c: the SMTP dialogue machine, both directions.
 *
 * RFC 5321 §3 (transactions), §4.1.1 (commands), §4.2 (replies), §4.1.4
 * (command order), §4.5.2 (dot-stuffing); RFC 2920 (pipelining); RFC 3030
 * (BDAT/CHUNKING); RFC 3207 (STARTTLS); RFC 4954 (AUTH); RFC 4616 (PLAIN).
 *
 * Client commands are queued as they are seen and each complete server
 * reply answers the oldest queued command, which is how pipelined batches
 * pair up.  What client bytes mean after DATA, STARTTLS and AUTH depends
 * on the server's answer (354, 220, 334), so client bytes that arrive
 * before that answer are held (bounded) and read once it is known.  BDAT
 * chunks are length-prefixed and read at once, as servers must (RFC 3030
 * §3).  Message bodies are counted and read for their MIME structure as
 * they pass (mime.h), never kept (but for replay, and --extract's files).
 *
 * Capture loss and mid-stream pickup (docs/architecture.md): a hole in one
 * direction arrives as smtp_session_gap().  A hole in the client's
 * commands leaves a marker in the queue of commands awaiting replies: the
 * replies that reach it answer commands that were lost, unless their code
 * fits the next visible command, which is then paired and marked
 * uncertain.  A hole in the server's replies takes every command then
 * waiting: their replies are marked lost.  After either, lines are
 * dropped until one is recognisable.  A session picked up mid-stream
 * starts with the marker and in that state; a 220 before any command
 * shows it was picked up at the start after all, and a 220 after commands
 * that none of them can take is the greeting of an early talker whose
 * burst the capture started inside (pickup_greeting).
 *
 * Clients that do not wait: the first reply is the greeting, whenever the
 * client spoke; commands sent before it are early talk.  A line end or
 * final reply line the server left out is found where a new reply begins
 * right after a command (cut_mark); failing that, a reply whose code
 * names a later command shows the replies out of step (skip_out_of_step).
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "budget.h"
#include "log.h"
#include "proxy.h"
#include "extract.h"
#include "mime.h"
#include "smtp_session.h"
#include "tls.h"

#define SMTP_STATE_LIST(X)                                                     \
	X(COMMAND) /* reading command lines */                                 \
	X(WAIT)	   /* client bytes held until a reply decides */               \
	X(DATA)	   /* DATA body lines up to "." */                             \
	X(BDAT)	   /* BDAT chunk bytes */                                      \
	X(AUTH)	   /* AUTH responses (RFC 4954 §4) */                         \
	X(TLS)	   /* after STARTTLS: opaque */

enum smtp_state {
#define SMTP_STATE_ENUM(s) SMTP_STATE_##s,
	SMTP_STATE_LIST(SMTP_STATE_ENUM)
#undef SMTP_STATE_ENUM
};

/* DATA body scanner: line boundaries without keeping the lines. */
struct body_scan {
	uint64_t bytes; /* body bytes, dot-stuffing undone */
	uint64_t lines;
	size_t line_len; /* bytes of the current line so far */
	char first[2];	 /* its first two bytes */
	char last;	 /* its last byte so far */
	char before;	 /* and the one before it */
	bool prev_crlf;	 /* the previous line ended with CRLF */
	unsigned cr_dot; /* inside the line: 1 a CR was the last byte seen,
			  * 2 a CR and a dot were */
};

/* Header scanner: the Message-ID of each message (RFC 5322 §3.6.4), read
 * from the header section as it passes, up to its blank line or
 * SMTP_HEADER_MAX bytes; fields unfold over continuation lines. */
#define SMTP_HEADER_MAX (64 * 1024)
/* Masked client texts kept to mask their echo in replies: how many, and
 * the shortest run of one that is masked where a reply repeats it. */
#define SMTP_ECHO_MAX 8
#define SMTP_ECHO_MIN 6
/* What one costs at most (a GBytes and its copy of a cut line). */
#define SECRET_COST (LINEBUF_MAX + 96)
#define SMTP_FIELD_MAX 998 /* RFC 5322 §2.1.1 */

struct header_scan {
	bool done;    /* past the header section */
	size_t bytes; /* header bytes so far */
	char line[SMTP_FIELD_MAX + 1];
	size_t len; /* of the physical line so far (cut at the limit) */
	bool in_msgid;
	char msgid[SMTP_FIELD_MAX + 1];
	size_t msgid_len;
	bool in_kept; /* a field kept in dlg_data.headers (kept_field()) */
	char kept[SMTP_FIELD_MAX + 1];
	size_t kept_len;
};

/* A message as the server received it, read as it passes: DATA's
 * dot-stuffing undone and its end-of-data line gone, BDAT chunks joined;
 * to the MIME scanner (mime.h) and, with --extract, to a file
 * (extract.h). */
struct msg_feed {
	struct dlg_data *dd; /* NULL once it is freed (dlg_data.feed) */
	bool bol;	     /* at a line start (after an LF) */
	bool dot;	     /* a line-start dot was just taken away */
	unsigned held;	     /* after it, 1: a CR held, 2: CR LF held (the
			      * end-of-data line, if the body ends there) */
	struct mime_scan *mime;
	struct extract_file *eml;
	const struct extract_opts *xo;
	/* Suricata's email.body_md5: the body after the header as sent
	 * (dot-stuffing kept), up to the end-of-data line; its last 3 bytes
	 * held back while they may be that line. */
	GChecksum *body_md5;
	int raw_state; /* 0 header line start, 1 in a line, 2 CR at a line
			* start, 3 the body */
	char tail[3];
	size_t tail_len;
};

static void msg_feed_end(struct smtp_session *ss);
static void msg_feed(struct smtp_session *ss, struct dlg_data *dd,
    const char *p, size_t n, bool stuffed, bool ended, gint64 ts);
static size_t msg_feed_mem(const struct msg_feed *mf);

/* The header fields kept for the forensic record (message.h). */
static bool
kept_field(const char *l, size_t n)
{
	static const char *const names[] = { "from:", "sender:", "to:", "cc:",
		"reply-to:", "subject:", "date:", "in-reply-to:", "references:",
		"x-mailer:", "user-agent:", "x-originating-ip:", "received:",
		"authentication-results:" };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		size_t k = strlen(names[i]);

		if (n >= k && g_ascii_strncasecmp(l, names[i], k) == 0)
			return true;
	}
	return false;
}

struct smtp_session {
	struct dialogue *d;
	enum smtp_state state;
	struct linebuf cl, sl;	    /* client, server line framers */
	struct smtp_reply_asm ra;   /* multi-line reply in progress */
	GQueue pending;		    /* struct dlg_item *, awaiting reply */
	unsigned pending_sync;	    /* of them, must-be-last commands */
	struct dlg_item *wait_item; /* its reply decides the client mode */
	GByteArray *hold;	    /* client bytes held while waiting */
	gint64 hold_ts;
	size_t hold_early;     /* of them, those sent before the greeting */
	bool early_feed;       /* reading those: its commands are early talk */
	struct dlg_tx *tx;     /* open transaction (NULL if frozen) */
	bool tx_open;	       /* a transaction is open */
	unsigned tx_rcpts;     /* RCPTs in the open transaction */
	struct dlg_data *data; /* DATA/BDAT being received */
	struct body_scan body;
	/* Allocated only while a header section is read (it is 2 KiB). */
	struct header_scan *hs;
	const struct dlg_data *hs_dd; /* the message it reads or read */
	uint64_t bdat_left;	      /* chunk bytes still to come */
	struct dlg_item *bdat_item;   /* the BDAT they belong to */
	char *auth_mech;	      /* mechanism of the AUTH in progress */
	bool auth_ir;		      /* it had an initial response */
	unsigned auth_step;	      /* responses sent in it */
	/* The AUTH exchange as the client's own bytes show it, whatever the
	 * replies were paired with: from AUTH until a line that is a valid
	 * command after the exchange was answered, every line is masked. */
	bool auth_exch;
	bool auth_answered; /* a reply other than 334 came since AUTH (or
			     * the replies went through a hole) */
	/* The last SMTP_ECHO_MAX masked client texts (GBytes *), so that a
	 * server echoing them back ("500 Command unrecognized: "...") has
	 * them masked too; never output, wiped when freed. */
	GPtrArray *secrets;
	bool banner_seen, quit_seen, server_tls;
	bool tls_lost; /* a hole or a pickup inside TLS: the handshake is
			* no longer read (its bytes are only counted) */
	/* A side's first bytes while they may begin TLS (0x16): held until
	 * there are enough to tell (tls_prefix_want()), whatever the split. */
	uint8_t tls_prefix[2][11];
	uint8_t tls_prefix_len[2];
	/* Each side's first five TLS bytes: a record header, or not. */
	uint8_t tls_head[2][5];
	uint8_t tls_head_len[2];
	bool tls_head_done[2];
	/* The client's first bytes while they may be a proxy's preamble;
	 * then the bytes of each side that were the preamble's. */
	uint8_t *proxy_prefix; /* PROXY_PREFIX_MAX, while held */
	uint16_t proxy_prefix_len;
	bool proxy_checked;
	uint64_t pre_bytes[2];
	struct dlg_item *helo_ok; /* the last HELO/EHLO the server accepted */
	size_t keep_max;     /* keep message bodies up to this size; 0: never */
	struct msg_feed *mf; /* the message being read (msg_feed_begin()) */
	const struct extract_opts *extract; /* --extract, or NULL */
	/* Capture loss and pickup. */
	bool resync[2];	      /* drop lines until a recognisable one */
	bool marker;	      /* lost_marker is in the pending queue */
	bool tx_unknown;      /* commands were lost: the transaction state is
			       * not known until MAIL, RSET, HELO or the end
			       * of a message */
	bool midstream;	      /* picked up after the start */
	bool server_gap;      /* replies were lost: a reply without command
			       * may belong to one given up on */
	bool wait_lost;	      /* the reply wait_item waits for was lost */
	bool client_spoke;    /* a client line was seen */
	bool marker_answered; /* a reply went to the marker */
	bool tx_finished;     /* the open transaction's DATA was refused:
			       * nothing more belongs to it */
	bool pair_uncertain;  /* pair as uncertain until nothing waits */
	bool no_replies;      /* nothing of the server is in the capture */
	bool no_commands;     /* nothing of the client is */
	bool body_hole;	      /* the last client bytes were a hole in a
			       * message */
	/* After a hole in the replies: the commands that were waiting, and
	 * the replies read right after the hole, paired from the end once
	 * read (gap_settle). */
	GQueue orphans;
	GPtrArray *deferred; /* struct deferred_reply * */
	bool deferring;
	/* Picked up inside an early talker's burst, the greeting seen: the
	 * replies are deferred the same way until one names the newest
	 * waiting command (pickup_greeting). */
	bool pickup;
	uint64_t hold_gap; /* a client hole before the held bytes */
	bool body_resync;  /* a hole in a message, and no replies to tell
			    * where it ended: read it by lines */
	/* A server line or reply the server left without its end (see
	 * cut_mark): a command came while a reply line was in progress
	 * (cut_line) or after the last line of an open multi-line reply
	 * (cut_reply); what the server sends next tells. */
	bool cut_line, cut_reply;
	char cut_peek[4]; /* the server's bytes after the command, so far */
	size_t cut_peek_len;
	guint cut_at;		   /* commands waiting before that command */
	bool greeting_cut;	   /* the greeting is being ended at the cut */
	bool last_reply_line;	   /* the last server line was a reply line */
	bool ra_unterminated;	   /* the open reply has a line without end */
	struct dlg_item *cut_item; /* the command sent then, if its being
				    * pipelined depends on it */
	unsigned cut_why;	   /* its PIPE_* bits */
	gint64 sl_ts;		   /* when the partial server line last grew */
	gint64 ra_ts;		   /* when the open reply's last line came */
	/* Memory (budget.h): what the machine itself holds, as last
	 * charged, and the parts counted as they change. */
	size_t mem;
	size_t deferred_bytes, secrets_bytes;
};

struct deferred_reply {
	struct smtp_reply *r;
	gint64 ts;
};

/* Stands in the pending queue for commands lost in a capture gap (or sent
 * before a mid-stream pickup): never freed, never kept. */
static struct dlg_item lost_marker;

static const char *smtp_state_name(enum smtp_state s);
static void tls_implicit(struct smtp_session *ss);
static bool tls_may_begin(const struct smtp_session *ss, enum smtp_dir dir);
static size_t tls_prefix_want(enum smtp_dir dir);
static void tls_prefix_decide(
    struct smtp_session *ss, enum smtp_dir dir, gint64 ts);
static void smtp_enter_state(struct smtp_session *ss, enum smtp_state s);
static void client_bytes(
    struct smtp_session *ss, const char *p, size_t n, gint64 ts);
static void server_bytes(
    struct smtp_session *ss, const char *p, size_t n, gint64 ts);
static void client_line(
    struct smtp_session *ss, struct strview line, unsigned flags, gint64 ts);
static void server_line(
    struct smtp_session *ss, struct strview line, unsigned flags, gint64 ts);
static void server_reply(
    struct smtp_session *ss, struct smtp_reply *r, gint64 ts);
static void cut_mark(struct smtp_session *ss);
static bool cut_peek(
    struct smtp_session *ss, const char **p, size_t *n, gint64 ts);
static void cut_decide(struct smtp_session *ss, bool cut, gint64 ts);
static bool reply_cut_here(
    struct smtp_session *ss, const struct smtp_reply_line *rl);
static bool must_wait(enum smtp_cmd_id id);
static bool reply_fits(enum smtp_cmd_id cmd, const struct smtp_reply *r);
static void wait_resolve(struct smtp_session *ss, const struct dlg_item *it);
static void gap_settle(struct smtp_session *ss);
static bool is_auth_response(struct strview line);
static void end_of_data_unseen(struct smtp_session *ss, gint64 ts);
static void body_resync_line(
    struct smtp_session *ss, struct strview line, unsigned flags, gint64 ts);
static void client_gap(struct smtp_session *ss, uint64_t len);
static void wait_resolve_code(struct smtp_session *ss, int code);
static bool wait_guess(struct smtp_session *ss);
static bool resync_client(
    struct smtp_session *ss, struct strview line, gint64 ts);
static void reply_not_captured(
    struct smtp_session *ss, struct smtp_reply *r, gint64 ts);
static void header_scan(struct smtp_session *ss, struct dlg_data *dd,
    const char *p, size_t n, bool stuffed);
static void keep_body(struct smtp_session *ss, struct dlg_data *dd,
    const char *p, size_t n, bool ended);
static size_t body_scan(
    struct smtp_session *ss, const char *p, size_t n, gint64 ts);
static void cr_dot_scan(struct smtp_session *ss, const char *p, size_t n);
static void tx_close(struct smtp_session *ss);
static void replies_settle(struct smtp_session *ss, bool anchored);
static bool names_newest(
    const struct smtp_session *ss, const struct smtp_reply *r);
static bool pickup_greeting(const struct smtp_session *ss);
static void pickup_start(
    struct smtp_session *ss, struct smtp_reply *r, gint64 ts);
static void skip_out_of_step(
    struct smtp_session *ss, const struct smtp_reply *r);
static bool reply_names_command(const struct smtp_reply *r);
static void auth_credentials(
    struct smtp_session *ss, struct strview b64, bool initial);

static const char *
smtp_state_name(enum smtp_state s)
{
#define CASE(x)                                                                \
	case SMTP_STATE_##x:                                                   \
		return "SMTP_STATE_" #x;
	switch (s) {
		SMTP_STATE_LIST(CASE)
	}
#undef CASE
	return "SMTP_STATE_???";
}

/* The only place that changes ss->state. */
static void
smtp_enter_state(struct smtp_session *ss, enum smtp_state s)
{
	if (log_debug_enabled())
		log_debug("smtp: %p: %s -> %s", (void *)ss,
		    smtp_state_name(ss->state), smtp_state_name(s));
	ss->state = s;
}

struct smtp_session *
smtp_session_new(void)
{
	struct smtp_session *ss;

	ss = g_new0(struct smtp_session, 1);
	ss->d = dialogue_new();
	ss->state = SMTP_STATE_COMMAND;
	linebuf_init(&ss->cl);
	linebuf_init(&ss->sl);
	g_queue_init(&ss->pending);
	g_queue_init(&ss->orphans);
	ss->deferred = g_ptr_array_new();
	return ss;
}

struct dialogue *
smtp_session_dialogue(struct smtp_session *ss)
{
	return ss->d;
}

static void
pending_free(gpointer p)
{
	struct dlg_item *it = p;

	if (it != &lost_marker && !it->retained)
		dlg_item_free(it);
}

/* Commands awaiting a reply, the marker not counted. */
static guint
pending_count(const struct smtp_session *ss)
{
	return g_queue_get_length((GQueue *)&ss->pending) -
	       (ss->marker ? 1 : 0);
}

static void
tx_touch(struct dlg_tx *tx)
{
	if (tx != NULL)
		tx->gap = true;
}

/* Is the greeting still to come, so that what the client sends now is
 * early talk?  Not known in a session picked up mid-stream (the greeting
 * may have gone before), nor without the server in the capture. */
static bool
greeting_awaited(const struct smtp_session *ss)
{
	return !ss->banner_seen && !ss->midstream && !ss->no_replies;
}

/* The oldest command waiting for a reply (not the marker), or NULL. */
static struct dlg_item *
oldest_waiting(const struct smtp_session *ss)
{
	GList *l;

	for (l = ss->pending.head; l != NULL; l = l->next)
		if (l->data != &lost_marker)
			return l->data;
	return NULL;
}

/* The greeting, kept where it came: before the commands the client sent
 * without waiting for it, so that the replies that answer them follow
 * it. */
static void
greeting_keep(struct smtp_session *ss, struct smtp_reply *r, gint64 ts)
{
	struct dlg_item *it;

	it = dlg_item_new(DLG_ITEM_BANNER, SMTP_CMD_UNKNOWN, NULL, 0, ts);
	it->reply = r;
	it->reply_ts = ts;
	if (dialogue_keep_before(ss->d, it, oldest_waiting(ss)))
		ss->d->banner = it;
	else
		dlg_item_free(it);
}

/* The waiting commands from the from-th on (the marker not counted) are
 * not known to have been sent before the greeting: it ended before them
 * (a cut, see cut_mark), or a hole in the replies may have held it. */
static void
pending_unmark_early(struct smtp_session *ss, guint from)
{
	GList *l;

	for (l = ss->pending.head; l != NULL; l = l->next) {
		struct dlg_item *it = l->data;

		if (it == &lost_marker)
			continue;
		if (from > 0)
			from--;
		else
			it->flags &= ~(unsigned)DLG_F_EARLY;
	}
}

/* The greeting came (or the session ended without one): the waiting
 * commands still marked as sent before it were early talk (RFC 5321
 * §3.1: the client waits for the greeting). */
static void
early_count(struct smtp_session *ss)
{
	GList *l;

	for (l = ss->pending.head; l != NULL; l = l->next) {
		const struct dlg_item *it = l->data;

		if (it != &lost_marker && (it->flags & DLG_F_EARLY))
			dialogue_anomaly(ss->d, ANOMALY_EARLY_TALKER);
	}
}

void
smtp_session_free(struct smtp_session *ss)
{
	if (ss == NULL)
		return;
	if (ss->d != NULL) {
		/* Not finished: nothing of it is reported, nor kept. */
		msg_feed_end(ss);
		if (ss->extract != NULL)
			extract_discard(ss->extract, ss->d);
	}
	g_queue_clear_full(&ss->pending, pending_free);
	g_queue_clear_full(&ss->orphans, pending_free);
	for (guint i = 0; i < ss->deferred->len; i++) {
		struct deferred_reply *x = g_ptr_array_index(ss->deferred, i);

		smtp_reply_free(x->r);
		g_free(x);
	}
	g_ptr_array_unref(ss->deferred);
	linebuf_clear(&ss->cl);
	linebuf_clear(&ss->sl);
	smtp_reply_asm_clear(&ss->ra);
	if (ss->hold != NULL)
		g_byte_array_unref(ss->hold);
	g_free(ss->auth_mech);
	g_free(ss->hs);
	g_free(ss->proxy_prefix);
	if (ss->secrets != NULL)
		g_ptr_array_unref(ss->secrets);
	budget_release(BUDGET_MACHINES, ss->mem);
	dialogue_free(ss->d);
	g_free(ss);
}

/* Client bytes held while they may begin a proxy's preamble, at most. */
#define PROXY_PREFIX_MAX 512u

/* GLib blocks from its slice allocator, as allocated: a GList link, the
 * head of a GByteArray or GString. */
#define SLICE_LINK 32
#define SLICE_HEAD 32

/* An item waiting for its reply that the dialogue did not keep. */
#define UNKEPT_ITEM (sizeof(struct dlg_item) + 16)

/* What the machine holds besides the dialogue, charged to the budget. */
static void
machine_recharge(struct smtp_session *ss)
{
	size_t n =
	    budget_bytes(sizeof *ss) + budget_bytes(ss->cl.cap) +
	    budget_bytes(ss->sl.cap) +
	    (ss->hs != NULL ? budget_bytes(sizeof *ss->hs) : 0) +
	    msg_feed_mem(ss->mf) + ss->deferred_bytes + ss->secrets_bytes +
	    (ss->d->tls != NULL ? tls_conn_mem(ss->d->tls) : 0) +
	    (ss->d->proxy != NULL ? proxy_conn_mem(ss->d->proxy) : 0) +
	    (ss->proxy_prefix != NULL ? budget_bytes(PROXY_PREFIX_MAX) : 0);
	guint waiting =
	    g_queue_get_length(&ss->pending) + g_queue_get_length(&ss->orphans);

	if (ss->hold != NULL)
		n += SLICE_HEAD + budget_grown(ss->hold->len);
	if (ss->ra.text != NULL)
		n += SLICE_HEAD + budget_bytes(ss->ra.text->allocated_len);
	/* Items the dialogue did not keep are the queues' (small: their
	 * lines are not kept either). */
	n += waiting * SLICE_LINK;
	if (ss->d->frozen)
		n += waiting * UNKEPT_ITEM;
	budget_recharge(BUDGET_MACHINES, &ss->mem, n);
}

/* SMTP bytes of the session (through a proxy: of its tunnel). */
static void
push_smtp(struct smtp_session *ss, enum smtp_dir dir, const char *data,
    size_t len, gint64 ts)
{
	if (len > 0 &&
	    (ss->tls_prefix_len[dir] > 0 ||
		((uint8_t)data[0] == 0x16 && tls_may_begin(ss, dir)))) {
		size_t want = tls_prefix_want(dir);
		size_t take = MIN(want - ss->tls_prefix_len[dir], len);

		if (dir == SMTP_DIR_CLIENT)
			gap_settle(ss);
		memcpy(
		    ss->tls_prefix[dir] + ss->tls_prefix_len[dir], data, take);
		ss->tls_prefix_len[dir] =
		    (uint8_t)(ss->tls_prefix_len[dir] + take);
		if (dir == SMTP_DIR_CLIENT)
			ss->d->bytes_client += take;
		else
			ss->d->bytes_server += take;
		data += take;
		len -= take;
		if (ss->tls_prefix_len[dir] < want) {
			machine_recharge(ss);
			return;
		}
		tls_prefix_decide(ss, dir, ts);
		if (len == 0) {
			machine_recharge(ss);
			return;
		}
	}
	if (dir == SMTP_DIR_CLIENT) {
		/* The client sent more: it had the replies it waited for;
		 * not so an early talker. */
		if (!ss->pickup)
			gap_settle(ss);
		if (memchr(data, '\n', len) != NULL)
			cut_mark(ss);
		ss->d->bytes_client += len;
		ss->body_hole = false;
		client_bytes(ss, data, len, ts);
	} else {
		ss->d->bytes_server += len;
		server_bytes(ss, data, len, ts);
	}
	machine_recharge(ss);
}

/* ---- proxies (proxy.h): the tunnel's SMTP is the session ---- */

/* Bytes of a side: through the proxy's preamble first, if there is one;
 * what it leaves is the tunnel's. */
static void
push_tunnel(struct smtp_session *ss, enum smtp_dir dir, const char *data,
    size_t len, gint64 ts)
{
	if (ss->d->proxy != NULL && len > 0) {
		size_t pre = proxy_conn_push(ss->d->proxy,
		    dir == SMTP_DIR_SERVER, (const uint8_t *)data, len);

		ss->pre_bytes[dir] += pre;
		if (dir == SMTP_DIR_CLIENT)
			ss->d->bytes_client += pre;
		else
			ss->d->bytes_server += pre;
		data += pre;
		len -= pre;
		if (len == 0) {
			machine_recharge(ss);
			return;
		}
	}
	push_smtp(ss, dir, data, len, ts);
}

/* The client's first bytes, held while they may be a proxy's preamble
 * (proxy_sniff() says PROXY_MAYBE), then read as what they are. */
static void
proxy_prefix_decide(struct smtp_session *ss, gint64 ts)
{
	enum proxy_kind k;
	size_t n = ss->proxy_prefix_len;

	ss->proxy_checked = true;
	if (n == 0)
		return;
	k = proxy_sniff(ss->proxy_prefix, n);
	if (k == PROXY_HTTP || k == PROXY_SOCKS4 || k == PROXY_SOCKS5)
		ss->d->proxy = proxy_conn_new(k);
	ss->proxy_prefix_len = 0;
	push_tunnel(ss, SMTP_DIR_CLIENT, (const char *)ss->proxy_prefix, n, ts);
	g_free(ss->proxy_prefix);
	ss->proxy_prefix = NULL;
}

/* A hole, or the end: the first bytes held while they might begin a
 * proxy's preamble or TLS are read as what they look like now. */
static void
prefixes_settle(struct smtp_session *ss, gint64 ts)
{
	if (!ss->proxy_checked)
		proxy_prefix_decide(ss, ts);
	tls_prefix_decide(ss, SMTP_DIR_CLIENT, ts);
	tls_prefix_decide(ss, SMTP_DIR_SERVER, ts);
}

void
smtp_session_push(struct smtp_session *ss, enum smtp_dir dir, const char *data,
    size_t len, gint64 ts)
{
	if (!ss->proxy_checked && dir == SMTP_DIR_SERVER)
		proxy_prefix_decide(ss, ts); /* the server spoke: no proxy */
	if (!ss->proxy_checked && len > 0) {
		size_t take;
		enum proxy_kind k;

		if (ss->midstream || ss->d->bytes_server > 0 ||
		    ss->d->bytes_client > 0 || ss->state != SMTP_STATE_COMMAND)
			ss->proxy_checked = true;
		else if (ss->proxy_prefix == NULL &&
			 (k = proxy_sniff((const uint8_t *)data, len)) !=
			     PROXY_MAYBE) {
			/* Decided by the first bytes at once (the common
			 * case: nothing is held). */
			ss->proxy_checked = true;
			if (k == PROXY_HTTP || k == PROXY_SOCKS4 ||
			    k == PROXY_SOCKS5)
				ss->d->proxy = proxy_conn_new(k);
		} else {
			if (ss->proxy_prefix == NULL)
				ss->proxy_prefix = g_malloc(PROXY_PREFIX_MAX);
			take =
			    MIN(PROXY_PREFIX_MAX - ss->proxy_prefix_len, len);
			memcpy(ss->proxy_prefix + ss->proxy_prefix_len, data,
			    take);
			ss->proxy_prefix_len += (uint16_t)take;
			data += take;
			len -= take;
			if (proxy_sniff(ss->proxy_prefix,
				ss->proxy_prefix_len) == PROXY_MAYBE &&
			    ss->proxy_prefix_len < PROXY_PREFIX_MAX) {
				machine_recharge(ss);
				return;
			}
			proxy_prefix_decide(ss, ts);
		}
	}
	push_tunnel(ss, dir, data, len, ts);
}

/* ---- TLS (tls.h): described from its cleartext handshake ---- */

/* A connection whose client begins with a ClientHello (or whose server
 * begins with a TLS record): SMTP over TLS from the first byte (RFC
 * 8314), nothing of it readable as SMTP. */
static void
tls_implicit(struct smtp_session *ss)
{
	ss->d->tls_mode = DLG_TLS_IMPLICIT;
	ss->d->tls_started = true;
	if (ss->banner_seen || ss->d->bytes_server > 0) {
		/* The server greeted in plaintext first, and the client
		 * began TLS anyway: the server's side stays SMTP. */
		ss->d->tls_server_plaintext = true;
		dialogue_anomaly(ss->d, ANOMALY_TLS_TO_PLAINTEXT_SERVER);
	} else {
		ss->server_tls = true;
		ss->banner_seen = true; /* no greeting in clear */
	}
	smtp_enter_state(ss, SMTP_STATE_TLS);
}

/* May a side's first bytes begin TLS?  Before anything else was read
 * of the session (the server's: before the client's, too: a one-sided
 * capture of a server that speaks TLS at once). */
static bool
tls_may_begin(const struct smtp_session *ss, enum smtp_dir dir)
{
	if (ss->midstream || ss->server_tls ||
	    ss->state != SMTP_STATE_COMMAND ||
	    ss->d->bytes_client > ss->pre_bytes[SMTP_DIR_CLIENT])
		return false;
	/* A client's ClientHello also after a plaintext greeting: it
	 * speaks TLS at once whatever the server said. */
	return dir == SMTP_DIR_CLIENT ||
	       (!ss->banner_seen &&
		   ss->d->bytes_server == ss->pre_bytes[SMTP_DIR_SERVER]);
}

/* How many first bytes tell: a ClientHello's record and handshake
 * headers up to its version (tls_sniff_client_hello()); a TLS record
 * header's type and version from a server. */
static size_t
tls_prefix_want(enum smtp_dir dir)
{
	return dir == SMTP_DIR_CLIENT ? 11 : 3;
}

/* The held first bytes of a side: TLS or not, then read as such. */
static void
tls_prefix_decide(struct smtp_session *ss, enum smtp_dir dir, gint64 ts)
{
	uint8_t p[sizeof ss->tls_prefix[0]];
	size_t n = ss->tls_prefix_len[dir];
	bool tls;

	if (n == 0)
		return;
	memcpy(p, ss->tls_prefix[dir], n);
	ss->tls_prefix_len[dir] = 0;
	if (dir == SMTP_DIR_CLIENT)
		tls = tls_sniff_client_hello(p, n);
	else
		tls = n >= 3 && p[0] == 0x16 && p[1] == 3 && p[2] <= 4;
	if (tls && !ss->server_tls)
		tls_implicit(ss);
	if (dir == SMTP_DIR_CLIENT)
		client_bytes(ss, (const char *)p, n, ts);
	else
		server_bytes(ss, (const char *)p, n, ts);
}

/* TLS bytes of one side.  False when they turn out not to be TLS after
 * a 220 to STARTTLS (a capture behind a TLS-terminating proxy, or one
 * already decrypted): both sides are read as SMTP again, from these
 * bytes on, and the record says starttls-plaintext. */
/* A TLS record header (RFC 8446 §5.1): content type 20-23, version 3.x
 * (x at most 4), a length a record may have. */
static bool
tls_record_header(const uint8_t *h)
{
	size_t len = (size_t)h[3] << 8 | h[4];

	return h[0] >= 20 && h[0] <= 23 && h[1] == 3 && h[2] <= 4 && len > 0 &&
	       len <= 16384 + 2048;
}

/* The bytes of a side that were taken for TLS and are not: after a 220
 * to STARTTLS (a capture behind a TLS-terminating proxy, or one already
 * decrypted), both sides are SMTP again and the record says
 * starttls-plaintext; a server answering a ClientHello in plaintext is
 * read as SMTP on its side (tls-to-plaintext-server). */
static void
tls_not_tls(struct smtp_session *ss)
{
	if (ss->d->tls_mode == DLG_TLS_IMPLICIT) {
		ss->d->tls_server_plaintext = true;
		dialogue_anomaly(ss->d, ANOMALY_TLS_TO_PLAINTEXT_SERVER);
		ss->server_tls = false;
		ss->banner_seen = false;
		return;
	}
	dialogue_anomaly(ss->d, ANOMALY_STARTTLS_PLAINTEXT);
	tls_conn_free(ss->d->tls);
	ss->d->tls = NULL;
	ss->d->tls_plaintext = true;
	ss->tls_lost = true; /* nothing more to read as TLS */
	ss->server_tls = false;
	if (ss->state == SMTP_STATE_TLS)
		smtp_enter_state(ss, SMTP_STATE_COMMAND);
}

/* TLS bytes of one side.  A side's first five bytes decide, whatever
 * the split: a TLS record header, or SMTP after all (tls_not_tls(); the
 * five are then read as SMTP here and false returned, with *used the
 * bytes of p taken: the caller reads the rest as SMTP). */
static bool
tls_read(struct smtp_session *ss, bool from_server, const char *p, size_t n,
    gint64 ts, size_t *used)
{
	int dir = from_server ? SMTP_DIR_SERVER : SMTP_DIR_CLIENT;
	uint64_t *count =
	    from_server ? &ss->d->tls_bytes_server : &ss->d->tls_bytes_client;
	uint8_t head[5];

	*used = n;
	if (ss->tls_lost) {
		*count += n;
		return true;
	}
	if (ss->d->tls == NULL)
		ss->d->tls = tls_conn_new();
	if (!ss->tls_head_done[dir]) {
		size_t take = MIN(sizeof head - ss->tls_head_len[dir], n);

		memcpy(ss->tls_head[dir] + ss->tls_head_len[dir], p, take);
		ss->tls_head_len[dir] = (uint8_t)(ss->tls_head_len[dir] + take);
		if (ss->tls_head_len[dir] < sizeof head)
			return true;
		ss->tls_head_done[dir] = true;
		memcpy(head, ss->tls_head[dir], sizeof head);
		ss->tls_head_len[dir] = 0;
		if (!tls_record_header(head) &&
		    (ss->d->tls_mode != DLG_TLS_IMPLICIT || from_server)) {
			*used = take;
			tls_not_tls(ss);
			if (from_server)
				server_bytes(
				    ss, (const char *)head, sizeof head, ts);
			else
				client_bytes(
				    ss, (const char *)head, sizeof head, ts);
			return false;
		}
		*count += sizeof head;
		tls_conn_push(ss->d->tls, from_server, head, sizeof head);
		p += take;
		n -= take;
		if (n == 0)
			return true;
	}
	*count += n;
	tls_conn_push(ss->d->tls, from_server, (const uint8_t *)p, n);
	return true;
}

/* A hole, or the end: the first bytes of a side held to tell TLS from
 * SMTP are counted as TLS (nothing more will tell). */
static void
tls_head_settle(struct smtp_session *ss)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (ss->tls_head_len[i] == 0)
			continue;
		if (i == SMTP_DIR_SERVER)
			ss->d->tls_bytes_server += ss->tls_head_len[i];
		else
			ss->d->tls_bytes_client += ss->tls_head_len[i];
		ss->tls_head_len[i] = 0;
	}
}

/* ---- client side ---- */

static void
hold_bytes(struct smtp_session *ss, const char *p, size_t n, gint64 ts)
{
	if (ss->hold == NULL)
		ss->hold = g_byte_array_new();
	if (ss->hold->len + n <= SMTP_HOLD_MAX) {
		g_byte_array_append(ss->hold, (const guint8 *)p, (guint)n);
		ss->hold_ts = ts;
		if (ss->early_feed || greeting_awaited(ss))
			ss->hold_early = ss->hold->len;
		if (ss->wait_lost)
			wait_guess(ss);
		return;
	}
	/* No reply in sight: read the bytes as the likely case (the body
	 * after DATA, TLS after STARTTLS, a response inside AUTH). */
	dialogue_anomaly(ss->d, ANOMALY_HOLD_OVERFLOW);
	wait_resolve(ss, NULL);
	client_bytes(ss, p, n, ts);
}

static void
client_bytes(struct smtp_session *ss, const char *p, size_t n, gint64 ts)
{
	struct strview line;
	unsigned flags;
	size_t take;

	while (n > 0) {
		switch (ss->state) {
		case SMTP_STATE_WAIT:
			hold_bytes(ss, p, n, ts);
			return;
		case SMTP_STATE_TLS: {
			size_t used;

			if (tls_read(ss, false, p, n, ts, &used))
				return;
			p += used; /* plaintext after all: read on as SMTP */
			n -= used;
			break;
		}
		case SMTP_STATE_BDAT:
			take = n < ss->bdat_left ? n : (size_t)ss->bdat_left;
			ss->bdat_left -= take;
			if (ss->bdat_item != NULL)
				ss->bdat_item->bytes += take;
			if (ss->data != NULL)
				ss->data->bytes += take;
			header_scan(ss, ss->data, p, take, false);
			if (ss->keep_max > 0 && ss->data != NULL)
				keep_body(ss, ss->data, p, take, false);
			msg_feed(ss, ss->data, p, take, false,
			    ss->bdat_left == 0 && ss->data != NULL &&
				ss->data->complete,
			    ts);
			p += take;
			n -= take;
			if (ss->bdat_left == 0) {
				/* BDAT LAST ends the message: a header line
				 * without its line end ends there too. */
				if (ss->data != NULL && ss->data->complete)
					header_scan(
					    ss, ss->data, "\n", 1, false);
				ss->bdat_item = NULL;
				smtp_enter_state(ss, SMTP_STATE_COMMAND);
			}
			break;
		case SMTP_STATE_DATA: {
			struct dlg_data *dd = ss->data;

			if (ss->body_resync) {
				/* Line by line, for a command that shows the
				 * message ended in the hole. */
				if (!linebuf_next(
					&ss->cl, &p, &n, &line, &flags))
					return;
				body_resync_line(ss, line, flags, ts);
				break;
			}
			take = body_scan(ss, p, n, ts);
			header_scan(ss, dd, p, take, true);
			if (ss->keep_max > 0 && dd != NULL)
				keep_body(ss, dd, p, take,
				    ss->state != SMTP_STATE_DATA);
			msg_feed(ss, dd, p, take, true,
			    ss->state != SMTP_STATE_DATA, ts);
			p += take;
			n -= take;
			break;
		}
		case SMTP_STATE_COMMAND:
		case SMTP_STATE_AUTH:
			if (!linebuf_next(&ss->cl, &p, &n, &line, &flags))
				return;
			client_line(ss, line, flags, ts);
			break;
		}
	}
}

/* ---- the message as received (struct msg_feed) ---- */

static void
part_begin(struct mime_part *p, void *arg)
{
	struct msg_feed *mf = arg;

	if (mf->xo == NULL)
		return;
	p->sink_data = extract_file_new(mf->xo);
	if (p->sink_data == NULL)
		p->extract_note = EXTRACT_NOTE_BUSY;
}

static void
part_data(struct mime_part *p, const char *b, size_t n, void *arg)
{
	(void)arg;
	extract_file_write(p->sink_data, b, n);
}

static void
part_end(struct mime_part *p, void *arg)
{
	uint64_t bytes;
	char sha256[65];

	(void)arg;
	if (p->sink_data == NULL)
		return;
	if (p->flags & MIME_PART_GAP) {
		extract_file_abort(p->sink_data);
		p->extract_note = EXTRACT_NOTE_GAP;
	} else
		p->extract = extract_file_close(
		    p->sink_data, &bytes, sha256, &p->extract_note);
	p->sink_data = NULL;
}

static void
part_drop(struct mime_part *p, void *arg)
{
	struct msg_feed *mf = arg;

	if (mf->xo != NULL && p->extract != NULL)
		(void)unlinkat(mf->xo->dirfd, p->extract, 0);
}

static void
msg_feed_begin(struct smtp_session *ss, struct dlg_data *dd)
{
	struct msg_feed *mf = g_new0(struct msg_feed, 1);
	const struct mime_sink sink = { part_begin, part_data, part_end,
		part_drop, mf };

	mf->dd = dd;
	dd->feed = &mf->dd;
	mf->bol = true;
	mf->xo = ss->extract;
	mf->mime = mime_scan_new(&sink);
	mf->body_md5 = g_checksum_new(G_CHECKSUM_MD5);
	if (mf->xo != NULL) {
		mf->eml = extract_file_new(mf->xo);
		if (mf->eml == NULL)
			dd->extract_note = EXTRACT_NOTE_BUSY;
	}
	ss->mf = mf;
}

/* The message read ends (its end, or the session's): its record. */
static void
msg_feed_end(struct smtp_session *ss)
{
	struct msg_feed *mf = ss->mf;
	struct dlg_data *dd;
	struct mime_info *m;

	if (mf == NULL)
		return;
	ss->mf = NULL;
	m = mime_scan_finish(mf->mime);
	g_checksum_update(
	    mf->body_md5, (const guchar *)mf->tail, (gssize)mf->tail_len);
	if (mf->raw_state == 3 && !m->structure_lost)
		g_strlcpy(m->body_md5, g_checksum_get_string(mf->body_md5),
		    sizeof m->body_md5);
	g_checksum_free(mf->body_md5);
	dd = mf->dd;
	if (dd == NULL) {
		/* Its transaction went: so do the files. */
		for (guint i = 0; mf->xo != NULL && i < m->parts->len; i++) {
			struct mime_part *p = g_ptr_array_index(m->parts, i);

			if (p->extract != NULL)
				(void)unlinkat(mf->xo->dirfd, p->extract, 0);
		}
		extract_file_abort(mf->eml);
		mime_info_free(m);
		g_free(mf);
		return;
	}
	dd->feed = NULL;
	mime_info_free(dd->mime);
	dd->mime = m;
	if (mf->eml != NULL)
		dd->extract = extract_file_close(mf->eml, &dd->extract_bytes,
		    dd->extract_sha256, &dd->extract_note);
	dialogue_charge(ss->d, mime_info_mem(m) + budget_str(dd->extract));
	g_free(mf);
}

/* Body bytes as sent, for body_md5: with stuffed, the last 3 wait. */
static void
raw_body(struct msg_feed *mf, const char *p, size_t n, bool stuffed)
{
	size_t total = mf->tail_len + n, emit, from_tail, from_p, k = 0, i;
	char keep[3];

	if (!stuffed) {
		g_checksum_update(mf->body_md5, (const guchar *)p, (gssize)n);
		return;
	}
	if (total <= sizeof mf->tail) {
		memcpy(mf->tail + mf->tail_len, p, n);
		mf->tail_len = total;
		return;
	}
	emit = total - sizeof mf->tail;
	from_tail = MIN(emit, mf->tail_len);
	from_p = emit - from_tail;
	g_checksum_update(
	    mf->body_md5, (const guchar *)mf->tail, (gssize)from_tail);
	g_checksum_update(mf->body_md5, (const guchar *)p, (gssize)from_p);
	for (i = from_tail; i < mf->tail_len; i++)
		keep[k++] = mf->tail[i];
	for (i = from_p; i < n; i++)
		keep[k++] = p[i];
	memcpy(mf->tail, keep, k);
	mf->tail_len = k;
}

/* The message's bytes as sent: past its header, into body_md5. */
static void
raw_scan(struct msg_feed *mf, const char *p, size_t n, bool stuffed)
{
	size_t i;

	for (i = 0; i < n && mf->raw_state != 3; i++) {
		char c = p[i];

		if (mf->raw_state == 1)
			mf->raw_state = c == '\n' ? 0 : 1;
		else if (c == '\n')
			mf->raw_state = 3; /* the blank line */
		else
			mf->raw_state = mf->raw_state == 0 && c == '\r' ? 2 : 1;
	}
	if (mf->raw_state == 3 && i < n)
		raw_body(mf, p + i, n - i, stuffed);
}

static void
msg_out(struct msg_feed *mf, const char *p, size_t n, gint64 ts)
{
	if (n == 0)
		return;
	mime_scan_feed(mf->mime, p, n, ts);
	extract_file_write(mf->eml, p, n);
}

/* The message being read, begun if dd is one whose start was seen. */
static struct msg_feed *
msg_feed_for(struct smtp_session *ss, struct dlg_data *dd)
{
	if (ss->mf != NULL && ss->mf->dd == dd)
		return ss->mf;
	msg_feed_end(ss);
	if (dd == NULL || dd->item == NULL || dd->mime != NULL)
		return NULL;
	msg_feed_begin(ss, dd);
	return ss->mf;
}

/* Message bytes as they pass: a BDAT chunk's, or DATA's still stuffed,
 * ended when they end with the end-of-data line. */
static void
msg_feed(struct smtp_session *ss, struct dlg_data *dd, const char *p, size_t n,
    bool stuffed, bool ended, gint64 ts)
{
	struct msg_feed *mf = msg_feed_for(ss, dd);
	size_t i, run = 0;

	if (mf == NULL)
		return;
	raw_scan(mf, p, n, stuffed);
	if (!stuffed) {
		msg_out(mf, p, n, ts);
		return;
	}
	for (i = 0; i < n; i++) {
		char c = p[i];

		if (mf->dot) {
			mf->dot = false;
			if (c == '\r') {
				mf->held = 1;
				run = i + 1;
				continue;
			}
		} else if (mf->held == 1 && c == '\n') {
			mf->held = 2;
			mf->bol = true;
			run = i + 1;
			continue;
		} else if (mf->held > 0) {
			/* Not the end after all (a bare LF before the dot). */
			msg_out(mf, "\r\n", mf->held, ts);
			mf->held = 0;
		}
		if (mf->bol && c == '.') {
			msg_out(mf, p + run, i - run, ts);
			run = i + 1;
			mf->dot = true;
			mf->bol = false;
			continue;
		}
		mf->bol = c == '\n';
	}
	msg_out(mf, p + run, n - run, ts);
	if (ended) {
		mf->held = 0;
		mf->tail_len = 0; /* the end-of-data line */
		msg_feed_end(ss);
	}
}

/* A message line read after a hole (body_resync_line()), its line end
 * as sent. */
static void
msg_feed_line(
    struct smtp_session *ss, struct strview line, unsigned flags, gint64 ts)
{
	struct msg_feed *mf = ss->mf;

	if (mf == NULL || mf->dd != ss->data)
		return;
	if (line.len > 0 && line.p[0] == '.') {
		line.p++;
		line.len--;
	}
	msg_out(mf, line.p, line.len, ts);
	msg_out(mf, (flags & LINE_BARE_LF) ? "\n" : "\r\n",
	    (flags & LINE_BARE_LF) ? 1 : 2, ts);
}

/* n bytes of the message dd were not captured. */
static void
msg_feed_gap(struct smtp_session *ss, struct dlg_data *dd, uint64_t n)
{
	struct msg_feed *mf = ss->mf;

	if (mf == NULL || mf->dd != dd)
		return;
	if (mf->held > 0)
		msg_out(mf, "\r\n", mf->held, 0);
	mf->held = 0;
	mf->dot = false;
	mf->bol = false;
	mime_scan_gap(mf->mime, n);
}

static size_t
msg_feed_mem(const struct msg_feed *mf)
{
	return mf == NULL ? 0
			  : budget_bytes(sizeof *mf) + mime_scan_mem(mf->mime) +
				(mf->eml != NULL ? budget_bytes(8192 + 64) : 0);
}

void
smtp_session_extract(struct smtp_session *ss, const struct extract_opts *o)
{
	ss->extract = o != NULL && o->dirfd >= 0 ? o : NULL;
}

/* A kept field just read, unfolded, into the message record. */
static void
kept_field_end(struct header_scan *h, struct dlg_data *dd)
{
	if (!h->in_kept)
		return;
	h->in_kept = false;
	if (dd->headers == NULL)
		dd->headers = g_ptr_array_new_with_free_func(g_free);
	if (dd->headers->len >= DLG_HEADERS_MAX) {
		dd->headers_cut = true;
		return;
	}
	g_ptr_array_add(dd->headers, g_strndup(h->kept, h->kept_len));
}

/* The Message-ID field just read, trimmed, into the message record. */
static void
header_field_end(struct header_scan *h, struct dlg_data *dd)
{
	const char *p = h->msgid, *e = h->msgid + h->msgid_len;

	kept_field_end(h, dd);
	if (!h->in_msgid)
		return;
	h->in_msgid = false;
	while (p < e && g_ascii_isspace(*p))
		p++;
	while (e > p && g_ascii_isspace(e[-1]))
		e--;
	if (e > p && dd->message_id == NULL)
		dd->message_id = g_strndup(p, (gsize)(e - p));
}

static void
header_append(struct header_scan *h, const char *p, size_t n)
{
	if (n > SMTP_FIELD_MAX - h->msgid_len)
		n = SMTP_FIELD_MAX - h->msgid_len;
	memcpy(h->msgid + h->msgid_len, p, n);
	h->msgid_len += n;
}

/* One physical header line (without its line end). */
static void
header_line(struct header_scan *h, struct dlg_data *dd, bool stuffed)
{
	const char *l = h->line;
	size_t n = h->len;

	if (n > 0 && l[n - 1] == '\r')
		n--;
	if (stuffed && n > 0 && l[0] == '.') {
		if (n == 1) {
			/* The end of data with no blank line before it. */
			header_field_end(h, dd);
			h->done = true;
			return;
		}
		l++;
		n--;
	}
	if (n == 0) {
		header_field_end(h, dd);
		h->done = true;
		return;
	}
	if (l[0] == ' ' || l[0] == '\t') {
		if (h->in_msgid)
			header_append(h, l, n);
		if (h->in_kept) {
			/* Unfolded (RFC 5322 §2.2.3): the line end goes. */
			size_t k = MIN(n, SMTP_FIELD_MAX - h->kept_len);

			memcpy(h->kept + h->kept_len, l, k);
			h->kept_len += k;
		}
		return;
	}
	header_field_end(h, dd);
	if (kept_field(l, n)) {
		h->in_kept = true;
		h->kept_len = MIN(n, SMTP_FIELD_MAX);
		memcpy(h->kept, l, h->kept_len);
	}
	if (n >= 11 && g_ascii_strncasecmp(l, "message-id:", 11) == 0) {
		h->in_msgid = true;
		h->msgid_len = 0;
		header_append(h, l + 11, n - 11);
	}
}

/* Message bytes as they pass (DATA still dot-stuffed, or a BDAT chunk):
 * read the header section of the message dd.  A message whose start was
 * not captured (no DATA or BDAT command seen) has no header to read. */
static void
header_scan(struct smtp_session *ss, struct dlg_data *dd, const char *p,
    size_t n, bool stuffed)
{
	struct header_scan *h;
	size_t i;
	guint kept;
	bool had;

	if (dd == NULL)
		return;
	if (ss->hs_dd != dd) {
		ss->hs_dd = dd;
		g_free(ss->hs);
		ss->hs = NULL;
		if (dd->item != NULL && dd->message_id == NULL)
			ss->hs = g_new0(struct header_scan, 1);
	}
	if ((h = ss->hs) == NULL)
		return;
	had = dd->message_id != NULL;
	kept = dd->headers != NULL ? dd->headers->len : 0;
	for (i = 0; i < n && !h->done; i++) {
		if (++h->bytes > SMTP_HEADER_MAX) {
			header_field_end(h, dd);
			h->done = true;
			break;
		}
		if (p[i] != '\n') {
			if (h->len < SMTP_FIELD_MAX)
				h->line[h->len++] = p[i];
			continue;
		}
		header_line(h, dd, stuffed);
		h->len = 0;
	}
	if (!had && dd->message_id != NULL)
		dialogue_charge(ss->d, budget_str(dd->message_id));
	for (; dd->headers != NULL && kept < dd->headers->len; kept++)
		dialogue_charge(
		    ss->d, budget_str(g_ptr_array_index(dd->headers, kept)) +
			       sizeof(gpointer));
	if (h->done) {
		g_free(ss->hs);
		ss->hs = NULL;
	}
}

static void
line_anomalies(struct dialogue *d, unsigned flags)
{
	if (flags & LINE_BARE_LF)
		dialogue_anomaly(d, ANOMALY_BARE_LF);
	if (flags & LINE_TOO_LONG)
		dialogue_anomaly(d, ANOMALY_LINE_TOO_LONG);
	if (flags & LINE_HAS_NUL)
		dialogue_anomaly(d, ANOMALY_NUL_IN_LINE);
	if (flags & LINE_UNTERMINATED)
		dialogue_anomaly(d, ANOMALY_UNTERMINATED_LINE);
}

static unsigned
item_flags(unsigned line_flags)
{
	unsigned f = 0;

	if (line_flags & LINE_BARE_LF)
		f |= DLG_F_BARE_LF;
	if (line_flags & LINE_TOO_LONG)
		f |= DLG_F_TOO_LONG;
	if (line_flags & LINE_UNTERMINATED)
		f |= DLG_F_UNTERMINATED;
	return f;
}

static bool
is_sync_command(enum smtp_cmd_id id)
{
	/* RFC 2920 §3.1: these may only be last in a pipelined group;
	 * DATA, STARTTLS and AUTH are handled by holding client bytes. */
	switch (id) {
	case SMTP_CMD_HELO:
	case SMTP_CMD_EHLO:
	case SMTP_CMD_LHLO:
	case SMTP_CMD_VRFY:
	case SMTP_CMD_EXPN:
	case SMTP_CMD_NOOP:
	case SMTP_CMD_QUIT:
		return true;
	default:
		return false;
	}
}

/* Why a command sent before the previous reply is an anomaly. */
#define PIPE_NOT_ADVERTISED 0x1 /* pipelining-not-advertised */
#define PIPE_AFTER_SYNC 0x2	/* pipelined-after-sync */

static void
pipelined_apply(struct smtp_session *ss, struct dlg_item *it, unsigned why)
{
	it->flags |= DLG_F_PIPELINED;
	if (why & PIPE_NOT_ADVERTISED)
		dialogue_anomaly(ss->d, ANOMALY_PIPELINING_NOT_ADVERTISED);
	if (why & PIPE_AFTER_SYNC)
		dialogue_anomaly(ss->d, ANOMALY_PIPELINED_AFTER_SYNC);
}

/* The reply in progress when ss->cut_item was sent ended there after all
 * (cut: the server left out its end), or went on: then the command was
 * sent before it came. */
static void
cut_settle(struct smtp_session *ss, bool cut)
{
	if (ss->cut_item != NULL && !cut)
		pipelined_apply(ss, ss->cut_item, ss->cut_why);
	ss->cut_item = NULL;
}

/* Queue an item for the next reply, flagging pipelining. */
static void
pending_push(struct smtp_session *ss, struct dlg_item *it)
{
	struct dlg_item *old;
	unsigned why;

	if (pending_count(ss) > 0 && !ss->no_replies) {
		why = (ss->d->pipelining_offered ? 0 : PIPE_NOT_ADVERTISED) |
		      (ss->pending_sync > 0 ? PIPE_AFTER_SYNC : 0);
		if ((ss->cut_line || ss->cut_reply) && ss->cut_item == NULL &&
		    pending_count(ss) == 1) {
			/* Sent after a reply that may have lost its end: it
			 * was pipelined only if it did not (cut_settle). */
			ss->cut_item = it;
			ss->cut_why = why;
		} else
			pipelined_apply(ss, it, why);
	}
	if (g_queue_get_length(&ss->pending) >= SMTP_PENDING_MAX) {
		/* A client that never waits: forget the oldest. */
		dialogue_anomaly(ss->d, ANOMALY_TOO_MANY_PENDING);
		old = g_queue_pop_head(&ss->pending);
		if (old == &lost_marker)
			ss->marker = false;
		else if (is_sync_command(old->cmd))
			ss->pending_sync--;
		if (old == ss->wait_item)
			wait_resolve(ss, NULL);
		if (old == ss->cut_item)
			cut_settle(ss, false);
		pending_free(old);
	}
	if (is_sync_command(it->cmd))
		ss->pending_sync++;
	if (ss->early_feed)
		dialogue_anomaly(ss->d, ANOMALY_EARLY_TALKER);
	if (ss->early_feed || greeting_awaited(ss))
		it->flags |= DLG_F_EARLY;
	if (ss->marker && ss->marker_answered && pending_count(ss) == 0) {
		/* The client sent this after a reply to what was lost came:
		 * it waited for the replies, so none is still due. */
		g_queue_remove(&ss->pending, &lost_marker);
		ss->marker = false;
	}
	g_queue_push_tail(&ss->pending, it);
}

/* Create, keep and queue a command item. */
static struct dlg_item *
command_item(struct smtp_session *ss, enum smtp_cmd_id id, const char *line,
    size_t len, unsigned flags, gint64 ts)
{
	struct dlg_item *it;

	it = dlg_item_new(DLG_ITEM_COMMAND, id, line, len, ts);
	it->flags |= flags;
	if (!dialogue_keep(ss->d, it)) {
		/* Only its pairing matters now: not its text. */
		g_free(it->line);
		it->line = NULL;
		it->line_len = 0;
	}
	pending_push(ss, it);
	return it;
}

static void
tx_close(struct smtp_session *ss)
{
	ss->tx = NULL;
	ss->tx_open = false;
	ss->tx_rcpts = 0;
	ss->tx_finished = false;
}

static void
tx_open(struct smtp_session *ss)
{
	ss->tx = dialogue_tx_new(ss->d);
	ss->tx_open = true;
	ss->tx_rcpts = 0;
	ss->tx_finished = false;
}

/* The transaction a command may leave in place, or NULL.  One whose DATA
 * was refused is still open on the server (RFC 5321 §4.1.4: a refused
 * command leaves the state as it was; Exim then answers MAIL "503 sender
 * already given"). */
static struct dlg_tx *
open_tx(const struct smtp_session *ss)
{
	return ss->tx_open ? ss->tx : NULL;
}

/* Everything of transaction from (recipients, message, items) now belongs
 * to into; from is dropped.  For a nested MAIL the server refused: the
 * client's next RCPT and DATA went to the transaction the server kept. */
static void
tx_merge(struct smtp_session *ss, struct dlg_tx *from, struct dlg_tx *into)
{
	struct dialogue *d = ss->d;
	guint i;

	g_ptr_array_extend_and_steal(into->rcpts, from->rcpts);
	from->rcpts = g_ptr_array_new();
	if (into->data == NULL ||
	    (from->data != NULL && from->data == ss->data)) {
		/* The message being read stays (it is freed with from
		 * otherwise, and read on into freed memory). */
		struct dlg_data *keep = from->data;

		from->data = into->data;
		into->data = keep;
	}
	into->gap |= from->gap;
	for (i = d->items->len; i > 0; i--) {
		struct dlg_item *x = g_ptr_array_index(d->items, i - 1);

		if (x->tx == from)
			x->tx = into;
		if (x->tx_before == from)
			x->tx_before = NULL;
	}
	for (i = 0; i < g_queue_get_length(&ss->pending); i++) {
		struct dlg_item *x = g_queue_peek_nth(&ss->pending, i);

		if (x == &lost_marker)
			continue;
		if (x->tx == from)
			x->tx = into;
		if (x->tx_before == from)
			x->tx_before = NULL;
	}
	if (ss->tx == from) {
		ss->tx = into;
		ss->tx_rcpts = into->rcpts->len;
	}
	g_ptr_array_remove(d->txs, from);
	d->tx_total--;
}

/* The server refused a MAIL or a greeting (4xx/5xx): RFC 5321 §4.1.4,
 * only a successful HELO/EHLO, RSET or end of data resets the envelope,
 * and a refused MAIL starts nothing.  A refused MAIL sent while another
 * transaction was open leaves that one in place; a refused MAIL alone
 * stays on record as the attempt it was (with whatever the client sent
 * for it).  A refused greeting reopens the transaction it closed. */
static void
envelope_refused(struct smtp_session *ss, struct dlg_item *it)
{
	struct dlg_tx *old = it->tx_before;

	it->tx_before = NULL;
	if (old == NULL)
		return;
	if (it->cmd == SMTP_CMD_MAIL) {
		if (it->tx != NULL && it->tx != old)
			tx_merge(ss, it->tx, old);
		it->tx = old;
		return;
	}
	if (ss->tx_open)
		return; /* a MAIL followed, unasked: it decides */
	ss->tx = old;
	ss->tx_open = true;
	ss->tx_rcpts = old->rcpts->len;
	ss->tx_finished = false;
}

static char *
view_dup(struct strview v)
{
	return v.p != NULL ? g_strndup(v.p, v.len) : g_strdup("");
}

/* The path of MAIL/RCPT, or, when none could be parsed (a syntax error),
 * the argument as the client sent it: never NULL. */
static char *
path_dup(const struct smtp_cmd *c)
{
	return view_dup(c->path.p != NULL ? c->path : c->arg);
}

static void
wait_for(struct smtp_session *ss, struct dlg_item *it)
{
	ss->wait_item = it;
	/* With no replies in the capture, what the client sends next
	 * decides at once. */
	ss->wait_lost = ss->no_replies;
	smtp_enter_state(ss, SMTP_STATE_WAIT);
}

void
smtp_session_side_unseen(
    struct smtp_session *ss, enum smtp_dir dir, bool unseen)
{
	if (dir == SMTP_DIR_SERVER)
		ss->no_replies = unseen;
	else
		ss->no_commands = unseen;
}

static void
secret_free(gpointer p)
{
	gsize n;
	gpointer b = g_bytes_unref_to_data(p, &n);

	explicit_bzero(b, n);
	g_free(b);
}

/* Keep a masked client text to find it again in replies. */
static void
remember_secret(struct smtp_session *ss, struct strview v)
{
	if (v.len < SMTP_ECHO_MIN)
		return;
	if (ss->secrets == NULL)
		ss->secrets = g_ptr_array_new_with_free_func(secret_free);
	if (ss->secrets->len >= SMTP_ECHO_MAX)
		g_ptr_array_remove_index(ss->secrets, 0);
	else
		ss->secrets_bytes += SECRET_COST;
	g_ptr_array_add(ss->secrets, g_bytes_new(v.p, v.len));
}

/* Mask in a reply's text every run of SMTP_ECHO_MIN or more bytes that
 * begins a remembered secret (a server may echo a line whole or cut). */
static void
mask_echoes(struct smtp_session *ss, struct smtp_reply *r)
{
	guint k;

	if (ss->secrets == NULL)
		return;
	for (k = ss->secrets->len; k-- > 0;) { /* the newest first */
		gsize n;
		const char *sec =
		    g_bytes_get_data(g_ptr_array_index(ss->secrets, k), &n);
		size_t i = 0, m;

		while (i + SMTP_ECHO_MIN <= r->text_len) {
			const char *hit = memmem(
			    r->text + i, r->text_len - i, sec, SMTP_ECHO_MIN);

			if (hit == NULL)
				break;
			i = (size_t)(hit - r->text);
			for (m = SMTP_ECHO_MIN;
			     m < n && i + m < r->text_len && hit[m] == sec[m];
			     m++)
				;
			memset(r->text + i, '*', m);
			i += m;
		}
	}
}

static void
cmd_auth(struct smtp_session *ss, const struct smtp_cmd *c, unsigned flags,
    gint64 ts)
{
	struct dialogue *d = ss->d;
	struct dlg_item *it;
	struct strview mech, ir = { NULL, 0 };
	g_autofree char *shown = NULL;
	size_t i;

	for (i = 0; i < c->arg.len && c->arg.p[i] != ' '; i++)
		;
	mech.p = c->arg.p;
	mech.len = i;
	while (i < c->arg.len && c->arg.p[i] == ' ')
		i++;
	if (i < c->arg.len) {
		ir.p = c->arg.p + i;
		ir.len = c->arg.len - i;
	}
	g_free(ss->auth_mech);
	ss->auth_mech = g_ascii_strup(mech.p, (gssize)mech.len);
	ss->auth_ir = ir.len > 0;
	ss->auth_step = 0;
	ss->auth_exch = true;
	ss->auth_answered = false;
	if (ss->auth_ir) {
		/* Never keep the initial response: it may hold a password. */
		shown = g_strdup_printf(
		    "%.*s ********", (int)(ir.p - c->verb.p - 1), c->verb.p);
		flags |= DLG_F_SECRET;
		remember_secret(ss, ir);
	} else
		shown = g_strndup(
		    c->verb.p, (gsize)(c->arg.p + c->arg.len - c->verb.p));
	it = command_item(ss, SMTP_CMD_AUTH, shown, strlen(shown), flags, ts);
	d->auth_count++;
	if (d->auth != NULL) {
		g_free(d->auth->mechanism);
		g_free(d->auth->user);
	} else {
		d->auth = g_new0(struct dlg_auth, 1);
		dialogue_charge(d, budget_bytes(sizeof *d->auth));
	}
	d->auth->mechanism = g_strdup(ss->auth_mech);
	dialogue_charge(d, budget_str(d->auth->mechanism));
	d->auth->user = NULL;
	d->auth->password_sent = false;
	if (ss->auth_ir)
		auth_credentials(ss, ir, true);
	d->auth->result = DLG_AUTH_UNKNOWN;
	d->auth->item = it->retained ? it : NULL;
	wait_for(ss, it);
}

/* One client line while an AUTH exchange is going on. */
static void
auth_response(
    struct smtp_session *ss, struct strview line, unsigned flags, gint64 ts)
{
	struct dlg_item *it;
	struct dialogue *d = ss->d;
	bool cancel = line.len == 1 && line.p[0] == '*';

	if (cancel)
		it = command_item(
		    ss, SMTP_CMD_AUTH_RESPONSE, "*", 1, item_flags(flags), ts);
	else {
		it = command_item(ss, SMTP_CMD_AUTH_RESPONSE, "********", 8,
		    item_flags(flags) | DLG_F_SECRET, ts);
		remember_secret(ss, line);
		if (d->auth != NULL)
			auth_credentials(ss, line, false);
	}
	ss->auth_step++;
	wait_for(ss, it);
}

/* Is a line a lone base64 token (RFC 4648 §4, padded), as AUTH data is? */
static bool
base64_token(struct strview line)
{
	size_t i;

	if (line.len < 4 || line.len % 4 != 0)
		return false;
	for (i = 0; i < line.len; i++)
		if (!g_ascii_isalnum(line.p[i]) && line.p[i] != '+' &&
		    line.p[i] != '/' &&
		    !(line.p[i] == '=' && i + 2 >= line.len))
			return false;
	return true;
}

/* Where a command was expected: does the line hold what AUTH data looks
 * like (a lone base64 token, e.g. SASL PLAIN credentials whose AUTH was
 * lost in a hole or refused)?  Then it is masked, never shown. */
static bool
looks_like_credentials(const struct smtp_cmd *c, struct strview line)
{
	return c->id == SMTP_CMD_UNKNOWN && base64_token(line);
}

static void
client_line(
    struct smtp_session *ss, struct strview line, unsigned flags, gint64 ts)
{
	struct dialogue *d = ss->d;
	struct smtp_cmd c;
	struct dlg_item *it;
	struct dlg_rcpt *r;
	unsigned iflags = item_flags(flags);

	line_anomalies(d, flags);
	if (ss->resync[SMTP_DIR_CLIENT] && !resync_client(ss, line, ts))
		return;
	ss->client_spoke = true;
	if (ss->quit_seen)
		dialogue_anomaly(d, ANOMALY_DATA_AFTER_QUIT);
	smtp_cmd_parse(line, &c);
	if (ss->auth_exch) {
		/* Inside an AUTH exchange by the client's own bytes: only a
		 * valid command after the exchange was answered ends it
		 * (a server not in the capture cannot answer). */
		if (c.id == SMTP_CMD_UNKNOWN || c.syntax_error ||
		    !(ss->auth_answered || ss->no_replies)) {
			auth_response(ss, line, flags, ts);
			return;
		}
		ss->auth_exch = false;
		if (ss->state == SMTP_STATE_AUTH)
			smtp_enter_state(ss, SMTP_STATE_COMMAND);
	}
	if (ss->state == SMTP_STATE_AUTH) {
		auth_response(ss, line, flags, ts);
		return;
	}
	if (looks_like_credentials(&c, line)) {
		dialogue_anomaly(d, ANOMALY_UNKNOWN_COMMAND);
		command_item(ss, SMTP_CMD_UNKNOWN, "********", 8,
		    iflags | DLG_F_SECRET, ts);
		remember_secret(ss, line);
		return;
	}
	if (c.id == SMTP_CMD_UNKNOWN)
		dialogue_anomaly(d, ANOMALY_UNKNOWN_COMMAND);
	if (c.syntax_error)
		dialogue_anomaly(d, c.id == SMTP_CMD_BDAT ? ANOMALY_BDAT_INVALID
							  : ANOMALY_BAD_SYNTAX);
	if ((c.id == SMTP_CMD_MAIL || c.id == SMTP_CMD_RCPT) &&
	    !c.syntax_error && !c.path_bracketed)
		dialogue_anomaly(d, ANOMALY_PATH_WITHOUT_BRACKETS);
	if (c.id == SMTP_CMD_AUTH) {
		cmd_auth(ss, &c, iflags, ts);
		return;
	}

	it = command_item(ss, c.id, line.p, line.len, iflags, ts);
	if (ss->tx_unknown && ss->tx_open && ss->tx_finished)
		tx_close(ss); /* a new transaction whose MAIL was lost */
	if (ss->tx_unknown && !ss->tx_open &&
	    (c.id == SMTP_CMD_RCPT || c.id == SMTP_CMD_DATA ||
		c.id == SMTP_CMD_BDAT)) {
		/* Its MAIL was lost: a transaction of unknown start. */
		tx_open(ss);
		tx_touch(ss->tx);
	}
	switch (c.id) {
	case SMTP_CMD_HELO:
	case SMTP_CMD_EHLO:
	case SMTP_CMD_LHLO:
		/* RFC 5321 §4.1.4: a new greeting resets the transaction,
		 * if the server accepts it (envelope_refused undoes this). */
		it->tx_before = open_tx(ss);
		tx_close(ss);
		ss->tx_unknown = false;
		d->helo_count++;
		if (it->retained)
			d->helo = it;
		break;
	case SMTP_CMD_MAIL:
		it->tx_before = open_tx(ss);
		tx_open(ss);
		ss->tx_unknown = false;
		if (ss->tx != NULL && it->retained) {
			ss->tx->mail_from = path_dup(&c);
			ss->tx->mail_params = view_dup(c.params);
			ss->tx->mail = it;
			dialogue_charge(d, budget_str(ss->tx->mail_from) +
					       budget_str(ss->tx->mail_params));
		}
		break;
	case SMTP_CMD_RCPT:
		if (!ss->tx_open) {
			dialogue_anomaly(d, ANOMALY_RCPT_WITHOUT_MAIL);
			tx_open(ss);
		}
		d->rcpt_total++;
		ss->tx_rcpts++;
		if (ss->tx != NULL && it->retained) {
			r = g_new0(struct dlg_rcpt, 1);
			r->address = path_dup(&c);
			r->params = view_dup(c.params);
			r->item = it;
			dialogue_rcpt_add(d, ss->tx, r);
		}
		break;
	case SMTP_CMD_DATA:
		if (!ss->tx_open || ss->tx_rcpts == 0)
			dialogue_anomaly(d, ANOMALY_DATA_WITHOUT_RCPT);
		ss->data = NULL;
		if (ss->tx != NULL && it->retained) {
			dialogue_data_new(d, ss->tx, SMTP_CMD_DATA)->item = it;
			ss->data = ss->tx->data;
		}
		wait_for(ss, it);
		break;
	case SMTP_CMD_BDAT:
		if (c.syntax_error)
			break;
		if (!d->chunking_offered)
			dialogue_anomaly(d, ANOMALY_BDAT_WITHOUT_CHUNKING);
		if (!ss->tx_open || ss->tx_rcpts == 0)
			dialogue_anomaly(d, ANOMALY_DATA_WITHOUT_RCPT);
		if (ss->tx != NULL && it->retained) {
			if (ss->tx->data == NULL)
				dialogue_data_new(d, ss->tx, SMTP_CMD_BDAT)
				    ->item = it;
			ss->data = ss->tx->data;
			ss->data->chunks++;
			if (c.bdat_last) {
				ss->data->end = it;
				ss->data->complete = true;
			}
		} else
			ss->data = NULL;
		it->tx = ss->tx;
		if (c.bdat_last)
			tx_close(ss);
		ss->bdat_left = c.bdat_size;
		ss->bdat_item = it;
		if (ss->bdat_left > 0)
			smtp_enter_state(ss, SMTP_STATE_BDAT);
		break;
	case SMTP_CMD_RSET:
		tx_close(ss);
		ss->tx_unknown = false;
		break;
	case SMTP_CMD_QUIT:
		tx_close(ss);
		ss->tx_unknown = false;
		ss->quit_seen = true;
		break;
	case SMTP_CMD_STARTTLS:
		tx_close(ss);
		wait_for(ss, it);
		break;
	default:
		break;
	}
	if (c.id == SMTP_CMD_MAIL || c.id == SMTP_CMD_RCPT ||
	    c.id == SMTP_CMD_DATA)
		it->tx = ss->tx;
}

void
smtp_session_keep_bodies(struct smtp_session *ss, size_t max)
{
	ss->keep_max = max;
}

/* Keep body bytes as they pass (only when asked: replay --original-body).
 * At the end of a DATA body the ".CRLF" line goes and dot-stuffing is
 * undone.  A body over the limit is dropped whole, never kept cut. */
static void
keep_body(struct smtp_session *ss, struct dlg_data *dd, const char *p, size_t n,
    bool ended)
{
	guint i, o;
	bool bol = true;

	if (dd->body_dropped)
		return;
	if (dd->body == NULL)
		dd->body = g_byte_array_new();
	if (dd->body->len + n > ss->keep_max) {
		g_byte_array_unref(dd->body);
		dd->body = NULL;
		dd->body_dropped = true;
		return;
	}
	g_byte_array_append(dd->body, (const guint8 *)p, (guint)n);
	if (!ended || dd->body->len < 3)
		return;
	g_byte_array_set_size(dd->body, dd->body->len - 3);
	for (i = 0, o = 0; i < dd->body->len; i++) {
		if (bol && dd->body->data[i] == '.') {
			bol = false;
			continue;
		}
		bol = dd->body->data[i] == '\n';
		dd->body->data[o++] = dd->body->data[i];
	}
	g_byte_array_set_size(dd->body, o);
}

/* SMTP smuggling with bare CRs (CVE-2023-51764, -51765, -51766): a lone
 * dot between a bare CR and another CR, "<CR>.<CR>", inside a line (the
 * line's own CRLF is not a bare CR).  Some servers end the data there,
 * others do not.  A state carried across calls catches the pattern split
 * between segments; the forms at a line's start or end are checked when
 * the line ends (body_scan).  Fed each piece of a line, without its LF. */
static void
cr_dot_scan(struct smtp_session *ss, const char *p, size_t n)
{
	struct body_scan *b = &ss->body;
	const char *cr;
	size_t i = 0;

	while (i < n && b->cr_dot != 0) {
		/* Finish a pattern begun before this piece. */
		if (b->cr_dot == 1)
			b->cr_dot = p[i] == '.' ? 2 : p[i] == '\r' ? 1 : 0;
		else {
			if (p[i] == '\r')
				dialogue_anomaly(ss->d, ANOMALY_CR_DOT);
			b->cr_dot = p[i] == '\r' ? 1 : 0;
		}
		i++;
	}
	while (i < n && (cr = memchr(p + i, '\r', n - i)) != NULL) {
		i = (size_t)(cr - p) + 1;
		if (i + 1 < n && p[i] == '.' && p[i + 1] == '\r')
			dialogue_anomaly(ss->d, ANOMALY_CR_DOT);
		else if (i == n)
			b->cr_dot = 1;
		else if (i + 1 == n && p[i] == '.')
			b->cr_dot = 2;
	}
}

/* Count DATA body bytes up to the end-of-data line.  Only "." between two
 * CRLFs ends the body (RFC 5321 §4.1.1.4); a lone dot next to a bare LF is
 * the SMTP-smuggling pattern and is flagged, not obeyed.  Returns the
 * bytes consumed. */
static size_t
body_scan(struct smtp_session *ss, const char *p, size_t n, gint64 ts)
{
	struct body_scan *b = &ss->body;
	struct dlg_item *it;
	const char *lf;
	size_t i = 0, seg, k, content;
	bool cr, dot;

	while (i < n) {
		lf = memchr(p + i, '\n', n - i);
		seg = lf != NULL ? (size_t)(lf - (p + i)) : n - i;
		for (k = 0; k < seg && b->line_len + k < 2; k++)
			b->first[b->line_len + k] = p[i + k];
		cr_dot_scan(ss, p + i, seg);
		if (seg > 1)
			b->before = p[i + seg - 2];
		else if (seg == 1)
			b->before = b->last;
		if (seg > 0)
			b->last = p[i + seg - 1];
		b->line_len += seg;
		if (lf == NULL)
			return n;
		i += seg + 1;
		cr = b->line_len > 0 && b->last == '\r';
		content = b->line_len - (cr ? 1 : 0);
		dot = content == 1 && b->first[0] == '.';
		/* "<CR>.<LF>": a bare CR, a dot, the line's end; and
		 * "<LF>.<CR>x": a dot, then a CR that is not the line's end. */
		if ((b->line_len >= 2 && b->before == '\r' && b->last == '.') ||
		    (b->line_len > 2 && b->first[0] == '.' &&
			b->first[1] == '\r'))
			dialogue_anomaly(ss->d, ANOMALY_CR_DOT);
		b->cr_dot = 0;
		if (dot && cr && b->prev_crlf) {
			it = dlg_item_new(DLG_ITEM_COMMAND,
			    SMTP_CMD_END_OF_DATA, NULL, 0, ts);
			it->bytes = b->bytes;
			it->lines = b->lines;
			it->tx = ss->tx;
			dialogue_keep(ss->d, it);
			pending_push(ss, it);
			if (ss->data != NULL) {
				ss->data->bytes = b->bytes;
				ss->data->lines = b->lines;
				ss->data->complete = true;
				if (it->retained)
					ss->data->end = it;
			}
			ss->data = NULL;
			tx_close(ss);
			ss->tx_unknown = false;
			memset(b, 0, sizeof *b);
			smtp_enter_state(ss, SMTP_STATE_COMMAND);
			return i;
		}
		if (!cr)
			dialogue_anomaly(ss->d, ANOMALY_BARE_LF);
		if (dot)
			dialogue_anomaly(ss->d, ANOMALY_BARE_LF_DOT);
		/* A leading dot on a longer line is stuffing (§4.5.2). */
		b->bytes += b->line_len + 1 -
			    (content >= 2 && b->first[0] == '.' ? 1 : 0);
		b->lines++;
		b->prev_crlf = cr;
		b->line_len = 0;
		b->last = '\0';
	}
	return i;
}

/* The reply to ss->wait_item is known (or, with it == NULL, will not come
 * in time): set the client mode and read the held bytes. */
static void
wait_resolve(struct smtp_session *ss, const struct dlg_item *it)
{
	wait_resolve_code(
	    ss, it != NULL && it->reply != NULL ? it->reply->code : 0);
}

/* The reply the client waits for was lost in a gap: decide its mode from
 * what it sent next (a TLS record after STARTTLS; after DATA or AUTH, a
 * line that is a command means the server said no).  Returns true once
 * decided. */
static bool
wait_guess(struct smtp_session *ss)
{
	const struct dlg_item *w = ss->wait_item;
	struct strview line;
	struct smtp_cmd c;
	const guint8 *lf;
	GByteArray *h = ss->hold;

	if (w == NULL || h == NULL || h->len == 0)
		return false;
	if (w->cmd == SMTP_CMD_STARTTLS) {
		if (h->data[0] != 0x16) {
			wait_resolve_code(ss, 454);
			return true;
		}
		ss->d->tls_started = true;
		ss->d->tls_mode = DLG_TLS_STARTTLS;
		ss->server_tls = true;
		wait_resolve_code(ss, 220);
		return true;
	}
	lf = memchr(h->data, '\n', h->len);
	if (lf == NULL && h->len < LINEBUF_MAX)
		return false;
	line.p = (const char *)h->data;
	line.len = lf != NULL ? (size_t)(lf - h->data) : h->len;
	if (line.len > 0 && line.p[line.len - 1] == '\r')
		line.len--;
	smtp_cmd_parse(line, &c);
	if (c.id != SMTP_CMD_UNKNOWN && !c.syntax_error)
		wait_resolve_code(ss, 554);
	else if ((w->cmd == SMTP_CMD_AUTH ||
		     w->cmd == SMTP_CMD_AUTH_RESPONSE) &&
		 !is_auth_response(line)) {
		/* Neither a command nor an AUTH response: the exchange is
		 * over and what follows went through a hole (its state is
		 * not known: read on as after a hole in commands). */
		tx_touch(ss->tx);
		ss->resync[SMTP_DIR_CLIENT] = true;
		ss->tx_unknown = true;
		wait_resolve_code(ss, 235);
	} else
		wait_resolve_code(ss, 0);
	return true;
}

/* Could a line be an AUTH response (RFC 4954 §4): base64, or "*"? */
static bool
is_auth_response(struct strview line)
{
	size_t i;

	if (line.len == 1 && line.p[0] == '*')
		return true;
	for (i = 0; i < line.len; i++)
		if (!g_ascii_isalnum(line.p[i]) && line.p[i] != '+' &&
		    line.p[i] != '/' && line.p[i] != '=')
			return false;
	return true;
}

/* The client's mode after wait_item, given the reply code (0: none will
 * come in time; the likely case). */
static void
wait_resolve_code(struct smtp_session *ss, int code)
{
	g_autoptr(GByteArray) held = NULL;
	const struct dlg_item *w = ss->wait_item;
	enum smtp_state next = SMTP_STATE_COMMAND;
	size_t early;
	bool was;

	if (w == NULL)
		return;
	switch (w->cmd) {
	case SMTP_CMD_DATA:
		if (code != 354 && code != 0 && ss->tx_open)
			ss->tx_finished = true;
		if (code == 354 || code == 0) {
			next = SMTP_STATE_DATA;
			memset(&ss->body, 0, sizeof ss->body);
			ss->body.prev_crlf = true;
		}
		break;
	case SMTP_CMD_STARTTLS:
		if (code == 220 || code == 0)
			next = SMTP_STATE_TLS;
		break;
	case SMTP_CMD_AUTH:
	case SMTP_CMD_AUTH_RESPONSE:
		if (code == 334 || code == 0)
			next = SMTP_STATE_AUTH;
		break;
	default:
		break;
	}
	ss->wait_item = NULL;
	ss->wait_lost = false;
	smtp_enter_state(ss, next);
	if (ss->hold_gap > 0) {
		/* A hole came first, before anything held. */
		uint64_t g = ss->hold_gap;

		ss->hold_gap = 0;
		client_gap(ss, g);
	}
	held = ss->hold;
	ss->hold = NULL;
	early = MIN(ss->hold_early, held != NULL ? held->len : 0);
	ss->hold_early = 0;
	if (held == NULL || held->len == 0)
		return;
	if (code != 0 && next != SMTP_STATE_COMMAND && w->reply != NULL) {
		/* The client did not wait for the go-ahead. */
		if (next == SMTP_STATE_TLS && held->data[0] != 0x16) {
			/* Commands injected behind STARTTLS (CVE-2011-0411):
			 * sent in clear before the 220, so neither TLS nor
			 * SMTP after it; counted with the TLS bytes. */
			dialogue_anomaly(
			    ss->d, ANOMALY_CLEARTEXT_AFTER_STARTTLS);
			ss->d->tls_bytes_client += held->len;
			return;
		}
		dialogue_anomaly(ss->d, ANOMALY_PIPELINED_AFTER_SYNC);
	}
	/* What the client sent before the greeting is early talk, whenever
	 * it is read (after the greeting, once the reply that decides its
	 * meaning came). */
	was = ss->early_feed;
	ss->early_feed = ss->banner_seen && early > 0;
	client_bytes(ss, (const char *)held->data, early, ss->hold_ts);
	ss->early_feed = was;
	client_bytes(ss, (const char *)held->data + early, held->len - early,
	    ss->hold_ts);
}

/* ---- AUTH user names (RFC 4954; the secret is never kept) ---- */

/* Keep a decoded user name only if it is printable text (UTF-8 without
 * control characters): "QUIT" sent as a user name decodes to bytes that
 * are not a name. */
static char *
printable(const char *p, size_t n)
{
	const char *q;

	if (n == 0 || memchr(p, '\0', n) != NULL ||
	    !g_utf8_validate(p, (gssize)n, NULL))
		return NULL;
	for (q = p; q < p + n; q = g_utf8_next_char(q))
		if (g_unichar_iscntrl(g_utf8_get_char(q)))
			return NULL;
	return g_strndup(p, n);
}

/* The value of "key" in a comma- or ^A-separated list of key=value
 * (SCRAM's n=, OAUTHBEARER's a=, XOAUTH2's user=); NULL if absent. */
static char *
attribute(const char *raw, size_t n, const char *key)
{
	size_t kl = strlen(key), i = 0, j;

	while (i < n) {
		for (j = i; j < n && raw[j] != ',' && raw[j] != '\001'; j++)
			;
		if (j - i > kl && memcmp(raw + i, key, kl) == 0)
			return printable(raw + i + kl, j - i - kl);
		i = j + 1;
	}
	return NULL;
}

/* What one AUTH response (or initial response) gives away: the user name
 * (RFC 4616 PLAIN, the LOGIN draft, RFC 2195 CRAM-MD5, Google's XOAUTH2,
 * RFC 7628 OAUTHBEARER, RFC 5802 SCRAM), and whether a password, token or
 * proof went with it.  Decoded bytes are wiped after use. */
static void
auth_credentials(struct smtp_session *ss, struct strview b64, bool initial)
{
	struct dlg_auth *a = ss->d->auth;
	const char *mech = ss->auth_mech;
	unsigned step = initial ? 0 : ss->auth_step + (ss->auth_ir ? 1 : 0);
	g_autofree char *txt = NULL;
	char *user = NULL, *raw;
	const char *x, *e;
	gsize rlen = 0;
	bool secret = false;

	if (b64.len == 1 && b64.p[0] == '=') {
		/* An empty response (RFC 4954 §4). */
		if (strcmp(mech, "LOGIN") == 0 && step >= 1)
			a->password_sent = true;
		return;
	}
	if (!base64_token(b64)) {
		dialogue_anomaly(ss->d, ANOMALY_AUTH_BAD_BASE64);
		a->password_sent = true; /* what it is, nobody knows */
		return;
	}
	txt = g_strndup(b64.p, b64.len);
	raw = (char *)g_base64_decode(txt, &rlen);
	if (raw == NULL)
		return;
	if (strcmp(mech, "PLAIN") == 0) {
		/* authzid NUL authcid NUL passwd */
		x = memchr(raw, '\0', rlen);
		e = x != NULL ? memchr(x + 1, '\0', rlen - (gsize)(x + 1 - raw))
			      : NULL;
		if (e != NULL) {
			user = printable(x + 1, (size_t)(e - x - 1));
			secret = e + 1 < raw + rlen;
		} else
			secret = true;
	} else if (strcmp(mech, "LOGIN") == 0) {
		if (step == 0)
			user = printable(raw, rlen);
		else
			secret = true;
	} else if (strcmp(mech, "CRAM-MD5") == 0) {
		/* "user digest": the digest stands for the password. */
		e = g_strrstr_len(raw, (gssize)rlen, " ");
		if (e != NULL)
			user = printable(raw, (size_t)(e - raw));
		secret = true;
	} else if (strcmp(mech, "XOAUTH2") == 0) {
		/* "user=NAME^Aauth=Bearer TOKEN^A^A" */
		user = attribute(raw, rlen, "user=");
		secret = true;
	} else if (strcmp(mech, "OAUTHBEARER") == 0) {
		/* "n,a=NAME,^Ahost=...^Aauth=Bearer TOKEN^A^A" */
		user = attribute(raw, rlen, "a=");
		secret = true;
	} else if (g_str_has_prefix(mech, "SCRAM-")) {
		/* client-first "n,,n=NAME,r=NONCE"; client-final carries
		 * the proof "p=" */
		if (step == 0)
			user = attribute(raw, rlen, "n=");
		secret = g_strstr_len(raw, (gssize)rlen, "p=") != NULL;
	} else
		secret = true; /* a mechanism not known here */
	explicit_bzero(raw, rlen);
	g_free(raw);
	if (user != NULL && a->user == NULL) {
		a->user = user;
		dialogue_charge(ss->d, budget_str(user));
	} else
		g_free(user);
	if (secret)
		a->password_sent = true;
}

/* ---- server side ---- */

static void
server_bytes(struct smtp_session *ss, const char *p, size_t n, gint64 ts)
{
	struct strview line;
	unsigned flags;

	while (n > 0) {
		if (ss->server_tls) {
			size_t used;

			if (tls_read(ss, true, p, n, ts, &used))
				return;
			p += used; /* plaintext after all */
			n -= used;
			continue;
		}
		if (ss->cut_line) {
			/* Read what the bytes that tell were, then go on as
			 * that left things (in TLS after a STARTTLS, say). */
			if (!cut_peek(ss, &p, &n, ts))
				return;
			continue;
		}
		if (!linebuf_next(&ss->sl, &p, &n, &line, &flags))
			break;
		server_line(ss, line, flags, ts);
	}
	if (linebuf_in_line(&ss->sl))
		ss->sl_ts = ts;
}

/* Does what follows a command begin a reply line ("NNN ", "NNN-",
 * "NNN" and its line end)?  1 yes, 0 no, -1 not known yet; at the end of
 * the capture, what there is decides. */
static int
cut_verdict(const char *b, size_t len, bool at_end)
{
	size_t i;

	if (len >= 1 && (b[0] < '2' || b[0] > '5'))
		return 0;
	for (i = 1; i < len && i < 3; i++)
		if (!g_ascii_isdigit(b[i]))
			return 0;
	if (len >= 4)
		return b[3] == ' ' || b[3] == '-' || b[3] == '\r' ||
		       b[3] == '\n';
	if (at_end)
		return len == 3;
	return -1;
}

/* A line of the client's came (an LF, whatever it ends: a command, a
 * line of a message): when a reply line is in progress, or a multi-line
 * reply is open, the server may have left out its line end or its final
 * line, which a test crafted so (suricata-verify detect-email-received,
 * smtp-bug-6053) and a broken server do.  The evidence comes next: a new
 * reply right after it (cut_peek, reply_cut_here).  Marked as the bytes
 * arrive, not as their lines are read (bytes held for a reply are read
 * later), so that no split of either direction changes the outcome. */
static void
cut_mark(struct smtp_session *ss)
{
	struct smtp_reply_line rl;

	if (ss->cut_line || ss->cut_reply || ss->server_tls)
		return;
	if (linebuf_pending(&ss->sl) > 0)
		ss->cut_line =
		    smtp_reply_line_parse(linebuf_partial(&ss->sl), &rl);
	else if (linebuf_in_line(&ss->sl))
		ss->cut_line = ss->last_reply_line; /* skipping a cut one */
	else
		ss->cut_reply = smtp_reply_asm_open(&ss->ra);
	if (ss->cut_line || ss->cut_reply)
		ss->cut_at = pending_count(ss);
}

/* The server's bytes after such a command, taken (up to 4) until they
 * tell whether a reply line begins there.  Returns false when all of
 * them were taken and they do not tell yet. */
static bool
cut_peek(struct smtp_session *ss, const char **p, size_t *n, gint64 ts)
{
	int v;

	for (;;) {
		v = cut_verdict(ss->cut_peek, ss->cut_peek_len, false);
		if (v >= 0 || *n == 0)
			break;
		ss->cut_peek[ss->cut_peek_len++] = **p;
		(*p)++;
		(*n)--;
	}
	if (v < 0)
		return false;
	cut_decide(ss, v == 1, ts);
	return true;
}

/* A reply line began right after the command (cut), or not: end the line
 * in progress there if so (it lacked its line end: unterminated-line),
 * then read what was taken to tell. */
static void
cut_decide(struct smtp_session *ss, bool cut, gint64 ts)
{
	char got[sizeof ss->cut_peek];
	size_t k = ss->cut_peek_len;
	struct strview line;
	unsigned flags;

	memcpy(got, ss->cut_peek, k);
	ss->cut_peek_len = 0;
	ss->cut_line = false;
	if (cut) {
		ss->greeting_cut = !ss->banner_seen;
		if (linebuf_break(&ss->sl, &line, &flags))
			server_line(ss, line, flags, ss->sl_ts);
		else
			dialogue_anomaly(ss->d, ANOMALY_UNTERMINATED_LINE);
		ss->greeting_cut = false;
		/* The command came after that line: if it left a reply
		 * open, the same question for the reply. */
		if (smtp_reply_asm_open(&ss->ra))
			ss->cut_reply = true;
		else
			cut_settle(ss, true);
	} else
		cut_settle(ss, false);
	server_bytes(ss, got, k, ts);
}

/* Must the client wait for this command's reply before it sends more
 * (RFC 2920 §3.1; what follows DATA, STARTTLS and AUTH depends on it)? */
static bool
must_wait(enum smtp_cmd_id id)
{
	return is_sync_command(id) || id == SMTP_CMD_DATA ||
	       id == SMTP_CMD_STARTTLS || id == SMTP_CMD_AUTH ||
	       id == SMTP_CMD_AUTH_RESPONSE;
}

/* A multi-line reply is open, the client sent a command after its last
 * line, and now this line came: does a new reply begin here, the open
 * one's final line having been left out?  Yes when the code differs (RFC
 * 5321 §4.2.1: the lines of one reply share it), or when the open reply
 * answers a command the client had to wait for (the greeting, EHLO,
 * DATA, ...), so that it went on as if that reply had ended, and the line
 * can answer the command it sent next.  (A greeting whose last line a
 * pause kept back, as Postfix's postscreen does, goes on: "220" answers
 * no command the client sent.) */
static bool
reply_cut_here(struct smtp_session *ss, const struct smtp_reply_line *rl)
{
	struct smtp_reply probe = { 0 };
	const struct dlg_item *answered;
	GList *l = ss->pending.head;

	if (rl->code != ss->ra.code)
		return true;
	if (ss->deferring)
		return false;
	if (ss->banner_seen) {
		if (l == NULL || l->data == &lost_marker)
			return false;
		answered = l->data;
		if (!must_wait(answered->cmd))
			return false;
		l = l->next;
	}
	while (l != NULL && l->data == &lost_marker)
		l = l->next;
	if (l == NULL)
		return false;
	probe.code = rl->code;
	smtp_reply_find_enhanced(rl->text.p, rl->text.len, probe.enhanced);
	return reply_fits(((const struct dlg_item *)l->data)->cmd, &probe);
}

static void
server_line(
    struct smtp_session *ss, struct strview line, unsigned flags, gint64 ts)
{
	struct smtp_reply_line rl;
	struct smtp_reply *r;
	struct dlg_item *it;
	bool cut = ss->cut_reply;

	ss->cut_reply = false;
	ss->last_reply_line = smtp_reply_line_parse(line, &rl);
	if (cut && !ss->last_reply_line) {
		cut = false; /* no new reply: the open one goes on */
		cut_settle(ss, false);
	}
	line_anomalies(ss->d, flags);
	if (ss->resync[SMTP_DIR_SERVER]) {
		/* After a gap: the first line that is a reply starts one. */
		if (!smtp_reply_line_parse(line, &rl)) {
			dialogue_anomaly(ss->d, ANOMALY_RESYNC_SKIPPED);
			return;
		}
		ss->resync[SMTP_DIR_SERVER] = false;
	}
	if (!smtp_reply_line_parse(line, &rl)) {
		dialogue_anomaly(ss->d, ANOMALY_INVALID_REPLY);
		if (smtp_reply_asm_append_raw(&ss->ra, line))
			return;
		it = dlg_item_new(DLG_ITEM_SERVER_JUNK, SMTP_CMD_UNKNOWN,
		    line.p, line.len, ts);
		it->flags |= item_flags(flags);
		if (!dialogue_keep(ss->d, it))
			dlg_item_free(it);
		return;
	}
	if (cut) {
		cut = smtp_reply_asm_open(&ss->ra) && reply_cut_here(ss, &rl);
		cut_settle(ss, cut);
	}
	if (cut) {
		/* The open reply ended before this line. */
		r = smtp_reply_asm_finish(&ss->ra);
		r->unterminated = true;
		ss->ra_unterminated = false;
		dialogue_anomaly(ss->d, ANOMALY_UNTERMINATED_LINE);
		ss->greeting_cut = !ss->banner_seen;
		server_reply(ss, r, ss->ra_ts);
		ss->greeting_cut = false;
	}
	if (flags & LINE_UNTERMINATED)
		ss->ra_unterminated = true;
	ss->ra_ts = ts;
	r = smtp_reply_asm_push(&ss->ra, &rl);
	if (r != NULL) {
		r->unterminated = ss->ra_unterminated;
		ss->ra_unterminated = false;
		server_reply(ss, r, ts);
	}
}

static bool
ext_is(const char *line, size_t len, const char *kw)
{
	size_t kl = strlen(kw);

	return len >= kl && g_ascii_strncasecmp(line, kw, kl) == 0 &&
	       (len == kl || line[kl] == ' ' || line[kl] == '=');
}

/* Read the EHLO keywords that change how the dialogue is parsed. */
static void
ehlo_extensions(struct dialogue *d, const struct smtp_reply *r)
{
	const char *p = r->text, *nl, *end = r->text + r->text_len;
	size_t n;

	d->pipelining_offered = d->chunking_offered = d->tls_offered = false;
	/* The first line is the server's name; keywords follow. */
	nl = memchr(p, '\n', r->text_len);
	while (nl != NULL) {
		p = nl + 1;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (ext_is(p, n, "PIPELINING"))
			d->pipelining_offered = true;
		else if (ext_is(p, n, "CHUNKING"))
			d->chunking_offered = true;
		else if (ext_is(p, n, "STARTTLS"))
			d->tls_offered = true;
	}
}

/* A reply that answers no waiting command: an item of its own, listed
 * before the kept item before (or last: NULL). */
static void
reply_alone_before(struct smtp_session *ss, struct smtp_reply *r, gint64 ts,
    unsigned flags, const struct dlg_item *before)
{
	struct dlg_item *it;

	it = dlg_item_new(DLG_ITEM_UNSOLICITED, SMTP_CMD_UNKNOWN, NULL, 0, ts);
	it->flags |= flags;
	it->reply = r;
	it->reply_ts = ts;
	/* (charged with the item) */
	if (!dialogue_keep_before(ss->d, it, before))
		dlg_item_free(it);
}

static void
reply_alone(
    struct smtp_session *ss, struct smtp_reply *r, gint64 ts, unsigned flags)
{
	reply_alone_before(ss, r, ts, flags, NULL);
}

/* ---- capture gaps and mid-stream pickup ---- */

/* Could this reply answer this command?  Any command can be refused;
 * success codes are particular (RFC 5321 §4.3.2), and so are the subjects
 * of enhanced codes (RFC 3463): addressing (2.1.x) answers MAIL or RCPT
 * (2.1.0 the sender, 2.1.5 a recipient, as Postfix and others say),
 * message content (2.6.x) the end of a message. */
static bool
reply_fits(enum smtp_cmd_id cmd, const struct smtp_reply *r)
{
	int code = r->code, cls = smtp_reply_class(code);
	const char *e = r->enhanced;

	if (cls == 4 || cls == 5)
		return true;
	if (e[0] == '2' && e[1] == '.' && e[2] == '1' && e[3] == '.') {
		if (cmd == SMTP_CMD_MAIL)
			return strcmp(e + 4, "5") != 0;
		if (cmd == SMTP_CMD_RCPT)
			return strcmp(e + 4, "0") != 0;
		return cmd == SMTP_CMD_VRFY || cmd == SMTP_CMD_EXPN;
	}
	if (e[0] == '2' && e[1] == '.' && e[2] == '6' && e[3] == '.')
		return cmd == SMTP_CMD_END_OF_DATA || cmd == SMTP_CMD_BDAT;
	switch (cmd) {
	case SMTP_CMD_DATA:
		return code == 354;
	case SMTP_CMD_AUTH:
	case SMTP_CMD_AUTH_RESPONSE:
		return code == 334 || code == 235;
	case SMTP_CMD_STARTTLS:
		return code == 220;
	case SMTP_CMD_QUIT:
		return code == 221;
	case SMTP_CMD_HELP:
		return code == 211 || code == 214;
	case SMTP_CMD_ETRN:
		return code >= 250 && code <= 253;
	default:
		return code >= 250 && code <= 252;
	}
}

/* The open transaction, or else the last one. */
static struct dlg_tx *
last_tx(struct smtp_session *ss)
{
	if (ss->tx != NULL)
		return ss->tx;
	if (ss->d->txs->len == 0)
		return NULL;
	return g_ptr_array_index(ss->d->txs, ss->d->txs->len - 1);
}

/* The replies of the waiting commands before l will not come: take
 * them out of the queue, with these flags. */
static void
pending_skip_to(struct smtp_session *ss, const GList *l, unsigned flags)
{
	struct dlg_item *it;

	while (ss->pending.head != l) {
		it = g_queue_pop_head(&ss->pending);
		if (it == &lost_marker) {
			ss->marker = false;
			continue;
		}
		if (is_sync_command(it->cmd))
			ss->pending_sync--;
		it->flags |= flags;
		tx_touch(it->tx);
		if (it == ss->wait_item)
			wait_resolve_code(ss, 0);
		if (!it->retained)
			dlg_item_free(it);
	}
}

/* While pairing is uncertain: a reply that cannot answer the oldest
 * waiting command but can answer a later one shows that the replies of
 * those before it were lost. */
static void
skip_unfit(struct smtp_session *ss, const struct smtp_reply *r)
{
	struct dlg_item *it;
	GList *l;

	for (l = ss->pending.head; l != NULL; l = l->next) {
		it = l->data;
		if (it != &lost_marker && reply_fits(it->cmd, r))
			break;
	}
	if (l == NULL || l == ss->pending.head)
		return;
	pending_skip_to(ss, l, DLG_F_REPLY_LOST | DLG_F_UNCERTAIN);
}

/* Otherwise: a reply whose code says which command it answers (354
 * DATA, 334 and 235 AUTH, 220 STARTTLS, 221 QUIT, ...: RFC 5321 §4.3.2;
 * a plain 250 says nothing), which the oldest waiting command cannot take
 * but a later one can, shows the replies out of step: those of the
 * commands before that one ran into other lines (a line end the server
 * left out with no command between to show it, a line cut for length
 * whose skipped rest held them) or never came.  They go without a reply,
 * marked uncertain, and this one answers its own command: a 354 opens
 * DATA's message rather than the message being read as commands.  A
 * command of unknown verb may take any reply: nothing is skipped past
 * one. */
static void
skip_out_of_step(struct smtp_session *ss, const struct smtp_reply *r)
{
	const struct dlg_item *it;
	GList *l;

	if (!reply_names_command(r))
		return;
	for (l = ss->pending.head; l != NULL; l = l->next) {
		it = l->data;
		if (it == &lost_marker)
			continue;
		if (it->cmd == SMTP_CMD_UNKNOWN || reply_fits(it->cmd, r))
			break;
	}
	if (l == NULL || l == ss->pending.head ||
	    ((const struct dlg_item *)l->data)->cmd == SMTP_CMD_UNKNOWN)
		return;
	dialogue_anomaly(ss->d, ANOMALY_REPLY_OUT_OF_STEP);
	pending_skip_to(ss, l, DLG_F_UNCERTAIN);
}

/* Mark every command awaiting a reply as uncertainly paired. */
static void
pending_uncertain(struct smtp_session *ss)
{
	GList *l;

	for (l = ss->pending.head; l != NULL; l = l->next) {
		struct dlg_item *it = l->data;

		if (it == &lost_marker)
			continue;
		it->flags |= DLG_F_UNCERTAIN;
		tx_touch(it->tx);
	}
}

/* A reply to a command that must be the last of its group (DATA,
 * STARTTLS, AUTH, QUIT) came for lost commands: none is still due. */
static void
marker_drop(struct smtp_session *ss)
{
	if (ss->marker)
		g_queue_remove(&ss->pending, &lost_marker);
	ss->marker = false;
}

/* The transaction of a message not wholly captured (flagged), with its
 * data record: the open one, or a new one. */
static void
unseen_message_tx(struct smtp_session *ss)
{
	marker_drop(ss);
	if (ss->tx_open && ss->tx_finished)
		tx_close(ss);
	if (!ss->tx_open)
		tx_open(ss);
	tx_touch(ss->tx);
	if (ss->tx != NULL && ss->tx->data == NULL)
		dialogue_data_new(ss->d, ss->tx, SMTP_CMD_DATA);
}

/* The body of a DATA whose start was not captured: read it from here. */
static void
body_start_unseen(struct smtp_session *ss)
{
	unseen_message_tx(ss);
	ss->data = ss->tx != NULL ? ss->tx->data : NULL;
	linebuf_clear(&ss->cl);
	memset(&ss->body, 0, sizeof ss->body);
	ss->body.prev_crlf = true;
	ss->resync[SMTP_DIR_CLIENT] = false;
	smtp_enter_state(ss, SMTP_STATE_DATA);
}

/* An END-OF-DATA item for a body whose end (or start) was not captured;
 * queued for the reply. */
static void
end_of_data_unseen(struct smtp_session *ss, gint64 ts)
{
	struct dlg_item *it;

	ss->body_resync = false;
	unseen_message_tx(ss);
	it = dlg_item_new(DLG_ITEM_COMMAND, SMTP_CMD_END_OF_DATA, NULL, 0, ts);
	it->flags |= DLG_F_NOT_CAPTURED;
	it->tx = ss->tx;
	if (ss->tx != NULL) {
		ss->tx->data->complete = true;
		if (ss->state == SMTP_STATE_DATA) {
			ss->tx->data->bytes = ss->body.bytes;
			ss->tx->data->lines = ss->body.lines;
		}
		it->bytes = ss->tx->data->bytes;
		it->lines = ss->tx->data->lines;
	}
	dialogue_keep(ss->d, it);
	if (ss->tx != NULL && it->retained)
		ss->tx->data->end = it;
	pending_push(ss, it);
	ss->data = NULL;
	tx_close(ss);
	ss->tx_unknown = false;
	memset(&ss->body, 0, sizeof ss->body);
	smtp_enter_state(ss, SMTP_STATE_COMMAND);
}

/* A line of a message after a hole in it, with no replies in the
 * capture: a transaction command (MAIL FROM:<...>, RCPT TO:<...>, RSET,
 * QUIT, HELO/EHLO) with valid syntax shows that the message ended in the
 * hole; the "." line ends it as usual; the rest is message text. */
static void
body_resync_line(
    struct smtp_session *ss, struct strview line, unsigned flags, gint64 ts)
{
	struct smtp_cmd c;

	if (line.len == 1 && line.p[0] == '.' && !(flags & LINE_BARE_LF)) {
		ss->body_resync = false;
		end_of_data_unseen(ss, ts);
		return;
	}
	smtp_cmd_parse(line, &c);
	if (!c.syntax_error &&
	    ((c.id == SMTP_CMD_MAIL || c.id == SMTP_CMD_RCPT)
		    ? c.path_bracketed
		    : (c.id == SMTP_CMD_RSET || c.id == SMTP_CMD_QUIT ||
			  c.id == SMTP_CMD_HELO || c.id == SMTP_CMD_EHLO))) {
		ss->body_resync = false;
		end_of_data_unseen(ss, ts);
		client_line(ss, line, flags, ts);
		return;
	}
	ss->body.bytes +=
	    line.len + 2 - (line.len >= 2 && line.p[0] == '.' ? 1 : 0);
	ss->body.lines++;
	msg_feed_line(ss, line, flags, ts);
}

/* A client line while re-synchronising: true if it is to be read. */
static bool
resync_client(struct smtp_session *ss, struct strview line, gint64 ts)
{
	struct smtp_cmd c;

	if (ss->state == SMTP_STATE_COMMAND && line.len == 1 &&
	    line.p[0] == '.') {
		/* The end of a message whose start was not captured. */
		ss->resync[SMTP_DIR_CLIENT] = false;
		ss->client_spoke = true;
		end_of_data_unseen(ss, ts);
		return false;
	}
	smtp_cmd_parse(line, &c);
	if (c.id != SMTP_CMD_UNKNOWN && !c.syntax_error) {
		ss->resync[SMTP_DIR_CLIENT] = false;
		if (ss->state == SMTP_STATE_AUTH)
			smtp_enter_state(ss, SMTP_STATE_COMMAND);
		return true;
	}
	if (ss->state == SMTP_STATE_AUTH) {
		/* Still inside AUTH: a response. */
		ss->resync[SMTP_DIR_CLIENT] = false;
		return true;
	}
	dialogue_anomaly(ss->d, ANOMALY_RESYNC_SKIPPED);
	return false;
}

/* A reply to a command that is not in the capture.  Its code tells what
 * the client does next. */
static void
reply_not_captured(struct smtp_session *ss, struct smtp_reply *r, gint64 ts)
{
	struct dialogue *d = ss->d;

	reply_alone(ss, r, ts, DLG_F_NOT_CAPTURED);
	ss->marker_answered = true;
	ss->tx_unknown = true; /* which command it answers is not known */
	if (ss->tx_open && !ss->tx_finished)
		tx_touch(ss->tx);
	if (ss->state != SMTP_STATE_COMMAND && ss->state != SMTP_STATE_AUTH)
		return;
	switch (r->code) {
	case 354: /* a DATA: its body comes */
		body_start_unseen(ss);
		break;
	case 334: /* inside AUTH */
		marker_drop(ss);
		smtp_enter_state(ss, SMTP_STATE_AUTH);
		break;
	case 235:
		if (d->auth != NULL)
			d->auth->result = DLG_AUTH_SUCCESS;
		smtp_enter_state(ss, SMTP_STATE_COMMAND);
		break;
	case 220: /* only STARTTLS is answered so after the greeting */
		marker_drop(ss);
		d->tls_started = true;
		d->tls_mode = DLG_TLS_STARTTLS;
		ss->server_tls = true;
		tx_close(ss);
		smtp_enter_state(ss, SMTP_STATE_TLS);
		break;
	case 221:
		marker_drop(ss);
		ss->quit_seen = true;
		break;
	default:
		break;
	}
}

size_t
smtp_session_mem(const struct smtp_session *ss)
{
	return ss->mem + ss->d->mem;
}

bool
smtp_session_encrypted(const struct smtp_session *ss)
{
	return ss->state == SMTP_STATE_TLS;
}

void
smtp_session_continue_tls(struct smtp_session *ss)
{
	ss->midstream = true;
	ss->d->picked_up = true;
	ss->banner_seen = true;
	ss->d->tls_started = true;
	ss->server_tls = true;
	ss->tls_lost = true; /* inside records: not readable from here */
	smtp_enter_state(ss, SMTP_STATE_TLS);
}

void
smtp_session_midstream(struct smtp_session *ss)
{
	ss->midstream = true;
	ss->d->picked_up = true;
	ss->resync[SMTP_DIR_CLIENT] = ss->resync[SMTP_DIR_SERVER] = true;
	ss->tx_unknown = true;
	g_queue_push_tail(&ss->pending, &lost_marker);
	ss->marker = true;
	ss->marker_answered = false;
}

static void
client_gap(struct smtp_session *ss, uint64_t len)
{
	uint64_t take;

	if (ss->server_gap)
		ss->pair_uncertain = true; /* holes both ways: see below */
	switch (ss->state) {
	case SMTP_STATE_TLS:
		ss->d->tls_bytes_client += len;
		ss->tls_lost = true;
		tls_head_settle(ss);
		return;
	case SMTP_STATE_BDAT:
		/* Chunks have a length: the hole is counted exactly. */
		take = len < ss->bdat_left ? len : ss->bdat_left;
		ss->bdat_left -= take;
		if (ss->bdat_item != NULL)
			ss->bdat_item->bytes += take;
		if (ss->data != NULL) {
			ss->data->bytes += take;
			ss->data->bytes_lost += take;
			msg_feed_gap(ss, ss->data, take);
			if (ss->data->body != NULL) {
				/* A kept body with a hole is no body. */
				g_byte_array_unref(ss->data->body);
				ss->data->body = NULL;
				ss->data->body_dropped = true;
			}
		}
		/* BDAT LAST closed the transaction already. */
		tx_touch(ss->bdat_item != NULL ? ss->bdat_item->tx : ss->tx);
		if (ss->bdat_left > 0)
			return;
		ss->bdat_item = NULL;
		smtp_enter_state(ss, SMTP_STATE_COMMAND);
		if (take == len)
			return;
		break;
	case SMTP_STATE_DATA:
		if (ss->data != NULL) {
			ss->data->bytes_lost += len;
			msg_feed_gap(ss, ss->data, len);
			if (ss->data->body != NULL) {
				g_byte_array_unref(ss->data->body);
				ss->data->body = NULL;
				ss->data->body_dropped = true;
			}
		}
		tx_touch(ss->tx);
		/* Go on as at a line start, but what follows may be the end
		 * of a cut line: a "." there does not end the body (the reply
		 * to the real end will, see server_reply). */
		ss->body.line_len = 0;
		ss->body.last = '\0';
		ss->body.prev_crlf = false;
		ss->body_hole = true;
		if (ss->no_replies) {
			linebuf_clear(&ss->cl);
			ss->body_resync = true;
		}
		return;
	default:
		break;
	}
	/* Commands (or AUTH responses) were lost: drop the cut line, wait
	 * for a recognisable one, and let replies to the lost ones find the
	 * marker. */
	linebuf_clear(&ss->cl);
	ss->resync[SMTP_DIR_CLIENT] = true;
	ss->tx_unknown = true;
	if (ss->tx_open && !ss->tx_finished)
		tx_touch(ss->tx);
	if (ss->server_gap) {
		/* Replies were lost since the last one paired: those to the
		 * commands lost here, as likely as not.  Pairings are
		 * uncertain until the client waits for a reply again. */
		pending_uncertain(ss);
		ss->pair_uncertain = true;
	} else if (g_queue_peek_tail(&ss->pending) != &lost_marker) {
		g_queue_push_tail(&ss->pending, &lost_marker);
		ss->marker = true;
		ss->marker_answered = false;
	}
}

static void
server_gap(struct smtp_session *ss, uint64_t len, gint64 ts)
{
	struct dlg_item *it;

	if (ss->server_tls) {
		ss->d->tls_bytes_server += len;
		ss->tls_lost = true;
		tls_head_settle(ss);
		return;
	}
	if (ss->state == SMTP_STATE_DATA && ss->body_hole &&
	    pending_count(ss) == 0) {
		/* Holes in a message and then in the replies, with nothing
		 * else waiting for one: servers do not speak inside a
		 * message, so what they said, and lost, was the reply to its
		 * end, which was in the client's hole. */
		end_of_data_unseen(ss, ts);
	}
	linebuf_clear(&ss->sl);
	smtp_reply_asm_clear(&ss->ra);
	ss->ra_unterminated = false;
	ss->resync[SMTP_DIR_SERVER] = true;
	/* The answer to an AUTH exchange may have been in the hole. */
	if (ss->auth_exch)
		ss->auth_answered = true;
	/* The greeting may have been in the hole: whether what the client
	 * sent so far came before it is not known. */
	if (!ss->banner_seen)
		pending_unmark_early(ss, 0);
	ss->banner_seen = true;
	cut_settle(ss, false);
	ss->cut_line = ss->cut_reply = false;
	ss->cut_peek_len = 0;
	/* Replies answer commands in order: the lost ones answered the
	 * oldest waiting, those read right after the hole the newest.  Which
	 * are which is settled once those are read (gap_settle). */
	gap_settle(ss);
	while ((it = g_queue_pop_head(&ss->pending)) != NULL) {
		if (it == &lost_marker) {
			ss->marker = false;
			continue;
		}
		if (is_sync_command(it->cmd))
			ss->pending_sync--;
		g_queue_push_tail(&ss->orphans, it);
	}
	ss->deferring = true;
	ss->server_gap = true;
}

/* Does a reply's code say which command it answers (RFC 5321 §4.3.2:
 * 354 DATA, 334 and 235 AUTH, 220 STARTTLS, 221 QUIT, 211 and 214 HELP,
 * 253 ETRN)?  A plain 250 (or 251, 252) or a refusal does not. */
static bool
reply_names_command(const struct smtp_reply *r)
{
	int cls = smtp_reply_class(r->code);

	return (cls == 2 || cls == 3) && (r->code < 250 || r->code > 252);
}

/* Does the reply name the newest command waiting (reply_names_command)? */
static bool
names_newest(const struct smtp_session *ss, const struct smtp_reply *r)
{
	GList *l;

	for (l = ss->pending.tail; l != NULL; l = l->prev)
		if (l->data != &lost_marker)
			return reply_names_command(r) &&
			       reply_fits(
				   ((const struct dlg_item *)l->data)->cmd, r);
	return false;
}

/* Picked up mid-stream, the client's commands waiting, and now a 220 as
 * the first reply: the greeting of an early talker whose burst the
 * capture started inside, or STARTTLS's go-ahead?  The greeting, unless
 * a STARTTLS is among those waiting: commands in clear after a STARTTLS
 * lost before the pickup would be an injection, and a client that waits
 * for 220 to start TLS sends nothing before it. */
static bool
pickup_greeting(const struct smtp_session *ss)
{
	GList *l;
	bool any = false;

	for (l = ss->pending.head; l != NULL; l = l->next) {
		const struct dlg_item *it = l->data;

		if (it == &lost_marker)
			continue;
		if (it->cmd == SMTP_CMD_STARTTLS)
			return false;
		any = true;
	}
	return any;
}

/* The greeting of a session picked up inside an early talker's burst:
 * the commands waiting, and the bytes held, were sent before it.  The
 * replies that follow answer first the commands sent before the pickup:
 * how many is not known until a reply names the newest command waiting
 * (a 354 its DATA, ...), so they are deferred, as after a hole in the
 * replies, and counted back from that one (replies_settle). */
static void
pickup_start(struct smtp_session *ss, struct smtp_reply *r, gint64 ts)
{
	struct dlg_item *it;
	GList *l;

	ss->banner_seen = true;
	for (l = ss->pending.head; l != NULL; l = l->next) {
		it = l->data;
		if (it == &lost_marker)
			continue;
		it->flags |= DLG_F_EARLY;
		dialogue_anomaly(ss->d, ANOMALY_EARLY_TALKER);
	}
	if (ss->hold != NULL)
		ss->hold_early = ss->hold->len;
	greeting_keep(ss, r, ts);
	ss->deferring = ss->pickup = true;
}

/* The replies read right after a hole in the replies answer the newest
 * of the commands that were waiting, the replies of the oldest were in the
 * hole.  Matched from the end, a reply and a command pair when the reply
 * can answer it (reply_fits); a reply that can answer none of them
 * answers something not seen (a command in a hole of the client's). */
static void
gap_settle(struct smtp_session *ss)
{
	replies_settle(ss, false);
}

/* The same after the greeting of a session picked up inside an early
 * talker's burst (pickup_greeting): the replies read since answer first
 * the commands sent before the pickup, then those seen, in order; every
 * command waiting is matched from the end, from the reply that names the
 * newest one (anchored: the pairs are then exact) or the last one read.
 * Replies before the first pair answer commands not captured. */
static void
replies_settle(struct smtp_session *ss, bool anchored)
{
	g_autoptr(GPtrArray) dr = NULL;
	g_autofree bool *paired = NULL;
	struct dlg_item *it;
	guint k, n, m = 0, i, last = 0, first = 0;
	gint oi, ri;
	bool waited = false, pickup = ss->pickup;
	bool exact = pickup && anchored;

	if (!ss->deferring)
		return;
	ss->deferring = false;
	ss->pickup = false;
	while (pickup && !g_queue_is_empty(&ss->pending)) {
		it = g_queue_pop_head(&ss->pending);
		if (it == &lost_marker) {
			ss->marker = false;
			continue;
		}
		if (is_sync_command(it->cmd))
			ss->pending_sync--;
		g_queue_push_tail(&ss->orphans, it);
	}
	k = g_queue_get_length(&ss->orphans);
	n = ss->deferred->len;
	paired = g_new0(bool, n + 1);
	oi = (gint)k - 1;
	for (ri = (gint)n - 1; ri >= 0 && oi >= 0; ri--) {
		struct deferred_reply *x = g_ptr_array_index(ss->deferred, ri);

		if (reply_fits(((struct dlg_item *)g_queue_peek_nth(
				    &ss->orphans, (guint)oi))
				   ->cmd,
			x->r)) {
			paired[ri] = true;
			if (m++ == 0)
				last = (guint)ri;
			first = (guint)ri;
			oi--;
		}
	}
	for (i = 0; i < k - m; i++) {
		/* Their replies were in the hole, or (picked up) not found
		 * where they should be. */
		it = g_queue_pop_head(&ss->orphans);
		it->flags |= pickup ? DLG_F_UNCERTAIN : DLG_F_REPLY_LOST;
		tx_touch(it->tx);
		if (it == ss->wait_item) {
			waited = true;
			if (!it->retained) {
				wait_resolve(ss, NULL);
				waited = false;
			}
		}
		if (!it->retained)
			dlg_item_free(it);
	}
	while ((it = g_queue_pop_tail(&ss->orphans)) != NULL) {
		if (!exact) {
			it->flags |= DLG_F_UNCERTAIN;
			tx_touch(it->tx);
		}
		if (is_sync_command(it->cmd))
			ss->pending_sync++;
		g_queue_push_head(&ss->pending, it);
	}
	if (n > 0 && !exact)
		ss->pair_uncertain = true;
	dr = ss->deferred;
	ss->deferred = g_ptr_array_new();
	ss->deferred_bytes = 0;
	for (i = 0; i < n; i++) {
		struct deferred_reply *x = g_ptr_array_index(dr, i);

		/* Unpaired before the last paired one: its own item; after
		 * it, read as any reply (it may end a message, say).  Picked
		 * up, those before the first answer what was not captured. */
		if (!paired[i] && pickup && (m == 0 || i < first)) {
			/* Listed before the commands seen, which they came
			 * before. */
			reply_alone_before(ss, x->r, x->ts, DLG_F_NOT_CAPTURED,
			    oldest_waiting(ss));
		} else if (!paired[i] && (m > 0 && i < last)) {
			reply_alone(ss, x->r, x->ts, DLG_F_UNCERTAIN);
			tx_touch(last_tx(ss));
		} else
			server_reply(ss, x->r, x->ts);
		g_free(x);
	}
	if (waited) {
		/* What the client sends next tells what the reply was. */
		ss->wait_lost = true;
		wait_guess(ss);
	}
}

void
smtp_session_gap_settle(struct smtp_session *ss)
{
	if (!ss->pickup) /* no hole: nothing the packet layer knows */
		gap_settle(ss);
	machine_recharge(ss);
}

void
smtp_session_gap(
    struct smtp_session *ss, enum smtp_dir dir, uint64_t len, gint64 ts)
{
	struct dlg_item *it;

	if (len == 0)
		return;
	prefixes_settle(ss, ts);
	if (dir == SMTP_DIR_CLIENT && ss->pickup)
		gap_settle(ss);
	/* The hole comes after whatever the client sent and is held. */
	while (
	    dir == SMTP_DIR_CLIENT && ss->state == SMTP_STATE_WAIT &&
	    !(ss->hold_gap == 0 && (ss->hold == NULL || ss->hold->len == 0))) {
		if (wait_guess(ss))
			continue;
		/* Nothing to tell by: the likely case, and say so. */
		if (ss->wait_item != NULL)
			tx_touch(ss->wait_item->tx);
		wait_resolve(ss, NULL);
	}
	ss->d->gaps[dir]++;
	ss->d->gap_bytes[dir] += len;
	it = dlg_item_new(DLG_ITEM_GAP, SMTP_CMD_UNKNOWN, NULL, 0, ts);
	it->dir = (uint8_t)dir;
	it->bytes = len;
	if (!dialogue_keep(ss->d, it))
		dlg_item_free(it);
	if (dir == SMTP_DIR_CLIENT && ss->state == SMTP_STATE_WAIT) {
		/* Nothing held yet: the reply, or what the client sent after
		 * the hole, still decides the mode; the hole is applied in
		 * it then (wait_resolve_code). */
		ss->hold_gap = len;
		if (ss->wait_item != NULL)
			tx_touch(ss->wait_item->tx);
		return;
	}
	if (dir == SMTP_DIR_CLIENT)
		client_gap(ss, len);
	else
		server_gap(ss, len, ts);
}

/* With the marker first in the queue: a reply that cannot answer the
 * next visible command answers a lost one (true: it was taken); one that
 * can may answer either, and is paired with the visible one, uncertain. */
static bool
marker_first(struct smtp_session *ss, struct smtp_reply *r, gint64 ts)
{
	struct dlg_item *it;

	if (g_queue_peek_head(&ss->pending) != &lost_marker)
		return false;
	it = g_queue_peek_nth(&ss->pending, 1);
	if (it == NULL || !reply_fits(it->cmd, r)) {
		reply_not_captured(ss, r, ts);
		return true;
	}
	g_queue_pop_head(&ss->pending);
	ss->marker = false;
	pending_uncertain(ss);
	ss->pair_uncertain = true;
	return false;
}

/* The reply to HELO/EHLO/LHLO: the session's identity is the last
 * greeting the server accepted (a refused one changes nothing, not even
 * the transaction). */
static void
greeting_reply(struct smtp_session *ss, struct dlg_item *it, int cls)
{
	struct dialogue *d = ss->d;

	if (cls != 2) {
		if (cls == 4 || cls == 5) {
			envelope_refused(ss, it);
			if (ss->helo_ok != NULL)
				d->helo = ss->helo_ok;
		}
		it->tx_before = NULL;
		return;
	}
	it->tx_before = NULL;
	if (it->retained)
		ss->helo_ok = it;
	if (it->cmd == SMTP_CMD_HELO)
		d->pipelining_offered = d->chunking_offered = d->tls_offered =
		    false;
	else
		ehlo_extensions(d, it->reply);
}

static void
server_reply(struct smtp_session *ss, struct smtp_reply *r, gint64 ts)
{
	struct dialogue *d = ss->d;
	struct dlg_item *it;
	int cls = smtp_reply_class(r->code);

	mask_echoes(ss, r);
	/* In the order the server spoke, whatever the pairing. */
	if (ss->auth_exch && r->code != 334)
		ss->auth_answered = true;
	if (ss->deferring) {
		struct deferred_reply *x = g_new(struct deferred_reply, 1);

		x->r = r;
		x->ts = ts;
		g_ptr_array_add(ss->deferred, x);
		ss->deferred_bytes +=
		    budget_bytes(sizeof *x) + budget_bytes(sizeof *r) +
		    budget_grown(MAX(r->text_len, 64) + 1) + sizeof(gpointer);
		if (ss->deferred->len >= SMTP_PENDING_MAX)
			gap_settle(ss);
		else if (ss->pickup && names_newest(ss, r))
			replies_settle(ss, true);
		return;
	}

	if (r->code_mismatch)
		dialogue_anomaly(d, ANOMALY_MULTILINE_CODE_MISMATCH);
	if (r->enhanced_mismatch)
		dialogue_anomaly(d, ANOMALY_ENHANCED_CODE_MISMATCH);

	if (!ss->banner_seen && ss->midstream && r->code == 220 &&
	    ss->client_spoke && !ss->deferring && pickup_greeting(ss)) {
		pickup_start(ss, r, ts);
		return;
	}
	if (!ss->banner_seen && ss->midstream &&
	    (r->code != 220 || ss->client_spoke)) {
		/* Picked up after the greeting. */
		ss->banner_seen = true;
	}
	if (!ss->banner_seen) {
		/* The first reply is the greeting, even if the client spoke
		 * first (it is then early talk): replies come in order, so
		 * the next ones answer its commands, oldest first. */
		ss->banner_seen = true;
		if (ss->midstream) {
			/* Picked up at the start after all: nothing is
			 * unknown. */
			g_queue_remove(&ss->pending, &lost_marker);
			ss->marker = false;
			ss->tx_unknown = false;
			ss->resync[SMTP_DIR_CLIENT] = false;
		}
		if (ss->greeting_cut) {
			/* It ended where a command came after it: that
			 * command, and those after it, did not come early. */
			pending_unmark_early(ss, ss->cut_at);
		}
		early_count(ss);
		greeting_keep(ss, r, ts);
		return;
	}
	if (pending_count(ss) == 0 && ss->state == SMTP_STATE_DATA &&
	    (ss->d->gaps[SMTP_DIR_CLIENT] > 0 || ss->midstream)) {
		/* A reply while the message is still being read: its end
		 * ("." line) was lost, and this answers it, unless it cannot
		 * (then commands after it were lost too). */
		end_of_data_unseen(ss, ts);
		it = g_queue_peek_tail(&ss->pending);
		if (it != NULL && it != &lost_marker &&
		    it->cmd == SMTP_CMD_END_OF_DATA &&
		    !reply_fits(it->cmd, r)) {
			g_queue_pop_tail(&ss->pending);
			it->flags |= DLG_F_REPLY_LOST;
			if (!it->retained)
				dlg_item_free(it);
			reply_not_captured(ss, r, ts);
			return;
		}
	}
	if (marker_first(ss, r, ts))
		return;
	if (ss->pair_uncertain)
		skip_unfit(ss, r);
	else
		skip_out_of_step(ss, r);
	it = g_queue_peek_head(&ss->pending);
	if (ss->pair_uncertain && it != NULL && it == ss->wait_item &&
	    !reply_fits(it->cmd, r) && ss->hold != NULL && ss->hold->len > 0) {
		/* Not its reply, and what the client sent after it is held:
		 * its reply was lost; read on, and pair this with what the
		 * client sent next. */
		g_queue_pop_head(&ss->pending);
		if (is_sync_command(it->cmd))
			ss->pending_sync--;
		it->flags |= DLG_F_REPLY_LOST | DLG_F_UNCERTAIN;
		tx_touch(it->tx);
		if (!wait_guess(ss))
			wait_resolve_code(ss, 0);
		if (!it->retained)
			dlg_item_free(it);
		/* What was held may have brought a hole of its own. */
		if (marker_first(ss, r, ts))
			return;
		skip_unfit(ss, r);
	}
	if (marker_first(ss, r, ts))
		return; /* (skip_unfit may have left it first) */
	it = g_queue_pop_head(&ss->pending);
	if (it == NULL) {
		if (ss->no_commands) {
			/* A one-sided capture: the client is not in it. */
			reply_alone(ss, r, ts, DLG_F_NOT_CAPTURED);
		} else if (ss->server_gap) {
			/* Perhaps the reply of a command given up on. */
			reply_alone(ss, r, ts, DLG_F_UNCERTAIN);
			tx_touch(last_tx(ss));
		} else {
			/* 421 may come at any time (RFC 5321 §3.8). */
			if (r->code != 421)
				dialogue_anomaly(
				    d, ANOMALY_REPLY_WITHOUT_COMMAND);
			reply_alone(ss, r, ts, 0);
		}
		return;
	}
	ss->server_gap = false;
	if (ss->pair_uncertain) {
		it->flags |= DLG_F_UNCERTAIN;
		tx_touch(it->tx);
		if (g_queue_is_empty(&ss->pending))
			ss->pair_uncertain = false;
	}
	if (is_sync_command(it->cmd))
		ss->pending_sync--;
	dialogue_reply(d, it, r, ts);

	switch (it->cmd) {
	case SMTP_CMD_EHLO:
	case SMTP_CMD_LHLO:
	case SMTP_CMD_HELO:
		greeting_reply(ss, it, cls);
		break;
	case SMTP_CMD_MAIL:
		if (cls == 4 || cls == 5)
			envelope_refused(ss, it);
		it->tx_before = NULL;
		break;
	case SMTP_CMD_STARTTLS:
		if (r->code == 220) {
			d->tls_started = true;
			d->tls_mode = DLG_TLS_STARTTLS;
			ss->server_tls = true;
		}
		break;
	case SMTP_CMD_AUTH:
	case SMTP_CMD_AUTH_RESPONSE:
		if (d->auth != NULL && r->code != 334)
			d->auth->result =
			    cls == 2 ? DLG_AUTH_SUCCESS : DLG_AUTH_FAILURE;
		break;
	default:
		break;
	}
	if (it == ss->wait_item && (it->flags & DLG_F_UNCERTAIN) &&
	    !reply_fits(it->cmd, r) && it->retained) {
		/* Perhaps not its reply: let what the client sends next
		 * decide its mode. */
		ss->wait_lost = true;
		wait_guess(ss);
	} else if (it == ss->wait_item)
		wait_resolve(ss, it);
	if (!it->retained)
		dlg_item_free(it);
}

/* ---- end of session ---- */

struct dialogue *
smtp_session_finish(struct smtp_session *ss, gint64 ts)
{
	struct dialogue *d;
	struct strview line;
	struct smtp_reply *r;
	unsigned flags;

	prefixes_settle(ss, ts);
	gap_settle(ss);
	/* Client side: what was held decides, or else the likely case. */
	while (ss->state == SMTP_STATE_WAIT)
		if (!wait_guess(ss))
			wait_resolve(ss, NULL);
	if ((ss->state == SMTP_STATE_COMMAND || ss->state == SMTP_STATE_AUTH) &&
	    linebuf_flush(&ss->cl, &line, &flags))
		client_line(ss, line, flags, ts);
	if (ss->state == SMTP_STATE_DATA) {
		dialogue_anomaly(ss->d, ANOMALY_DATA_INCOMPLETE);
		if (ss->data != NULL) {
			ss->data->bytes = ss->body.bytes + ss->body.line_len;
			ss->data->lines =
			    ss->body.lines + (ss->body.line_len > 0 ? 1 : 0);
		}
	}
	if (ss->state == SMTP_STATE_BDAT)
		dialogue_anomaly(ss->d, ANOMALY_BDAT_INCOMPLETE);

	/* Server side: a line that may have lost its end at a command (what
	 * was taken after it decides), a last line without line end, an
	 * open reply. */
	if (ss->cut_line)
		cut_decide(ss,
		    cut_verdict(ss->cut_peek, ss->cut_peek_len, true) == 1, ts);
	if (!ss->server_tls && linebuf_flush(&ss->sl, &line, &flags))
		server_line(ss, line, flags, ts);
	r = smtp_reply_asm_finish(&ss->ra);
	if (r != NULL) {
		dialogue_anomaly(ss->d, ANOMALY_UNTERMINATED_LINE);
		r->unterminated = true;
		server_reply(ss, r, ts);
	}
	cut_settle(ss, false); /* no reply came after the command */
	if (ss->d->auth != NULL && ss->d->auth->result == DLG_AUTH_UNKNOWN)
		dialogue_anomaly(ss->d, ANOMALY_AUTH_INCOMPLETE);
	if (pending_count(ss) > 0 && !ss->no_replies)
		dialogue_anomaly(ss->d, ANOMALY_UNANSWERED_COMMANDS);
	if (!ss->banner_seen && ss->d->bytes_server > 0 && !ss->midstream)
		dialogue_anomaly(ss->d, ANOMALY_NO_BANNER);
	if (greeting_awaited(ss))
		early_count(ss); /* it never came */

	tls_head_settle(ss);
	msg_feed_end(ss);
	d = ss->d;
	if (d->tls != NULL)
		dialogue_charge(d, tls_conn_mem(d->tls));
	if (d->proxy != NULL) {
		proxy_conn_end(d->proxy);
		dialogue_charge(d, proxy_conn_mem(d->proxy));
	}
	ss->d = NULL;
	smtp_session_free(ss);
	return d;
}
