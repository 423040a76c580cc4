/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcapng.c: pcapng files (draft-ietf-opsawg-pcapng), for the ones
 * libpcap refuses: those whose interfaces have different link types, as
 * dumpcap writes when it captures on an Ethernet interface and on "any"
 * at once.  Sections (with either byte order), Interface Description
 * Blocks with their time resolution and offset, and Enhanced, Simple and
 * obsolete Packet Blocks are read; other blocks are skipped.  Every length
 * is checked against the block's, every block against PCAPNG_BLOCK_MAX;
 * every time is clamped to [PCAPNG_TS_MIN, PCAPNG_TS_MAX]. */
#include <glib.h>
#include <pcap/dlt.h>
#include <string.h>

#include "pcapng.h"

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 1u
#define BT_OPB 2u /* obsolete Packet Block */
#define BT_SPB 3u
#define BT_EPB 6u
#define BOM 0x1a2b3c4du

/* The pcapng link type RAW (LINKTYPE_RAW) is not DLT_RAW's value. */
#define LINKTYPE_RAW 101

#define OPT_END 0
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14

/* PCAPNG_TS_MAX in whole seconds. */
#define TS_MAX_SEC (PCAPNG_TS_MAX / 1000000)

struct pcapng_if {
	int dlt;
	uint32_t snaplen;
	uint64_t units; /* timestamp units per second */
	int64_t offset; /* seconds added to every timestamp */
	bool announced; /* a packet of it was handed out */
};

struct pcapng {
	FILE *fp;
	bool swap;    /* the section's byte order is not ours */
	GArray *ifs;  /* struct pcapng_if, this section's */
	GArray *dlts; /* int: every link type described in the file */
	uint8_t seen[65536 / 8]; /* bits: which of them (the field has 16) */
	uint8_t *buf;
	size_t cap;
};

static uint32_t
get32(const struct pcapng *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swap ? GUINT32_SWAP_LE_BE(v) : v;
}

static uint16_t
get16(const struct pcapng *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return r->swap ? GUINT16_SWAP_LE_BE(v) : v;
}

static uint64_t
get64(const struct pcapng *r, const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return r->swap ? GUINT64_SWAP_LE_BE(v) : v;
}

/* Read exactly n bytes; false at a short read. */
static bool
read_n(struct pcapng *r, uint8_t *p, size_t n, size_t *got)
{
	*got = fread(p, 1, n, r->fp);
	return *got == n;
}

static void
grow(struct pcapng *r, size_t n)
{
	if (n <= r->cap)
		return;
	r->buf = g_realloc(r->buf, n);
	r->cap = n;
}

/* The rest of a Section Header Block whose type was read: byte order,
 * then the block.  Starts a new section. */
static bool
read_shb(struct pcapng *r, char *err, size_t errlen)
{
	uint8_t h[8];
	uint32_t bom, len;
	size_t got;

	if (!read_n(r, h, 8, &got)) {
		g_snprintf(err, errlen, "truncated section header");
		return false;
	}
	memcpy(&bom, h + 4, 4);
	if (bom == BOM)
		r->swap = false;
	else if (bom == GUINT32_SWAP_LE_BE(BOM))
		r->swap = true;
	else {
		g_snprintf(
		    err, errlen, "bad byte-order magic in section header");
		return false;
	}
	len = get32(r, h);
	if (len < 28 || len % 4 != 0 || len > PCAPNG_BLOCK_MAX) {
		g_snprintf(err, errlen, "bad section header length %u", len);
		return false;
	}
	/* buf: the block without its type, len - 4 bytes. */
	grow(r, len);
	memcpy(r->buf, h, 8);
	if (!read_n(r, r->buf + 8, len - 12, &got)) {
		g_snprintf(err, errlen, "truncated section header");
		return false;
	}
	if (get16(r, r->buf + 8) != 1) {
		g_snprintf(err, errlen, "unsupported pcapng version %u.%u",
		    get16(r, r->buf + 8), get16(r, r->buf + 10));
		return false;
	}
	if (get32(r, r->buf + len - 8) != len) {
		g_snprintf(err, errlen, "section header lengths differ");
		return false;
	}
	g_array_set_size(r->ifs, 0);
	return true;
}

