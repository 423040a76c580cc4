/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-relay.c: the verdict table: (dialogue, policy) -> verdict. */
#include <string.h>

#include <glib.h>

#include "relay.h"
#include "smtp_session.h"

/* Run a dialogue: greeting, EHLO, optional AUTH, MAIL, one RCPT with the
 * given reply; judge it under the policy; return the recipient. */
static struct dialogue *
judged(const char *banner, const char *rcpt, const char *reply, bool auth,
    const char *client, const struct relay_config *p)
{
	struct smtp_session *ss = smtp_session_new();
	struct dialogue *d;
	g_autofree char *b = g_strdup_printf("220 %s\r\n", banner);
	g_autofree char *r = g_strdup_printf("RCPT TO:<%s>\r\n", rcpt);
	g_autofree char *rr = g_strdup_printf("%s\r\n", reply);

#define PUSH(dir, str) smtp_session_push(ss, dir, str, strlen(str), ts++)
	gint64 ts = 1;

	PUSH(SMTP_DIR_SERVER, b);
	PUSH(SMTP_DIR_CLIENT, "EHLO c.example.net\r\n");
	PUSH(SMTP_DIR_SERVER, "250 ok\r\n");
	if (auth) {
		PUSH(SMTP_DIR_CLIENT, "AUTH PLAIN AGEAYg==\r\n");
		PUSH(SMTP_DIR_SERVER, "235 2.7.0 ok\r\n");
	}
	PUSH(SMTP_DIR_CLIENT, "MAIL FROM:<s@example.net>\r\n");
	PUSH(SMTP_DIR_SERVER, "250 ok\r\n");
	PUSH(SMTP_DIR_CLIENT, r);
	PUSH(SMTP_DIR_SERVER, rr);
#undef PUSH
	d = smtp_session_finish(ss, ts);
	g_strlcpy(d->client.ip, client, sizeof d->client.ip);
	g_strlcpy(d->server.ip, "192.0.2.25", sizeof d->server.ip);
	relay_annotate(p, NULL, d);
	return d;
}

static const struct dlg_rcpt *
rcpt0(const struct dialogue *d)
{
	const struct dlg_tx *tx = g_ptr_array_index(d->txs, 0);

	return g_ptr_array_index(tx->rcpts, 0);
}

struct vcase {
	const char *banner, *rcpt, *reply;
	bool auth;
	const char *client;
	int policy; /* 0 none, 1 local example.com, 2 trusted 10/8,
		     * 3 local .example.com (with its subdomains) */
	const char *verdict;
	int local;
	const char *source;
	unsigned tricks;
};

static const struct vcase vcases[] = {
	{ "mx.example.com ESMTP", "a@example.com", "250 ok", false,
	    "203.0.113.5", 0, "local-accepted", 1, "inferred:banner", 0 },
	{ "mx.example.com ESMTP", "a@sub.example.com", "250 ok", false,
	    "203.0.113.5", 0, "local-accepted", 1, "inferred:banner", 0 },
	{ "mx.example.com ESMTP", "v@example.org", "250 ok", false,
	    "203.0.113.5", 0, "relay-accepted-open", 0, "inferred:banner", 0 },
	{ "mx.example.co.uk ESMTP", "v@other.co.uk", "250 ok", false,
	    "203.0.113.5", 0, "relay-accepted-open", 0, "inferred:banner", 0 },
	{ "mx.example.com ESMTP", "v@example.org", "250 ok", true,
	    "203.0.113.5", 0, "relay-accepted-auth", 0, "inferred:banner", 0 },
	{ "mx.example.com ESMTP", "v@example.org", "250 ok", false, "10.1.2.3",
	    2, "relay-accepted-trusted", 0, "inferred:banner", 0 },
	{ "mx.example.com ESMTP", "v@example.org",
	    "454 4.7.1 <v@example.org>: Relay access denied", false,
	    "203.0.113.5", 0, "relay-denied", 0, "inferred:banner", 0 },
	{ "mx3.example.com ESMTP OpenSMTPD", "v@example.org",
	    "550 Invalid recipient: <v@example.org>", false, "203.0.113.5", 0,
	    "relay-denied", 0, "inferred:banner", 0 },
	{ "mx3.example.com ESMTP OpenSMTPD", "nobody@example.com",
	    "550 Invalid recipient: <nobody@example.com>", false, "203.0.113.5",
	    0, "rejected-other", 1, "inferred:banner", 0 },
	{ "mx.example.com ESMTP", "v@example.org",
	    "450 4.7.1 <c>: Helo command rejected: Host not found", false,
	    "203.0.113.5", 0, "tempfail", 0, "inferred:banner", 0 },
	{ "mx.example.com ESMTP", "v%example.org@mx.example.com", "250 ok",
	    false, "203.0.113.5", 0, "relay-accepted-open", 0,
	    "inferred:banner", 0x01 },
	{ "mx.example.com ESMTP", "postmaster", "250 ok", false, "203.0.113.5",
	    0, "local-accepted", 1, "no-domain", 0 },
	{ "mx.example.com ESMTP", "a@[192.0.2.25]", "250 ok", false,
	    "203.0.113.5", 0, "local-accepted", 1, "inferred:address-literal",
	    0 },
	{ "ESMTP ready", "v@example.org", "250 ok", false, "203.0.113.5", 0,
	    "unknown", -1, NULL, 0 },
	{ "mx.example.com ESMTP", "v@example.org", "250 ok", false,
	    "203.0.113.5", 1, "relay-accepted-open", 0, "config", 0 },
	{ "mx.elsewhere.net ESMTP", "a@example.com", "250 ok", false,
	    "203.0.113.5", 1, "local-accepted", 1, "config", 0 },
	/* Subdomains are local only when the configuration says so. */
	{ "mx.example.com ESMTP", "a@sub.example.com", "250 ok", false,
	    "203.0.113.5", 1, "relay-accepted-open", 0, "config", 0 },
	{ "mx.example.com ESMTP", "a@sub.example.com", "250 ok", false,
	    "203.0.113.5", 3, "local-accepted", 1, "config", 0 },
	{ "mx.example.com ESMTP", "a@example.com", "250 ok", false,
	    "203.0.113.5", 3, "local-accepted", 1, "config", 0 },
};

