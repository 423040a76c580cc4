/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-smtp-cmd.c: verbs, paths, ESMTP parameters, BDAT. */
#include <string.h>

#include <glib.h>

#include "smtp_cmd.h"

static void
parse(const char *line, struct smtp_cmd *c)
{
	struct strview v = { line, strlen(line) };

	smtp_cmd_parse(v, c);
}

static void
assert_view(struct strview v, const char *want)
{
	g_assert_cmpmem(v.p, v.len, want, strlen(want));
}

static void
test_verbs(void)
{
	struct smtp_cmd c;

	g_test_summary("verbs are case-insensitive; lookalikes are unknown");
	parse("ehlo client.example.org", &c);
	g_assert_cmpint(c.id, ==, SMTP_CMD_EHLO);
	assert_view(c.arg, "client.example.org");
	parse("RSETX", &c);
	g_assert_cmpint(c.id, ==, SMTP_CMD_UNKNOWN);
	parse("GET / HTTP/1.1", &c);
	g_assert_cmpint(c.id, ==, SMTP_CMD_UNKNOWN);
	parse("EHLO", &c);
	g_assert_true(c.syntax_error);
	parse("QUIT", &c);
	g_assert_cmpint(c.id, ==, SMTP_CMD_QUIT);
	g_assert_false(c.syntax_error);
}

static void
test_mail_from(void)
{
	struct smtp_cmd c;

	g_test_summary("MAIL FROM paths, null sender, ESMTP parameters");
	parse("MAIL FROM:<a@example.org> SIZE=123 BODY=8BITMIME", &c);
	g_assert_cmpint(c.id, ==, SMTP_CMD_MAIL);
	assert_view(c.path, "a@example.org");
	assert_view(c.params, "SIZE=123 BODY=8BITMIME");
	g_assert_true(c.path_bracketed);
	parse("MAIL FROM:<>", &c);
	assert_view(c.path, "");
	g_assert_false(c.syntax_error);
	parse("mail from: <b@example.org>", &c);
	assert_view(c.path, "b@example.org");
	parse("MAIL FROM:c@example.org", &c);
	assert_view(c.path, "c@example.org");
	g_assert_false(c.path_bracketed);
	parse("MAIL TO:<x@example.org>", &c);
	g_assert_true(c.syntax_error);
	parse("MAIL FROM:<unclosed@example.org", &c);
	g_assert_true(c.syntax_error);
}

static void
test_rcpt_quoted(void)
{
	struct smtp_cmd c;

	g_test_summary("quoted local parts may hold > and @");
	parse("RCPT TO:<\"to@domain>\"@example.com> NOTIFY=NEVER", &c);
	g_assert_cmpint(c.id, ==, SMTP_CMD_RCPT);
	assert_view(c.path, "\"to@domain>\"@example.com");
	assert_view(c.params, "NOTIFY=NEVER");
	parse("RCPT TO:<@example.com:u@example.org>", &c);
	assert_view(c.path, "@example.com:u@example.org");
}

static void
test_bdat(void)
{
	struct smtp_cmd c;

	g_test_summary("BDAT size [LAST] (RFC 3030)");
	parse("BDAT 1234", &c);
	g_assert_cmpuint(c.bdat_size, ==, 1234);
	g_assert_false(c.bdat_last);
	parse("bdat 0 last", &c);
	g_assert_cmpuint(c.bdat_size, ==, 0);
	g_assert_true(c.bdat_last);
	g_assert_false(c.syntax_error);
	parse("BDAT -1", &c);
	g_assert_true(c.syntax_error);
	parse("BDAT 12 FIRST", &c);
	g_assert_true(c.syntax_error);
	parse("BDAT 9999999999999999999999", &c);
	g_assert_true(c.syntax_error);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/smtp/cmd/verbs", test_verbs);
	g_test_add_func("/smtp/cmd/mail-from", test_mail_from);
	g_test_add_func("/smtp/cmd/rcpt-quoted", test_rcpt_quoted);
	g_test_add_func("/smtp/cmd/bdat", test_bdat);
	return g_test_run();
}
