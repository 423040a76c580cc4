/* SPDX-License-Identifier: GPL-2.0-or-later */
/* capture.c: open capture files and interfaces with libpcap, apply the BPF
 * filter on the real handle, strip link layers and feed the stream layer.
 *
 * Several files are one continuous capture: libnids is set up once and
 * streams carry over file boundaries (references/libnids.md §7.4), so a
 * connection split by file rotation stays one session.  Live capture uses
 * our own handle (full snap length, big buffer, promiscuous only if asked)
 * rather than libnids' (16 KB snap length, promiscuous on every interface).
 * A file (or standard input) that starts with the gzip magic is read
 * through gunzip.c, decompressed as it is read, whatever its name: then
 * the same first bytes decide between pcap and pcapng.
 * pcapng files are read by pcapng.c, whose interfaces may have different
 * link types (libpcap refuses those); the BPF filter is compiled for each
 * interface's link type and run with pcap_offline_filter().
 *
 * Privileges (as tcpdump -Z): once the interface, or every file, is open
 * and before the first packet is read, root becomes an unprivileged user
 * (supplementary groups, then group, then user, all three ids of each),
 * and whoever we are loses every capability; that it cannot come back is
 * checked.  The parsers then never run with privileges, whatever the
 * input holds.  Files are opened all at once for that, before the first
 * is read, so that one readable only by root is still read (tcpdump -V
 * opens them after dropping, and fails).
 *
 * Time: within a file (or a live capture) the stream layer gets packet
 * times that never go backwards and lie within [PCAPNG_TS_MIN,
 * PCAPNG_TS_MAX], whatever the file says, so that no duration or offset
 * of a session in it is ever negative; each file says once when it needed
 * that.  Between files time may go back: they are often given out of
 * order, and their own times are worth more than a clock made to run on.
 */
/* fopencookie (give libpcap back the bytes we peeked); setresuid and
 * setresgid (all three ids at once). */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gio/gio.h>
#include <pcap.h>

#include "capture.h"
#include "gunzip.h"
#include "log.h"
#include "packet.h"
#include "pcapng.h"
#include "stream.h"

#define CAPTURE_SNAPLEN 262144
#define CAPTURE_BUFFER (64 * 1024 * 1024)
#define CAPTURE_TIMEOUT_MS 200
/* The user root becomes without -Z: our own if the system has one. */
#define CAPTURE_USER "relayscope"
#define CAPTURE_USER_FALLBACK "nobody"
/* A packet stamped earlier than the latest time is given the latest time;
 * only a step back of more than this is worth a warning (packets of
 * several interfaces, or of several CPUs, arrive a little out of order). */
#define CAPTURE_BACK_QUIET G_USEC_PER_SEC

static volatile sig_atomic_t capture_stopping;
static pcap_t *volatile capture_live;
static uint64_t capture_max;	     /* live: stop after this many frames */
static pcap_dumper_t *capture_spool; /* live: capture_opts.spool */
/* What the input itself gives rise to is not said (capture_opts.quiet). */
static bool capture_quiet;

/* The clock handed to the stream layer, for the file being read. */
static struct {
	gint64 latest;	   /* the latest time handed on, or -1 */
	const char *name;  /* the file or interface being read */
	bool warned_back;  /* it was told that its time went back */
	bool warned_range; /* ... that its times were out of range */
} capture_clock = { -1, NULL, false, false };

/* The user to become, looked up before anything is opened. */
struct capture_user {
	char *name;
	uid_t uid;
	gid_t gid;
};

void
capture_stop(void)
{
	pcap_t *p = capture_live;

	capture_stopping = 1;
	if (p != NULL)
		pcap_breakloop(p);
}

/* Start the clock afresh for the file or interface name. */
static void
capture_clock_start(const char *name)
{
	capture_clock.latest = -1;
	capture_clock.name = name;
	capture_clock.warned_back = false;
	capture_clock.warned_range = false;
}

/* The time to hand on for packet n (of the current file) stamped ts:
 * within range, and never before the latest (the stream layer, and the
 * durations it computes, see time move forward only). */
