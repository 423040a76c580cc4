/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-budget.c: the memory budget charges what is really allocated, and
 * gives it all back. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "budget.h"
#include "smtp_session.h"

/* Bytes the allocator has handed out now (0 when an instrumented
 * allocator, as ASan's, does not tell). */
static size_t
heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* A session of n recipients whose lines and replies are about len bytes:
 * the finished dialogue (caller frees). */
static struct dialogue *
session(unsigned n, size_t len)
{
	struct smtp_session *ss = smtp_session_new();
	g_autofree char *pad = g_strnfill(len, 'x');
	gint64 ts = 1;
	unsigned i;

	smtp_session_push(ss, SMTP_DIR_SERVER, "220 mx ESMTP\r\n", 14, ts++);
	smtp_session_push(ss, SMTP_DIR_CLIENT, "EHLO c\r\n", 8, ts++);
	smtp_session_push(
	    ss, SMTP_DIR_SERVER, "250-mx\r\n250 PIPELINING\r\n", 24, ts++);
	smtp_session_push(
	    ss, SMTP_DIR_CLIENT, "MAIL FROM:<a@example.org>\r\n", 27, ts++);
	smtp_session_push(ss, SMTP_DIR_SERVER, "250 2.1.0 Ok\r\n", 14, ts++);
	for (i = 0; i < n; i++) {
		g_autofree char *c =
		    g_strdup_printf("RCPT TO:<u%u%s@example.net>\r\n", i, pad);
		g_autofree char *s =
		    g_strdup_printf("250 2.1.5 Ok <u%u%s>\r\n", i, pad);

		smtp_session_push(ss, SMTP_DIR_CLIENT, c, strlen(c), ts++);
		smtp_session_push(ss, SMTP_DIR_SERVER, s, strlen(s), ts++);
	}
	return smtp_session_finish(ss, ts);
}

static void
test_matches_heap(void)
{
	static const struct {
		unsigned n;
		size_t len;
	} cases[] = { { 10, 20 }, { 200, 30 }, { 200, 400 }, { 40, 3000 } };
	guint k;

	g_test_summary("a dialogue's charge is within 10% (or 1 KiB) of what "
		       "the heap grew by to hold it, and all of it is given "
		       "back");
	for (k = 0; k < G_N_ELEMENTS(cases); k++) {
		size_t before, after;
		struct dialogue *d;

		budget_init(SIZE_MAX);
		before = heap_in_use();
		d = session(cases[k].n, cases[k].len);
		after = heap_in_use();
		g_assert_cmpuint(d->items->len, ==, cases[k].n + 3);
		g_assert_false(d->frozen);
		g_assert_cmpuint(rs_budget.used[BUDGET_DIALOGUES], ==, d->mem);
		g_assert_cmpuint(rs_budget.used[BUDGET_MACHINES], ==, 0);
		if (before > 0 && after > before) {
			double real = (double)(after - before);

			double slack = MAX(real * 0.1, 1024);

			g_test_message("case %u: charged %zu, heap grew %zu", k,
			    d->mem, after - before);
			if (d->mem < real - slack || d->mem > real + slack)
				g_error("case %u: charged %zu, heap grew %zu",
				    k, d->mem, after - before);
		}
		dialogue_free(d);
		g_assert_cmpuint(rs_budget.total, ==, 0);
	}
}

static void
test_per_session_limit(void)
{
	struct dialogue *d;

	g_test_summary("a dialogue stops recording at DLG_MAX_BYTES of real "
		       "allocations, and says so");
	budget_init(SIZE_MAX);
	d = session(3000, 300);
	g_assert_true(d->frozen);
	g_assert_cmpuint(d->mem, <=, DLG_MAX_BYTES + 8192);
	g_assert_cmpuint(d->mem, >=, DLG_MAX_BYTES - 8192);
	g_assert_cmpuint(d->rcpt_total, ==, 3000);
	g_assert_cmpuint(d->anomalies[ANOMALY_RECORD_TRUNCATED], ==, 1);
	dialogue_free(d);
	g_assert_cmpuint(rs_budget.total, ==, 0);
}

static void
test_machine(void)
{
	struct smtp_session *ss;
	g_autofree char *part = g_strnfill(3000, 'y');

	g_test_summary("what a machine holds (a partial line, held bytes) is "
		       "charged while it holds it");
	budget_init(SIZE_MAX);
	ss = smtp_session_new();
	smtp_session_push(ss, SMTP_DIR_SERVER, "220 mx\r\n", 8, 1);
	smtp_session_push(ss, SMTP_DIR_CLIENT, "EHLO c\r\n", 8, 2);
	smtp_session_push(ss, SMTP_DIR_SERVER, "250 mx\r\n", 8, 3);
	smtp_session_push(ss, SMTP_DIR_CLIENT, "NOOP ", 5, 4);
	smtp_session_push(ss, SMTP_DIR_CLIENT, part, strlen(part), 4);
	g_assert_cmpuint(rs_budget.used[BUDGET_MACHINES], >=, 4096);
	smtp_session_push(ss, SMTP_DIR_CLIENT, "\r\n", 2, 5);
	smtp_session_push(ss, SMTP_DIR_SERVER, "250 ok\r\n", 8, 6);
	smtp_session_push(ss, SMTP_DIR_CLIENT, "DATA\r\n", 6, 7);
	/* DATA's reply is awaited: what follows is held. */
	smtp_session_push(ss, SMTP_DIR_CLIENT, part, strlen(part), 8);
	g_assert_cmpuint(rs_budget.used[BUDGET_MACHINES], >=, 4096);
	smtp_session_push(ss, SMTP_DIR_SERVER, "354 go\r\n", 8, 9);
	g_assert_cmpuint(rs_budget.used[BUDGET_MACHINES], <, 1024);
	smtp_session_free(ss);
	g_assert_cmpuint(rs_budget.total, ==, 0);
}

static void
test_array_size(void)
{
	g_test_summary("the pointer blocks of GPtrArray, as malloc sizes them");
	g_assert_cmpuint(budget_array_size(0), ==, 0);
	g_assert_cmpuint(budget_array_size(1), ==, 32);
	g_assert_cmpuint(budget_array_size(2), ==, 32);
	g_assert_cmpuint(budget_array_size(3), ==, 48);
	g_assert_cmpuint(budget_array_size(5), ==, 80);
	g_assert_cmpuint(budget_array_size(1000), ==, 8208);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/budget/matches-heap", test_matches_heap);
	g_test_add_func("/budget/per-session-limit", test_per_session_limit);
	g_test_add_func("/budget/machine", test_machine);
	g_test_add_func("/budget/array-size", test_array_size);
	return g_test_run();
}
