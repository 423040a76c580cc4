/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-message.c: header fields kept by the SMTP machine, parsed: the
 * addresses, an RFC 2047 subject, the Received chain, and the header
 * against the envelope. */
#include <string.h>

#include <glib.h>

#include "message.h"
#include "smtp_session.h"

/* Feed one transaction whose message has the given header. */
static struct dialogue *
feed(const char *from, const char *rcpts, const char *header)
{
	struct smtp_session *ss = smtp_session_new();
	g_autofree char *cmds = NULL;
	g_auto(GStrv) rv = g_strsplit(rcpts, ",", -1);
	GString *c = g_string_new("EHLO c.example\r\n");
	GString *r = g_string_new("220 mx\r\n250 mx\r\n250 ok\r\n");
	guint i;

	g_string_append_printf(c, "MAIL FROM:<%s>\r\n", from);
	for (i = 0; rv[i] != NULL; i++) {
		g_string_append_printf(c, "RCPT TO:<%s>\r\n", rv[i]);
		g_string_append(r, "250 ok\r\n");
	}
	g_string_append(c, "DATA\r\n");
	g_string_append(r, "354 go\r\n");
	smtp_session_push(ss, SMTP_DIR_SERVER, "220 mx\r\n", 8, 1);
	cmds = g_string_free(c, FALSE);
	/* Replies one by one after each command, in order. */
	{
		g_auto(GStrv) cl = g_strsplit(cmds, "\r\n", -1);
		g_auto(GStrv) sl = g_strsplit(r->str, "\r\n", -1);

		for (i = 0; cl[i] != NULL && cl[i][0] != '\0'; i++) {
			g_autofree char *x = g_strconcat(cl[i], "\r\n", NULL);
			g_autofree char *y =
			    g_strconcat(sl[i + 1], "\r\n", NULL);

			smtp_session_push(ss, SMTP_DIR_CLIENT, x, strlen(x), 2);
			smtp_session_push(ss, SMTP_DIR_SERVER, y, strlen(y), 3);
		}
	}
	g_string_free(r, TRUE);
	smtp_session_push(ss, SMTP_DIR_CLIENT, header, strlen(header), 4);
	smtp_session_push(ss, SMTP_DIR_CLIENT, "\r\nbody\r\n.\r\n", 11, 5);
	smtp_session_push(ss, SMTP_DIR_SERVER, "250 ok\r\n", 8, 6);
	return smtp_session_finish(ss, 7);
}

static void
test_fields(void)
{
	g_autoptr(dialogue_t) d = feed("bounce@mail.example.org",
	    "alice@example.com,hidden@example.net",
	    "Received: from client.example.org (client.example.org\r\n"
	    " [192.0.2.1]) by mx.example.com (Postfix) with ESMTPS id 4F2A1\r\n"
	    "\tfor <alice@example.com>; Tue, 1 Dec 2026 10:00:00 +0000\r\n"
	    "Received: by client.example.org (Postfix, from userid 0)\r\n"
	    " id 1A2B3; Tue, 1 Dec 2026 09:59:59 +0000\r\n"
	    "From: =?UTF-8?B?SsO8cmdlbg==?= <juergen@example.org>\r\n"
	    "To: Alice <alice@example.com>, undisclosed-recipients:;\r\n"
	    "Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= aus\r\n"
	    " Berlin\r\n"
	    "Date: Tue, 1 Dec 2026 09:59:58 +0000\r\n"
	    "X-Mailer: Test 1.0\r\n"
	    "X-Originating-IP: [198.51.100.7]\r\n"
	    "Message-ID: <1@example.org>\r\n");
	const struct dlg_tx *tx = g_ptr_array_index(d->txs, 0);
	struct message_info *m = message_parse(tx);
	const struct message_address *a;
	const struct message_hop *h;

	g_assert_nonnull(m);
	g_assert_cmpuint(m->from->len, ==, 1);
	a = g_ptr_array_index(m->from, 0);
	g_assert_cmpstr(a->name, ==, "Jürgen");
	g_assert_cmpstr(a->address, ==, "juergen@example.org");
	g_assert_cmpuint(m->to->len, ==, 1);
	g_assert_cmpstr(m->subject, ==, "Grüße aus Berlin");
	g_assert_cmpstr(
	    m->subject_raw, ==, "=?ISO-8859-1?Q?Gr=FC=DFe?= aus Berlin");
	g_assert_cmpstr(m->user_agent, ==, "Test 1.0");
	g_assert_cmpstr(m->x_originating_ip, ==, "[198.51.100.7]");
	g_assert_cmpuint(m->received->len, ==, 2);
	h = g_ptr_array_index(m->received, 0);
	g_assert_cmpstr(
	    h->from, ==, "client.example.org (client.example.org [192.0.2.1])");
	g_assert_cmpstr(h->by, ==, "mx.example.com (Postfix)");
	g_assert_cmpstr(h->with, ==, "ESMTPS");
	g_assert_cmpstr(h->id, ==, "4F2A1");
	g_assert_cmpstr(h->for_, ==, "<alice@example.com>");
	g_assert_cmpstr(h->date, ==, "Tue, 1 Dec 2026 10:00:00 +0000");
	h = g_ptr_array_index(m->received, 1);
	g_assert_null(h->from);
	g_assert_cmpstr(h->id, ==, "1A2B3");
	/* mail.example.org sends for example.org: no mismatch; the second
	 * recipient is in no To/Cc (a Bcc). */
	g_assert_false(m->from_domain_differs);
	g_assert_cmpuint(m->not_in_header->len, ==, 1);
	g_assert_cmpstr(
	    g_ptr_array_index(m->not_in_header, 0), ==, "hidden@example.net");
	g_assert_cmpuint(m->mismatches->len, ==, 1);
	message_free(m);
}

static void
test_spoofed(void)
{
	g_autoptr(dialogue_t) d = feed("x@attacker.example", "v@example.com",
	    "From: \"PayPal\" <service@paypal.example>\r\nTo: "
	    "v@example.com\r\n");
	struct message_info *m = message_parse(g_ptr_array_index(d->txs, 0));

	g_assert_true(m->from_domain_differs);
	g_assert_cmpstr(g_ptr_array_index(m->mismatches, 0), ==,
	    "From: is in paypal.example, the envelope sender (MAIL FROM) in "
	    "attacker.example");
	message_free(m);
}

static void
test_limits(void)
{
	GString *h = g_string_new(NULL);
	struct message_info *m;
	struct dialogue *d;
	int i;

	for (i = 0; i < 100; i++)
		g_string_append_printf(h, "Received: by h%d.example; x\r\n", i);
	g_string_append(h, "Subject: ");
	for (i = 0; i < 3000; i++)
		g_string_append_c(h, 'a');
	g_string_append(h, "\r\n");
	d = feed("s@example.org", "r@example.org", h->str);
	m = message_parse(g_ptr_array_index(d->txs, 0));
	g_assert_true(m->cut);
	g_assert_cmpuint(m->received->len, ==, MESSAGE_HOPS_MAX);
	g_assert_null(m->subject); /* past DLG_HEADERS_MAX fields */
	message_free(m);
	dialogue_free(d);
	g_string_free(h, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/message/fields", test_fields);
	g_test_add_func("/message/spoofed", test_spoofed);
	g_test_add_func("/message/limits", test_limits);
	return g_test_run();
}
