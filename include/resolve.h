/* SPDX-License-Identifier: GPL-2.0-or-later */
/* resolve.h: live DNS lookups with c-ares (asynchronous, with a timeout),
 * only with --resolve.  Answers go into a dns_store (the "live" source),
 * which is also the cache: a question is asked at most once per run. */
#ifndef RS_RESOLVE_H
#define RS_RESOLVE_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "dns.h"

struct resolver;

struct resolver_stats {
	uint64_t queries;  /* questions sent */
	uint64_t answered; /* a response came (answer or negative) */
	uint64_t timeouts; /* no response in time */
	uint64_t failed;   /* refused, unreachable, ... */
	bool stopped;	   /* too many in a row got no response: given up */
};

/* A resolver using server ("ADDR", "ADDR:PORT", "[V6ADDR]:PORT"; NULL:
 * the system's resolvers from /etc/resolv.conf), waiting timeout_ms per
 * try (two tries).  Answers are kept in store.  NULL with *error if the
 * server is not an address or c-ares cannot start. */
struct resolver *resolver_new(const char *server, unsigned timeout_ms,
    struct dns_store *store, GError **error);
/* Free a resolver (accepts NULL). */
void resolver_free(struct resolver *r);
/* Ask the questions (struct dns_question *) in parallel and wait for
 * every answer or timeout.  A dns_resolve_fn (dns.h). */
void resolver_lookup(void *r, const GPtrArray *questions);
/* What the resolver did so far. */
const struct resolver_stats *resolver_stats(const struct resolver *r);

#endif
