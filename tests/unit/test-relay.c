/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-relay.c: the verdict table: (dialogue, policy, evidence) ->
 * verdict, locality and its source; onward deliveries; findings; the
 * configuration's errors. */
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <glib.h>

#include "onward.h"
#include "relay.h"
#include "smtp_session.h"

#define SERVER "192.0.2.25"
#define STRANGER "198.51.100.7"

/* Feed a transcript of alternating server and client chunks (server
 * first) into a new machine and finish it. */
static struct dialogue *
transcript(const char *const *chunks, const char *client, const char *server,
    gint64 t0)
{
	struct smtp_session *ss = smtp_session_new();
	struct dialogue *d;
	gint64 ts = t0;
	guint i;

	for (i = 0; chunks[i] != NULL; i++)
		smtp_session_push(ss,
		    i % 2 == 0 ? SMTP_DIR_SERVER : SMTP_DIR_CLIENT, chunks[i],
		    strlen(chunks[i]), ts++);
	d = smtp_session_finish(ss, ts);
	d->ts_start = t0;
	d->ts_end = ts;
	g_strlcpy(d->client.ip, client, sizeof d->client.ip);
	g_strlcpy(d->server.ip, server, sizeof d->server.ip);
	d->server.port = 25;
	dialogue_set_id(d);
	return d;
}

/* Greeting, EHLO, optional AUTH, MAIL, one RCPT with the given reply. */
static struct dialogue *
session(const char *banner, const char *rcpt, const char *reply, bool auth,
    const char *client, const char *server)
{
	g_autofree char *b = g_strdup_printf("220 %s\r\n", banner);
	g_autofree char *r = g_strdup_printf("RCPT TO:<%s>\r\n", rcpt);
	g_autofree char *rr = g_strdup_printf("%s\r\n", reply);
	const char *with_auth[] = { b, "EHLO c.example.net\r\n", "250 ok\r\n",
		"AUTH PLAIN AGEAYg==\r\n", "235 2.7.0 ok\r\n",
		"MAIL FROM:<s@example.net>\r\n", "250 ok\r\n", r, rr, NULL };
	const char *plain[] = { b, "EHLO c.example.net\r\n", "250 ok\r\n",
		"MAIL FROM:<s@example.net>\r\n", "250 ok\r\n", r, rr, NULL };

	return transcript(auth ? with_auth : plain, client, server, 1);
}

static const struct dlg_rcpt *
rcpt0(const struct dialogue *d)
{
	const struct dlg_tx *tx = g_ptr_array_index(d->txs, 0);

	return g_ptr_array_index(tx->rcpts, 0);
}

static const char *
tx_msgid(const struct dialogue *d)
{
	const struct dlg_tx *tx = g_ptr_array_index(d->txs, 0);

	return tx->data != NULL ? tx->data->message_id : NULL;
}

/* The DNS the cases may consult (as if seen in the capture). */
static struct dns_store *
dns_facts(void)
{
	struct dns_store *s = dns_store_new();

	/* foreign.test: its MX is elsewhere. */
	dns_store_put(s, DNS_T_MX, "foreign.test", "mx.foreign.test", 5);
	dns_store_put(s, DNS_T_A, "mx.foreign.test", "198.51.100.9", 5);
	/* hosted.test: its MX is this server, by name... */
	dns_store_put(s, DNS_T_MX, "hosted.test", "mx.example.com", 5);
	/* ... customer.test by address. */
	dns_store_put(s, DNS_T_MX, "customer.test", "mx9.hoster.test", 5);
	dns_store_put(s, DNS_T_A, "mx9.hoster.test", SERVER, 5);
	/* implicit.test: no MX, its address is elsewhere. */
	dns_store_put_status(
	    s, DNS_T_MX, "implicit.test", DNS_STATUS_NODATA, 5);
	dns_store_put(s, DNS_T_A, "implicit.test", "198.51.100.10", 5);
	dns_store_put_status(
	    s, DNS_T_AAAA, "implicit.test", DNS_STATUS_NODATA, 5);
	/* half.test: an MX whose address nobody knows. */
	dns_store_put(s, DNS_T_MX, "half.test", "mx.half.test", 5);
	/* gone.test does not exist. */
	dns_store_put_status(s, DNS_T_MX, "gone.test", DNS_STATUS_NXDOMAIN, 5);
	return s;
}

