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

/* Other causes, tried before anything else: Postfix reports HELO and
 * client checks at RCPT time (smtpd_delay_reject), often with 4.7.1. */
static const struct relay_text cause_texts[] = {
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
	{ "virus", RELAY_REPLY_OTHER_CAUSE, "content", "content filter" },
};

/* Relay refusals, tried after the syntax and sequence codes. */
static const struct relay_text relay_texts[] = {
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

/* What a refusal is, from RFC 5321 §4.2.2-4.2.3 reply codes and RFC 3463
 * enhanced codes, when no text row named a cause.  Rows are tried in
 * order; "code" 0 matches any code, an empty enhanced prefix any code.
 * The syntax and sequence rows come before the relay texts: a 5.5.x or
 * 500-504 reply is about the command, never about relaying. */
struct relay_code_rule {
	int code_lo, code_hi; /* reply code range, 0: any */
	const char *enhanced; /* the enhanced code's subject and detail
			       * (".1.1" for 5.1.1), or a subject class
			       * ending in a dot (".1."), or "" */
	const char *cause;
	const char *source;
};

static const struct relay_code_rule sequence_rules[] = {
	{ 0, 0, ".5.3", "too-many-recipients", "RFC 3463 X.5.3" },
	{ 503, 503, "", "bad-sequence", "RFC 5321 503 bad sequence" },
	{ 500, 501, "", "syntax", "RFC 5321 500/501 syntax error" },
	{ 502, 502, "", "not-implemented", "RFC 5321 502" },
	{ 504, 504, "", "not-implemented", "RFC 5321 504" },
	{ 0, 0, ".5.", "syntax", "RFC 3463 X.5.x invalid command" },
};

static const struct relay_code_rule other_rules[] = {
	{ 0, 0, ".1.1", "unknown-user", "RFC 3463 X.1.1" },
	{ 0, 0, ".1.2", "bad-destination", "RFC 3463 X.1.2" },
	{ 0, 0, ".1.3", "address-syntax", "RFC 3463 X.1.3" },
	{ 0, 0, ".1.", "address", "RFC 3463 X.1.x" },
	{ 0, 0, ".2.2", "mailbox-full", "RFC 3463 X.2.2" },
	{ 0, 0, ".2.", "mailbox", "RFC 3463 X.2.x" },
	{ 0, 0, ".3.4", "message-too-large", "RFC 3463 X.3.4" },
	{ 0, 0, ".3.", "system", "RFC 3463 X.3.x" },
	{ 0, 0, ".4.", "network", "RFC 3463 X.4.x" },
	{ 0, 0, ".7.", "policy", "RFC 3463 X.7.x" },
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

/* The first row whose text is in low (the reply text in lower case). */
static const struct relay_text *
text_row(const char *low, const struct relay_text *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strstr(low, rows[i].needle) != NULL)
			return &rows[i];
	return NULL;
}

/* The first rule the reply satisfies, or NULL. */
static const struct relay_code_rule *
code_rule(
    const struct smtp_reply *r, const struct relay_code_rule *rules, size_t n)
{
	const char *detail = strchr(r->enhanced, '.');
	size_t i;

	for (i = 0; i < n; i++) {
		const struct relay_code_rule *x = &rules[i];

		if (x->code_lo != 0 &&
		    (r->code < x->code_lo || r->code > x->code_hi))
			continue;
		if (x->enhanced[0] != '\0' &&
		    (detail == NULL ||
			(g_str_has_suffix(x->enhanced, ".")
				? !g_str_has_prefix(detail, x->enhanced)
				: strcmp(detail, x->enhanced) != 0)))
			continue;
		return x;
	}
	return NULL;
}

static void
set_class(struct relay_reply_class *out, enum relay_reply kind, int cls,
    const char *cause, const char *source)
{
	out->kind = kind == RELAY_REPLY_OTHER_CAUSE && cls == 4
			? RELAY_REPLY_TEMPFAIL
			: kind;
	out->cause = cause;
	out->source = source;
}

void
relay_texts_classify(const struct smtp_reply *r, struct relay_reply_class *out)
{
	g_autofree char *low = NULL;
	const struct relay_code_rule *rule;
	const struct relay_text *t;
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
	t = text_row(low, cause_texts, G_N_ELEMENTS(cause_texts));
	if (t == NULL) {
		/* A syntax or sequence error is about the command, whatever
		 * else the text says (Sendmail "503 5.0.0 Need MAIL before
		 * RCPT", Exim "501 <a!b>: recipient address must contain a
		 * domain"). */
		rule =
		    code_rule(r, sequence_rules, G_N_ELEMENTS(sequence_rules));
		if (rule != NULL) {
			set_class(out, RELAY_REPLY_OTHER_CAUSE, cls,
			    rule->cause, rule->source);
			return;
		}
		t = text_row(low, relay_texts, G_N_ELEMENTS(relay_texts));
	}
	if (t != NULL) {
		set_class(out, t->kind, cls, t->cause, t->source);
		return;
	}
	for (i = 0; i < G_N_ELEMENTS(relay_codes); i++)
		if (strcmp(r->enhanced, relay_codes[i]) == 0) {
			set_class(out, RELAY_REPLY_RELAY_DENIED, cls, "relay",
			    "enhanced status code");
			return;
		}
	rule = code_rule(r, other_rules, G_N_ELEMENTS(other_rules));
	if (rule != NULL) {
		set_class(out, RELAY_REPLY_OTHER_CAUSE, cls, rule->cause,
		    rule->source);
		return;
	}
	out->kind = RELAY_REPLY_UNSTATED;
}

/* Causes in words, for people. */
static const struct {
	const char *cause, *phrase;
} cause_phrases[] = {
	{ "relay", "relaying refused" },
	{ "helo", "HELO name refused" },
	{ "client-host", "client host refused" },
	{ "sender", "sender refused" },
	{ "greylisting", "greylisting" },
	{ "auth-required", "authentication required" },
	{ "tls-required", "TLS required" },
	{ "blocklist", "client on a DNS blocklist" },
	{ "unknown-user", "unknown user" },
	{ "content", "message content refused" },
	{ "bad-sequence", "bad command sequence" },
	{ "too-many-recipients", "too many recipients" },
	{ "syntax", "syntax error" },
	{ "not-implemented", "command not implemented" },
	{ "bad-destination", "bad destination system" },
	{ "address-syntax", "bad destination address syntax" },
	{ "address", "address refused" },
	{ "mailbox-full", "mailbox full" },
	{ "mailbox", "mailbox unavailable" },
	{ "message-too-large", "message too large" },
	{ "system", "mail system problem" },
	{ "network", "network or routing problem" },
	{ "policy", "refused by policy" },
};

const char *
relay_texts_cause_phrase(const char *cause)
{
	guint i;

	for (i = 0; cause != NULL && i < G_N_ELEMENTS(cause_phrases); i++)
		if (strcmp(cause_phrases[i].cause, cause) == 0)
			return cause_phrases[i].phrase;
	return cause;
}
