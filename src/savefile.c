/* SPDX-License-Identifier: GPL-2.0-or-later */
/* savefile.c: -w FILE (savefile.h).
 *
 * A frame belongs to a written session when its innermost IP packet is
 * TCP between the session's two endpoints (either way) and its time (as
 * the analysis was given it) lies from the session's start to its end
 * plus SAVEFILE_TAIL, cut short where the next session on the same
 * endpoints starts.  An IPv4 fragment after the first carries no ports:
 * it belongs when its two addresses are those of a written session at
 * that time.  IPv6 fragments are not reassembled by the analysis and are
 * not written.
 *
 * The format: pcap when every input is a pcap file of one link type (what
 * tcpdump -w writes, its header's link type kept), else pcapng with one
 * interface per link type, so that no frame loses its link layer.  Both
 * are written here, in host byte order, with microsecond times. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <pcap.h>

#include "budget.h"
#include "gunzip.h"
#include "log.h"
#include "packet.h"
#include "pcapng.h"
#include "helo_report.h"
#include "savefile.h"

/* The pcapng link type RAW, whose DLT_RAW value differs. */
#define SAVEFILE_LINKTYPE_RAW 101
/* The snap length a pcap header gives when no input says more. */
#define SAVEFILE_SNAPLEN 262144
#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_MAGIC_NSEC 0xa1b23c4du

/* Two endpoints, the lower first, so that both directions meet. */
struct flow_key {
	uint8_t version; /* 4 or 6 */
	uint8_t a[16], b[16];
	uint16_t pa, pb; /* 0 in a key of addresses only (fragments) */
};

struct span {
	gint64 start, end, limit;
	bool selected;
};

struct savefile {
	char *path;
	int out; /* the file, or a copy of standard output */
	bool is_stdout;
	bool made; /* FILE did not exist before the run */
	int *in;   /* per input: a descriptor to read it again, or -1 */
	size_t n_in;
	char *iface;	   /* live: the frames are in in[0] */
	FILE *spool;	   /* live: where capture.c writes them */
	GHashTable *flows; /* struct flow_key * -> GArray of struct span */
	GHashTable *pairs; /* ... addresses only -> GArray of spans */
	GHashTable *dns;   /* gint64 *: times of the capture's DNS answers
			    * the written sessions' judgements rest on */
	/* Writing. */
	bool pcapng;
	GArray *ifaces; /* pcapng: link type of each interface written */
	GString *buf;
	bool failed;
	int err; /* errno of the failure */
	struct savefile_totals t;
	size_t charged; /* to the memory budget (BUDGET_WRITE) */
};

static guint
flow_hash(gconstpointer p)
{
	const uint8_t *k = p;
	guint h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(struct flow_key); i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

static gboolean
flow_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(struct flow_key)) == 0;
}

static void
spans_free(gpointer p)
{
	g_array_unref(p);
}

/* The key of a packet from (sa, sp) to (da, dp); addresses of len bytes. */
static void
flow_key_set(struct flow_key *k, int version, const uint8_t *sa, uint16_t sp,
    const uint8_t *da, uint16_t dp)
{
	size_t len = version == 4 ? 4 : 16;
	int c = memcmp(sa, da, len);

	memset(k, 0, sizeof *k);
	k->version = (uint8_t)version;
	if (c < 0 || (c == 0 && sp <= dp)) {
		memcpy(k->a, sa, len);
		memcpy(k->b, da, len);
		k->pa = sp;
		k->pb = dp;
	} else {
		memcpy(k->a, da, len);
		memcpy(k->b, sa, len);
		k->pa = dp;
		k->pb = sp;
	}
}

/* A session's key; FALSE when its addresses are not numeric. */
static bool
flow_key_of(struct flow_key *k, const struct dialogue *d)
{
	uint8_t ca[16], sa[16];
	int version = strchr(d->client.ip, ':') != NULL ? 6 : 4;
	int af = version == 6 ? AF_INET6 : AF_INET;

	if (inet_pton(af, d->client.ip, ca) != 1 ||
	    inet_pton(af, d->server.ip, sa) != 1)
		return false;
	flow_key_set(k, version, ca, d->client.port, sa, d->server.port);
	return true;
}

