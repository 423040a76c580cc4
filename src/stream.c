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
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <string.h>

#include <nids.h>
#include <gio/gio.h>
#include <pcap.h>

#include "log.h"
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

/* Handshake times remembered until the stream is established. */
#define STREAM_SYN_MAX 65536

struct stream_ctx {
	struct smtp_session *ss;
	gint64 last_ts; /* last packet time of this session */
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
	GHashTable *syn;      /* struct tuple4 (as bytes) -> gint64 ts */
	GHashTable *dns;      /* struct tcp_stream * -> GByteArray (DNS/TCP) */
	GHashTable *v6;	      /* IPv6 address (16 bytes) -> synthetic id */
	GPtrArray *v6text;    /* id -> the address as text */
	uint8_t v6buf[65536]; /* the IPv4 packet built from an IPv6 one */
	uint64_t seq;
	gint64 now;	    /* time of the packet being processed */
	uint8_t buf[65536]; /* writable copy for libnids */
} st;

static void stream_tcp_cb(struct tcp_stream *a, void **param);
static void stream_end(
    struct tcp_stream *a, struct stream_ctx *c, enum dlg_end why, gint64 ts);

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
	st.syn = g_hash_table_new_full(
	    g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, g_free);
	st.dns = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
	    (GDestroyNotify)g_byte_array_unref);
	st.v6 = g_hash_table_new_full(
	    g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, NULL);
	st.v6text = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(st.v6text, NULL); /* ids start at 1 */
	return TRUE;
}

static GBytes *
tuple_key(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport)
{
	struct tuple4 t;

	memset(&t, 0, sizeof t);
	t.saddr = saddr;
	t.daddr = daddr;
	t.source = sport;
	t.dest = dport;
	return g_bytes_new(&t, sizeof t);
}

bool
stream_feed_ipv4(const uint8_t *pkt, size_t len, gint64 ts)
{
	struct pcap_pkthdr h;
	size_t hl, iplen;
	uint16_t sport, dport, frag;
	uint32_t saddr, daddr;
	uint8_t flags;
	gint64 *v;

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
		/* A DNS answer: passive DNS for the relay and EHLO checks. */
		dns_store_add_message(st.o.dns, pkt + hl + 8, len - hl - 8, ts);
		return false;
	}
	if (pkt[9] != IPPROTO_TCP)
		return false;
	if (frag == 0) {
		/* Only SMTP ports reach libnids; fragments always do. */
		if (len < hl + 14)
			return false;
		sport = (uint16_t)(pkt[hl] << 8 | pkt[hl + 1]);
		dport = (uint16_t)(pkt[hl + 2] << 8 | pkt[hl + 3]);
		if (!st.o.ports[sport] && !st.o.ports[dport] &&
		    (st.o.dns == NULL || (sport != 53 && dport != 53)))
			return false;
		flags = pkt[hl + 13];
		if ((flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN &&
		    st.o.ports[dport]) {
			if (g_hash_table_size(st.syn) >= STREAM_SYN_MAX)
				g_hash_table_remove_all(st.syn);
			v = g_new(gint64, 1);
			*v = ts;
			/* Frames need not be aligned: copy, never cast. */
			memcpy(&saddr, pkt + 12, sizeof saddr);
			memcpy(&daddr, pkt + 16, sizeof daddr);
			g_hash_table_replace(
			    st.syn, tuple_key(saddr, daddr, sport, dport), v);
		}
	}
	memcpy(st.buf, pkt, len);
	memset(&h, 0, sizeof h);
	h.ts.tv_sec = (time_t)(ts / G_USEC_PER_SEC);
	h.ts.tv_usec = (suseconds_t)(ts % G_USEC_PER_SEC);
	h.caplen = h.len = (bpf_u_int32)len;
	st.now = ts;
	nids_pcap_handler(NULL, &h, st.buf);
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

bool
stream_feed_ipv6(const uint8_t *pkt, size_t len, gint64 ts)
{
	uint8_t *b = st.v6buf;
	size_t o = 40, plen, tl;
	uint32_t sa, da;
	uint16_t ck;
	uint8_t nh;
	int hops;

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
	nh = pkt[6];
	/* Extension headers (RFC 8200 §4), a bounded number of them. */
	for (hops = 0; hops < 8; hops++) {
		if (nh != 0 && nh != 43 && nh != 60 && nh != 51 && nh != 44)
			break;
		if (o + 8 > len) {
			st.stats->undecodable++;
			return false;
		}
		if (nh == 44) {
			/* A fragment (not the atomic kind): not reassembled. */
			if ((pkt[o + 2] << 8 | pkt[o + 3]) & 0xfff9) {
				st.stats->ipv6_fragments++;
				return false;
			}
			nh = pkt[o];
			o += 8;
		} else {
			/* AH counts 4-byte words less 2 (RFC 4302), the
			 * others 8-byte units less 1. */
			size_t el = nh == 51 ? ((size_t)pkt[o + 1] + 2) * 4
					     : ((size_t)pkt[o + 1] + 1) * 8;

			nh = pkt[o];
			o += el;
		}
	}
	if (o > len)
		return false;
	if (nh == IPPROTO_UDP && len >= o + 8 && st.o.dns != NULL &&
	    (pkt[o] << 8 | pkt[o + 1]) == 53) {
		dns_store_add_message(st.o.dns, pkt + o + 8, len - o - 8, ts);
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
	return stream_feed_ipv4(b, tl + 20, ts);
}

static void
endpoint(struct rs_endpoint *e, uint32_t addr, uint16_t port)
{
	struct in_addr in;
	uint32_t h = ntohl(addr);

	if ((h & STREAM_V6_NET) == STREAM_V6_NET &&
	    (h & ~STREAM_V6_NET) < st.v6text->len && (h & ~STREAM_V6_NET) != 0)
		g_strlcpy(e->ip,
		    g_ptr_array_index(st.v6text, h & ~STREAM_V6_NET),
		    sizeof e->ip);
	else {
		in.s_addr = addr;
		inet_ntop(AF_INET, &in, e->ip, sizeof e->ip);
	}
	e->port = port;
}

static void
stream_begin(struct tcp_stream *a)
{
	struct stream_ctx *c, *old;
	struct dialogue *d;
	g_autoptr(GBytes) key = NULL;
	gint64 *syn;

	old = g_hash_table_lookup(st.ctx, a);
	if (old != NULL) {
		/* libnids reused the slot: it freed the old stream without
		 * telling us (a new SYN on the same tuple, §5.6). */
		stream_end(a, old, DLG_END_DROPPED, old->last_ts);
	}
	a->client.collect++;
	a->server.collect++;
	c = g_new0(struct stream_ctx, 1);
	c->ss = smtp_session_new();
	d = smtp_session_dialogue(c->ss);
	d->seq = ++st.seq;
	key = tuple_key(
	    a->addr.saddr, a->addr.daddr, a->addr.source, a->addr.dest);
	syn = g_hash_table_lookup(st.syn, key);
	d->ts_start = syn != NULL ? *syn : st.now;
	g_hash_table_remove(st.syn, key);
	endpoint(&d->client, a->addr.saddr, a->addr.source);
	endpoint(&d->server, a->addr.daddr, a->addr.dest);
	dialogue_set_id(d);
	if (st.o.keep_body_id != NULL &&
	    g_str_has_prefix(d->id, st.o.keep_body_id))
		smtp_session_keep_bodies(c->ss, STREAM_BODY_MAX);
	c->last_ts = st.now;
	g_hash_table_insert(st.ctx, a, c);
}

static void
stream_end(
    struct tcp_stream *a, struct stream_ctx *c, enum dlg_end why, gint64 ts)
{
	struct dialogue *d;

	g_hash_table_remove(st.ctx, a);
	d = smtp_session_finish(c->ss, ts);
	d->end = why;
	d->ts_end = ts;
	g_free(c);
	st.emit(d, st.arg);
}

static void
stream_data(struct stream_ctx *c, struct half_stream *h, enum smtp_dir dir)
{
	const char *p;

	if (h->count_new <= 0)
		return;
	p = h->data + (h->count - h->offset - h->count_new);
	smtp_session_push(c->ss, dir, p, (size_t)h->count_new, st.now);
	c->last_ts = st.now;
}

/* Server bytes of a DNS/TCP connection: read every complete message. */
static void
dns_tcp_data(GByteArray *b, struct half_stream *h)
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
		dns_store_add_message(st.o.dns, b->data + 2, mlen, st.now);
		g_byte_array_remove_range(b, 0, (guint)(2 + mlen));
	}
	if (b->len > DNS_TCP_MAX)
		g_byte_array_set_size(b, 0); /* cannot happen: a bug guard */
}

