/* SPDX-License-Identifier: GPL-2.0-or-later */
/* relay.c: per-recipient relay verdicts (docs/verdicts.md).
 *
 * A recipient's verdict combines what the server answered (relay_texts.c),
 * whether the domain the mail would really go to is local to the server
 * (address.c for tricks), and who the client was (AUTH, trusted networks).
 * Locality is decided from the strongest evidence there is, and named:
 * the configuration; the DNS (RFC 5321 §5.1: the domain's MX, or its
 * address when it has none, is this server or not); what the capture shows
 * the server doing with the message (passing it on to another host, or
 * looking up the domain's MX right after accepting it); the server's own
 * names (localhost, its banner and EHLO names, its address literal); the
 * same organisation (registrable domain, Public Suffix List via libpsl).
 * Only the first three can say "not local": a domain that differs from the
 * banner's name is what every inbound MX of a hosting provider sees all
 * day, and is no evidence of anything.
 */
#include <string.h>

#include <gio/gio.h>
#include <libpsl.h>

#include "address.h"
#include "output.h"
#include "proxy.h"
#include "relay.h"
#include "relay_texts.h"

/* Rounds of live lookups per dialogue: the MX, its hosts' addresses, a
 * CNAME on the way. */
#define RELAY_MAX_ROUNDS 4
/* MX hosts looked at per domain. */
#define RELAY_MAX_MX 8

/* What is known of one recipient domain, worked out once per dialogue. */
struct locality {
	int local; /* 1, 0, -1 unknown */
	enum relay_local kind;
	char *words;	  /* the evidence for people; owned */
	GPtrArray *facts; /* struct dns_fact *; owned */
};

/* What every recipient of one dialogue is judged against. */
struct judge_ctx {
	const struct relay_env *env;
	const struct relay_policy *p;
	const struct dialogue *d;
	char *banner, *ehlo;	     /* the server's own names, or NULL */
	char *banner_reg, *ehlo_reg; /* their registrable domains */
	GHashTable *domains;	     /* domain -> struct locality */
	GPtrArray *missing;	     /* struct dns_question *: for --resolve */
};

static GPtrArray *relay_findings(const struct dialogue *d);

static const char *const verdict_names[RELAY_VERDICT_COUNT] = {
#define RELAY_VERDICT_NAME(id, name) [RELAY_VERDICT_##id] = name,
	RELAY_VERDICT_LIST(RELAY_VERDICT_NAME)
#undef RELAY_VERDICT_NAME
};