static gint64
capture_clock_time(gint64 ts, uint64_t n)
{
	gint64 back;

	if (ts < PCAPNG_TS_MIN || ts > PCAPNG_TS_MAX) {
		if (!capture_clock.warned_range)
			if (!capture_quiet)
				log_warnx(
				    "%s: timestamps out of range, clamped",
				    capture_clock.name);
		capture_clock.warned_range = true;
		ts = ts < PCAPNG_TS_MIN ? PCAPNG_TS_MIN : PCAPNG_TS_MAX;
	}
	if (ts >= capture_clock.latest) {
		capture_clock.latest = ts;
		return ts;
	}
	back = capture_clock.latest - ts;
	if (back > CAPTURE_BACK_QUIET && !capture_clock.warned_back) {
		capture_clock.warned_back = true;
		if (!capture_quiet)
			log_warnx(
			    "%s: time goes back %" G_GINT64_FORMAT ".%06d s at "
			    "packet %" G_GUINT64_FORMAT
			    "; such packets are given the latest time before "
			    "them",
			    capture_clock.name, back / G_USEC_PER_SEC,
			    (int)(back % G_USEC_PER_SEC), n);
	}
	return capture_clock.latest;
}

/* capture_again(): frames go to it rather than to the analysis. */
static capture_frame_fn capture_sink;
static void *capture_sink_arg;

/* Hand on frame (its record h) to the analysis, or to capture_sink. */
static void
capture_frame(struct run_stats *s, int dlt, gint64 ts,
    const struct pcap_pkthdr *h, const u_char *frame)
{
	const uint8_t *p;
	size_t off, len;
	uint32_t caplen = h->caplen;
	enum packet_l3 l3, inner;
	int depth;

	s->frames++;
	l3 = packet_strip(dlt, frame, caplen, &off);
	p = frame + off;
	len = caplen - off;
	/* Tunnels: analyse what they carry (mirrored traffic arrives so). */
	for (depth = 0; l3 == PACKET_L3_IPV4 || l3 == PACKET_L3_IPV6; depth++) {
		inner = packet_decap(l3, p, len, &off);
		if (inner == PACKET_L3_OTHER)
			break;
		if (inner == PACKET_L3_BAD || depth == PACKET_MAX_TUNNELS) {
			l3 = PACKET_L3_BAD;
			break;
		}
		if (depth == 0)
			s->tunnelled++;
		p += off;
		len -= off;
		l3 = inner;
	}
	if (capture_sink != NULL) {
		struct capture_frame f = {
			.dlt = dlt,
			.ts = ts,
			.hdr = h,
			.data = frame,
			.ip_version = l3 == PACKET_L3_IPV4   ? 4
				      : l3 == PACKET_L3_IPV6 ? 6
							     : 0,
			.ip = p,
			.ip_len = len,
		};

		capture_sink(&f, capture_sink_arg);
		return;
	}
	switch (l3) {
	case PACKET_L3_IPV4:
		s->ipv4++;
		stream_feed_ipv4(p, len, ts);
		break;
	case PACKET_L3_IPV6:
		s->ipv6++;
		stream_feed_ipv6(p, len, ts);
		break;
	case PACKET_L3_OTHER:
		s->other_l3++;
		break;
	case PACKET_L3_BAD:
		s->undecodable++;
		break;
	}
}

static gboolean
capture_filter(pcap_t *p, const char *name, const char *bpf, GError **error)
{
	struct bpf_program prog;

	if (bpf == NULL)
		return TRUE;
	if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		    "%s: bad filter \"%s\": %s", name, bpf, pcap_geterr(p));
		return FALSE;
	}
	if (pcap_setfilter(p, &prog) != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
		    "%s: cannot set filter: %s", name, pcap_geterr(p));
		pcap_freecode(&prog);
		return FALSE;
	}
	pcap_freecode(&prog);
	return TRUE;
}

static gboolean
capture_linktype(pcap_t *p, const char *name, GError **error)
{
	int dlt = pcap_datalink(p);
	const char *dname = pcap_datalink_val_to_name(dlt);

	if (packet_linktype_supported(dlt))
		return TRUE;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
	    "%s: unsupported link type %s (%d)", name,
	    dname != NULL ? dname : "unknown", dlt);
	return FALSE;
}

/* A stream that could not be rewound (a pipe): its first bytes, read to
 * tell pcapng from pcap, are served again before the rest. */
struct peeked {
	FILE *fp;
	uint8_t head[4];
	size_t n, off;
};

