/* SPDX-License-Identifier: GPL-2.0-or-later */
/* relay.h: per-recipient relay verdicts from a dialogue, a policy and the
 * evidence the capture holds (docs/verdicts.md). */
#ifndef RS_RELAY_H
#define RS_RELAY_H

#include <stdbool.h>

#include <glib.h>

#include "dialogue.h"
#include "dns.h"

#define RELAY_VERDICT_LIST(X)                                                  \
	X(UNKNOWN, "unknown")                                                  \
	X(LOCAL_ACCEPTED, "local-accepted")                                    \
	X(ACCEPTED_LOCALITY_UNKNOWN, "accepted-locality-unknown")              \
	X(RELAY_ACCEPTED_OPEN, "relay-accepted-open")                          \
	X(RELAY_ACCEPTED_AUTH, "relay-accepted-auth")                          \
	X(RELAY_ACCEPTED_TRUSTED, "relay-accepted-trusted")                    \
	X(RELAY_DENIED, "relay-denied")                                        \
	X(REJECTED_OTHER, "rejected-other")                                    \
	X(TEMPFAIL, "tempfail")

enum relay_verdict {
#define RELAY_VERDICT_ENUM(id, name) RELAY_VERDICT_##id,
	RELAY_VERDICT_LIST(RELAY_VERDICT_ENUM)
#undef RELAY_VERDICT_ENUM
	    RELAY_VERDICT_COUNT
};

/* Where a recipient domain's locality comes from, strongest first:
 * (id, local_source name, evidence level 1-5, confidence).  Levels 1-3
 * (configuration, DNS, what the capture shows the server doing) can say
 * "not local"; 4 and 5 (the server's own names, the same organisation)
 * only ever say "local". */
#define RELAY_LOCAL_LIST(X)                                                    \
	X(NONE, NULL, 0, NULL)                                                 \
	X(CONFIG, "config", 1, "high")                                         \
	X(DNS_MX, "dns:mx", 2, "high")                                         \
	X(DNS_ADDRESS, "dns:address", 2, "high")                               \
	X(ADDRESS_LITERAL, "address-literal", 2, "high")                       \
	X(ONWARD, "onward", 3, "high")                                         \
	X(ONWARD_LOOKUP, "onward:mx-lookup", 3, "medium")                      \
	X(SERVER_REPLY, "server-reply", 3, "high")                             \
	X(NO_DOMAIN, "no-domain", 4, "medium")                                 \
	X(LOCALHOST, "localhost", 4, "medium")                                 \
	X(SERVER_NAME, "server-name", 4, "medium")                             \
	X(ORGANISATION, "organisation", 5, "medium")                           \
	X(OTHER_SUFFIX, "organisation:other-suffix", 5, "low")

enum relay_local {
#define RELAY_LOCAL_ENUM(id, name, level, conf) RELAY_LOCAL_##id,
	RELAY_LOCAL_LIST(RELAY_LOCAL_ENUM)
#undef RELAY_LOCAL_ENUM
	    RELAY_LOCAL_COUNT
};

#define RELAY_FINDING_LIST(X)                                                  \
	X(OPEN_RELAY, "open-relay")                                            \
	X(POSSIBLE_OPEN_RELAY, "possible-open-relay")                          \
	X(RELAY_DENIED, "relay-denied")                                        \
	X(RELAY_TRICK, "relay-trick")                                          \
	X(AUTH_RELAY, "auth-relay")                                            \
	X(AUTH_FAILED, "auth-failed")                                          \
	X(CLEARTEXT_AUTH, "cleartext-auth")                                    \
	X(EHLO_MISMATCH, "ehlo-mismatch")                                      \
	X(OPEN_PROXY_MAIL, "open-proxy-mail")

enum relay_finding_kind {
#define RELAY_FINDING_ENUM(id, name) RELAY_FINDING_##id,
	RELAY_FINDING_LIST(RELAY_FINDING_ENUM)
#undef RELAY_FINDING_ENUM
	    RELAY_FINDING_COUNT
};

/* A conclusion about a session, with what it rests on and what to do. */
struct relay_finding {
	enum relay_finding_kind kind;
	const char *severity; /* "high", "medium", "low", "info" */
	bool confirmed;	      /* open-relay: the message was accepted */
	GPtrArray *rcpts;     /* char *, the recipients concerned; owned */
	char *summary;	      /* one line; owned */
	char *remedy;	      /* what an experienced admin would do; owned */
	bool uncertain;	      /* rests on a transaction a capture gap touched */
	const char *evidence; /* open-relay: the local_source it rests on */
};

/* Who is local, who is trusted.  Empty lists: infer from the capture. */
struct relay_policy {
	GPtrArray *local_domains; /* char *, lower case */
	GPtrArray *trusted;	  /* GInetAddressMask * */
	bool trust_configured;	  /* trusted networks were given (maybe
				   * "none"): nothing is inferred */
};

/* Policies per server: the most specific wins (section for ip:port, then
 * for ip, then the global one). */
struct relay_config {
	struct relay_policy *global; /* never NULL */
	GHashTable *servers;	     /* "ip|port" or "ip" -> policy */
};

