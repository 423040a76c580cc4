/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stream.c: libnids glue (references/libnids.md §3.2, §12.1, §13).
 *
 * libnids runs on a pcap_open_dead(DLT_RAW) handle and is fed IPv4 packets
 * by our own loop through nids_pcap_handler(); it never opens files or
 * devices.  Checksums are not verified unless asked (loopback and offloaded
 * captures carry bad ones), the port-scan detector is off (it has an
 * out-of-bounds write, §8), and warnings are counted, never syslogged.
 * Every byte delivered is consumed at once (the SMTP machine keeps bounded
 * partial lines itself), so libnids' buffers stay small.  Our own table of
 * contexts, keyed by the libnids stream pointer, makes sure that no session
 * disappears without a record, even when libnids frees a stream silently
 * (tuple reuse, §5.6).
 *
 * libnids' hard limits (§0) are removed here, in front of it, with packets
 * of our own making (docs/architecture.md, "Capture loss"):
 *  - a connection whose handshake was not captured gets a synthetic one
 *    (§12.2) on its first data segment, and its session starts in the
 *    SMTP machine's mid-stream mode; a handshake missing only its SYN/ACK
 *    or last ACK is completed the same way;
 *  - a hole that will never be filled (the receiver acknowledged past it,
 *    or data waits behind it that libnids would otherwise prune, or the
 *    capture ended) is skipped: libnids' counters are moved over all but
 *    its last byte and a one-byte segment of ours fills that, which lets
 *    libnids deliver what waited behind the hole; the SMTP machine is told
 *    the hole's size instead of being given the byte;
 *  - when one side is never seen, libnids' idea of its acknowledgement is
 *    kept at the other side's next byte, so its window check never stalls
 *    (E15).
 * And it keeps libnids from being lied to or flooded
 * (docs/internals/stream.md):
 *  - a handshake waits here until its third packet, so that half-open
 *    connections (a spoofed SYN flood) never take libnids' slots, whose
 *    eviction would split established sessions (§5.5);
 *  - delivered bytes wait, bounded, for the receiver's acknowledgement;
 *    a later copy that differs is an overlap conflict, and the copy the
 *    receiver took is chosen (its acknowledgement, checksums, TTL:
 *    Ptacek and Newsham 1998) where libnids would keep the first (§5.2);
 *  - IPv4 fragments of TCP are put together here, conflicts compared,
 *    rather than by libnids' Linux 2.0 rule (§5.1).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <string.h>

#include <nids.h>
#include <gio/gio.h>
#include <pcap.h>

#include "budget.h"
#include "detect.h"
#include "log.h"
#include "packet.h"
#include "smtp_session.h"
#include "stream.h"

/* libnids' private half-stream states (its tcp.h), for telling a closing
 * timeout from an eviction. */
#define NIDS_FIN_SENT 120
#define NIDS_FIN_CONFIRMED 121

/* IPv6 addresses mapped to 240.0.0.0/4 at most (each costs a few dozen
 * bytes); TCP of further addresses is counted, not analysed. */
#define STREAM_V6_MAX (1u << 20)
#define STREAM_V6_NET 0xf0000000u

/* Message bodies kept for replay --original-body, at most. */
#define STREAM_BODY_MAX (10 * 1024 * 1024)
/* A session holding less than this is not cut to shed memory. */
#define STREAM_CUT_MIN (4 * 1024)

/* Handshake times remembered until the stream is established. */
#define STREAM_SYN_MAX 65536

/* A hole larger than this is not capture loss: an acknowledgement this
 * far ahead is ignored, and a segment this far from the next expected
 * byte belongs to a new connection on the same tuple. */
#define STREAM_GAP_MAX (64u * 1024 * 1024)
/* libnids prunes a direction's whole out-of-order queue past 64 KiB
 * (§5.4): holes are skipped before it gets there. */
#define STREAM_QUEUE_FILL 49152
/* With the receiver never seen, a hole is given up on once this many
 * segments have arrived beyond it (TCP's own duplicate-ACK threshold). */
#define STREAM_ONESIDED_SEGS 3
/* Ranges of data remembered beyond a hole, per direction. */
#define STREAM_AHEAD_MAX 64

struct seq_range {
	uint32_t start, end; /* end includes a FIN */
};

/* One direction of a connection, as our packet layer sees it. */
struct stream_dir {
	uint64_t pkts;	     /* real packets from this side */
	GArray *ahead;	     /* struct seq_range beyond the next expected
			      * byte: what libnids holds out of order */
	unsigned ahead_segs; /* segments added to it */
	uint32_t filler;     /* bytes of the next delivery that are ours */
	uint64_t filler_gap; /* the hole they stand for */
	uint32_t acked;	     /* the most the receiver acknowledged */
	bool acked_set;
	bool fin;
	gint64 fin_ts; /* when its first FIN was seen, or 0 */
};

/* Bytes of each direction kept once libnids has delivered them (a power
 * of 2): a later copy of them is compared with what they were, and they
 * wait here, until the receiver acknowledges them, before the SMTP
 * machine reads them, so that the copy the receiver took can still be
 * chosen (docs/internals/stream.md, "Overlapping copies"). */
#define STREAM_KEEP 4096
/* A ring starts this small and grows, a power of 2 at a time, to what is
 * in flight; after a small delivery with little waiting it goes back to
 * it: a connection between commands keeps 2 x 512 bytes, not 8 KiB
 * (the last 512 bytes or more of each side still compared). */
#define STREAM_KEEP_MIN 512
/* Deliveries waiting to be read, per connection (both directions). */
#define STREAM_PEND_MAX 32
/* Bytes of each version a conflict's debug message shows. */
#define STREAM_SHOW 32

/* A delivery of libnids waiting to be read by the SMTP machine. */
struct stream_pend {
	uint32_t end; /* the sequence number after its last byte */
	gint64 ts;    /* when libnids delivered it */
	uint8_t dir;
	uint8_t ttl; /* of the packet that carried it (0: not known) */
	bool whole;  /* all of that packet's payload */
};

/* Another copy of bytes of a direction: one that differs from what
 * libnids delivered and waits for the decision (stream_keep.alt), or
 * one of bytes libnids holds out of order, compared when they are
 * delivered (stream_keep.ooo). */
struct stream_copy {
	uint32_t start, len; /* the bytes in question */
	uint32_t first_end;  /* libnids' next expected byte when it came */
	uint32_t end;	     /* the end of its own segment */
	uint8_t ttl;
	bool ck_known, ck_bad; /* its IP or TCP checksum fails */
	uint8_t bytes[];
};

/* What a connection keeps of its delivered bytes (allocated with the
 * first delivery). */
struct stream_keep {
	uint32_t end[2];  /* after the last byte delivered */
	uint32_t len[2];  /* bytes of the ring valid, up to end */
	uint32_t read[2]; /* bytes before this have been read */
	uint32_t base[2]; /* the first byte of the direction */
	bool init[2];
	struct stream_pend q[STREAM_PEND_MAX]; /* in delivery order */
	unsigned qh, qn;
	struct stream_copy *alt[2], *ooo[2];
	/* The IP and TCP headers of the last delivery that was a whole
	 * packet's payload, and where it starts and ends: with the bytes,
	 * its checksums can be checked if a copy of it comes (a decoy is
	 * followed by the real segment); copied, not checked, as it comes. */
	uint8_t hdr[2][120];
	uint8_t hdr_hl[2], hdr_len[2];
	uint32_t hdr_seq[2], hdr_end[2];
	uint32_t cap[2];  /* ring sizes: 0 (none yet), STREAM_KEEP_MIN ..
			   * STREAM_KEEP */
	uint8_t *ring[2]; /* byte s at ring[dir][s % cap[dir]]; charged */
};

struct stream_ctx {
	struct smtp_session *ss;
	struct stream_keep *keep; /* NULL until libnids delivers */
	gint64 last_ts;		  /* last delivery of this session */
	gint64 last_pkt;	  /* its last packet of any kind */
	struct stream_dir dir[2]; /* by enum smtp_dir */
	struct tcp_stream *a;	  /* libnids' stream */
	struct tuple4 t;	  /* its tuple, client -> server: the key of
				   * st.by_tuple */
	size_t nids_mem;	  /* libnids' buffers and queues of it, as
				   * charged (reassembly) */
};

/* A handshake waiting for its stream to be established (st.syn).  Until
 * the third packet of the connection is seen, its SYN and SYN/ACK are
 * held here and not given to libnids (syn_hold()), so that half-open
 * connections take no slot in libnids' table. */
struct stream_syn {
	struct tuple4 t; /* client -> server: the key */
	gint64 ts;
	bool synack;	 /* a real SYN/ACK was seen */
	bool acked;	 /* the client's last handshake ACK was seen ... */
	uint32_t ack;	 /* ... acknowledging this: the server's ISN + 1 */
	uint32_t isn;	 /* the client's ISN */
	uint8_t *pkt[2]; /* held: the SYN, the SYN/ACK (or NULL) */
	size_t len[2];	 /* their lengths */
	gint64 pts[2];	 /* and capture times */
	GList link;	 /* in st.syn_order, oldest first */
};

/* The TCP header fields the packet layer looks at. */
struct tcp_seg {
	struct tuple4 t; /* as libnids keys it: ports host order */
	uint32_t seq, ack;
	uint8_t flags;
	size_t plen;		/* payload bytes */
	const uint8_t *payload; /* (in the packet given) */
	size_t len;		/* the IP packet's length */
};

/* IPv4 datagrams being put together from fragments (stream_frag()):
 * at most this many, of at most this many bytes in all (Linux's
 * ipfrag_high_thresh), each for at most this long in capture time
 * (Linux's ipfrag_time) and in at most this many pieces. */
#define FRAG_MAX 1024
#define FRAG_BYTES (4u * 1024 * 1024)
#define FRAG_TIMEOUT (30 * G_USEC_PER_SEC)
#define FRAG_PIECES 64

struct frag_key { /* RFC 791 §3.2: what makes fragments one datagram */
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto, pad;
};

struct frag {
	struct frag_key key;
	gint64 ts;	 /* its first fragment's time */
	GList link;	 /* in st.frag_order, oldest first */
	uint8_t hdr[60]; /* the IP header of the fragment at offset 0 */
	size_t hl;	 /* its length (0: not come yet) */
	size_t total;	 /* payload bytes, once the last fragment came */
	bool last;
	uint8_t *buf; /* the payload, the first copy of every byte */
	size_t cap;
	struct {
		uint32_t start, end;
	} have[FRAG_PIECES]; /* the bytes come, in order */
	unsigned n;
	unsigned conflicts; /* overlaps with other bytes; of the first: */
	uint32_t c_off, c_len;
	uint8_t *later; /* once copies differ: the last copy of every byte */
};

/* DNS over TCP (RFC 1035 §4.2.2, RFC 7766): the server's messages, each
 * behind a two-byte length; at most one message is buffered. */
#define DNS_TCP_MAX (2 + 65535)

static struct {
	struct stream_opts o;
	struct run_stats *stats;
	stream_emit_fn emit;
	void *arg;
	pcap_t *dead;
	GHashTable *ctx;      /* struct tcp_stream * -> struct stream_ctx * */
	GHashTable *by_tuple; /* struct tuple4 * -> struct stream_ctx *: the
			       * packet layer's way to its contexts, without
			       * libnids' slow hash */
	GHashTable *syn;      /* struct tuple4 * -> struct stream_syn * */
	GQueue syn_order;     /* the same, oldest first */
	unsigned syn_held;    /* of them, holding packets */
	GHashTable *dns;      /* struct tcp_stream * -> GByteArray (DNS/TCP) */
	GHashTable *v6;	      /* IPv6 address (16 bytes) -> synthetic id */
	GPtrArray *v6text;    /* id -> the address as text */
	uint8_t v6buf[65536]; /* the IPv4 packet built from an IPv6 one */
	uint64_t seq;
	gint64 now;		   /* time of the packet being processed */
	gint64 clock;		   /* the latest packet time so far */
	bool pickup;		   /* a synthetic handshake is being fed */
	bool counted;		   /* the packet being fed was counted, for: */
	struct stream_ctx *begun;  /* a context made while feeding it */
	struct stream_ctx *settle; /* one with a hole in its replies */
	struct tcp_stream *cur_a;  /* its stream, */
	struct stream_ctx *cur_c;  /* context */
	struct stream_ctx *ending; /* a session being ended */
	int cur_dir;		   /* and direction */
	uint64_t halfopen_forgotten; /* held handshakes pushed out of st.syn */
	uint64_t conflicts[2];	     /* overlap conflicts: TCP, fragments */
	const struct tcp_seg *seg;   /* the real packet libnids is given */
	GHashTable *frag;	     /* struct frag_key * -> struct frag * */
	GQueue frag_order;	     /* the same, oldest first */
	size_t frag_bytes;	     /* their buffers' sizes */
	uint64_t frag_dropped;	     /* datagrams given up */
	bool frag_conflict;	     /* the packet being read was made of
				      * fragments that conflict */
	uint8_t fragbuf[65536];	     /* a datagram put together */
	struct tcp_stream *notify_a; /* a stream in its NIDS_DATA callback */
	bool said_full;		     /* the table-full warning was given */
	uint8_t buf[65536];	     /* writable copy for libnids */
	uint8_t synth[64];	     /* a packet of our own */
	size_t shed_floor; /* past the budget and shedding could not get
			    * under it: shed again only past this */
	GHashTable *det;   /* key -> struct det_entry * (detection) */
	GQueue det_wait;   /* of them, waiting to be judged, */
	GQueue det_smtp;   /* SMTP, */
	GQueue det_not;	   /* not SMTP; each oldest first */
	size_t det_bytes;  /* packets held by those waiting */
	struct det_entry *det_replay; /* one whose packets are let go */
	GHashTable *det_servers;      /* addresses of SMTP servers seen */
	struct stream_pos pos;	      /* where callbacks are called from */
	unsigned depth;		      /* packets being read (one inside
				       * another: fragments, held ones) */
	bool finishing;		      /* in stream_finish() */
	GPtrArray *ended;	      /* then: dialogues, to emit in start
				       * order */
} st;

static void stream_tcp_cb(struct tcp_stream *a, void **param);
static guint frag_hash(gconstpointer p);
static gboolean frag_equal(gconstpointer a, gconstpointer b);
static void stream_feed(const uint8_t *pkt, size_t len);
static void copy_take(
    struct stream_ctx *c, int dir, const struct stream_copy *x);
static void keep_flush(struct stream_ctx *c);
static guint tuple_hash(gconstpointer p);
static gboolean tuple_equal(gconstpointer a, gconstpointer b);
static void fill_all(struct stream_ctx *c, struct tcp_stream *a, int dir);
static bool far_apart(uint32_t x, uint32_t y);
static bool flush_holes(struct stream_ctx *c, struct tcp_stream *a);
static void forget_ahead(struct stream_ctx *c);
static bool feed_ipv4(const uint8_t *pkt, size_t len, gint64 ts);
static bool feed_ipv6(const uint8_t *pkt, size_t len, gint64 ts);
static void stream_end(
    struct tcp_stream *a, struct stream_ctx *c, enum dlg_end why, gint64 ts);
static void ctx_free(struct stream_ctx *c, struct dialogue *d);
static void stream_pressure(void);
static bool server_port(const struct tuple4 *t, uint16_t port);
static void det_note_server(uint32_t addr);
static void det_forget(const struct tuple4 *t);
static void det_finish(void);
static void nids_recharge(struct stream_ctx *c);

/* What the packet layer keeps beyond libnids' own (held handshakes,
 * delivered bytes and their copies, fragments) is charged to the memory
 * budget as reassembly (budget.h), at its allocated size. */
#define CHARGED_HEAD 16 /* the size asked, before the block (aligned) */

static void *
charged_alloc(size_t n)
{
	size_t *h = g_malloc(CHARGED_HEAD + n);

	*h = n;
	budget_charge(BUDGET_REASSEMBLY, budget_bytes(CHARGED_HEAD + n));
	return (char *)h + CHARGED_HEAD;
}

static void *
charged_realloc(void *p, size_t n)
{
	size_t *h;

	if (p == NULL)
		return charged_alloc(n);
	h = (size_t *)(void *)((char *)p - CHARGED_HEAD);
	budget_release(BUDGET_REASSEMBLY, budget_bytes(CHARGED_HEAD + *h));
	h = g_realloc(h, CHARGED_HEAD + n);
	*h = n;
	budget_charge(BUDGET_REASSEMBLY, budget_bytes(CHARGED_HEAD + n));
	return (char *)h + CHARGED_HEAD;
}

static void *
charged_dup(const void *p, size_t n)
{
	return memcpy(charged_alloc(n), p, n);
}

static void
charged_free(void *p)
{
	size_t *h;

	if (p == NULL)
		return;
	h = (size_t *)(void *)((char *)p - CHARGED_HEAD);
	budget_release(BUDGET_REASSEMBLY, budget_bytes(CHARGED_HEAD + *h));
	g_free(h);
}

