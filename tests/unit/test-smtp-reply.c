/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-smtp-reply.c: reply lines, multi-line assembly, enhanced codes. */
#include <string.h>

#include <glib.h>

#include "smtp_reply.h"

static struct smtp_reply *
assemble(const char *const *lines)
{
	struct smtp_reply_asm a;
	struct smtp_reply_line l;
	struct smtp_reply *r = NULL;
	struct strview v;

	memset(&a, 0, sizeof a);
	for (; *lines != NULL; lines++) {
		v.p = *lines;
		v.len = strlen(*lines);
		g_assert_true(smtp_reply_line_parse(v, &l));
		g_assert_null(r);
		r = smtp_reply_asm_push(&a, &l);
	}
	smtp_reply_asm_clear(&a);
	return r;
}

static void
test_line(void)
{
	struct smtp_reply_line l;
	struct strview v;
	const char *bad[] = { "", "25", "hello", "250x", "650 ok", "2a0 x",
		"150 go" };
	guint i;

	g_test_summary("reply line grammar (RFC 5321 4.2), code-only lines");
	v.p = "250";
	v.len = 3;
	g_assert_true(smtp_reply_line_parse(v, &l));
	g_assert_cmpint(l.code, ==, 250);
	g_assert_false(l.more);
	v.p = "250-PIPELINING";
	v.len = strlen(v.p);
	g_assert_true(smtp_reply_line_parse(v, &l));
	g_assert_true(l.more);
	g_assert_cmpmem(l.text.p, l.text.len, "PIPELINING", 10);
	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		v.p = bad[i];
		v.len = strlen(bad[i]);
		g_assert_false(smtp_reply_line_parse(v, &l));
	}
}

static void
test_multiline(void)
{
	const char *lines[] = { "250-mx.example.com", "250-PIPELINING",
		"250 CHUNKING", NULL };
	const char *mixed[] = { "250-a", "251 b", NULL };
	struct smtp_reply *r;

	g_test_summary("multi-line replies join without code prefixes");
	r = assemble(lines);
	g_assert_nonnull(r);
	g_assert_cmpint(r->code, ==, 250);
	g_assert_cmpuint(r->nlines, ==, 3);
	g_assert_cmpstr(r->text, ==, "mx.example.com\nPIPELINING\nCHUNKING");
	g_assert_false(r->code_mismatch);
	smtp_reply_free(r);
	r = assemble(mixed);
	g_assert_true(r->code_mismatch);
	g_assert_cmpint(r->code, ==, 250);
	smtp_reply_free(r);
}

static void
test_enhanced(void)
{
	/* text, expected code ("" = none) */
	const char *cases[][2] = {
		{ "5.7.1 <v@example.org>: Relay access denied", "5.7.1" },
		{ "4.7.1 <v@example.org>: Relay access denied", "4.7.1" },
		{ "sorry, that domain isn't in my list of allowed rcpthosts "
		  "(#5.7.1)",
		    "5.7.1" },
		{ "#5.1.0 Address rejected", "5.1.0" },
		{ "5.7.54 SMTP; Unable to relay recipient in non-accepted "
		  "domain",
		    "5.7.54" },
		{ "5.7.64 TenantAttribution; Relay Access Denied", "5.7.64" },
		{ "relay not permitted", "" },
		{ "Invalid recipient: <x@example.org>", "" },
		{ "2.0.0 Ok: queued as 1234", "2.0.0" },
		{ "version 5.7.1.2 here", "" },
		{ "5.7.1234 too many digits", "" },
		{ "1.2.3 wrong class", "" },
	};
	char out[16];
	guint i;

	g_test_summary("enhanced codes leading, (#...) trailing, #-prefixed");
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		gboolean found = smtp_reply_find_enhanced(
		    cases[i][0], strlen(cases[i][0]), out);

		g_assert_cmpint(found, ==, cases[i][1][0] != '\0');
		g_assert_cmpstr(found ? out : "", ==, cases[i][1]);
	}
}

static void
test_enhanced_later_line(void)
{
	const char *lines[] = { "550-Our system has detected",
		"550-5.7.1 that this message is", "550 5.7.1 unsolicited",
		NULL };
	struct smtp_reply *r = assemble(lines);

	g_test_summary("an enhanced code leading a later line is found");
	g_assert_cmpstr(r->enhanced, ==, "5.7.1");
	smtp_reply_free(r);
}

