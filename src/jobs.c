/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jobs.c: -j N, worker processes and the merge of what they report
 * (jobs.h; docs/architecture.md, "Parallel runs").
 *
 * A worker is a fork of this process before anything is read.  It opens
 * the input itself and reads all of it (libpcap's reading costs less
 * than half of libnids' reassembly), its stream layer reassembling only
 * its shard's connections, and it writes records to a pipe: a session
 * started, a session ended (the whole dialogue, dlg_codec.h), what
 * onward.h reads of an open session changed, a DNS message, the clock
 * ticked, how far it has read, and at the end its statistics and its
 * outcome.  Each record carries its position (stream_pos): the packet,
 * the step of its reading, a key.  The parent takes the records of all
 * workers in the order of their positions, each worker's in its own
 * order, and calls what a single process's stream layer would have
 * called, at the same places in the input:
 *
 * - a record at packet p is taken once every other worker has either a
 *   record queued that comes after it or has read past p (the "read up
 *   to" records: a worker that has nothing to say still says how far it
 *   got, so the merge never waits for ever);
 * - sessions get their seq here, in the order they start, as one
 *   process numbers them; their id is a hash of what they are
 *   (dialogue_set_id()), the same in any process;
 * - a DNS answer, read by the worker of shard 0 (UDP) or of its
 *   connection (TCP), is handed on at its packet: before any session
 *   that ends at a later packet is judged, after those that ended
 *   before it (the ordering rule docs/architecture.md states);
 * - at the end of the input every worker ends its open sessions and the
 *   parent hands them on in start order, as stream_finish() does.
 *
 * Record framing: a 4-byte length (host order: the pipe never leaves
 * the machine), then varints (dlg_codec.h): type, packet, phase, key,
 * and the type's fields. */
/* F_SETPIPE_SZ (Linux); elsewhere the pipes keep their size. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "budget.h"
#include "dlg_codec.h"
#include "jobs.h"
#include "log.h"

/* A worker writes its records out once it holds this many bytes, or has
 * read this many packets since it last did. */
#define JOBS_FLUSH_BYTES (256 * 1024)
#define JOBS_FLUSH_PACKETS 4096
/* The parent reads this much at a time. */
#define JOBS_READ (256 * 1024)
/* The longest record believed (a dialogue is at most DLG_MAX_BYTES of
 * model, a few times that encoded at worst). */
#define JOBS_RECORD_MAX (64u * 1024 * 1024)
/* An image's transactions and recipients, at most (no dialogue keeps
 * more items than this). */
#define COUNT_TXS_MAX DLG_MAX_ITEMS

enum rec_type {
	REC_PROGRESS, /* every packet up to pkt is read */
	REC_TICK,     /* ts */
	REC_DNS,      /* ts, querier, message */
	REC_START,    /* seq, id, client, server, ts_start */
	REC_END,      /* seq, dialogue */
	REC_BANNER,   /* seq, code, text: the greeting's reply */
	REC_TX,	      /* seq, tx, mail_from, has MAIL, its ts, message_id */
	REC_RCPT,     /* seq, tx, rcpt, address, ts, code or -1, reply ts */
	REC_STATS,    /* the worker's statistics */
	REC_FINISH,   /* ok, error message */
};

/* ---- the worker ---- */

/* What the parent last heard of an open session's onward view. */
struct mirror_rcpt {
	const void *reply;
	gint64 reply_ts;
};

struct mirror_tx {
	const void *mail, *from, *data, *msgid;
	GArray *rcpts; /* struct mirror_rcpt */
};

struct mirror {
	const void *banner_reply;
	GArray *txs; /* struct mirror_tx */
};

static struct {
	int fd;
	unsigned index;
	GByteArray *out;
	uint64_t progress;   /* the last "read up to" written */
	GHashTable *mirrors; /* local seq -> struct mirror * */
	bool write_failed;
	bool over; /* past its budget, not yet back under */
} wk;

static volatile sig_atomic_t jobs_stopping;
static pid_t jobs_pids[JOBS_MAX];
static volatile sig_atomic_t jobs_count;

static void
mirror_free(gpointer p)
{
	struct mirror *m = p;
	guint i;

	for (i = 0; i < m->txs->len; i++)
		g_array_unref(g_array_index(m->txs, struct mirror_tx, i).rcpts);
	g_array_unref(m->txs);
	g_free(m);
}

static void
put_u(uint64_t v)
{
	dlg_codec_put_u64(wk.out, v);
}

static void
put_i(int64_t v)
{
	dlg_codec_put_i64(wk.out, v);
}

static void
put_str(const char *s)
{
	dlg_codec_put_bytes(wk.out, s, s != NULL ? strlen(s) : 0);
}

static void
wk_write(void)
{
	const uint8_t *p = wk.out->data;
	size_t n = wk.out->len;

	while (n > 0 && !wk.write_failed) {
		ssize_t k = write(wk.fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			/* The parent is gone: nothing left to do. */
			wk.write_failed = true;
			capture_stop();
			break;
		}
		p += k;
		n -= (size_t)k;
	}
	g_byte_array_set_size(wk.out, 0);
}

/* Open a record: its length is filled in by rec_end(). */
static guint
rec_begin(enum rec_type t, const struct stream_pos *pos)
{
	guint at = wk.out->len;
	uint32_t zero = 0;

	g_byte_array_append(wk.out, (const guint8 *)&zero, sizeof zero);
	put_u(t);
	put_u(pos->pkt);
	put_u(pos->phase);
	put_u(pos->key);
	return at;
}

static void
rec_end(guint at)
{
	uint32_t len = (uint32_t)(wk.out->len - at - sizeof len);

	memcpy(wk.out->data + at, &len, sizeof len);
	if (wk.out->len >= JOBS_FLUSH_BYTES)
		wk_write();
}

static guint
rec_here(enum rec_type t)
{
	struct stream_pos pos;

	stream_position(&pos);
	return rec_begin(t, &pos);
}

/* Every packet before the one being read is done: said every
 * JOBS_FLUSH_PACKETS packets, with what was held back. */
static void
wk_progress(void)
{
	struct stream_pos pos;
	struct stream_pos at = { 0 };

	stream_position(&pos);
	if (pos.pkt == 0 || pos.pkt == STREAM_POS_END)
		return;
	if (pos.pkt - 1 < wk.progress + JOBS_FLUSH_PACKETS)
		return;
	at.pkt = pos.pkt - 1;
	rec_end(rec_begin(REC_PROGRESS, &at));
	wk.progress = at.pkt;
	wk_write();
}

static void
wk_start(const struct dialogue *d, void *arg)
{
	guint at = rec_here(REC_START);
	struct mirror *m = g_new0(struct mirror, 1);

	(void)arg;
	put_u(d->seq);
	put_str(d->id);
	put_str(d->client.ip);
	put_u(d->client.port);
	put_str(d->server.ip);
	put_u(d->server.port);
	put_i(d->ts_start);
	rec_end(at);
	m->txs = g_array_new(FALSE, TRUE, sizeof(struct mirror_tx));
	g_hash_table_replace(wk.mirrors, GUINT_TO_POINTER((guint)d->seq), m);
}

static void
wk_emit(struct dialogue *d, void *arg)
{
	struct stream_pos pos;
	g_autoptr(GByteArray) b = g_byte_array_new();
	guint at;

	(void)arg;
	stream_position(&pos);
	if (pos.phase == STREAM_PHASE_TIMEOUTS)
		pos.key = (uint64_t)d->ts_end; /* several workers' at once */
	at = rec_begin(REC_END, &pos);
	put_u(d->seq);
	dlg_codec_encode(b, d);
	dlg_codec_put_bytes(wk.out, b->data, b->len);
	rec_end(at);
	g_hash_table_remove(wk.mirrors, GUINT_TO_POINTER((guint)d->seq));
	dialogue_free(d);
}

/* The worker's budget was passed: counted as main.c's relieve() counts
 * (the stream layer then sheds what it holds). */
static void
wk_pressure(void *arg)
{
	(void)arg;
	if (!wk.over)
		rs_budget.reliefs++;
	wk.over = true;
}

static void
wk_tick(gint64 ts, void *arg)
{
	guint at;

	(void)arg;
	if (!budget_over())
		wk.over = false;
	if (wk.index == 0) {
		at = rec_here(REC_TICK);
		put_i(ts);
		rec_end(at);
	}
}

/* Every packet, so that a worker with nothing to say, in a capture
 * whose clock does not move, still says how far it got. */
static void
wk_packet(void *arg)
{
	(void)arg;
	wk_progress();
}

static void
wk_dns(
    const uint8_t *msg, size_t len, gint64 ts, const char *querier, void *arg)
{
	guint at = rec_here(REC_DNS);

	(void)arg;
	put_i(ts);
	put_str(querier);
	dlg_codec_put_bytes(wk.out, msg, len);
	rec_end(at);
}

/* What onward_lookup() reads of an open session, sent when it changed:
 * the greeting, and per transaction its sender, MAIL time, Message-ID,
 * and per recipient its address, time and reply. */
static void
wk_touched(const struct dialogue *d, void *arg)
{
	struct mirror *m =
	    g_hash_table_lookup(wk.mirrors, GUINT_TO_POINTER((guint)d->seq));
	guint i, j, at;

	(void)arg;
	if (m == NULL)
		return;
	if (d->banner != NULL && d->banner->reply != NULL &&
	    d->banner->reply != m->banner_reply) {
		at = rec_here(REC_BANNER);
		put_u(d->seq);
		put_i(d->banner->reply->code);
		dlg_codec_put_bytes(
		    wk.out, d->banner->reply->text, d->banner->reply->text_len);
		rec_end(at);
		m->banner_reply = d->banner->reply;
	}
	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);
		struct mirror_tx *mt;
		const char *msgid =
		    tx->data != NULL ? tx->data->message_id : NULL;

		if (i == m->txs->len) {
			/* (cleared: a new transaction, never sent) */
			g_array_set_size(m->txs, i + 1);
			mt = &g_array_index(m->txs, struct mirror_tx, i);
			mt->rcpts = g_array_new(
			    FALSE, TRUE, sizeof(struct mirror_rcpt));
			mt->from = mt->mail = mt->data = mt->msgid = mt;
		}
		mt = &g_array_index(m->txs, struct mirror_tx, i);
		if (mt->from != tx->mail_from || mt->mail != tx->mail ||
		    mt->data != tx->data || mt->msgid != msgid) {
			at = rec_here(REC_TX);
			put_u(d->seq);
			put_u(i);
			put_str(tx->mail_from);
			put_u(tx->mail != NULL);
			put_i(tx->mail != NULL ? tx->mail->ts : 0);
			put_str(msgid);
			rec_end(at);
			mt->from = tx->mail_from;
			mt->mail = tx->mail;
			mt->data = tx->data;
			mt->msgid = msgid;
		}
		for (j = 0; j < tx->rcpts->len; j++) {
			const struct dlg_rcpt *r =
			    g_ptr_array_index(tx->rcpts, j);
			const struct smtp_reply *rp = r->item->reply;
			struct mirror_rcpt *mr;

			if (j == mt->rcpts->len) {
				struct mirror_rcpt z = { mt, -1 };

				g_array_append_val(mt->rcpts, z);
			}
			mr = &g_array_index(mt->rcpts, struct mirror_rcpt, j);
			if (mr->reply == rp &&
			    mr->reply_ts == r->item->reply_ts)
				continue;
			at = rec_here(REC_RCPT);
			put_u(d->seq);
			put_u(i);
			put_u(j);
			put_str(r->address);
			put_i(r->item->ts);
			put_i(rp != NULL ? rp->code : -1);
			put_i(r->item->reply_ts);
			rec_end(at);
			mr->reply = rp;
			mr->reply_ts = r->item->reply_ts;
		}
	}
}

