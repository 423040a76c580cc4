/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-relay-texts.c: every reply text of references/smtp.md classified. */
#include <string.h>

#include <glib.h>

#include "relay_texts.h"

struct case_ {
	const char *line; /* a whole reply line as on the wire */
	enum relay_reply kind;
	const char *cause;
};

static const struct case_ cases[] = {
	/* Relay refusals, per MTA. */
	{ "554 5.7.1 <v@example.org>: Relay access denied",
	    RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "454 4.7.1 <victim@gmail.example>: Relay access denied",
	    RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "554 5.7.1 <v@example.org>: Recipient address rejected: Relay "
	  "access denied",
	    RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "550 5.7.1 <v@example.org>... Relaying denied",
	    RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "550 5.7.1 <v@example.org>... Relaying denied. IP name lookup "
	  "failed [192.0.2.1]",
	    RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "550 5.7.1 <v@example.org>... Relaying denied. IP name possibly "
	  "forged [192.0.2.1]",
	    RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "450 4.7.1 Relaying temporarily denied. Cannot resolve PTR record "
	  "for 192.0.2.1",
	    RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "550 relay not permitted", RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "553 sorry, that domain isn't in my list of allowed rcpthosts "
	  "(#5.7.1)",
	    RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "553 5.1.1 Sorry, that domain isn't in my list of allowed "
	  "rcpthosts.",
	    RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain",
	    RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "550 5.7.1 Unable to relay", RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "550 5.7.1 Unable to relay for <v@example.org>",
	    RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "550 5.7.64 TenantAttribution; Relay Access Denied",
	    RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "550 5.7.64 Relay Access Denied ATTR36", RELAY_REPLY_RELAY_DENIED,
	    "relay" },
	{ "550 5.7.0 Mail relay denied [192.0.2.1]", RELAY_REPLY_RELAY_DENIED,
	    "relay" },
	{ "550 5.7.1 Invalid credentials for relay [192.0.2.1]",
	    RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "553 Relaying disallowed", RELAY_REPLY_RELAY_DENIED, "relay" },
	{ "550 5.7.1 <v@example.org>: not for us", RELAY_REPLY_RELAY_DENIED,
	    "relay" },
	/* Other causes stay other causes. */
	{ "450 4.7.1 <c.example>: Helo command rejected: Host not found",
	    RELAY_REPLY_TEMPFAIL, "helo" },
	{ "504 5.5.2 <c>: Helo command rejected: need fully-qualified "
	  "hostname",
	    RELAY_REPLY_OTHER_CAUSE, "helo" },
	{ "501 5.5.2 <c!>: Helo command rejected: Invalid name",
	    RELAY_REPLY_OTHER_CAUSE, "helo" },
	{ "450 4.7.25 Client host rejected: cannot find your hostname, "
	  "[192.0.2.1]",
	    RELAY_REPLY_TEMPFAIL, "reverse-dns" },
	{ "450 4.7.1 Client host rejected: cannot find your reverse "
	  "hostname, [192.0.2.1]",
	    RELAY_REPLY_TEMPFAIL, "reverse-dns" },
	{ "530 5.7.0 Authentication required", RELAY_REPLY_OTHER_CAUSE,
	    "auth-required" },
	{ "550 5.1.1 <nobody@example.com>: Recipient address rejected: User "
	  "unknown in local recipient table",
	    RELAY_REPLY_OTHER_CAUSE, "unknown-user" },
	{ "450 4.7.1 <a@example.com>: Recipient address rejected: "
	  "Greylisted, see http://postgrey.schweikert.ch/help/example.com.html",
	    RELAY_REPLY_TEMPFAIL, "greylisting" },
	{ "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked "
	  "using zen.spamhaus.org",
	    RELAY_REPLY_OTHER_CAUSE, "blocklist" },
	/* Syntax and sequence errors and address errors are never relay
	 * refusals (the public corpus: Sendmail, CommuniGate, Exim). */
	{ "503 5.0.0 Need MAIL before RCPT", RELAY_REPLY_OTHER_CAUSE,
	    "bad-sequence" },
	{ "503 5.5.1 Error: need MAIL command", RELAY_REPLY_OTHER_CAUSE,
	    "bad-sequence" },
	{ "501 Unknown command", RELAY_REPLY_OTHER_CAUSE, "syntax" },
	{ "500 5.5.1 Command unrecognized: \"x\"", RELAY_REPLY_OTHER_CAUSE,
	    "syntax" },
	{ "550 5.5.1 <v@example.org>: protocol error", RELAY_REPLY_OTHER_CAUSE,
	    "syntax" },
	{ "501 <example.org!relaytest>: recipient address must contain a "
	  "domain",
	    RELAY_REPLY_OTHER_CAUSE, "syntax" },
	{ "501 5.1.3 Bad recipient address syntax", RELAY_REPLY_OTHER_CAUSE,
	    "syntax" },
	{ "504 5.5.2 <v>: Recipient address rejected: need fully-qualified "
	  "address",
	    RELAY_REPLY_OTHER_CAUSE, "not-implemented" },
	{ "452 4.5.3 Error: too many recipients", RELAY_REPLY_TEMPFAIL,
	    "too-many-recipients" },
	{ "550 5.1.2 Host unknown", RELAY_REPLY_OTHER_CAUSE,
	    "bad-destination" },
	{ "553 5.1.3 <a b>... Address contains a space",
	    RELAY_REPLY_OTHER_CAUSE, "address-syntax" },
	{ "552 5.2.2 Mailbox full", RELAY_REPLY_OTHER_CAUSE, "mailbox-full" },
	{ "452 4.2.2 Over quota", RELAY_REPLY_TEMPFAIL, "mailbox-full" },
	{ "550 5.7.0 Policy rejection", RELAY_REPLY_OTHER_CAUSE, "policy" },
	{ "554 5.7.1 Message contains virus: rejected.",
	    RELAY_REPLY_OTHER_CAUSE, "content" },
	{ "550 5.7.10 <v@example.org>: not 5.7.1", RELAY_REPLY_OTHER_CAUSE,
	    "tls-required" }, /* RFC 5248: X.7.10 encryption needed */
	/* No cause named: the verdict layer decides with the policy. */
	{ "550 Invalid recipient: <v@example.org>", RELAY_REPLY_UNSTATED,
	    NULL },
	{ "451 4.3.0 Temporary lookup failure", RELAY_REPLY_TEMPFAIL,
	    "system" },
	{ "450 no", RELAY_REPLY_UNSTATED, NULL },
	{ "250 2.1.5 Ok", RELAY_REPLY_ACCEPTED, NULL },
	{ "251 User not local; will forward", RELAY_REPLY_ACCEPTED, NULL },
	{ "354 go ahead", RELAY_REPLY_UNEXPECTED, NULL },
};