static void
test_ehlo_offers(void)
{
	const char *lines[] = { "250-mx.example.org STARTTLS", "250-auth=login",
		"250-AUTH PLAIN  CRAM-MD5 ", "250-SIZE=1000", "250- 8BITMIME",
		"250 ", NULL };
	const char *refused[] = { "550-x", "550 STARTTLS", NULL };
	struct smtp_reply *r = assemble(lines), *no = assemble(refused);
	g_autoptr(GPtrArray) ext = smtp_reply_ehlo_extensions(r);

	g_test_summary("EHLO keywords: lines after the greeting line, words "
		       "split at spaces and '=', no case, no refusals");
	g_assert_cmpuint(ext->len, ==, 5);
	g_assert_cmpstr(g_ptr_array_index(ext, 2), ==, "SIZE=1000");
	g_assert_false(smtp_reply_ehlo_offers(r, "STARTTLS", NULL));
	g_assert_true(smtp_reply_ehlo_offers(r, "auth", NULL));
	g_assert_true(smtp_reply_ehlo_offers(r, "AUTH", "LOGIN"));
	g_assert_true(smtp_reply_ehlo_offers(r, "AUTH", "cram-md5"));
	g_assert_false(smtp_reply_ehlo_offers(r, "AUTH", "CRAM"));
	g_assert_true(smtp_reply_ehlo_offers(r, "SIZE", "1000"));
	g_assert_true(smtp_reply_ehlo_offers(r, "8bitmime", NULL));
	g_assert_false(smtp_reply_ehlo_offers(r, "", "x"));
	g_assert_false(smtp_reply_ehlo_offers(no, "STARTTLS", NULL));
	g_assert_false(smtp_reply_ehlo_offers(NULL, "STARTTLS", NULL));
	smtp_reply_free(r);
	smtp_reply_free(no);
}

/* Queue ids of the MTAs' acceptances (smtp_reply_queue_id). */
static void
test_queue_id(void)
{
	static const struct {
		const char *line, *id;
	} cases[] = {
		{ "250 2.0.0 Ok: queued as 901BAA72253", "901BAA72253" },
		{ "250 2.0.0 Ok: 34 bytes queued as 81618A72005",
		    "81618A72005" },
		{ "250 OK id=1xYb7N-00001q-2t", "1xYb7N-00001q-2t" },
		{ "250 2.0.0 e4874265 Message accepted for delivery",
		    "e4874265" },
		{ "250 2.0.0 x7T1abc012345 Message accepted for delivery",
		    "x7T1abc012345" },
		{ "250 2.0.0 Message accepted for delivery", NULL },
		{ "250 2.6.0 <a@x.example> [InternalId=12345, Hostname=EX1] "
		  "Queued mail for delivery",
		    "12345" },
		{ "250 2.0.0 OK  1704067200 "
		  "d9443c01a7336-1d4c9f1b0b9si12pla.12 "
		  "- gsmtp",
		    "d9443c01a7336-1d4c9f1b0b9si12pla.12" },
		{ "250 ok 1234567890 qp 4242", "4242" },
		{ "250 2.0.0 <alice@example.com> Ys9LBm5aL2aPAQAAnlDJJA Saved",
		    "Ys9LBm5aL2aPAQAAnlDJJA" },
		{ "250 2.1.5 Ok", NULL },
		{ "554 5.7.1 queued as X123", NULL },
		{ "250 queued as <script>", NULL },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *lines[] = { cases[i].line, NULL };
		struct smtp_reply *r = assemble(lines);
		char out[SMTP_QUEUE_ID_MAX + 1];
		bool got = smtp_reply_queue_id(r, out);

		g_assert_cmpint(got, ==, cases[i].id != NULL);
		if (got)
			g_assert_cmpstr(out, ==, cases[i].id);
		smtp_reply_free(r);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/smtp/reply/line", test_line);
	g_test_add_func("/smtp/reply/multiline", test_multiline);
	g_test_add_func("/smtp/reply/enhanced", test_enhanced);
	g_test_add_func(
	    "/smtp/reply/enhanced-later-line", test_enhanced_later_line);
	g_test_add_func("/smtp/reply/ehlo-offers", test_ehlo_offers);
	g_test_add_func("/smtp/reply/queue-id", test_queue_id);
	return g_test_run();
}
