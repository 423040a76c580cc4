/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-diagnosis.c: the catalogue of causes on real MTA texts, the
 * details read from them, and the outcome, stage, cause and timing of
 * whole dialogues fed through the SMTP machine. */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "causes.h"
#include "diagnosis.h"
#include "smtp_session.h"

/* A reply line as on the wire -> a reply. */
static struct smtp_reply *
reply_of(const char *line)
{
	struct smtp_reply *r = g_new0(struct smtp_reply, 1);
	const char *t = strlen(line) > 4 ? line + 4 : "";

	r->code = atoi(line);
	r->text = g_strdup(t);
	r->text_len = strlen(t);
	smtp_reply_find_enhanced(r->text, r->text_len, r->enhanced);
	return r;
}

struct cause_case {
	const char *line;
	enum diag_stage stage;
	const char *cause; /* NULL: none named */
};

/* Real texts (docs/diagnosis.md names where each comes from). */
static const struct cause_case cause_cases[] = {
	{ "450 4.2.0 <a@example.com>: Recipient address rejected: "
	  "Greylisted, see http://postgrey.schweikert.ch/help/example.com.html",
	    DIAG_STAGE_RCPT, "greylisting" },
	{ "451 4.7.1 Greylisting in action, please come back later",
	    DIAG_STAGE_RCPT, "greylisting" },
	{ "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked "
	  "using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1",
	    DIAG_STAGE_RCPT, "blocklist" },
	{ "550 Rejected because 192.0.2.1 is in a black list at "
	  "bl.example.net",
	    DIAG_STAGE_RCPT, "blocklist" },
	{ "550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked "
	  "using Spamhaus.",
	    DIAG_STAGE_RCPT, "blocklist" },
	{ "550 5.7.708 Service unavailable. Access denied, traffic not "
	  "accepted from this IP.",
	    DIAG_STAGE_RCPT, "blocklist" },
	{ "450 4.7.25 Client host rejected: cannot find your hostname, "
	  "[192.0.2.1]",
	    DIAG_STAGE_RCPT, "reverse-dns" },
	{ "550 5.7.25 [192.0.2.1] The IP address sending this message does "
	  "not have a PTR record setup",
	    DIAG_STAGE_RCPT, "reverse-dns" },
	{ "550 5.7.26 This mail has been blocked because the sender is "
	  "unauthenticated.",
	    DIAG_STAGE_END_OF_DATA, "email-auth" },
	{ "550 5.7.26 Unauthenticated email from example.com is not accepted "
	  "due to domain's DMARC policy.",
	    DIAG_STAGE_END_OF_DATA, "dmarc" },
	{ "550 5.7.23 <a@example.com>: Recipient address rejected: Message "
	  "rejected due to: SPF fail - not authorized.",
	    DIAG_STAGE_RCPT, "spf" },
	{ "550 5.7.23 The message was rejected because of Sender Policy "
	  "Framework violation",
	    DIAG_STAGE_RCPT, "spf" },
	{ "504 5.5.2 <c>: Helo command rejected: need fully-qualified "
	  "hostname",
	    DIAG_STAGE_RCPT, "helo" },
	{ "450 4.1.8 <s@nowhere.example>: Sender address rejected: Domain "
	  "not found",
	    DIAG_STAGE_RCPT, "sender-domain" },
	{ "553 5.7.1 <s@example.com>: Sender address rejected: not logged "
	  "in",
	    DIAG_STAGE_RCPT, "sender-login" },
	{ "550 5.1.1 <nobody@example.com>: Recipient address rejected: User "
	  "unknown in local recipient table",
	    DIAG_STAGE_RCPT, "unknown-user" },
	{ "550 Unrouteable address", DIAG_STAGE_RCPT, "unknown-user" },
	{ "550 5.1.1 The email account that you tried to reach does not "
	  "exist.",
	    DIAG_STAGE_RCPT, "unknown-user" },
	{ "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by "
	  "SMTP address lookup",
	    DIAG_STAGE_RCPT, "unknown-user" },
	/* OpenSMTPD's word for unknown users and relay refusals alike: the
	 * relay judgement decides (relay.c), the catalogue names nothing. */
	{ "550 Invalid recipient: <v@example.org>", DIAG_STAGE_RCPT, NULL },
	{ "552 5.2.2 <u@example.com> Quota exceeded (mailbox for user is "
	  "full)",
	    DIAG_STAGE_RCPT, "mailbox-full" },
	{ "452 4.2.2 The email account that you tried to reach is over "
	  "quota.",
	    DIAG_STAGE_RCPT, "mailbox-full" },
	{ "552 5.3.4 Message size exceeds fixed limit", DIAG_STAGE_MAIL,
	    "message-too-large" },
	{ "554 5.3.4 Message too big for system: Transaction failed, message "
	  "too big",
	    DIAG_STAGE_END_OF_DATA, "message-too-large" },
	{ "552 Message size exceeds maximum permitted", DIAG_STAGE_END_OF_DATA,
	    "message-too-large" },
	{ "452 4.5.3 Error: too many recipients", DIAG_STAGE_RCPT,
	    "too-many-recipients" },
	{ "421 4.7.0 mx.example.com Error: too many connections from "
	  "192.0.2.1",
	    DIAG_STAGE_GREETING, "rate-limited" },
	{ "451 Rate limit exceeded for 127.0.0.2: 3.0 recipients per 1m, "
	  "limit 2",
	    DIAG_STAGE_RCPT, "rate-limited" },
	{ "451 4.7.500 Server busy. Please try again later from "
	  "[192.0.2.1].",
	    DIAG_STAGE_GREETING, "rate-limited" },
	{ "421 4.7.28 Our system has detected an unusual rate of unsolicited "
	  "mail originating from your IP address.",
	    DIAG_STAGE_RCPT, "rate-limited" },
	{ "530 5.7.0 Must issue a STARTTLS command first", DIAG_STAGE_MAIL,
	    "tls-required" },
	{ "454 4.7.0 TLS not available due to local problem",
	    DIAG_STAGE_STARTTLS, "starttls-refused" },
	{ "530 5.7.0 Authentication required", DIAG_STAGE_MAIL,
	    "auth-required" },
	{ "535 5.7.8 Error: authentication failed: authentication failure",
	    DIAG_STAGE_AUTH, "auth-failed" },
	{ "535 Incorrect authentication data", DIAG_STAGE_AUTH, "auth-failed" },
	{ "534 5.7.9 Authentication mechanism is too weak", DIAG_STAGE_AUTH,
	    "auth-weak" },
	{ "454 4.7.0 Temporary authentication failure", DIAG_STAGE_AUTH,
	    "auth-tempfail" },
	{ "554 5.7.1 Message rejected as spam", DIAG_STAGE_END_OF_DATA,
	    "content" },
	{ "554 5.7.1 Your message was rejected because it contains a virus",
	    DIAG_STAGE_END_OF_DATA, "content" },
	{ "554 5.7.1 Rejected by policy", DIAG_STAGE_END_OF_DATA, "policy" },
	{ "554 No SMTP service here", DIAG_STAGE_GREETING, "no-service" },
	{ "554 mx.example.com", DIAG_STAGE_GREETING, "no-service" },
	{ "421 4.3.2 Service shutting down", DIAG_STAGE_RCPT,
	    "server-unavailable" },
	{ "450 4.3.2 Service currently unavailable", DIAG_STAGE_GREETING,
	    "server-unavailable" },
	{ "450 4.3.2 Service currently unavailable", DIAG_STAGE_RCPT,
	    "greylisting" },
	{ "421 4.7.0 mx.example.com Error: too many errors", DIAG_STAGE_RCPT,
	    "too-many-errors" },
	{ "421 4.4.2 mx.example.com Error: timeout exceeded", DIAG_STAGE_DATA,
	    "server-timeout" },
	{ "503 5.5.1 Error: need RCPT command", DIAG_STAGE_DATA,
	    "bad-sequence" },
	{ "501 5.1.3 Bad recipient address syntax", DIAG_STAGE_RCPT, "syntax" },
	{ "502 5.5.2 Error: command not recognized", DIAG_STAGE_COMMAND,
	    "not-implemented" },
	/* A relay refusal stays one; a bare 5.7.1 is one only at RCPT. */
	{ "554 5.7.1 <v@example.org>: Relay access denied", DIAG_STAGE_RCPT,
	    "relay" },
	{ "550 5.7.1 <v@example.org>: not for us", DIAG_STAGE_RCPT, "relay" },
	{ "550 5.7.1 not for us", DIAG_STAGE_END_OF_DATA, "policy" },
	/* No cause named at all. */
	{ "550 Administrative prohibition", DIAG_STAGE_RCPT, "policy" },
	{ "553 5.1.8 <s@x.example>... Domain of sender address s@x.example "
	  "does not exist",
	    DIAG_STAGE_RCPT, "sender-domain" },
	{ "530 Sender rejected", DIAG_STAGE_MAIL, "sender" },
	{ "550 5.1.1 <t@example.com> User doesn't exist: t@example.com",
	    DIAG_STAGE_RCPT, "unknown-user" },
	{ "451 4.7.0 Timeout waiting for client input", DIAG_STAGE_COMMAND,
	    "server-timeout" },
	{ "421 mx.example.com: SMTP command timeout - closing connection",
	    DIAG_STAGE_COMMAND, "server-timeout" },
	{ "421 4.7.0 Try again later, closing connection.", DIAG_STAGE_GREETING,
	    "server-unavailable" },
	{ "451 4.7.1 Try again later", DIAG_STAGE_END_OF_DATA, "greylisting" },
	{ "450 4.2.1 The user you are trying to contact is receiving mail too "
	  "quickly.",
	    DIAG_STAGE_RCPT, "rate-limited" },
	{ "452 Space shortage, please try later", DIAG_STAGE_MAIL,
	    "server-storage" },
	{ "550 5.7.509 Access denied, sending domain example.com does not "
	  "pass DMARC verification",
	    DIAG_STAGE_END_OF_DATA, "dmarc" },
	{ "400 4.5.2 Error: bad syntax", DIAG_STAGE_COMMAND, "syntax" },
	{ "554 5.7.1 Message contains virus: rejected.", DIAG_STAGE_END_OF_DATA,
	    "content" },
	{ "472 unusualz@prg-dc.example DNS A-record is empty", DIAG_STAGE_MAIL,
	    NULL },
	{ "451 Temporary local problem", DIAG_STAGE_RCPT, NULL },
	/* Success names none. */
	{ "250 2.1.5 Ok", DIAG_STAGE_RCPT, NULL },
};