/* An Interface Description Block's body (b, n bytes). */
static bool
read_idb(struct pcapng *r, const uint8_t *b, size_t n, char *err, size_t errlen)
{
	struct pcapng_if in;
	size_t o = 8;
	uint16_t code, olen;
	unsigned i;

	if (n < 8) {
		g_snprintf(err, errlen, "interface description too short");
		return false;
	}
	if (r->ifs->len >= PCAPNG_IF_MAX) {
		g_snprintf(
		    err, errlen, "more than %d interfaces", PCAPNG_IF_MAX);
		return false;
	}
	memset(&in, 0, sizeof in);
	in.dlt = get16(r, b);
	if (in.dlt == LINKTYPE_RAW)
		in.dlt = DLT_RAW;
	in.snaplen = get32(r, b + 4);
	in.units = 1000000;
	while (o + 4 <= n) {
		code = get16(r, b + o);
		olen = get16(r, b + o + 2);
		if (code == OPT_END || o + 4 + olen > n)
			break;
		if (code == OPT_IF_TSRESOL && olen >= 1) {
			uint8_t v = b[o + 4];
			unsigned e = v & 0x7f;

			if ((v & 0x80) ? e > 63 : e > 18) {
				g_snprintf(err, errlen,
				    "unsupported time resolution 0x%02x", v);
				return false;
			}
			in.units = 1;
			for (i = 0; i < e; i++)
				in.units *= (v & 0x80) ? 2 : 10;
		} else if (code == OPT_IF_TSOFFSET && olen >= 8)
			in.offset = (int64_t)get64(r, b + o + 4);
		o += 4 + ((size_t)olen + 3) / 4 * 4;
	}
	g_array_append_val(r->ifs, in);
	code = get16(r, b);
	if (!(r->seen[code / 8] & (1u << code % 8))) {
		r->seen[code / 8] |= (uint8_t)(1u << code % 8);
		g_array_append_val(r->dlts, in.dlt);
	}
	return true;
}

/* Capture time in microseconds: t units after the epoch plus the
 * interface's offset, clamped to [PCAPNG_TS_MIN, PCAPNG_TS_MAX] (*clamped
 * set).  A hostile if_tsresol (one unit a second) or if_tsoffset (2^63
 * seconds) must not overflow: the arithmetic is unsigned and checked
 * before each step, never signed on unknown operands. */
static int64_t
to_usec(const struct pcapng_if *in, uint64_t t, bool *clamped)
{
	uint64_t s = t / in->units, f = t % in->units, neg, usec;

	/* The fraction in microseconds: exact up to a million units a
	 * second; above, f * 1000000 could wrap (units reach 2^63), so a
	 * double divides, losing nothing a microsecond shows, but it may
	 * round up to a whole second above 2^53 units. */
	if (in->units == 1000000)
		usec = f;
	else if (in->units < 1000000)
		usec = f * 1000000 / in->units;
	else
		usec = (uint64_t)((double)f * 1e6 / (double)in->units);
	if (usec > 999999)
		usec = 999999;
	*clamped = false;
	if (in->offset >= 0) {
		if (s > TS_MAX_SEC || (uint64_t)in->offset > TS_MAX_SEC - s) {
			*clamped = true;
			return PCAPNG_TS_MAX;
		}
		s += (uint64_t)in->offset;
	} else {
		/* -offset as unsigned: defined for INT64_MIN too. */
		neg = 0 - (uint64_t)in->offset;
		if (neg > s) {
			*clamped = true;
			return PCAPNG_TS_MIN;
		}
		s -= neg;
		if (s > TS_MAX_SEC) {
			*clamped = true;
			return PCAPNG_TS_MAX;
		}
	}
	return (int64_t)(s * 1000000 + usec);
}

struct pcapng *
pcapng_open(FILE *fp, char *err, size_t errlen)
{
	struct pcapng *r = g_new0(struct pcapng, 1);

	r->fp = fp;
	r->ifs = g_array_new(FALSE, TRUE, sizeof(struct pcapng_if));
	r->dlts = g_array_new(FALSE, FALSE, sizeof(int));
	if (!read_shb(r, err, errlen)) {
		pcapng_close(r);
		return NULL;
	}
	return r;
}

