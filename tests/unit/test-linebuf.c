/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-linebuf.c: line framing limits and flags. */
#include <string.h>

#include <glib.h>

#include "linebuf.h"

/* Frame all of in (fed in pieces of step bytes); return "line|flags;..." */
static char *
frame(const char *in, size_t len, size_t step)
{
	struct linebuf lb;
	GString *out = g_string_new(NULL);
	struct strview l;
	unsigned f;
	size_t i, n;

	linebuf_init(&lb);
	for (i = 0; i < len; i += step) {
		const char *p = in + i;

		n = MIN(step, len - i);
		while (linebuf_next(&lb, &p, &n, &l, &f))
			g_string_append_printf(out, "%zu:%.*s|%u;", l.len,
			    (int)MIN(l.len, 8), l.p, f);
	}
	if (linebuf_flush(&lb, &l, &f))
		g_string_append_printf(
		    out, "%zu:%.*s|%u;", l.len, (int)MIN(l.len, 8), l.p, f);
	linebuf_clear(&lb);
	return g_string_free(out, FALSE);
}

static void
check_all_steps(const char *in, size_t len, const char *want)
{
	size_t step;

	for (step = 1; step <= len; step++) {
		g_autofree char *got = frame(in, len, step);

		g_assert_cmpstr(got, ==, want);
	}
}

static void
test_crlf(void)
{
	g_test_summary("CRLF lines, a bare LF flagged, a NUL flagged");
	check_all_steps("EHLO x\r\nQUIT\n\r\na\0b\r\n", 20,
	    "6:EHLO x|0;4:QUIT|1;0:|0;3:a|8;");
}

static void
test_unterminated(void)
{
	g_test_summary("a last line without line end is flushed and flagged");
	check_all_steps("NOOP\r\nQUI", 9, "4:NOOP|0;3:QUI|4;");
}

static void
test_too_long(void)
{
	g_autofree char *in = NULL;
	g_autofree char *want = NULL;
	size_t n = LINEBUF_MAX + 100, steps[] = { 1, 7, 4096, 4097, 9000 };
	guint i;

	g_test_summary("an over-long line is cut at the limit, the rest "
		       "skipped, and framing resumes at the next line");
	in = g_malloc(n + 10);
	memset(in, 'x', n);
	memcpy(in + n, "\r\nQUIT\r\n", 8);
	want = g_strdup_printf("%d:xxxxxxxx|2;4:QUIT|0;", LINEBUF_MAX);
	for (i = 0; i < G_N_ELEMENTS(steps); i++) {
		g_autofree char *got = frame(in, n + 8, steps[i]);

		g_assert_cmpstr(got, ==, want);
	}
}

static void
test_limit_edges(void)
{
	char in[LINEBUF_MAX + 8];
	size_t step;

	g_test_summary("a line of exactly the limit is whole; one byte more "
		       "is cut, whatever the split");
	memset(in, 'y', LINEBUF_MAX);
	memcpy(in + LINEBUF_MAX, "\r\n", 2);
	for (step = 1; step < sizeof in; step += 509) {
		g_autofree char *got = frame(in, LINEBUF_MAX + 2, step);
		g_autofree char *want =
		    g_strdup_printf("%d:yyyyyyyy|0;", LINEBUF_MAX);

		g_assert_cmpstr(got, ==, want);
	}
	memset(in, 'y', LINEBUF_MAX + 1);
	memcpy(in + LINEBUF_MAX + 1, "\n", 1);
	for (step = 1; step < sizeof in; step += 509) {
		g_autofree char *got = frame(in, LINEBUF_MAX + 2, step);
		g_autofree char *want =
		    g_strdup_printf("%d:yyyyyyyy|3;", LINEBUF_MAX);

		g_assert_cmpstr(got, ==, want);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/linebuf/crlf", test_crlf);
	g_test_add_func("/linebuf/unterminated", test_unterminated);
	g_test_add_func("/linebuf/too-long", test_too_long);
	g_test_add_func("/linebuf/limit-edges", test_limit_edges);
	return g_test_run();
}