static void
test_causes(void)
{
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cause_cases); i++) {
		struct smtp_reply *r = reply_of(cause_cases[i].line);
		struct cause_match m;

		causes_classify(r, cause_cases[i].stage, &m);
		if (g_strcmp0(m.cause, cause_cases[i].cause) != 0)
			g_error("\"%s\" at %s: %s, want %s",
			    cause_cases[i].line,
			    diag_stage_name(cause_cases[i].stage),
			    m.cause != NULL ? m.cause : "(none)",
			    cause_cases[i].cause != NULL ? cause_cases[i].cause
							 : "(none)");
		if (m.cause != NULL)
			g_assert_nonnull(cause_info(m.cause));
		g_assert_cmpint(
		    m.relay, ==, g_strcmp0(cause_cases[i].cause, "relay") == 0);
		smtp_reply_free(r);
	}
}

/* Every cause a row can name is in the catalogue, with all its texts. */
static void
test_catalogue_complete(void)
{
	static const char *const names[] = { "relay", "helo", "client-host",
		"reverse-dns", "blocklist", "rate-limited", "greylisting",
		"sender", "sender-domain", "sender-login", "spoofing", "spf",
		"dkim", "dmarc", "email-auth", "null-mx", "unknown-user",
		"bad-destination", "address-syntax", "address", "mailbox-full",
		"mailbox", "too-many-recipients", "message-too-large",
		"content", "policy", "tls-required", "starttls-refused",
		"tls-handshake-failed", "tls-cert-expired",
		"tls-cert-not-yet-valid", "tls-cert-name", "tls-cert-untrusted",
		"auth-required", "auth-failed", "auth-weak", "auth-tempfail",
		"no-service", "server-unavailable", "server-storage",
		"server-timeout", "too-many-errors", "system", "network",
		"bad-sequence", "syntax", "not-implemented", "no-greeting",
		"slow-greeting", "slow-reply", "no-reply",
		"connection-reset-in-data", "connection-closed-in-data",
		"server-closed", "client-quit", "unstated", "encrypted",
		"capture-gap", "capture-ended", "capture-started-late",
		"one-sided-capture" };
	guint i;

	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		const struct cause_info *c = cause_info(names[i]);

		g_assert_nonnull(c);
		g_assert_true(strlen(c->phrase) > 0);
		g_assert_true(strlen(c->explanation) > 20);
		g_assert_true(strlen(c->remedy_client) > 5);
		g_assert_true(strlen(c->remedy_server) > 5);
	}
	g_assert_null(cause_info("no-such-cause"));
	g_assert_null(cause_info(NULL));
}