static void
test_verdicts(void)
{
	struct relay_config *none = NULL, *local = NULL, *trusted = NULL;
	struct relay_config *sub = NULL;
	const struct relay_config *pol[4];
	guint i;

	g_test_summary("verdict per recipient from reply, locality, AUTH "
		       "and trusted networks; inferred locality says so");
	g_assert_true(relay_config_load(NULL, NULL, NULL, &none, NULL));
	g_assert_true(
	    relay_config_load(NULL, "Example.COM", NULL, &local, NULL));
	g_assert_true(
	    relay_config_load(NULL, NULL, "10.0.0.0/8", &trusted, NULL));
	g_assert_true(
	    relay_config_load(NULL, ".example.com", NULL, &sub, NULL));
	pol[0] = none;
	pol[1] = local;
	pol[2] = trusted;
	pol[3] = sub;
	for (i = 0; i < G_N_ELEMENTS(vcases); i++) {
		const struct vcase *c = &vcases[i];
		g_autoptr(dialogue_t) d = judged(c->banner, c->rcpt, c->reply,
		    c->auth, c->client, pol[c->policy]);
		const struct dlg_rcpt *r = rcpt0(d);

		if (strcmp(relay_verdict_name(r->verdict), c->verdict) != 0 ||
		    r->local != c->local ||
		    g_strcmp0(r->local_source, c->source) != 0 ||
		    r->tricks != c->tricks)
			g_error("case %u <%s> %s: got %s local=%d %s tricks=%u",
			    i, c->rcpt, c->reply,
			    relay_verdict_name(r->verdict), r->local,
			    r->local_source, r->tricks);
	}
	relay_config_free(none);
	relay_config_free(local);
	relay_config_free(trusted);
	relay_config_free(sub);
}

static const struct relay_finding *
find(const struct dialogue *d, enum relay_finding_kind k)
{
	guint i;

	for (i = 0; i < d->findings->len; i++) {
		const struct relay_finding *f =
		    g_ptr_array_index(d->findings, i);

		if (f->kind == k)
			return f;
	}
	return NULL;
}

static struct dialogue *
open_relay_session(bool with_data, const char *rcpt)
{
	struct smtp_session *ss = smtp_session_new();
	struct dialogue *d;
	g_autofree char *r = g_strdup_printf("RCPT TO:<%s>\r\n", rcpt);
	const char *steps[][2] = {
		{ "S", "220 mx.example.com ESMTP\r\n" },
		{ "C", "EHLO c\r\n" },
		{ "S", "250 mx.example.com\r\n" },
		{ "C", "MAIL FROM:<s@example.net>\r\n" },
		{ "S", "250 ok\r\n" },
		{ "C", r },
		{ "S", "250 ok\r\n" },
		{ "C", with_data ? "DATA\r\n" : "QUIT\r\n" },
		{ "S", with_data ? "354 go\r\n" : "221 bye\r\n" },
		{ "C", with_data ? "x\r\n.\r\n" : "" },
		{ "S", with_data ? "250 queued\r\n" : "" },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(steps); i++)
		smtp_session_push(ss,
		    steps[i][0][0] == 'C' ? SMTP_DIR_CLIENT : SMTP_DIR_SERVER,
		    steps[i][1], strlen(steps[i][1]), i + 1);
	d = smtp_session_finish(ss, 100);
	g_strlcpy(d->client.ip, "203.0.113.5", sizeof d->client.ip);
	g_strlcpy(d->server.ip, "192.0.2.25", sizeof d->server.ip);
	relay_annotate(NULL, NULL, d);
	return d;
}

static void
test_findings(void)
{
	g_autoptr(dialogue_t) rcpt_only =
	    open_relay_session(false, "v@example.org");
	g_autoptr(dialogue_t) data = open_relay_session(true, "v@example.org");
	g_autoptr(dialogue_t) trick =
	    open_relay_session(false, "v%example.org@mx.example.com");
	const struct relay_finding *f;

	g_test_summary("open-relay is confirmed only when the message was "
		       "accepted; an accepted trick is high severity");
	f = find(rcpt_only, RELAY_FINDING_OPEN_RELAY);
	g_assert_nonnull(f);
	g_assert_false(f->confirmed);
	g_assert_cmpstr(f->severity, ==, "high");
	f = find(data, RELAY_FINDING_OPEN_RELAY);
	g_assert_nonnull(f);
	g_assert_true(f->confirmed);
	g_assert_cmpuint(f->rcpts->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(f->rcpts, 0), ==, "v@example.org");
	f = find(trick, RELAY_FINDING_RELAY_TRICK);
	g_assert_nonnull(f);
	g_assert_cmpstr(f->severity, ==, "high");
	g_assert_nonnull(find(trick, RELAY_FINDING_OPEN_RELAY));
	g_assert_null(find(data, RELAY_FINDING_RELAY_DENIED));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/relay/verdicts", test_verdicts);
	g_test_add_func("/relay/findings", test_findings);
	return g_test_run();
}