static ssize_t
peeked_read(void *cookie, char *buf, size_t size)
{
	struct peeked *k = cookie;
	size_t take;

	if (k->off < k->n) {
		take = k->n - k->off < size ? k->n - k->off : size;
		memcpy(buf, k->head + k->off, take);
		k->off += take;
		return (ssize_t)take;
	}
	return (ssize_t)fread(buf, 1, size, k->fp);
}

static int
peeked_close(void *cookie)
{
	struct peeked *k = cookie;
	int rc = k->fp != stdin ? fclose(k->fp) : 0;

	g_free(k);
	return rc;
}

/* The stream fp from its first byte again, after head[0..peek) was read
 * from it: rewound if it can be (and may: not a decompressed stream),
 * else wrapped so that those bytes come first.  NULL with *error set, fp
 * then closed unless it is stdin; the result is stdin only if fp was. */
static FILE *
capture_unread(const char *name, FILE *fp, const uint8_t *head, size_t peek,
    bool may_seek, GError **error)
{
	struct peeked *cookie;
	FILE *wrapped;

	if (may_seek && fseek(fp, 0, SEEK_SET) == 0)
		return fp;
	cookie = g_new0(struct peeked, 1);
	cookie->fp = fp;
	memcpy(cookie->head, head, peek);
	cookie->n = peek;
	wrapped = fopencookie(cookie, "rb",
	    (cookie_io_functions_t){ peeked_read, NULL, NULL, peeked_close });
	if (wrapped == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s",
		    name, g_strerror(errno));
		g_free(cookie);
		if (fp != stdin)
			fclose(fp);
		return NULL;
	}
	return wrapped;
}

/* Why reading failed: the decompression's reason if it failed (libpcap
 * and pcapng.c see only a short read), else what the reader said. */
static const char *
capture_why(const struct gunzip *gz, const char *reader)
{
	if (gz != NULL && gunzip_error(gz) != NULL)
		return gunzip_error(gz);
	return reader;
}

/* The end of a compressed input read to its end: what was ignored. */
static void
capture_gz_done(const char *name, const struct gunzip *gz)
{
	if (gz != NULL && gunzip_trailing(gz) && !capture_quiet)
		log_warnx(
		    "%s: data after the end of the gzip data ignored", name);
}

/* The filter of each pcapng interface, compiled for its link type. */
static bool
pcapng_filter(GPtrArray *progs, const struct pcapng_packet *pk,
    const char *name, const char *bpf, GError **error)
{
	struct bpf_program *prog;
	pcap_t *dead;

	while (progs->len <= pk->ifid)
		g_ptr_array_add(progs, NULL);
	if (!pk->new_interface && g_ptr_array_index(progs, pk->ifid) != NULL)
		return true;
	prog = g_new0(struct bpf_program, 1);
	dead = pcap_open_dead(pk->dlt, 262144);
	if (dead == NULL ||
	    pcap_compile(dead, prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		    "%s: bad filter \"%s\" for interface %u: %s", name, bpf,
		    pk->ifid, dead != NULL ? pcap_geterr(dead) : "no handle");
		if (dead != NULL)
			pcap_close(dead);
		g_free(prog);
		return false;
	}
	pcap_close(dead);
	if (g_ptr_array_index(progs, pk->ifid) != NULL)
		pcap_freecode(g_ptr_array_index(progs, pk->ifid));
	g_free(g_ptr_array_index(progs, pk->ifid));
	g_ptr_array_index(progs, pk->ifid) = prog;
	return true;
}

static void
prog_free(gpointer p)
{
	if (p != NULL)
		pcap_freecode(p);
	g_free(p);
}

/* Is some link type of the file's interfaces one we strip? */
static bool
pcapng_any_supported(const struct pcapng *r, const int **first)
{
	const int *dl;
	size_t n, i;

	dl = pcapng_linktypes(r, &n);
	*first = n > 0 ? &dl[0] : NULL;
	for (i = 0; i < n; i++)
		if (packet_linktype_supported(dl[i]))
			return true;
	return false;
}

/* An interface whose link type we cannot strip, to be told of. */
struct pcapng_unsupported {
	unsigned ifid;
	int dlt;
};

