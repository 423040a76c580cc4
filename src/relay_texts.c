/* SPDX-License-Identifier: GPL-2.0-or-later */
/* relay_texts.c: the catalogue of relay-refusal and other-cause reply
 * texts of real MTAs (references/smtp.md §8, §7; RFC 3463 §3.8 for X.7.1,
 * RFC 7372 for 5.7.25).  One table, matched case-insensitively as
 * substrings; the first matching row wins, so other causes come first. */
#include <string.h>

#include <glib.h>

#include "relay_texts.h"

struct relay_text {
	const char *needle;    /* lower case */
	enum relay_reply kind; /* for a 5xx; a 4xx other cause is TEMPFAIL */
	const char *cause;
	const char *source;
};

static const struct relay_text relay_texts[] = {
	/* Other causes, before any relay text: Postfix reports HELO and
	 * client checks at RCPT time (smtpd_delay_reject), often with 4.7.1. */
	{ "helo command rejected", RELAY_REPLY_OTHER_CAUSE, "helo",
	    "postfix smtpd_helo_restrictions" },
	{ "client host rejected", RELAY_REPLY_OTHER_CAUSE, "client-host",
	    "postfix smtpd_client_restrictions" },
	{ "sender address rejected", RELAY_REPLY_OTHER_CAUSE, "sender",
	    "postfix smtpd_sender_restrictions" },
	{ "greylist", RELAY_REPLY_OTHER_CAUSE, "greylisting", "greylisting" },
	{ "try again later", RELAY_REPLY_OTHER_CAUSE, "greylisting",
	    "greylisting" },
	{ "authentication required", RELAY_REPLY_OTHER_CAUSE, "auth-required",
	    "RFC 4954 530 5.7.0" },
	{ "must issue a starttls", RELAY_REPLY_OTHER_CAUSE, "tls-required",
	    "RFC 3207 530 5.7.0" },
	{ "blocked using", RELAY_REPLY_OTHER_CAUSE, "blocklist",
	    "DNS blocklist" },
	{ "spamhaus", RELAY_REPLY_OTHER_CAUSE, "blocklist", "DNS blocklist" },
	{ "user unknown", RELAY_REPLY_OTHER_CAUSE, "unknown-user",
	    "unknown local user" },
	{ "unknown user", RELAY_REPLY_OTHER_CAUSE, "unknown-user",
	    "unknown local user" },
	{ "mailbox unavailable", RELAY_REPLY_OTHER_CAUSE, "unknown-user",
	    "unknown local user" },
	{ "no such user", RELAY_REPLY_OTHER_CAUSE, "unknown-user",
	    "unknown local user" },
	/* Relay refusals. */
	{ "relay access denied", RELAY_REPLY_RELAY_DENIED, "relay",
	    "postfix reject_unauth_destination / Exchange Online" },
	{ "relaying denied", RELAY_REPLY_RELAY_DENIED, "relay",
	    "sendmail proto.m4" },
	{ "relaying temporarily denied", RELAY_REPLY_RELAY_DENIED, "relay",
	    "sendmail proto.m4" },
	{ "relay not permitted", RELAY_REPLY_RELAY_DENIED, "relay",
	    "exim default configure" },
	{ "unable to relay", RELAY_REPLY_RELAY_DENIED, "relay", "exchange" },
	{ "rcpthosts", RELAY_REPLY_RELAY_DENIED, "relay", "qmail-smtpd" },
	{ "relaying disallowed", RELAY_REPLY_RELAY_DENIED, "relay", "zoho" },
	{ "relay denied", RELAY_REPLY_RELAY_DENIED, "relay", "google" },
	{ "invalid credentials for relay", RELAY_REPLY_RELAY_DENIED, "relay",
	    "google smtp-relay" },
	{ "not permitted to relay", RELAY_REPLY_RELAY_DENIED, "relay",
	    "generic" },
	{ "we do not relay", RELAY_REPLY_RELAY_DENIED, "relay", "generic" },
	{ "relaying not allowed", RELAY_REPLY_RELAY_DENIED, "relay",
	    "generic" },
};

/* Enhanced codes that mean "not authorised to relay" when the text names
 * no other cause (RFC 3463 X.7.1; Exchange 5.7.54, Exchange Online
 * 5.7.64). */
static const char *const relay_codes[] = { "5.7.1", "4.7.1", "5.7.54",
	"5.7.64" };

static const char *const kind_names[] = {
	[RELAY_REPLY_ACCEPTED] = "accepted",
	[RELAY_REPLY_RELAY_DENIED] = "relay-denied",
	[RELAY_REPLY_OTHER_CAUSE] = "other-cause",
	[RELAY_REPLY_TEMPFAIL] = "tempfail",
	[RELAY_REPLY_UNSTATED] = "unstated",
	[RELAY_REPLY_UNEXPECTED] = "unexpected",
};

const char *
relay_texts_kind_name(enum relay_reply k)
{
	return (unsigned)k < G_N_ELEMENTS(kind_names) ? kind_names[k] : "?";
}

void
relay_texts_classify(const struct smtp_reply *r, struct relay_reply_class *out)
{
	g_autofree char *low = NULL;
	int cls = smtp_reply_class(r->code);
	guint i;

	out->cause = NULL;
	out->source = NULL;
	if (cls == 2) {
		out->kind = RELAY_REPLY_ACCEPTED;
		return;
	}
	if (cls != 4 && cls != 5) {
		out->kind = RELAY_REPLY_UNEXPECTED;
		return;
	}
	low = g_ascii_strdown(r->text, (gssize)r->text_len);
	for (i = 0; i < G_N_ELEMENTS(relay_texts); i++) {
		const struct relay_text *t = &relay_texts[i];

		if (strstr(low, t->needle) == NULL)
			continue;
		out->kind = t->kind == RELAY_REPLY_OTHER_CAUSE && cls == 4
				? RELAY_REPLY_TEMPFAIL
				: t->kind;
		out->cause = t->cause;
		out->source = t->source;
		return;
	}
	for (i = 0; i < G_N_ELEMENTS(relay_codes); i++) {
		if (strcmp(r->enhanced, relay_codes[i]) != 0)
			continue;
		out->kind = RELAY_REPLY_RELAY_DENIED;
		out->cause = "relay";
		out->source = "enhanced status code";
		return;
	}
	out->kind = RELAY_REPLY_UNSTATED;
}