static void
dns_tcp_cb(struct tcp_stream *a, GByteArray *b)
{
	if (a->nids_state == NIDS_DATA)
		dns_tcp_data(b, &a->client);
	else
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
	GByteArray *b;

	(void)param;
	if (a->nids_state == NIDS_JUST_EST) {
		/* A reused slot: whatever the pointer meant before is over. */
		g_hash_table_remove(st.dns, a);
		if (st.o.ports[a->addr.dest])
			stream_begin(a);
		else if (a->addr.dest == 53 && st.o.dns != NULL) {
			c = g_hash_table_lookup(st.ctx, a);
			if (c != NULL)
				stream_end(a, c, DLG_END_DROPPED, c->last_ts);
			/* Only the answers matter. */
			a->client.collect++;
			g_hash_table_replace(st.dns, a, g_byte_array_new());
		}
		return;
	}
	if ((b = g_hash_table_lookup(st.dns, a)) != NULL) {
		dns_tcp_cb(a, b);
		return;
	}
	c = g_hash_table_lookup(st.ctx, a);
	if (c == NULL)
		return;
	switch (a->nids_state) {
	case NIDS_DATA:
		/* server.count_new: bytes the server received. */
		stream_data(c, &a->server, SMTP_DIR_CLIENT);
		stream_data(c, &a->client, SMTP_DIR_SERVER);
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
		else
			stream_end(a, c, DLG_END_EVICTED, c->last_ts);
		break;
	case NIDS_EXITING:
		stream_end(a, c, DLG_END_CAPTURE_ENDED, c->last_ts);
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
	GHashTableIter it;
	gpointer k, v;
	guint i;

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
		struct dialogue *d = smtp_session_finish(c->ss, c->last_ts);

		d->end = DLG_END_CAPTURE_ENDED;
		d->ts_end = c->last_ts;
		g_free(c);
		st.emit(d, st.arg);
	}
	g_hash_table_destroy(st.ctx);
	g_hash_table_destroy(st.syn);
	g_hash_table_destroy(st.dns);
	st.ctx = st.syn = st.dns = NULL;
	g_hash_table_destroy(st.v6);
	st.v6 = NULL;
	g_ptr_array_unref(st.v6text);
	st.v6text = NULL;
	pcap_close(st.dead);
	st.dead = NULL;
}