static void
pcapng_tell_unsupported(const char *name, GArray *pending)
{
	const struct pcapng_unsupported *u;
	const char *dname;
	guint i;

	for (i = 0; i < pending->len; i++) {
		u = &g_array_index(pending, struct pcapng_unsupported, i);
		dname = pcap_datalink_val_to_name(u->dlt);
		if (!capture_quiet)
			log_warnx("%s: interface %u has unsupported link type "
				  "%s (%d): "
				  "its packets are not analysed",
			    name, u->ifid, dname != NULL ? dname : "unknown",
			    u->dlt);
	}
	g_array_set_size(pending, 0);
}

static gboolean
capture_pcapng(const char *name, FILE *fp, const struct gunzip *gz,
    const struct capture_opts *o, struct run_stats *s, GError **error)
{
	char err[256] = "";
	g_autoptr(GPtrArray) progs = g_ptr_array_new_with_free_func(prog_free);
	g_autoptr(GHashTable) warned = g_hash_table_new(NULL, NULL);
	g_autoptr(GHashTable) clamped = g_hash_table_new(NULL, NULL);
	g_autoptr(GArray) pending =
	    g_array_new(FALSE, FALSE, sizeof(struct pcapng_unsupported));
	struct pcapng_unsupported u;
	struct pcapng_packet pk;
	struct pcap_pkthdr h;
	struct pcapng *r;
	const char *dname;
	const int *first;
	bool supported = false;
	uint64_t n = 0;
	int rc;

	r = pcapng_open(fp, err, sizeof err);
	if (r == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		    "%s: not a readable pcapng capture (%s)", name,
		    capture_why(gz, err));
		return FALSE;
	}
	while (!capture_stopping) {
		if (o->max_packets > 0 && s->frames >= o->max_packets)
			break;
		rc = pcapng_next(r, &pk, err, sizeof err);
		if (rc == 0)
			break;
		if (rc < 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "%s: truncated or corrupt capture after packet "
			    "%" G_GUINT64_FORMAT ": %s",
			    name, n, capture_why(gz, err));
			pcapng_close(r);
			return FALSE;
		}
		n++;
		if (pk.ts_clamped && !g_hash_table_contains(clamped,
					 GUINT_TO_POINTER(pk.ifid + 1))) {
			g_hash_table_add(
			    clamped, GUINT_TO_POINTER(pk.ifid + 1));
			if (!capture_quiet)
				log_warnx("%s: interface %u: timestamps out of "
					  "range, "
					  "clamped",
				    name, pk.ifid);
		}
		if (!packet_linktype_supported(pk.dlt)) {
			/* Said once per link type, as soon as another
			 * interface is known to be read: if none is, the
			 * whole file is of an unsupported link type (below),
			 * as a pcap file would be. */
			if (!g_hash_table_contains(
				warned, GINT_TO_POINTER(pk.dlt + 1))) {
				g_hash_table_add(
				    warned, GINT_TO_POINTER(pk.dlt + 1));
				u.ifid = pk.ifid;
				u.dlt = pk.dlt;
				g_array_append_val(pending, u);
				if (!supported)
					supported =
					    pcapng_any_supported(r, &first);
				if (supported)
					pcapng_tell_unsupported(name, pending);
			}
			s->frames++;
			s->undecodable++;
			continue;
		}
		supported = true;
		if (pending->len > 0)
			pcapng_tell_unsupported(name, pending);
		memset(&h, 0, sizeof h);
		h.ts.tv_sec = (time_t)(pk.ts / G_USEC_PER_SEC);
		h.ts.tv_usec = (suseconds_t)(pk.ts % G_USEC_PER_SEC);
		h.caplen = pk.caplen;
		h.len = pk.len;
		if (o->bpf != NULL) {
			if (!pcapng_filter(progs, &pk, name, o->bpf, error)) {
				pcapng_close(r);
				return FALSE;
			}
			if (!pcap_offline_filter(
				g_ptr_array_index(progs, pk.ifid), &h, pk.data))
				continue;
		}
		capture_frame(
		    s, pk.dlt, capture_clock_time(pk.ts, n), &h, pk.data);
	}
	if (!supported && !pcapng_any_supported(r, &first) && first != NULL) {
		/* No interface we can read: the error of a pcap file of that
		 * link type, rather than a run that read nothing and says
		 * all is well. */
		dname = pcap_datalink_val_to_name(*first);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		    "%s: unsupported link type %s (%d)", name,
		    dname != NULL ? dname : "unknown", *first);
		pcapng_close(r);
		return FALSE;
	}
	pcapng_tell_unsupported(name, pending);
	pcapng_close(r);
	if (!capture_stopping &&
	    !(o->max_packets > 0 && s->frames >= o->max_packets))
		capture_gz_done(name, gz);
	return TRUE;
}

