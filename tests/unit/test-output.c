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

/* A session record starting at usec: its "ts_start" and "ts_start_epoch"
 * members as written. */
static char *
record_start(gint64 usec)
{
	g_autoptr(dialogue_t) d = dialogue_new();
	g_autofree char *j = NULL;
	const char *p, *e;

	d->ts_start = d->ts_end = usec;
	j = output_json_session(d);
	p = strstr(j, "\"ts_start\":");
	g_assert_nonnull(p);
	e = strstr(p, ",\"ts_end\":");
	g_assert_nonnull(e);
	return g_strndup(p, (gsize)(e - p));
}

static void
test_json_epoch(void)
{
	static const struct {
		gint64 usec;
		const char *want;
	} cases[] = {
		{ G_GINT64_CONSTANT(1795395421123456),
		    "\"ts_start\":\"2026-11-23T00:57:01.123456Z\","
		    "\"ts_start_epoch\":1795395421.123456" },
		{ 0, "\"ts_start\":\"1970-01-01T00:00:00.000000Z\","
		     "\"ts_start_epoch\":0.000000" },
		{ 1, "\"ts_start\":\"1970-01-01T00:00:00.000001Z\","
		     "\"ts_start_epoch\":0.000001" },
		/* Before 1970: the RFC 3339 writer floors to the second
		 * before, the number is the same instant, negative. */
		{ -1, "\"ts_start\":\"1969-12-31T23:59:59.999999Z\","
		      "\"ts_start_epoch\":-0.000001" },
		{ -1000000, "\"ts_start\":\"1969-12-31T23:59:59.000000Z\","
			    "\"ts_start_epoch\":-1.000000" },
		{ -1500000, "\"ts_start\":\"1969-12-31T23:59:58.500000Z\","
			    "\"ts_start_epoch\":-1.500000" },
		/* 2^31 s, where a 32-bit time_t ends, and the fixture
		 * edge-time-after-2038. */
		{ G_GINT64_CONSTANT(2147483648000000),
		    "\"ts_start\":\"2038-01-19T03:14:08.000000Z\","
		    "\"ts_start_epoch\":2147483648.000000" },
		{ G_GINT64_CONSTANT(3942871260450330),
		    "\"ts_start\":\"2094-12-11T02:01:00.450330Z\","
		    "\"ts_start_epoch\":3942871260.450330" },
	};
	size_t i;

	g_test_summary("epoch seconds written exactly next to RFC 3339: "
		       "microseconds, before 1970, after 2038");
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = record_start(cases[i].usec);
		g_autoptr(dialogue_t) d = dialogue_new();
		g_autofree char *j = NULL;
		g_autofree char *ts = NULL;
		const char *epoch = strstr(cases[i].want, "_epoch\":");

		g_assert_cmpstr(got, ==, cases[i].want);
		/* "ts", Zeek's name, is the same number, just before. */
		d->ts_start = d->ts_end = cases[i].usec;
		j = output_json_session(d);
		ts = g_strdup_printf(
		    ",\"ts\":%s,\"ts_start\":", epoch + strlen("_epoch\":"));
		g_assert_nonnull(strstr(j, ts));
	}
}

static void
test_json_epoch_limits(void)
{
	g_autofree char *lo = record_start(G_MININT64);
	g_autofree char *hi = record_start(G_MAXINT64);

	g_test_summary("the ends of gint64 microseconds: no overflow");
	g_assert_true(
	    g_str_has_suffix(lo, ",\"ts_start_epoch\":-9223372036854.775808"));
	g_assert_true(
	    g_str_has_suffix(hi, ",\"ts_start_epoch\":9223372036854.775807"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/output/escape", test_escape);
	g_test_add_func("/output/json-controls", test_json_controls);
	g_test_add_func("/output/time", test_time);
	g_test_add_func("/output/json-epoch", test_json_epoch);
	g_test_add_func("/output/json-epoch-limits", test_json_epoch_limits);
	return g_test_run();
}
