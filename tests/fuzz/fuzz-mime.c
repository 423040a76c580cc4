/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-mime.c: libFuzzer harness for the MIME scanner (mime.h).  The
 * first byte seeds the cuts; the rest is a message, fed whole and then in
 * pieces of 1 to 64 bytes: the two records (every part's every field,
 * the URLs, the limits) must be equal, or it aborts.  make fuzz builds
 * and runs it. */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
record(const struct mime_info *m)
{
	GString *s = g_string_new(NULL);
	guint i;

	g_string_append_printf(s, "%u %u %" G_GUINT64_FORMAT " %x %d|",
	    m->entities, m->parts->len, m->urls_dropped, m->limits,
	    m->structure_lost);
	for (i = 0; i < m->parts->len; i++) {
		const struct mime_part *p = g_ptr_array_index(m->parts, i);

		g_string_append_printf(s,
		    "%u %u %u %s %s %s %s %s %" G_GUINT64_FORMAT
		    " %" G_GUINT64_FORMAT " %s %s %s %x|",
		    p->index, p->parent, p->level, p->type,
		    p->charset ? p->charset : "-",
		    p->encoding ? p->encoding : "-",
		    p->disposition ? p->disposition : "-",
		    p->filename ? p->filename : "-", p->size, p->wire_size,
		    p->md5, p->sha1, p->sha256, p->flags);
		if (p->index == 0 ||
		    (i > 0 &&
			p->index <= ((struct mime_part *)g_ptr_array_index(
					 m->parts, i - 1))
					->index))
			abort(); /* indices grow */
		if (p->filename != NULL && strlen(p->filename) > MIME_NAME_MAX)
			abort();
	}
	for (i = 0; i < m->urls->len; i++) {
		const char *u = g_ptr_array_index(m->urls, i);

		if (strlen(u) > MIME_URL_MAX)
			abort();
		g_string_append_printf(s, "%s|", u);
	}
	if (m->parts->len > MIME_PARTS_MAX || m->urls->len > MIME_URLS_MAX)
		abort();
	return g_string_free(s, FALSE);
}

static char *
scan(const uint8_t *p, size_t n, unsigned seed, bool cut)
{
	struct mime_scan *s = mime_scan_new(NULL);
	struct mime_info *m;
	size_t i = 0;
	char *r;

	while (i < n) {
		size_t k =
		    cut ? 1 + (seed = seed * 1103515245u + 12345u) % 64u : n;

		k = MIN(k, n - i);
		mime_scan_feed(s, (const char *)p + i, k, (gint64)i);
		i += k;
	}
	m = mime_scan_finish(s);
	r = record(m);
	mime_info_free(m);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *a, *b;

	if (size < 1)
		return 0;
	a = scan(data + 1, size - 1, data[0], false);
	b = scan(data + 1, size - 1, data[0], true);
	if (strcmp(a, b) != 0)
		abort();
	g_free(a);
	g_free(b);
	return 0;
}