/* Open one input: fp, or NULL with *error set. */
static FILE *
capture_open(const char *name, GError **error)
{
	struct stat sb;
	FILE *fp;

	if (strcmp(name, "-") == 0)
		return stdin;
	fp = fopen(name, "rb");
	if (fp == NULL) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
		    "%s: %s", name, g_strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fclose(fp);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY,
		    "%s: is a directory", name);
		return NULL;
	}
	return fp;
}

/* A pcap record's time in microseconds.  Its seconds are an unsigned 32-bit
 * field (draft-ietf-opsawg-pcap, "Packet Record"), which libpcap hands on
 * as signed: a time after January 2038 would come out before 1970. */
static gint64
capture_file_time(const struct pcap_pkthdr *h)
{
	gint64 sec = (gint64)h->ts.tv_sec;

	if (sec < 0 && sec >= -(gint64)G_MAXINT32 - 1)
		sec += (gint64)G_MAXUINT32 + 1;
	return sec * G_USEC_PER_SEC + h->ts.tv_usec;
}

/* Read the opened input fp (closed here, unless it is stdin). */
static gboolean
capture_file(const char *name, FILE *fp, const struct capture_opts *o,
    struct run_stats *s, GError **error)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *frame;
	uint64_t n = 0;
	pcap_t *p;
	int dlt, rc;
	bool is_stdin = fp == stdin;
	struct gunzip *gz = NULL;
	FILE *raw;
	uint8_t head[4];
	size_t peek;
	gboolean ok;

	capture_clock_start(name);
	peek = fread(head, 1, sizeof head, fp);
	/* gzip (tshark reads it too): by its magic, not by the name, so
	 * that standard input and a file named otherwise work. */
	if (peek >= 2 && head[0] == GUNZIP_MAGIC0 && head[1] == GUNZIP_MAGIC1) {
		raw = capture_unread(name, fp, head, peek, true, error);
		if (raw == NULL)
			return FALSE;
		fp = gunzip_fopen(raw, &gz);
		if (fp == NULL) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "%s: %s", name, g_strerror(errno));
			if (raw != stdin)
				fclose(raw);
			return FALSE;
		}
		is_stdin = false; /* closing it closes only the wrapper */
		peek = fread(head, 1, sizeof head, fp);
	}
	/* pcapng is ours to read; pcap goes to libpcap from the start. */
	if (peek == sizeof head && memcmp(head, "\n\r\r\n", 4) == 0) {
		ok = capture_pcapng(name, fp, gz, o, s, error);
		if (!is_stdin)
			fclose(fp);
		return ok;
	}
	fp = capture_unread(name, fp, head, peek, gz == NULL, error);
	if (fp == NULL)
		return FALSE;
	if (fp != stdin)
		is_stdin = false; /* closing it closes only the wrapper */
	p = pcap_fopen_offline_with_tstamp_precision(
	    fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (p == NULL) {
		/* Said before fp goes: closing it frees gz.  libpcap closes
		 * nothing on failure. */
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		    "%s: not a readable pcap or pcapng capture (%s)", name,
		    capture_why(gz, errbuf[0] != '\0' ? errbuf : "empty file"));
		if (!is_stdin)
			fclose(fp);
		return FALSE;
	}
	if (!capture_linktype(p, name, error) ||
	    !capture_filter(p, name, o->bpf, error)) {
		pcap_close(p);
		return FALSE;
	}
	dlt = pcap_datalink(p);
	while (!capture_stopping) {
		if (o->max_packets > 0 && s->frames >= o->max_packets)
			break;
		rc = pcap_next_ex(p, &h, &frame);
		if (rc == 1) {
			n++;
			capture_frame(s, dlt,
			    capture_clock_time(capture_file_time(h), n), h,
			    frame);
			continue;
		}
		if (rc == PCAP_ERROR_BREAK)
			break;
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		    "%s: truncated or corrupt capture after packet "
		    "%" G_GUINT64_FORMAT ": %s",
		    name, n, capture_why(gz, pcap_geterr(p)));
		pcap_close(p);
		return FALSE;
	}
	if (!capture_stopping &&
	    !(o->max_packets > 0 && s->frames >= o->max_packets))
		capture_gz_done(name, gz);
	pcap_close(p); /* closes fp, stdin included */
	return TRUE;
}

