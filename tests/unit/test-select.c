/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-select.c: the session selectors: values accepted and refused,
 * and which sessions they select. */
#include <string.h>

#include <glib.h>

#include "dialogue.h"
#include "relay.h"
#include "select.h"

static struct dialogue *
session(const char *id, const char *client, const char *server, uint16_t port,
    const char *from, const char *rcpt)
{
	struct dialogue *d = dialogue_new();
	struct dlg_tx *tx = dialogue_tx_new(d);
	struct dlg_rcpt *r = g_new0(struct dlg_rcpt, 1);

	g_strlcpy(d->id, id, sizeof d->id);
	g_strlcpy(d->client.ip, client, sizeof d->client.ip);
	g_strlcpy(d->server.ip, server, sizeof d->server.ip);
	d->server.port = port;
	tx->mail_from = g_strdup(from);
	r->address = g_strdup(rcpt);
	r->params = g_strdup("");
	r->item = dlg_item_new(DLG_ITEM_COMMAND, SMTP_CMD_RCPT, "RCPT", 4, 0);
	dialogue_keep(d, r->item);
	dialogue_rcpt_add(d, tx, r);
	d->findings = g_ptr_array_new_with_free_func(relay_finding_free);
	return d;
}

static gboolean
add(struct rs_select *s, const char *what, const char *v)
{
	g_autoptr(GError) e = NULL;
	gboolean ok = select_add(s, what, v, &e);

	g_assert_true(ok == (e == NULL));
	return ok;
}

static void
test_values(void)
{
	struct rs_select s;

	select_init(&s);
	g_assert_true(add(&s, "session", "3DAFB3C4"));
	g_assert_false(add(&s, "session", "xyz"));
	g_assert_false(add(&s, "session", "0123456789abcdef0"));
	g_assert_true(add(&s, "server", "192.0.2.25"));
	g_assert_true(add(&s, "server", "192.0.2.25:25"));
	g_assert_true(add(&s, "server", "[2001:db8::25]:587"));
	g_assert_true(add(&s, "server", "2001:db8::25"));
	g_assert_false(add(&s, "server", "192.0.2.25:0"));
	g_assert_false(add(&s, "server", "192.0.2.25:65536"));
	g_assert_false(add(&s, "server", "mx.example.com"));
	g_assert_false(add(&s, "server", "[2001:db8::25"));
	g_assert_true(add(&s, "finding", "open-relay"));
	g_assert_true(add(&s, "finding", "deferred"));
	g_assert_false(add(&s, "finding", "greylisting"));
	g_assert_true(add(&s, "from", "<>"));
	g_assert_false(add(&s, "rcpt", "<>"));
	select_clear(&s);
}

static void
test_match(void)
{
	g_autoptr(dialogue_t) a = session("3dafb3c41646bbdc", "192.0.2.1",
	    "2001:db8::25", 25, "Sender@Example.org", "alice@example.com");
	g_autoptr(dialogue_t) b = session("8d8cd7e656780678", "192.0.2.2",
	    "192.0.2.25", 587, "", "bob@example.com");
	struct rs_select s;

	select_init(&s);
	g_assert_true(select_match(&s, a) && select_match(&s, b));
	/* Values of one selector are alternatives... */
	g_assert_true(add(&s, "client", "192.0.2.1"));
	g_assert_true(add(&s, "client", "192.0.2.2"));
	g_assert_true(select_match(&s, a) && select_match(&s, b));
	/* ... and selectors must all hold. */
	g_assert_true(add(&s, "server", "[2001:0db8:0::25]:25"));
	g_assert_true(select_match(&s, a));
	g_assert_false(select_match(&s, b));
	select_clear(&s);

	select_init(&s);
	g_assert_true(add(&s, "from", "<>"));
	g_assert_false(select_match(&s, a));
	g_assert_true(select_match(&s, b));
	select_clear(&s);

	select_init(&s);
	g_assert_true(add(&s, "from", "sender@EXAMPLE.org"));
	g_assert_true(add(&s, "rcpt", "<ALICE@example.com>"));
	g_assert_true(select_match(&s, a));
	g_assert_false(select_match(&s, b));
	select_clear(&s);

	select_init(&s);
	g_assert_true(add(&s, "session", "8D8C"));
	g_assert_false(select_match(&s, a));
	g_assert_true(select_match(&s, b));
	select_clear(&s);

	/* --findings and --finding: by the session's findings. */
	select_init(&s);
	s.findings_only = s.any = true;
	g_assert_false(select_match(&s, a));
	g_ptr_array_add(a->findings,
	    relay_finding_new(RELAY_FINDING_EHLO_MISMATCH, "medium"));
	g_assert_true(select_match(&s, a));
	g_assert_true(add(&s, "finding", "open-relay"));
	g_assert_false(select_match(&s, a));
	g_assert_true(add(&s, "finding", "ehlo-mismatch"));
	g_assert_true(select_match(&s, a));
	select_clear(&s);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/select/values", test_values);
	g_test_add_func("/select/match", test_match);
	return g_test_run();
}
