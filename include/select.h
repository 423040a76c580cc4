/* SPDX-License-Identifier: GPL-2.0-or-later */
/* select.h: which sessions a run writes (--findings, --session,
 * --server, --client, --finding, --from, --rcpt).  Different selectors
 * must all hold; the values of one selector are alternatives.  Applied to
 * judged sessions, to every output alike (docs/output-format.md,
 * "Selecting sessions"). */
#ifndef RS_SELECT_H
#define RS_SELECT_H

#include <stdbool.h>

#include <glib.h>

#include "dialogue.h"

struct rs_select {
	GPtrArray *sessions; /* char *: id prefixes, lower case */
	GPtrArray *servers;  /* struct select_host * */
	GPtrArray *clients;  /* struct select_host * (port 0: any) */
	GPtrArray *froms;    /* char *: envelope senders, lower case; ""
			      * for the null sender */
	GPtrArray *rcpts;    /* char *: recipients, lower case */
	unsigned findings;   /* bits 1 << enum relay_finding_kind */
	unsigned failures;   /* bits 1 << enum diag_fail_kind */
	bool findings_only;  /* --findings */
	bool any;	     /* some selector was given */
};

/* An empty selection (everything selected). */
void select_init(struct rs_select *s);
void select_clear(struct rs_select *s);
/* Add a value of a selector ("session", "server", "client", "finding",
 * "from", "rcpt"); FALSE with *error naming the option and the problem
 * for a value that cannot be one. */
gboolean select_add(
    struct rs_select *s, const char *what, const char *value, GError **error);
/* Is a judged, diagnosed session selected? */
bool select_match(const struct rs_select *s, const struct dialogue *d);

#endif