static void
stream_nids_warn(int type, int err, struct ip *iph, void *data)
{
	enum rs_nids_warn w;

	(void)iph;
	(void)data;
	switch (err) {
	case NIDS_WARN_IP_HDR:
		w = RS_NIDS_WARN_IP_HDR;
		break;
	case NIDS_WARN_IP_OVERSIZED:
	case NIDS_WARN_IP_INVLIST:
	case NIDS_WARN_IP_OVERLAP:
	case NIDS_WARN_IP_SRR:
		w = RS_NIDS_WARN_IP_OTHER;
		break;
	case NIDS_WARN_TCP_HDR:
		w = RS_NIDS_WARN_TCP_HDR;
		break;
	case NIDS_WARN_TCP_BIGQUEUE:
		w = RS_NIDS_WARN_TCP_BIGQUEUE;
		break;
	case NIDS_WARN_TCP_TOOMUCH:
		w = RS_NIDS_WARN_TCP_TOOMUCH;
		break;
	default:
		w = RS_NIDS_WARN_OTHER;
		break;
	}
	st.stats->nids_warn[w]++;
	log_debug("libnids warning type %d, %d", type, err);
}

static void
stream_nids_oom(char *where)
{
	fatalx("out of memory (libnids, %s)", where);
}

gboolean
stream_init(const struct stream_opts *o, struct run_stats *stats,
    stream_emit_fn emit, void *arg, GError **error)
{
	/* libnids keeps the pointer, so the array must outlive it. */
	static struct nids_chksum_ctl no_checksums = { 0, 0, NIDS_DONT_CHKSUM,
		0 };

	st.o = *o;
	st.stats = stats;
	st.emit = emit;
	st.arg = arg;
	st.clock = 0;
	st.dead = pcap_open_dead(DLT_RAW, sizeof st.buf);
	if (st.dead == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
		    "cannot create a packet handle for libnids");
		return FALSE;
	}
	nids_params.pcap_desc = st.dead;
	nids_params.filename = NULL;
	nids_params.device = NULL;
	nids_params.pcap_filter = NULL;
	nids_params.n_tcp_streams = o->max_streams;
	nids_params.n_hosts = 1024;
	nids_params.scan_num_hosts = 0;
	nids_params.syslog = stream_nids_warn;
	nids_params.no_mem = stream_nids_oom;
	nids_params.multiproc = 0;
	nids_params.one_loop_less = 0;
	nids_params.tcp_workarounds = 1;
	nids_params.dev_addon = -1;
	/* Synthetic IPv4 (from IPv6) carries no valid TCP checksum. */
	static struct nids_chksum_ctl synthetic = { 0, 0, NIDS_DONT_CHKSUM, 0 };

	if (!o->verify_checksums)
		nids_register_chksum_ctl(&no_checksums, 1);
	else {
		synthetic.netaddr = htonl(STREAM_V6_NET);
		synthetic.mask = htonl(STREAM_V6_NET);
		nids_register_chksum_ctl(&synthetic, 1);
	}
	if (!nids_init()) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "libnids: %s",
		    nids_errbuf);
		return FALSE;
	}
	nids_register_tcp(stream_tcp_cb);
	st.ctx = g_hash_table_new(g_direct_hash, g_direct_equal);
	st.by_tuple = g_hash_table_new(tuple_hash, tuple_equal);
	st.syn = g_hash_table_new(tuple_hash, tuple_equal);
	st.frag = g_hash_table_new(frag_hash, frag_equal);
	g_queue_init(&st.frag_order);
	st.frag_bytes = 0;
	g_queue_init(&st.syn_order);
	st.syn_held = 0;
	st.pickup = false;
	st.dns = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
	    (GDestroyNotify)g_byte_array_unref);
	st.v6 = g_hash_table_new_full(
	    g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, NULL);
	st.v6text = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(st.v6text, NULL); /* ids start at 1 */
	st.det = g_hash_table_new(tuple_hash, tuple_equal);
	g_queue_init(&st.det_wait);
	g_queue_init(&st.det_smtp);
	g_queue_init(&st.det_not);
	st.det_bytes = 0;
	st.det_servers = g_hash_table_new(g_direct_hash, g_direct_equal);
	return TRUE;
}

static guint
tuple_hash(gconstpointer p)
{
	const struct tuple4 *t = p;

	return (t->saddr * 2654435761u) ^ (t->daddr * 40503u) ^
	       ((guint)t->source << 16 | t->dest);
}

static gboolean
tuple_equal(gconstpointer a, gconstpointer b)
{
	const struct tuple4 *x = a, *y = b;

	return x->saddr == y->saddr && x->daddr == y->daddr &&
	       x->source == y->source && x->dest == y->dest;
}

/* ---- handshakes awaiting establishment (st.syn) ----
 *
 * A spoofed SYN flood must not push established sessions out of
 * libnids' table (libnids evicts the oldest stream when it is full,
 * references/libnids.md §5.5, whatever its state).  Linux keeps
 * half-open connections apart from established ones for the same
 * reason: a SYN waits in the listener's SYN queue, bounded on its own
 * (tcp_max_syn_backlog), and becomes a socket only once the handshake
 * completes.  Here a SYN, and the SYN/ACK that answers it, wait in
 * st.syn; they are handed to libnids, in order and with their own
 * capture times, just before the next packet of the connection (the
 * client's ACK, or any data), which is when libnids would have needed
 * them.  A reset ends the attempt there, as it would have ended the
 * half-open stream in libnids.  The table is bounded: when it is full
 * the oldest handshake is forgotten, so half-open connections push out
 * half-open connections only. */

static struct stream_syn *
syn_find(const struct tuple4 *t)
{
	return g_hash_table_lookup(st.syn, t);
}

static void
syn_drop_held(struct stream_syn *e)
{
	int i;

	if (e->pkt[0] != NULL)
		st.syn_held--;
	for (i = 0; i < 2; i++) {
		charged_free(e->pkt[i]);
		e->pkt[i] = NULL;
	}
}

static void
syn_remove(struct stream_syn *e)
{
	syn_drop_held(e);
	g_hash_table_remove(st.syn, &e->t);
	g_queue_unlink(&st.syn_order, &e->link);
	charged_free(e);
}

/* A client's SYN: a fresh entry, replacing any of the tuple.  A held
 * SYN of the same ISN (a retransmission) stays held, with what answered
 * it: libnids would have ignored the repeat. */
static struct stream_syn *
syn_add(const struct tcp_seg *sg, gint64 ts)
{
	struct stream_syn *e = syn_find(&sg->t), *keep = NULL;

	if (e != NULL && e->pkt[0] != NULL && e->isn == sg->seq)
		keep = e;
	else if (e != NULL)
		syn_remove(e);
	if (keep != NULL) {
		g_queue_unlink(&st.syn_order, &keep->link);
		e = keep;
	} else {
		if (g_hash_table_size(st.syn) >= STREAM_SYN_MAX) {
			struct stream_syn *old = st.syn_order.head->data;

			if (old->pkt[0] != NULL)
				st.halfopen_forgotten++;
			syn_remove(old);
		}
		e = memset(charged_alloc(sizeof *e), 0, sizeof *e);
		e->t = sg->t;
		e->link.data = e;
		g_hash_table_insert(st.syn, &e->t, e);
	}
	e->ts = ts;
	e->synack = e->acked = false;
	e->ack = 0;
	e->isn = sg->seq;
	g_queue_push_tail_link(&st.syn_order, &e->link);
	return e;
}

/* Hold a packet of a handshake (0: the SYN, 1: the SYN/ACK). */
static void
syn_hold(struct stream_syn *e, int i, const uint8_t *pkt, size_t len)
{
	if (i == 0 && e->pkt[0] == NULL)
		st.syn_held++;
	charged_free(e->pkt[i]);
	e->pkt[i] = charged_dup(pkt, len);
	e->len[i] = len;
	e->pts[i] = st.now;
}

/* Hand the held packets of a handshake to libnids, as if they had gone
 * there when they were captured. */
static void
syn_release(struct stream_syn *e)
{
	gint64 now = st.now;
	uint8_t *p[2] = { e->pkt[0], e->pkt[1] };
	int i;

	if (p[0] == NULL)
		return;
	e->pkt[0] = e->pkt[1] = NULL;
	st.syn_held--;
	for (i = 0; i < 2; i++) {
		if (p[i] == NULL)
			continue;
		st.now = e->pts[i];
		stream_feed(p[i], e->len[i]);
		charged_free(p[i]);
	}
	st.now = now;
}

static struct stream_syn *
syn_find_reverse(const struct tcp_seg *sg)
{
	struct tuple4 r;

	r.source = sg->t.dest;
	r.dest = sg->t.source;
	r.saddr = sg->t.daddr;
	r.daddr = sg->t.saddr;
	return syn_find(&r);
}

/* Does a SYN or SYN/ACK wait in st.syn instead of going to libnids now?
 * A SYN waits when libnids has no stream of its tuple (the packet layer
 * freed any a new connection replaces); its SYN/ACK waits with it.  A
 * repeated SYN, or a SYN/ACK that is not the first answer to the held
 * SYN, is not fed at all: libnids would ignore it (its process_tcp()
 * takes a client SYN on a known stream, or a second SYN/ACK, as nothing
 * new). */
static bool
syn_gate(const struct tcp_seg *sg, uint8_t kind, size_t len)
{
	struct stream_syn *e;

	if (kind == TH_SYN) {
		e = syn_find(&sg->t);
		if (e == NULL)
			return false;
		if (e->pkt[0] != NULL)
			return true; /* the retransmission of a held SYN */
		if (nids_find_tcp_stream((struct tuple4 *)&sg->t) != NULL)
			return false;
		syn_hold(e, 0, st.buf, len);
		return true;
	}
	if (kind != (TH_SYN | TH_ACK) || (e = syn_find_reverse(sg)) == NULL ||
	    e->pkt[0] == NULL)
		return false;
	if (e->pkt[1] == NULL && sg->ack == e->isn + 1)
		syn_hold(e, 1, st.buf, len);
	return true;
}

/* A packet of a connection that is not established: if its handshake
 * is held, hand it over first (a reset ends it instead). */
static void
syn_pass(const struct tcp_seg *sg)
{
	struct stream_syn *e;
	bool from_server;

	if (st.syn_held == 0)
		return;
	from_server = server_port(&sg->t, sg->t.source) || sg->t.source == 53;
	e = from_server ? syn_find_reverse(sg) : syn_find(&sg->t);
	if (e == NULL)
		e = from_server ? syn_find(&sg->t) : syn_find_reverse(sg);
	if (e == NULL || e->pkt[0] == NULL)
		return;
	if (sg->flags & TH_RST)
		syn_drop_held(e);
	else
		syn_release(e);
}

static void
stream_feed(const uint8_t *pkt, size_t len)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof h);
	h.ts.tv_sec = (time_t)(st.now / G_USEC_PER_SEC);
	h.ts.tv_usec = (suseconds_t)(st.now % G_USEC_PER_SEC);
	h.caplen = h.len = (bpf_u_int32)len;
	nids_pcap_handler(NULL, &h, (u_char *)pkt);
}

static uint16_t
ip_checksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- the packet layer in front of libnids: pickup, holes, one side ---- */

/* The TCP checksum of an IPv4 packet (header of hl bytes), over the
 * pseudo-header (RFC 793 §3.1): 0 when the segment's own checksum holds,
 * its checksum when the field is 0. */
static uint16_t
tcp_checksum(const uint8_t *pkt, size_t hl, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 12; i < 20; i += 2)
		sum += (uint32_t)(pkt[i] << 8 | pkt[i + 1]);
	sum += IPPROTO_TCP + (uint32_t)(len - hl);
	for (i = hl; i + 1 < len; i += 2)
		sum += (uint32_t)(pkt[i] << 8 | pkt[i + 1]);
	if (i < len)
		sum += (uint32_t)(pkt[i] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* With --verify-checksums libnids drops segments whose IP or TCP
 * checksum is wrong: the packet layer must not act on them either. */
static bool
checksums_ok(const uint8_t *pkt, size_t len, size_t hl)
{
	if ((pkt[12] & 0xf0) == 0xf0)
		return true; /* mapped from IPv6: libnids checks nothing */
	return ip_checksum(pkt, hl) == 0 && tcp_checksum(pkt, hl, len) == 0;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Sequence-space order (RFC 793 §3.3, modulo 2^32). */
static bool
seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool
seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static bool
tcp_seg_parse(const uint8_t *pkt, size_t len, size_t hl, struct tcp_seg *sg)
{
	size_t thl;

	if (len < hl + 20)
		return false;
	thl = (size_t)(pkt[hl + 12] >> 4) * 4;
	if (thl < 20 || hl + thl > len)
		return false;
	memset(sg, 0, sizeof *sg);
	memcpy(&sg->t.saddr, pkt + 12, 4);
	memcpy(&sg->t.daddr, pkt + 16, 4);
	sg->t.source = (u_short)(pkt[hl] << 8 | pkt[hl + 1]);
	sg->t.dest = (u_short)(pkt[hl + 2] << 8 | pkt[hl + 3]);
	sg->seq = be32(pkt + hl + 4);
	sg->ack = be32(pkt + hl + 8);
	sg->flags = pkt[hl + 13];
	sg->plen = len - hl - thl;
	sg->payload = pkt + hl + thl;
	sg->len = len;
	return true;
}

/* Look a segment's connection up by its tuple: first in the orientation
 * its ports make likely (a segment to a server port comes from the
 * client; lookups in libnids' table are not cheap), then in the other. */
static void *
find_oriented(
    const struct tcp_seg *sg, bool *from_client, void *(*find)(struct tuple4 *))
{
	struct tuple4 *t = (struct tuple4 *)&sg->t, r;
	void *x;

	if (server_port(t, t->dest) && (x = find(t)) != NULL) {
		*from_client = true;
		return x;
	}
	r.source = t->dest;
	r.dest = t->source;
	r.saddr = t->daddr;
	r.daddr = t->saddr;
	*from_client = false;
	x = find(&r); /* an entry of a table, never the key passed */
	if (x != NULL || server_port(t, t->dest)) {
		/* cppcheck-suppress returnDanglingLifetime */
		return x;
	}
	*from_client = true;
	return find(t);
}

static void *
find_stream(struct tuple4 *t)
{
	return nids_find_tcp_stream(t);
}

static void *
find_ctx(struct tuple4 *t)
{
	return g_hash_table_lookup(st.by_tuple, t);
}

/* The libnids stream of a segment, and whether it comes from the client. */
static struct tcp_stream *
seg_stream(const struct tcp_seg *sg, bool *from_client)
{
	return find_oriented(sg, from_client, find_stream);
}

/* The context of a segment's connection, if it is established. */
static struct stream_ctx *
ctx_of_seg(const struct tcp_seg *sg, bool *from_client)
{
	return find_oriented(sg, from_client, find_ctx);
}

/* The half stream that sends a direction's data, and the one that holds
 * it (libnids names halves by receiver). */
static struct half_stream *
dir_sender(struct tcp_stream *a, int dir)
{
	return dir == SMTP_DIR_CLIENT ? &a->client : &a->server;
}

static struct half_stream *
dir_holder(struct tcp_stream *a, int dir)
{
	return dir == SMTP_DIR_CLIENT ? &a->server : &a->client;
}

/* The next byte libnids expects in a direction (its EXP_SEQ). */
static uint32_t
dir_expected(struct tcp_stream *a, int dir)
{
	const struct half_stream *h = dir_holder(a, dir);

	return dir_sender(a, dir)->first_data_seq + (uint32_t)h->count +
	       (uint32_t)h->urg_count;
}

/* A TCP/IPv4 packet of our own, with valid checksums (they are checked
 * with --verify-checksums), fed to libnids at the current time. */
static void
inject(const struct tuple4 *t, bool from_client, uint32_t seq, uint32_t ack,
    uint8_t flags, uint16_t win, bool wscale, size_t dlen)
{
	uint8_t *b = st.synth;
	size_t thl = wscale ? 24 : 20, len = 20 + thl + dlen;
	uint32_t sa = from_client ? t->saddr : t->daddr;
	uint32_t da = from_client ? t->daddr : t->saddr;
	uint16_t ck;

	memset(b, 0, len);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)len);
	b[8] = 64;
	b[9] = IPPROTO_TCP;
	memcpy(b + 12, &sa, 4);
	memcpy(b + 16, &da, 4);
	ck = ip_checksum(b, 20);
	put16(b + 10, ck);
	put16(b + 20, from_client ? t->source : t->dest);
	put16(b + 22, from_client ? t->dest : t->source);
	put32(b + 24, seq);
	put32(b + 28, ack);
	b[32] = (uint8_t)(thl / 4) << 4;
	b[33] = flags;
	put16(b + 34, win);
	if (wscale) {
		b[40] = 1;  /* NOP */
		b[41] = 3;  /* window scale */
		b[42] = 3;  /* its length */
		b[43] = 14; /* the largest shift: the window check passes */
	}
	put16(b + 36, tcp_checksum(b, 20, len));
	stream_feed(b, len);
}

