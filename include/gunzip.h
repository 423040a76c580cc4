/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gunzip.h: the decompressed bytes of gzip data (RFC 1952) as a stdio
 * stream, read as they are needed: a .pcap.gz or .pcapng.gz is read
 * without ever being inflated whole. */
#ifndef RS_GUNZIP_H
#define RS_GUNZIP_H

#include <stdbool.h>
#include <stdio.h>

/* The gzip magic, the first two bytes of every member. */
#define GUNZIP_MAGIC0 0x1f
#define GUNZIP_MAGIC1 0x8b

struct gunzip;

/* A read-only stream of what raw holds (from its current position, the
 * first byte of a gzip member) decompressed; NULL with errno set if it
 * could not be made (raw is then left open).  Members that follow each other
 * are one stream, as zlib's gzread() reads them; bytes after the last member
 * that do not start another are ignored, and gunzip_trailing() says so.  A
 * corrupt or truncated member makes the stream fail (a short read, ferror()),
 * after every byte decompressed before it, and gunzip_error() says why.
 * Closing the stream closes raw, unless raw is stdin.  *g is the
 * reader's state, owned by the stream: valid until it is closed. */
FILE *gunzip_fopen(FILE *raw, struct gunzip **g);
/* Why the stream failed ("truncated gzip data", "corrupt gzip data:
 * invalid block type", ...), or NULL while
 * it has not.  Owned by g. */
const char *gunzip_error(const struct gunzip *g);
/* Were bytes after the last member ignored? */
bool gunzip_trailing(const struct gunzip *g);

#endif
