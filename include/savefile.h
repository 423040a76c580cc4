/* SPDX-License-Identifier: GPL-2.0-or-later */
/* savefile.h: -w FILE, the packets of the selected sessions written to a
 * capture file, tcpdump's habit and the hand-off to Wireshark
 * (docs/output-format.md, "Packets (-w FILE)").
 *
 * Nothing is kept while the input is analysed but each written session's
 * connection (its addresses and ports) and time span.  At the end the
 * input is read again (capture_again()) and every frame of those
 * connections within those spans is written whole, link layer and
 * tunnels included, with its own time, and so is every DNS answer of the
 * capture that their judgements rest on (the EHLO check's, the
 * recipients' MX and A), so that the file read again is judged alike.
 * What cannot be read twice is
 * kept in an unlinked temporary file as it is read: standard input when
 * it is no regular file, and the frames of a live capture. */
#ifndef RS_SAVEFILE_H
#define RS_SAVEFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

#include "capture.h"
#include "dialogue.h"

/* Sessions whose packets one run writes, at most: past that, the rest of
 * the selected sessions are counted as not written (about 150 bytes of
 * memory each, charged to the --max-memory budget as BUDGET_WRITE). */
#define SAVEFILE_SESSIONS_MAX 1000000
/* After a session's last packet, the frames of its connection for this
 * long are still its own (FIN and RST retransmissions, the last ACKs)
 * unless another session on the same addresses and ports starts: the
 * 2 MSL of TCP's TIME-WAIT. */
#define SAVEFILE_TAIL (60 * G_USEC_PER_SEC)

/* DNS answers of the capture written, at most (their times are kept). */
#define SAVEFILE_DNS_MAX 1000000

/* Before a session's start, its connection's frames for this long are
 * its own too (the SYNs retransmitted before the one it starts at),
 * unless they are the tail of the session before it. */
#define SAVEFILE_HEAD (30 * G_USEC_PER_SEC)

struct savefile;

struct savefile_totals {
	const char *format;	 /* "pcap" or "pcapng"; NULL before writing */
	uint64_t packets, bytes; /* frames written, their captured bytes */
	uint64_t sessions;	 /* sessions whose packets were looked for */
	uint64_t sessions_over;	 /* selected but past SAVEFILE_SESSIONS_MAX */
};

/* Make ready to write to path ("-": standard output) the packets of
 * o->files, or of the live capture o->iface: every input is opened again
 * now, while privileges last, and standard input is copied to a
 * temporary file if it cannot be read twice.  path is opened (not
 * emptied until the end of the run) and refused if it is one of the
 * inputs.  NULL with *error set ("-w FILE: problem"). */
struct savefile *savefile_new(
    const char *path, const struct capture_opts *o, GError **error);
/* Live capture: where capture_run() keeps the frames (capture_opts.spool);
 * NULL otherwise. */
FILE *savefile_spool(struct savefile *sf);
/* A judged session: to be written if selected; one not selected bounds
 * the span of a written session on the same connection. */
void savefile_session(
    struct savefile *sf, const struct dialogue *d, bool selected);
/* Read the input again (its first frames frames, as the analysis did)
 * and write the file.  FALSE with *error set if it could not be written
 * to its end. */
gboolean savefile_write(struct savefile *sf, const struct capture_opts *o,
    uint64_t frames, GError **error);
/* The run read nothing (a bad filter, an unreadable first input): FILE
 * is left as it was, and removed if the run made it. */
void savefile_abandon(struct savefile *sf);
void savefile_get_totals(const struct savefile *sf, struct savefile_totals *t);
/* Is the file standard output (so the report is not)? */
bool savefile_is_stdout(const struct savefile *sf);
void savefile_free(struct savefile *sf);

#endif
