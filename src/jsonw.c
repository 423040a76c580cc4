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

/* g_string_append_len() without its call when the bytes fit (most do:
 * records start sized for a typical one). */
static inline void
put(GString *s, const char *p, size_t n)
{
	if (G_LIKELY(s->len + n < s->allocated_len)) {
		memcpy(s->str + s->len, p, n);
		s->len += n;
		s->str[s->len] = '\0';
	} else
		g_string_append_len(s, p, (gssize)n);
}

static inline void
put_c(GString *s, char c)
{
	if (G_LIKELY(s->len + 1 < s->allocated_len)) {
		s->str[s->len++] = c;
		s->str[s->len] = '\0';
	} else
		g_string_append_c(s, c);
}

static void
escape_one(GString *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char u[6] = { '\\', 'u', '0', '0', 0, 0 };

	switch (c) {
	case '"':
		put(out, "\\\"", 2);
		return;
	case '\\':
		put(out, "\\\\", 2);
		return;
	case '\b':
		put(out, "\\b", 2);
		return;
	case '\t':
		put(out, "\\t", 2);
		return;
	case '\n':
		put(out, "\\n", 2);
		return;
	case '\f':
		put(out, "\\f", 2);
		return;
	case '\r':
		put(out, "\\r", 2);
		return;
	case 0:
		/* NUL stands for itself nowhere: U+FFFD, as for bad UTF-8. */
		put(out, "\xef\xbf\xbd", 3);
		return;
	default:
		u[4] = hex[c >> 4];
		u[5] = hex[c & 0xf];
		put(out, u, 6);
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
			put(out, p + i, j - i);
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
					put(out, p + i, j - i);
					break;
				}
				put(out, p + i, (size_t)(bad - (p + i)));
				put(out, "\xef\xbf\xbd", 3);
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
		put_c(w->out, ',');
	w->more |= 1;
	if (key == NULL)
		return;
	/* Names are the program's own (jsonw.h): copied as they are. */
	put_c(w->out, '"');
	put(w->out, key, strlen(key));
	put(w->out, "\":", 2);
}

static void
open_container(struct jsonw *w, const char *key, char c)
{
	g_assert(w->depth < JW_MAX_DEPTH);
	if (w->depth > 0)
		jw_key(w, key);
	put_c(w->out, c);
	w->depth++;
	w->more <<= 1;
}

static void
close_container(struct jsonw *w, char c)
{
	g_assert(w->depth > 0);
	put_c(w->out, c);
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
	put_c(w->out, '"');
	jw_escape(w->out, p, len);
	put_c(w->out, '"');
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
	put(w->out, q, (size_t)(e - q));
}

void
jw_bool(struct jsonw *w, const char *key, bool v)
{
	jw_key(w, key);
	if (v)
		put(w->out, "true", 4);
	else
		put(w->out, "false", 5);
}

void
jw_null(struct jsonw *w, const char *key)
{
	jw_key(w, key);
	put(w->out, "null", 4);
}
