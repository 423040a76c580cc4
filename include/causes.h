/* SPDX-License-Identifier: GPL-2.0-or-later */
/* causes.h: the catalogue of why SMTP fails (docs/diagnosis.md).  One
 * table of real MTA reply texts and RFC 3463 / RFC 5248 enhanced-code
 * fallbacks maps a refusal to a cause; each cause has a phrase, a one-line
 * explanation and a remedy for the client's side and the server's.  The
 * relay judgement (relay_texts.h) and the diagnosis (diagnosis.h) both
 * read it. */
#ifndef RS_CAUSES_H
#define RS_CAUSES_H

#include <stdbool.h>
#include <stdint.h>

#include "smtp_reply.h"

/* Where in a session something was decided. */
#define DIAG_STAGE_LIST(X)                                                     \
	X(CONNECT, "connect", "connect")                                       \
	X(GREETING, "greeting", "greeting")                                    \
	X(HELO, "helo", "HELO/EHLO")                                           \
	X(STARTTLS, "starttls", "STARTTLS")                                    \
	X(AUTH, "auth", "AUTH")                                                \
	X(MAIL, "mail", "MAIL")                                                \
	X(RCPT, "rcpt", "RCPT")                                                \
	X(DATA, "data", "DATA")                                                \
	X(END_OF_DATA, "end-of-data", "end of data")                           \
	X(QUIT, "quit", "QUIT")                                                \
	X(COMMAND, "command", "another command")

enum diag_stage {
#define DIAG_STAGE_ENUM(id, name, label) DIAG_STAGE_##id,
	DIAG_STAGE_LIST(DIAG_STAGE_ENUM)
#undef DIAG_STAGE_ENUM
	    DIAG_STAGE_COUNT
};

/* What a cause is about, for --fail-on and the summary. */
#define CAUSE_F_TLS 0x01	  /* a TLS failure (--fail-on tls-failure) */
#define CAUSE_F_SLOW 0x02	  /* a slow or silent server (slow-server) */
#define CAUSE_F_CLIENT_FAULT 0x04 /* the client broke the protocol */
#define CAUSE_F_CAPTURE 0x08	  /* the capture cannot tell (unknown) */

/* One cause. */
struct cause_info {
	const char *name;	   /* "greylisting": the JSON "cause" */
	const char *phrase;	   /* "greylisting": a few words for people */
	const char *explanation;   /* one line: what it means */
	const char *remedy_client; /* what the sending side should do */
	const char *remedy_server; /* what the server's admin can do */
	unsigned flags;		   /* CAUSE_F_* */
};

/* The catalogue row a reply matched. */
struct cause_match {
	const char *cause;  /* its name, or NULL: the reply names no cause */
	const char *source; /* which row: "postfix reject_rbl_client", ... */
	bool relay;	    /* a relay refusal */
};

/* Classify a 4xx/5xx reply given at a stage.  In order: texts naming a
 * cause other than relaying (so that "Helo command rejected" with 4.7.1
 * is not taken for a relay refusal); syntax and sequence errors (500-504,
 * X.5.x), never relay refusals; relay texts; relay enhanced codes (X.7.1,
 * 5.7.54, 5.7.64, at RCPT only); codes by stage (535 at AUTH, 454 at
 * STARTTLS, ...); other enhanced codes by subject; else no cause.  A 2xx,
 * 1xx or 3xx reply names none. */
void causes_classify(
    const struct smtp_reply *r, enum diag_stage stage, struct cause_match *out);
/* The catalogue's entry for a cause name, or NULL. */
const struct cause_info *cause_info(const char *name);
/* The name of a stage ("end-of-data"), and its label in text ("end of
 * data"). */
const char *diag_stage_name(enum diag_stage s);
const char *diag_stage_label(enum diag_stage s);

/* Details a reply text states, for the diagnosis. */
struct cause_details {
	int64_t retry_after; /* seconds the text says to wait, or -1 */
	/* A DNS blocklist refusal: the list's name, the listed address and
	 * the lookup URL the text gives (views into the text; len 0: not
	 * stated). */
	const char *list, *address, *url;
	size_t list_len, address_len, url_len;
};

/* Read what a reply text states: a delay ("retry after 300 s",
 * "Greylisted for 5 minutes"), and for a blocklist its name ("blocked
 * using zen.spamhaus.org", "listed at ..."), the address ("[192.0.2.1]")
 * and a URL. */
void causes_details(const struct smtp_reply *r, struct cause_details *out);

#endif
