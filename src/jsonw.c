/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jsonw.c: the streaming JSON writer (jsonw.h).  It writes what json-glib's
 * generator wrote for the same calls (compact, members in call order,
 * control characters as \b \t \n \f \r or \u00xx), so records kept their
 * bytes when the node trees went; unlike json-glib 1.6 it also escapes
 * 0x1f, which RFC 8259 forbids raw. */
#include <string.h>

#include "gstr.h"
#include "jsonw.h"

/* Byte classes for jw_escape(): printable ASCII that stands for itself,
 * bytes that need an escape, and bytes of multi-byte UTF-8. */
enum { C_SAFE, C_ESC, C_HIGH };

static unsigned char cls_table[256];

static inline int
cls(unsigned char c)
{
	return cls_table[c];
}

static void
cls_init(void)
{
	int c;

	for (c = 0; c < 256; c++)
		cls_table[c] = c >= 0x80 ? C_HIGH
			       : c < 0x20 || c == '"' || c == '\\' || c == 0x7f
				   ? C_ESC
				   : C_SAFE;
}

static void
escape_one(GString *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char u[6] = { '\\', 'u', '0', '0', 0, 0 };

	switch (c) {
	case '"':
		gs_put(out, "\\\"", 2);
		return;
	case '\\':
		gs_put(out, "\\\\", 2);
		return;
	case '\b':
		gs_put(out, "\\b", 2);
		return;
	case '\t':
		gs_put(out, "\\t", 2);
		return;
	case '\n':
		gs_put(out, "\\n", 2);
		return;
	case '\f':
		gs_put(out, "\\f", 2);
		return;
	case '\r':
		gs_put(out, "\\r", 2);
		return;
	case 0:
		/* NUL stands for itself nowhere: U+FFFD, as for bad UTF-8. */
		gs_put(out, "\xef\xbf\xbd", 3);
		return;
	default:
		u[4] = hex[c >> 4];
		u[5] = hex[c & 0xf];
		gs_put(out, u, 6);
		return;
	}
}

void
jw_escape(GString *out, const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, j;

	if (G_UNLIKELY(cls_table['"'] != C_ESC))
		cls_init();

	while (i < len) {
		switch (cls(s[i])) {
		case C_SAFE:
			for (j = i + 1; j < len && cls(s[j]) == C_SAFE; j++)
				;
			gs_put(out, p + i, j - i);
			i = j;
			break;
		case C_ESC:
			escape_one(out, s[i++]);
			break;
		default: {
			/* A run of bytes >= 0x80: every well-formed
			 * multi-byte sequence lies inside one, so
			 * validating the run alone finds the same first bad
			 * byte as validating the whole string. */
			const char *bad;

			for (j = i + 1; j < len && cls(s[j]) == C_HIGH; j++)
				;
			while (i < j) {
				if (g_utf8_validate(
					p + i, (gssize)(j - i), &bad)) {
					gs_put(out, p + i, j - i);
					break;
				}
				gs_put(out, p + i, (size_t)(bad - (p + i)));
				gs_put(out, "\xef\xbf\xbd", 3);
				i = (size_t)(bad - p) + 1;
			}
			i = j;
			break;
		}
		}
	}
}

void
jw_init(struct jsonw *w, GString *out)
{
	w->out = out;
	w->more = 0;
	w->depth = 0;
}

void
jw_key(struct jsonw *w, const char *key)
{
	if (w->more & 1)
		gs_putc(w->out, ',');
	w->more |= 1;
	if (key == NULL)
		return;
	/* Names are the program's own (jsonw.h): copied as they are. */
	gs_putc(w->out, '"');
	gs_put(w->out, key, strlen(key));
	gs_put(w->out, "\":", 2);
}

static void
open_container(struct jsonw *w, const char *key, char c)
{
	g_assert(w->depth < JW_MAX_DEPTH);
	if (w->depth > 0)
		jw_key(w, key);
	gs_putc(w->out, c);
	w->depth++;
	w->more <<= 1;
}

static void
close_container(struct jsonw *w, char c)
{
	g_assert(w->depth > 0);
	gs_putc(w->out, c);
	w->depth--;
	w->more >>= 1;
}

void
jw_object(struct jsonw *w, const char *key)
{
	open_container(w, key, '{');
}

void
jw_end_object(struct jsonw *w)
{
	close_container(w, '}');
}

void
jw_array(struct jsonw *w, const char *key)
{
	open_container(w, key, '[');
}

void
jw_end_array(struct jsonw *w)
{
	close_container(w, ']');
}

void
jw_text(struct jsonw *w, const char *key, const char *p, size_t len)
{
	jw_key(w, key);
	gs_putc(w->out, '"');
	jw_escape(w->out, p, len);
	gs_putc(w->out, '"');
}

void
jw_str(struct jsonw *w, const char *key, const char *s)
{
	if (s == NULL)
		jw_null(w, key);
	else
		jw_text(w, key, s, strlen(s));
}

void
jw_int(struct jsonw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	gs_i64(w->out, v);
}

void
jw_ms(struct jsonw *w, const char *key, int64_t usec)
{
	if (usec < 0) {
		jw_null(w, key);
		return;
	}
	jw_key(w, key);
	gs_fixed(w->out, usec, 3);
}

void
jw_bool(struct jsonw *w, const char *key, bool v)
{
	jw_key(w, key);
	if (v)
		gs_put(w->out, "true", 4);
	else
		gs_put(w->out, "false", 5);
}

void
jw_null(struct jsonw *w, const char *key)
{
	jw_key(w, key);
	gs_put(w->out, "null", 4);
}
