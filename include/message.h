/* SPDX-License-Identifier: GPL-2.0-or-later */
/* message.h: what a message's header says (RFC 5322), read from the
 * fields the SMTP machine kept (dlg_data.headers) with GMime: the
 * originator and destination fields with their addresses, the Subject
 * decoded (RFC 2047) next to its raw form, the Received chain hop by hop,
 * and how the header disagrees with the envelope (docs/output-format.md,
 * "Message"). */
#ifndef RS_MESSAGE_H
#define RS_MESSAGE_H

#include <stdbool.h>

#include <glib.h>

#include "dialogue.h"

/* Addresses kept per field, hops of the Received chain kept. */
#define MESSAGE_ADDRESSES_MAX 32
#define MESSAGE_HOPS_MAX 32

struct message_address {
	char *name;    /* display name, decoded; owned, or NULL */
	char *address; /* addr-spec; owned */
};

/* One Received: field (RFC 5321 §4.4): its clauses as written. */
struct message_hop {
	char *raw;			    /* the field's value; owned */
	char *from, *by, *with, *id, *for_; /* owned, or NULL */
	char *date;			    /* after the last ';'; owned, or
					     * NULL */
};

struct message_info {
	/* struct message_address *, owned; empty arrays when absent */
	GPtrArray *from, *sender, *to, *cc, *reply_to;
	char *subject;	   /* decoded; owned, or NULL */
	char *subject_raw; /* as sent; owned, or NULL */
	char *date, *in_reply_to, *references, *user_agent, *x_originating_ip;
	GPtrArray *received;	    /* struct message_hop *, first = newest */
	GPtrArray *auth_results;    /* char *, Authentication-Results */
	GPtrArray *mismatches;	    /* char *: the header against the envelope,
				     * in words */
	GPtrArray *not_in_header;   /* char *: envelope recipients in no To/Cc
				     * (Bcc, a list, a forward) */
	GPtrArray *not_in_envelope; /* char *: To/Cc addresses that are not
				     * envelope recipients here */
	bool from_domain_differs;   /* From: domain != MAIL FROM domain */
	bool cut;		    /* the header had more fields than kept */
};

/* The value of a kept "Name: value" field (dlg_data.headers), after its
 * leading blanks, if its name is name (without case); else NULL. */
const char *message_field_value(const char *field, const char *name);
/* What the kept header fields of a transaction say, compared with its
 * envelope; NULL when none was kept.  Caller frees with message_free(). */
struct message_info *message_parse(const struct dlg_tx *tx);
void message_free(struct message_info *m);

#endif