static const struct {
	const char *name;
	int level;
	const char *confidence;
} local_kinds[RELAY_LOCAL_COUNT] = {
#define RELAY_LOCAL_ROW(id, name, level, conf)                                 \
	[RELAY_LOCAL_##id] = { name, level, conf },
	RELAY_LOCAL_LIST(RELAY_LOCAL_ROW)
#undef RELAY_LOCAL_ROW
};

const char *
relay_verdict_name(enum relay_verdict v)
{
	return (unsigned)v < RELAY_VERDICT_COUNT ? verdict_names[v] : "unknown";
}

const char *
relay_local_name(enum relay_local l)
{
	return (unsigned)l < RELAY_LOCAL_COUNT ? local_kinds[l].name : NULL;
}

int
relay_local_level(enum relay_local l)
{
	return (unsigned)l < RELAY_LOCAL_COUNT ? local_kinds[l].level : 0;
}

const char *
relay_local_confidence(enum relay_local l)
{
	return (unsigned)l < RELAY_LOCAL_COUNT ? local_kinds[l].confidence
					       : NULL;
}

bool
relay_verdict_accepted(enum relay_verdict v)
{
	switch (v) {
	case RELAY_VERDICT_LOCAL_ACCEPTED:
	case RELAY_VERDICT_ACCEPTED_LOCALITY_UNKNOWN:
	case RELAY_VERDICT_RELAY_ACCEPTED_OPEN:
	case RELAY_VERDICT_RELAY_ACCEPTED_AUTH:
	case RELAY_VERDICT_RELAY_ACCEPTED_TRUSTED:
		return true;
	default:
		return false;
	}
}

/* The Public Suffix List, loaded once (the newest of the system's copy and
 * libpsl's built-in one); it lives until the process ends. */
static const psl_ctx_t *
psl(void)
{
	static psl_ctx_t *ctx;

	if (ctx == NULL)
		ctx = psl_latest(NULL);
	return ctx;
}

/* Names whose registrable domain is remembered, at most (the same few
 * server and recipient domains come again and again; the cache is
 * emptied when full, so hostile names cost at most this many entries of
 * at most RELAY_PSL_NAME bytes). */
#define RELAY_PSL_CACHE 1024
#define RELAY_PSL_NAME 253

/* The registrable domain of a name ("mx.example.co.uk" -> example.co.uk),
 * or the name itself when there is none (localhost).  Caller owns it. */
static char *
registrable(const char *name)
{
	static GHashTable *cache;
	const char *r;
	char *hit;

	if (strlen(name) <= RELAY_PSL_NAME) {
		if (cache == NULL)
			cache = g_hash_table_new_full(
			    g_str_hash, g_str_equal, g_free, g_free);
		if ((hit = g_hash_table_lookup(cache, name)) != NULL)
			return g_strdup(hit);
	}
	r = psl() != NULL ? psl_registrable_domain(psl(), name) : NULL;
	if (r == NULL)
		r = name;
	if (strlen(name) <= RELAY_PSL_NAME) {
		if (g_hash_table_size(cache) >= RELAY_PSL_CACHE)
			g_hash_table_remove_all(cache);
		g_hash_table_insert(cache, g_strdup(name), g_strdup(r));
	}
	return g_strdup(r);
}

/* Do two registrable domains share their label under different public
 * suffixes (yahoo.com, yahoo.fr)? */
static bool
same_label(const char *a, const char *b)
{
	const char *da = strchr(a, '.'), *db = strchr(b, '.');

	return da != NULL && db != NULL && da - a == db - b &&
	       strncmp(a, b, (size_t)(da - a)) == 0 && strcmp(da, db) != 0;
}

/* The first word of a reply's first line, if it looks like a host name. */
char *
relay_reply_host_name(const struct smtp_reply *r)
{
	const char *t;
	size_t n = 0;

	if (r == NULL || r->text == NULL || smtp_reply_class(r->code) != 2)
		return NULL;
	t = r->text;
	while (t[n] != '\0' && t[n] != ' ' && t[n] != '\n')
		n++;
	if (n == 0 || memchr(t, '.', n) == NULL || t[0] == '[')
		return NULL;
	return g_strndup(t, n);
}

/* The server's own name from a greeting or EHLO reply, lower case. */
static char *
server_name(const struct dlg_item *it)
{
	g_autofree char *n =
	    it != NULL ? relay_reply_host_name(it->reply) : NULL;

	return n != NULL ? g_ascii_strdown(n, -1) : NULL;
}

static bool
domain_matches(const char *domain, const char *local)
{
	size_t dl = strlen(domain), ll;

	/* "example.com" is that domain only; ".example.com" is the domain
	 * and its subdomains (subdomains count only when configured so). */
	if (local[0] != '.')
		return strcmp(domain, local) == 0;
	local++;
	ll = strlen(local);
	return strcmp(domain, local) == 0 ||
	       (dl > ll && domain[dl - ll - 1] == '.' &&
		   strcmp(domain + dl - ll, local) == 0);
}

/* Is domain name itself or under it? */
static bool
at_or_under(const char *domain, const char *name)
{
	size_t dl = strlen(domain), nl = strlen(name);

	return strcmp(domain, name) == 0 ||
	       (dl > nl && domain[dl - nl - 1] == '.' &&
		   strcmp(domain + dl - nl, name) == 0);
}

static void
locality_free(gpointer p)
{
	struct locality *l = p;

	g_free(l->words);
	g_ptr_array_unref(l->facts);
	g_free(l);
}

static void
set_local(struct locality *l, int local, enum relay_local kind, char *words)
{
	l->local = local;
	l->kind = kind;
	g_free(l->words);
	l->words = words;
}

/* "; the capture's DNS": where the first fact of a list came from (for
 * a live lookup, when).  Caller owns it. */
static char *
facts_origin(const GPtrArray *facts)
{
	const struct dns_fact *f;
	g_autoptr(GString) t = NULL;

	if (facts->len == 0)
		return g_strdup("");
	f = g_ptr_array_index(facts, 0);
	if (strcmp(f->source, "capture") == 0)
		return g_strdup("; the capture's DNS");
	if (strcmp(f->source, "map") == 0)
		return g_strdup("; --dns-map");
	t = g_string_new("; the live DNS");
	if (f->ts != 0) {
		g_string_append(t, " at ");
		output_time(t, f->ts);
	}
	return g_strdup(t->str);
}

/* The best-known status of (type, name) in the view: an answer if any
 * source has one, else the first negative one; -1 if none knows. */
static int
view_status(const struct dns_view *v, uint16_t type, const char *name)
{
	const struct dns_rrset *r;
	int k, st = -1;

	for (k = 0; v != NULL && k < v->n; k++) {
		r = dns_store_get(v->store[k], type, name);
		if (r == NULL)
			continue;
		if (r->status == DNS_STATUS_ANSWER)
			return DNS_STATUS_ANSWER;
		if (st < 0 && (r->status == DNS_STATUS_NXDOMAIN ||
				  r->status == DNS_STATUS_NODATA))
			st = (int)r->status;
	}
	return st;
}

/* The hosts mail for the domain goes to (its MX hosts, or the domain
 * itself for an implicit MX) against the server: 1 one of them is this
 * server, 0 all are known and none is, -1 not known.  *first gets a host
 * and one of its addresses, for the words. */
static int
hosts_here(struct judge_ctx *x, const GPtrArray *hosts, GPtrArray *facts,
    char **first, bool *nat)
{
	const struct dialogue *d = x->d;
	enum address_scope sc = address_scope(d->server.ip);
	bool all_known = true, comparable = false;
	guint i, j;

	*nat = false;
	for (i = 0; i < hosts->len && i < RELAY_MAX_MX; i++) {
		const char *h = g_ptr_array_index(hosts, i);
		g_autoptr(GPtrArray) addrs =
		    g_ptr_array_new_with_free_func(g_free);
		bool k4, k6;

		if (h[0] == '\0')
			continue; /* a null MX (RFC 7505) */
		if (g_strcmp0(h, x->banner) == 0 ||
		    g_strcmp0(h, x->ehlo) == 0) {
			g_free(*first);
			*first =
			    g_strdup_printf("%s, the server's own name", h);
			return 1;
		}
		k4 = dns_view_addresses(
		    x->env->dns, DNS_T_A, h, addrs, facts, x->missing);
		k6 = dns_view_addresses(
		    x->env->dns, DNS_T_AAAA, h, addrs, facts, x->missing);
		if (!k4 && !k6)
			all_known = false;
		for (j = 0; j < addrs->len; j++) {
			const char *a = g_ptr_array_index(addrs, j);

			if (address_same_ip(a, d->server.ip)) {
				g_free(*first);
				*first = g_strdup_printf(
				    "%s at %s, this server's address", h, a);
				return 1;
			}
			if (address_scope(a) == sc ||
			    (sc != ADDRESS_SCOPE_PUBLIC &&
				address_scope(a) != ADDRESS_SCOPE_PUBLIC))
				comparable = true;
			if (*first == NULL)
				*first = g_strdup_printf("%s is %s", h, a);
		}
	}
	if (!all_known)
		return -1;
	if (!comparable && *first != NULL) {
		/* Behind NAT the server's address in the capture is not
		 * the one the DNS names. */
		*nat = true;
		return -1;
	}
	return 0;
}

/* Level 2: the DNS.  True if it decided. */
static bool
dns_locality(struct judge_ctx *x, const char *domain, struct locality *l)
{
	const struct dns_view *v = x->env->dns;
	g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *first = NULL;
	g_autofree char *from = NULL;
	enum relay_local kind = RELAY_LOCAL_DNS_MX;
	int st, here;
	bool nat;

	if (v == NULL)
		return false;
	if (!dns_view_ask(v, DNS_T_MX, domain, hosts, l->facts, x->missing))
		return false;
	st = view_status(v, DNS_T_MX, domain);
	from = facts_origin(l->facts);
	if (st == DNS_STATUS_NXDOMAIN) {
		set_local(l, -1, RELAY_LOCAL_NONE,
		    g_strdup_printf(
			"the DNS says %s does not exist%s", domain, from));
		return false;
	}
	if (st == DNS_STATUS_NODATA || hosts->len == 0) {
		/* RFC 5321 §5.1: no MX, the domain itself is the host. */
		kind = RELAY_LOCAL_DNS_ADDRESS;
		g_ptr_array_set_size(hosts, 0);
		g_ptr_array_add(hosts, g_strdup(domain));
	}
	here = hosts_here(x, hosts, l->facts, &first, &nat);
	if (here == 1) {
		set_local(l, 1, kind,
		    g_strdup_printf(kind == RELAY_LOCAL_DNS_MX
					? "its MX is %s%s"
					: "it has no MX, and it is %s%s",
			first, from));
		return true;
	}
	if (here == 0) {
		set_local(l, 0, kind,
		    first == NULL
			? g_strdup_printf("it accepts no mail (null MX, RFC "
					  "7505)%s",
			      from)
			: g_strdup_printf(
			      kind == RELAY_LOCAL_DNS_MX
				  ? "its MX %s, not this server%s"
				  : "it has no MX, and %s, not this "
				    "server%s",
			      first, from));
		return true;
	}
	if (nat)
		set_local(l, -1, RELAY_LOCAL_NONE,
		    g_strdup_printf("%s %s, but the server was seen at %s, "
				    "another kind of address (behind NAT?): "
				    "they do not compare%s",
			kind == RELAY_LOCAL_DNS_MX ? "its MX" : "its address",
			first, x->d->server.ip, from));
	return false;
}

/* Levels 1, 2, 4 and 5 for one domain (level 3 is per recipient). */
static const struct locality *
domain_locality(struct judge_ctx *x, const char *domain)
{
	const struct relay_policy *p = x->p;
	const char *key = domain != NULL ? domain : "";
	struct locality *l = g_hash_table_lookup(x->domains, key);
	g_autofree char *reg = NULL;
	char lit[64];
	guint i;

	if (l != NULL)
		return l;
	l = g_new0(struct locality, 1);
	l->local = -1;
	l->facts = g_ptr_array_new_with_free_func(dns_fact_free);
	g_hash_table_insert(x->domains, g_strdup(key), l);
	if (key[0] == '\0') {
		/* "postmaster", "root": the server's own (RFC 5321 §4.5.1). */
		set_local(l, 1, RELAY_LOCAL_NO_DOMAIN,
		    g_strdup("no domain: an address of the server itself"));
		return l;
	}
	if (p != NULL && p->local_domains->len > 0) {
		for (i = 0; i < p->local_domains->len; i++)
			if (domain_matches(
				key, g_ptr_array_index(p->local_domains, i))) {
				set_local(l, 1, RELAY_LOCAL_CONFIG,
				    g_strdup("configured"));
				return l;
			}
		set_local(l, 0, RELAY_LOCAL_CONFIG,
		    g_strdup("not among the configured local domains"));
		return l;
	}
	if (address_literal_ip(key, lit, sizeof lit)) {
		if (address_same_ip(lit, x->d->server.ip))
			set_local(l, 1, RELAY_LOCAL_ADDRESS_LITERAL,
			    g_strdup("an address literal of this server"));
		else if (address_scope(lit) != address_scope(x->d->server.ip))
			set_local(l, -1, RELAY_LOCAL_NONE,
			    g_strdup_printf("an address literal of %s, but the "
					    "server was seen at %s (behind "
					    "NAT it may be its own)",
				lit, x->d->server.ip));
		else
			set_local(l, 0, RELAY_LOCAL_ADDRESS_LITERAL,
			    g_strdup_printf(
				"an address literal of another host, %s", lit));
		return l;
	}
	if (dns_locality(x, key, l))
		return l;
	if (strcmp(key, "localhost") == 0 ||
	    g_str_has_suffix(key, ".localhost") ||
	    strcmp(key, "localhost.localdomain") == 0) {
		set_local(l, 1, RELAY_LOCAL_LOCALHOST, g_strdup("localhost"));
		return l;
	}
	for (i = 0; i < 2; i++) {
		const char *n = i == 0 ? x->banner : x->ehlo;

		if (n != NULL && at_or_under(key, n)) {
			set_local(l, 1, RELAY_LOCAL_SERVER_NAME,
			    g_strdup_printf(strcmp(key, n) == 0
						? "the server's own name"
						: "under the server's name %s",
				n));
			return l;
		}
	}
	reg = registrable(key);
	for (i = 0; i < 2; i++) {
		const char *n = i == 0 ? x->banner : x->ehlo;
		const char *nr = i == 0 ? x->banner_reg : x->ehlo_reg;

		if (nr != NULL && strcmp(nr, reg) == 0) {
			set_local(l, 1, RELAY_LOCAL_ORGANISATION,
			    g_strdup_printf("the registrable domain of the "
					    "server's name %s",
				n));
			return l;
		}
	}
	for (i = 0; i < 2; i++) {
		const char *nr = i == 0 ? x->banner_reg : x->ehlo_reg;

		if (nr != NULL && same_label(nr, reg)) {
			set_local(l, 1, RELAY_LOCAL_OTHER_SUFFIX,
			    g_strdup_printf("the same name as the server's "
					    "domain %s, under another public "
					    "suffix",
				nr));
			return l;
		}
	}
	if (l->words == NULL)
		l->words = g_strdup("nothing in the capture says whether this "
				    "server serves it");
	return l;
}

static bool
authenticated_before(const struct dialogue *d, const struct dlg_item *it)
{
	return d->auth != NULL && d->auth->result == DLG_AUTH_SUCCESS &&
	       (d->auth->item == NULL || d->auth->item->ts <= it->ts);
}

/* Whom the server may trust: the configured networks; without them, its
 * own host (loopback, or its own address), as Postfix's mynetworks_style,
 * Exim's relay_from_hosts = localhost and sendmail do by default. */
static const char *
client_trust(const struct relay_policy *p, const struct dialogue *d)
{
	g_autoptr(GInetAddress) a = NULL;
	guint i;

	if (p != NULL && p->trust_configured) {
		a = g_inet_address_new_from_string(d->client.ip);
		for (i = 0; a != NULL && i < p->trusted->len; i++)
			if (g_inet_address_mask_matches(
				g_ptr_array_index(p->trusted, i), a))
				return "config";
		return NULL;
	}
	if (address_scope(d->client.ip) == ADDRESS_SCOPE_LOOPBACK)
		return "inferred:loopback";
	if (address_same_ip(d->client.ip, d->server.ip))
		return "inferred:same-host";
	return NULL;
}

/* Level 3 for one recipient: the capture shows the server passing it on
 * to another host (an onward session with the same envelope), or looking
 * up its domain's MX right after accepting it.  A hop within the
 * server's own organisation, or from a public server to a private address,
 * is how a gateway delivers inward: recorded, not evidence of relaying. */
static void
onward_locality(struct judge_ctx *x, const struct dlg_tx *tx,
    struct dlg_rcpt *r, const char *domain)
{
	const struct relay_env *env = x->env;
	struct relay_onward o;
	g_autofree char *hop_reg = NULL;
	g_autofree char *dom_reg = NULL;
	g_autofree char *l_words = NULL;
	/* The configuration and the DNS have decided: the link is recorded,
	 * the locality stays theirs. */
	bool decided = relay_local_level(r->local_kind) >= 1 &&
		       relay_local_level(r->local_kind) <= 2;
	gint64 after, seen = 0;
	const char *hop;
	int k;

	memset(&o, 0, sizeof o);
	if (env->onward != NULL)
		env->onward(env->onward_ctx, x->d, tx, r, &o);
	if (o.found) {
		g_strlcpy(r->onward_id, o.session_id, sizeof r->onward_id);
		hop = o.to_name != NULL ? o.to_name : o.to_ip;
		hop_reg = o.to_name != NULL ? registrable(o.to_name) : NULL;
		dom_reg = domain != NULL ? registrable(domain) : NULL;
		l_words = g_steal_pointer(&r->local_evidence);
		if (decided) {
			r->local_evidence = g_strdup_printf(
			    "%s; the server passed it on to %s in session %s",
			    l_words, hop, o.session_id);
		} else if (o.other_rcpts) {
			r->local_evidence = g_strdup_printf(
			    "%s; the message went on to %s for other "
			    "recipients, as an alias or a forward does, in "
			    "session %s",
			    l_words, hop, o.session_id);
		} else if (hop_reg != NULL &&
			   g_strcmp0(hop_reg, dom_reg) != 0 &&
			   (g_strcmp0(hop_reg, x->banner_reg) == 0 ||
			       g_strcmp0(hop_reg, x->ehlo_reg) == 0)) {
			r->local_evidence = g_strdup_printf(
			    "%s; the server passed it on to %s at %s, in its "
			    "own organisation, which is no evidence of "
			    "relaying, in session %s",
			    l_words, hop, o.to_ip, o.session_id);
		} else if (address_scope(x->d->server.ip) ==
			       ADDRESS_SCOPE_PUBLIC &&
			   address_scope(o.to_ip) != ADDRESS_SCOPE_PUBLIC) {
			r->local_evidence = g_strdup_printf(
			    "%s; the server passed it on inward to %s, a "
			    "private address, as a gateway does for its own "
			    "domains, in session %s",
			    l_words, o.to_ip, o.session_id);
		} else {
			r->local = 0;
			r->local_kind = RELAY_LOCAL_ONWARD;
			r->local_evidence = g_strdup_printf(
			    "the server passed it on to %s%s%s in session %s",
			    hop, o.to_name != NULL ? " at " : "",
			    o.to_name != NULL ? o.to_ip : "", o.session_id);
		}
		g_free(o.to_name);
		if (decided || r->local == 0)
			return;
	}
	if (decided || domain == NULL || env->dns == NULL ||
	    r->item->reply == NULL)
		return;
	after = r->item->reply_ts;
	for (k = 0; k < env->dns->n && seen == 0; k++)
		if (strcmp(env->dns->source[k], "capture") == 0)
			seen = dns_store_lookup_after(env->dns->store[k],
			    x->d->server.ip, DNS_T_MX, domain, after);
	if (seen == 0 || seen - after > env->window)
		return;
	g_free(r->local_evidence);
	r->local = 0;
	r->local_kind = RELAY_LOCAL_ONWARD_LOOKUP;
	r->local_evidence = g_strdup_printf("the server looked up its MX "
					    "%.3f s after accepting it, as "
					    "a relay does",
	    (double)(seen - after) / G_USEC_PER_SEC);
}

static int
strength(enum relay_local k)
{
	int l = relay_local_level(k);

	return l == 0 ? 99 : l;
}

/* The locality another judgement found for the same address, where it
 * rests on stronger evidence. */
static void
prior_locality(const struct dialogue *p, struct dlg_rcpt *r)
{
	guint i, j;

	for (i = 0; i < p->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(p->txs, i);

		for (j = 0; j < tx->rcpts->len; j++) {
			const struct dlg_rcpt *c =
			    g_ptr_array_index(tx->rcpts, j);

			if (!c->judged ||
			    g_ascii_strcasecmp(c->address, r->address) != 0 ||
			    strength(c->local_kind) >=
				strength(r->local_kind) ||
			    c->local_kind == RELAY_LOCAL_SERVER_REPLY)
				continue;
			r->local = c->local;
			r->local_kind = c->local_kind;
			g_free(r->local_evidence);
			r->local_evidence = g_strdup(c->local_evidence);
			g_strlcpy(
			    r->onward_id, c->onward_id, sizeof r->onward_id);
			return;
		}
	}
}

/* The verdict from the reply, the locality and the client. */
static enum relay_verdict
judge(struct judge_ctx *x, struct dlg_rcpt *r)
{
	struct relay_reply_class c;
	const struct smtp_reply *rep = r->item->reply;
	bool authed = authenticated_before(x->d, r->item);
	bool trusted = x->d->client_trust != NULL;
	bool strong = relay_local_level(r->local_kind) >= 1 &&
		      relay_local_level(r->local_kind) <= 3;

	r->cause = NULL;
	r->cause_source = NULL;
	if (rep == NULL)
		return RELAY_VERDICT_UNKNOWN;
	relay_texts_classify(rep, &c);
	r->cause = c.cause;
	r->cause_source = c.source;
	switch (c.kind) {
	case RELAY_REPLY_ACCEPTED:
		if (r->local == 1)
			return RELAY_VERDICT_LOCAL_ACCEPTED;
		if (r->local == -1 || !strong)
			return RELAY_VERDICT_ACCEPTED_LOCALITY_UNKNOWN;
		if (authed)
			return RELAY_VERDICT_RELAY_ACCEPTED_AUTH;
		if (trusted)
			return RELAY_VERDICT_RELAY_ACCEPTED_TRUSTED;
		return RELAY_VERDICT_RELAY_ACCEPTED_OPEN;
	case RELAY_REPLY_RELAY_DENIED:
		return RELAY_VERDICT_RELAY_DENIED;
	case RELAY_REPLY_OTHER_CAUSE:
		return RELAY_VERDICT_REJECTED_OTHER;
	case RELAY_REPLY_TEMPFAIL:
		return RELAY_VERDICT_TEMPFAIL;
	case RELAY_REPLY_UNSTATED:
		/* A refusal naming no cause, for a stranger's recipient that
		 * the evidence says is not local, is a relay refusal
		 * (OpenSMTPD "550 Invalid recipient"). */
		if (smtp_reply_class(rep->code) == 4)
			return RELAY_VERDICT_TEMPFAIL;
		if (r->local == 0 && strong && !authed && !trusted) {
			r->cause = "relay";
			r->cause_source = "a refusal naming no cause, of a "
					  "recipient that is not local";
			return RELAY_VERDICT_RELAY_DENIED;
		}
		return RELAY_VERDICT_REJECTED_OTHER;
	case RELAY_REPLY_UNEXPECTED:
		break;
	}
	return RELAY_VERDICT_UNKNOWN;
}

/* Judge one recipient with its domain's locality, then the onward
 * evidence, then the server's own word. */
static void
judge_rcpt(struct judge_ctx *x, const struct dlg_tx *tx, struct dlg_rcpt *r)
{
	const struct locality *l = domain_locality(x, r->final_domain);
	guint i;

	r->local = l->local;
	r->local_kind = l->kind;
	g_free(r->local_evidence);
	r->local_evidence = g_strdup(l->words);
	r->onward_id[0] = '\0';
	if (r->local_dns != NULL)
		g_ptr_array_unref(r->local_dns);
	r->local_dns = NULL;
	if (l->facts->len > 0) {
		r->local_dns = g_ptr_array_new_with_free_func(dns_fact_free);
		for (i = 0; i < l->facts->len; i++) {
			const struct dns_fact *f =
			    g_ptr_array_index(l->facts, i);
			struct dns_fact *c = g_new0(struct dns_fact, 1);

			*c = *f;
			c->name = g_strdup(f->name);
			c->data = g_strdup(f->data);
			g_ptr_array_add(r->local_dns, c);
		}
	}
	onward_locality(x, tx, r, r->final_domain);
	if (x->env->prior != NULL)
		prior_locality(x->env->prior, r);
	r->verdict = judge(x, r);
	if (r->verdict == RELAY_VERDICT_RELAY_DENIED &&
	    strength(r->local_kind) > 3) {
		/* The server's word beats a guess from its names. */
		r->local = 0;
		r->local_kind = RELAY_LOCAL_SERVER_REPLY;
		g_free(r->local_evidence);
		r->local_evidence =
		    g_strdup("the server refused to relay for it");
	}
	r->local_source = relay_local_name(r->local_kind);
	r->judged = true;
}

/* Does the verdict of this recipient depend on the live DNS?  Only an
 * accepted one, or a refusal naming no cause, whose locality the
 * configuration does not give. */
static bool
wants_dns(const struct dlg_rcpt *r)
{
	struct relay_reply_class c;

	if (r->item->reply == NULL)
		return false;
	relay_texts_classify(r->item->reply, &c);
	return c.kind == RELAY_REPLY_ACCEPTED || c.kind == RELAY_REPLY_UNSTATED;
}

static void
judge_all(struct judge_ctx *x, struct dialogue *d, bool ask)
{
	guint i, j;

	for (i = 0; i < d->txs->len; i++) {
		struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		for (j = 0; j < tx->rcpts->len; j++) {
			struct dlg_rcpt *r = g_ptr_array_index(tx->rcpts, j);
			GPtrArray *keep = x->missing;

			if (!ask || !wants_dns(r))
				x->missing = NULL;
			judge_rcpt(x, tx, r);
			x->missing = keep;
		}
	}
}

void
relay_annotate(const struct relay_env *env, struct dialogue *d)
{
	struct judge_ctx x = { .env = env, .d = d };
	int round;
	guint i, j;

	x.p = relay_config_policy(env->config, d);
	x.banner = server_name(d->banner);
	x.ehlo = server_name(d->helo);
	x.banner_reg = x.banner != NULL ? registrable(x.banner) : NULL;
	x.ehlo_reg = x.ehlo != NULL ? registrable(x.ehlo) : NULL;
	d->client_trust = client_trust(x.p, d);
	for (i = 0; i < d->txs->len; i++) {
		struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		for (j = 0; j < tx->rcpts->len; j++) {
			struct dlg_rcpt *r = g_ptr_array_index(tx->rcpts, j);
			struct address a;

			address_parse(r->address, &a);
			r->tricks = a.tricks;
			g_free(r->final_domain);
			r->final_domain = g_steal_pointer(&a.final_domain);
			address_clear(&a);
		}
	}
	for (round = 0;; round++) {
		x.domains = g_hash_table_new_full(
		    g_str_hash, g_str_equal, g_free, locality_free);
		x.missing = g_ptr_array_new_with_free_func(g_free);
		judge_all(&x, d, env->resolve != NULL);
		if (env->resolve == NULL || x.missing->len == 0 ||
		    round == RELAY_MAX_ROUNDS) {
			g_ptr_array_unref(x.missing);
			g_hash_table_destroy(x.domains);
			break;
		}
		env->resolve(env->resolve_ctx, x.missing);
		g_ptr_array_unref(x.missing);
		g_hash_table_destroy(x.domains);
	}
	g_free(x.banner);
	g_free(x.ehlo);
	g_free(x.banner_reg);
	g_free(x.ehlo_reg);
	if (d->findings != NULL)
		g_ptr_array_unref(d->findings);
	d->findings = relay_findings(d);
}

bool
relay_from_stranger(const struct dialogue *d, const struct dlg_rcpt *r)
{
	return d->client_trust == NULL && !authenticated_before(d, r->item);
}

/* A recipient accepted from a stranger that the configuration or the DNS
 * does not call local: an onward delivery may yet say it was relayed, or
 * be named as the relay's next hop. */
static bool
awaits_onward(const struct dialogue *d, const struct dlg_rcpt *r)
{
	bool local12 = r->local == 1 && relay_local_level(r->local_kind) >= 1 &&
		       relay_local_level(r->local_kind) <= 2;

	return relay_verdict_accepted(r->verdict) && !local12 &&
	       r->onward_id[0] == '\0' && relay_from_stranger(d, r);
}

bool
relay_may_await(const struct relay_env *env, const struct dialogue *d)
{
	const struct relay_policy *p = relay_config_policy(env->config, d);
	guint i, j, k;

	if (client_trust(p, d) != NULL)
		return false;
	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		for (j = 0; j < tx->rcpts->len; j++) {
			const struct dlg_rcpt *r =
			    g_ptr_array_index(tx->rcpts, j);
			bool local = false;
			struct address a;

			if (r->item->reply == NULL ||
			    smtp_reply_class(r->item->reply->code) != 2 ||
			    authenticated_before(d, r->item))
				continue;
			if (p == NULL || p->local_domains->len == 0)
				return true;
			address_parse(r->address, &a);
			for (k = 0; a.final_domain != NULL &&
				    k < p->local_domains->len && !local;
			     k++)
				local = domain_matches(a.final_domain,
				    g_ptr_array_index(p->local_domains, k));
			local |= a.final_domain == NULL;
			address_clear(&a);
			if (!local)
				return true;
		}
	}
	return false;
}