static void
put_stats(const struct run_stats *s)
{
	struct stream_pos end = { STREAM_POS_END, STREAM_PHASE_END, 0 };
	guint at = rec_begin(REC_STATS, &end);
	guint i;

	put_u(s->files->len);
	for (i = 0; i < s->files->len; i++)
		put_str(g_ptr_array_index(s->files, i));
	put_u(s->frames);
	put_u(s->ipv4);
	put_u(s->ipv6);
	put_u(s->tunnelled);
	put_u(s->ipv6_fragments);
	put_u(s->ipv6_unmapped);
	put_u(s->other_l3);
	put_u(s->undecodable);
	put_u(s->truncated);
	put_u(s->pcap_drops);
	for (i = 0; i < RS_NIDS_WARN_COUNT; i++)
		put_u(s->nids_warn[i]);
	put_u(s->overlap_conflicts[0]);
	put_u(s->overlap_conflicts[1]);
	put_u(s->ipv4_frag_dropped);
	put_u(s->handshakes_forgotten);
	put_u(s->detect_rejected);
	put_u(rs_budget.reliefs);
	put_u(rs_budget.buffers_freed);
	put_u(rs_budget.sessions_cut);
	put_u(rs_budget.bytes_shed);
	rec_end(at);
}

static void
wk_signal(int sig)
{
	(void)sig;
	capture_stop();
}

