/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dns.h: DNS facts kept per (type, name), from three sources: answers
 * seen in the capture (passive DNS, RFC 1035 messages), a map file given
 * by the user, and live lookups (resolve.h).  One store per source; a
 * view lists the stores an analysis may consult, in order. */
#ifndef RS_DNS_H
#define RS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

/* Facts kept at most per store (values plus negative answers); later
 * ones are counted, not kept. */
#define DNS_MAX_RECORDS 100000

#define DNS_T_A 1
#define DNS_T_CNAME 5
#define DNS_T_PTR 12
#define DNS_T_MX 15
#define DNS_T_AAAA 28

/* What is known about one (type, name). */
enum dns_status {
	DNS_STATUS_ANSWER,   /* values hold the records */
	DNS_STATUS_NXDOMAIN, /* the name does not exist */
	DNS_STATUS_NODATA,   /* the name exists, no record of this type */
	DNS_STATUS_ERROR,    /* SERVFAIL, REFUSED, ...: nothing learnt */
	DNS_STATUS_TIMEOUT,  /* live lookup: no answer in time */
};

struct dns_rrset {
	uint16_t type;
	char *name;		/* lower case, no trailing dot; owned */
	enum dns_status status; /* ANSWER, unless no record was seen */
	gint64 ts;	   /* when first seen in the capture (usec), or 0 */
	GPtrArray *values; /* char *: addresses (canonical text) or names */
};

struct dns_store;

/* A new, empty store; caller owns it. */
struct dns_store *dns_store_new(void);
/* Free a store (accepts NULL). */
void dns_store_free(struct dns_store *s);
/* Read one DNS message (a UDP payload, or a TCP message without its
 * length prefix) seen at ts (0: not from the capture), sent to querier
 * (the address it went to, or NULL).  The answers of a response are kept
 * (A, AAAA, MX, CNAME, PTR); an NXDOMAIN, an empty answer or a server
 * failure is kept for the question's name at the end of its CNAME chain;
 * for an MX question, who asked and when (bounded).  Returns false if the
 * message is malformed. */
bool dns_store_add_message(struct dns_store *s, const uint8_t *msg, size_t len,
    gint64 ts, const char *querier);
/* The first time at or after after that querier was answered (type,
 * name), or 0 (only MX questions are remembered). */
gint64 dns_store_lookup_after(const struct dns_store *s, const char *querier,
    uint16_t type, const char *name, gint64 after);
/* Keep one record; name and value are normalised (lower case, no
 * trailing dot; addresses in canonical form).  False if value is not
 * valid for type. */
bool dns_store_put(struct dns_store *s, uint16_t type, const char *name,
    const char *value, gint64 ts);
/* Keep a negative or failed answer for (type, name); an answer already
 * kept wins over it. */
void dns_store_put_status(struct dns_store *s, uint16_t type, const char *name,
    enum dns_status st, gint64 ts);
/* What the store knows about (type, name) (lower case, no trailing dot),
 * or NULL; borrowed. */
const struct dns_rrset *dns_store_get(
    const struct dns_store *s, uint16_t type, const char *name);
/* Facts that did not fit (DNS_MAX_RECORDS). */
uint64_t dns_store_dropped(const struct dns_store *s);
/* Facts kept. */
uint64_t dns_store_size(const struct dns_store *s);

/* Read a map file into s: hosts-file lines ("ADDRESS NAME [ALIAS...]":
 * A/AAAA for every name, PTR for the address to the first name) and
 * record lines ("NAME [TTL] [IN] TYPE DATA", TYPE one of A, AAAA, CNAME,
 * PTR, MX, DATA "NODATA" for none of the type; "NAME NXDOMAIN").  '#' starts a
 * comment.  FALSE with "FILE:LINE: problem" in *error. */
gboolean dns_store_load_map(
    struct dns_store *s, const char *path, GError **error);

/* The reverse-lookup name of an address ("1.2.0.192.in-addr.arpa",
 * nibbles under ip6.arpa).  False if ip is not an address. */
bool dns_reverse_name(const char *ip, char *out, size_t outsz);
/* "A", "AAAA", ..., or "TYPE<n>". */
const char *dns_type_name(uint16_t type);
/* "answer", "nxdomain", "nodata", "error", "timeout". */
const char *dns_status_name(enum dns_status st);

/* The stores an analysis consults, each with the name of its source
 * ("capture", "map", "live"). */
#define DNS_VIEW_MAX 3
struct dns_view {
	const struct dns_store *store[DNS_VIEW_MAX];
	const char *source[DNS_VIEW_MAX];
	int n;
};

/* One DNS fact an analysis used, with its source. */
struct dns_fact {
	const char *source; /* "capture", "map", "live" (the view's names) */
	gint64 ts;	    /* when the answer was seen: capture time for
			     * "capture", the lookup's time for "live"; or 0 */
	uint16_t type;
	char *name; /* owned */
	char *data; /* owned; NULL for a negative answer */
	enum dns_status status;
};

/* Free a fact (a GDestroyNotify). */
void dns_fact_free(gpointer f);

/* A DNS question a view could not answer. */
struct dns_question {
	uint16_t type;
	char name[256];
};

/* Answer the questions (struct dns_question *) into a store of the view,
 * e.g. by live lookups; called between rounds of an analysis. */
typedef void (*dns_resolve_fn)(void *ctx, const GPtrArray *questions);

/* CNAME links followed at most. */
#define DNS_MAX_CHAIN 8

/* One question against every store of the view: its values are added to
 * out (if not NULL, each once), every set found is appended to facts (each
 * fact once).  Returns whether any source knows the answer (even if it is
 * negative); if no source has it at all, the question goes to missing (if
 * not NULL; each question once). */
bool dns_view_ask(const struct dns_view *v, uint16_t type, const char *name,
    GPtrArray *out, GPtrArray *facts, GPtrArray *missing);
/* The addresses of name (type A or AAAA), following CNAMEs, as
 * dns_view_ask(). */
bool dns_view_addresses(const struct dns_view *v, uint16_t type,
    const char *name, GPtrArray *out, GPtrArray *facts, GPtrArray *missing);

#endif