/* What the capture shows of a recipient after the server accepted it:
 * the server passing the message on to another host (relay_onward_fn). */
struct relay_onward {
	bool found;
	char session_id[17]; /* the onward session */
	char to_ip[48];	     /* the host it went to */
	char *to_name;	     /* that host's name from its greeting; owned,
			      * or NULL */
	gint64 ts;	     /* when the onward transaction began */
	bool other_rcpts;    /* the same message, but to other recipients (an
			      * alias or a forward): a link, not evidence */
};

/* Look for the onward delivery of recipient r of transaction tx of d (see
 * onward.h); fill *out (zeroed by the caller). */
typedef void (*relay_onward_fn)(void *ctx, const struct dialogue *d,
    const struct dlg_tx *tx, const struct dlg_rcpt *r,
    struct relay_onward *out);

/* Everything a judgement may consult. */
struct relay_env {
	const struct relay_config *config; /* or NULL */
	const struct dns_view *dns;	   /* or NULL */
	dns_resolve_fn resolve;		   /* live lookups (--resolve), or
					    * NULL */
	void *resolve_ctx;
	relay_onward_fn onward; /* the capture's onward deliveries, or NULL */
	void *onward_ctx;
	gint64 window; /* usec after acceptance within which the server's
			* MX lookup counts as onward evidence */
	const struct dialogue *prior; /* a judged dialogue whose recipients'
				       * locality stands where it is stronger
				       * (replay: the captured one); or NULL */
};

/* Parse "a.example,.b.example" (a leading dot: the domain and its
 * subdomains; otherwise exactly that domain) and "10.0.0.0/8,2001:db8::/32"
 * ("none": no network, and none inferred) into a policy (caller owns it).
 * FALSE with *error on a value that is not a domain or a network. */
gboolean relay_policy_parse(const char *domains, const char *nets,
    struct relay_policy **out, GError **error);
/* Free a policy (accepts NULL). */
void relay_policy_free(struct relay_policy *p);
/* Build the configuration from a GKeyFile (path may be NULL) and the
 * command line's global lists (which replace the file's [global]).  An
 * unknown section or key, a bad domain, network or server address is an
 * error "FILE:LINE: [SECTION] KEY: problem". */
gboolean relay_config_load(const char *path, const char *domains,
    const char *nets, struct relay_config **out, GError **error);
/* Free a configuration (accepts NULL). */
void relay_config_free(struct relay_config *c);
/* The policy that applies to a dialogue's server (borrowed; NULL if c is
 * NULL). */
const struct relay_policy *relay_config_policy(
    const struct relay_config *c, const struct dialogue *d);
/* Judge every recorded recipient of a dialogue, filling the verdict
 * fields of struct dlg_rcpt and d->client_trust, and set d->findings. */
void relay_annotate(const struct relay_env *env, struct dialogue *d);
/* Whether an onward delivery seen later could still change a judged
 * dialogue's verdicts or be named in them: a recipient accepted from a
 * stranger that neither the configuration nor the DNS calls local, and
 * with no onward session found. */
bool relay_awaits_onward(const struct dialogue *d);
/* The same asked cheaply of a dialogue not yet judged, without the DNS:
 * a recipient accepted from a stranger (not trusted, not authenticated)
 * that the configuration does not call local.  Never false where
 * relay_awaits_onward() would be true after relay_annotate(). */
bool relay_may_await(const struct relay_env *env, const struct dialogue *d);
/* The low-severity "possible-open-relay" finding for a judged dialogue
 * with recipients accepted from a stranger without evidence of locality,
 * or NULL (caller owns it).  At most one per server is wanted: the caller
 * keeps count. */
struct relay_finding *relay_possible_open(const struct dialogue *d);
/* The host name a 2xx greeting or EHLO reply starts with ("mx.example.com
 * ESMTP ..."), as sent; NULL if it is not a dotted name.  Caller owns it. */
char *relay_reply_host_name(const struct smtp_reply *r);
/* A new finding with an empty recipient list; caller owns it. */
struct relay_finding *relay_finding_new(
    enum relay_finding_kind k, const char *severity);
/* Free a finding (a GDestroyNotify for d->findings). */
void relay_finding_free(gpointer f);
/* The name of a finding kind ("open-relay"). */
const char *relay_finding_name(enum relay_finding_kind k);
/* Look a finding kind up by name; -1 if there is none. */
int relay_finding_lookup(const char *name);
/* The name of a verdict ("relay-denied"). */
const char *relay_verdict_name(enum relay_verdict v);
/* The local_source name of a locality source, its evidence level and its
 * confidence ("high", "medium", "low"; NULL for none). */
const char *relay_local_name(enum relay_local l);
int relay_local_level(enum relay_local l);
const char *relay_local_confidence(enum relay_local l);
/* Did the recipient come from a client the server has no reason to
 * relay for (neither trusted nor authenticated before its RCPT)? */
bool relay_from_stranger(const struct dialogue *d, const struct dlg_rcpt *r);
/* Is a verdict an acceptance of the recipient (2xx)? */
bool relay_verdict_accepted(enum relay_verdict v);

#endif
