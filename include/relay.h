/* SPDX-License-Identifier: GPL-2.0-or-later */
/* relay.h: per-recipient relay verdicts from a dialogue and a policy. */
#ifndef RS_RELAY_H
#define RS_RELAY_H

#include <stdbool.h>

#include <glib.h>

#include "dialogue.h"
#include "dns.h"

#define RELAY_VERDICT_LIST(X)                                                  \
	X(UNKNOWN, "unknown")                                                  \
	X(LOCAL_ACCEPTED, "local-accepted")                                    \
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

#define RELAY_FINDING_LIST(X)                                                  \
	X(OPEN_RELAY, "open-relay")                                            \
	X(RELAY_DENIED, "relay-denied")                                        \
	X(RELAY_TRICK, "relay-trick")                                          \
	X(AUTH_RELAY, "auth-relay")                                            \
	X(AUTH_FAILED, "auth-failed")                                          \
	X(CLEARTEXT_AUTH, "cleartext-auth")                                    \
	X(EHLO_MISMATCH, "ehlo-mismatch")

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
};

/* Who is local, who is trusted.  Empty lists: infer from the capture. */
struct relay_policy {
	GPtrArray *local_domains; /* char *, lower case */
	GPtrArray *trusted;	  /* GInetAddressMask * */
};

/* Policies per server: the most specific wins (section for ip:port, then
 * for ip, then the global one). */
struct relay_config {
	struct relay_policy *global; /* never NULL */
	GHashTable *servers;	     /* "ip|port" or "ip" -> policy */
};

/* Parse "a.example,.b.example" (a leading dot: the domain and its
 * subdomains; otherwise exactly that domain) and "10.0.0.0/8,2001:db8::/32"
 * into a policy (caller owns it).  FALSE with *error on a bad value. */
gboolean relay_policy_parse(const char *domains, const char *nets,
    struct relay_policy **out, GError **error);
/* Free a policy (accepts NULL). */
void relay_policy_free(struct relay_policy *p);
/* Build the configuration from a GKeyFile (path may be NULL) and the
 * command line's global lists (which replace the file's [global]). */
gboolean relay_config_load(const char *path, const char *domains,
    const char *nets, struct relay_config **out, GError **error);
/* Free a configuration (accepts NULL). */
void relay_config_free(struct relay_config *c);
/* Judge every recorded recipient of a dialogue, filling the verdict
 * fields of struct dlg_rcpt, and set d->findings.  c and dns (the DNS
 * facts to consult) may be NULL. */
void relay_annotate(const struct relay_config *c, const struct dns_view *dns,
    struct dialogue *d);
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

#endif
