/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jsonw.c: the streaming JSON writer (jsonw.h).  It writes what json-glib's
 * generator wrote for the same calls (compact, members in call order,
 * control characters as \b \t \n \f \r or \u00xx), so records kept their
 * bytes when the node trees went; unlike json-glib 1.6 it also escapes
 * 0x1f, which RFC 8259 forbids raw. */
#include <string.h>

#include "jsonw.h"

/* Byte classes for jw_escape(): printable ASCII that stands for itself,
 * bytes that need an escape, and bytes of multi-byte UTF-8. */
enum { C_SAFE, C_ESC, C_HIGH };

static inline int
cls(unsigned char c)
{
	if (c >= 0x80)
		return C_HIGH;
	if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f)
		return C_ESC;
	return C_SAFE;
}

static void
escape_one(GString *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char u[6] = { '\\', 'u', '0', '0', 0, 0 };

	switch (c) {
	case '"':
		g_string_append_len(out, "\\\"", 2);
		return;
	case '\\':
		g_string_append_len(out, "\\\\", 2);
		return;
	case '\b':
		g_string_append_len(out, "\\b", 2);
		return;
	case '\t':
		g_string_append_len(out, "\\t", 2);
		return;
	case '\n':
		g_string_append_len(out, "\\n", 2);
		return;
	case '\f':
		g_string_append_len(out, "\\f", 2);
		return;
	case '\r':
		g_string_append_len(out, "\\r", 2);
		return;
	case 0:
		/* NUL stands for itself nowhere: U+FFFD, as for bad UTF-8. */
		g_string_append_len(out, "\xef\xbf\xbd", 3);
		return;
	default:
		u[4] = hex[c >> 4];
		u[5] = hex[c & 0xf];
		g_string_append_len(out, u, 6);
		return;
	}
}

void
jw_escape(GString *out, const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, j;

	while (i < len) {
		switch (cls(s[i])) {
		case C_SAFE:
			for (j = i + 1; j < len && cls(s[j]) == C_SAFE; j++)
				;
			g_string_append_len(out, p + i, (gssize)(j - i));
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
					g_string_append_len(
					    out, p + i, (gssize)(j - i));
					break;
				}
				g_string_append_len(out, p + i, bad - (p + i));
				g_string_append_len(out, "\xef\xbf\xbd", 3);
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
		g_string_append_c(w->out, ',');
	w->more |= 1;
	if (key != NULL) {
		g_string_append_c(w->out, '"');
		jw_escape(w->out, key, strlen(key));
		g_string_append_len(w->out, "\":", 2);
	}
}

static void
open_container(struct jsonw *w, const char *key, char c)
{
	g_assert(w->depth < JW_MAX_DEPTH);
	if (w->depth > 0)
		jw_key(w, key);
	g_string_append_c(w->out, c);
	w->depth++;
	w->more <<= 1;
}

static void
close_container(struct jsonw *w, char c)
{
	g_assert(w->depth > 0);
	g_string_append_c(w->out, c);
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
	g_string_append_c(w->out, '"');
	jw_escape(w->out, p, len);
	g_string_append_c(w->out, '"');
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
	char buf[24], *e = buf + sizeof buf, *q = e;
	/* Negate as unsigned: INT64_MIN has no positive counterpart. */
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--q = '-';
	jw_key(w, key);
	g_string_append_len(w->out, q, e - q);
}

void
jw_bool(struct jsonw *w, const char *key, bool v)
{
	jw_key(w, key);
	if (v)
		g_string_append_len(w->out, "true", 4);
	else
		g_string_append_len(w->out, "false", 5);
}

void
jw_null(struct jsonw *w, const char *key)
{
	jw_key(w, key);
	g_string_append_len(w->out, "null", 4);
}