/* Does the process hold any capability?  (A root process holds them all;
 * one started with file or ambient capabilities some.) */
static bool
capture_caps_held(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
		0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int i;

	memset(data, 0, sizeof data);
	if (syscall(SYS_capget, &hdr, data) != 0)
		return true; /* cannot tell: assume the worst */
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (data[i].effective != 0 || data[i].permitted != 0 ||
		    data[i].inheritable != 0)
			return true;
	return false;
}

static bool
capture_is_root(void)
{
	return getuid() == 0 || geteuid() == 0;
}

/* Is there anything to drop once the input is open? */
static bool
capture_privileged(const struct capture_opts *o)
{
	return !o->no_drop && (capture_is_root() || capture_caps_held());
}

/* Look up the user to become (-Z, else relayscope, else nobody) before
 * anything is opened.  A -Z user is looked up even when nothing will be
 * dropped, so that a misspelt name is an error everywhere. */
static gboolean
capture_user_find(
    const struct capture_opts *o, struct capture_user *u, GError **error)
{
	const struct passwd *pw = NULL;

	memset(u, 0, sizeof *u);
	if (o->user != NULL) {
		pw = getpwnam(o->user);
		if (pw == NULL) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "-Z %s: no such user", o->user);
			return FALSE;
		}
	} else if (!o->no_drop && capture_is_root()) {
		pw = getpwnam(CAPTURE_USER);
		if (pw == NULL)
			pw = getpwnam(CAPTURE_USER_FALLBACK);
		if (pw == NULL) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "cannot drop privileges: no user " CAPTURE_USER
			    " or " CAPTURE_USER_FALLBACK
			    " (give one with -Z USER, or --no-drop)");
			return FALSE;
		}
	}
	if (pw != NULL) {
		u->name = g_strdup(pw->pw_name);
		u->uid = pw->pw_uid;
		u->gid = pw->pw_gid;
	}
	return TRUE;
}

/* Give up root (becoming u) and every capability, for good: what follows
 * reads hostile input.  Returns FALSE with *error set if that failed or
 * could be undone. */
static gboolean
capture_drop(
    const struct capture_opts *o, const struct capture_user *u, GError **error)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
		0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	bool root = capture_is_root();

	if (!capture_privileged(o))
		return TRUE;
	if (root && u->uid == 0) {
		/* -Z root: asked to stay so. */
		if (!capture_quiet)
			log_debug("keeping privileges: -Z %s is root", u->name);
		return TRUE;
	}
	if (root && (setgroups(1, &u->gid) != 0 ||
			setresgid(u->gid, u->gid, u->gid) != 0 ||
			setresuid(u->uid, u->uid, u->uid) != 0)) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
		    "cannot drop privileges to %s: %s", u->name,
		    g_strerror(errno));
		return FALSE;
	}
	/* Leaving root cleared them; file or ambient capabilities of a
	 * user that never was root go here. */
	memset(data, 0, sizeof data);
	if (capture_caps_held() && syscall(SYS_capset, &hdr, data) != 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
		    "cannot drop capabilities: %s", g_strerror(errno));
		return FALSE;
	}
	/* No setuid or file-capability program could give them back. */
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (root &&
	    (setuid(0) != -1 || setgid(0) != -1 ||
		getresuid(&ru, &eu, &su) != 0 ||
		getresgid(&rg, &eg, &sg) != 0 || ru != u->uid || eu != u->uid ||
		su != u->uid || rg != u->gid || eg != u->gid || sg != u->gid)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
		    "cannot drop privileges to %s: root could be regained",
		    u->name);
		return FALSE;
	}
	if (capture_caps_held()) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
		    "cannot drop capabilities: some remain");
		return FALSE;
	}
	if (capture_quiet)
		return TRUE;
	if (root)
		log_debug("dropped privileges to %s (uid %u, gid %u)", u->name,
		    (unsigned)u->uid, (unsigned)u->gid);
	else
		log_debug("dropped capabilities");
	return TRUE;
}