static void
test_details(void)
{
	static const struct {
		const char *line;
		int64_t retry;
		const char *list, *address, *url;
	} cases[] = {
		{ "450 4.2.0 <a@b.example>: Recipient address rejected: "
		  "Greylisted, see http://postgrey.schweikert.ch/help/"
		  "b.example.html",
		    -1, NULL, NULL,
		    "http://postgrey.schweikert.ch/help/b.example.html" },
		{ "450 4.7.1 Greylisted for 300 seconds", 300, NULL, NULL,
		    NULL },
		{ "451 4.7.1 Please try again in 5 minutes", 300, NULL, NULL,
		    NULL },
		{ "451 4.7.1 greylisted, retry after 60s", 60, NULL, NULL,
		    NULL },
		{ "421 4.7.0 Too many connections, 3 in 1 minute", -1, NULL,
		    NULL, NULL },
		{ "554 5.7.1 Service unavailable; Client host [192.0.2.1] "
		  "blocked using zen.spamhaus.org; "
		  "https://www.spamhaus.org/query/ip/192.0.2.1",
		    -1, "zen.spamhaus.org", "192.0.2.1",
		    "https://www.spamhaus.org/query/ip/192.0.2.1" },
		{ "550 Rejected because 192.0.2.1 is in a black list at "
		  "bl.example.net.",
		    -1, "bl.example.net", NULL, NULL },
		{ "554 5.7.1 Service unavailable; Client host [2001:db8::1] "
		  "blocked using dnsbl.test",
		    -1, "dnsbl.test", "2001:db8::1", NULL },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct smtp_reply *r = reply_of(cases[i].line);
		struct cause_details x;
		g_autofree char *list = NULL, *addr = NULL, *url = NULL;

		causes_details(r, &x);
		g_assert_cmpint(x.retry_after, ==, cases[i].retry);
		if (x.list != NULL)
			list = g_strndup(x.list, x.list_len);
		if (x.address != NULL)
			addr = g_strndup(x.address, x.address_len);
		if (x.url != NULL)
			url = g_strndup(x.url, x.url_len);
		g_assert_cmpstr(list, ==, cases[i].list);
		g_assert_cmpstr(addr, ==, cases[i].address);
		g_assert_cmpstr(url, ==, cases[i].url);
		smtp_reply_free(r);
	}
}