/* The worker's whole life; never returns. */
G_NORETURN static void
worker_main(const struct jobs_opts *o, unsigned index, int fd)
{
	struct stream_opts so = *o->stream;
	struct capture_opts co = *o->capture;
	struct run_stats stats;
	struct sigaction sa;
	g_autoptr(GError) error = NULL;
	struct stream_pos end = { STREAM_POS_END, STREAM_PHASE_END, 0 };
	gboolean ok;
	guint at;

	/* The parent forwards SIGINT (and a terminal sends it to every
	 * process): each one stops reading, however many come. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = wk_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* What the input itself gives rise to is said by one worker: the
	 * others read the same input and would repeat it.  What comes of a
	 * connection is said by its worker. */
	co.quiet = index > 0;
	log_init(o->verbosity);
	budget_init(o->worker_budget);
	wk.fd = fd;
	wk.index = index;
	wk.out = g_byte_array_sized_new(JOBS_FLUSH_BYTES + 65536);
	wk.mirrors = g_hash_table_new_full(
	    g_direct_hash, g_direct_equal, NULL, mirror_free);
	run_stats_init(&stats);
	so.shard = index;
	so.shards = o->n;
	so.start = wk_start;
	so.tick = wk_tick;
	so.pressure = wk_pressure;
	so.dns_message = wk_dns;
	so.touched = wk_touched;
	so.packet = wk_packet;
	if (!stream_init(&so, &stats, wk_emit, NULL, &error))
		ok = FALSE;
	else {
		ok = capture_run(&co, &stats, &error);
		stream_finish();
	}
	put_stats(&stats);
	at = rec_begin(REC_FINISH, &end);
	put_u(ok);
	put_str(error != NULL ? error->message : NULL);
	rec_end(at);
	wk_write();
	_exit(wk.write_failed ? 3 : 0);
}