bool
relay_awaits_onward(const struct dialogue *d)
{
	guint i, j;

	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		for (j = 0; j < tx->rcpts->len; j++) {
			const struct dlg_rcpt *r =
			    g_ptr_array_index(tx->rcpts, j);

			if (r->judged && awaits_onward(d, r))
				return true;
		}
	}
	return false;
}

/* ---- findings ---- */

static const char *const finding_names[RELAY_FINDING_COUNT] = {
#define RELAY_FINDING_NAME(id, name) [RELAY_FINDING_##id] = name,
	RELAY_FINDING_LIST(RELAY_FINDING_NAME)
#undef RELAY_FINDING_NAME
};

const char *
relay_finding_name(enum relay_finding_kind k)
{
	return (unsigned)k < RELAY_FINDING_COUNT ? finding_names[k] : "?";
}

int
relay_finding_lookup(const char *name)
{
	int k;

	for (k = 0; k < RELAY_FINDING_COUNT; k++)
		if (strcmp(finding_names[k], name) == 0)
			return k;
	return -1;
}

void
relay_finding_free(gpointer p)
{
	struct relay_finding *f = p;

	g_ptr_array_unref(f->rcpts);
	g_free(f->summary);
	g_free(f->remedy);
	g_free(f);
}

struct relay_finding *
relay_finding_new(enum relay_finding_kind k, const char *severity)
{
	struct relay_finding *f = g_new0(struct relay_finding, 1);

	f->kind = k;
	f->severity = severity;
	f->rcpts = g_ptr_array_new_with_free_func(g_free);
	return f;
}