/* One side's bytes at a time in milliseconds after the connection. */
struct chunk {
	int dir;
	const char *data;
	int ms;
};

#define C(ms, s)                                                               \
	{                                                                      \
		SMTP_DIR_CLIENT, s, ms                                         \
	}
#define S(ms, s)                                                               \
	{                                                                      \
		SMTP_DIR_SERVER, s, ms                                         \
	}
#define END                                                                    \
	{                                                                      \
		0, NULL, 0                                                     \
	}

#define T0 1000000000000LL

/* Feed a transcript; the session ends as end says at end_ms, with the
 * client's FIN at client_fin_ms (-1: none). */
static struct dialogue *
run(const struct chunk *t, enum dlg_end end, int end_ms, int client_fin_ms)
{
	struct smtp_session *ss = smtp_session_new();
	struct dialogue *d;
	int n;

	for (n = 0; t[n].data != NULL; n++)
		smtp_session_push(ss, t[n].dir, t[n].data, strlen(t[n].data),
		    T0 + (gint64)t[n].ms * 1000);
	d = smtp_session_finish(ss, T0 + (gint64)end_ms * 1000);
	d->ts_start = T0;
	d->ts_end = T0 + (gint64)end_ms * 1000;
	d->end = end;
	if (client_fin_ms >= 0)
		d->fin_ts[DLG_DIR_CLIENT] = T0 + (gint64)client_fin_ms * 1000;
	return d;
}

#define GREET S(1, "220 mx.example.com ESMTP\r\n")
#define EHLO                                                                   \
	C(2, "EHLO c.example\r\n"),                                            \
	    S(3, "250-mx.example.com\r\n250-SIZE 2000\r\n250 PIPELINING\r\n")
#define MAIL C(4, "MAIL FROM:<s@c.example>\r\n"), S(5, "250 2.1.0 Ok\r\n")