/* A copy of what cannot be read twice (standard input, a live capture),
 * in an unlinked temporary file; -1 with errno set. */
static int
spool_open(void)
{
	const char *dir = g_get_tmp_dir();
	g_autofree char *tmpl = NULL;
	int fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	tmpl = g_build_filename(dir, "relayscope-w-XXXXXX", NULL);
	fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		(void)unlink(tmpl);
	return fd;
}

/* Standard input, to be read twice: itself if it is a regular file read
 * from its start, else copied whole to a spool put in its place. */
static int
stdin_again(GError **error)
{
	char buf[65536];
	struct stat sb;
	ssize_t n, w, off;
	int fd;

	if (fstat(STDIN_FILENO, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    lseek(STDIN_FILENO, 0, SEEK_CUR) == 0) {
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			g_set_error(error, G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    "-w: standard input cannot be opened again: %s",
			    g_strerror(errno));
		return fd;
	}
	fd = spool_open();
	if (fd < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
		    "-w: standard input cannot be kept to be read again: "
		    "%s: %s",
		    g_get_tmp_dir(), g_strerror(errno));
		return -1;
	}
	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof buf);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		for (off = 0; n > 0 && off < n; off += w) {
			w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w < 0)
				break;
		}
		if (n < 0 || off < n) {
			g_set_error(error, G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    "-w: standard input cannot be kept to be read "
			    "again: %s",
			    g_strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, STDIN_FILENO) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
		    "-w: standard input cannot be kept to be read again: %s",
		    g_strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Is the file out one of the inputs: one opened again (by its
 * descriptor), or one that could not be (by its name)?  The one named. */
static const char *
savefile_same_input(const struct savefile *sf, const struct capture_opts *o,
    const struct stat *out)
{
	struct stat sb;
	size_t i;

	for (i = 0; i < sf->n_in && o->files != NULL; i++) {
		if (sf->in[i] >= 0 ? fstat(sf->in[i], &sb) != 0
				   : strcmp(o->files[i], "-") == 0 ||
					 stat(o->files[i], &sb) != 0)
			continue;
		if (sb.st_dev == out->st_dev && sb.st_ino == out->st_ino)
			return o->files[i];
	}
	return NULL;
}

/* Before FILE is made: an input that does not exist, by its name (its
 * inode is compared once FILE is open). */
static const char *
savefile_missing_input(const struct savefile *sf, const struct capture_opts *o)
{
	size_t i;

	for (i = 0; i < sf->n_in && o->files != NULL; i++)
		if (sf->in[i] < 0 && strcmp(o->files[i], sf->path) == 0)
			return o->files[i];
	return NULL;
}

static bool
savefile_open_out(
    struct savefile *sf, const struct capture_opts *o, GError **error)
{
	struct stat sb;
	const char *same = NULL;

	sf->is_stdout = strcmp(sf->path, "-") == 0;
	if (sf->is_stdout)
		sf->out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	else if ((same = savefile_missing_input(sf, o)) == NULL) {
		sf->out = open(sf->path,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
			O_NOCTTY,
		    0644);
		sf->made = sf->out >= 0;
		if (sf->out < 0 && errno == EEXIST)
			sf->out = open(sf->path,
			    O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	}
	if (same == NULL && sf->out < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
		    "-w %s: %s", sf->path,
		    errno == ELOOP ? "is a symbolic link (give the file it "
				     "names)"
				   : g_strerror(errno));
		return false;
	}
	if (same == NULL && fstat(sf->out, &sb) != 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
		    "-w %s: %s", sf->path, g_strerror(errno));
		return false;
	}
	if (same == NULL && S_ISREG(sb.st_mode))
		same = savefile_same_input(sf, o, &sb);
	if (same != NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
		    "-w %s: is also an input (%s); give another file", sf->path,
		    same);
		return false;
	}
	if (isatty(sf->out) && sf->is_stdout) {
		g_set_error_literal(error, G_IO_ERROR,
		    G_IO_ERROR_INVALID_ARGUMENT,
		    "-w -: standard output is a terminal; redirect it to a "
		    "file or a pipe");
		return false;
	}
	if (isatty(sf->out)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		    "-w %s: is a terminal", sf->path);
		return false;
	}
	return true;
}

