/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-output.c: escaping of hostile bytes, JSON text, times. */
#include <string.h>

#include <glib.h>

#include "output.h"

static void
test_escape(void)
{
	g_autoptr(GString) s = g_string_new(NULL);

	g_test_summary("wire bytes never reach a terminal raw");
	output_escape(s, "a\\b\r\n\t\033[31m\0\xff~", 14);
	g_assert_cmpstr(s->str, ==, "a\\\\b\\r\\n\\t\\x1b[31m\\x00\\xff~");
}

static void
test_json_controls(void)
{
	g_autoptr(dialogue_t) d = dialogue_new();
	struct dlg_item *it;
	g_autofree char *j = NULL;
	const char *p;

	g_test_summary("every control character in a JSON string is escaped "
		       "(json-glib 1.6 left 0x1f raw)");
	it = dlg_item_new(DLG_ITEM_SERVER_JUNK, SMTP_CMD_UNKNOWN,
	    "a\x01"
	    "b\x1f"
	    "c\x1e",
	    6, 0);
	g_assert_true(dialogue_keep(d, it));
	j = output_json_session(d);
	for (p = j; *p != '\0'; p++)
		if (*p != '\n' || p[1] != '\0')
			g_assert_cmpint((unsigned char)*p, >=, 0x20);
	g_assert_nonnull(strstr(j, "a\\u0001b\\u001fc\\u001e"));
}

static void
test_time(void)
{
	g_autoptr(GString) s = g_string_new(NULL);

	g_test_summary("RFC 3339 UTC with microseconds");
	output_time(s, G_GINT64_CONSTANT(1795395421123456));
	g_assert_cmpstr(s->str, ==, "2026-11-23T00:57:01.123456Z");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/output/escape", test_escape);
	g_test_add_func("/output/json-controls", test_json_controls);
	g_test_add_func("/output/time", test_time);
	return g_test_run();
}
