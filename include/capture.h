/* SPDX-License-Identifier: GPL-2.0-or-later */
/* capture.h: our own packet loop over capture files or a live interface;
 * frames are stripped to IP and handed to the stream layer. */
#ifndef RS_CAPTURE_H
#define RS_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <glib.h>

#include "output.h"

struct pcap_pkthdr;

struct capture_opts {
	char **files;	      /* NULL-terminated, "-" is standard input */
	const char *iface;    /* live capture instead of files */
	const char *bpf;      /* filter expression or NULL */
	uint64_t max_packets; /* stop after this many frames; 0 = all */
	bool promisc;
	const char *user; /* -Z: the user root becomes once the input is
			   * open, or NULL: relayscope if it exists, else
			   * nobody */
	bool no_drop;	  /* --no-drop: keep root and capabilities */
	bool quiet;	  /* say nothing of the input itself (time going
			   * back, link types): -j N's workers but one */
	FILE *spool;	  /* live: every frame read is also written here,
			   * as a pcap file, for capture_again() (-w) */
};

/* A frame as a second reading of the input gives it (capture_again()). */
struct capture_frame {
	int dlt;   /* its link type (DLT_*) */
	gint64 ts; /* usec: the time the analysis was given for
		    * it (clamped, never going back) */
	const struct pcap_pkthdr *hdr; /* its record as read */
	const uint8_t *data;	       /* hdr->caplen bytes */
	/* The IP packet it carries, inside its tunnels as the analysis
	 * took it: 4, 6, or 0 (none, or undecodable). */
	int ip_version;
	const uint8_t *ip;
	size_t ip_len;
};
typedef void (*capture_frame_fn)(const struct capture_frame *f, void *arg);

/* Read every file in order as one continuous capture (or capture live
 * until a signal or max_packets).  Once the interface, or every file, is
 * open and before a packet is read, root becomes o->user and every
 * capability is dropped, for good, unless o->no_drop.  Returns FALSE with
 * *error set to a "NAME: problem" message if the input could not be read
 * to its end (or -Z names no user, or the privileges could not be
 * dropped); what was read before stays analysed. */
gboolean capture_run(
    const struct capture_opts *o, struct run_stats *stats, GError **error);
/* Become o->user and drop every capability, as capture_run() does once
 * the input is open, for a process that reads no input itself: the
 * parent of -j N once its workers have started (jobs.h).  FALSE with
 * *error set as capture_run() sets it. */
gboolean capture_drop_privileges(const struct capture_opts *o, GError **error);
/* Who the run's files are written as once privileges are dropped (the
 * user root becomes, else ourselves). */
gboolean capture_writer(
    const struct capture_opts *o, uid_t *uid, gid_t *gid, GError **error);
/* Read the inputs again, as capture_run() read them, and hand every frame
 * to fn instead of the analysis: the same frames (the first frames of
 * them, in the same order, with the same times).  fds[i] is an open
 * descriptor of o->files[i], a regular file read from its start; -1 ends
 * the reading there.  Says nothing of the input: the first reading did.
 * *read: the frames read.  FALSE with *error set if an input could not
 * be read to its end or to frames (the first reading may have stopped at
 * the same place: the caller compares *read), or a signal stopped it. */
gboolean capture_again(const struct capture_opts *o, const int *fds,
    uint64_t frames, capture_frame_fn fn, void *arg, uint64_t *read,
    GError **error);
/* Ask a running capture to stop (async-signal-safe). */
void capture_stop(void);

#endif