const int *
pcapng_linktypes(const struct pcapng *r, size_t *n)
{
	*n = r->dlts->len;
	return (const int *)(void *)r->dlts->data;
}

void
pcapng_close(struct pcapng *r)
{
	if (r == NULL)
		return;
	g_array_unref(r->ifs);
	g_array_unref(r->dlts);
	g_free(r->buf);
	g_free(r);
}

/* A packet block's interface: NULL (with err) if it names none. */
static struct pcapng_if *
packet_if(struct pcapng *r, unsigned id, char *err, size_t errlen)
{
	if (id >= r->ifs->len) {
		g_snprintf(err, errlen,
		    "packet of interface %u, which was not described", id);
		return NULL;
	}
	return &g_array_index(r->ifs, struct pcapng_if, id);
}

int
pcapng_next(struct pcapng *r, struct pcapng_packet *p, char *err, size_t errlen)
{
	uint8_t h[8];
	uint32_t type, len, id, cap;
	const uint8_t *b;
	struct pcapng_if *in;
	size_t got, n;

	for (;;) {
		if (!read_n(r, h, 4, &got)) {
			if (got == 0 && feof(r->fp))
				return 0;
			g_snprintf(err, errlen, "truncated block header");
			return -1;
		}
		memcpy(&type, h, 4);
		if (type == BT_SHB) {
			if (!read_shb(r, err, errlen))
				return -1;
			continue;
		}
		if (!read_n(r, h + 4, 4, &got)) {
			g_snprintf(err, errlen, "truncated block header");
			return -1;
		}
		type = get32(r, h);
		len = get32(r, h + 4);
		if (len < 12 || len % 4 != 0 || len > PCAPNG_BLOCK_MAX) {
			g_snprintf(err, errlen, "bad block length %u (type %u)",
			    len, type);
			return -1;
		}
		grow(r, len);
		if (!read_n(r, r->buf, len - 8, &got)) {
			g_snprintf(err, errlen,
			    "truncated block (type %u): %u bytes, %zu read",
			    type, len, got + 8);
			return -1;
		}
		if (get32(r, r->buf + len - 12) != len) {
			g_snprintf(err, errlen,
			    "block lengths differ (type %u)", type);
			return -1;
		}
		b = r->buf;
		n = len - 12; /* the body */
		memset(p, 0, sizeof *p);
		switch (type) {
		case BT_IDB:
			if (!read_idb(r, b, n, err, errlen))
				return -1;
			continue;
		case BT_EPB:
		case BT_OPB:
			if (n < 20) {
				g_snprintf(err, errlen,
				    "packet block too short (type %u)", type);
				return -1;
			}
			id = type == BT_EPB ? get32(r, b) : get16(r, b);
			if ((in = packet_if(r, id, err, errlen)) == NULL)
				return -1;
			cap = get32(r, b + 12);
			if (cap > n - 20) {
				g_snprintf(err, errlen,
				    "packet of %u bytes in a block of %zu", cap,
				    n - 20);
				return -1;
			}
			p->ifid = id;
			p->ts = to_usec(in,
			    (uint64_t)get32(r, b + 4) << 32 | get32(r, b + 8),
			    &p->ts_clamped);
			p->caplen = cap;
			p->len = get32(r, b + 16);
			p->data = b + 20;
			break;
		case BT_SPB:
			if (n < 4) {
				g_snprintf(err, errlen,
				    "simple packet block "
				    "too short");
				return -1;
			}
			if ((in = packet_if(r, 0, err, errlen)) == NULL)
				return -1;
			id = 0;
			p->len = get32(r, b);
			cap = p->len < n - 4 ? p->len : (uint32_t)(n - 4);
			if (in->snaplen > 0 && cap > in->snaplen)
				cap = in->snaplen;
			p->caplen = cap;
			p->data = b + 4;
			p->ts = 0; /* a Simple Packet Block has no time */
			break;
		default:
			continue; /* statistics, names, custom: not needed */
		}
		p->dlt = in->dlt;
		p->snaplen = in->snaplen;
		p->new_interface = !in->announced;
		in->announced = true;
		if (p->len < p->caplen)
			p->len = p->caplen;
		return 1;
	}
}