/* The recipients of a dialogue that satisfy pick(), as a list; whether
 * any of their transactions had its message accepted; whether a gap
 * touched one; the first one picked. */
static GPtrArray *
collect(const struct dialogue *d,
    bool (*pick)(const struct dialogue *, const struct dlg_rcpt *),
    bool *accepted, bool *uncertain, const struct dlg_rcpt **first)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	guint i, j;

	*accepted = false;
	*uncertain = false;
	*first = NULL;
	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);
		bool hit = false;

		for (j = 0; j < tx->rcpts->len; j++) {
			const struct dlg_rcpt *r =
			    g_ptr_array_index(tx->rcpts, j);

			if (!pick(d, r))
				continue;
			g_ptr_array_add(out, g_strdup(r->address));
			if (*first == NULL)
				*first = r;
			hit = true;
			if (tx->gap)
				*uncertain = true;
		}
		if (hit && tx->data != NULL && tx->data->end != NULL &&
		    tx->data->end->reply != NULL &&
		    smtp_reply_class(tx->data->end->reply->code) == 2)
			*accepted = true;
	}
	return out;
}

static bool
is_open(const struct dialogue *d, const struct dlg_rcpt *r)
{
	(void)d;
	return r->verdict == RELAY_VERDICT_RELAY_ACCEPTED_OPEN;
}

