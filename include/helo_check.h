/* SPDX-License-Identifier: GPL-2.0-or-later */
/* helo_check.h: the EHLO/HELO identity check: the syntax of the name
 * (RFC 5321 §4.1.1.1, §4.1.3, §2.3.5), an address literal against the
 * client's address, and the name against the DNS (forward lookup,
 * reverse lookup, forward-confirmed reverse DNS), each fact with its
 * source.  No I/O: live lookups come through a callback. */
#ifndef RS_HELO_CHECK_H
#define RS_HELO_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "dns.h"
#include "helo_report.h"

struct dialogue;

/* Check a HELO/EHLO argument of len bytes.  smtputf8: the server offered
 * SMTPUTF8, so UTF-8 names are allowed (RFC 6531). */
void helo_check_syntax(
    const char *name, size_t len, bool smtputf8, struct helo_name *out);
/* The decision table: the result from the syntax class, whether a literal
 * equals the client's address, and the forward check. */
enum helo_result helo_decide(
    enum helo_syntax syntax, bool literal_matches, enum helo_tri forward);
/* Check name (len bytes) given by client_ip against the view.  Questions
 * the view cannot answer are appended to missing (if not NULL). */
struct helo_report *helo_check_name(const char *name, size_t len, bool smtputf8,
    const char *client_ip, const struct dns_view *v, GPtrArray *missing);
/* Check the session's last HELO/EHLO: set d->helo_check (NULL if the
 * client never sent one), link the server's HELO/client-host rejections,
 * and append an ehlo-mismatch finding to d->findings when the name is not
 * backed.  With resolve, questions the view cannot answer are passed to
 * it and the check is repeated (a few rounds: CNAME and PTR chains). */
void helo_check_annotate(struct dialogue *d, const struct dns_view *v,
    dns_resolve_fn resolve, void *ctx);
#endif