/* Descriptors for n inputs opened twice (here and by the analysis, which
 * opens them all at once before privileges go), as far as the hard limit
 * allows. */
static void
savefile_nofile(size_t n)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)(2 * n + 64);

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want
			  ? rl.rlim_max
			  : want;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

/* Input i opened again, to be read a second time.  One that cannot be
 * opened fails in the analysis, at its turn; one that is no regular file
 * (a named pipe, /dev/stdin, a device) could not be read twice and is
 * refused, and so is standard input given twice. */
static bool
savefile_input(
    struct savefile *sf, const struct capture_opts *o, size_t i, GError **error)
{
	const char *name = o->files[i];
	struct stat sb;
	size_t j;

	if (strcmp(name, "-") == 0) {
		for (j = 0; j < i; j++)
			if (strcmp(o->files[j], "-") == 0) {
				g_set_error(error, G_IO_ERROR,
				    G_IO_ERROR_INVALID_ARGUMENT,
				    "-w: standard input (-) is given twice");
				return false;
			}
		sf->in[i] = stdin_again(error);
		return sf->in[i] >= 0;
	}
	sf->in[i] = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (sf->in[i] < 0) {
		if (errno == EMFILE || errno == ENFILE) {
			g_set_error(error, G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    "-w: %s cannot be opened again: %s", name,
			    g_strerror(errno));
			return false;
		}
		return true;
	}
	if (fstat(sf->in[i], &sb) == 0 && !S_ISREG(sb.st_mode) &&
	    !S_ISDIR(sb.st_mode)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
		    "-w: %s is not a regular file (a pipe or a device) and "
		    "cannot be read twice; give it on standard input, as -",
		    name);
		return false;
	}
	return true;
}

struct savefile *
savefile_new(const char *path, const struct capture_opts *o, GError **error)
{
	struct savefile *sf = g_new0(struct savefile, 1);
	size_t i;
	int fd;

	sf->path = g_strdup(path);
	sf->out = -1;
	sf->flows =
	    g_hash_table_new_full(flow_hash, flow_equal, g_free, spans_free);
	sf->pairs =
	    g_hash_table_new_full(flow_hash, flow_equal, g_free, spans_free);
	sf->dns =
	    g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	sf->ifaces = g_array_new(FALSE, FALSE, sizeof(int));
	sf->buf = g_string_sized_new(65536);
	if (o->iface != NULL) {
		sf->iface = g_strdup(o->iface);
		sf->n_in = 1;
		sf->in = g_new(int, 1);
		sf->in[0] = spool_open();
		fd = sf->in[0] >= 0 ? fcntl(sf->in[0], F_DUPFD_CLOEXEC, 3) : -1;
		sf->spool = fd >= 0 ? fdopen(fd, "wb") : NULL;
		if (sf->spool == NULL) {
			g_set_error(error, G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    "-w: the frames of %s cannot be kept: %s: %s",
			    o->iface, g_get_tmp_dir(), g_strerror(errno));
			if (fd >= 0)
				close(fd);
			savefile_free(sf);
			return NULL;
		}
	} else {
		sf->n_in = g_strv_length(o->files);
		sf->in = g_new(int, sf->n_in + 1);
		for (i = 0; i < sf->n_in; i++)
			sf->in[i] = -1;
		savefile_nofile(sf->n_in);
		for (i = 0; i < sf->n_in; i++)
			if (!savefile_input(sf, o, i, error)) {
				savefile_free(sf);
				return NULL;
			}
	}
	if (!savefile_open_out(sf, o, error)) {
		savefile_free(sf);
		return NULL;
	}
	return sf;
}

FILE *
savefile_spool(struct savefile *sf)
{
	return sf != NULL ? sf->spool : NULL;
}

