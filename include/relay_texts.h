/* SPDX-License-Identifier: GPL-2.0-or-later */
/* relay_texts.h: what a reply to RCPT says about relaying, from its code,
 * enhanced status code and text (the catalogue of real MTA texts). */
#ifndef RS_RELAY_TEXTS_H
#define RS_RELAY_TEXTS_H

#include "smtp_reply.h"

/* What a reply to RCPT means, before any policy (local domains, trusted
 * networks, AUTH) is applied. */
enum relay_reply {
	RELAY_REPLY_ACCEPTED,	  /* 2xx */
	RELAY_REPLY_RELAY_DENIED, /* refused as relaying (any class) */
	RELAY_REPLY_OTHER_CAUSE,  /* refused (5xx) for a named other cause */
	RELAY_REPLY_TEMPFAIL,	  /* 4xx for a named other cause */
	RELAY_REPLY_UNSTATED,	  /* 4xx/5xx naming no cause at all */
	RELAY_REPLY_UNEXPECTED,	  /* 1xx/3xx to RCPT */
};

/* The classification, with the evidence it rests on. */
struct relay_reply_class {
	enum relay_reply kind;
	const char *cause;  /* "relay", "helo", "client-host", ...; or NULL */
	const char *source; /* which catalogue row matched, e.g. "postfix
			     * reject_unauth_destination"; or NULL */
};

/* Classify a reply to RCPT.  In order: texts naming another cause (so
 * that "Helo command rejected" with 4.7.1 is not taken for a relay
 * refusal); syntax and sequence errors (500-504, X.5.x), which are never
 * relay refusals; relay texts; relay enhanced codes (5.7.1, 4.7.1,
 * 5.7.54, 5.7.64); other enhanced codes by class (X.1.1 unknown user,
 * X.2.2 mailbox full, ...); else no cause (UNSTATED). */
void relay_texts_classify(
    const struct smtp_reply *r, struct relay_reply_class *out);
/* A cause in words ("bad-sequence" -> "bad command sequence"); the name
 * itself for one without a phrase, NULL for NULL. */
const char *relay_texts_cause_phrase(const char *cause);
/* The name of a kind ("relay-denied"). */
const char *relay_texts_kind_name(enum relay_reply k);

#endif