/* ---- the parent ---- */

/* A record read, not yet taken: where it is in its worker's buffer. */
struct rec {
	enum rec_type type;
	uint64_t pkt;
	unsigned phase;
	uint64_t key;
	size_t start;	     /* its length's offset */
	size_t off, len;     /* its fields' */
	struct dlg_reader r; /* them, once taken */
};

struct worker {
	pid_t pid;
	int fd;
	GByteArray *in; /* bytes read: the records not yet taken, then
			 * what is not yet a whole record */
	size_t parsed;	/* up to here, split into recs */
	GArray *recs;	/* struct rec, in order */
	guint head;	/* the first not yet taken */
	uint64_t progress;
	bool finished; /* its REC_FINISH came */
	bool eof;
	GHashTable *open; /* local seq -> struct dialogue * (the image) */
	gboolean ok;
	char *error;
};

struct merge {
	const struct jobs_opts *o;
	const struct jobs_sink *sink;
	struct run_stats *stats;
	struct budget *shed;
	struct worker w[JOBS_MAX];
	uint64_t seq;	 /* the last seq given */
	GPtrArray *last; /* struct dialogue *: those ended at the end */
	char *failure;	 /* a worker's abnormal end, or a bad record */
	uint64_t count[REC_FINISH + 1], bytes[REC_FINISH + 1]; /* (-v) */
	bool counted; /* the capture's statistics were taken */
};

static void
fail(struct merge *m, char *msg)
{
	if (m->failure == NULL)
		m->failure = msg;
	else
		g_free(msg);
}

/* Split what was read into records (in place: a record costs no
 * allocation; there is one per tick). */
static void
parse_records(struct merge *m, struct worker *w, unsigned i)
{
	size_t off = w->parsed;

	while (w->in->len - off >= sizeof(uint32_t)) {
		uint32_t len;
		struct rec r;

		memcpy(&len, w->in->data + off, sizeof len);
		if (len > JOBS_RECORD_MAX) {
			fail(m, g_strdup_printf(
				    "worker %u: a record of %u bytes", i, len));
			w->eof = true;
			break;
		}
		if (w->in->len - off - sizeof len < len)
			break;
		memset(&r, 0, sizeof r);
		r.start = off;
		r.r.p = w->in->data + off + sizeof len;
		r.r.n = len;
		r.type = (enum rec_type)dlg_codec_get_u64(&r.r);
		r.pkt = dlg_codec_get_u64(&r.r);
		r.phase = (unsigned)dlg_codec_get_u64(&r.r);
		r.key = dlg_codec_get_u64(&r.r);
		r.off = (size_t)(r.r.p - w->in->data);
		r.len = r.r.n;
		off += sizeof len + len;
		if (r.r.err) {
			fail(m, g_strdup_printf("worker %u: a bad record", i));
			continue;
		}
		if ((unsigned)r.type <= REC_FINISH) {
			m->count[r.type]++;
			m->bytes[r.type] += len;
		}
		if (r.type == REC_PROGRESS) {
			w->progress = r.pkt;
			continue;
		}
		g_array_append_val(w->recs, r);
		if (r.type == REC_FINISH)
			w->finished = true;
	}
	w->parsed = off;
}

/* The worker's next record not yet taken, or NULL. */
static struct rec *
peek(struct worker *w)
{
	return w->head < w->recs->len
		   ? &g_array_index(w->recs, struct rec, w->head)
		   : NULL;
}

/* Forget the bytes of the records taken. */
static void
compact(struct worker *w)
{
	struct rec *r = peek(w);
	size_t used = r != NULL ? r->start : w->parsed;
	guint k;

	/* Only once the bytes taken are most of the buffer: each byte is
	 * moved at most once or twice, however far behind the others a
	 * worker's records wait. */
	if (w->head == 0 || used < w->in->len / 2)
		return;
	g_array_remove_range(w->recs, 0, w->head);
	w->head = 0;
	g_byte_array_remove_range(w->in, 0, (guint)used);
	w->parsed -= used;
	for (k = 0; k < w->recs->len; k++) {
		r = &g_array_index(w->recs, struct rec, k);
		r->start -= used;
		r->off -= used;
	}
}

static char *
get_str(struct dlg_reader *r)
{
	size_t len;
	const uint8_t *p = dlg_codec_get_bytes(r, &len);

	return p != NULL ? g_strndup((const char *)p, len) : NULL;
}

static struct dialogue *
image_of(struct merge *m, struct worker *w, uint64_t seq)
{
	struct dialogue *d =
	    g_hash_table_lookup(w->open, GUINT_TO_POINTER((guint)seq));

	if (d == NULL)
		fail(m, g_strdup_printf(
			    "a worker reported session %" G_GUINT64_FORMAT
			    " that it never started",
			    seq));
	return d;
}