bool
savefile_is_stdout(const struct savefile *sf)
{
	return sf != NULL && sf->is_stdout;
}

/* Add s to k's spans (making them if create); what that took, as the
 * budget counts it (a key, an array, a table slot of three pointers, a
 * span; the array's doubling averaged out). */
static size_t
spans_add(
    GHashTable *t, const struct flow_key *k, const struct span *s, bool create)
{
	GArray *a = g_hash_table_lookup(t, k);
	size_t cost = sizeof *s;

	if (a == NULL) {
		if (!create)
			return 0;
		a = g_array_new(FALSE, FALSE, sizeof(struct span));
		g_hash_table_insert(t, g_memdup2(k, sizeof *k), a);
		cost += budget_bytes(sizeof *k) + budget_bytes(32) +
			3 * sizeof(void *);
	}
	g_array_append_val(a, *s);
	return cost;
}

/* n more bytes held, as the budget counts them. */
static void
savefile_charge(struct savefile *sf, size_t n)
{
	sf->charged += n;
	budget_charge(BUDGET_WRITE, n);
}

/* The capture's DNS answers among facts (struct dns_fact *), by time. */
static void
savefile_facts(struct savefile *sf, const GPtrArray *facts)
{
	guint i;

	for (i = 0; facts != NULL && i < facts->len; i++) {
		const struct dns_fact *f = g_ptr_array_index(facts, i);

		if (f->ts == 0 || strcmp(f->source, "capture") != 0 ||
		    g_hash_table_size(sf->dns) >= SAVEFILE_DNS_MAX)
			continue;
		if (g_hash_table_add(sf->dns, g_memdup2(&f->ts, sizeof f->ts)))
			savefile_charge(sf,
			    budget_bytes(sizeof f->ts) + 3 * sizeof(void *));
	}
}

void
savefile_session(struct savefile *sf, const struct dialogue *d, bool selected)
{
	guint i, j;
	struct flow_key k;
	struct span s = { d->ts_start, d->ts_end, 0, selected };

	if (sf == NULL || !flow_key_of(&k, d))
		return;
	if (selected && sf->t.sessions >= SAVEFILE_SESSIONS_MAX) {
		sf->t.sessions_over++;
		return;
	}
	/* One not written matters only next to one that is. */
	savefile_charge(sf, spans_add(sf->flows, &k, &s, selected));
	if (!selected)
		return;
	sf->t.sessions++;
	if (d->helo_check != NULL)
		savefile_facts(sf, d->helo_check->evidence);
	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		for (j = 0; j < tx->rcpts->len; j++) {
			const struct dlg_rcpt *r =
			    g_ptr_array_index(tx->rcpts, j);

			savefile_facts(sf, r->local_dns);
		}
	}
}

