/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gstr.h: appending to a GString on the writers' hot paths.  GLib 2.74's
 * g_string_append_len() is a call that goes through g_string_insert_len()
 * for every piece; these copy in place when the bytes fit and leave the
 * growing to GLib when they do not.  Numbers are written without printf. */
#ifndef RS_GSTR_H
#define RS_GSTR_H

#include <stdint.h>
#include <string.h>

#include <glib.h>

static inline void
gs_put(GString *s, const char *p, size_t n)
{
	if (G_LIKELY(s->len + n < s->allocated_len)) {
		memcpy(s->str + s->len, p, n);
		s->len += n;
		s->str[s->len] = '\0';
	} else
		g_string_append_len(s, p, (gssize)n);
}

static inline void
gs_putc(GString *s, char c)
{
	if (G_LIKELY(s->len + 1 < s->allocated_len)) {
		s->str[s->len++] = c;
		s->str[s->len] = '\0';
	} else
		g_string_append_c(s, c);
}

static inline void
gs_puts(GString *s, const char *p)
{
	gs_put(s, p, strlen(p));
}

/* Decimal, as "%" G_GUINT64_FORMAT would write it. */
static inline void
gs_u64(GString *s, uint64_t v)
{
	char b[20], *e = b + sizeof b, *q = e;

	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	gs_put(s, q, (size_t)(e - q));
}

/* Decimal, as "%" G_GINT64_FORMAT would write it. */
static inline void
gs_i64(GString *s, int64_t v)
{
	if (v < 0) {
		gs_putc(s, '-');
		/* (negated as unsigned: INT64_MIN has no positive twin) */
		gs_u64(s, -(uint64_t)v);
	} else
		gs_u64(s, (uint64_t)v);
}

/* v / 10^digits written exactly, with digits (1-9) decimals, never
 * through a double: (1795395421123456, 6) is "1795395421.123456",
 * (-1, 6) is "-0.000001", (12345, 3) is "12.345". */
static inline void
gs_fixed(GString *s, int64_t v, int digits)
{
	uint64_t unit = 1, mag;
	char frac[10];
	int i;

	for (i = 0; i < digits; i++)
		unit *= 10;
	if (v < 0) {
		gs_putc(s, '-');
		mag = -(uint64_t)v;
	} else
		mag = (uint64_t)v;
	gs_u64(s, mag / unit);
	mag %= unit;
	frac[0] = '.';
	for (i = digits; i >= 1; i--) {
		frac[i] = (char)('0' + mag % 10);
		mag /= 10;
	}
	gs_put(s, frac, (size_t)digits + 1);
}

/* A duration in microseconds as seconds to the millisecond: "3.004 s". */
static inline void
gs_seconds(GString *s, int64_t usec)
{
	gs_fixed(s, usec / 1000, 3);
	gs_put(s, " s", 2);
}

#endif