/* A connection whose handshake was not captured, seen first in a data
 * segment: give libnids one (references/libnids.md §12.2). */
static void
pickup(const struct tcp_seg *sg)
{
	struct tuple4 t = sg->t;
	bool from_client = server_port(&sg->t, sg->t.dest);
	uint32_t cisn, sisn;

	if (!from_client) {
		/* Keep t oriented client -> server. */
		t.source = sg->t.dest;
		t.dest = sg->t.source;
		t.saddr = sg->t.daddr;
		t.daddr = sg->t.saddr;
	}
	cisn = (from_client ? sg->seq : sg->ack) - 1;
	sisn = (from_client ? sg->ack : sg->seq) - 1;
	st.pickup = true;
	inject(&t, true, cisn, 0, TH_SYN, 65535, true, 0);
	inject(&t, false, sisn, cisn + 1, TH_SYN | TH_ACK, 65535, true, 0);
	inject(&t, true, cisn + 1, sisn + 1, TH_ACK, 65535, false, 0);
	st.pickup = false;
}

/* The client acknowledged a SYN/ACK that was not captured. */
static void
note_handshake_ack(struct tcp_stream *a, uint32_t ack)
{
	struct stream_syn *syn = syn_find(&a->addr);

	if (syn != NULL && !syn->acked) {
		syn->acked = true;
		syn->ack = ack;
	}
}

/* The SYN was captured but the SYN/ACK or the last ACK was not: a server
 * that speaks first would make libnids drop the connection (§1.2). */
static void
complete_handshake(
    struct tcp_stream *a, const struct tcp_seg *sg, bool from_client)
{
	struct tuple4 t = a->addr;
	struct stream_syn *syn;
	uint32_t sisn;

	if (a->server.state == TCP_CLOSE) {
		/* The client's handshake ACK names the server's ISN; else
		 * guess it from this segment (server bytes the client had
		 * received by then are not known). */
		syn = syn_find(&t);
		sisn = (from_client ? sg->ack : sg->seq) - 1;
		if (syn != NULL && syn->acked)
			sisn = syn->ack - 1;
		else
			st.pickup = true; /* what the server sent before this
					   * (a greeting?) is not known */
		inject(&t, false, sisn, a->client.seq, TH_SYN | TH_ACK, 65535,
		    true, 0);
		if (a->server.state != TCP_SYN_RECV) {
			st.pickup = false;
			return;
		}
	}
	inject(&t, true, a->client.seq, a->server.seq, TH_ACK, a->client.window,
	    false, 0);
	st.pickup = false;
}

/* Forget what libnids has delivered or dropped; first in order. */
static void
ahead_prune(struct stream_dir *sd, uint32_t exp)
{
	guint i = 0;

	while (sd->ahead != NULL && i < sd->ahead->len) {
		struct seq_range *r =
		    &g_array_index(sd->ahead, struct seq_range, i);

		if (!seq_after(r->end, exp))
			g_array_remove_index(sd->ahead, i);
		else
			i++;
	}
	if (sd->ahead != NULL && sd->ahead->len == 0)
		sd->ahead_segs = 0;
}

/* Remember a segment that libnids will hold out of order.  Returns
 * whether it overlaps one held already. */
static bool
ahead_add(struct stream_dir *sd, uint32_t start, uint32_t end)
{
	struct seq_range r = { start, end };
	bool over;
	guint i;

	if (sd->ahead == NULL)
		sd->ahead = g_array_new(FALSE, FALSE, sizeof r);
	sd->ahead_segs++;
	for (i = 0; i < sd->ahead->len; i++) {
		struct seq_range *x =
		    &g_array_index(sd->ahead, struct seq_range, i);

		if (seq_before(end, x->start))
			break;
		if (!seq_after(start, x->end)) {
			/* Overlapping or adjacent: merge. */
			over = seq_before(start, x->end) &&
			       seq_after(end, x->start);
			if (seq_before(start, x->start))
				x->start = start;
			if (seq_after(end, x->end))
				x->end = end;
			return over;
		}
	}
	if (sd->ahead->len < STREAM_AHEAD_MAX)
		g_array_insert_val(sd->ahead, i, r);
	return false;
}

/* Skip the hole [seq, seq + len) of a direction: libnids' counters move
 * over all but its last byte (the half stream is empty between callbacks,
 * as everything is consumed, so count and offset move together and its
 * buffer is untouched), and a one-byte segment of ours at the last byte
 * makes libnids go on, delivering what waited behind the hole.  The
 * window check is opened for that one segment. */
static void
gap_fill(struct stream_ctx *c, struct tcp_stream *a, int dir, uint32_t seq,
    uint32_t len)
{
	struct half_stream *h = dir_holder(a, dir);
	uint32_t ack_seq = h->ack_seq;
	u_short win = h->window;
	struct tuple4 t = a->addr;

	h->count += (int)(len - 1);
	h->offset += (int)(len - 1);
	h->ack_seq = seq + len - 1;
	if (h->window == 0)
		h->window = 1;
	c->dir[dir].filler = 1;
	c->dir[dir].filler_gap = len;
	inject(&t, dir == SMTP_DIR_CLIENT, seq + len - 1, 0, TH_PUSH,
	    dir_sender(a, dir)->window, false, 1);
	if (g_hash_table_lookup(st.ctx, a) != c)
		return; /* it ended meanwhile */
	if (dir == SMTP_DIR_SERVER)
		st.settle = c; /* once this packet is read too: tcp_after */
	h->ack_seq = ack_seq;
	h->window = win;
}

/* Skip every hole of a direction before target: up to the first data
 * libnids holds beyond the next expected byte, and on.  Returns false
 * when the session ended meanwhile (c and a are gone). */
static bool
fill_to(struct stream_ctx *c, struct tcp_stream *a, int dir, uint32_t target)
{
	struct stream_dir *sd = &c->dir[dir];
	uint32_t exp, end;
	int guard;

	for (guard = 0; guard < 2 * STREAM_AHEAD_MAX + 2; guard++) {
		const struct half_stream *snd = dir_sender(a, dir);

		if (snd->state == NIDS_FIN_SENT ||
		    snd->state == NIDS_FIN_CONFIRMED)
			return true; /* the sender's FIN was read */
		exp = dir_expected(a, dir);
		ahead_prune(sd, exp);
		if (!seq_after(target, exp) || target - exp > STREAM_GAP_MAX)
			return true;
		end = target;
		if (sd->ahead != NULL && sd->ahead->len > 0) {
			const struct seq_range *r =
			    &g_array_index(sd->ahead, struct seq_range, 0);

			if (!seq_after(r->start, exp)) {
				/* libnids did not keep it (window, prune). */
				g_array_remove_index(sd->ahead, 0);
				continue;
			}
			if (seq_before(r->start, target))
				end = r->start;
		} else if (end - exp == 1)
			return true; /* an acknowledged FIN not captured */
		gap_fill(c, a, dir, exp, end - exp);
		if (g_hash_table_lookup(st.ctx, a) != c)
			return false;
		if (dir_expected(a, dir) == exp)
			return true;
	}
	return true;
}

/* Is a data segment of this tuple one of a new connection whose handshake
 * was not captured?  Both of its sequence numbers jumped: its own by more
 * than 1 MiB from the next expected byte, and its acknowledgement (if it
 * has one) by as much from the peer's.  A new connection's numbers are
 * random; a hole in one direction of the same connection, however large,
 * leaves the other direction's numbers where they were (an SMTP server
 * never sends megabytes). */
static bool
new_connection(
    struct tcp_stream *a, const struct tcp_seg *sg, int dir, uint32_t exp)
{
	uint32_t peer = dir_expected(a, !dir);

	if (!far_apart(sg->seq, exp))
		return false;
	return !(sg->flags & TH_ACK) || far_apart(sg->ack, peer);
}

/* More than 1 MiB apart in sequence space, either way. */
static bool
far_apart(uint32_t x, uint32_t y)
{
	return x - y > (1u << 20) && y - x > (1u << 20);
}

/* Before a connection is given up: skip its holes so that what libnids
 * holds behind them is read.  False if it ended meanwhile. */
static bool
flush_holes(struct stream_ctx *c, struct tcp_stream *a)
{
	fill_all(c, a, SMTP_DIR_CLIENT);
	if (g_hash_table_lookup(st.ctx, a) != c)
		return false;
	fill_all(c, a, SMTP_DIR_SERVER);
	return g_hash_table_lookup(st.ctx, a) == c;
}

/* Skip holes until libnids holds nothing out of order in a direction. */
static void
fill_all(struct stream_ctx *c, struct tcp_stream *a, int dir)
{
	struct stream_dir *sd = &c->dir[dir];
	uint32_t last;

	if (sd->ahead == NULL || sd->ahead->len == 0)
		return;
	last =
	    g_array_index(sd->ahead, struct seq_range, sd->ahead->len - 1).end;
	(void)fill_to(c, a, dir, last);
	if (st.settle == c) {
		keep_flush(c);
		smtp_session_gap_settle(c->ss);
		st.settle = NULL;
	}
}

/* ---- overlapping copies: what the receiver took ----
 *
 * libnids keeps the first copy of any byte (references/libnids.md §5.2)
 * and says nothing of a later one; with checksums unverified, a decoy
 * that the receiver never accepted (a bad checksum, a TTL too low to
 * reach it: Ptacek and Newsham 1998, §4, "insertion") would be the
 * record, and the real bytes would be dropped.  So every delivery is
 * kept (struct stream_keep, STREAM_KEEP bytes a direction) and read by
 * the SMTP machine only once the receiver acknowledged it, or when it
 * can wait no longer (the ring or the queue is full, the other side's
 * later bytes are read, the session ends, a hole is skipped).  A
 * segment that overlaps kept bytes is compared with them; when it
 * differs, the session gets overlap-conflict and the copy the receiver
 * took is chosen by copy_decide() while the bytes still wait.  A
 * delivery is read in the order libnids made it, so the SMTP machine
 * sees commands and replies in the order it did before. */

/* The Internet checksum's sum (RFC 1071) of n bytes added to sum, both
 * folded to 16 bits.  The bytes are summed 32 bits at a time in host
 * order and the result swapped once: the one's complement sum does not
 * depend on byte order (RFC 1071 §2(B)), and this runs for every data
 * segment. */
static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	uint64_t acc = 0;
	uint32_t w;
	uint16_t h;
	uint8_t last[2] = { 0, 0 };
	size_t i;

	for (i = 0; i + 4 <= n; i += 4) {
		memcpy(&w, p + i, 4);
		acc += w;
	}
	if (i + 2 <= n) {
		memcpy(&h, p + i, 2);
		acc += h;
		i += 2;
	}
	if (i < n) {
		last[0] = p[i];
		memcpy(&h, last, 2);
		acc += h;
	}
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	sum += ntohs((uint16_t)acc);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void
ring_put(
    struct stream_keep *k, int dir, uint32_t seq, const uint8_t *p, size_t n)
{
	size_t at = seq & (k->cap[dir] - 1), first = k->cap[dir] - at;

	if (first >= n) {
		memcpy(k->ring[dir] + at, p, n);
		return;
	}
	memcpy(k->ring[dir] + at, p, first);
	memcpy(k->ring[dir], p + first, n - first);
}

static void
ring_get(
    const struct stream_keep *k, int dir, uint32_t seq, uint8_t *p, size_t n)
{
	size_t at = seq & (k->cap[dir] - 1), first = k->cap[dir] - at;

	if (first > n)
		first = n;
	memcpy(p, k->ring[dir] + at, first);
	memcpy(p + first, k->ring[dir], n - first);
}

static bool
ring_same(const struct stream_keep *k, int dir, uint32_t seq, const uint8_t *p,
    size_t n)
{
	size_t at = seq & (k->cap[dir] - 1), first = k->cap[dir] - at;

	if (first > n)
		first = n;
	return memcmp(k->ring[dir] + at, p, first) == 0 &&
	       memcmp(k->ring[dir], p + first, n - first) == 0;
}

static struct stream_keep *
keep_new(struct stream_ctx *c)
{
	struct stream_keep *k = charged_alloc(sizeof *k);

	memset(k, 0, sizeof *k);
	c->keep = k;
	return k;
}

/* Make a direction's ring cap bytes (a power of 2 from STREAM_KEEP_MIN to
 * STREAM_KEEP), its last bytes moved along: all of them when it grows,
 * the last cap when it shrinks.  (Only read where written: not
 * cleared.) */
static void
ring_resize(struct stream_keep *k, int dir, uint32_t cap)
{
	uint8_t *old = k->ring[dir], tmp[STREAM_KEEP];
	uint32_t keep = k->len[dir] < cap ? k->len[dir] : cap;

	if (old != NULL && keep > 0)
		ring_get(k, dir, k->end[dir] - keep, tmp, keep);
	k->ring[dir] = charged_alloc(cap);
	k->cap[dir] = cap;
	k->len[dir] = keep;
	if (keep > 0)
		ring_put(k, dir, k->end[dir] - keep, tmp, keep);
	charged_free(old);
}

/* Room for want bytes (at most STREAM_KEEP) in a direction's ring. */
static void
ring_room(struct stream_keep *k, int dir, uint32_t want)
{
	uint32_t cap = k->cap[dir] != 0 ? k->cap[dir] : STREAM_KEEP_MIN;

	while (cap < want && cap < STREAM_KEEP)
		cap *= 2;
	if (cap != k->cap[dir])
		ring_resize(k, dir, cap);
}

static void
keep_free(struct stream_keep *k)
{
	int i;

	if (k == NULL)
		return;
	for (i = 0; i < 2; i++) {
		charged_free(k->alt[i]);
		charged_free(k->ooo[i]);
		charged_free(k->ring[i]);
	}
	charged_free(k);
}

/* Hand bytes of the ring to the SMTP machine. */
static void
keep_read(struct stream_ctx *c, int dir, uint32_t from, uint32_t to, gint64 ts)
{
	struct stream_keep *k = c->keep;
	size_t at, n, first;

	if (!seq_after(to, from))
		return;
	n = to - from;
	at = from & (k->cap[dir] - 1);
	first = k->cap[dir] - at < n ? k->cap[dir] - at : n;
	/* Of the other side, has anything been captured? */
	smtp_session_side_unseen(c->ss, !dir, c->dir[!dir].pkts == 0);
	smtp_session_push(
	    c->ss, dir, (const char *)k->ring[dir] + at, first, ts);
	if (n > first)
		smtp_session_push(
		    c->ss, dir, (const char *)k->ring[dir], n - first, ts);
}

/* The first bytes of a version, for a message: log.c escapes each
 * message as a whole, as records are (output_escape()), so the bytes go
 * in as they are, but for NUL, which would end the message: U+FFFD, as
 * the JSON output shows it. */
static void
copy_show(GString *s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == 0)
			g_string_append(s, "\xef\xbf\xbd");
		else
			g_string_append_c(s, (char)p[i]);
	}
}

/* A conflict's two versions for -v: their first bytes (escaped by
 * log.c) and a hash of each. */
static void
copy_log(const char *what, uint32_t at, const uint8_t *first,
    const uint8_t *second, size_t n, const char *kept, const char *why)
{
	g_autoptr(GString) a = g_string_new(NULL);
	g_autoptr(GString) b = g_string_new(NULL);
	g_autofree char *ha = NULL;
	g_autofree char *hb = NULL;
	size_t show = n < STREAM_SHOW ? n : STREAM_SHOW;

	if (!log_debug_enabled())
		return;
	copy_show(a, first, show);
	copy_show(b, second, show);
	ha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, first, n);
	hb = g_compute_checksum_for_data(G_CHECKSUM_SHA256, second, n);
	log_debug("%s: overlap-conflict at byte %" PRIu32 " (%zu bytes): "
		  "first \"%s%s\" sha256:%.16s, second \"%s%s\" "
		  "sha256:%.16s; kept the %s: %s",
	    what, at, n, a->str, n > show ? "..." : "", ha, b->str,
	    n > show ? "..." : "", hb, kept, why);
}

static const char *
dir_name(int dir)
{
	return dir == SMTP_DIR_CLIENT ? "client" : "server";
}

/* The first copy of a waiting conflict: the delivery that holds its
 * first byte, and where that delivery starts. */
static const struct stream_pend *
copy_first(const struct stream_keep *k, int dir, uint32_t seq, uint32_t *start)
{
	uint32_t s = k->read[dir];
	unsigned i;

	for (i = 0; i < k->qn; i++) {
		const struct stream_pend *q =
		    &k->q[(k->qh + i) % STREAM_PEND_MAX];

		if (q->dir != dir)
			continue;
		if (!seq_before(seq, s) && seq_before(seq, q->end)) {
			*start = s;
			return q;
		}
		s = q->end;
	}
	return NULL;
}