static bool
is_denied(const struct dialogue *d, const struct dlg_rcpt *r)
{
	(void)d;
	return r->verdict == RELAY_VERDICT_RELAY_DENIED;
}

static bool
is_auth_relay(const struct dialogue *d, const struct dlg_rcpt *r)
{
	return r->verdict == RELAY_VERDICT_RELAY_ACCEPTED_AUTH ||
	       (r->verdict == RELAY_VERDICT_ACCEPTED_LOCALITY_UNKNOWN &&
		   authenticated_before(d, r->item));
}

static bool
is_trick_accepted(const struct dialogue *d, const struct dlg_rcpt *r)
{
	(void)d;
	return r->tricks != 0 && r->item->reply != NULL &&
	       smtp_reply_class(r->item->reply->code) == 2;
}

static bool
is_trick_refused(const struct dialogue *d, const struct dlg_rcpt *r)
{
	return r->tricks != 0 && !is_trick_accepted(d, r);
}

static char *
joined(GPtrArray *a)
{
	GString *s = g_string_new(NULL);
	guint i;

	for (i = 0; i < a->len && i < 5; i++)
		g_string_append_printf(s, "%s%s", i > 0 ? ", " : "",
		    (const char *)g_ptr_array_index(a, i));
	if (a->len > 5)
		g_string_append_printf(s, " and %u more", a->len - 5);
	return g_string_free(s, FALSE);
}