static void
apply_start(struct merge *m, struct worker *w, struct rec *r)
{
	struct dialogue *d = dialogue_new();
	uint64_t local = dlg_codec_get_u64(&r->r);
	g_autofree char *id = get_str(&r->r);
	g_autofree char *cip = get_str(&r->r);
	uint64_t cport = dlg_codec_get_u64(&r->r);
	g_autofree char *sip = get_str(&r->r);
	uint64_t sport = dlg_codec_get_u64(&r->r);

	d->ts_start = dlg_codec_get_i64(&r->r);
	d->seq = ++m->seq;
	g_strlcpy(d->id, id != NULL ? id : "", sizeof d->id);
	g_strlcpy(d->client.ip, cip != NULL ? cip : "", sizeof d->client.ip);
	d->client.port = (uint16_t)cport;
	g_strlcpy(d->server.ip, sip != NULL ? sip : "", sizeof d->server.ip);
	d->server.port = (uint16_t)sport;
	g_hash_table_replace(w->open, GUINT_TO_POINTER((guint)local), d);
	if (m->sink->start != NULL)
		m->sink->start(d, m->sink->arg);
}

/* The finished dialogue takes the place of the session's image, so that
 * the pointer start gave stays the session's. */
static struct dialogue *
apply_end(struct merge *m, struct worker *w, struct rec *r)
{
	uint64_t local = dlg_codec_get_u64(&r->r);
	size_t len;
	const uint8_t *p = dlg_codec_get_bytes(&r->r, &len);
	g_autoptr(GError) error = NULL;
	struct dialogue *d, *img, tmp;

	img = image_of(m, w, local);
	if (img == NULL || p == NULL)
		return NULL;
	d = dlg_codec_decode(p, len, &error);
	if (d == NULL) {
		fail(m, g_strdup(error->message));
		return NULL;
	}
	g_hash_table_steal(w->open, GUINT_TO_POINTER((guint)local));
	d->seq = img->seq;
	tmp = *img;
	*img = *d;
	*d = tmp;
	dialogue_free(d);
	return img;
}

static struct dlg_item *
image_item(struct dialogue *d, enum dlg_item_kind kind, enum smtp_cmd_id cmd)
{
	struct dlg_item *it = dlg_item_new(kind, cmd, NULL, 0, 0);

	it->retained = true;
	g_ptr_array_add(d->items, it);
	return it;
}

static struct smtp_reply *
image_reply(int code, const uint8_t *text, size_t len)
{
	struct smtp_reply *rp = g_new0(struct smtp_reply, 1);

	rp->code = code;
	rp->text = g_malloc(len + 1);
	if (len > 0)
		memcpy(rp->text, text, len);
	rp->text[len] = '\0';
	rp->text_len = len;
	return rp;
}

static struct dlg_tx *
image_tx(struct dialogue *d, uint64_t i)
{
	if (i > COUNT_TXS_MAX)
		return NULL;
	while (d->txs->len <= i)
		if (dialogue_tx_new(d) == NULL)
			return NULL;
	return g_ptr_array_index(d->txs, i);
}

static void
apply_banner(struct merge *m, struct worker *w, struct rec *r)
{
	struct dialogue *d = image_of(m, w, dlg_codec_get_u64(&r->r));
	int code = (int)dlg_codec_get_i64(&r->r);
	size_t len;
	const uint8_t *text = dlg_codec_get_bytes(&r->r, &len);

	if (d == NULL)
		return;
	if (d->banner == NULL)
		d->banner = image_item(d, DLG_ITEM_BANNER, SMTP_CMD_UNKNOWN);
	smtp_reply_free(d->banner->reply);
	d->banner->reply = image_reply(code, text, len);
}

static void
apply_tx(struct merge *m, struct worker *w, struct rec *r)
{
	struct dialogue *d = image_of(m, w, dlg_codec_get_u64(&r->r));
	uint64_t i = dlg_codec_get_u64(&r->r);
	char *from = get_str(&r->r);
	bool mail = dlg_codec_get_u64(&r->r) != 0;
	gint64 ts = dlg_codec_get_i64(&r->r);
	char *msgid = get_str(&r->r);
	struct dlg_tx *tx = d != NULL ? image_tx(d, i) : NULL;

	if (tx == NULL) {
		g_free(from);
		g_free(msgid);
		return;
	}
	g_free(tx->mail_from);
	tx->mail_from = from;
	if (mail && tx->mail == NULL)
		tx->mail = image_item(d, DLG_ITEM_COMMAND, SMTP_CMD_MAIL);
	if (tx->mail != NULL)
		tx->mail->ts = ts;
	if (msgid != NULL && tx->data == NULL)
		(void)dialogue_data_new(d, tx, SMTP_CMD_DATA);
	if (tx->data != NULL) {
		g_free(tx->data->message_id);
		tx->data->message_id = msgid;
	} else
		g_free(msgid);
}

