/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linebuf.c: bounded line framing for SMTP (RFC 5321 §2.3.8, §4.5.3.1).
 *
 * A line ends at LF; a CR right before it is part of the line end.  A bare
 * LF is accepted and flagged.  Lines longer than LINEBUF_MAX are cut: the
 * first LINEBUF_MAX bytes are handed out flagged LINE_TOO_LONG and the rest
 * up to the next LF is skipped (Suricata's discard_till_lf).  Memory per
 * buffer is therefore at most LINEBUF_MAX + 1 bytes, and only while a
 * partial line is held.
 */
#include <string.h>

#include <glib.h>

#include "linebuf.h"

static unsigned linebuf_scan_flags(const char *p, size_t len);

/* Room for need bytes: the buffer grows in powers of two from 64 up to
 * LINEBUF_MAX + 1, so a short partial line holds a short buffer. */
static void
linebuf_grow(struct linebuf *lb, size_t need)
{
	size_t cap = lb->cap > 0 ? lb->cap : 64;

	while (cap < need)
		cap <<= 1;
	if (cap > LINEBUF_MAX + 1)
		cap = LINEBUF_MAX + 1;
	if (cap != lb->cap || lb->buf == NULL) {
		lb->buf = g_realloc(lb->buf, cap);
		lb->cap = cap;
	}
}

void
linebuf_init(struct linebuf *lb)
{
	memset(lb, 0, sizeof *lb);
}

void
linebuf_clear(struct linebuf *lb)
{
	g_free(lb->buf);
	linebuf_init(lb);
}

size_t
linebuf_pending(const struct linebuf *lb)
{
	return lb->len;
}

struct strview
linebuf_partial(const struct linebuf *lb)
{
	struct strview v = { lb->buf, lb->len };

	return v;
}

bool
linebuf_in_line(const struct linebuf *lb)
{
	return lb->len > 0 || lb->discarding;
}

bool
linebuf_break(struct linebuf *lb, struct strview *line, unsigned *flags)
{
	lb->discarding = false;
	return linebuf_flush(lb, line, flags);
}

static unsigned
linebuf_scan_flags(const char *p, size_t len)
{
	return memchr(p, '\0', len) != NULL ? LINE_HAS_NUL : 0;
}

bool
linebuf_next(struct linebuf *lb, const char **data, size_t *len,
    struct strview *line, unsigned *flags)
{
	const char *p = *data, *lf;
	size_t n = *len, take, room;

	if (lb->len == 0 && lb->buf != NULL) {
		/* No partial line: give the buffer back (the view into it
		 * handed out last time is now invalid, as documented). */
		g_free(lb->buf);
		lb->buf = NULL;
		lb->cap = 0;
	}
	while (n > 0) {
		lf = memchr(p, '\n', n);
		if (lb->discarding) {
			if (lf == NULL) {
				*data = p + n;
				*len = 0;
				return false;
			}
			n -= (size_t)(lf + 1 - p);
			p = lf + 1;
			lb->discarding = false;
			continue;
		}
		if (lf != NULL && lb->len == 0) {
			/* Fast path: the whole line is in the input. */
			take = (size_t)(lf - p);
			*flags = 0;
			if (take > LINEBUF_MAX + 1) {
				/* Same outcome as the buffered path: the
				 * line end of a cut line is not judged. */
				take = LINEBUF_MAX;
				*flags |= LINE_TOO_LONG;
			} else {
				if (take > 0 && p[take - 1] == '\r')
					take--;
				else
					*flags |= LINE_BARE_LF;
				if (take > LINEBUF_MAX) {
					take = LINEBUF_MAX;
					*flags |= LINE_TOO_LONG;
				}
			}
			line->p = p;
			line->len = take;
			*flags |= linebuf_scan_flags(p, take);
			*data = lf + 1;
			*len = n - (size_t)(lf + 1 - p);
			return true;
		}
		/* Append to the partial buffer, up to the limit (+1 for a
		 * trailing CR that may belong to the line end). */
		take = lf != NULL ? (size_t)(lf - p) : n;
		room = LINEBUF_MAX + 1 - lb->len;
		linebuf_grow(lb, lb->len + MIN(take, room));
		if (take > room) {
			/* Too long: hand out the first LINEBUF_MAX bytes. */
			memcpy(lb->buf + lb->len, p, room);
			p += room;
			n -= room;
			lb->len = LINEBUF_MAX;
			line->p = lb->buf;
			line->len = LINEBUF_MAX;
			*flags = LINE_TOO_LONG |
				 linebuf_scan_flags(lb->buf, LINEBUF_MAX);
			lb->len = 0;
			lb->discarding = true;
			/* The skipped part may already end in this input. */
			lf = memchr(p, '\n', n);
			if (lf != NULL) {
				n -= (size_t)(lf + 1 - p);
				p = lf + 1;
				lb->discarding = false;
			} else {
				p += n;
				n = 0;
			}
			*data = p;
			*len = n;
			return true;
		}
		memcpy(lb->buf + lb->len, p, take);
		lb->len += take;
		if (lf == NULL) {
			*data = p + n;
			*len = 0;
			return false;
		}
		*flags = 0;
		if (lb->len > 0 && lb->buf[lb->len - 1] == '\r')
			lb->len--;
		else
			*flags |= LINE_BARE_LF;
		if (lb->len > LINEBUF_MAX) {
			lb->len = LINEBUF_MAX;
			*flags |= LINE_TOO_LONG;
		}
		line->p = lb->buf;
		line->len = lb->len;
		*flags |= linebuf_scan_flags(lb->buf, lb->len);
		lb->len = 0;
		*data = lf + 1;
		*len = n - (size_t)(lf + 1 - p);
		return true;
	}
	*data = p;
	*len = 0;
	return false;
}

bool
linebuf_flush(struct linebuf *lb, struct strview *line, unsigned *flags)
{
	if (lb->len == 0)
		return false;
	line->p = lb->buf;
	line->len = lb->len;
	if (line->len > LINEBUF_MAX)
		line->len = LINEBUF_MAX;
	*flags = LINE_UNTERMINATED | linebuf_scan_flags(line->p, line->len);
	lb->len = 0;
	return true;
}
