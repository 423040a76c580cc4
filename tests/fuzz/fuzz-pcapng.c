/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-pcapng.c: libFuzzer harness for the pcapng reader: the input is a
 * whole file, read as capture.c reads it (the four bytes of the magic
 * first, then pcapng_open() on the rest), so that real captures seed it
 * (tests/fuzz/seeds.py).  Every packet handed out must lie within the
 * block it came from, and its time within the range the reader promises.
 * make fuzz builds and runs it. */
#define _GNU_SOURCE /* fmemopen */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcapng_packet p;
	struct pcapng *r;
	char err[256];
	uint8_t head[4];
	uint32_t sum = 0, i;
	FILE *fp;

	if (size < sizeof head)
		return 0;
	fp = fmemopen((void *)data, size, "rb");
	if (fp == NULL)
		return 0;
	/* capture.c reads the magic to tell pcapng from pcap. */
	if (fread(head, 1, sizeof head, fp) != sizeof head ||
	    memcmp(head, "\n\r\r\n", 4) != 0) {
		fclose(fp);
		return 0;
	}
	r = pcapng_open(fp, err, sizeof err);
	while (r != NULL && pcapng_next(r, &p, err, sizeof err) == 1) {
		if (p.ts < PCAPNG_TS_MIN || p.ts > PCAPNG_TS_MAX)
			abort();
		for (i = 0; i < p.caplen; i++)
			sum += p.data[i]; /* ASan checks every byte */
	}
	pcapng_close(r);
	fclose(fp);
	return (int)(sum & 0);
}
