/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-jsonw.c: the streaming JSON writer: escaping of every byte,
 * UTF-8 repair, nesting, numbers. */
#include <string.h>

#include <glib.h>

#include "jsonw.h"

static char *
esc(const char *p, size_t len)
{
	GString *s = g_string_new(NULL);

	jw_escape(s, p, len);
	return g_string_free(s, FALSE);
}

static void
test_ascii(void)
{
	g_autoptr(GString) want = g_string_new(NULL);
	g_autofree char *got = NULL;
	char all[128];
	int c;

	g_test_summary("every ASCII byte: escaped as json-glib did, 0x1f too");
	for (c = 0; c < 128; c++)
		all[c] = (char)c;
	got = esc(all, sizeof all);
	g_string_append(want, "\xef\xbf\xbd"); /* NUL */
	for (c = 1; c < 0x20; c++) {
		switch (c) {
		case '\b':
			g_string_append(want, "\\b");
			break;
		case '\t':
			g_string_append(want, "\\t");
			break;
		case '\n':
			g_string_append(want, "\\n");
			break;
		case '\f':
			g_string_append(want, "\\f");
			break;
		case '\r':
			g_string_append(want, "\\r");
			break;
		default:
			g_string_append_printf(want, "\\u%04x", c);
		}
	}
	for (c = 0x20; c < 0x7f; c++) {
		if (c == '"' || c == '\\')
			g_string_append_c(want, '\\');
		g_string_append_c(want, (char)c);
	}
	g_string_append(want, "\\u007f");
	g_assert_cmpstr(got, ==, want->str);
}

static void
test_utf8(void)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!" },
		{ "x\xff"
		  "y",
		    "x\xef\xbf\xbdy" },
		/* overlong '/', a surrogate, past U+10FFFF */
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf4\x90\x80\x80",
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		/* cut short by ASCII, and by the end */
		{ "\xe2\x82"
		  "a",
		    "\xef\xbf\xbd\xef\xbf\xbd"
		    "a" },
		{ "a\xe2\x82", "a\xef\xbf\xbd\xef\xbf\xbd" },
		/* a good sequence after a bad byte in the same run */
		{ "\x80\xc3\xa9", "\xef\xbf\xbd\xc3\xa9" },
	};
	guint i;

	g_test_summary("invalid UTF-8 becomes U+FFFD byte by byte, valid "
		       "sequences stay");
	for (i = 0; i < G_N_ELEMENTS(t); i++) {
		g_autofree char *got = esc(t[i].in, strlen(t[i].in));

		g_assert_cmpstr(got, ==, t[i].out);
	}
}

static void
test_nesting(void)
{
	struct jsonw w;
	g_autofree char *s = NULL;

	g_test_summary("members and elements are separated by commas at "
		       "every depth; empty containers; null for NULL");
	jw_init(&w, g_string_new(NULL));
	jw_object(&w, NULL);
	jw_str(&w, "a", "x");
	jw_array(&w, "e");
	jw_end_array(&w);
	jw_object(&w, "o");
	jw_end_object(&w);
	jw_array(&w, "l");
	jw_int(&w, NULL, 1);
	jw_object(&w, NULL);
	jw_bool(&w, "t", true);
	jw_bool(&w, "f", false);
	jw_end_object(&w);
	jw_str(&w, NULL, NULL);
	jw_end_array(&w);
	jw_null(&w, "n");
	jw_key(&w, "raw");
	g_string_append(w.out, "\"2026\"");
	jw_text(&w, "k", "a\0b", 3);
	jw_end_object(&w);
	g_assert_cmpuint(w.depth, ==, 0);
	s = g_string_free(w.out, FALSE);
	g_assert_cmpstr(s, ==,
	    "{\"a\":\"x\",\"e\":[],\"o\":{},\"l\":[1,{\"t\":true,\"f\":false},"
	    "null],\"n\":null,\"raw\":\"2026\",\"k\":\"a\xef\xbf\xbd"
	    "b\"}");
}

static void
test_int(void)
{
	struct jsonw w;
	g_autofree char *s = NULL;

	g_test_summary("integers at both ends of int64");
	jw_init(&w, g_string_new(NULL));
	jw_array(&w, NULL);
	jw_int(&w, NULL, 0);
	jw_int(&w, NULL, -7);
	jw_int(&w, NULL, G_MAXINT64);
	jw_int(&w, NULL, G_MININT64);
	jw_end_array(&w);
	s = g_string_free(w.out, FALSE);
	g_assert_cmpstr(
	    s, ==, "[0,-7,9223372036854775807,-9223372036854775808]");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/jsonw/ascii", test_ascii);
	g_test_add_func("/jsonw/utf8", test_utf8);
	g_test_add_func("/jsonw/nesting", test_nesting);
	g_test_add_func("/jsonw/int", test_int);
	return g_test_run();
}