/* The open-relay finding: high when the message was accepted and the
 * evidence is of the strongest kind, medium when only RCPT was accepted
 * or the evidence is the server's MX lookup alone. */
static struct relay_finding *
open_relay_finding(const struct dialogue *d, const struct dlg_rcpt *first,
    const char *list, bool accepted)
{
	bool strong = first->local_kind != RELAY_LOCAL_ONWARD_LOOKUP;
	struct relay_finding *f = relay_finding_new(
	    RELAY_FINDING_OPEN_RELAY, accepted && strong ? "high" : "medium");

	f->confirmed = accepted;
	f->evidence = first->local_source;
	f->summary = g_strdup_printf(
	    "%s accepted mail from %s, which neither authenticated nor is "
	    "trusted, for a domain it does not serve (%s: %s): %s%s",
	    d->server.ip, d->client.ip, first->final_domain,
	    first->local_evidence, list,
	    accepted ? "; the message was accepted after DATA"
		     : " (accepted at RCPT; no message was accepted)");
	f->remedy = g_strdup(
	    "Anyone can send mail through this server. Relay only for "
	    "authenticated clients and your own networks (Postfix: "
	    "smtpd_relay_restrictions = permit_mynetworks, "
	    "permit_sasl_authenticated, reject_unauth_destination, with a "
	    "tight mynetworks; Exim: relay_from_hosts). If the server is a "
	    "backup MX for that domain, say so (--local-domains) and this "
	    "finding goes.");
	return f;
}

