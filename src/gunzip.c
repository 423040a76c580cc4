/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gunzip.c: gzip data (RFC 1952) decompressed as it is read, through
 * zlib's inflate() behind a fopencookie() stream, so that libpcap and
 * pcapng.c read a .pcap.gz or .pcapng.gz as they read the file itself.
 *
 * Why inflate() and not gzread(): gzread() reads a file descriptor, and
 * the input may be standard input whose first bytes were already read
 * (to tell gzip from pcap) into a stdio buffer; inflate() reads what we
 * hand it, so it reads the FILE the caller has.  The rules are gzread()'s
 * (zlib 1.2.13 gzread.c, gz_look): a member that ends is followed by
 * another when the next two bytes are the magic, and anything else after
 * a member is trailing garbage, ignored.  Unlike gzread(), a member cut
 * short is an error at once, not a quiet end.
 *
 * Memory is fixed: GUNZIP_IN of input, zlib's state and its 32 KiB
 * window, whatever the size of the file. */
/* fopencookie */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>
#include <zlib.h>

#include "gunzip.h"

/* Compressed bytes read at a time. */
#define GUNZIP_IN (64 * 1024)
/* inflateInit2(): a 32 KiB window, gzip wrapper only (no zlib, no raw
 * deflate: the magic said gzip). */
#define GUNZIP_WBITS (15 + 16)

enum gunzip_state {
	GUNZIP_MEMBER,	/* inside a member */
	GUNZIP_BETWEEN, /* a member ended: another, or the end? */
	GUNZIP_END,	/* nothing more to decompress */
};

struct gunzip {
	FILE *raw;
	z_stream z;
	enum gunzip_state state;
	bool eof;      /* raw has no more bytes */
	bool trailing; /* bytes after the last member were ignored */
	char err[160]; /* why it failed, or "" */
	uint8_t in[GUNZIP_IN];
};

static ssize_t gunzip_read(void *cookie, char *buf, size_t size);
static int gunzip_close(void *cookie);
static void gunzip_fill(struct gunzip *g);
static void gunzip_next_member(struct gunzip *g);

/* Read more compressed bytes behind those not yet inflated. */
static void
gunzip_fill(struct gunzip *g)
{
	size_t have = g->z.avail_in, n;

	if (have > 0 && g->z.next_in != g->in)
		memmove(g->in, g->z.next_in, have);
	n = fread(g->in + have, 1, sizeof g->in - have, g->raw);
	if (n < sizeof g->in - have) {
		/* fread() is short only at the end or on an error. */
		g->eof = true;
		if (ferror(g->raw))
			g_snprintf(g->err, sizeof g->err, "read error: %s",
			    g_strerror(errno));
	}
	g->z.next_in = g->in;
	g->z.avail_in = (uInt)(have + n);
}

/* A member ended: the next one starts at the magic, else this is the
 * end (what follows, if anything, is ignored). */
static void
gunzip_next_member(struct gunzip *g)
{
	if (g->z.avail_in < 2 && !g->eof)
		gunzip_fill(g);
	if (g->err[0] != '\0')
		return;
	if (g->z.avail_in == 0) {
		g->state = GUNZIP_END;
		return;
	}
	if (g->z.avail_in >= 2 && g->z.next_in[0] == GUNZIP_MAGIC0 &&
	    g->z.next_in[1] == GUNZIP_MAGIC1) {
		(void)inflateReset(&g->z);
		g->state = GUNZIP_MEMBER;
		return;
	}
	g->trailing = true;
	g->state = GUNZIP_END;
}

/* Fill buf with decompressed bytes: how many, 0 at the end, -1 (EIO)
 * once it failed (what came before the failure is returned first). */
static ssize_t
gunzip_read(void *cookie, char *buf, size_t size)
{
	struct gunzip *g = cookie;
	uInt want = size > UINT_MAX ? UINT_MAX : (uInt)size;
	int rc;

	g->z.next_out = (Bytef *)buf;
	g->z.avail_out = want;
	while (
	    g->z.avail_out > 0 && g->state != GUNZIP_END && g->err[0] == '\0') {
		if (g->state == GUNZIP_BETWEEN) {
			gunzip_next_member(g);
			continue;
		}
		if (g->z.avail_in == 0 && !g->eof)
			gunzip_fill(g);
		if (g->err[0] != '\0')
			break;
		rc = inflate(&g->z, Z_NO_FLUSH);
		switch (rc) {
		case Z_STREAM_END:
			g->state = GUNZIP_BETWEEN;
			break;
		case Z_OK:
			break; /* progress was made */
		case Z_BUF_ERROR:
			/* No progress: it needs input, and there is none. */
			if (g->z.avail_in == 0 && g->eof)
				g_snprintf(g->err, sizeof g->err,
				    "truncated gzip data");
			break;
		case Z_MEM_ERROR:
			g_snprintf(g->err, sizeof g->err,
			    "out of memory decompressing");
			break;
		default: /* Z_DATA_ERROR, Z_NEED_DICT (none in gzip) */
			g_snprintf(g->err, sizeof g->err,
			    "corrupt gzip data: %s",
			    g->z.msg != NULL ? g->z.msg : "bad stream");
			break;
		}
	}
	if (g->z.avail_out < want)
		return (ssize_t)(want - g->z.avail_out);
	if (g->err[0] != '\0') {
		errno = EIO;
		return -1;
	}
	return 0;
}

static int
gunzip_close(void *cookie)
{
	struct gunzip *g = cookie;
	int rc = g->raw != stdin ? fclose(g->raw) : 0;

	(void)inflateEnd(&g->z);
	g_free(g);
	return rc;
}

FILE *
gunzip_fopen(FILE *raw, struct gunzip **out)
{
	struct gunzip *g = g_new0(struct gunzip, 1);
	FILE *fp;

	g->raw = raw;
	g->state = GUNZIP_MEMBER;
	if (inflateInit2(&g->z, GUNZIP_WBITS) != Z_OK) {
		g_free(g);
		errno = ENOMEM;
		return NULL;
	}
	fp = fopencookie(g, "rb",
	    (cookie_io_functions_t){ gunzip_read, NULL, NULL, gunzip_close });
	if (fp == NULL) {
		(void)inflateEnd(&g->z);
		g_free(g);
		return NULL;
	}
	*out = g;
	return fp;
}

const char *
gunzip_error(const struct gunzip *g)
{
	return g->err[0] != '\0' ? g->err : NULL;
}

bool
gunzip_trailing(const struct gunzip *g)
{
	return g->trailing;
}
