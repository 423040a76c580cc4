/* SPDX-License-Identifier: GPL-2.0-or-later */
/* relay_texts.c: what a reply to RCPT says about relaying, read from the
 * catalogue of causes (causes.c), which holds the texts. */
#include <glib.h>

#include "causes.h"
#include "relay_texts.h"

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
	struct cause_match m;
	int cls = smtp_reply_class(r->code);

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
	causes_classify(r, DIAG_STAGE_RCPT, &m);
	if (m.cause == NULL) {
		out->kind = RELAY_REPLY_UNSTATED;
		return;
	}
	out->cause = m.cause;
	out->source = m.source;
	out->kind = m.relay    ? RELAY_REPLY_RELAY_DENIED
		    : cls == 4 ? RELAY_REPLY_TEMPFAIL
			       : RELAY_REPLY_OTHER_CAUSE;
}

const char *
relay_texts_cause_phrase(const char *cause)
{
	const struct cause_info *c = cause_info(cause);

	return c != NULL ? c->phrase : cause;
}