/* Decide which copy of the waiting conflict of a direction the receiver
 * took, in this order of evidence:
 *  1. its acknowledgement (have_ack), when it ends where one copy ends
 *     and not the other: it holds a copy's last bytes, or lacks them;
 *  2. the checksums: a copy whose IP or TCP checksum fails loses to one
 *     whose checksums hold (a receiver discards it: RFC 9293 §3.1,
 *     RFC 1122 §4.2.2.7); when both fail (checksum offload on the
 *     capturing host, loopback) they say nothing;
 *  3. the TTL: a copy with a lower TTL than the other may have expired
 *     on its way to the receiver (Ptacek and Newsham 1998, §4.2.1);
 *  4. else the first copy: a receiver that had it discards the later
 *     one (RFC 9293 §3.10.7.4 trims what it already holds; Linux's
 *     tcp_data_queue() drops it), and libnids keeps it too.
 * Returns false when the acknowledgement alone was to decide and does
 * not yet. */
static bool
copy_decide(struct stream_ctx *c, int dir, bool have_ack, uint32_t ack)
{
	struct stream_keep *k = c->keep;
	struct stream_copy *x = k->alt[dir];
	const struct stream_pend *f;
	uint8_t first[STREAM_KEEP];
	uint32_t fs = 0, sum;
	bool second = false, f_bad = false, f_known = false;
	const char *why = NULL;
	char buf[160];

	if (have_ack) {
		if (seq_before(ack, x->end) && seq_before(ack, x->first_end))
			return false; /* not yet: it covers neither */
		if (seq_before(x->end, x->first_end)) {
			second = seq_before(ack, x->first_end);
			why = second ? "the receiver acknowledged the second "
				       "copy's end, short of the first's"
				     : "the receiver acknowledged the first "
				       "copy's end, past the second's";
		} else if (seq_after(x->end, x->first_end) &&
			   seq_before(ack, x->end))
			why = "the receiver acknowledged the first copy's end "
			      "before the second's";
		else
			return false; /* the ACK cannot tell: wait, or fall
				       * back when forced */
	}
	ring_get(k, dir, x->start, first, x->len);
	if (why == NULL) {
		f = copy_first(k, dir, x->start, &fs);
		if (f != NULL && f->whole && k->hdr_len[dir] > 0 &&
		    k->hdr_seq[dir] == fs && k->hdr_end[dir] == f->end) {
			/* Its headers are kept: its checksums (the TCP one
			 * over the pseudo-header, RFC 9293 §3.1). */
			uint8_t pay[STREAM_KEEP];
			const uint8_t *hd = k->hdr[dir];
			uint32_t n = f->end - fs, hl = k->hdr_hl[dir];
			uint32_t thl = k->hdr_len[dir] - hl;

			ring_get(k, dir, fs, pay, n);
			sum = csum_add(IPPROTO_TCP + thl + n, hd + 12, 8);
			sum = csum_add(sum, hd + hl, thl);
			f_known = true;
			f_bad = csum_add(0, hd, hl) != 0xffff ||
				csum_add(sum, pay, n) != 0xffff;
		}
		if (f_known && x->ck_known && f_bad != x->ck_bad) {
			second = f_bad;
			why = second ? "the first copy's checksum fails (a "
				       "receiver discards it)"
				     : "the second copy's checksum fails (a "
				       "receiver discards it)";
		} else if (f != NULL && f->ttl != 0 && x->ttl != 0 &&
			   f->ttl != x->ttl) {
			second = f->ttl < x->ttl;
			g_snprintf(buf, sizeof buf,
			    "the %s copy's TTL (%u) is lower than the %s's "
			    "(%u): it may not have reached the receiver",
			    second ? "first" : "second",
			    (unsigned)(second ? f->ttl : x->ttl),
			    second ? "second" : "first",
			    (unsigned)(second ? x->ttl : f->ttl));
			why = buf;
		} else
			why = "nothing shows which the receiver took: the "
			      "first, which a receiver holding it keeps";
	}
	if (log_debug_enabled()) {
		g_autofree char *what = g_strdup_printf("session %s: %s",
		    smtp_session_dialogue(c->ss)->id, dir_name(dir));

		copy_log(what, x->start - k->base[dir], first, x->bytes, x->len,
		    second ? "second" : "first", why);
	}
	if (second)
		copy_take(c, dir, x);
	charged_free(x);
	k->alt[dir] = NULL;
	return true;
}

/* The receiver took the second copy: it replaces the first in what
 * waits.  A second copy that ends sooner ends the direction there (the
 * receiver's next byte is its end): libnids, which took the longer
 * first copy, is moved back to it like gap_fill() moves it forward,
 * unless it is in the middle of delivering to this stream. */
static void
copy_take(struct stream_ctx *c, int dir, const struct stream_copy *x)
{
	struct stream_keep *k = c->keep;
	struct half_stream *h;
	uint32_t back;
	unsigned i;

	ring_put(k, dir, x->start, x->bytes, x->len);
	if (!seq_before(x->end, k->end[dir]) ||
	    seq_before(x->end, k->read[dir]))
		return;
	back = k->end[dir] - x->end;
	if (st.ending != c) {
		const struct half_stream *snd = dir_sender(c->a, dir);

		if (st.notify_a == c->a || snd->state == NIDS_FIN_SENT ||
		    snd->state == NIDS_FIN_CONFIRMED ||
		    dir_expected(c->a, dir) != k->end[dir])
			return; /* libnids is delivering to it, or has read
				 * more than we keep: left as it is */
		h = dir_holder(c->a, dir);
		h->count -= (int)back;
		h->offset -= (int)back;
	}
	k->end[dir] = x->end;
	k->len[dir] = k->len[dir] > back ? k->len[dir] - back : 0;
	for (i = 0; i < k->qn; i++) {
		struct stream_pend *q = &k->q[(k->qh + i) % STREAM_PEND_MAX];

		if (q->dir == dir && seq_after(q->end, x->end))
			q->end = x->end;
	}
}

/* Read the oldest delivery waiting. */
static void
keep_read_first(struct stream_ctx *c)
{
	struct stream_keep *k = c->keep;
	struct stream_pend q = k->q[k->qh];

	if (k->alt[q.dir] != NULL && seq_before(k->alt[q.dir]->start, q.end))
		(void)copy_decide(c, q.dir, false, 0);
	q = k->q[k->qh]; /* (its end may have moved) */
	k->qh = (k->qh + 1) % STREAM_PEND_MAX;
	k->qn--;
	if (seq_after(q.end, k->read[q.dir])) {
		keep_read(c, q.dir, k->read[q.dir], q.end, q.ts);
		k->read[q.dir] = q.end;
	}
}

/* Read everything waiting, in order. */
static void
keep_flush(struct stream_ctx *c)
{
	struct stream_keep *k = c->keep;
	int dir;

	if (k == NULL)
		return;
	while (k->qn > 0)
		keep_read_first(c);
	for (dir = 0; dir < 2; dir++)
		if (k->alt[dir] != NULL)
			(void)copy_decide(c, dir, false, 0);
}

/* The receiver of a direction acknowledged up to ack: decide a waiting
 * conflict if that tells, and read what it acknowledged (and what came
 * before it). */
static void
keep_acked(struct stream_ctx *c, int dir, uint32_t ack)
{
	struct stream_keep *k = c->keep;
	unsigned i, last = 0;
	bool any = false;

	if (k == NULL || k->qn == 0)
		return;
	if (k->alt[dir] != NULL)
		(void)copy_decide(c, dir, true, ack);
	for (i = 0; i < k->qn; i++) {
		const struct stream_pend *q =
		    &k->q[(k->qh + i) % STREAM_PEND_MAX];

		if (q->dir == dir && !seq_after(q->end, ack)) {
			last = i;
			any = true;
		}
	}
	if (!any)
		return;
	for (i = 0; i <= last; i++)
		keep_read_first(c);
}

/* Compare bytes libnids delivered with a copy of them that it held out
 * of order second (it keeps the first). */
static void
keep_check_ooo(
    struct stream_ctx *c, int dir, uint32_t start, const uint8_t *p, uint32_t n)
{
	struct stream_keep *k = c->keep;
	struct stream_copy *o = k->ooo[dir];
	uint32_t s, e;

	s = seq_after(o->start, start) ? o->start : start;
	e = seq_before(o->start + o->len, start + n) ? o->start + o->len
						     : start + n;
	if (seq_before(s, e) &&
	    memcmp(p + (s - start), o->bytes + (s - o->start), e - s) != 0) {
		dialogue_anomaly(
		    smtp_session_dialogue(c->ss), ANOMALY_OVERLAP_CONFLICT);
		st.conflicts[0]++;
		if (log_debug_enabled()) {
			g_autofree char *what = g_strdup_printf(
			    "session %s: %s", smtp_session_dialogue(c->ss)->id,
			    dir_name(dir));

			copy_log(what, s - k->base[dir], p + (s - start),
			    o->bytes + (s - o->start), e - s, "first",
			    "both were held out of order; libnids keeps the "
			    "first that came");
		}
	}
	if (!seq_before(start + n, o->start + o->len)) {
		charged_free(o);
		k->ooo[dir] = NULL;
	}
}

/* libnids delivered n bytes of a direction, ending at its next expected
 * byte: keep them, and let them wait for the receiver's acknowledgement
 * if it is in the capture (else there is none to wait for). */
static void
keep_deliver(struct stream_ctx *c, int dir, const uint8_t *p, size_t n)
{
	struct stream_keep *k = c->keep;
	uint32_t end = dir_expected(c->a, dir), start = end - (uint32_t)n;
	const struct tcp_seg *sg = st.seg;
	struct stream_pend *q;
	size_t keep;

	if (k == NULL && rs_budget.total > budget_low()) {
		/* Past the memory budget's low-water mark, a connection
		 * whose copy was given back gets none: its bytes are read at
		 * once, and a copy of them that differs cannot be seen. */
		smtp_session_side_unseen(c->ss, !dir, c->dir[!dir].pkts == 0);
		smtp_session_push(c->ss, dir, (const char *)p, n, st.now);
		return;
	}
	if (k == NULL)
		k = keep_new(c);
	if (k->cap[dir] > STREAM_KEEP_MIN && n <= STREAM_KEEP_MIN / 2 &&
	    k->alt[dir] == NULL && k->ooo[dir] == NULL &&
	    k->end[dir] - k->read[dir] <= STREAM_KEEP_MIN / 2)
		/* Back to small after a run of large deliveries (a
		 * message body): a small one, little waiting. */
		ring_resize(k, dir, STREAM_KEEP_MIN);
	if (!k->init[dir] || k->end[dir] != start) {
		/* The first bytes, or the first after a hole: what waits
		 * is read, and the ring starts again here. */
		keep_flush(c);
		if (!k->init[dir])
			k->base[dir] = dir_sender(c->a, dir)->first_data_seq;
		k->init[dir] = true;
		k->end[dir] = k->read[dir] = start;
		k->len[dir] = 0;
	}
	if (k->ooo[dir] != NULL)
		keep_check_ooo(c, dir, start, p, (uint32_t)n);
	if (c->dir[!dir].pkts == 0 || n >= STREAM_KEEP) {
		/* Nothing to wait for: read at once, keep the last bytes. */
		keep_flush(c);
		smtp_session_side_unseen(c->ss, !dir, c->dir[!dir].pkts == 0);
		smtp_session_push(c->ss, dir, (const char *)p, n, st.now);
		keep = n < STREAM_KEEP ? n : STREAM_KEEP;
		ring_room(k, dir, (uint32_t)keep);
		ring_put(k, dir, end - (uint32_t)keep, p + n - keep, keep);
		k->end[dir] = k->read[dir] = end;
		k->len[dir] = k->len[dir] + keep > k->cap[dir]
				  ? k->cap[dir]
				  : k->len[dir] + (uint32_t)keep;
		return;
	}
	/* Bytes the ring would overwrite are read first. */
	while (k->qn > 0 &&
	       (end - k->read[dir] > STREAM_KEEP || k->qn == STREAM_PEND_MAX))
		keep_read_first(c);
	/* What waits stays whole (the bytes before it are read). */
	ring_room(k, dir, end - k->read[dir]);
	ring_put(k, dir, start, p, n);
	k->end[dir] = end;
	k->len[dir] = k->len[dir] + n > k->cap[dir] ? k->cap[dir]
						    : k->len[dir] + (uint32_t)n;
	q = &k->q[(k->qh + k->qn++) % STREAM_PEND_MAX];
	memset(q, 0, sizeof *q);
	q->end = end;
	q->ts = st.now;
	q->dir = (uint8_t)dir;
	if (sg != NULL &&
	    (sg->t.saddr == c->t.saddr && sg->t.source == c->t.source) ==
		(dir == SMTP_DIR_CLIENT) &&
	    !seq_before(start, sg->seq) &&
	    !seq_after(end, sg->seq + (uint32_t)sg->plen)) {
		/* It came in the packet being read: what that says. */
		size_t hlen = sg->len - sg->plen;

		q->ttl = st.buf[8];
		q->whole = start == sg->seq && n == sg->plen;
		k->hdr_len[dir] = 0;
		if (q->whole && (st.buf[12] & 0xf0) != 0xf0 &&
		    hlen <= sizeof k->hdr[dir]) {
			/* (Mapped from IPv6: no checksum to check.) */
			memcpy(k->hdr[dir], st.buf, hlen);
			k->hdr_hl[dir] = (uint8_t)((st.buf[0] & 0xf) * 4);
			k->hdr_len[dir] = (uint8_t)hlen;
			k->hdr_seq[dir] = start;
			k->hdr_end[dir] = end;
		}
	}
}

/* A data segment of a direction, before libnids sees it: a copy of
 * bytes already delivered?  If it differs from them, the session has an
 * overlap conflict; while those bytes wait, which copy stays is decided
 * later (copy_decide()), else the first stays. */
static void
keep_check(struct stream_ctx *c, int dir, const struct tcp_seg *sg)
{
	struct stream_keep *k = c->keep;
	uint32_t s, e, send = sg->seq + (uint32_t)sg->plen;
	struct stream_copy *x;
	const uint8_t *p;

	if (k == NULL || !k->init[dir] ||
	    (k->alt[dir] == NULL && !seq_before(sg->seq, k->end[dir])))
		return; /* (new bytes: the common case) */
	if ((x = k->alt[dir]) != NULL) {
		if (!seq_before(sg->seq, x->start) &&
		    !seq_after(send, x->start + x->len) &&
		    memcmp(sg->payload, x->bytes + (sg->seq - x->start),
			sg->plen) == 0)
			return; /* the second copy again: still waiting */
		/* The sender goes on: its last copy is what it has. */
		(void)copy_decide(c, dir, false, 0);
	}
	s = k->end[dir] - k->len[dir];
	if (seq_after(sg->seq, s))
		s = sg->seq;
	e = seq_before(send, k->end[dir]) ? send : k->end[dir];
	if (!seq_before(s, e))
		return;
	p = sg->payload + (s - sg->seq);
	if (ring_same(k, dir, s, p, e - s))
		return; /* a retransmission, as TCP makes them */
	dialogue_anomaly(
	    smtp_session_dialogue(c->ss), ANOMALY_OVERLAP_CONFLICT);
	st.conflicts[0]++;
	if (seq_before(s, k->read[dir])) {
		/* Read already: the first copy stands. */
		if (log_debug_enabled()) {
			uint8_t first[STREAM_KEEP];
			g_autofree char *what = g_strdup_printf(
			    "session %s: %s", smtp_session_dialogue(c->ss)->id,
			    dir_name(dir));

			ring_get(k, dir, s, first, e - s);
			copy_log(what, s - k->base[dir], first, p, e - s,
			    "first",
			    c->dir[!dir].pkts == 0
				? "the receiver is not in the capture"
			    : c->dir[dir].acked_set &&
				    !seq_before(c->dir[dir].acked, e)
				? "the receiver had acknowledged it before"
				: "it had been read already");
		}
		return;
	}
	x = charged_alloc(sizeof *x + (e - s));
	x->start = s;
	x->len = e - s;
	x->first_end = k->end[dir];
	x->end = send;
	x->ttl = st.buf[8];
	x->ck_known = (st.buf[12] & 0xf0) != 0xf0;
	x->ck_bad = x->ck_known && !checksums_ok(st.buf, sg->len,
				       (size_t)(st.buf[0] & 0xf) * 4);
	memcpy(x->bytes, p, x->len);
	k->alt[dir] = x;
}

/* A segment libnids will hold out of order overlaps data it holds:
 * keep a copy (one per direction) to compare when it is delivered. */
static void
keep_ooo(struct stream_ctx *c, int dir, const struct tcp_seg *sg)
{
	struct stream_keep *k = c->keep;
	struct stream_copy *o;
	uint32_t n = sg->plen < STREAM_KEEP ? (uint32_t)sg->plen : STREAM_KEEP;

	if (k == NULL)
		k = keep_new(c);
	if (k->ooo[dir] != NULL || n == 0)
		return;
	o = memset(charged_alloc(sizeof *o + n), 0, sizeof *o);
	o->start = sg->seq;
	o->len = n;
	memcpy(o->bytes, sg->payload, n);
	k->ooo[dir] = o;
}

