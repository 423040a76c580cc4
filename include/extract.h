/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extract.h: --extract DIR, each message as the server received it and
 * each attachment, into a directory (docs/output-format.md,
 * "Extraction").
 *
 * Two halves.  The SMTP machine (a worker under -j) writes what it reads
 * into files of its own in DIR, named ".rs-RUN-PID-N.tmp" (created with
 * O_EXCL, never through a link), a message dot-unstuffed with its BDAT
 * chunks joined, an attachment decoded.  The process that writes the
 * report then takes each session's files in report order: a kept one is
 * renamed to its name (a message SESSION-T.eml, an attachment its
 * SHA-256), never over a file that is there; a gap in a message is said
 * in SESSION-T.gaps.json; --extract-max counts the bytes kept; one line
 * per file goes to DIR/index.jsonl.  Nothing from the capture ever
 * becomes part of a path. */
#ifndef RS_EXTRACT_H
#define RS_EXTRACT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>

#include "dialogue.h"

/* Files one process has open at once (messages being read, and their
 * attachment being decoded); past that a message is not extracted. */
#define EXTRACT_OPEN_MAX 256

/* What the SMTP machine needs: NULL or dirfd < 0 when not extracting. */
struct extract_opts {
	int dirfd;
	uint64_t max;	   /* --extract-max: no file is written past it */
	unsigned long run; /* in every file name this run makes for itself
			    * (the first process's id), so that what is
			    * left of them at the end can be removed */
};

/* A file being written by the SMTP machine. */
struct extract_file;

/* NULL if it could not be made (EXTRACT_OPEN_MAX open, or openat()
 * failed). */
struct extract_file *extract_file_new(const struct extract_opts *o);
void extract_file_write(struct extract_file *f, const char *p, size_t n);
/* Why a file is not there (dlg_data.extract_note, mime_part's). */
enum extract_note {
	EXTRACT_NOTE_NONE,
	EXTRACT_NOTE_OVER,   /* larger than --extract-max */
	EXTRACT_NOTE_FAILED, /* it could not be written */
	EXTRACT_NOTE_BUSY,   /* EXTRACT_OPEN_MAX files were open */
	EXTRACT_NOTE_UNSEEN, /* the message's start was not captured */
	EXTRACT_NOTE_GAP,    /* bytes of it were not captured */
};

/* Closed: its name in DIR (owned by the caller), its size and SHA-256;
 * NULL (the file removed, *note says why) if it failed or went past
 * max. */
char *extract_file_close(
    struct extract_file *f, uint64_t *bytes, char sha256[65], unsigned *note);
/* Removed. */
void extract_file_abort(struct extract_file *f);
/* The file names left by the SMTP machine in a dialogue, removed (a
 * session not selected, or one the run could not finish). */
void extract_discard(const struct extract_opts *o, struct dialogue *d);

struct extractor;

/* DIR made ready for uid/gid (who will write it: the user privileges are
 * dropped to, else ourselves): made if it is not there (0750, theirs),
 * else it must be a directory (not a link to one), theirs, not writable
 * by others.  index.jsonl is opened for appending.  NULL with *error
 * ("DIR: problem") otherwise. */
struct extractor *extractor_new(
    const char *dir, uint64_t max, uid_t uid, gid_t gid, GError **error);
const struct extract_opts *extractor_opts(const struct extractor *x);
/* A selected session's files, in report order: kept or not, named, and
 * listed in index.jsonl; the dialogue records the outcome (dlg_data's
 * extract and extract_status, mime_part.extract). */
void extractor_commit(struct extractor *x, struct dialogue *d);
/* Totals for the summary; then everything is closed. */
struct extract_totals {
	uint64_t messages, attachments, bytes, skipped, failed;
};
void extractor_totals(const struct extractor *x, struct extract_totals *t);
/* FALSE with *error if index.jsonl could not be written to its end. */
gboolean extractor_free(struct extractor *x, GError **error);

#endif