static void
apply_rcpt(struct merge *m, struct worker *w, struct rec *r)
{
	struct dialogue *d = image_of(m, w, dlg_codec_get_u64(&r->r));
	uint64_t i = dlg_codec_get_u64(&r->r);
	uint64_t j = dlg_codec_get_u64(&r->r);
	g_autofree char *addr = get_str(&r->r);
	gint64 ts = dlg_codec_get_i64(&r->r);
	int code = (int)dlg_codec_get_i64(&r->r);
	gint64 reply_ts = dlg_codec_get_i64(&r->r);
	struct dlg_tx *tx = d != NULL ? image_tx(d, i) : NULL;
	struct dlg_rcpt *rc;

	if (tx == NULL || j > COUNT_TXS_MAX)
		return;
	while (tx->rcpts->len <= j) {
		rc = g_new0(struct dlg_rcpt, 1);
		rc->address = g_strdup("");
		rc->params = g_strdup("");
		rc->item = image_item(d, DLG_ITEM_COMMAND, SMTP_CMD_RCPT);
		rc->item->tx = tx;
		g_ptr_array_add(tx->rcpts, rc);
	}
	rc = g_ptr_array_index(tx->rcpts, j);
	g_free(rc->address);
	rc->address = g_steal_pointer(&addr);
	rc->item->ts = ts;
	smtp_reply_free(rc->item->reply);
	rc->item->reply = code >= 0 ? image_reply(code, NULL, 0) : NULL;
	rc->item->reply_ts = reply_ts;
}

static void
apply_stats(struct merge *m, unsigned i, struct rec *r)
{
	struct run_stats *s = m->stats;
	struct dlg_reader *x = &r->r;
	uint64_t n, k, first[10];
	bool take = !m->counted;
	guint j;

	/* What every worker counts alike (the capture, and the packet
	 * layer before the shards part) is taken from the first that
	 * reports (worker 0 unless it died); what each counts of its own
	 * shard is added up. */
	m->counted = true;
	n = dlg_codec_get_u64(x);
	for (k = 0; k < n && !x->err; k++) {
		char *f = get_str(x);

		if (take)
			g_ptr_array_add(s->files, f != NULL ? f : g_strdup(""));
		else
			g_free(f);
	}
	for (j = 0; j < G_N_ELEMENTS(first); j++)
		first[j] = dlg_codec_get_u64(x);
	if (take) {
		s->frames += first[0];
		s->ipv4 += first[1];
		s->ipv6 += first[2];
		s->tunnelled += first[3];
		s->ipv6_fragments += first[4];
		s->ipv6_unmapped += first[5];
		s->other_l3 += first[6];
		s->undecodable += first[7];
		s->truncated += first[8];
		s->pcap_drops += first[9];
	}
	for (j = 0; j < RS_NIDS_WARN_COUNT; j++)
		s->nids_warn[j] += dlg_codec_get_u64(x);
	s->overlap_conflicts[0] += dlg_codec_get_u64(x);
	s->overlap_conflicts[1] += dlg_codec_get_u64(x);
	s->ipv4_frag_dropped += dlg_codec_get_u64(x);
	s->handshakes_forgotten += dlg_codec_get_u64(x);
	s->detect_rejected += dlg_codec_get_u64(x);
	m->shed->reliefs += dlg_codec_get_u64(x);
	m->shed->buffers_freed += dlg_codec_get_u64(x);
	m->shed->sessions_cut += dlg_codec_get_u64(x);
	m->shed->bytes_shed += dlg_codec_get_u64(x);
	if (x->err)
		fail(m, g_strdup_printf("worker %u: bad statistics", i));
}

/* One record, in merged order. */
static void
apply(struct merge *m, unsigned i, struct rec *r)
{
	struct worker *w = &m->w[i];
	struct dialogue *d;
	size_t len;
	const uint8_t *msg;
	gint64 ts;
	char *q;

	switch (r->type) {
	case REC_TICK:
		ts = dlg_codec_get_i64(&r->r);
		if (m->sink->tick != NULL)
			m->sink->tick(ts, m->sink->arg);
		break;
	case REC_DNS:
		ts = dlg_codec_get_i64(&r->r);
		q = get_str(&r->r);
		msg = dlg_codec_get_bytes(&r->r, &len);
		if (msg != NULL && q != NULL && m->sink->dns_message != NULL)
			m->sink->dns_message(msg, len, ts, q, m->sink->arg);
		g_free(q);
		break;
	case REC_START:
		apply_start(m, w, r);
		break;
	case REC_END:
		d = apply_end(m, w, r);
		if (d == NULL)
			break;
		if (r->pkt == STREAM_POS_END) {
			/* At the end of the input: in start order, once all
			 * are in (stream_finish()). */
			g_ptr_array_add(m->last, d);
			break;
		}
		m->sink->emit(d, m->sink->arg);
		break;
	case REC_BANNER:
		apply_banner(m, w, r);
		break;
	case REC_TX:
		apply_tx(m, w, r);
		break;
	case REC_RCPT:
		apply_rcpt(m, w, r);
		break;
	case REC_STATS:
		apply_stats(m, i, r);
		break;
	case REC_FINISH:
		w->ok = dlg_codec_get_u64(&r->r) != 0;
		w->error = get_str(&r->r);
		break;
	default:
		fail(m, g_strdup_printf(
			    "worker %u: a record of type %d", i, (int)r->type));
		break;
	}
}