static void
capture_live_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *frame)
{
	struct run_stats *s = (struct run_stats *)(void *)user;

	if (capture_spool != NULL)
		pcap_dump((u_char *)capture_spool, h, frame);
	capture_frame(s, pcap_datalink(capture_live),
	    capture_clock_time(
		(gint64)h->ts.tv_sec * G_USEC_PER_SEC + h->ts.tv_usec,
		s->frames + 1),
	    h, frame);
	if (capture_max > 0 && s->frames >= capture_max)
		capture_stop();
}

/* The frames kept for -w flushed to the spool, which stays open (its
 * owner reads it again); FALSE with *error if they could not all be. */
static gboolean
capture_spool_end(const char *iface, GError **error)
{
	bool ok = pcap_dump_flush(capture_spool) == 0 &&
		  !ferror(pcap_dump_file(capture_spool));

	/* pcap_dump_close() would close the owner's stream: the dumper is
	 * left, a few bytes, for the run's end. */
	capture_spool = NULL;
	if (!ok)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
		    "%s: the frames kept for -w could not be written: %s",
		    iface, g_strerror(errno));
	return ok;
}

static gboolean
capture_iface(const struct capture_opts *o, const struct capture_user *u,
    struct run_stats *s, GError **error)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_stat ps;
	pcap_t *p;
	int rc;
	const char *why;

	p = pcap_create(o->iface, errbuf);
	if (p == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s",
		    o->iface, errbuf);
		return FALSE;
	}
	pcap_set_snaplen(p, CAPTURE_SNAPLEN);
	pcap_set_promisc(p, o->promisc);
	pcap_set_timeout(p, CAPTURE_TIMEOUT_MS);
	pcap_set_buffer_size(p, CAPTURE_BUFFER);
	rc = pcap_activate(p);
	if (rc < 0) {
		switch (rc) {
		case PCAP_ERROR_PERM_DENIED:
			why = "no permission to capture (run as root or "
			      "with CAP_NET_RAW)";
			break;
		case PCAP_ERROR_NO_SUCH_DEVICE:
			why = "no such interface";
			break;
		case PCAP_ERROR_IFACE_NOT_UP:
			why = "interface is down";
			break;
		default:
			why = pcap_statustostr(rc);
			break;
		}
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
		    "%s: %s%s%s%s", o->iface, why,
		    pcap_geterr(p)[0] != '\0' ? " (" : "", pcap_geterr(p),
		    pcap_geterr(p)[0] != '\0' ? ")" : "");
		pcap_close(p);
		return FALSE;
	}
	if (!capture_linktype(p, o->iface, error) ||
	    !capture_filter(p, o->iface, o->bpf, error) ||
	    !capture_drop(o, u, error)) {
		pcap_close(p);
		return FALSE;
	}
	if (o->spool != NULL) {
		capture_spool = pcap_dump_fopen(p, o->spool);
		if (capture_spool == NULL) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "%s: cannot keep the frames for -w: %s", o->iface,
			    pcap_geterr(p));
			pcap_close(p);
			return FALSE;
		}
	}
	capture_clock_start(o->iface);
	capture_max = o->max_packets;
	capture_live = p;
	log_info("capturing on %s (%s), stop with Ctrl-C", o->iface,
	    pcap_datalink_val_to_name(pcap_datalink(p)) != NULL
		? pcap_datalink_val_to_name(pcap_datalink(p))
		: "unknown link type");
	while (!capture_stopping) {
		rc = pcap_dispatch(p, -1, capture_live_cb, (u_char *)s);
		if (rc == PCAP_ERROR_BREAK)
			break;
		if (rc < 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "%s: capture failed: %s", o->iface, pcap_geterr(p));
			capture_live = NULL;
			if (capture_spool != NULL)
				(void)capture_spool_end(o->iface, NULL);
			pcap_close(p);
			return FALSE;
		}
	}
	capture_live = NULL;
	if (capture_spool != NULL && !capture_spool_end(o->iface, error)) {
		pcap_close(p);
		return FALSE;
	}
	if (pcap_stats(p, &ps) == 0)
		s->pcap_drops += ps.ps_drop + ps.ps_ifdrop;
	pcap_close(p);
	return TRUE;
}

/* Let n files be open at once (before privileges go), as far as the hard
 * limit allows; one beyond it fails with its own error at its turn. */
