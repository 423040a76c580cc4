/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-pcapng.c: libFuzzer harness for the pcapng reader: the input is a
 * file's bytes after its magic; every packet handed out must lie within
 * the block it came from.  make fuzz builds and runs it. */
#define _GNU_SOURCE /* fmemopen */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcapng_packet p;
	struct pcapng *r;
	char err[256];
	uint32_t sum = 0, i;
	FILE *fp;

	if (size == 0)
		return 0;
	fp = fmemopen((void *)data, size, "rb");
	if (fp == NULL)
		return 0;
	r = pcapng_open(fp, err, sizeof err);
	while (r != NULL && pcapng_next(r, &p, err, sizeof err) == 1)
		for (i = 0; i < p.caplen; i++)
			sum += p.data[i]; /* ASan checks every byte */
	pcapng_close(r);
	fclose(fp);
	return (int)(sum & 0);
}
