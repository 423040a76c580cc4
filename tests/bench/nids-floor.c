/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nids-floor.c: the benchmark's floor: bare libnids reassembly of a
 * capture file, every TCP stream collected and its data consumed (read
 * once, for its line ends, as any line-based parser must), nothing
 * parsed.  libnids is set up as relayscope sets it up (src/stream.c:
 * checksums not verified, the same stream table, hosts and workarounds,
 * warnings counted, not sent to syslog), and reads the same file through
 * libpcap.  relayscope cannot be faster than this on the same file; make
 * bench reports its times and peak RSS as ratios to it.
 *   usage: nids-floor FILE [MAX_STREAMS]   (default 131072, relayscope's) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nids.h>

static unsigned long long streams, bytes, lines, warnings;

/* libnids' default sends every warning to syslog(3), a system call each;
 * relayscope counts them (stream_nids_warn), and so does the floor. */
static void
on_warn(int type, int err, struct ip *iph, void *data)
{
	(void)type;
	(void)err;
	(void)iph;
	(void)data;
	warnings++;
}

static void
consume(const struct half_stream *h)
{
	const char *p = h->data, *end = h->data + h->count_new, *lf;

	while (p < end && (lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p = lf + 1;
	}
	bytes += (unsigned long long)h->count_new;
}

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
		/* Not calling nids_discard(): libnids frees what was read. */
		consume(&a->client);
		consume(&a->server);
		break;
	default:
		break;
	}
}

int
main(int argc, char **argv)
{
	static struct nids_chksum_ctl all = { 0, 0, NIDS_DONT_CHKSUM, 0 };

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: nids-floor FILE [MAX_STREAMS]\n");
		return 2;
	}
	nids_params.filename = argv[1];
	nids_params.device = NULL;
	nids_params.n_tcp_streams = argc == 3 ? atoi(argv[2]) : 131072;
	nids_params.n_hosts = 1024;
	nids_params.scan_num_hosts = 0;
	nids_params.pcap_filter = NULL;
	nids_params.syslog = on_warn;
	nids_params.multiproc = 0;
	nids_params.tcp_workarounds = 1;
	if (!nids_init()) {
		fprintf(stderr, "nids-floor: %s: %s\n", argv[1], nids_errbuf);
		return 2;
	}
	nids_register_chksum_ctl(&all, 1);
	nids_register_tcp((void *)on_tcp);
	nids_run();
	nids_exit();
	printf("%llu streams, %llu bytes, %llu lines, %llu warnings\n", streams,
	    bytes, lines, warnings);
	return 0;
}
