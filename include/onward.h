/* SPDX-License-Identifier: GPL-2.0-or-later */
/* onward.h: which sessions carry on the mail of others.  A server that
 * accepted a message and then, from its own address, sends the same
 * envelope (or the same Message-ID) to another host has relayed it; the
 * capture shows both sessions.  The index holds the transactions of
 * sessions that ended (bounded) and the sessions still open. */
#ifndef RS_ONWARD_H
#define RS_ONWARD_H

#include <stdbool.h>

#include <glib.h>

#include "dialogue.h"
#include "relay.h"

/* Transactions kept at most; the oldest go first. */
#define ONWARD_MAX_TXS 65536
/* A relay delivers onward at once, and from then on its address is a
 * known client: what a server not seen sending accepted is looked for in
 * onward sessions for this long after its session ended (capture time),
 * the rest for the whole window. */
#define ONWARD_FIRST_WAIT (2 * G_USEC_PER_SEC)

struct onward;

/* A new index; an onward transaction counts if it begins at most window
 * usec after the first session ended.  Caller owns it. */
struct onward *onward_new(gint64 window);
/* Free it (accepts NULL). */
void onward_free(struct onward *o);
/* A session began: until onward_ended(), its dialogue (borrowed) is
 * looked at as it grows. */
void onward_started(struct onward *o, const struct dialogue *d);
/* Has ip begun a session as a client (so far, bounded)? */
bool onward_seen_client(const struct onward *o, const char *ip);
/* A session ended: its transactions go into the index. */
void onward_ended(struct onward *o, const struct dialogue *d);
/* A relay_onward_fn (relay.h): the first transaction, in an open or
 * ended session from the server's address to another host, that began
 * after r was accepted, with the same sender (or Message-ID) and r among
 * its recipients; or, failing that, the same Message-ID to other
 * recipients (out->other_rcpts). */
void onward_lookup(void *o, const struct dialogue *d, const struct dlg_tx *tx,
    const struct dlg_rcpt *r, struct relay_onward *out);
/* The ids of earlier sessions whose accepted mail d carries on (char *,
 * in the order found); NULL if none.  Caller owns it. */
GPtrArray *onward_continues(struct onward *o, const struct dialogue *d);

#endif