/* Before libnids sees a segment of an SMTP connection. */
static void
tcp_before(const struct tcp_seg *sg)
{
	struct tcp_stream *a;
	struct stream_ctx *c;
	struct stream_dir *sd;
	struct half_stream *h;
	bool from_client;
	int dir, peer;
	uint32_t exp;

	/* Established connections are found in our own table; of the
	 * others, a handshake held in st.syn goes to libnids first. */
	c = ctx_of_seg(sg, &from_client);
	if (c == NULL && (sg->flags & TH_SYN) == 0)
		syn_pass(sg);
	if (c != NULL)
		a = c->a;
	else if ((sg->flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN) {
		/* A SYN comes from the client: one orientation to look at. */
		from_client = true;
		a = nids_find_tcp_stream((struct tuple4 *)&sg->t);
		if (a == NULL)
			return;
	} else
		a = seg_stream(sg, &from_client);
	if (a == NULL) {
		if (sg->plen == 0 || !(sg->flags & TH_ACK) ||
		    (sg->flags & (TH_SYN | TH_RST)))
			return;
		pickup(sg);
		if ((a = seg_stream(sg, &from_client)) == NULL)
			return;
	} else if (a->nids_state == 0 && sg->plen > 0 && (sg->flags & TH_ACK) &&
		   !(sg->flags & (TH_SYN | TH_RST))) {
		complete_handshake(a, sg, from_client);
		if ((a = seg_stream(sg, &from_client)) == NULL)
			return;
	}
	if (a->nids_state == 0 && from_client &&
	    (sg->flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN &&
	    sg->seq + 1 != a->client.first_data_seq) {
		/* A new attempt on the tuple of one that was never
		 * established: libnids would ignore it. */
		nids_free_tcp_stream(a);
		return;
	}
	if (a->nids_state != NIDS_DATA) {
		if (a->nids_state == 0 && from_client && sg->plen == 0 &&
		    (sg->flags & (TH_SYN | TH_ACK | TH_RST | TH_FIN)) ==
			TH_ACK &&
		    a->server.state == TCP_CLOSE)
			note_handshake_ack(a, sg->ack);
		return;
	}
	if (c == NULL || c->a != a)
		c = g_hash_table_lookup(st.ctx, a);
	if (c == NULL)
		return;
	dir = from_client ? SMTP_DIR_CLIENT : SMTP_DIR_SERVER;
	peer = from_client ? SMTP_DIR_SERVER : SMTP_DIR_CLIENT;
	if (((from_client &&
		 (sg->flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN &&
		 sg->seq + 1 != a->client.first_data_seq) ||
		(!from_client &&
		    (sg->flags & (TH_SYN | TH_ACK | TH_RST)) ==
			(TH_SYN | TH_ACK) &&
		    sg->seq + 1 != a->server.first_data_seq))) {
		/* A new connection on the tuple of one that never closed in
		 * the capture (abandoned, or its end not captured): its SYN,
		 * or the server's SYN/ACK of it when the SYN was not
		 * captured.  libnids would ignore it for an hour and then
		 * free the old stream without a word (§5.6): end the old
		 * session now, as dropped, and let the new one start. */
		if (!flush_holes(c, a))
			return;
		stream_end(a, c, DLG_END_DROPPED, c->last_ts);
		nids_free_tcp_stream(a);
		return;
	}
	exp = dir_expected(a, dir);
	if (sg->plen > 0 && !(sg->flags & (TH_SYN | TH_RST)) &&
	    new_connection(a, sg, dir, exp)) {
		/* Nowhere near this connection's bytes: a new connection on
		 * the same tuple whose handshake was not captured.  What the
		 * old one held beyond holes is read first. */
		if (!flush_holes(c, a))
			return;
		stream_end(a, c, DLG_END_DROPPED, c->last_ts);
		nids_free_tcp_stream(a);
		if (sg->flags & TH_ACK)
			pickup(sg);
		return;
	}
	if (!(sg->flags & TH_SYN) && !far_apart(sg->seq, exp))
		c->dir[dir].pkts++; /* (a SYN, or a segment this far off,
				     * belongs to another connection) */
	st.counted = true;
	st.cur_a = a;
	st.cur_c = c;
	st.cur_dir = dir;
	if (sg->plen > 0 && !(sg->flags & (TH_SYN | TH_RST)))
		keep_check(c, dir, sg);
	/* The sender has the peer's bytes up to ack: a hole before that in
	 * the peer's direction was lost by the capture, not the network;
	 * and what of them waits to be read can be. */
	if ((sg->flags & TH_ACK) &&
	    (!c->dir[peer].acked_set ||
		seq_after(sg->ack, c->dir[peer].acked))) {
		c->dir[peer].acked = sg->ack;
		c->dir[peer].acked_set = true;
		keep_acked(c, peer, sg->ack);
	}
	if ((sg->flags & TH_ACK) && c->dir[peer].pkts > 0) {
		/* (Of a peer never seen, nothing was captured at all: the
		 * record says so, rather than call it all a gap.) */
		if (sg->plen > 0 &&
		    seq_after(sg->ack, dir_expected(a, peer) + 1) &&
		    seq_after(sg->seq, dir_expected(a, dir))) {
			/* This segment comes after a hole of its own too: the
			 * peer's lost bytes may answer what is in it, so that
			 * one is skipped first, keeping the order. */
			if (!fill_to(c, a, dir, sg->seq))
				return;
		}
		if (!fill_to(c, a, peer, sg->ack))
			return;
	}
	if (sg->plen == 0 && !(sg->flags & TH_FIN))
		return;
	sd = &c->dir[dir];
	h = dir_holder(a, dir);
	exp = dir_expected(a, dir);
	if (c->dir[peer].pkts == 0 && seq_after(exp, h->ack_seq))
		h->ack_seq = exp; /* the receiver is not in the capture */
	if (!seq_after(sg->seq, exp))
		return;
	if (sd->acked_set && seq_after(sd->acked, exp)) {
		/* The first of this side seen after the peer acknowledged
		 * what came before it: that was lost. */
		if (!fill_to(c, a, dir,
			seq_before(sd->acked, sg->seq) ? sd->acked : sg->seq))
			return;
		exp = dir_expected(a, dir);
		if (!seq_after(sg->seq, exp))
			return;
	}
	/* Out of order: libnids will hold it (after any copy it holds). */
	if (ahead_add(sd, sg->seq,
		sg->seq + (uint32_t)sg->plen + ((sg->flags & TH_FIN) ? 1 : 0)))
		keep_ooo(c, dir, sg);
	if (h->rmem_alloc + (int)sg->plen + 512 > STREAM_QUEUE_FILL ||
	    sd->ahead->len >= STREAM_AHEAD_MAX ||
	    (c->dir[peer].pkts == 0 && sd->ahead_segs > STREAM_ONESIDED_SEGS))
		(void)fill_to(c, a, dir,
		    g_array_index(sd->ahead, struct seq_range, 0).start);
}

/* After libnids has seen it. */
static void
tcp_after(const struct tcp_seg *sg)
{
	struct tcp_stream *a;
	struct stream_ctx *c;
	bool from_client;
	int dir;

	if (st.settle != NULL) {
		/* The replies right after a hole are read: pair them. */
		keep_flush(st.settle);
		smtp_session_gap_settle(st.settle->ss);
		st.settle = NULL;
	}
	if (st.counted) {
		/* Known from before; unless libnids ended it meanwhile (a
		 * slot is reused only when a new stream is made). */
		a = st.cur_a;
		c = st.cur_c;
		dir = st.cur_dir;
		if (c == NULL)
			return;
	} else {
		/* Only a stream that began during this packet can have a
		 * context now. */
		if ((c = st.begun) == NULL)
			return;
		a = c->a;
		from_client =
		    c->t.saddr == sg->t.saddr && c->t.source == sg->t.source;
		dir = from_client ? SMTP_DIR_CLIENT : SMTP_DIR_SERVER;
		c->dir[dir].pkts++;
	}
	if (st.frag_conflict) {
		/* It was put together from fragments that conflict. */
		dialogue_anomaly(
		    smtp_session_dialogue(c->ss), ANOMALY_OVERLAP_CONFLICT);
		st.frag_conflict = false;
	}
	if (sg->flags & TH_FIN) {
		c->dir[dir].fin = true;
		if (c->dir[dir].fin_ts == 0)
			c->dir[dir].fin_ts = st.now;
	}
	c->last_pkt = st.now;
	ahead_prune(&c->dir[dir], dir_expected(a, dir));
	if (st.o.touched != NULL)
		st.o.touched(smtp_session_dialogue(c->ss), st.arg);
}

/* The capture's clock: callers see it move forward only. */
static void
clock_tick(gint64 ts)
{
	if (ts <= st.clock)
		return;
	st.clock = ts;
	if (st.o.tick != NULL)
		st.o.tick(ts, st.arg);
}

/* ---- IPv4 fragments ----
 *
 * libnids reassembles fragments as Linux 2.0 did (references/libnids.md
 * §5.1): a fragment overrides the bytes of those after its start, so a
 * decoy sent last over the real one wins, silently.  Receivers differ
 * (Novak, "Target-Based Fragmentation Reassembly", 2005; Linux since
 * 4.19 drops a datagram with overlapping fragments, as RFC 5722 asks of
 * IPv6), and a monitor cannot know the receiver's rule.  So TCP
 * fragments are put together here and libnids is given whole
 * datagrams: the first copy of every byte is kept and a later copy is
 * compared with it; when they differ the datagram's session gets
 * overlap-conflict, and the copy with which the segment's TCP checksum
 * holds is taken (a receiver drops a segment whose checksum fails,
 * RFC 9293 §3.1), else the first.  The segment then goes through the
 * packet layer like any other, so a retransmission of it is compared
 * too. */

static guint
frag_hash(gconstpointer p)
{
	const struct frag_key *k = p;

	return (k->src * 2654435761u) ^ (k->dst * 40503u) ^
	       ((guint)k->id << 8 | k->proto);
}

static gboolean
frag_equal(gconstpointer a, gconstpointer b)
{
	const struct frag_key *x = a, *y = b;

	return x->src == y->src && x->dst == y->dst && x->id == y->id &&
	       x->proto == y->proto;
}

static void
frag_free(struct frag *f, bool dropped)
{
	if (dropped)
		st.frag_dropped++;
	g_hash_table_remove(st.frag, &f->key);
	g_queue_unlink(&st.frag_order, &f->link);
	st.frag_bytes -= f->cap * (f->later != NULL ? 2 : 1);
	charged_free(f->buf);
	charged_free(f->later);
	charged_free(f);
}

/* Add bytes [o, e) of a datagram: the first copy of every byte stays in
 * buf; once a copy differs, the last copy of every byte is kept too
 * (later), so that the datagram can be tried either way.  False when the
 * datagram is given up (too many pieces). */
static bool
frag_put(struct frag *f, uint32_t o, uint32_t e, const uint8_t *p)
{
	uint32_t pos, s, x;
	unsigned i, j;

	for (i = 0; i < f->n; i++) {
		if (f->have[i].end <= o || f->have[i].start >= e)
			continue;
		s = f->have[i].start > o ? f->have[i].start : o;
		x = f->have[i].end < e ? f->have[i].end : e;
		if (memcmp(f->buf + s, p + (s - o), x - s) == 0)
			continue;
		if (f->conflicts++ == 0) {
			f->c_off = s;
			f->c_len = x - s;
		}
		if (f->later == NULL) {
			f->later = charged_dup(f->buf, f->cap);
			st.frag_bytes += f->cap;
		}
	}
	if (f->later != NULL)
		memcpy(f->later + o, p, e - o);
	for (i = 0, pos = o; i < f->n && pos < e; i++) {
		if (f->have[i].end <= pos)
			continue;
		if (f->have[i].start >= e)
			break;
		if (f->have[i].start > pos)
			memcpy(f->buf + pos, p + (pos - o),
			    f->have[i].start - pos);
		pos = f->have[i].end;
	}
	if (pos < e)
		memcpy(f->buf + pos, p + (pos - o), e - pos);
	/* The ranges come: insert [o, e), merging what it touches. */
	for (i = 0; i < f->n && f->have[i].end < o; i++)
		;
	for (j = i; j < f->n && f->have[j].start <= e; j++) {
		if (f->have[j].start < o)
			o = f->have[j].start;
		if (f->have[j].end > e)
			e = f->have[j].end;
	}
	if (j == i) {
		if (f->n == FRAG_PIECES)
			return false;
		memmove(&f->have[i + 1], &f->have[i],
		    (f->n - i) * sizeof f->have[0]);
		f->n++;
	} else if (j > i + 1) {
		memmove(&f->have[i + 1], &f->have[j],
		    (f->n - j) * sizeof f->have[0]);
		f->n -= j - i - 1;
	}
	f->have[i].start = o;
	f->have[i].end = e;
	return true;
}

/* A datagram is whole: give it to the packet layer as one packet. */
static void
frag_done(struct frag *f, gint64 ts)
{
	uint8_t *b = st.fragbuf;
	size_t len = f->hl + f->total;
	bool first_ok, second_ok, second = false;
	uint16_t ck;

	if (len > 65535) {
		frag_free(f, true);
		return;
	}
	memcpy(b, f->hdr, f->hl);
	put16(b + 2, (uint16_t)len);
	b[6] &= 0x40; /* DF stays; MF and the offset go */
	b[7] = 0;
	b[10] = b[11] = 0;
	ck = ip_checksum(b, f->hl);
	put16(b + 10, ck);
	memcpy(b + f->hl, f->buf, f->total);
	if (f->conflicts > 0) {
		/* The first copies, or the last: the one the TCP checksum
		 * holds with. */
		const char *why = "the TCP checksum holds with both or with "
				  "neither: the first copy";

		st.conflicts[1]++;
		first_ok = f->hdr[9] == IPPROTO_TCP &&
			   tcp_checksum(b, f->hl, len) == 0;
		memcpy(b + f->hl, f->later, f->total);
		second_ok = f->hdr[9] == IPPROTO_TCP &&
			    tcp_checksum(b, f->hl, len) == 0;
		if (first_ok != second_ok) {
			second = second_ok;
			why = "the TCP checksum holds only with it";
		}
		if (!second)
			memcpy(b + f->hl, f->buf, f->total);
		if (log_debug_enabled()) {
			char sa[INET_ADDRSTRLEN], da[INET_ADDRSTRLEN];
			g_autofree char *what = NULL;

			inet_ntop(AF_INET, b + 12, sa, sizeof sa);
			inet_ntop(AF_INET, b + 16, da, sizeof da);
			what = g_strdup_printf("IPv4 fragments %s -> %s id %u",
			    sa, da, (unsigned)f->key.id);
			copy_log(what, f->c_off, f->buf + f->c_off,
			    f->later + f->c_off, f->c_len,
			    second ? "second" : "first", why);
		}
	}
	st.frag_conflict = f->conflicts > 0;
	frag_free(f, false);
	(void)feed_ipv4(b, len, ts);
	st.frag_conflict = false;
}

/* An IPv4 fragment of a TCP segment (RFC 791 §3.2 "fragmentation"). */
static bool
stream_frag(const uint8_t *pkt, size_t len, size_t hl, gint64 ts)
{
	struct frag_key key;
	struct frag *f;
	uint16_t fo = (uint16_t)(pkt[6] << 8 | pkt[7]);
	uint32_t o = (uint32_t)(fo & 0x1fff) * 8, n = (uint32_t)(len - hl);
	uint32_t e = o + n;
	bool more = (fo & 0x2000) != 0;
	size_t want;

	if (st.o.verify_checksums && ip_checksum(pkt, hl) != 0)
		return false; /* libnids would drop it */
	if (n == 0 || (more && n % 8 != 0) || e > 65535 - 20) {
		st.frag_dropped++;
		return false;
	}
	while (
	    st.frag_order.head != NULL &&
	    ((struct frag *)st.frag_order.head->data)->ts + FRAG_TIMEOUT < ts)
		frag_free(st.frag_order.head->data, true);
	memset(&key, 0, sizeof key);
	memcpy(&key.src, pkt + 12, 4);
	memcpy(&key.dst, pkt + 16, 4);
	key.id = (uint16_t)(pkt[4] << 8 | pkt[5]);
	key.proto = pkt[9];
	f = g_hash_table_lookup(st.frag, &key);
	if (f == NULL) {
		if (g_hash_table_size(st.frag) >= FRAG_MAX)
			frag_free(st.frag_order.head->data, true);
		f = memset(charged_alloc(sizeof *f), 0, sizeof *f);
		f->key = key;
		f->ts = ts;
		f->link.data = f;
		g_hash_table_insert(st.frag, &f->key, f);
		g_queue_push_tail_link(&st.frag_order, &f->link);
	}
	if ((f->last && (e > f->total || (!more && e != f->total))) ||
	    (!more && f->n > 0 && f->have[f->n - 1].end > e)) {
		/* Fragments that disagree about the datagram's end. */
		frag_free(f, true);
		return false;
	}
	if (e > f->cap) {
		want = f->cap * 2 > e ? f->cap * 2 : e;
		if (want > 65535)
			want = 65535;
		st.frag_bytes += (want - f->cap) * (f->later != NULL ? 2 : 1);
		f->buf = charged_realloc(f->buf, want);
		if (f->later != NULL)
			f->later = charged_realloc(f->later, want);
		f->cap = want;
	}
	if (o == 0 && f->hl == 0) {
		memcpy(f->hdr, pkt, hl);
		f->hl = hl;
	}
	if (!more) {
		f->total = e;
		f->last = true;
	}
	if (!frag_put(f, o, e, pkt + hl)) {
		frag_free(f, true);
		return false;
	}
	if (f->hl > 0 && f->last && f->n == 1 && f->have[0].start == 0 &&
	    f->have[0].end == f->total)
		frag_done(f, ts);
	else
		while (st.frag_bytes > FRAG_BYTES && st.frag_order.head != NULL)
			frag_free(st.frag_order.head->data, true);
	return true;
}

/* Finding SMTP by its content (detect.h; docs/architecture.md): a
 * connection on a port that is not one of --ports waits here, its
 * packets held, until its first bytes tell whether it is SMTP; libnids
 * sees only those that are.  At most DET_MAX wait, holding DET_HOLD
 * packets each and DET_BYTES in all: past that, the oldest is judged on
 * what it has.  Those that are not SMTP are remembered (DET_NOT_MAX,
 * the oldest forgotten first) so that their later packets cost a
 * lookup; those that are, until their session ends (DET_SMTP_MAX). */
#define DET_MAX 4096
#define DET_HOLD 16
#define DET_BYTES (4u * 1024 * 1024)
#define DET_NOT_MAX 65536
#define DET_SMTP_MAX 65536
#define DET_FIRST 256	/* first bytes of each side read */
#define DET_MID_PKTS 32 /* payloads read of one picked up mid-stream */
#define DET_SERVERS_MAX 65536

enum det_state { DET_WAIT, DET_SMTP, DET_NOT };

struct det_held {
	uint8_t *pkt;
	size_t len;
	gint64 ts;
};

struct det_entry {
	struct tuple4 key; /* lower address and port first */
	struct tuple4 t;   /* client -> server, once oriented */
	bool oriented;
	bool midstream; /* its first packet was not a SYN */
	bool tunnel;	/* through a proxy, SMTP was seen */
	bool ended;	/* a FIN or reset came */
	uint8_t state;
	enum detect_look look[2]; /* by enum smtp_dir */
	uint8_t *first[2];	  /* DET_FIRST bytes each (charged) */
	uint16_t flen[2];
	uint32_t isn;	       /* the client's, when its SYN came */
	struct det_held *held; /* DET_HOLD of them (charged) */
	unsigned nheld;
	unsigned payloads;
	uint64_t pkt; /* the packet that made it (stream_pos) */
	GList link;   /* in st.det_wait or st.det_smtp, oldest first */
};

static void
det_key(const struct tuple4 *t, struct tuple4 *k)
{
	uint64_t a = (uint64_t)ntohl(t->saddr) << 16 | t->source;
	uint64_t b = (uint64_t)ntohl(t->daddr) << 16 | t->dest;

	if (a <= b)
		*k = *t;
	else {
		k->saddr = t->daddr;
		k->source = t->dest;
		k->daddr = t->saddr;
		k->dest = t->source;
	}
}

static void
det_orient(struct det_entry *e, const struct tuple4 *client_to_server)
{
	e->t = *client_to_server;
	e->oriented = true;
}

/* The side a segment comes from (enum smtp_dir); the entry is oriented. */
static int
det_side(const struct det_entry *e, const struct tcp_seg *sg)
{
	return sg->t.saddr == e->t.saddr && sg->t.source == e->t.source
		   ? SMTP_DIR_CLIENT
		   : SMTP_DIR_SERVER;
}

static void
det_drop_held(struct det_entry *e)
{
	unsigned i;

	for (i = 0; i < e->nheld; i++) {
		st.det_bytes -= e->held[i].len;
		charged_free(e->held[i].pkt);
	}
	e->nheld = 0;
	charged_free(e->held);
	e->held = NULL;
}

static void
det_free_first(struct det_entry *e)
{
	int i;

	for (i = 0; i < 2; i++) {
		charged_free(e->first[i]);
		e->first[i] = NULL;
	}
}

/* Forget an entry (it is in no table any more). */
static void
det_free(struct det_entry *e)
{
	det_drop_held(e);
	det_free_first(e);
	charged_free(e);
}

/* Forget a connection: out of the table and of its state's queue. */
static void
det_remove(struct det_entry *e)
{
	g_hash_table_remove(st.det, &e->key);
	g_queue_unlink(e->state == DET_WAIT   ? &st.det_wait
		       : e->state == DET_SMTP ? &st.det_smtp
					      : &st.det_not,
	    &e->link);
	det_free(e);
}

/* Not SMTP: remembered as such, the oldest such forgotten past the
 * limit. */
static void
det_reject(struct det_entry *e)
{
	g_queue_unlink(&st.det_wait, &e->link);
	det_drop_held(e);
	det_free_first(e);
	e->state = DET_NOT;
	g_queue_push_tail_link(&st.det_not, &e->link);
	st.stats->detect_rejected++;
	while (st.det_not.length > DET_NOT_MAX)
		det_remove(st.det_not.head->data);
}

/* SMTP: the held packets go their way now, in the order they came (the
 * entry says which side is the server). */
static void
det_accept(struct det_entry *e)
{
	struct det_held *held = e->held;
	unsigned i, n = e->nheld;
	struct det_entry *o;

	g_queue_unlink(&st.det_wait, &e->link);
	det_free_first(e);
	e->state = DET_SMTP;
	g_queue_push_tail_link(&st.det_smtp, &e->link);
	e->held = NULL;
	e->nheld = 0;
	while (st.det_smtp.length > DET_SMTP_MAX) {
		o = st.det_smtp.head->data;
		g_queue_unlink(&st.det_smtp, &o->link);
		g_hash_table_remove(st.det, &o->key);
		charged_free(o);
	}
	st.det_replay = e;
	for (i = 0; i < n; i++) {
		st.det_bytes -= held[i].len;
		(void)feed_ipv4(held[i].pkt, held[i].len, held[i].ts);
		charged_free(held[i].pkt);
	}
	st.det_replay = NULL;
	charged_free(held);
}

/* Is TLS from this connection's client mail?  On the SMTPS port, or to
 * a server seen speaking SMTP. */
static bool
det_tls_is_mail(const struct det_entry *e)
{
	return detect_tls_port(e->t.dest) ||
	       g_hash_table_contains(
		   st.det_servers, GUINT_TO_POINTER(e->t.daddr));
}

/* 1: SMTP, -1: not, 0: wait.  With final, nothing more will come. */
static int
det_decide(const struct det_entry *e, bool final)
{
	enum detect_look c = e->look[SMTP_DIR_CLIENT];
	enum detect_look s = e->look[SMTP_DIR_SERVER];

	if (c == DETECT_PROXY) {
		if (e->tunnel)
			return 1;
		return final ? -1 : 0;
	}
	if (s == DETECT_SMTP || c == DETECT_SMTP)
		return 1;
	if (c == DETECT_TLS)
		return det_tls_is_mail(e) ? 1 : -1;
	if (s == DETECT_NO)
		return -1;
	if (s == DETECT_GREETING) {
		if (c == DETECT_COMMAND)
			return 1;
		if (c == DETECT_NONE)
			return final ? 1 : 0;
		return -1;
	}
	/* The server has not spoken: the client's first bytes may be an
	 * early talker's. */
	return final ? -1 : 0;
}

/* Read a payload of a connection not yet judged. */
static void
det_read(struct det_entry *e, const struct tcp_seg *sg)
{
	int side = det_side(e, sg);
	size_t room, n;

	if (e->look[SMTP_DIR_CLIENT] == DETECT_PROXY) {
		/* Through a proxy: the tunnel's first bytes, wherever they
		 * are in the segments that follow the preamble. */
		if (detect_tunnel(
			sg->payload, sg->plen, side == SMTP_DIR_SERVER))
			e->tunnel = true;
		return;
	}
	if (e->look[side] != DETECT_NONE)
		return;
	if (e->first[side] == NULL)
		e->first[side] = charged_alloc(DET_FIRST);
	room = DET_FIRST - e->flen[side];
	n = MIN(room, sg->plen);
	memcpy(e->first[side] + e->flen[side], sg->payload, n);
	e->flen[side] = (uint16_t)(e->flen[side] + n);
	e->look[side] =
	    side == SMTP_DIR_SERVER
		? detect_server_first(e->first[side], e->flen[side])
		: detect_client_first(e->first[side], e->flen[side]);
	if (e->look[side] == DETECT_NONE && e->flen[side] == DET_FIRST)
		e->look[side] = DETECT_NO;
	if (e->look[side] == DETECT_PROXY &&
	    detect_tunnel(e->first[side], e->flen[side], false))
		e->tunnel = true;
}

static bool
det_hold(struct det_entry *e, const uint8_t *pkt, size_t len, gint64 ts)
{
	struct det_held *h;

	if (e->nheld == DET_HOLD)
		return false;
	if (e->held == NULL)
		e->held = charged_alloc(DET_HOLD * sizeof *e->held);
	h = &e->held[e->nheld++];
	h->pkt = charged_alloc(len);
	memcpy(h->pkt, pkt, len);
	h->len = len;
	h->ts = ts;
	st.det_bytes += len;
	return true;
}

/* Picked up mid-stream, only the latest packets are worth keeping: when
 * the entry is full, what it held goes. */
static void
det_hold_latest(struct det_entry *e, const uint8_t *pkt, size_t len, gint64 ts)
{
	if (!det_hold(e, pkt, len, ts)) {
		det_drop_held(e);
		(void)det_hold(e, pkt, len, ts);
	}
}

/* Judge the oldest waiting connection on what it has. */
static void
det_settle(struct det_entry *e)
{
	if (det_decide(e, true) > 0)
		det_accept(e);
	else
		det_reject(e);
}

static struct det_entry *
det_new(const struct tuple4 *key)
{
	struct det_entry *e;

	while (st.det_wait.length >= DET_MAX ||
	       (st.det_wait.head != NULL && st.det_bytes > DET_BYTES))
		det_settle(st.det_wait.head->data);
	e = charged_alloc(sizeof *e);
	memset(e, 0, sizeof *e);
	e->key = *key;
	e->pkt = st.pos.pkt;
	e->link.data = e;
	e->state = DET_WAIT;
	g_hash_table_insert(st.det, &e->key, e);
	g_queue_push_tail_link(&st.det_wait, &e->link);
	return e;
}

/* A packet of a connection on a port that is not one of --ports: true
 * when it goes on to libnids (the connection is SMTP), false when it is
 * held or not SMTP. */
static bool
det_packet(const uint8_t *pkt, size_t len, const struct tcp_seg *sg, gint64 ts)
{
	struct tuple4 key;
	struct det_entry *e;
	uint8_t kind = sg->flags & (TH_SYN | TH_ACK);
	bool syn = (sg->flags & TH_SYN) != 0;
	int verdict;

	det_key(&sg->t, &key);
	e = g_hash_table_lookup(st.det, &key);
	if (e != NULL && e->state == DET_SMTP) {
		if (kind != TH_SYN || e == st.det_replay || sg->seq == e->isn)
			return true;
		det_remove(e); /* a new connection on the tuple */
		e = NULL;
	}
	if (e != NULL && e->state == DET_NOT) {
		/* Its FIN or reset: over, the entry is not needed; its SYN: a
		 * new connection on the tuple. */
		if (syn || (sg->flags & (TH_FIN | TH_RST)))
			det_remove(e);
		if (!syn)
			return false;
		e = NULL;
	}
	if (e == NULL) {
		if (!syn && sg->plen == 0)
			return false; /* nothing to tell by */
		e = det_new(&key);
		if (kind == TH_SYN) {
			det_orient(e, &sg->t);
			e->isn = sg->seq;
		} else if (kind == (TH_SYN | TH_ACK)) {
			struct tuple4 r = { sg->t.dest, sg->t.source,
				sg->t.daddr, sg->t.saddr };

			det_orient(e, &r);
		} else
			e->midstream = true;
	}
	if (sg->flags & (TH_FIN | TH_RST))
		e->ended = true;
	if (e->midstream && !e->oriented) {
		bool from_server;

		/* Picked up mid-stream: a line that is an SMTP reply or
		 * command tells, and who sent it. */
		if (sg->plen > 0 &&
		    detect_midstream(sg->payload, sg->plen, &from_server)) {
			struct tuple4 r = { sg->t.dest, sg->t.source,
				sg->t.daddr, sg->t.saddr };

			det_orient(e, from_server ? &r : &sg->t);
			det_hold_latest(e, pkt, len, ts);
			e->look[SMTP_DIR_CLIENT] = DETECT_SMTP;
			det_accept(e);
			return false;
		}
		if (sg->plen > 0 && ++e->payloads >= DET_MID_PKTS) {
			det_reject(e);
			return false;
		}
		det_hold_latest(e, pkt, len, ts);
		if (e->ended)
			det_reject(e);
		return false;
	}
	if (sg->plen > 0)
		det_read(e, sg);
	verdict = det_decide(e, false);
	if (verdict < 0) {
		det_reject(e);
		return false;
	}
	if (e->nheld == DET_HOLD) {
		/* Judged on the first DET_HOLD: this one goes on if SMTP. */
		det_settle(e);
		return e->state == DET_SMTP;
	}
	(void)det_hold(e, pkt, len, ts);
	if (verdict > 0)
		det_accept(e);
	else if (e->ended || e->nheld == DET_HOLD)
		det_settle(e);
	return false;
}

/* Is port the server's end of the connection t (either way round)? */
static bool
server_port(const struct tuple4 *t, uint16_t port)
{
	struct tuple4 key;
	const struct det_entry *e;

	if (st.o.ports[port])
		return true;
	if (st.det_smtp.length == 0)
		return false;
	det_key(t, &key);
	e = g_hash_table_lookup(st.det, &key);
	if (e == NULL || e->state != DET_SMTP || e->t.dest != port)
		return false;
	return t->dest == port ? t->daddr == e->t.daddr
			       : t->saddr == e->t.daddr;
}

/* A session begun: its server speaks SMTP (for TLS to it later). */
static void
det_note_server(uint32_t addr)
{
	if (g_hash_table_size(st.det_servers) < DET_SERVERS_MAX)
		g_hash_table_add(st.det_servers, GUINT_TO_POINTER(addr));
}

/* A session ended: its connection's entry goes. */
static void
det_forget(const struct tuple4 *t)
{
	struct tuple4 key;
	struct det_entry *e;

	if (st.det_smtp.length == 0)
		return;
	det_key(t, &key);
	e = g_hash_table_lookup(st.det, &key);
	if (e != NULL && e->state == DET_SMTP)
		det_remove(e);
}

/* End of input: what waits is judged on what it has. */
static void
det_finish(void)
{
	struct det_entry *e;

	st.pos.phase = STREAM_PHASE_END_START;
	while (st.det_wait.head != NULL) {
		st.pos.key = ((struct det_entry *)st.det_wait.head->data)->pkt;
		det_settle(st.det_wait.head->data);
	}
	st.pos.phase = STREAM_PHASE_END;
	st.pos.key = 0;
	while ((e = g_queue_peek_head(&st.det_smtp)) != NULL)
		det_remove(e);
	while ((e = g_queue_peek_head(&st.det_not)) != NULL)
		det_remove(e);
}

/* A DNS message to the store, or to the caller (-j N). */
static void
dns_message(const uint8_t *msg, size_t len, gint64 ts, const char *querier)
{
	if (st.o.dns_message != NULL)
		st.o.dns_message(msg, len, ts, querier, st.arg);
	else
		dns_store_add_message(st.o.dns, msg, len, ts, querier);
}

void
stream_position(struct stream_pos *p)
{
	*p = st.pos;
}

/* The step of the packet being read, for the one read from the input
 * (not one inside it), and not at the end. */
static void
set_phase(enum stream_phase ph)
{
	if (st.depth == 1 && !st.finishing)
		st.pos.phase = ph;
}

/* Which of the shards reassembles the connections between two addresses
 * (network order): the same whichever is the source.  The pair, not the
 * ports, so that every fragment of a datagram goes where its first one
 * goes, and all connections between two hosts share a process. */
static unsigned
shard_of(uint32_t a, uint32_t b, unsigned shards)
{
	uint64_t lo = MIN(a, b), hi = MAX(a, b);
	uint64_t x = (lo << 32 | hi) * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);

	return (unsigned)((x >> 32) % shards);
}

/* libnids ends the streams whose closing timed out when it is given a
 * packet (nids_pcap_handler() calls tcp_check_timeouts() first; both
 * are exported, though not in nids.h).  With -j N a process is not
 * given the other shards' packets, so it asks at the same packets, and
 * just before libnids would: the endings happen at the same places in
 * the input as with one process. */
void tcp_check_timeouts(struct timeval *now);

static void
nids_timeouts(gint64 ts)
{
	struct timeval tv;

	if (st.o.shards <= 1 || st.finishing || nids_tcp_timeouts == NULL)
		return;
	st.pos.phase = STREAM_PHASE_TIMEOUTS;
	tv.tv_sec = (time_t)(ts / G_USEC_PER_SEC);
	tv.tv_usec = (suseconds_t)(ts % G_USEC_PER_SEC);
	tcp_check_timeouts(&tv);
	st.pos.phase = STREAM_PHASE_NIDS;
}

/* A TCP packet of another shard: only the clock it carries matters
 * here.  One process would give it to libnids if it is on an SMTP or
 * DNS port (those found by content, which this process cannot judge,
 * are left out). */
static void
other_shard(const uint8_t *pkt, size_t len, size_t hl, uint16_t frag, gint64 ts)
{
	uint16_t sport, dport;

	if (frag != 0 || len < hl + 4)
		return;
	sport = (uint16_t)(pkt[hl] << 8 | pkt[hl + 1]);
	dport = (uint16_t)(pkt[hl + 2] << 8 | pkt[hl + 3]);
	if (!st.o.ports[sport] && !st.o.ports[dport] &&
	    (st.o.dns == NULL || (sport != 53 && dport != 53)))
		return;
	st.now = ts;
	nids_timeouts(ts);
}

/* A packet from the input: the position moves on, and the caller is
 * told (-j N's workers report their progress there). */
static void
pos_next_packet(void)
{
	st.pos.pkt++;
	st.pos.phase = STREAM_PHASE_CLOCK;
	st.pos.key = 0;
	if (st.o.packet != NULL)
		st.o.packet(st.arg);
}

bool
stream_feed_ipv4(const uint8_t *pkt, size_t len, gint64 ts)
{
	pos_next_packet();
	return feed_ipv4(pkt, len, ts);
}

static bool feed_ipv4_in(const uint8_t *pkt, size_t len, gint64 ts);

static bool
feed_ipv4(const uint8_t *pkt, size_t len, gint64 ts)
{
	bool r;

	st.depth++;
	r = feed_ipv4_in(pkt, len, ts);
	st.depth--;
	return r;
}

static bool
feed_ipv4_in(const uint8_t *pkt, size_t len, gint64 ts)
{
	size_t hl, iplen;
	uint16_t sport, dport, frag;
	uint8_t kind = 0;
	struct tcp_seg sg;
	bool parsed, hs = false, smtp = false;

	stream_pressure();
	clock_tick(ts);
	set_phase(STREAM_PHASE_BEFORE);

	if (len < 20 || (pkt[0] >> 4) != 4 ||
	    (hl = (size_t)(pkt[0] & 0xf) * 4) < 20 || len < hl) {
		st.stats->undecodable++;
		return false;
	}
	iplen = (size_t)(pkt[2] << 8 | pkt[3]);
	if (iplen < hl) {
		st.stats->undecodable++;
		return false;
	}
	if (len < iplen) {
		/* Cut by the snap length: libnids would drop it anyway, and
		 * the direction it belongs to stalls (a capture-loss hole). */
		st.stats->truncated++;
		return false;
	}
	len = iplen; /* drop link-layer padding */
	frag = (uint16_t)((pkt[6] << 8 | pkt[7]) & 0x3fff);
	if (pkt[9] == IPPROTO_UDP && frag == 0 && len >= hl + 8 &&
	    st.o.dns != NULL && (pkt[hl] << 8 | pkt[hl + 1]) == 53) {
		/* A DNS answer: passive DNS for the relay and EHLO checks;
		 * it goes to the one who asked. */
		char q[INET_ADDRSTRLEN];

		if (st.o.shards > 1 && st.o.shard != 0)
			return false; /* shard 0 reads them */
		inet_ntop(AF_INET, pkt + 16, q, sizeof q);
		dns_message(pkt + hl + 8, len - hl - 8, ts, q);
		return false;
	}
	if (pkt[9] != IPPROTO_TCP)
		return false;
	if (st.o.shards > 1 && shard_of(be32(pkt + 12), be32(pkt + 16),
				   st.o.shards) != st.o.shard) {
		other_shard(pkt, len, hl, frag, ts);
		return false;
	}
	if (frag != 0)
		return stream_frag(pkt, len, hl, ts);
	/* Only SMTP ports reach libnids. */
	if (len < hl + 14)
		return false;
	sport = (uint16_t)(pkt[hl] << 8 | pkt[hl + 1]);
	dport = (uint16_t)(pkt[hl + 2] << 8 | pkt[hl + 3]);
	parsed = tcp_seg_parse(pkt, len, hl, &sg);
	if (!st.o.ports[sport] && !st.o.ports[dport] &&
	    (st.o.dns == NULL || (sport != 53 && dport != 53))) {
		/* Another port: SMTP if its content says so. */
		if (!st.o.detect || !parsed || !det_packet(pkt, len, &sg, ts))
			return false;
	}
	kind = parsed ? sg.flags & (TH_SYN | TH_ACK | TH_RST) : 0;
	if (kind == TH_SYN &&
	    (server_port(&sg.t, dport) || (st.o.dns != NULL && dport == 53)))
		(void)syn_add(&sg, ts);
	else if (kind == (TH_SYN | TH_ACK) && server_port(&sg.t, sport)) {
		struct stream_syn *v = syn_find_reverse(&sg);

		if (v != NULL)
			v->synack = true;
	}
	hs = parsed && (!st.o.verify_checksums || checksums_ok(pkt, len, hl));
	smtp = hs && (server_port(&sg.t, sport) || server_port(&sg.t, dport));
	st.now = ts;
	memcpy(st.buf, pkt, len);
	st.counted = false;
	st.begun = NULL;
	st.settle = NULL;
	if (smtp)
		tcp_before(&sg);
	else if (hs && kind != TH_SYN && kind != (TH_SYN | TH_ACK))
		syn_pass(&sg); /* DNS over TCP */
	if (!hs || !syn_gate(&sg, kind, len)) {
		st.seg = smtp ? &sg : NULL;
		nids_timeouts(ts);
		stream_feed(st.buf, len);
		st.seg = NULL;
	}
	if (smtp)
		tcp_after(&sg);
	return true;
}

/* The synthetic IPv4 address (network order) of an IPv6 address, or 0
 * when the map is full. */
static uint32_t
v6_map(const uint8_t *a)
{
	g_autoptr(GBytes) key = g_bytes_new(a, 16);
	char text[INET6_ADDRSTRLEN];
	gpointer id;

	if (!g_hash_table_lookup_extended(st.v6, key, NULL, &id)) {
		if (st.v6text->len >= STREAM_V6_MAX)
			return 0;
		id = GUINT_TO_POINTER(st.v6text->len);
		inet_ntop(AF_INET6, a, text, sizeof text);
		g_ptr_array_add(st.v6text, g_strdup(text));
		g_hash_table_insert(st.v6, g_bytes_ref(key), id);
	}
	return htonl(STREAM_V6_NET | GPOINTER_TO_UINT(id));
}

bool
stream_feed_ipv6(const uint8_t *pkt, size_t len, gint64 ts)
{
	pos_next_packet();
	return feed_ipv6(pkt, len, ts);
}

static bool
feed_ipv6(const uint8_t *pkt, size_t len, gint64 ts)
{
	uint8_t *b = st.v6buf;
	size_t o, plen, tl;
	uint32_t sa, da;
	uint16_t ck;
	uint8_t nh;

	stream_pressure();
	clock_tick(ts);

	if (len < 40 || (pkt[0] >> 4) != 6) {
		st.stats->undecodable++;
		return false;
	}
	plen = (size_t)(pkt[4] << 8 | pkt[5]);
	if (len < 40 + plen) {
		st.stats->truncated++;
		return false;
	}
	len = 40 + plen; /* drop link-layer padding */
	switch (packet_ipv6_walk(pkt, len, &nh, &o)) {
	case PACKET_V6_BAD:
		st.stats->undecodable++;
		return false;
	case PACKET_V6_FRAGMENT:
		/* Not reassembled. */
		st.stats->ipv6_fragments++;
		return false;
	case PACKET_V6_UPPER:
		break;
	}
	if (o > len)
		return false;
	if (nh == IPPROTO_UDP && len >= o + 8 && st.o.dns != NULL &&
	    (pkt[o] << 8 | pkt[o + 1]) == 53) {
		char q[INET6_ADDRSTRLEN];

		if (st.o.shards > 1 && st.o.shard != 0)
			return false; /* shard 0 reads them */
		inet_ntop(AF_INET6, pkt + 24, q, sizeof q);
		dns_message(pkt + o + 8, len - o - 8, ts, q);
		return false;
	}
	if (nh != IPPROTO_TCP)
		return false;
	tl = len - o;
	if (tl + 20 > sizeof st.v6buf)
		return false;
	sa = v6_map(pkt + 8);
	da = v6_map(pkt + 24);
	if (sa == 0 || da == 0) {
		st.stats->ipv6_unmapped++;
		return false;
	}
	memset(b, 0, 20);
	b[0] = 0x45;
	b[2] = (uint8_t)((tl + 20) >> 8);
	b[3] = (uint8_t)(tl + 20);
	b[8] = pkt[7] != 0 ? pkt[7] : 64; /* hop limit as TTL */
	b[9] = IPPROTO_TCP;
	memcpy(b + 12, &sa, 4);
	memcpy(b + 16, &da, 4);
	ck = ip_checksum(b, 20);
	b[10] = (uint8_t)(ck >> 8);
	b[11] = (uint8_t)ck;
	memcpy(b + 20, pkt + o, tl);
	return feed_ipv4(b, tl + 20, ts);
}

static void
endpoint(struct rs_endpoint *e, uint32_t addr, uint16_t port)
{
	uint32_t h = ntohl(addr);

	if ((h & STREAM_V6_NET) == STREAM_V6_NET &&
	    (h & ~STREAM_V6_NET) < st.v6text->len && (h & ~STREAM_V6_NET) != 0)
		g_strlcpy(e->ip,
		    g_ptr_array_index(st.v6text, h & ~STREAM_V6_NET),
		    sizeof e->ip);
	else {
		/* Dotted quad by hand: glibc's inet_ntop() formats IPv4
		 * with sprintf (3% of all the work on make bench's file). */
		const unsigned char *b = (const unsigned char *)&addr;
		char *q = e->ip;
		int i;

		for (i = 0; i < 4; i++) {
			if (i > 0)
				*q++ = '.';
			if (b[i] >= 100)
				*q++ = (char)('0' + b[i] / 100);
			if (b[i] >= 10)
				*q++ = (char)('0' + b[i] / 10 % 10);
			*q++ = (char)('0' + b[i] % 10);
		}
		*q = '\0';
	}
	e->port = port;
}

/* Who closed first: the FIN times the packet layer saw. */
static void
ctx_fins(const struct stream_ctx *c, struct dialogue *d)
{
	d->fin_ts[DLG_DIR_CLIENT] = c->dir[SMTP_DIR_CLIENT].fin_ts;
	d->fin_ts[DLG_DIR_SERVER] = c->dir[SMTP_DIR_SERVER].fin_ts;
}

/* A finished session to the caller; at the end of input, kept to be
 * handed on in start order (libnids ends what it holds in the order of
 * its hash table). */
static void
emit(struct dialogue *d)
{
	if (st.ended != NULL)
		g_ptr_array_add(st.ended, d);
	else
		st.emit(d, st.arg);
}

static void
stream_begin(struct tcp_stream *a)
{
	struct stream_ctx *c, *old;
	struct dialogue *d;
	struct stream_syn *syn;

	old = g_hash_table_lookup(st.ctx, a);
	if (old != NULL) {
		/* libnids reused the slot: it freed the old stream without
		 * telling us (a new SYN on the same tuple, §5.6). */
		forget_ahead(old); /* a's halves are the new stream's now */
		stream_end(a, old, DLG_END_DROPPED, old->last_ts);
	}
	a->client.collect++;
	a->server.collect++;
	c = g_new0(struct stream_ctx, 1);
	c->ss = smtp_session_new();
	d = smtp_session_dialogue(c->ss);
	d->seq = ++st.seq;
	syn = syn_find(&a->addr);
	d->ts_start = syn != NULL ? syn->ts : st.now;
	if (syn != NULL) {
		/* The handshake's real packets count as seen. */
		c->dir[SMTP_DIR_CLIENT].pkts = 1;
		c->dir[SMTP_DIR_SERVER].pkts = syn->synack ? 1 : 0;
	}
	if (syn != NULL)
		syn_remove(syn);
	if (st.pickup)
		smtp_session_midstream(c->ss);
	endpoint(&d->client, a->addr.saddr, a->addr.source);
	endpoint(&d->server, a->addr.daddr, a->addr.dest);
	d->detected =
	    st.o.ports[a->addr.dest] ? DLG_DETECT_PORT : DLG_DETECT_CONTENT;
	det_note_server(a->addr.daddr);
	dialogue_set_id(d);
	if (st.o.start != NULL)
		st.o.start(d, st.arg);
	if (st.o.keep_body_id != NULL &&
	    g_str_has_prefix(d->id, st.o.keep_body_id))
		smtp_session_keep_bodies(c->ss, STREAM_BODY_MAX);
	smtp_session_extract(c->ss, st.o.extract);
	c->last_ts = st.now;
	c->a = a;
	c->t = a->addr;
	a->user = c;
	st.begun = c;
	g_hash_table_insert(st.ctx, a, c);
	g_hash_table_replace(st.by_tuple, &c->t, c);
}

static void
stream_end(
    struct tcp_stream *a, struct stream_ctx *c, enum dlg_end why, gint64 ts)
{
	struct dialogue *d;
	int i;

	/* What waits is read first; then what libnids still holds behind a
	 * hole (an eviction, a reset, a new connection) is lost with the
	 * hole: say so. */
	st.ending = c;
	keep_flush(c);
	st.ending = NULL;
	for (i = 0; i < 2; i++) {
		struct stream_dir *sd = &c->dir[i];
		uint32_t exp = dir_expected(a, i);

		ahead_prune(sd, exp);
		if (sd->ahead != NULL && sd->ahead->len > 0 && sd->filler == 0)
			smtp_session_gap(c->ss, i,
			    g_array_index(
				sd->ahead, struct seq_range, sd->ahead->len - 1)
				    .end -
				exp,
			    ts);
	}
	g_hash_table_remove(st.ctx, a);
	if (a->user == c)
		a->user = NULL;
	if (st.cur_c == c)
		st.cur_c = NULL; /* tcp_after: it ended */
	if (st.begun == c)
		st.begun = NULL;
	if (st.settle == c)
		st.settle = NULL;
	d = smtp_session_finish(c->ss, ts);
	d->end = why;
	d->ts_end = ts;
	ctx_fins(c, d);
	ctx_free(c, d);
	emit(d);
}

/* Forget what was held beyond holes (the stream it was in is gone). */
static void
forget_ahead(struct stream_ctx *c)
{
	int i;

	for (i = 0; i < 2; i++)
		if (c->dir[i].ahead != NULL)
			g_array_set_size(c->dir[i].ahead, 0);
}

/* Free a context, noting in its dialogue a side that was never seen. */
static void
ctx_free(struct stream_ctx *c, struct dialogue *d)
{
	int i;

	if (g_hash_table_lookup(st.by_tuple, &c->t) == c)
		g_hash_table_remove(st.by_tuple, &c->t);
	if (d->detected == DLG_DETECT_CONTENT)
		det_forget(&c->t);
	if (c->dir[SMTP_DIR_CLIENT].pkts == 0)
		d->missing = DLG_MISSING_CLIENT;
	else if (c->dir[SMTP_DIR_SERVER].pkts == 0)
		d->missing = DLG_MISSING_SERVER;
	for (i = 0; i < 2; i++)
		if (c->dir[i].ahead != NULL)
			g_array_unref(c->dir[i].ahead);
	budget_release(BUDGET_REASSEMBLY, c->nids_mem);
	keep_free(c->keep);
	g_free(c);
}

/* ---- the memory budget (budget.h) ---- */

/* What libnids holds for a connection: its two data buffers (malloc'ed,
 * bufsize bytes, kept until the stream ends) and its out-of-order
 * queues (rmem_alloc: their truesize). */
static void
nids_recharge(struct stream_ctx *c)
{
	const struct half_stream *h[2] = { &c->a->client, &c->a->server };
	size_t n = 0;
	int i;

	for (i = 0; i < 2; i++) {
		if (h[i]->data != NULL && h[i]->bufsize > 0)
			n += (size_t)h[i]->bufsize + sizeof(size_t);
		if (h[i]->rmem_alloc > 0)
			n += (size_t)h[i]->rmem_alloc;
	}
	budget_recharge(BUDGET_REASSEMBLY, &c->nids_mem, n);
}

/* Shrink a half stream's data buffer to NIDS_BUF_SMALL when it holds
 * nothing unread: libnids grows it again only for a delivery that does
 * not fit (add2buf() reallocates then; it would allocate 4 KiB anew if
 * data were NULL).  Only between packets, never inside libnids. */
#define NIDS_BUF_SMALL 1024

static bool
nids_buffer_free(struct half_stream *h)
{
	void *p;

	if (h->data == NULL || h->count != h->offset ||
	    h->bufsize <= NIDS_BUF_SMALL)
		return false;
	if ((p = realloc(h->data, NIDS_BUF_SMALL)) == NULL)
		return false;
	h->data = p;
	h->bufsize = NIDS_BUF_SMALL;
	return true;
}

/* Give back the packet layer's copy of what was delivered, unless two
 * copies are being weighed: what waits for its acknowledgement is read
 * now, and a retransmission of those bytes can no longer be compared
 * (past the low-water mark none is made again: keep_deliver()). */
static bool
keep_trim(struct stream_ctx *c)
{
	struct stream_keep *k = c->keep;

	if (k == NULL || k->alt[0] != NULL || k->alt[1] != NULL ||
	    k->ooo[0] != NULL || k->ooo[1] != NULL)
		return false;
	keep_flush(c);
	if (c->keep != k)
		return false;
	keep_free(k);
	c->keep = NULL;
	return true;
}

struct shed_candidate {
	struct stream_ctx *c;
	size_t cost;
};

static gint
by_cost(gconstpointer a, gconstpointer b)
{
	const struct shed_candidate *x = a, *y = b;
	uint64_t sx = smtp_session_dialogue(x->c->ss)->seq;
	uint64_t sy = smtp_session_dialogue(y->c->ss)->seq;

	/* The largest first; of equals, the oldest (the table's order is
	 * its pointers': not the same from one run to the next). */
	if (x->cost != y->cost)
		return x->cost > y->cost ? -1 : 1;
	return sx < sy ? -1 : sx > sy;
}

/* Cut an open session in two: its record so far is finished, marked and
 * emitted (judged as any other), and a new machine reads the rest of the
 * connection as a session picked up mid-stream, naming the first.  Bytes
 * the packet layer still keeps go to the new one. */
static void
cut_session(struct stream_ctx *c)
{
	bool tls = smtp_session_encrypted(c->ss);
	size_t before = rs_budget.total;
	struct dialogue *d, *nd;

	d = smtp_session_finish(c->ss, st.now);
	d->end = DLG_END_CUT;
	d->ts_end = st.now;
	d->cut_ts = st.now;
	dialogue_anomaly(d, ANOMALY_MEMORY_SHED);
	if (c->dir[SMTP_DIR_CLIENT].pkts == 0)
		d->missing = DLG_MISSING_CLIENT;
	else if (c->dir[SMTP_DIR_SERVER].pkts == 0)
		d->missing = DLG_MISSING_SERVER;
	c->ss = smtp_session_new();
	if (tls)
		smtp_session_continue_tls(c->ss);
	else
		smtp_session_midstream(c->ss);
	nd = smtp_session_dialogue(c->ss);
	nd->seq = ++st.seq;
	nd->ts_start = st.now;
	nd->client = d->client;
	nd->server = d->server;
	dialogue_set_id(nd);
	g_strlcpy(nd->cut_from, d->id, sizeof nd->cut_from);
	g_strlcpy(d->cut_to, nd->id, sizeof d->cut_to);
	dialogue_anomaly(nd, ANOMALY_MEMORY_SHED);
	if (st.o.start != NULL)
		st.o.start(nd, st.arg);
	rs_budget.sessions_cut++;
	emit(d);
	if (rs_budget.total < before)
		rs_budget.bytes_shed += before - rs_budget.total;
}

/* Down to low: idle buffers (libnids', the packet layer's) first, then the
 * largest sessions (a session holding less than STREAM_CUT_MIN is not
 * worth a cut: a new one holds about a quarter of that). */
static void
shed_streams(size_t low)
{
	g_autoptr(GArray) cand =
	    g_array_new(FALSE, FALSE, sizeof(struct shed_candidate));
	GHashTableIter it;
	gpointer k, v;
	guint i;

	/* What is remembered of connections that are not SMTP is the
	 * cheapest to lose: their packets are read again. */
	while (st.det_not.head != NULL && rs_budget.total > low)
		det_remove(st.det_not.head->data);
	g_hash_table_iter_init(&it, st.ctx);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct shed_candidate x = { v, 0 };

		g_array_append_val(cand, x);
	}
	/* In the order sessions began, not the table's (its pointers' order
	 * differs from run to run, and so would the allocator's reuse of
	 * what is freed, the charges and the output). */
	g_array_sort(cand, by_cost);
	for (i = 0; i < cand->len; i++) {
		struct shed_candidate *x =
		    &g_array_index(cand, struct shed_candidate, i);
		struct stream_ctx *c = x->c;

		if (nids_buffer_free(&c->a->client))
			rs_budget.buffers_freed++;
		if (nids_buffer_free(&c->a->server))
			rs_budget.buffers_freed++;
		if (keep_trim(c))
			rs_budget.buffers_freed++;
		nids_recharge(c);
		x->cost = smtp_session_mem(c->ss);
	}
	if (rs_budget.total <= low)
		return;
	g_array_sort(cand, by_cost);
	for (i = 0; i < cand->len && rs_budget.total > low; i++) {
		const struct shed_candidate *x =
		    &g_array_index(cand, struct shed_candidate, i);

		if (x->cost < STREAM_CUT_MIN)
			break;
		cut_session(x->c);
	}
}

/* Before each packet: past the budget, the caller sheds, then this
 * layer.  When that could not get under the limit (what cannot be shed
 * is more than it), the next try waits for another sixteenth of it. */
static void
stream_pressure(void)
{
	if (!budget_over()) {
		st.shed_floor = 0;
		return;
	}
	if (rs_budget.total <= st.shed_floor)
		return;
	if (st.o.pressure != NULL)
		st.o.pressure(st.arg);
	if (rs_budget.total > budget_low())
		shed_streams(budget_low());
	st.shed_floor =
	    budget_over() ? rs_budget.total + rs_budget.limit / 16 : 0;
}

static void
stream_data(struct stream_ctx *c, struct half_stream *h, enum smtp_dir dir)
{
	struct stream_dir *sd = &c->dir[dir];
	const char *p;
	size_t n, take;

	if (h->count_new <= 0)
		return;
	p = h->data + (h->count - h->offset - h->count_new);
	n = (size_t)h->count_new;
	if (sd->filler > 0) {
		/* Our byte standing for a hole: say so instead, once what
		 * came before it has been read. */
		keep_flush(c);
		take = n < sd->filler ? n : sd->filler;
		p += take;
		n -= take;
		sd->filler -= (uint32_t)take;
		if (sd->filler == 0) {
			smtp_session_gap(c->ss, dir, sd->filler_gap, st.now);
			sd->filler_gap = 0;
		}
	}
	if (n > 0)
		keep_deliver(c, dir, (const uint8_t *)p, n);
	c->last_ts = st.now;
	nids_recharge(c);
}

/* Server bytes of a DNS/TCP connection: read every complete message. */
static void
dns_tcp_data(GByteArray *b, struct half_stream *h, const char *querier)
{
	size_t mlen;

	if (h->count_new <= 0)
		return;
	g_byte_array_append(b,
	    (const guint8 *)h->data + (h->count - h->offset - h->count_new),
	    (guint)h->count_new);
	while (b->len >= 2) {
		mlen = (size_t)(b->data[0] << 8 | b->data[1]);
		if (b->len < 2 + mlen)
			break;
		dns_message(b->data + 2, mlen, st.now, querier);
		g_byte_array_remove_range(b, 0, (guint)(2 + mlen));
	}
	if (b->len > DNS_TCP_MAX)
		g_byte_array_set_size(b, 0); /* cannot happen: a bug guard */
}

static void
dns_tcp_cb(struct tcp_stream *a, GByteArray *b)
{
	struct rs_endpoint q;

	if (a->nids_state == NIDS_DATA) {
		/* The client of the connection asked. */
		endpoint(&q, a->addr.saddr, a->addr.source);
		dns_tcp_data(b, &a->client, q.ip);
	} else
		g_hash_table_remove(st.dns, a);
}

static bool
closing(int state)
{
	return state == NIDS_FIN_SENT || state == NIDS_FIN_CONFIRMED ||
	       state == TCP_CLOSING;
}

static void
stream_tcp_cb(struct tcp_stream *a, void **param)
{
	struct stream_ctx *c;
	struct stream_syn *syn;
	GByteArray *b;

	(void)param;
	if (a->nids_state == NIDS_JUST_EST) {
		/* A reused slot: whatever the pointer meant before is over. */
		g_hash_table_remove(st.dns, a);
		if (server_port(&a->addr, a->addr.dest))
			stream_begin(a);
		else if (a->addr.dest == 53 && st.o.dns != NULL) {
			c = g_hash_table_lookup(st.ctx, a);
			if (c != NULL) {
				forget_ahead(c);
				stream_end(a, c, DLG_END_DROPPED, c->last_ts);
			}
			if ((syn = syn_find(&a->addr)) != NULL)
				syn_remove(syn);
			/* Only the answers matter. */
			a->client.collect++;
			g_hash_table_replace(st.dns, a, g_byte_array_new());
		}
		return;
	}
	/* a->user: the SMTP context (set at JUST_EST, cleared at the
	 * end), found without a table lookup. */
	c = a->user;
	if (c == NULL) {
		if ((b = g_hash_table_lookup(st.dns, a)) != NULL)
			dns_tcp_cb(a, b);
		return;
	}
	switch (a->nids_state) {
	case NIDS_DATA:
		/* server.count_new: bytes the server received. */
		st.notify_a = a;
		stream_data(c, &a->server, SMTP_DIR_CLIENT);
		stream_data(c, &a->client, SMTP_DIR_SERVER);
		st.notify_a = NULL;
		break;
	case NIDS_CLOSE:
		stream_end(a, c, DLG_END_CLOSED, st.now);
		break;
	case NIDS_RESET:
		stream_end(a, c, DLG_END_RESET, st.now);
		break;
	case NIDS_TIMED_OUT:
		/* Both sides closing: the tcp_workarounds timeout after a
		 * FIN behind a hole.  Otherwise the table was full and the
		 * oldest stream was pushed out (§5.5). */
		if (closing(a->client.state) && closing(a->server.state))
			stream_end(a, c, DLG_END_TIMED_OUT, c->last_ts);
		else {
			if (!st.said_full) {
				/* Said once: past here sessions come in
				 * pieces, each piece picked up again. */
				log_warnx("the stream table is full "
					  "(--max-streams %d holds %d "
					  "connections at once): the oldest "
					  "session is ended as evicted and its "
					  "rest read as a new one; a larger "
					  "--max-streams keeps sessions whole",
				    st.o.max_streams,
				    st.o.max_streams / 4 * 3 + 1);
				st.said_full = true;
			}
			stream_end(a, c, DLG_END_EVICTED, c->last_ts);
		}
		break;
	case NIDS_EXITING:
		/* Both FINs seen (perhaps behind a hole): it was closed. */
		stream_end(a, c,
		    c->dir[0].fin && c->dir[1].fin ? DLG_END_CLOSED
						   : DLG_END_CAPTURE_ENDED,
		    MAX(c->last_ts, c->last_pkt));
		break;
	default:
		break;
	}
}

static gint
ctx_by_seq(gconstpointer a, gconstpointer b)
{
	const struct stream_ctx *x = *(struct stream_ctx *const *)a;
	const struct stream_ctx *y = *(struct stream_ctx *const *)b;
	uint64_t sx = smtp_session_dialogue(x->ss)->seq;
	uint64_t sy = smtp_session_dialogue(y->ss)->seq;

	return sx < sy ? -1 : sx > sy;
}

void
stream_finish(void)
{
	g_autoptr(GPtrArray) left = NULL;
	g_autoptr(GPtrArray) open = NULL;
	GHashTableIter it;
	gpointer k, v;
	guint i;

	st.pos.pkt = STREAM_POS_END;
	st.pos.key = 0;
	st.finishing = true;
	st.ended = g_ptr_array_new();
	/* What waits to be recognised is judged now. */
	det_finish();
	/* The capture is over: no hole will be filled now, so let libnids
	 * deliver what it holds behind them. */
	open = g_ptr_array_new();
	g_hash_table_iter_init(&it, st.ctx);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_ptr_array_add(open, v);
	/* In the order the sessions started: the table's order follows
	 * addresses in memory, which differ from run to run (what ends here
	 * is handed on in start order anyway: st.ended). */
	g_ptr_array_sort(open, ctx_by_seq);
	/* (Their streams, looked up again: filling one may end another.) */
	for (i = 0; i < open->len; i++)
		open->pdata[i] = ((struct stream_ctx *)open->pdata[i])->a;
	for (i = 0; i < open->len; i++) {
		struct tcp_stream *a = g_ptr_array_index(open, i);
		struct stream_ctx *c = g_hash_table_lookup(st.ctx, a);

		if (c != NULL)
			fill_all(c, a, SMTP_DIR_CLIENT);
		c = g_hash_table_lookup(st.ctx, a);
		if (c != NULL)
			fill_all(c, a, SMTP_DIR_SERVER);
	}
	nids_exit();
	/* Whatever libnids did not hand back (freed silently) ends here, in
	 * the order the sessions started. */
	left = g_ptr_array_new();
	g_hash_table_iter_init(&it, st.ctx);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_ptr_array_add(left, v);
	g_ptr_array_sort(left, ctx_by_seq);
	for (i = 0; i < left->len; i++) {
		struct stream_ctx *c = g_ptr_array_index(left, i);
		struct dialogue *d;

		/* (libnids' stream is gone: only what we keep is read.) */
		st.ending = c;
		keep_flush(c);
		st.ending = NULL;
		d = smtp_session_finish(c->ss, c->last_ts);

		d->end = DLG_END_CAPTURE_ENDED;
		/* (Its last packet: a FIN or an acknowledgement after the
		 * last data still tells how long it lasted.) */
		d->ts_end = MAX(c->last_ts, c->last_pkt);
		ctx_fins(c, d);
		ctx_free(c, d);
		emit(d);
	}
	/* Every session that ended here, in the order they started. */
	g_ptr_array_sort(st.ended, dialogue_by_seq);
	for (i = 0; i < st.ended->len; i++)
		st.emit(g_ptr_array_index(st.ended, i), st.arg);
	g_ptr_array_unref(st.ended);
	st.ended = NULL;
	st.finishing = false;
	/* Handshakes never completed: libnids would have said nothing of
	 * them either (a stream without listeners ends silently). */
	while (st.syn_order.head != NULL)
		syn_remove(st.syn_order.head->data);
	while (st.frag_order.head != NULL)
		frag_free(st.frag_order.head->data, true);
	st.stats->overlap_conflicts[0] = st.conflicts[0];
	st.stats->overlap_conflicts[1] = st.conflicts[1];
	st.stats->ipv4_frag_dropped = st.frag_dropped;
	st.stats->handshakes_forgotten = st.halfopen_forgotten;
	if (st.conflicts[0] + st.conflicts[1] + st.frag_dropped > 0)
		log_debug("overlap conflicts: %" G_GUINT64_FORMAT
			  " in TCP, %" G_GUINT64_FORMAT
			  " in IPv4 fragments; %" G_GUINT64_FORMAT
			  " fragmented datagrams given up",
		    st.conflicts[0], st.conflicts[1], st.frag_dropped);
	if (st.halfopen_forgotten > 0)
		log_debug("%" G_GUINT64_FORMAT
			  " half-open handshakes forgotten "
			  "(the table of %d was full)",
		    st.halfopen_forgotten, STREAM_SYN_MAX);
	g_hash_table_destroy(st.ctx);
	g_hash_table_destroy(st.by_tuple);
	g_hash_table_destroy(st.syn);
	g_hash_table_destroy(st.frag);
	st.frag = NULL;
	g_hash_table_destroy(st.dns);
	st.ctx = st.by_tuple = st.syn = st.dns = NULL;
	g_hash_table_destroy(st.v6);
	st.v6 = NULL;
	g_ptr_array_unref(st.v6text);
	st.v6text = NULL;
	g_hash_table_destroy(st.det);
	g_hash_table_destroy(st.det_servers);
	st.det = st.det_servers = NULL;
	pcap_close(st.dead);
	st.dead = NULL;
}