/* Does record a come before b (of workers i < j when equal)? */
static bool
before(const struct rec *a, const struct rec *b)
{
	if (a->pkt != b->pkt)
		return a->pkt < b->pkt;
	if (a->phase != b->phase)
		return a->phase < b->phase;
	return a->key < b->key;
}

/* Take every record that can be taken now; true if one was. */
static bool
merge_some(struct merge *m)
{
	bool any = false;

	for (;;) {
		struct rec *best = NULL;
		unsigned i, bi = 0;

		for (i = 0; i < m->o->n; i++) {
			struct rec *h = peek(&m->w[i]);

			if (h != NULL && (best == NULL || before(h, best))) {
				best = h;
				bi = i;
			}
		}
		if (best == NULL)
			return any;
		/* A worker with nothing queued may yet say something of
		 * this packet, unless it has read past it. */
		for (i = 0; i < m->o->n; i++) {
			const struct worker *w = &m->w[i];

			if (w->head == w->recs->len && !w->finished &&
			    !w->eof && w->progress < best->pkt)
				return any;
		}
		m->w[bi].head++;
		best->r.p = m->w[bi].in->data + best->off;
		best->r.n = best->len;
		best->r.err = false;
		apply(m, bi, best);
		any = true;
	}
}

/* A worker's pipe ended before its last record: it died. */
static void
lost(struct merge *m, unsigned i)
{
	struct worker *w = &m->w[i];
	int status = 0;

	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	w->pid = 0;
	fail(m, WIFSIGNALED(status)
		    ? g_strdup_printf("worker %u ended by signal %d (%s)", i,
			  WTERMSIG(status), g_strsignal(WTERMSIG(status)))
		    : g_strdup_printf("worker %u ended before the end of the "
				      "input (exit status %d)",
			  i, WIFEXITED(status) ? WEXITSTATUS(status) : -1));
}

/* Read what the workers wrote until every one is done. */
static void
merge_all(struct merge *m)
{
	struct pollfd pfd[JOBS_MAX];
	unsigned i, n = m->o->n, open;

	for (;;) {
		open = 0;
		for (i = 0; i < n; i++) {
			pfd[i].fd = m->w[i].eof ? -1 : m->w[i].fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
			if (!m->w[i].eof)
				open++;
		}
		if (open == 0)
			break;
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail(m, g_strdup_printf("poll: %s", g_strerror(errno)));
			break;
		}
		for (i = 0; i < n; i++) {
			struct worker *w = &m->w[i];
			ssize_t k;
			guint len;

			if (pfd[i].revents == 0)
				continue;
			len = w->in->len;
			g_byte_array_set_size(w->in, len + JOBS_READ);
			k = read(w->fd, w->in->data + len, JOBS_READ);
			g_byte_array_set_size(w->in, len + (k > 0 ? k : 0));
			if (k < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (k <= 0) {
				w->eof = true;
				if (!w->finished)
					lost(m, i);
				continue;
			}
			parse_records(m, w, i);
		}
		merge_some(m);
		for (i = 0; i < n; i++)
			compact(&m->w[i]);
		if (m->failure != NULL)
			break;
	}
	merge_some(m);
}

/* User and system time, for -v: with free cores the run takes about the
 * longest of them. */