static void
check(const struct diag_verdict *v, enum diag_outcome o, enum diag_stage s,
    const char *cause)
{
	g_assert_cmpstr(
	    diag_outcome_name(v->outcome), ==, diag_outcome_name(o));
	if (o != DIAG_OUTCOME_DELIVERED)
		g_assert_cmpstr(
		    diag_stage_name(v->stage), ==, diag_stage_name(s));
	g_assert_cmpstr(v->cause, ==, cause);
}

static void
test_delivered(void)
{
	static const struct chunk t[] = { GREET, EHLO, MAIL,
		C(6, "RCPT TO:<a@mx.example.com>\r\n"),
		S(7, "250 2.1.5 Ok\r\n"), C(8, "DATA\r\n"), S(9, "354 go\r\n"),
		C(10, "Subject: x\r\n\r\nhi\r\n.\r\n"),
		S(12, "250 2.0.0 Ok: queued as 4F2A1\r\n"), C(13, "QUIT\r\n"),
		S(14, "221 2.0.0 Bye\r\n"), END };
	g_autoptr(dialogue_t) d = run(t, DLG_END_CLOSED, 15, 14);
	struct diagnosis *g = diagnosis_new(d);

	check(&g->session, DIAG_OUTCOME_DELIVERED, 0, NULL);
	g_assert_cmpuint(g->n_txs, ==, 1);
	check(&g->txs[0].v, DIAG_OUTCOME_DELIVERED, 0, NULL);
	g_assert_cmpint(g->txs[0].rcpts[0].outcome, ==, DIAG_OUTCOME_DELIVERED);
	g_assert_cmpint(g->greeting, ==, 1000);
	g_assert_cmpint(g->replies, ==, 6);
	g_assert_cmpint(g->slowest, ==, 2000); /* the end of data */
	g_assert_cmpuint(g->n_flags, ==, 0);
	g_assert_cmpuint(diagnosis_fail_bits(g), ==, 0);
	diagnosis_free(g);
}

static void
test_greylisted_partly(void)
{
	static const struct chunk t[] = { GREET, EHLO, MAIL,
		C(6, "RCPT TO:<a@mx.example.com>\r\n"),
		S(7, "250 2.1.5 Ok\r\n"),
		C(8, "RCPT TO:<b@mx.example.com>\r\n"),
		S(9, "450 4.2.0 <b@mx.example.com>: Recipient address "
		     "rejected: Greylisted for 300 seconds\r\n"),
		C(10, "DATA\r\n"), S(11, "354 go\r\n"),
		C(12, "Subject: x\r\n\r\nhi\r\n.\r\n"),
		S(13, "250 2.0.0 Ok: queued as 4F2A1\r\n"), C(14, "QUIT\r\n"),
		S(15, "221 2.0.0 Bye\r\n"), END };
	g_autoptr(dialogue_t) d = run(t, DLG_END_CLOSED, 16, 15);
	struct diagnosis *g = diagnosis_new(d);

	check(&g->txs[0].v, DIAG_OUTCOME_PARTLY_DELIVERED, DIAG_STAGE_RCPT,
	    "greylisting");
	g_assert_cmpint(g->txs[0].v.retry_after, ==, 300);
	g_assert_cmpint(g->txs[0].rcpts[0].outcome, ==, DIAG_OUTCOME_DELIVERED);
	g_assert_cmpint(g->txs[0].rcpts[1].outcome, ==, DIAG_OUTCOME_DEFERRED);
	g_assert_cmpstr(g->txs[0].rcpts[1].cause, ==, "greylisting");
	g_assert_cmpuint(g->txs[0].deferred, ==, 1);
	check(&g->session, DIAG_OUTCOME_PARTLY_DELIVERED, DIAG_STAGE_RCPT,
	    "greylisting");
	g_assert_cmpuint(diagnosis_fail_bits(g), ==, 1u << DIAG_FAIL_DEFERRED);
	diagnosis_free(g);
}

static void
test_all_refused(void)
{
	/* Postfix after PIPELINING: every RCPT refused, DATA refused with
	 * "no valid recipients": the recipients are the reason. */
	static const struct chunk t[] = { GREET, EHLO,
		C(4, "MAIL FROM:<s@c.example>\r\nRCPT TO:<x@mx.example.com>"
		     "\r\nDATA\r\n"),
		S(5, "250 2.1.0 Ok\r\n550 5.1.1 <x@mx.example.com>: Recipient "
		     "address rejected: User unknown in local recipient "
		     "table\r\n554 5.5.1 Error: no valid recipients\r\n"),
		C(6, "QUIT\r\n"), S(7, "221 Bye\r\n"), END };
	g_autoptr(dialogue_t) d = run(t, DLG_END_CLOSED, 8, 7);
	struct diagnosis *g = diagnosis_new(d);

	check(&g->session, DIAG_OUTCOME_REJECTED, DIAG_STAGE_RCPT,
	    "unknown-user");
	g_assert_cmpuint(diagnosis_fail_bits(g), ==, 1u << DIAG_FAIL_REJECTED);
	diagnosis_free(g);
}

