/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcapng.h: a reader of pcapng files whose interfaces may have different
 * link types (libpcap refuses those).  Knows no pcap types: link types
 * are the numeric DLT_* values. */
#ifndef RS_PCAPNG_H
#define RS_PCAPNG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The first four bytes of a pcapng file (a Section Header Block). */
#define PCAPNG_MAGIC 0x0a0d0d0au
/* Longest block read; a longer one is called corrupt. */
#define PCAPNG_BLOCK_MAX (16u * 1024 * 1024)
/* Interfaces per section, at most. */
#define PCAPNG_IF_MAX 1024
/* Packet times, in microseconds since the epoch, lie in this range: from
 * 1970 to the last microsecond of 9999, the years a four-digit ISO 8601
 * date can show.  A time beyond it (a hostile if_tsoffset or if_tsresol)
 * is clamped to it, and the packet says so. */
#define PCAPNG_TS_MIN INT64_C(0)
#define PCAPNG_TS_MAX INT64_C(253402300799999999)

struct pcapng;

/* One packet, valid until the next call. */
struct pcapng_packet {
	unsigned ifid;	  /* interface of its section */
	int dlt;	  /* the interface's link type */
	uint32_t snaplen; /* the interface's snap length (0: none) */
	int64_t ts;	  /* microseconds since the epoch (clamped) */
	uint32_t caplen;  /* bytes captured */
	uint32_t len;	  /* bytes on the wire */
	const uint8_t *data;
	bool new_interface; /* the first packet of a new interface */
	bool ts_clamped;    /* its time was out of range and clamped */
};

/* Start reading fp, whose first four bytes (already read) were the
 * magic.  Returns NULL with a message in err when it is not a readable
 * pcapng file. */
struct pcapng *pcapng_open(FILE *fp, char *err, size_t errlen);
/* The next packet: 1, 0 at the end, -1 with a message in err for a
 * truncated or corrupt file. */
int pcapng_next(
    struct pcapng *r, struct pcapng_packet *p, char *err, size_t errlen);
/* The link types of every interface the file described so far, in all
 * its sections, each once, in the order first described; *n of them.
 * Owned by the reader, valid until the next call. */
const int *pcapng_linktypes(const struct pcapng *r, size_t *n);
/* Free the reader (not fp). */
void pcapng_close(struct pcapng *r);

#endif