static void
capture_nofile(size_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	if (rl.rlim_cur >= n + 64)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || n + 64 < rl.rlim_max
			  ? n + 64
			  : rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

static gboolean
capture_files(const struct capture_opts *o, const struct capture_user *u,
    struct run_stats *s, GError **error)
{
	size_t n = g_strv_length(o->files), i;
	FILE **fps = g_new0(FILE *, n + 1);
	GError **errs = g_new0(GError *, n + 1);
	bool eager = capture_privileged(o);
	gboolean ok = TRUE;

	/* With privileges to drop, every file is opened first, with them:
	 * each error is still given at the file's turn, after what came
	 * before it was read. */
	if (eager) {
		capture_nofile(n);
		for (i = 0; i < n; i++)
			fps[i] = capture_open(o->files[i], &errs[i]);
	}
	if (!capture_drop(o, u, error))
		ok = FALSE;
	for (i = 0; ok && i < n && !capture_stopping; i++) {
		g_ptr_array_add(s->files, g_strdup(o->files[i]));
		if (!eager)
			fps[i] = capture_open(o->files[i], &errs[i]);
		if (fps[i] == NULL) {
			g_propagate_error(error, g_steal_pointer(&errs[i]));
			ok = FALSE;
			break;
		}
		ok = capture_file(
		    o->files[i], g_steal_pointer(&fps[i]), o, s, error);
	}
	for (i = 0; i < n; i++) {
		if (fps[i] != NULL && fps[i] != stdin)
			fclose(fps[i]);
		g_clear_error(&errs[i]);
	}
	g_free(fps);
	g_free(errs);
	return ok;
}

gboolean
capture_writer(
    const struct capture_opts *o, uid_t *uid, gid_t *gid, GError **error)
{
	struct capture_user u;

	if (!capture_user_find(o, &u, error))
		return FALSE;
	if (u.name != NULL && capture_privileged(o)) {
		*uid = u.uid;
		*gid = u.gid;
	} else {
		*uid = geteuid();
		*gid = getegid();
	}
	g_free(u.name);
	return TRUE;
}

gboolean
capture_drop_privileges(const struct capture_opts *o, GError **error)
{
	struct capture_user u;
	gboolean ok;

	capture_quiet = o->quiet;
	if (!capture_user_find(o, &u, error))
		return FALSE;
	ok = capture_drop(o, &u, error);
	g_free(u.name);
	return ok;
}

gboolean
capture_run(const struct capture_opts *o, struct run_stats *s, GError **error)
{
	struct capture_user u;
	gboolean ok;

	capture_quiet = o->quiet;
	if (!capture_user_find(o, &u, error))
		return FALSE;
	if (o->iface != NULL)
		ok = capture_iface(o, &u, s, error);
	else
		ok = capture_files(o, &u, s, error);
	g_free(u.name);
	return ok;
}

gboolean
capture_again(const struct capture_opts *o, const int *fds, uint64_t frames,
    capture_frame_fn fn, void *arg, uint64_t *read, GError **error)
{
	struct capture_opts again = *o;
	struct run_stats scratch;
	gboolean ok = TRUE;
	size_t i;
	FILE *fp;
	int fd;

	run_stats_init(&scratch);
	again.max_packets = frames;
	capture_quiet = true;
	capture_stopping = 0;
	capture_sink = fn;
	capture_sink_arg = arg;
	for (i = 0; ok && o->files[i] != NULL && fds[i] >= 0; i++) {
		if (frames == 0 || scratch.frames >= frames)
			break;
		fd = dup(fds[i]);
		fp = fd >= 0 && lseek(fd, 0, SEEK_SET) == 0 ? fdopen(fd, "rb")
							    : NULL;
		if (fp == NULL) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "%s: cannot read it again for -w: %s", o->files[i],
			    g_strerror(errno));
			if (fd >= 0)
				close(fd);
			ok = FALSE;
			break;
		}
		ok = capture_file(o->files[i], fp, &again, &scratch, error);
	}
	capture_sink = NULL;
	capture_sink_arg = NULL;
	*read = scratch.frames;
	run_stats_clear(&scratch);
	if (ok && capture_stopping) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
		    "stopped by a signal");
		ok = FALSE;
	}
	return ok;
}