struct vcase {
	const char *banner, *rcpt, *reply;
	bool auth;
	const char *client;
	const char *server; /* NULL: SERVER */
	int policy;	    /* 0 none, 1 local example.com, 2 trusted 10/8,
			     * 3 local .example.com (with its subdomains), 4 trusted
			     * none */
	const char *verdict;
	int local;
	const char *source; /* local_source */
	const char *cause;
	unsigned tricks;
};

static const struct vcase vcases[] = {
	/* The server's own names and organisation: local, never "not". */
	{ "mx.example.com ESMTP", "a@example.com", "250 ok", false, STRANGER,
	    NULL, 0, "local-accepted", 1, "organisation", NULL, 0 },
	{ "mx.example.com ESMTP", "a@sub.example.com", "250 ok", false,
	    STRANGER, NULL, 0, "local-accepted", 1, "organisation", NULL, 0 },
	{ "mx.example.com ESMTP", "a@mx.example.com", "250 ok", false, STRANGER,
	    NULL, 0, "local-accepted", 1, "server-name", NULL, 0 },
	{ "mta5.mail.yahoo.com ESMTP", "a@yahoo.fr", "250 ok", false, STRANGER,
	    NULL, 0, "local-accepted", 1, "organisation:other-suffix", NULL,
	    0 },
	{ "mx.example.com ESMTP", "root@localhost", "250 ok", false, STRANGER,
	    NULL, 0, "local-accepted", 1, "localhost", NULL, 0 },
	{ "mx.example.com ESMTP", "postmaster", "250 ok", false, STRANGER, NULL,
	    0, "local-accepted", 1, "no-domain", NULL, 0 },
	/* A name unlike the banner's is no evidence of anything. */
	{ "mx.example.com ESMTP", "v@unrelated.test", "250 ok", false, STRANGER,
	    NULL, 0, "accepted-locality-unknown", -1, NULL, NULL, 0 },
	{ "mx.example.co.uk ESMTP", "v@other.co.uk", "250 ok", false, STRANGER,
	    NULL, 0, "accepted-locality-unknown", -1, NULL, NULL, 0 },
	{ "ESMTP ready", "v@unrelated.test", "250 ok", false, STRANGER, NULL, 0,
	    "accepted-locality-unknown", -1, NULL, NULL, 0 },
	/* The DNS. */
	{ "mx.example.com ESMTP", "v@foreign.test", "250 ok", false, STRANGER,
	    NULL, 0, "relay-accepted-open", 0, "dns:mx", NULL, 0 },
	{ "mx.example.com ESMTP", "v@hosted.test", "250 ok", false, STRANGER,
	    NULL, 0, "local-accepted", 1, "dns:mx", NULL, 0 },
	{ "mx1.hoster.test ESMTP", "v@customer.test", "250 ok", false, STRANGER,
	    NULL, 0, "local-accepted", 1, "dns:mx", NULL, 0 },
	{ "mx.example.com ESMTP", "v@implicit.test", "250 ok", false, STRANGER,
	    NULL, 0, "relay-accepted-open", 0, "dns:address", NULL, 0 },
	{ "mx.example.com ESMTP", "v@half.test", "250 ok", false, STRANGER,
	    NULL, 0, "accepted-locality-unknown", -1, NULL, NULL, 0 },
	{ "mx.example.com ESMTP", "v@gone.test", "250 ok", false, STRANGER,
	    NULL, 0, "accepted-locality-unknown", -1, NULL, NULL, 0 },
	/* Behind NAT: a private server address does not compare with the
	 * public one the DNS names. */
	{ "mx.example.com ESMTP", "v@foreign.test", "250 ok", false, STRANGER,
	    "10.0.0.25", 0, "accepted-locality-unknown", -1, NULL, NULL, 0 },
	/* An MX host by the name the server gives itself is this server,
	 * whatever address the DNS has for it (several, NAT). */
	{ "mx.foreign.test ESMTP", "v@foreign.test", "250 ok", false, STRANGER,
	    NULL, 0, "local-accepted", 1, "dns:mx", NULL, 0 },
	/* Address literals. */
	{ "mx.example.com ESMTP", "a@[192.0.2.25]", "250 ok", false, STRANGER,
	    NULL, 0, "local-accepted", 1, "address-literal", NULL, 0 },
	{ "mx.example.com ESMTP", "a@[198.51.100.99]", "250 ok", false,
	    STRANGER, NULL, 0, "relay-accepted-open", 0, "address-literal",
	    NULL, 0 },
	{ "mx.example.com ESMTP", "a@[198.51.100.99]", "250 ok", false,
	    STRANGER, "10.0.0.25", 0, "accepted-locality-unknown", -1, NULL,
	    NULL, 0 },
	/* Who the client is. */
	{ "mx.example.com ESMTP", "v@foreign.test", "250 ok", true, STRANGER,
	    NULL, 0, "relay-accepted-auth", 0, "dns:mx", NULL, 0 },
	{ "mx.example.com ESMTP", "v@foreign.test", "250 ok", false, "10.1.2.3",
	    NULL, 2, "relay-accepted-trusted", 0, "dns:mx", NULL, 0 },
	{ "mx.example.com ESMTP", "v@foreign.test", "250 ok", false, "10.1.2.3",
	    NULL, 0, "relay-accepted-open", 0, "dns:mx", NULL, 0 },
	{ "mx.example.com ESMTP", "v@foreign.test", "250 ok", false,
	    "127.0.0.2", NULL, 0, "relay-accepted-trusted", 0, "dns:mx", NULL,
	    0 },
	{ "mx.example.com ESMTP", "v@foreign.test", "250 ok", false, "::1",
	    NULL, 0, "relay-accepted-trusted", 0, "dns:mx", NULL, 0 },
	{ "mx.example.com ESMTP", "v@foreign.test", "250 ok", false, SERVER,
	    NULL, 0, "relay-accepted-trusted", 0, "dns:mx", NULL, 0 },
	{ "mx.example.com ESMTP", "v@foreign.test", "250 ok", false,
	    "127.0.0.2", NULL, 4, "relay-accepted-open", 0, "dns:mx", NULL, 0 },
	{ "mx.example.com ESMTP", "v@unrelated.test", "250 ok", true, STRANGER,
	    NULL, 0, "accepted-locality-unknown", -1, NULL, NULL, 0 },
	/* Refusals: only what says so is a relay refusal. */
	{ "mx.example.com ESMTP", "v@unrelated.test",
	    "454 4.7.1 <v@unrelated.test>: Relay access denied", false,
	    STRANGER, NULL, 0, "relay-denied", 0, "server-reply", "relay", 0 },
	{ "mx.example.com ESMTP", "v@example.com",
	    "554 5.7.1 <v@example.com>: Relay access denied", false, STRANGER,
	    NULL, 0, "relay-denied", 0, "server-reply", "relay", 0 },
	{ "mx.elsewhere.test ESMTP", "v@example.com",
	    "554 5.7.1 <v@example.com>: Relay access denied", false, STRANGER,
	    NULL, 1, "relay-denied", 1, "config", "relay", 0 },
	{ "mx3.example.com ESMTP OpenSMTPD", "v@foreign.test",
	    "550 Invalid recipient: <v@foreign.test>", false, STRANGER, NULL, 0,
	    "relay-denied", 0, "dns:mx", "relay", 0 },
	{ "mx3.example.com ESMTP OpenSMTPD", "v@unrelated.test",
	    "550 Invalid recipient: <v@unrelated.test>", false, STRANGER, NULL,
	    0, "rejected-other", -1, NULL, NULL, 0 },
	{ "mx3.example.com ESMTP OpenSMTPD", "nobody@example.com",
	    "550 Invalid recipient: <nobody@example.com>", false, STRANGER,
	    NULL, 0, "rejected-other", 1, "organisation", NULL, 0 },
	{ "mx.example.com ESMTP", "v@foreign.test",
	    "503 5.0.0 Need MAIL before RCPT", false, STRANGER, NULL, 0,
	    "rejected-other", 0, "dns:mx", "bad-sequence", 0 },
	{ "mx.example.com ESMTP", "v@unrelated.test", "501 Unknown command",
	    false, STRANGER, NULL, 0, "rejected-other", -1, NULL, "syntax", 0 },
	{ "mx.example.com ESMTP", "v@unrelated.test",
	    "450 4.7.1 <c>: Helo command rejected: Host not found", false,
	    STRANGER, NULL, 0, "tempfail", -1, NULL, "helo", 0 },
	/* Tricks: judged by where the mail would really go. */
	{ "mx.example.com ESMTP", "v%foreign.test@mx.example.com", "250 ok",
	    false, STRANGER, NULL, 0, "relay-accepted-open", 0, "dns:mx", NULL,
	    0x01 },
	/* The configuration. */
	{ "mx.example.com ESMTP", "v@unrelated.test", "250 ok", false, STRANGER,
	    NULL, 1, "relay-accepted-open", 0, "config", NULL, 0 },
	{ "mx.elsewhere.net ESMTP", "a@example.com", "250 ok", false, STRANGER,
	    NULL, 1, "local-accepted", 1, "config", NULL, 0 },
	{ "mx.example.com ESMTP", "a@sub.example.com", "250 ok", false,
	    STRANGER, NULL, 1, "relay-accepted-open", 0, "config", NULL, 0 },
	{ "mx.example.com ESMTP", "a@sub.example.com", "250 ok", false,
	    STRANGER, NULL, 3, "local-accepted", 1, "config", NULL, 0 },
	{ "mx.example.com ESMTP", "a@example.com", "250 ok", false, STRANGER,
	    NULL, 3, "local-accepted", 1, "config", NULL, 0 },
	{ "mx.example.com ESMTP", "v@hosted.test", "250 ok", false, STRANGER,
	    NULL, 1, "relay-accepted-open", 0, "config", NULL, 0 },
};

