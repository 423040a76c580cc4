/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linebuf.h: bounded CRLF/LF line framer; lines are handed out as views. */
#ifndef RS_LINEBUF_H
#define RS_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>

/* A view of bytes owned by someone else; never NUL-terminated. */
struct strview {
	const char *p;
	size_t len;
};

/* Flags of one framed line. */
#define LINE_BARE_LF 0x01      /* ended by LF without CR */
#define LINE_TOO_LONG 0x02     /* cut at the limit; the rest was skipped */
#define LINE_UNTERMINATED 0x04 /* no line end at all (flushed at the end) */
#define LINE_HAS_NUL 0x08      /* contains a NUL byte */

/* Longest line kept (without its line end).  RFC 5321 §4.5.3.1 allows 512
 * for commands and replies and 1000 for text lines; real clients send long
 * AUTH tokens and EHLO replies, so we keep 4 KiB and cut beyond. */
#define LINEBUF_MAX 4096

struct linebuf {
	char *buf;	 /* partial line, allocated while one is held */
	size_t cap;	 /* its size */
	size_t len;	 /* bytes in buf */
	bool discarding; /* skipping the rest of a cut line */
};

/* Zero a line buffer (no allocation happens until a line is split). */
void linebuf_init(struct linebuf *lb);
/* Free what the buffer holds. */
void linebuf_clear(struct linebuf *lb);
/* Take the next line from data and len, consuming the bytes it uses.  Returns
 * true and fills *line (without the line end) and *flags when a line is
 * complete; false when all input was consumed into the partial buffer.  The
 * view is valid until the next call. */
bool linebuf_next(struct linebuf *lb, const char **data, size_t *len,
    struct strview *line, unsigned *flags);
/* At the end of a stream: hand out a partial line, if any, flagged
 * LINE_UNTERMINATED.  Returns false when there is none. */
bool linebuf_flush(struct linebuf *lb, struct strview *line, unsigned *flags);
/* Bytes currently held as a partial line. */
size_t linebuf_pending(const struct linebuf *lb);
/* The partial line held so far (a view into the buffer, valid until the
 * next call); empty when none. */
struct strview linebuf_partial(const struct linebuf *lb);
/* Is a line in progress: a partial one held, or the rest of a cut one
 * being skipped? */
bool linebuf_in_line(const struct linebuf *lb);
/* The line in progress ends here although no line end came (the peer
 * left it out): hand out what is held, as linebuf_flush() does, and stop
 * skipping the rest of a cut line.  Returns false when nothing is held. */
bool linebuf_break(struct linebuf *lb, struct strview *line, unsigned *flags);

#endif