static double
cpu_seconds(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) +
	       (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

void
jobs_stop(void)
{
	sig_atomic_t i;

	jobs_stopping = 1;
	for (i = 0; i < jobs_count; i++)
		if (jobs_pids[i] > 0)
			kill(jobs_pids[i], SIGINT);
}

gboolean
jobs_run(const struct jobs_opts *o, const struct jobs_sink *sink,
    struct run_stats *stats, struct budget *shed, GError **error)
{
	struct merge m;
	unsigned i, j;
	gboolean ok = TRUE;
	int fds[2];

	memset(&m, 0, sizeof m);
	m.o = o;
	m.sink = sink;
	m.stats = stats;
	m.shed = shed;
	m.last = g_ptr_array_new();
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < o->n; i++) {
		struct worker *w = &m.w[i];

		w->fd = -1;
		w->in = g_byte_array_new();
		w->recs = g_array_new(FALSE, FALSE, sizeof(struct rec));
		w->open = g_hash_table_new_full(g_direct_hash, g_direct_equal,
		    NULL, (GDestroyNotify)dialogue_free);
		if (pipe(fds) != 0) {
			fail(&m, g_strdup_printf("cannot start worker %u: %s",
				     i, g_strerror(errno)));
			break;
		}
		/* Fewer, larger reads (the default pipe holds 64 KiB). */
#ifdef F_SETPIPE_SZ
		(void)fcntl(fds[1], F_SETPIPE_SZ, 1024 * 1024);
#endif
		w->pid = fork();
		if (w->pid < 0) {
			fail(&m, g_strdup_printf("cannot start worker %u: %s",
				     i, g_strerror(errno)));
			close(fds[0]);
			close(fds[1]);
			break;
		}
		if (w->pid == 0) {
			close(fds[0]);
			for (j = 0; j < i; j++)
				close(m.w[j].fd);
			worker_main(o, i, fds[1]);
		}
		close(fds[1]);
		w->fd = fds[0];
		jobs_pids[i] = w->pid;
		jobs_count = (sig_atomic_t)(i + 1);
	}
	if (m.failure == NULL) {
		struct capture_opts co = *o->capture;

		if (jobs_stopping)
			jobs_stop(); /* a signal came while they started */
		/* This process reads no input: it gives up its privileges
		 * now, as the workers do once theirs is open.  Should that
		 * fail, they fail the same way and say so. */
		co.quiet = true;
		(void)capture_drop_privileges(&co, NULL);
		merge_all(&m);
	}
	if (m.failure != NULL) {
		/* A worker is lost, or spoke nonsense: the others are
		 * stopped at once (they may be waiting on full pipes no one
		 * reads now); what was merged is reported. */
		for (i = 0; i < o->n; i++)
			if (m.w[i].pid > 0)
				kill(m.w[i].pid, SIGKILL);
	}
	/* What ended at the end of the input, in start order. */
	g_ptr_array_sort(m.last, dialogue_by_seq);
	for (i = 0; i < m.last->len; i++)
		sink->emit(g_ptr_array_index(m.last, i), sink->arg);
	g_ptr_array_set_size(m.last, 0);
	for (i = 0; i < o->n; i++) {
		struct worker *w = &m.w[i];
		int status = 0;

		if (w->fd >= 0)
			close(w->fd);
		if (w->pid > 0) {
			struct rusage ru;

			memset(&ru, 0, sizeof ru);
			while (wait4(w->pid, &status, 0, &ru) < 0 &&
			       errno == EINTR)
				;
			log_debug("-j %u: worker %u: %.2f s of CPU", o->n, i,
			    cpu_seconds(&ru));
			if (m.failure == NULL &&
			    (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
				!w->finished))
				fail(
				    &m, WIFSIGNALED(status)
					    ? g_strdup_printf(
						  "worker %u ended by signal "
						  "%d",
						  i, WTERMSIG(status))
					    : g_strdup_printf("worker %u ended "
							      "abnormally",
						  i));
		}
	}
	jobs_count = 0;
	{
		struct rusage ru;

		if (getrusage(RUSAGE_SELF, &ru) == 0)
			log_debug("-j %u: this process: %.2f s of CPU", o->n,
			    cpu_seconds(&ru));
	}
	log_debug("-j %u: records read: %" G_GUINT64_FORMAT
		  " progress, %" G_GUINT64_FORMAT " ticks, %" G_GUINT64_FORMAT
		  " DNS, %" G_GUINT64_FORMAT " starts, %" G_GUINT64_FORMAT
		  " ends (%" G_GUINT64_FORMAT " bytes), %" G_GUINT64_FORMAT
		  " open-session updates (%" G_GUINT64_FORMAT " bytes)",
	    o->n, m.count[REC_PROGRESS], m.count[REC_TICK], m.count[REC_DNS],
	    m.count[REC_START], m.count[REC_END], m.bytes[REC_END],
	    m.count[REC_BANNER] + m.count[REC_TX] + m.count[REC_RCPT],
	    m.bytes[REC_BANNER] + m.bytes[REC_TX] + m.bytes[REC_RCPT]);
	if (m.failure != NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "-j %u: %s",
		    o->n, m.failure);
		ok = FALSE;
	} else if (!m.w[0].ok) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
		    m.w[0].error != NULL ? m.w[0].error : "worker 0 failed");
		ok = FALSE;
	} else {
		for (i = 1; i < o->n && ok; i++)
			if (!m.w[i].ok) {
				g_set_error_literal(error, G_IO_ERROR,
				    G_IO_ERROR_FAILED,
				    m.w[i].error != NULL ? m.w[i].error
							 : "a worker failed");
				ok = FALSE;
			}
	}
	for (i = 0; i < o->n; i++) {
		struct worker *w = &m.w[i];
		if (w->recs != NULL)
			g_array_unref(w->recs);
		if (w->open != NULL) {
			/* Sessions a failed worker never ended: still
			 * reported, as they were. */
			GHashTableIter it;
			gpointer k, v;

			g_hash_table_iter_init(&it, w->open);
			while (g_hash_table_iter_next(&it, &k, &v)) {
				struct dialogue *d = v;

				d->end = DLG_END_CAPTURE_ENDED;
				d->ts_end = d->ts_start;
				g_ptr_array_add(m.last, d);
			}
			g_hash_table_steal_all(w->open);
			g_hash_table_destroy(w->open);
		}
		if (w->in != NULL)
			g_byte_array_unref(w->in);
		g_free(w->error);
	}
	g_ptr_array_sort(m.last, dialogue_by_seq);
	for (i = 0; i < m.last->len; i++)
		sink->emit(g_ptr_array_index(m.last, i), sink->arg);
	g_ptr_array_unref(m.last);
	g_free(m.failure);
	return ok;
}
