/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nids-floor.c: the benchmark's floor: bare libnids reassembly of a
 * capture file, every TCP stream collected and its data consumed, nothing
 * parsed.  relayscope cannot be faster than this on the same file; make
 * bench reports its times as ratios to it.   usage: nids-floor FILE */
#include <stdio.h>
#include <stdlib.h>

#include <nids.h>

static unsigned long long streams, bytes;

static void
on_tcp(struct tcp_stream *a, void **param)
{
	(void)param;
	switch (a->nids_state) {
	case NIDS_JUST_EST:
		a->client.collect++;
		a->server.collect++;
		streams++;
		break;
	case NIDS_DATA:
		bytes += (unsigned long long)(a->client.count_new +
					      a->server.count_new);
		break;
	default:
		break;
	}
}

int
main(int argc, char **argv)
{
	static struct nids_chksum_ctl all = { 0, 0, NIDS_DONT_CHKSUM, 0 };

	if (argc != 2) {
		fprintf(stderr, "usage: nids-floor FILE\n");
		return 2;
	}
	nids_params.filename = argv[1];
	nids_params.device = NULL;
	nids_params.n_tcp_streams = 65536;
	nids_params.scan_num_hosts = 0;
	nids_params.pcap_filter = NULL;
	if (!nids_init()) {
		fprintf(stderr, "nids-floor: %s: %s\n", argv[1], nids_errbuf);
		return 2;
	}
	nids_register_chksum_ctl(&all, 1);
	nids_register_tcp((void *)on_tcp);
	nids_run();
	nids_exit();
	printf("%llu streams, %llu bytes\n", streams, bytes);
	return 0;
}