static void
add_rcpt_finding(GPtrArray *out, const struct dialogue *d,
    enum relay_finding_kind k,
    bool (*pick)(const struct dialogue *, const struct dlg_rcpt *))
{
	struct relay_finding *f;
	g_autoptr(GPtrArray) rc = NULL;
	g_autofree char *list = NULL;
	const struct dlg_rcpt *first;
	bool accepted, uncertain;

	rc = collect(d, pick, &accepted, &uncertain, &first);
	if (rc->len == 0)
		return;
	list = joined(rc);
	switch (k) {
	case RELAY_FINDING_OPEN_RELAY:
		f = open_relay_finding(d, first, list, accepted);
		break;
	case RELAY_FINDING_RELAY_DENIED:
		f = relay_finding_new(k, "info");
		f->summary = g_strdup_printf("%s refused to relay for %s: %s",
		    d->server.ip, d->client.ip, list);
		f->remedy = g_strdup_printf(
		    "Servers grant relaying per client address. To send "
		    "through this server, %s should authenticate (AUTH, "
		    "ideally on port 587 over TLS), or the server's "
		    "administrator can permit relaying from that one address "
		    "(Postfix: add %s to mynetworks) - never for everyone.",
		    d->client.ip, d->client.ip);
		break;
	case RELAY_FINDING_AUTH_RELAY:
		f = relay_finding_new(k, "info");
		f->summary = g_strdup_printf("%s accepted mail from %s after "
					     "AUTH as %s: %s",
		    d->server.ip, d->client.ip,
		    d->auth != NULL && d->auth->user != NULL ? d->auth->user
							     : "(unknown user)",
		    list);
		f->remedy = g_strdup(
		    "Normal authenticated submission; if the "
		    "user did not send this, the account's password is "
		    "compromised.");
		break;
	default:
		f = relay_finding_new(
		    k, pick == is_trick_accepted ? "high" : "low");
		f->summary =
		    g_strdup_printf("%s tried relay tricks in "
				    "recipient addresses, %s by %s: %s",
			d->client.ip,
			pick == is_trick_accepted ? "accepted" : "refused",
			d->server.ip, list);
		f->remedy = g_strdup(
		    pick == is_trick_accepted
			? "The server accepted an address that routes mail "
			  "elsewhere. Turn off legacy routing (Postfix: "
			  "allow_percent_hack = no, swap_bangpath = no, "
			  "resolve_dequoted_address = no) and make sure the "
			  "rewritten domain is checked for relaying."
			: "Typical of open-relay probes (nmap "
			  "smtp-open-relay); "
			  "the server refused them. Nothing to fix on the "
			  "server; the client deserves a look.");
		break;
	}
	if (uncertain) {
		/* Say so in the one line people read. */
		char *sum = g_strconcat(f->summary,
		    " (a capture gap touched this transaction: a reply it "
		    "rests on may belong to another command)",
		    NULL);

		g_free(f->summary);
		f->summary = sum;
		f->uncertain = true;
	}
	g_ptr_array_extend_and_steal(f->rcpts, g_steal_pointer(&rc));
	g_ptr_array_add(out, f);
}

