/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jobs.h: -j N.  The input is read by N worker processes (libnids is one
 * global state per process), each reassembling the connections of its
 * shard (stream.h); they do not judge or write: they report what their
 * stream layer did, tagged with where in the input it happened, and this
 * process merges the reports in the order one process would have made
 * them and hands them to the same callbacks (docs/architecture.md,
 * "Parallel runs"). */
#ifndef RS_JOBS_H
#define RS_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "capture.h"
#include "dialogue.h"
#include "output.h"
#include "stream.h"

/* Workers at most. */
#define JOBS_MAX 64

struct jobs_opts {
	unsigned n; /* workers, 2 .. JOBS_MAX */
	const struct capture_opts *capture;
	const struct stream_opts *stream; /* ports, options; its callbacks
					   * are the workers' own */
	size_t worker_budget;		  /* each worker's --max-memory */
	int verbosity;
};

/* What the merged reports go to: what stream_init() and its options
 * take in a single process.  start's dialogue is this process's image
 * of the open session (id, endpoints, and what onward.h reads of its
 * transactions, kept up to date); emit's is the same pointer, now the
 * whole finished dialogue, owned by the callee. */
struct jobs_sink {
	void (*start)(const struct dialogue *d, void *arg);
	void (*emit)(struct dialogue *d, void *arg);
	void (*tick)(gint64 ts, void *arg);
	void (*dns_message)(const uint8_t *msg, size_t len, gint64 ts,
	    const char *querier, void *arg);
	void *arg;
};

/* Read the input with o->n workers and merge their reports into sink.
 * Statistics of the capture and of the stream layers are added to
 * *stats, the workers' shedding to *shed.  Returns FALSE with *error
 * set as capture_run() does (every worker reads the same input and
 * meets the same error; the first worker's message is given), or when
 * a worker could not be started or ended abnormally: what was merged
 * before stays analysed. */
gboolean jobs_run(const struct jobs_opts *o, const struct jobs_sink *sink,
    struct run_stats *stats, struct budget *shed, GError **error);
/* Ask running workers to stop reading (async-signal-safe): they end
 * their sessions and report them as at the end of the input. */
void jobs_stop(void);

#endif