static void
test_verdicts(void)
{
	struct relay_config *pol[5] = { NULL };
	struct dns_store *dns = dns_facts();
	struct dns_view view = {
		.store = { dns }, .source = { "capture" }, .n = 1
	};
	guint i;

	g_test_summary("verdict per recipient from reply, locality evidence, "
		       "AUTH and trust; only config, DNS and what the server "
		       "did can say not local");
	g_assert_true(relay_config_load(NULL, NULL, NULL, &pol[0], NULL));
	g_assert_true(
	    relay_config_load(NULL, "Example.COM", NULL, &pol[1], NULL));
	g_assert_true(
	    relay_config_load(NULL, NULL, "10.0.0.0/8", &pol[2], NULL));
	g_assert_true(
	    relay_config_load(NULL, ".example.com", NULL, &pol[3], NULL));
	g_assert_true(relay_config_load(NULL, NULL, "none", &pol[4], NULL));
	for (i = 0; i < G_N_ELEMENTS(vcases); i++) {
		const struct vcase *c = &vcases[i];
		struct relay_env env = { .config = pol[c->policy],
			.dns = &view };
		g_autoptr(dialogue_t) d = session(c->banner, c->rcpt, c->reply,
		    c->auth, c->client, c->server != NULL ? c->server : SERVER);
		const struct dlg_rcpt *r;

		relay_annotate(&env, d);
		r = rcpt0(d);
		if (strcmp(relay_verdict_name(r->verdict), c->verdict) != 0 ||
		    r->local != c->local ||
		    g_strcmp0(r->local_source, c->source) != 0 ||
		    g_strcmp0(r->cause, c->cause) != 0 ||
		    r->tricks != c->tricks)
			g_error("case %u <%s> %s: got %s local=%d %s cause=%s "
				"tricks=%u (%s)",
			    i, c->rcpt, c->reply,
			    relay_verdict_name(r->verdict), r->local,
			    r->local_source, r->cause, r->tricks,
			    r->local_evidence);
		g_assert_nonnull(r->local_evidence);
	}
	for (i = 0; i < G_N_ELEMENTS(pol); i++)
		relay_config_free(pol[i]);
	dns_store_free(dns);
}