static void
add_auth_findings(GPtrArray *out, const struct dialogue *d)
{
	struct relay_finding *f;
	const char *m;
	const char *user;

	if (d->auth == NULL)
		return;
	m = d->auth->mechanism;
	user = d->auth->user != NULL ? d->auth->user : "(unknown user)";
	if (d->auth->result == DLG_AUTH_FAILURE) {
		f = relay_finding_new(RELAY_FINDING_AUTH_FAILED, "medium");
		f->summary = g_strdup_printf("%s failed to authenticate to %s "
					     "as %s (%s)",
		    d->client.ip, d->server.ip, user, m);
		f->remedy = g_strdup(
		    "A wrong password, or password guessing "
		    "when it repeats from one address; rate-limit failed "
		    "AUTH (Postfix: smtpd_client_auth_rate_limit, "
		    "fail2ban).");
		g_ptr_array_add(out, f);
	}
	if ((strcmp(m, "PLAIN") == 0 || strcmp(m, "LOGIN") == 0) &&
	    d->auth->password_sent) {
		/* Visible AUTH is cleartext: after STARTTLS nothing is. */
		f = relay_finding_new(RELAY_FINDING_CLEARTEXT_AUTH, "medium");
		f->summary = g_strdup_printf(
		    "%s sent AUTH %s to %s without "
		    "TLS: the password of %s is readable in this capture",
		    d->client.ip, m, d->server.ip, user);
		f->remedy = g_strdup(
		    "Offer AUTH only over TLS (Postfix: "
		    "smtpd_tls_auth_only = yes; or port 465/587 with TLS "
		    "required) and change the exposed password.");
		g_ptr_array_add(out, f);
	} else if (strcmp(m, "PLAIN") == 0 || strcmp(m, "LOGIN") == 0) {
		f = relay_finding_new(RELAY_FINDING_CLEARTEXT_AUTH, "low");
		f->summary = g_strdup_printf(
		    "%s began AUTH %s with %s without TLS; the exchange "
		    "stopped before a password was sent",
		    d->client.ip, m, d->server.ip);
		f->remedy = g_strdup(
		    "The server offers AUTH in clear: offer it only over TLS "
		    "(Postfix: smtpd_tls_auth_only = yes).");
		g_ptr_array_add(out, f);
	}
}

static bool
is_accepted(const struct dialogue *d, const struct dlg_rcpt *r)
{
	(void)d;
	return r->item != NULL && r->item->reply != NULL &&
	       smtp_reply_class(r->item->reply->code) == 2;
}

/* A proxy that opened a tunnel for a client that did not authenticate to
 * it, and the mail server at the other end took recipients through it:
 * spam through open proxies is what open relays became.  High when a
 * message went through, medium when only recipients were accepted. */
static void
add_proxy_finding(GPtrArray *out, const struct dialogue *d)
{
	const struct proxy_info *p;
	g_autoptr(GPtrArray) rc = NULL;
	g_autofree char *list = NULL;
	const struct dlg_rcpt *first;
	struct relay_finding *f;
	bool accepted, uncertain;

	if (d->proxy == NULL || !proxy_conn_open_tunnel(d->proxy))
		return;
	rc = collect(d, is_accepted, &accepted, &uncertain, &first);
	if (rc->len == 0)
		return;
	p = proxy_conn_info(d->proxy);
	g_ptr_array_add(rc, NULL);
	list = g_strjoinv(", ", (char **)rc->pdata);
	g_ptr_array_remove_index(rc, rc->len - 1);
	f = relay_finding_new(
	    RELAY_FINDING_OPEN_PROXY_MAIL, accepted ? "high" : "medium");
	f->confirmed = accepted;
	f->uncertain = uncertain;
	f->summary = g_strdup_printf(
	    "the %s proxy %s:%u carried mail for %s, which did not "
	    "authenticate to it, to %s:%u: %s%s",
	    proxy_kind_name(p->kind), d->server.ip, d->server.port,
	    d->client.ip, p->host != NULL ? p->host : "?", p->port,
	    accepted ? "a message accepted for " : "recipients accepted: ",
	    list);
	f->remedy = g_strdup(
	    "An open proxy lets anyone send mail from its address, and its "
	    "address ends up on blocklists. Allow only your own clients "
	    "(tinyproxy: Allow; Squid: http_access; Dante: client pass "
	    "rules), require proxy authentication, and refuse CONNECT to "
	    "mail ports (tinyproxy ConnectPort, Squid SSL_ports; for SOCKS, "
	    "no route to port 25).");
	g_ptr_array_extend_and_steal(f->rcpts, g_steal_pointer(&rc));
	g_ptr_array_add(out, f);
}

static GPtrArray *
relay_findings(const struct dialogue *d)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(relay_finding_free);

	add_rcpt_finding(out, d, RELAY_FINDING_OPEN_RELAY, is_open);
	add_rcpt_finding(out, d, RELAY_FINDING_RELAY_DENIED, is_denied);
	add_rcpt_finding(out, d, RELAY_FINDING_RELAY_TRICK, is_trick_accepted);
	add_rcpt_finding(out, d, RELAY_FINDING_RELAY_TRICK, is_trick_refused);
	add_rcpt_finding(out, d, RELAY_FINDING_AUTH_RELAY, is_auth_relay);
	add_auth_findings(out, d);
	add_proxy_finding(out, d);
	return out;
}

static bool
pick_unknown_open(const struct dialogue *d, const struct dlg_rcpt *r)
{
	return r->verdict == RELAY_VERDICT_ACCEPTED_LOCALITY_UNKNOWN &&
	       relay_from_stranger(d, r);
}

struct relay_finding *
relay_possible_open(const struct dialogue *d)
{
	struct relay_finding *f;
	g_autoptr(GPtrArray) rc = NULL;
	g_autofree char *list = NULL;
	const struct dlg_rcpt *first;
	bool accepted, uncertain;

	rc = collect(d, pick_unknown_open, &accepted, &uncertain, &first);
	if (rc->len == 0)
		return NULL;
	list = joined(rc);
	f = relay_finding_new(RELAY_FINDING_POSSIBLE_OPEN_RELAY, "low");
	f->uncertain = uncertain;
	f->summary = g_strdup_printf(
	    "%s accepted mail from %s, a stranger, for domains nothing in "
	    "the capture shows it serves or does not serve: %s (the first "
	    "such session of this server; the summary lists them all)",
	    d->server.ip, d->client.ip, list);
	f->remedy = g_strdup_printf(
	    "Most likely inbound mail for domains the server hosts. To "
	    "decide: name them (--local-domains, --config), let relayscope "
	    "ask the DNS (--resolve), or test the server (relayscope replay "
	    "FILE --session %s --probe, from an address it does not trust).",
	    d->id);
	g_ptr_array_extend_and_steal(f->rcpts, g_steal_pointer(&rc));
	return f;
}