static struct smtp_reply *
reply_of(const char *line)
{
	struct smtp_reply_asm a;
	struct smtp_reply_line l;
	struct strview v = { line, strlen(line) };
	struct smtp_reply *r;

	memset(&a, 0, sizeof a);
	g_assert_true(smtp_reply_line_parse(v, &l));
	r = smtp_reply_asm_push(&a, &l);
	g_assert_nonnull(r);
	return r;
}

static void
test_catalogue(void)
{
	guint i;

	g_test_summary("relay refusals of Postfix, sendmail, Exim, qmail, "
		       "Exchange, Exchange Online, Google, Zoho; other causes "
		       "with the same codes are not relay refusals");
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct smtp_reply *r = reply_of(cases[i].line);
		struct relay_reply_class c;

		relay_texts_classify(r, &c);
		if (c.kind != cases[i].kind ||
		    g_strcmp0(c.cause, cases[i].cause) != 0)
			g_error("\"%s\": got %s/%s, want %s/%s", cases[i].line,
			    relay_texts_kind_name(c.kind),
			    c.cause != NULL ? c.cause : "-",
			    relay_texts_kind_name(cases[i].kind),
			    cases[i].cause != NULL ? cases[i].cause : "-");
		smtp_reply_free(r);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/relay/texts/catalogue", test_catalogue);
	return g_test_run();
}
