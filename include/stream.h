/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stream.h: TCP reassembly of SMTP connections (libnids), one
 * smtp_session per connection, and a dialogue out when each one ends. */
#ifndef RS_STREAM_H
#define RS_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "dialogue.h"
#include "dns.h"
#include "output.h"

struct extract_opts;

/* Called once per finished session; the callee owns the dialogue. */
typedef void (*stream_emit_fn)(struct dialogue *d, void *arg);

struct stream_opts {
	const uint8_t *ports;	  /* 65536-entry map: 1 = an SMTP server port */
	bool verify_checksums;	  /* let libnids drop bad checksums */
	bool detect;		  /* connections on other ports are SMTP if
				   * their first bytes say so (detect.h) */
	int max_streams;	  /* libnids n_tcp_streams (established
				   * streams: handshakes wait apart) */
	struct dns_store *dns;	  /* DNS answers (UDP port 53) go here */
	const char *keep_body_id; /* sessions whose id starts so keep their
				   * message bodies (replay), or NULL */
	const struct extract_opts *extract; /* --extract (extract.h), or
					     * NULL */
	/* With the emit callback's arg, or NULL: a session began (its
	 * dialogue, borrowed, grows until it is emitted); the capture's
	 * clock reached ts (never backwards). */
	void (*start)(const struct dialogue *d, void *arg);
	void (*tick)(gint64 ts, void *arg);
	/* With the same arg, or NULL: the memory budget is passed (checked
	 * before each packet, never inside libnids): shed what the caller
	 * holds.  The stream layer then frees idle reassembly buffers and
	 * cuts the largest open sessions in two if the total is still above
	 * the low-water mark (docs/architecture.md, "Memory"). */
	void (*pressure)(void *arg);
	/* -j N (docs/architecture.md, "Parallel runs"): this process
	 * reassembles only the TCP connections (and IPv4 fragments) whose
	 * address pair hashes to shard, of shards; it still reads every
	 * packet, so its clock and libnids' timeouts move as with one
	 * process.  DNS answers over UDP are read by shard 0 alone.  shards
	 * 0 or 1: everything, as without -j. */
	unsigned shard, shards;
	/* With the same arg, or NULL: a DNS message (answers for querier)
	 * is handed to the caller instead of going to dns. */
	void (*dns_message)(const uint8_t *msg, size_t len, gint64 ts,
	    const char *querier, void *arg);
	/* With the same arg, or NULL: the packet just read reached d's
	 * session (borrowed; it may have changed). */
	void (*touched)(const struct dialogue *d, void *arg);
	/* With the same arg, or NULL: a packet of the input is about to be
	 * read (every one, unlike tick: a worker says how far it got). */
	void (*packet)(void *arg);
};

/* Where in the input a callback is called from, for merging what
 * several processes report in the order one process would (jobs.c):
 * the packet (1, 2, ... of the whole input; STREAM_POS_END after it),
 * the step of its reading, and for the steps several processes share,
 * a key that orders them. */
enum stream_phase {
	STREAM_PHASE_CLOCK,	/* before the packet: the budget, the tick */
	STREAM_PHASE_BEFORE,	/* the packet layer, before libnids */
	STREAM_PHASE_TIMEOUTS,	/* libnids' closing timeouts (key: the
				 * session's last packet time) */
	STREAM_PHASE_NIDS,	/* libnids, and the packet layer after it */
	STREAM_PHASE_END_START, /* the end: connections the detection lets
				 * in (key: the packet that opened them) */
	STREAM_PHASE_END,	/* the end: the rest */
};
#define STREAM_POS_END UINT64_MAX
struct stream_pos {
	uint64_t pkt;
	enum stream_phase phase;
	uint64_t key;
};
/* The position now. */
void stream_position(struct stream_pos *p);

/* Set up libnids on a dead DLT_RAW handle (it never opens anything
 * itself).  Statistics are added to *stats. */
gboolean stream_init(const struct stream_opts *o, struct run_stats *stats,
    stream_emit_fn emit, void *arg, GError **error);
/* Feed one IPv4 packet (header first, len bytes captured) with its capture
 * time in microseconds.  A fragment of TCP is kept until its datagram is
 * whole, which is then handed on as one packet (docs/internals/stream.md).
 * Returns false if it was neither handed to libnids nor kept. */
bool stream_feed_ipv4(const uint8_t *pkt, size_t len, gint64 ts);
/* Feed one IPv6 packet.  TCP (after any extension headers) is handed to
 * libnids with each IPv6 address mapped to a synthetic IPv4 address in
 * 240.0.0.0/4 (references/libnids.md §12.3), and mapped back in the
 * records; DNS answers go to the DNS store.  Fragments are counted, not
 * reassembled.  Returns false if nothing was handed on. */
bool stream_feed_ipv6(const uint8_t *pkt, size_t len, gint64 ts);
/* End of input: every open session ends ("capture-ended") and is
 * emitted, all of them in the order they started (never in libnids'
 * table order, which depends on which connections a process holds). */
void stream_finish(void);

#endif