/* Questions the view could not answer go to the resolver, whose answers
 * decide on the next round. */
static void
fake_resolve(void *ctx, const GPtrArray *questions)
{
	struct dns_store *live = ctx;
	guint i;

	for (i = 0; i < questions->len; i++) {
		const struct dns_question *q = g_ptr_array_index(questions, i);

		if (q->type == DNS_T_MX && strcmp(q->name, "live.test") == 0)
			dns_store_put(
			    live, DNS_T_MX, q->name, "mx.live.test", 1000);
		else if (q->type == DNS_T_A &&
			 strcmp(q->name, "mx.live.test") == 0)
			dns_store_put(
			    live, DNS_T_A, q->name, "203.0.113.77", 1000);
		else
			dns_store_put_status(
			    live, q->type, q->name, DNS_STATUS_NODATA, 1000);
	}
}

static void
test_resolve(void)
{
	struct dns_store *live = dns_store_new();
	struct dns_view view = {
		.store = { live }, .source = { "live" }, .n = 1
	};
	struct relay_env env = {
		.dns = &view, .resolve = fake_resolve, .resolve_ctx = live
	};
	g_autoptr(dialogue_t) d = session("mx.example.com ESMTP", "v@live.test",
	    "250 ok", false, STRANGER, SERVER);
	g_autoptr(dialogue_t) refused =
	    session("mx.example.com ESMTP", "v@quiet.test",
		"554 5.7.1 Relay access denied", false, STRANGER, SERVER);
	const struct dlg_rcpt *r;

	g_test_summary("--resolve: the MX, then its host's address, are "
		       "asked; only for verdicts that depend on them");
	relay_annotate(&env, d);
	r = rcpt0(d);
	g_assert_cmpstr(
	    relay_verdict_name(r->verdict), ==, "relay-accepted-open");
	g_assert_cmpstr(r->local_source, ==, "dns:mx");
	g_assert_nonnull(strstr(r->local_evidence, "the live DNS"));
	/* MX, its A, and no AAAA. */
	g_assert_cmpuint(r->local_dns->len, ==, 3);
	relay_annotate(&env, refused);
	g_assert_null(dns_store_get(live, DNS_T_MX, "quiet.test"));
	dns_store_free(live);
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
open_relay_session(bool with_data, const char *rcpt, const char *client)
{
	g_autofree char *r = g_strdup_printf("RCPT TO:<%s>\r\n", rcpt);
	const char *with[] = { "220 mx.example.com ESMTP\r\n", "EHLO c\r\n",
		"250 mx.example.com\r\n", "MAIL FROM:<s@example.net>\r\n",
		"250 ok\r\n", r, "250 ok\r\n", "DATA\r\n", "354 go\r\n",
		"Message-ID: <m1@example.net>\r\n\r\nx\r\n.\r\n",
		"250 queued\r\n", NULL };
	const char *without[] = { "220 mx.example.com ESMTP\r\n", "EHLO c\r\n",
		"250 mx.example.com\r\n", "MAIL FROM:<s@example.net>\r\n",
		"250 ok\r\n", r, "250 ok\r\n", "QUIT\r\n", "221 bye\r\n",
		NULL };

	return transcript(with_data ? with : without, client, SERVER, 1);
}

static void
test_findings(void)
{
	struct relay_config *local = NULL;
	struct relay_env env = { 0 };
	g_autoptr(dialogue_t) rcpt_only =
	    open_relay_session(false, "v@example.org", STRANGER);
	g_autoptr(dialogue_t) data =
	    open_relay_session(true, "v@example.org", STRANGER);
	g_autoptr(dialogue_t) trick =
	    open_relay_session(false, "v%example.org@mx.example.com", STRANGER);
	g_autoptr(dialogue_t) unknown =
	    open_relay_session(true, "v@unrelated.test", STRANGER);
	g_autoptr(dialogue_t) trusted =
	    open_relay_session(true, "v@unrelated.test", "127.0.0.1");
	const struct relay_finding *f;
	struct relay_finding *p;

	g_test_summary("open-relay is confirmed only when the message was "
		       "accepted, and rests on named evidence; without "
		       "evidence, one low possible-open-relay at most");
	g_assert_true(
	    relay_config_load(NULL, "example.com", NULL, &local, NULL));
	env.config = local;
	relay_annotate(&env, rcpt_only);
	relay_annotate(&env, data);
	relay_annotate(&env, trick);
	f = find(rcpt_only, RELAY_FINDING_OPEN_RELAY);
	g_assert_nonnull(f);
	g_assert_false(f->confirmed);
	g_assert_cmpstr(f->severity, ==, "medium");
	g_assert_cmpstr(f->evidence, ==, "config");
	f = find(data, RELAY_FINDING_OPEN_RELAY);
	g_assert_nonnull(f);
	g_assert_true(f->confirmed);
	g_assert_cmpstr(f->severity, ==, "high");
	g_assert_cmpuint(f->rcpts->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(f->rcpts, 0), ==, "v@example.org");
	g_assert_nonnull(strstr(f->summary, "not among the configured"));
	f = find(trick, RELAY_FINDING_RELAY_TRICK);
	g_assert_nonnull(f);
	g_assert_cmpstr(f->severity, ==, "high");
	g_assert_nonnull(find(trick, RELAY_FINDING_OPEN_RELAY));
	g_assert_null(find(data, RELAY_FINDING_RELAY_DENIED));
	/* No evidence: no open-relay finding, a possible one on request. */
	env.config = NULL;
	relay_annotate(&env, unknown);
	g_assert_null(find(unknown, RELAY_FINDING_OPEN_RELAY));
	g_assert_true(relay_awaits_onward(unknown));
	p = relay_possible_open(unknown);
	g_assert_nonnull(p);
	g_assert_cmpstr(p->severity, ==, "low");
	relay_finding_free(p);
	relay_annotate(&env, trusted);
	g_assert_false(relay_awaits_onward(trusted));
	g_assert_null(relay_possible_open(trusted));
	g_assert_cmpstr(trusted->client_trust, ==, "inferred:loopback");
	relay_config_free(local);
}

/* The relay fixture's three sessions: the stranger's, the relay's onward
 * one, and a content filter on the relay's own address. */
static struct dialogue *
relayed(const char *client, const char *server, const char *banner,
    const char *from, const char *rcpt, const char *msgid, gint64 t0)
{
	g_autofree char *b = g_strdup_printf("220 %s ESMTP\r\n", banner);
	g_autofree char *m = g_strdup_printf("MAIL FROM:<%s>\r\n", from);
	g_autofree char *r = g_strdup_printf("RCPT TO:<%s>\r\n", rcpt);
	g_autofree char *body = g_strdup_printf(
	    "Message-ID: %s\r\nSubject: x\r\n\r\nhi\r\n.\r\n", msgid);
	const char *c[] = { b, "EHLO c.example.org\r\n", "250 ok\r\n", m,
		"250 ok\r\n", r, "250 ok\r\n", "DATA\r\n", "354 go\r\n", body,
		"250 queued\r\n", NULL };

	return transcript(c, client, server, t0);
}

static void
test_onward(void)
{
	struct onward *o = onward_new(30 * G_USEC_PER_SEC);
	struct relay_env env = { .onward = onward_lookup,
		.onward_ctx = o,
		.window = 30 * G_USEC_PER_SEC };
	g_autoptr(dialogue_t) a =
	    relayed(STRANGER, SERVER, "mx.example.com", "spammer@example.org",
		"victim@example.net", "<m1@example.org>", 1000);
	g_autoptr(dialogue_t) b = relayed(SERVER, "203.0.113.25",
	    "mx.example.net", "spammer@example.org", "victim@example.net",
	    "<m1@example.org>", 2000);
	g_autoptr(dialogue_t) early = relayed(SERVER, "203.0.113.25",
	    "mx.example.net", "spammer@example.org", "victim@example.net",
	    "<m0@example.org>", 10);
	g_autoptr(dialogue_t) filter =
	    relayed(SERVER, SERVER, "mx.example.com", "spammer@example.org",
		"victim@example.net", "<m1@example.org>", 1500);
	g_autoptr(GPtrArray) cont = NULL;
	const struct dlg_rcpt *r;

	g_test_summary("the server passing the same envelope on to another "
		       "host is evidence of relaying; the onward session "
		       "names the one it continues");
	g_assert_cmpstr(tx_msgid(a), ==, "<m1@example.org>");
	/* As the packet layer does: each session starts, then ends. */
	onward_started(o, early);
	onward_ended(o, early);
	onward_started(o, filter);
	onward_ended(o, filter);
	onward_started(o, a);
	onward_ended(o, a);
	/* Not yet: nothing went on after the acceptance. */
	relay_annotate(&env, a);
	r = rcpt0(a);
	g_assert_cmpstr(relay_verdict_name(r->verdict), ==, "local-accepted");
	g_assert_cmpstr(r->local_source, ==, "organisation:other-suffix");
	g_assert_true(relay_awaits_onward(a));
	/* The relay's own delivery, while still open, then ended. */
	onward_started(o, b);
	relay_annotate(&env, a);
	r = rcpt0(a);
	g_assert_cmpstr(
	    relay_verdict_name(r->verdict), ==, "relay-accepted-open");
	g_assert_cmpstr(r->local_source, ==, "onward");
	g_assert_cmpstr(r->onward_id, ==, b->id);
	onward_ended(o, b);
	relay_annotate(&env, a);
	g_assert_cmpstr(rcpt0(a)->onward_id, ==, b->id);
	g_assert_false(relay_awaits_onward(a));
	g_assert_true(find(a, RELAY_FINDING_OPEN_RELAY)->confirmed);
	cont = onward_continues(o, b);
	g_assert_nonnull(cont);
	g_assert_cmpuint(cont->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(cont, 0), ==, a->id);
	g_assert_null(onward_continues(o, early));
	onward_free(o);
}

/* An onward hop that is how a gateway delivers inward, or a message
 * forwarded to other recipients: a link, not evidence. */
static void
test_onward_not_evidence(void)
{
	struct onward *o = onward_new(30 * G_USEC_PER_SEC);
	struct relay_env env = { .onward = onward_lookup,
		.onward_ctx = o,
		.window = 30 * G_USEC_PER_SEC };
	g_autoptr(dialogue_t) a = relayed(STRANGER, SERVER, "mx.example.com",
	    "s@example.org", "user@unrelated.test", "<m2@example.org>", 1000);
	g_autoptr(dialogue_t) inward =
	    relayed(SERVER, "10.0.0.9", "exchange.corp.test", "s@example.org",
		"user@unrelated.test", "<m2@example.org>", 2000);
	g_autoptr(dialogue_t) c = relayed(STRANGER, SERVER, "mx.example.com",
	    "s@example.org", "user@unrelated.test", "<m3@example.org>", 3000);
	g_autoptr(dialogue_t) internal = relayed(SERVER, "198.51.100.50",
	    "store4.example.com", "s@example.org", "user@unrelated.test",
	    "<m3@example.org>", 4000);
	g_autoptr(dialogue_t) e = relayed(STRANGER, SERVER, "mx.example.com",
	    "s@example.org", "user@unrelated.test", "<m4@example.org>", 5000);
	g_autoptr(dialogue_t) fwd = relayed(SERVER, "198.51.100.60",
	    "mx.gmail.test", "srs=x@example.com", "user@gmail.test",
	    "<m4@example.org>", 6000);
	const struct dlg_rcpt *r;

	g_test_summary("passing inward to a private address, within the "
		       "server's organisation, or to other recipients is no "
		       "evidence of relaying");
	{
		const struct dialogue *all[] = { a, inward, c, internal, e,
			fwd };
		guint k;

		for (k = 0; k < G_N_ELEMENTS(all); k++) {
			onward_started(o, all[k]);
			onward_ended(o, all[k]);
		}
	}
	relay_annotate(&env, a);
	r = rcpt0(a);
	g_assert_cmpstr(
	    relay_verdict_name(r->verdict), ==, "accepted-locality-unknown");
	g_assert_cmpstr(r->onward_id, ==, inward->id);
	g_assert_nonnull(strstr(r->local_evidence, "inward"));
	relay_annotate(&env, c);
	r = rcpt0(c);
	g_assert_cmpstr(
	    relay_verdict_name(r->verdict), ==, "accepted-locality-unknown");
	g_assert_nonnull(strstr(r->local_evidence, "own organisation"));
	relay_annotate(&env, e);
	r = rcpt0(e);
	g_assert_cmpstr(
	    relay_verdict_name(r->verdict), ==, "accepted-locality-unknown");
	g_assert_cmpstr(r->onward_id, ==, fwd->id);
	g_assert_nonnull(strstr(r->local_evidence, "other recipients"));
	onward_free(o);
}

/* A response for "partner.example.net MX" (test-dns.c's mx_reply). */
/* clang-format off */
static const uint8_t mx_reply[] = {
	0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
	7, 'p', 'a', 'r', 't', 'n', 'e', 'r',
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0,
	0, 15, 0, 1,
	0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 18, 0, 10,
	2, 'm', 'x', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0,
};
/* clang-format on */

static void
test_mx_lookup(void)
{
	struct dns_store *dns = dns_store_new();
	struct dns_view view = {
		.store = { dns }, .source = { "capture" }, .n = 1
	};
	struct relay_env env = { .dns = &view, .window = 30 * G_USEC_PER_SEC };
	g_autoptr(dialogue_t) a =
	    relayed(STRANGER, SERVER, "mx.example.com", "s@example.org",
		"v@partner.example.net", "<m5@example.org>", 1000000);
	const struct dlg_rcpt *r;

	g_test_summary("the server looking up the recipient domain's MX right "
		       "after accepting it: onward evidence, of less weight");
	/* Asked by someone else, and by the server before accepting. */
	g_assert_true(dns_store_add_message(
	    dns, mx_reply, sizeof mx_reply, 1000009, "198.51.100.1"));
	g_assert_true(dns_store_add_message(
	    dns, mx_reply, sizeof mx_reply, 999000, SERVER));
	relay_annotate(&env, a);
	g_assert_cmpstr(
	    rcpt0(a)->local_source, ==, "organisation:other-suffix");
	g_assert_true(dns_store_add_message(
	    dns, mx_reply, sizeof mx_reply, 1000010, SERVER));
	relay_annotate(&env, a);
	r = rcpt0(a);
	g_assert_cmpstr(
	    relay_verdict_name(r->verdict), ==, "relay-accepted-open");
	g_assert_cmpstr(r->local_source, ==, "onward:mx-lookup");
	g_assert_cmpstr(
	    find(a, RELAY_FINDING_OPEN_RELAY)->severity, ==, "medium");
	dns_store_free(dns);
}

/* A configuration file with text, loaded; the error message or NULL. */
static char *
config_error(const char *text, const char *domains, const char *nets)
{
	g_autofree char *path = NULL;
	g_autoptr(GError) e = NULL;
	struct relay_config *c = NULL;
	char *msg;
	int fd = -1;

	if (text != NULL) {
		fd = g_file_open_tmp("rs-relay-XXXXXX.conf", &path, NULL);
		g_assert_cmpint(fd, >=, 0);
		g_assert_true(
		    write(fd, text, strlen(text)) == (ssize_t)strlen(text));
		close(fd);
	}
	if (relay_config_load(path, domains, nets, &c, &e)) {
		relay_config_free(c);
		msg = NULL;
	} else if (path != NULL) {
		/* Without the temporary name. */
		g_assert_true(g_str_has_prefix(e->message, path));
		msg = g_strdup(e->message + strlen(path));
	} else
		msg = g_strdup(e->message);
	if (path != NULL)
		g_unlink(path);
	return msg;
}

static void
test_config_errors(void)
{
	static const struct {
		const char *text, *domains, *nets, *want;
	} cases[] = {
		{ "[global]\nlocal_domains = example.com\n", NULL, NULL, NULL },
		{ "[global]\nlocal_domain = example.com\n", NULL, NULL,
		    ":2: [global] local_domain: unknown key (a section holds "
		    "local_domains and trusted_nets)" },
		{ "# relay policy\n[server 192.0.2.25:25]\nlocal_domains = "
		  "example.com;not a domain!!\n",
		    NULL, NULL,
		    ":3: [server 192.0.2.25:25] local_domains: \"not a "
		    "domain!!\" is not a domain name (example.com, "
		    ".example.com for it and its subdomains)" },
		{ "[server 192.0.2.25]\n\ntrusted_nets = 10.0.0.0/33\n", NULL,
		    NULL,
		    ":3: [server 192.0.2.25] trusted_nets: trusted network "
		    "\"10.0.0.0/33\" is not an address or network "
		    "(192.0.2.0/24, 2001:db8::/32): prefix length \"33\" is "
		    "not 0-32" },
		{ "[global]\n[server mx.example.com]\nlocal_domains = a.test\n",
		    NULL, NULL,
		    ":2: [server mx.example.com]: not \"server ADDRESS\" or "
		    "\"server ADDRESS:PORT\"" },
		{ "[server 192.0.2.25:99999]\n", NULL, NULL,
		    ":1: [server 192.0.2.25:99999]: not \"server ADDRESS\" or "
		    "\"server ADDRESS:PORT\"" },
		{ "[servers 192.0.2.25]\n", NULL, NULL,
		    ":1: [servers 192.0.2.25]: unknown section (use [global] "
		    "or [server ADDRESS[:PORT]])" },
		/* The command line's lists, checked the same way. */
		{ NULL, "not a domain!!", NULL,
		    "--local-domains: \"not a domain!!\" is not a domain name "
		    "(example.com, .example.com for it and its subdomains)" },
		{ NULL, NULL, "10.0.0.0/33",
		    "--trusted-nets: trusted network \"10.0.0.0/33\" is not "
		    "an address or network (192.0.2.0/24, 2001:db8::/32): "
		    "prefix length \"33\" is not 0-32" },
		{ NULL, NULL, "2001:db8::/129",
		    "--trusted-nets: trusted network \"2001:db8::/129\" is not "
		    "an address or network (192.0.2.0/24, 2001:db8::/32): "
		    "prefix length \"129\" is not 0-128" },
		{ NULL, ".Example.COM.,bücher.example", "none", NULL },
	};
	guint i;

	g_test_summary("a typo in the policy is an error naming the file, "
		       "line and key, never silently ignored");
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = config_error(
		    cases[i].text, cases[i].domains, cases[i].nets);

		g_assert_cmpstr(got, ==, cases[i].want);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/relay/verdicts", test_verdicts);
	g_test_add_func("/relay/resolve", test_resolve);
	g_test_add_func("/relay/findings", test_findings);
	g_test_add_func("/relay/onward", test_onward);
	g_test_add_func("/relay/onward-not-evidence", test_onward_not_evidence);
	g_test_add_func("/relay/mx-lookup", test_mx_lookup);
	g_test_add_func("/relay/config-errors", test_config_errors);
	return g_test_run();
}