static gint
span_cmp(gconstpointer a, gconstpointer b)
{
	const struct span *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* Each written session's limit, and the spans of the addresses alone. */
static void
spans_finish(struct savefile *sf)
{
	GHashTableIter it;
	gpointer key, val;
	struct flow_key pk;
	guint i;

	g_hash_table_iter_init(&it, sf->flows);
	while (g_hash_table_iter_next(&it, &key, &val)) {
		GArray *a = val;

		g_array_sort(a, span_cmp);
		for (i = 0; i < a->len; i++) {
			struct span *s = &g_array_index(a, struct span, i);

			/* The SYNs retransmitted before the one the session
			 * starts at, up to the previous session's end. */
			s->start -= SAVEFILE_HEAD;
			if (i > 0) {
				const struct span *p =
				    &g_array_index(a, struct span, i - 1);

				if (s->start <= p->limit)
					s->start = MIN(p->limit + 1,
					    s->start + SAVEFILE_HEAD);
			}
			s->limit = s->end + SAVEFILE_TAIL;
			if (i + 1 < a->len) {
				gint64 next =
				    g_array_index(a, struct span, i + 1).start;

				if (next <= s->end)
					s->limit = s->end;
				else if (next - 1 < s->limit)
					s->limit = next - 1;
			}
			if (!s->selected)
				continue;
			pk = *(const struct flow_key *)key;
			pk.pa = pk.pb = 0;
			spans_add(sf->pairs, &pk, s, true);
		}
	}
}

static bool
spans_match(GHashTable *t, const struct flow_key *k, gint64 ts)
{
	GArray *a = g_hash_table_lookup(t, k);
	guint i;

	if (a == NULL)
		return false;
	for (i = 0; i < a->len; i++) {
		const struct span *s = &g_array_index(a, struct span, i);

		if (s->selected && ts >= s->start && ts <= s->limit)
			return true;
	}
	return false;
}

/* The transport of a frame's IP packet, as -w matches it. */
struct l4 {
	int version;   /* 4 or 6 */
	uint8_t proto; /* IPPROTO_* */
	bool fragment; /* an IPv4 fragment: MF set, or an offset */
	bool ports;    /* sp and dp were read (not a later
			* fragment, and 4 bytes there) */
	uint16_t sp, dp;
	const uint8_t *src, *dst; /* the IP header's addresses */
	const uint8_t *data;	  /* the transport header, len bytes */
	size_t len;
};

/* f's IP packet read to its transport header; FALSE when it has none
 * (no IP, a header cut short, an IPv6 fragment, which the analysis does
 * not reassemble). */
static bool
l4_of(const struct capture_frame *f, struct l4 *t)
{
	const uint8_t *p = f->ip;
	size_t len = f->ip_len, o;
	uint16_t frag;

	memset(t, 0, sizeof *t);
	t->version = f->ip_version;
	if (f->ip_version == 4) {
		if (len < 20 || (o = (size_t)(p[0] & 0xf) * 4) < 20 || len < o)
			return false;
		t->proto = p[9];
		frag = (uint16_t)((p[6] << 8 | p[7]) & 0x3fff);
		t->fragment = frag != 0;
		t->ports = (frag & 0x1fff) == 0 && len >= o + 4;
		t->src = p + 12;
		t->dst = p + 16;
	} else if (f->ip_version == 6 && len >= 40) {
		/* As the analysis walks them. */
		if (packet_ipv6_walk(p, len, &t->proto, &o) !=
			PACKET_V6_UPPER ||
		    o > len)
			return false;
		t->ports = len >= o + 4;
		t->src = p + 8;
		t->dst = p + 24;
	} else
		return false;
	t->data = p + o;
	t->len = len - o;
	if (t->ports) {
		t->sp = (uint16_t)(t->data[0] << 8 | t->data[1]);
		t->dp = (uint16_t)(t->data[2] << 8 | t->data[3]);
	}
	return true;
}

/* Does the IP packet of f belong to a written session, or is it a DNS
 * answer one rests on (a UDP datagram from port 53 at the time of a fact
 * cited)? */
static bool
frame_matches(const struct savefile *sf, const struct capture_frame *f)
{
	struct flow_key k;
	struct l4 t;

	if (!l4_of(f, &t))
		return false;
	if (t.proto == IPPROTO_UDP && !t.fragment)
		return t.len >= 8 && t.sp == 53 &&
		       g_hash_table_contains(sf->dns, &f->ts);
	if (t.proto != IPPROTO_TCP)
		return false;
	if (t.fragment && !t.ports) {
		/* No ports: the two addresses at that time. */
		flow_key_set(&k, 4, t.src, 0, t.dst, 0);
		return spans_match(sf->pairs, &k, f->ts);
	}
	if (!t.ports)
		return false;
	flow_key_set(&k, t.version, t.src, t.sp, t.dst, t.dp);
	return spans_match(sf->flows, &k, f->ts);
}

static void
put32(GString *b, uint32_t v)
{
	g_string_append_len(b, (const char *)&v, 4);
}

static void
put16(GString *b, uint16_t v)
{
	g_string_append_len(b, (const char *)&v, 2);
}

static void
savefile_flush(struct savefile *sf)
{
	size_t off = 0;
	ssize_t n;

	while (!sf->failed && off < sf->buf->len) {
		n = write(sf->out, sf->buf->str + off, sf->buf->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sf->failed = true;
			sf->err = n < 0 ? errno : EIO;
			break;
		}
		off += (size_t)n;
	}
	g_string_truncate(sf->buf, 0);
}

/* A pcapng link type of a DLT value (those packet.c strips). */
static int
linktype_of(int dlt)
{
	return dlt == DLT_RAW ? SAVEFILE_LINKTYPE_RAW : dlt;
}

/* pcapng: the interface of link type dlt, described if it is new. */
static uint32_t
pcapng_iface(struct savefile *sf, int dlt)
{
	guint i;

	for (i = 0; i < sf->ifaces->len; i++)
		if (g_array_index(sf->ifaces, int, i) == dlt)
			return i;
	g_array_append_val(sf->ifaces, dlt);
	/* Interface Description Block, no options: microsecond times. */
	put32(sf->buf, 1);
	put32(sf->buf, 20);
	put16(sf->buf, (uint16_t)linktype_of(dlt));
	put16(sf->buf, 0);
	put32(sf->buf, 0); /* no snap length */
	put32(sf->buf, 20);
	return i;
}

static void
on_frame(const struct capture_frame *f, void *arg)
{
	struct savefile *sf = arg;
	const struct pcap_pkthdr *h = f->hdr;
	static const char zero[4];
	uint32_t pad;
	uint64_t us;

	if (sf->failed || !frame_matches(sf, f))
		return;
	if (sf->pcapng) {
		uint32_t ifid = pcapng_iface(sf, f->dlt);

		/* Enhanced Packet Block. */
		pad = (4 - h->caplen % 4) % 4;
		us = (uint64_t)h->ts.tv_sec * G_USEC_PER_SEC +
		     (uint64_t)h->ts.tv_usec;
		put32(sf->buf, 6);
		put32(sf->buf, 32 + h->caplen + pad);
		put32(sf->buf, ifid);
		put32(sf->buf, (uint32_t)(us >> 32));
		put32(sf->buf, (uint32_t)us);
		put32(sf->buf, h->caplen);
		put32(sf->buf, h->len);
		g_string_append_len(sf->buf, (const char *)f->data, h->caplen);
		g_string_append_len(sf->buf, zero, pad);
		put32(sf->buf, 32 + h->caplen + pad);
	} else {
		put32(sf->buf, (uint32_t)h->ts.tv_sec);
		put32(sf->buf, (uint32_t)h->ts.tv_usec);
		put32(sf->buf, h->caplen);
		put32(sf->buf, h->len);
		g_string_append_len(sf->buf, (const char *)f->data, h->caplen);
	}
	sf->t.packets++;
	sf->t.bytes += h->caplen;
	if (sf->buf->len >= 65536)
		savefile_flush(sf);
}

/* The first bytes of input fd (decompressed): a pcap header says its
 * link type and snap length.  FALSE for pcapng, or what is not read. */
static bool
input_pcap_header(int fd, uint32_t *linktype, uint32_t *snaplen)
{
	uint8_t h[24];
	struct gunzip *g;
	uint32_t magic;
	FILE *fp, *gz;
	size_t n;
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (d < 0 || lseek(d, 0, SEEK_SET) != 0 ||
	    (fp = fdopen(d, "rb")) == NULL) {
		if (d >= 0)
			close(d);
		return false;
	}
	n = fread(h, 1, 2, fp);
	if (n == 2 && h[0] == GUNZIP_MAGIC0 && h[1] == GUNZIP_MAGIC1) {
		rewind(fp);
		gz = gunzip_fopen(fp, &g);
		if (gz == NULL) {
			fclose(fp);
			return false;
		}
		fp = gz;
		n = fread(h, 1, sizeof h, fp);
	} else if (n == 2)
		n += fread(h + 2, 1, sizeof h - 2, fp);
	fclose(fp);
	if (n < sizeof h)
		return false;
	memcpy(&magic, h, 4);
	memcpy(snaplen, h + 16, 4);
	memcpy(linktype, h + 20, 4);
	if (magic == PCAP_MAGIC_USEC || magic == PCAP_MAGIC_NSEC)
		return true;
	if (GUINT32_SWAP_LE_BE(magic) != PCAP_MAGIC_USEC &&
	    GUINT32_SWAP_LE_BE(magic) != PCAP_MAGIC_NSEC)
		return false;
	/* Written in the other byte order. */
	*snaplen = GUINT32_SWAP_LE_BE(*snaplen);
	*linktype = GUINT32_SWAP_LE_BE(*linktype);
	return true;
}

/* Read the input again (its first frames frames) through fn.  It must
 * give as many frames as the analysis read: an error where the analysis
 * stopped too (a truncated file, -c) is no error; fewer frames, or a
 * signal, is, and *error says how far it came. */
static gboolean
read_again(struct savefile *sf, const struct capture_opts *o, uint64_t frames,
    capture_frame_fn fn, void *arg, GError **error)
{
	g_autoptr(GError) why = NULL;
	uint64_t read = 0;

	if (!capture_again(o, sf->in, frames, fn, arg, &read, &why) &&
	    read >= frames &&
	    !g_error_matches(why, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		g_clear_error(&why); /* where the analysis stopped too */
	if (read >= frames && why == NULL)
		return TRUE;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
	    "-w %s: the input read again gave %" G_GUINT64_FORMAT
	    " of its %" G_GUINT64_FORMAT
	    " frames (%s); the file holds the packets among them",
	    sf->path, read, frames, why != NULL ? why->message : "it ended");
	return FALSE;
}

/* A DNS connection over TCP, as a first reading finds it. */
struct dns_conn {
	gint64 first, last;
	bool cited; /* an answer a written session rests on came in it */
};

struct dns_scan {
	struct savefile *sf;
	GHashTable *conns; /* struct flow_key * -> struct dns_conn * */
};

static void
on_dns_frame(const struct capture_frame *f, void *arg)
{
	struct dns_scan *x = arg;
	struct flow_key k;
	struct dns_conn *c;
	struct l4 t;

	/* IPv4 only: an answer over TCP on IPv6 is not written (see
	 * docs/output-format.md). */
	if (!l4_of(f, &t) || t.version != 4 || t.proto != IPPROTO_TCP ||
	    t.fragment || !t.ports || (t.sp != 53 && t.dp != 53))
		return;
	flow_key_set(&k, 4, t.src, t.sp, t.dst, t.dp);
	c = g_hash_table_lookup(x->conns, &k);
	if (c == NULL) {
		if (g_hash_table_size(x->conns) >= SAVEFILE_DNS_MAX)
			return;
		c = g_new0(struct dns_conn, 1);
		c->first = f->ts;
		g_hash_table_insert(x->conns, g_memdup2(&k, sizeof k), c);
	}
	c->last = f->ts;
	if (t.sp == 53 && g_hash_table_contains(x->sf->dns, &f->ts))
		c->cited = true;
}

/* The DNS connections over TCP that carried a cited answer, to be
 * written whole (the analysis reads them from their handshake): found
 * by a first reading, only when some answer is cited. */
static gboolean
dns_connections(struct savefile *sf, const struct capture_opts *o,
    uint64_t frames, GError **error)
{
	struct dns_scan x = { sf,
		g_hash_table_new_full(flow_hash, flow_equal, g_free, g_free) };
	GHashTableIter it;
	gpointer k, v;
	gboolean ok = read_again(sf, o, frames, on_dns_frame, &x, error);

	g_hash_table_iter_init(&it, x.conns);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const struct dns_conn *c = v;
		struct span s = { c->first, c->last, c->last, true };

		if (c->cited)
			spans_add(sf->flows, k, &s, true);
	}
	g_hash_table_destroy(x.conns);
	return ok;
}

/* pcap, with the link type of every input, or pcapng; the header. */
static void
savefile_begin(struct savefile *sf)
{
	uint32_t lt = 0, snap = 0, l, s;
	size_t i, n = 0;
	bool pcap = true;

	for (i = 0; i < sf->n_in && sf->in[i] >= 0; i++) {
		if (!input_pcap_header(sf->in[i], &l, &s) ||
		    (n > 0 && l != lt)) {
			pcap = false;
			break;
		}
		lt = l;
		/* As libpcap reads it: 0 and past its maximum are 262144. */
		snap = MAX(snap, s == 0 || s > SAVEFILE_SNAPLEN
				     ? (uint32_t)SAVEFILE_SNAPLEN
				     : s);
		n++;
	}
	if (pcap && n > 0) {
		/* The inputs' own snap length (the largest): a whole capture
		 * written is then the same bytes as its file. */
		sf->t.format = "pcap";
		put32(sf->buf, PCAP_MAGIC_USEC);
		put16(sf->buf, 2);
		put16(sf->buf, 4);
		put32(sf->buf, 0);
		put32(sf->buf, 0);
		put32(sf->buf, snap);
		put32(sf->buf, lt);
		return;
	}
	sf->pcapng = true;
	sf->t.format = "pcapng";
	/* Section Header Block: byte-order magic, 1.0, length unknown. */
	put32(sf->buf, PCAPNG_MAGIC);
	put32(sf->buf, 28);
	put32(sf->buf, 0x1a2b3c4d);
	put16(sf->buf, 1);
	put16(sf->buf, 0);
	put32(sf->buf, 0xffffffffu);
	put32(sf->buf, 0xffffffffu);
	put32(sf->buf, 28);
}

gboolean
savefile_write(struct savefile *sf, const struct capture_opts *o,
    uint64_t frames, GError **error)
{
	struct capture_opts again = *o;
	char *live[2] = { sf->iface, NULL };
	struct stat sb;
	gboolean ok = TRUE;

	spans_finish(sf);
	if (sf->iface != NULL) {
		/* The spool holds the frames as filtered. */
		again.files = live;
		again.iface = NULL;
		again.bpf = NULL;
		if (sf->spool != NULL && fflush(sf->spool) != 0) {
			g_set_error(error, G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    "-w %s: the frames of %s could not be kept: %s",
			    sf->path, sf->iface, g_strerror(errno));
			return FALSE;
		}
	}
	/* Standard output is written where it stands (it may follow what
	 * came before, or be appended to). */
	if (!sf->is_stdout && fstat(sf->out, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    ftruncate(sf->out, 0) != 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
		    "-w %s: %s", sf->path, g_strerror(errno));
		return FALSE;
	}
	savefile_begin(sf);
	if (g_hash_table_size(sf->dns) > 0)
		ok = dns_connections(sf, &again, frames, error);
	if (ok && g_hash_table_size(sf->flows) > 0)
		ok = read_again(sf, &again, frames, on_frame, sf, error);
	savefile_flush(sf);
	if (sf->failed) {
		g_clear_error(error);
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(sf->err),
		    "-w %s: %s", sf->path, g_strerror(sf->err));
		return FALSE;
	}
	return ok;
}

void
savefile_abandon(struct savefile *sf)
{
	if (sf->made)
		(void)unlink(sf->path);
	sf->made = false;
}

void
savefile_get_totals(const struct savefile *sf, struct savefile_totals *t)
{
	*t = sf->t;
}

void
savefile_free(struct savefile *sf)
{
	size_t i;

	if (sf == NULL)
		return;
	budget_release(BUDGET_WRITE, sf->charged);
	for (i = 0; i < sf->n_in; i++)
		if (sf->in[i] >= 0)
			close(sf->in[i]);
	if (sf->spool != NULL)
		fclose(sf->spool);
	if (sf->out >= 0)
		close(sf->out);
	g_hash_table_destroy(sf->flows);
	g_hash_table_destroy(sf->pairs);
	g_hash_table_destroy(sf->dns);
	g_array_unref(sf->ifaces);
	g_string_free(sf->buf, TRUE);
	g_free(sf->in);
	g_free(sf->iface);
	g_free(sf->path);
	g_free(sf);
}