static void
test_size_and_content(void)
{
	static const struct chunk t[] = { GREET, EHLO,
		C(4, "MAIL FROM:<s@c.example> SIZE=5000\r\n"),
		S(5, "552 5.3.4 Message size exceeds fixed limit\r\n"),
		C(6, "MAIL FROM:<s@c.example>\r\n"), S(7, "250 Ok\r\n"),
		C(8, "RCPT TO:<a@mx.example.com>\r\n"), S(9, "250 Ok\r\n"),
		C(10, "DATA\r\n"), S(11, "354 go\r\n"),
		C(12, "Subject: buy\r\n\r\nspam\r\n.\r\n"),
		S(13, "554 5.7.1 Message rejected as spam\r\n"), END };
	g_autoptr(dialogue_t) d = run(t, DLG_END_CLOSED, 14, 14);
	struct diagnosis *g = diagnosis_new(d);
	guint i;
	bool size = false;

	g_assert_cmpuint(g->n_txs, ==, 2);
	check(&g->txs[0].v, DIAG_OUTCOME_REJECTED, DIAG_STAGE_MAIL,
	    "message-too-large");
	check(&g->txs[1].v, DIAG_OUTCOME_REJECTED, DIAG_STAGE_END_OF_DATA,
	    "content");
	g_assert_cmpint(g->txs[1].rcpts[0].outcome, ==, DIAG_OUTCOME_REJECTED);
	g_assert_cmpstr(g->txs[1].rcpts[0].cause, ==, "content");
	for (i = 0; i < g->n_flags; i++)
		if (g->flags[i].kind == DIAG_FLAG_SIZE_EXCEEDED)
			size = true;
	g_assert_true(size);
	diagnosis_free(g);
}

static void
test_reset_in_data(void)
{
	static const struct chunk t[] = { GREET, EHLO, MAIL,
		C(6, "RCPT TO:<a@mx.example.com>\r\n"), S(7, "250 Ok\r\n"),
		C(8, "DATA\r\n"), S(9, "354 go\r\n"),
		C(10, "Subject: x\r\n\r\nhalf a mess"), END };
	g_autoptr(dialogue_t) d = run(t, DLG_END_RESET, 300, -1);
	struct diagnosis *g = diagnosis_new(d);

	check(&g->session, DIAG_OUTCOME_ABANDONED, DIAG_STAGE_DATA,
	    "connection-reset-in-data");
	g_assert_cmpint(g->txs[0].rcpts[0].outcome, ==, DIAG_OUTCOME_ABANDONED);
	diagnosis_free(g);
}

static void
test_client_gave_up(void)
{
	/* No reply to RCPT; the client closed 2 s later; the capture ended
	 * before the server closed. */
	static const struct chunk t[] = { GREET, EHLO, MAIL,
		C(6, "RCPT TO:<slow@mx.example.com>\r\n"), END };
	g_autoptr(dialogue_t) d = run(t, DLG_END_CAPTURE_ENDED, 2100, 2006);
	struct diagnosis *g = diagnosis_new(d);

	check(&g->session, DIAG_OUTCOME_ABANDONED, DIAG_STAGE_RCPT, "no-reply");
	g_assert_cmpint(g->session.waited, ==, 2000 * 1000);
	g_assert_cmpuint(g->n_flags, ==, 1);
	g_assert_cmpint(g->flags[0].kind, ==, DIAG_FLAG_NO_REPLY);
	g_assert_cmpstr(g->flags[0].text, ==,
	    "no reply to RCPT: the client closed the connection 2.000 s after "
	    "it, sooner than the 5 minutes RFC 5321 §4.5.3.2 has a client "
	    "wait");
	g_assert_cmpuint(
	    diagnosis_fail_bits(g), ==, 1u << DIAG_FAIL_SLOW_SERVER);
	diagnosis_free(g);
}

