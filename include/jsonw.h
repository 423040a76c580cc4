/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jsonw.h: a streaming JSON writer that appends one record to a GString:
 * no node tree, no allocation of its own.  Every string value passes
 * through jw_escape(), the one place where bytes become JSON text
 * (RFC 8259 §7: valid UTF-8, '"' and '\\' escaped, every control character
 * escaped; NUL and invalid UTF-8 become U+FFFD).  Member names are the
 * program's own (field names, port numbers, names from its tables) and
 * are written as they are: never pass one taken from the wire.
 *
 * The caller nests begin/end calls as the JSON nests; members of an
 * object take a key, elements of an array take NULL.  Nesting deeper
 * than JW_MAX_DEPTH is a programming error (asserted). */
#ifndef RS_JSONW_H
#define RS_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#define JW_MAX_DEPTH 63

struct jsonw {
	GString *out;
	uint64_t more;	/* bit d: level d already has a member */
	unsigned depth; /* open containers */
};

/* Start writing into out (appended to, never cleared). */
void jw_init(struct jsonw *w, GString *out);

/* Containers.  key is the member name inside an object, NULL in an array
 * or at the top. */
void jw_object(struct jsonw *w, const char *key);
void jw_end_object(struct jsonw *w);
void jw_array(struct jsonw *w, const char *key);
void jw_end_array(struct jsonw *w);

/* Values. */
void jw_str(struct jsonw *w, const char *key, const char *s); /* or null */
void jw_text(struct jsonw *w, const char *key, const char *p, size_t len);
void jw_int(struct jsonw *w, const char *key, int64_t v);
void jw_bool(struct jsonw *w, const char *key, bool v);
void jw_null(struct jsonw *w, const char *key);
/* A duration given in microseconds as milliseconds with three decimals
 * ("12.345"); null when negative (not known). */
void jw_ms(struct jsonw *w, const char *key, int64_t usec);
/* The separator and key of a member whose value the caller appends to
 * w->out itself (it must be one valid JSON value). */
void jw_key(struct jsonw *w, const char *key);

/* Append bytes as the inside of a JSON string (no quotes). */
void jw_escape(GString *out, const char *p, size_t len);

#endif