static void
test_capture_ended(void)
{
	/* The same without the client's FIN: the capture cannot tell. */
	static const struct chunk t[] = { GREET, EHLO, MAIL,
		C(6, "RCPT TO:<slow@mx.example.com>\r\n"), END };
	g_autoptr(dialogue_t) d = run(t, DLG_END_CAPTURE_ENDED, 2100, -1);
	struct diagnosis *g = diagnosis_new(d);

	check(&g->session, DIAG_OUTCOME_UNKNOWN, DIAG_STAGE_RCPT,
	    "capture-ended");
	g_assert_cmpuint(g->n_flags, ==, 0);
	g_assert_cmpuint(diagnosis_fail_bits(g), ==, 0);
	diagnosis_free(g);
}

static void
test_slow(void)
{
	/* A greeting after 6 s and one reply 8 s slower than the rest. */
	static const struct chunk t[] = { S(6000, "220 mx.example.com\r\n"),
		C(6001, "EHLO c.example\r\n"), S(6002, "250 mx\r\n"),
		C(6003, "MAIL FROM:<s@c.example>\r\n"), S(6004, "250 Ok\r\n"),
		C(6005, "RCPT TO:<a@mx.example.com>\r\n"),
		S(14005, "250 Ok\r\n"), C(14006, "QUIT\r\n"),
		S(14007, "221 Bye\r\n"), END };
	g_autoptr(dialogue_t) d = run(t, DLG_END_CLOSED, 14008, 14007);
	struct diagnosis *g = diagnosis_new(d);

	g_assert_cmpint(g->greeting, ==, 6000 * 1000);
	g_assert_cmpuint(g->n_flags, ==, 2);
	g_assert_cmpint(g->flags[0].kind, ==, DIAG_FLAG_SLOW_GREETING);
	g_assert_cmpint(g->flags[1].kind, ==, DIAG_FLAG_SLOW_REPLY);
	g_assert_cmpint(g->flags[1].usec, ==, 8000 * 1000);
	g_assert_cmpint(g->flags[1].item->cmd, ==, SMTP_CMD_RCPT);
	check(&g->session, DIAG_OUTCOME_ABANDONED, DIAG_STAGE_RCPT,
	    "client-quit");
	g_assert_cmpuint(
	    diagnosis_fail_bits(g), ==, 1u << DIAG_FAIL_SLOW_SERVER);
	diagnosis_free(g);
}

static void
test_greeting(void)
{
	static const struct chunk refused[] = {
		S(1, "554 5.7.1 No SMTP service here\r\n"), C(2, "QUIT\r\n"),
		S(3, "221 Bye\r\n"), END
	};
	static const struct chunk anvil[] = { S(1, "421 4.7.0 mx.example.com "
						   "Error: too many "
						   "connections from "
						   "192.0.2.1\r\n"),
		END };
	static const struct chunk probe[] = { GREET, EHLO, C(4, "QUIT\r\n"),
		S(5, "221 Bye\r\n"), END };
	static const struct chunk silent[] = { END };
	struct diagnosis *g;
	struct dialogue *d;

	d = run(refused, DLG_END_CLOSED, 4, 3);
	g = diagnosis_new(d);
	check(&g->session, DIAG_OUTCOME_REJECTED, DIAG_STAGE_GREETING,
	    "no-service");
	diagnosis_free(g);
	dialogue_free(d);

	d = run(anvil, DLG_END_CLOSED, 2, -1);
	g = diagnosis_new(d);
	check(&g->session, DIAG_OUTCOME_DEFERRED, DIAG_STAGE_GREETING,
	    "rate-limited");
	diagnosis_free(g);
	dialogue_free(d);

	d = run(probe, DLG_END_CLOSED, 6, 5);
	g = diagnosis_new(d);
	check(&g->session, DIAG_OUTCOME_ABANDONED, DIAG_STAGE_HELO,
	    "client-quit");
	g_assert_cmpuint(diagnosis_fail_bits(g), ==, 0);
	diagnosis_free(g);
	dialogue_free(d);

	/* Connected, nothing said, the client left after 30 s. */
	d = run(silent, DLG_END_CLOSED, 30001, 30000);
	g = diagnosis_new(d);
	check(&g->session, DIAG_OUTCOME_ABANDONED, DIAG_STAGE_GREETING,
	    "no-greeting");
	g_assert_cmpint(g->session.waited, ==, 30000 * 1000);
	g_assert_cmpuint(
	    diagnosis_fail_bits(g), ==, 1u << DIAG_FAIL_SLOW_SERVER);
	diagnosis_free(g);
	dialogue_free(d);
}

static void
test_retries(void)
{
	static const struct chunk first[] = { GREET, EHLO, MAIL,
		C(6, "RCPT TO:<a@mx.example.com>\r\n"),
		S(7,
		    "450 4.2.0 <a@mx.example.com>: Recipient address rejected: "
		    "Greylisted\r\n"),
		C(8, "QUIT\r\n"), S(9, "221 Bye\r\n"), END };
	static const struct chunk again[] = { GREET, EHLO, MAIL,
		C(6, "RCPT TO:<A@mx.example.com>\r\n"), S(7, "250 Ok\r\n"),
		C(8, "DATA\r\n"), S(9, "354 go\r\n"),
		C(10, "Subject: x\r\n\r\nhi\r\n.\r\n"),
		S(11, "250 2.0.0 Ok: queued as 4F2A1\r\n"), END };
	struct diag_retries *r = diag_retries_new();
	struct dialogue *a = run(first, DLG_END_CLOSED, 10, 9);
	struct dialogue *b = run(again, DLG_END_CLOSED, 12, 12);
	struct dialogue *c = run(again, DLG_END_CLOSED, 12, 12);

	g_strlcpy(a->id, "aaaaaaaaaaaaaaaa", sizeof a->id);
	g_strlcpy(b->id, "bbbbbbbbbbbbbbbb", sizeof b->id);
	g_strlcpy(c->id, "cccccccccccccccc", sizeof c->id);
	b->ts_start += 300 * G_USEC_PER_SEC;
	c->ts_start += 600 * G_USEC_PER_SEC;
	a->diagnosis = diagnosis_new(a);
	b->diagnosis = diagnosis_new(b);
	c->diagnosis = diagnosis_new(c);
	diag_retries_apply(r, a);
	g_assert_cmpstr(a->diagnosis->txs[0].retry_of.session, ==, "");
	diag_retries_apply(r, b);
	/* The same client, sender and recipient (case aside). */
	g_assert_cmpstr(
	    b->diagnosis->txs[0].retry_of.session, ==, "aaaaaaaaaaaaaaaa");
	g_assert_cmpint(
	    b->diagnosis->txs[0].retry_of.after, ==, 300 * G_USEC_PER_SEC);
	g_assert_cmpstr(b->diagnosis->txs[0].retry_of.cause, ==, "greylisting");
	/* Delivered: no longer waiting, a third attempt retries nothing. */
	diag_retries_apply(r, c);
	g_assert_cmpstr(c->diagnosis->txs[0].retry_of.session, ==, "");
	dialogue_free(a);
	dialogue_free(b);
	dialogue_free(c);
	diag_retries_free(r);
}

static void
test_fail_names(void)
{
	g_assert_cmpint(diag_fail_lookup("deferred"), ==, DIAG_FAIL_DEFERRED);
	g_assert_cmpint(diag_fail_lookup("rejected"), ==, DIAG_FAIL_REJECTED);
	g_assert_cmpint(
	    diag_fail_lookup("tls-failure"), ==, DIAG_FAIL_TLS_FAILURE);
	g_assert_cmpint(
	    diag_fail_lookup("slow-server"), ==, DIAG_FAIL_SLOW_SERVER);
	g_assert_cmpint(diag_fail_lookup("open-relay"), ==, -1);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/causes/classify", test_causes);
	g_test_add_func("/causes/catalogue", test_catalogue_complete);
	g_test_add_func("/causes/details", test_details);
	g_test_add_func("/diagnosis/delivered", test_delivered);
	g_test_add_func("/diagnosis/greylisted-partly", test_greylisted_partly);
	g_test_add_func("/diagnosis/all-refused", test_all_refused);
	g_test_add_func("/diagnosis/size-and-content", test_size_and_content);
	g_test_add_func("/diagnosis/reset-in-data", test_reset_in_data);
	g_test_add_func("/diagnosis/client-gave-up", test_client_gave_up);
	g_test_add_func("/diagnosis/capture-ended", test_capture_ended);
	g_test_add_func("/diagnosis/slow", test_slow);
	g_test_add_func("/diagnosis/greeting", test_greeting);
	g_test_add_func("/diagnosis/retries", test_retries);
	g_test_add_func("/diagnosis/fail-names", test_fail_names);
	return g_test_run();
}
