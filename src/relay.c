/* SPDX-License-Identifier: GPL-2.0-or-later */
/* relay.c: per-recipient relay verdicts (docs/verdicts.md).
 *
 * A recipient's verdict combines what the server answered (relay_texts.c),
 * whether the domain the mail would really go to is local to the server
 * (address.c for tricks), and who the client was (AUTH, trusted networks).
 * Locality comes from the configured local domains, or else is inferred
 * from the server's own names in the capture: the registrable domain
 * (Public Suffix List, libpsl) of the name in its greeting and EHLO reply,
 * and address literals equal to its own address.  Every verdict says which.
 */
#include <string.h>

#include <gio/gio.h>
#include <libpsl.h>

#include "address.h"
#include "relay.h"
#include "relay_texts.h"

static GPtrArray *relay_findings(const struct dialogue *d);

static const char *const verdict_names[RELAY_VERDICT_COUNT] = {
#define RELAY_VERDICT_NAME(id, name) [RELAY_VERDICT_##id] = name,
	RELAY_VERDICT_LIST(RELAY_VERDICT_NAME)
#undef RELAY_VERDICT_NAME
};

const char *
relay_verdict_name(enum relay_verdict v)
{
	return (unsigned)v < RELAY_VERDICT_COUNT ? verdict_names[v] : "unknown";
}

gboolean
relay_policy_parse(const char *domains, const char *nets,
    struct relay_policy **out, GError **error)
{
	struct relay_policy *p = g_new0(struct relay_policy, 1);
	g_auto(GStrv) v = NULL;
	int i;

	p->local_domains = g_ptr_array_new_with_free_func(g_free);
	p->trusted = g_ptr_array_new_with_free_func(g_object_unref);
	if (domains != NULL) {
		v = g_strsplit(domains, ",", -1);
		for (i = 0; v[i] != NULL; i++) {
			g_strstrip(v[i]);
			if (v[i][0] != '\0')
				g_ptr_array_add(p->local_domains,
				    g_ascii_strdown(v[i], -1));
		}
		g_clear_pointer(&v, g_strfreev);
	}
	if (nets != NULL) {
		v = g_strsplit(nets, ",", -1);
		for (i = 0; v[i] != NULL; i++) {
			GInetAddressMask *m;

			g_strstrip(v[i]);
			if (v[i][0] == '\0')
				continue;
			m = g_inet_address_mask_new_from_string(v[i], NULL);
			if (m == NULL) {
				g_set_error(error, G_OPTION_ERROR,
				    G_OPTION_ERROR_BAD_VALUE,
				    "trusted network \"%s\" is not an address "
				    "or "
				    "network (192.0.2.0/24, 2001:db8::/32)",
				    v[i]);
				relay_policy_free(p);
				return FALSE;
			}
			g_ptr_array_add(p->trusted, m);
		}
	}
	*out = p;
	return TRUE;
}

void
relay_policy_free(struct relay_policy *p)
{
	if (p == NULL)
		return;
	g_ptr_array_unref(p->local_domains);
	g_ptr_array_unref(p->trusted);
	g_free(p);
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

/* The registrable domain of a name ("mx.example.co.uk" -> example.co.uk),
 * or the name itself when there is none (localhost).  Caller owns it. */
static char *
registrable(const char *name)
{
	const char *r =
	    psl() != NULL ? psl_registrable_domain(psl(), name) : NULL;

	return g_strdup(r != NULL ? r : name);
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

/* Does any source list addr among the addresses of name? */
static bool
view_has_address(const struct dns_view *v, const char *name, const char *addr)
{
	static const uint16_t types[] = { DNS_T_A, DNS_T_AAAA };
	const struct dns_rrset *r;
	int k, t;
	guint j;

	for (k = 0; v != NULL && k < v->n; k++)
		for (t = 0; t < 2; t++) {
			r = dns_store_get(v->store[k], types[t], name);
			for (j = 0; r != NULL && j < r->values->len; j++)
				if (strcmp(g_ptr_array_index(r->values, j),
					addr) == 0)
					return true;
		}
	return false;
}

/* Does an MX answer (capture, map or live) name this server for the
 * domain (by its name, or by an address answer equal to its address)? */
static bool
mx_points_here(const struct dns_view *v, const struct dialogue *d,
    const char *domain, const char *banner, const char *ehlo)
{
	const struct dns_rrset *mx;
	guint i;
	int k;

	for (k = 0; v != NULL && k < v->n; k++) {
		mx = dns_store_get(v->store[k], DNS_T_MX, domain);
		for (i = 0; mx != NULL && i < mx->values->len; i++) {
			const char *x = g_ptr_array_index(mx->values, i);

			if (g_strcmp0(x, banner) == 0 ||
			    g_strcmp0(x, ehlo) == 0 ||
			    view_has_address(v, x, d->server.ip))
				return true;
		}
	}
	return false;
}

/* What every recipient of one dialogue is judged against, worked out
 * once per dialogue. */
struct judge_ctx {
	const struct relay_policy *p;
	const struct dns_view *dns;
	const struct dialogue *d;
	char *banner, *ehlo;	     /* the server's own names, or NULL */
	char *banner_reg, *ehlo_reg; /* their registrable domains */
	bool trusted;		     /* client in the trusted networks */
};

static int
locality(const struct judge_ctx *x, const char *domain, const char **source)
{
	const struct relay_policy *p = x->p;
	g_autofree char *want = NULL;
	g_autofree char *lit = NULL;
	guint i;

	*source = NULL;
	if (domain == NULL || domain[0] == '\0') {
		/* "postmaster" and other unqualified recipients. */
		*source = "no-domain";
		return 1;
	}
	if (p != NULL && p->local_domains->len > 0) {
		*source = "config";
		for (i = 0; i < p->local_domains->len; i++)
			if (domain_matches(
				domain, g_ptr_array_index(p->local_domains, i)))
				return 1;
		return 0;
	}
	if (address_is_literal(domain)) {
		lit = g_strdup_printf("[%s]", x->d->server.ip);
		*source = "inferred:address-literal";
		return g_ascii_strcasecmp(domain, lit) == 0 ? 1 : 0;
	}
	if (mx_points_here(x->dns, x->d, domain, x->banner, x->ehlo)) {
		*source = "inferred:mx";
		return 1;
	}
	want = registrable(domain);
	if (x->banner_reg != NULL) {
		*source = "inferred:banner";
		if (strcmp(x->banner_reg, want) == 0)
			return 1;
	}
	if (x->ehlo_reg != NULL) {
		if (strcmp(x->ehlo_reg, want) == 0) {
			*source = "inferred:ehlo";
			return 1;
		}
		if (*source == NULL)
			*source = "inferred:ehlo";
	}
	return *source != NULL ? 0 : -1;
}

static bool
client_trusted(const struct relay_policy *p, const struct dialogue *d)
{
	g_autoptr(GInetAddress) a = NULL;
	guint i;

	if (p == NULL || p->trusted->len == 0)
		return false;
	a = g_inet_address_new_from_string(d->client.ip);
	if (a == NULL)
		return false;
	for (i = 0; i < p->trusted->len; i++)
		if (g_inet_address_mask_matches(
			g_ptr_array_index(p->trusted, i), a))
			return true;
	return false;
}

static bool
authenticated_before(const struct dialogue *d, const struct dlg_item *it)
{
	return d->auth != NULL && d->auth->result == DLG_AUTH_SUCCESS &&
	       (d->auth->item == NULL || d->auth->item->ts <= it->ts);
}

static enum relay_verdict
judge(const struct judge_ctx *x, const struct dlg_rcpt *r)
{
	struct relay_reply_class c;
	const struct smtp_reply *rep = r->item->reply;
	bool authed = authenticated_before(x->d, r->item);

	if (rep == NULL)
		return RELAY_VERDICT_UNKNOWN;
	relay_texts_classify(rep, &c);
	switch (c.kind) {
	case RELAY_REPLY_ACCEPTED:
		if (r->local == 1)
			return RELAY_VERDICT_LOCAL_ACCEPTED;
		if (r->local == -1)
			return RELAY_VERDICT_UNKNOWN;
		if (authed)
			return RELAY_VERDICT_RELAY_ACCEPTED_AUTH;
		if (x->trusted)
			return RELAY_VERDICT_RELAY_ACCEPTED_TRUSTED;
		return RELAY_VERDICT_RELAY_ACCEPTED_OPEN;
	case RELAY_REPLY_RELAY_DENIED:
		return RELAY_VERDICT_RELAY_DENIED;
	case RELAY_REPLY_OTHER_CAUSE:
		return RELAY_VERDICT_REJECTED_OTHER;
	case RELAY_REPLY_TEMPFAIL:
		return RELAY_VERDICT_TEMPFAIL;
	case RELAY_REPLY_UNSTATED:
		/* A refusal naming no cause, for a stranger's non-local
		 * recipient, is a relay refusal (OpenSMTPD "550 Invalid
		 * recipient"). */
		if (smtp_reply_class(rep->code) == 4)
			return RELAY_VERDICT_TEMPFAIL;
		if (r->local == 0 && !authed && !x->trusted)
			return RELAY_VERDICT_RELAY_DENIED;
		return RELAY_VERDICT_REJECTED_OTHER;
	case RELAY_REPLY_UNEXPECTED:
		break;
	}
	return RELAY_VERDICT_UNKNOWN;
}

/* The policy that applies to a dialogue's server. */
static const struct relay_policy *
policy_for(const struct relay_config *c, const struct dialogue *d)
{
	g_autofree char *k1 = NULL;
	const struct relay_policy *p;

	if (c == NULL)
		return NULL;
	k1 = g_strdup_printf("%s|%u", d->server.ip, d->server.port);
	p = g_hash_table_lookup(c->servers, k1);
	if (p == NULL)
		p = g_hash_table_lookup(c->servers, d->server.ip);
	return p != NULL ? p : c->global;
}

static gboolean
section_server(const char *group, char **key, GError **error)
{
	g_autoptr(GInetAddress) a = NULL;
	const char *spec = group + strlen("server ");
	g_autofree char *host = NULL;
	const char *colon;
	guint64 port = 0;

	/* "server 192.0.2.25", "server 192.0.2.25:587",
	 * "server 2001:db8::25", "server [2001:db8::25]:587" */
	if (spec[0] == '[') {
		colon = strstr(spec, "]:");
		host = g_strndup(spec + 1, colon != NULL
					       ? (gsize)(colon - spec - 1)
					       : strlen(spec + 1) - 1);
		if (colon != NULL && !g_ascii_string_to_unsigned(
					 colon + 2, 10, 1, 65535, &port, NULL))
			host[0] = '\0';
	} else if ((colon = strrchr(spec, ':')) != NULL &&
		   strchr(spec, ':') == colon) {
		host = g_strndup(spec, (gsize)(colon - spec));
		if (!g_ascii_string_to_unsigned(
			colon + 1, 10, 1, 65535, &port, NULL))
			host[0] = '\0';
	} else
		host = g_strdup(spec);
	a = g_inet_address_new_from_string(host);
	if (a == NULL) {
		g_set_error(error, G_KEY_FILE_ERROR,
		    G_KEY_FILE_ERROR_INVALID_VALUE,
		    "[%s]: not \"server ADDRESS\" or \"server "
		    "ADDRESS:PORT\"",
		    group);
		return FALSE;
	}
	g_free(host);
	host = g_inet_address_to_string(a);
	*key = port != 0 ? g_strdup_printf("%s|%u", host, (unsigned)port)
			 : g_strdup(host);
	return TRUE;
}

static gboolean
section_policy(
    GKeyFile *kf, const char *group, struct relay_policy **out, GError **error)
{
	g_auto(GStrv) dom =
	    g_key_file_get_string_list(kf, group, "local_domains", NULL, NULL);
	g_auto(GStrv) nets =
	    g_key_file_get_string_list(kf, group, "trusted_nets", NULL, NULL);
	g_autofree char *d = dom != NULL ? g_strjoinv(",", dom) : NULL;
	g_autofree char *n = nets != NULL ? g_strjoinv(",", nets) : NULL;

	return relay_policy_parse(d, n, out, error);
}

gboolean
relay_config_load(const char *path, const char *domains, const char *nets,
    struct relay_config **out, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_auto(GStrv) groups = NULL;
	struct relay_config *c = g_new0(struct relay_config, 1);
	g_autoptr(GError) e = NULL;
	int i;

	c->servers = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)relay_policy_free);
	if (path != NULL &&
	    !g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &e)) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
		    "%s: %s", path, e->message);
		relay_config_free(c);
		return FALSE;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (i = 0; groups[i] != NULL; i++) {
		struct relay_policy *p = NULL;
		char *key = NULL;

		if (strcmp(groups[i], "global") == 0) {
			if (domains != NULL || nets != NULL)
				continue; /* the command line wins */
			if (!section_policy(kf, groups[i], &c->global, &e))
				goto bad;
			continue;
		}
		if (strncmp(groups[i], "server ", 7) != 0) {
			g_set_error(&e, G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
			    "[%s]: unknown section (use [global] or [server "
			    "ADDRESS[:PORT]])",
			    groups[i]);
			goto bad;
		}
		if (!section_server(groups[i], &key, &e))
			goto bad;
		if (!section_policy(kf, groups[i], &p, &e)) {
			g_free(key);
			goto bad;
		}
		g_hash_table_replace(c->servers, key, p);
	}
	if (c->global == NULL &&
	    !relay_policy_parse(domains, nets, &c->global, &e))
		goto bad;
	*out = c;
	return TRUE;
bad:
	if (path != NULL)
		g_set_error(error, G_KEY_FILE_ERROR,
		    G_KEY_FILE_ERROR_INVALID_VALUE, "%s: %s", path, e->message);
	else
		g_propagate_error(error, g_steal_pointer(&e));
	relay_config_free(c);
	return FALSE;
}

void
relay_config_free(struct relay_config *c)
{
	if (c == NULL)
		return;
	relay_policy_free(c->global);
	g_hash_table_destroy(c->servers);
	g_free(c);
}

void
relay_annotate(const struct relay_config *c, const struct dns_view *dns,
    struct dialogue *d)
{
	struct judge_ctx x = { .p = policy_for(c, d), .dns = dns, .d = d };
	guint i, j;

	x.banner = server_name(d->banner);
	x.ehlo = server_name(d->helo);
	x.banner_reg = x.banner != NULL ? registrable(x.banner) : NULL;
	x.ehlo_reg = x.ehlo != NULL ? registrable(x.ehlo) : NULL;
	x.trusted = client_trusted(x.p, d);
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
			r->local =
			    locality(&x, r->final_domain, &r->local_source);
			r->verdict = judge(&x, r);
			r->judged = true;
		}
	}
	g_free(x.banner);
	g_free(x.ehlo);
	g_free(x.banner_reg);
	g_free(x.ehlo_reg);
	if (d->findings != NULL)
		g_ptr_array_unref(d->findings);
	d->findings = relay_findings(d);
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

/* The recipients of a dialogue that satisfy pick(), as a list; and
 * whether any of their transactions had its message accepted. */
static GPtrArray *
collect(const struct dialogue *d, bool (*pick)(const struct dlg_rcpt *),
    bool *accepted, bool *uncertain)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	guint i, j;

	*accepted = false;
	*uncertain = false;
	for (i = 0; i < d->txs->len; i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);
		bool hit = false;

		for (j = 0; j < tx->rcpts->len; j++) {
			const struct dlg_rcpt *r =
			    g_ptr_array_index(tx->rcpts, j);

			if (!pick(r))
				continue;
			g_ptr_array_add(out, g_strdup(r->address));
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
is_open(const struct dlg_rcpt *r)
{
	return r->verdict == RELAY_VERDICT_RELAY_ACCEPTED_OPEN;
}

static bool
is_denied(const struct dlg_rcpt *r)
{
	return r->verdict == RELAY_VERDICT_RELAY_DENIED;
}

static bool
is_auth_relay(const struct dlg_rcpt *r)
{
	return r->verdict == RELAY_VERDICT_RELAY_ACCEPTED_AUTH;
}

static bool
is_trick_accepted(const struct dlg_rcpt *r)
{
	return r->tricks != 0 && r->item->reply != NULL &&
	       smtp_reply_class(r->item->reply->code) == 2;
}

static bool
is_trick_refused(const struct dlg_rcpt *r)
{
	return r->tricks != 0 && !is_trick_accepted(r);
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

static void
add_rcpt_finding(GPtrArray *out, const struct dialogue *d,
    enum relay_finding_kind k, bool (*pick)(const struct dlg_rcpt *))
{
	struct relay_finding *f;
	g_autoptr(GPtrArray) rc = NULL;
	g_autofree char *list = NULL;
	bool accepted, uncertain;

	rc = collect(d, pick, &accepted, &uncertain);
	if (rc->len == 0)
		return;
	list = joined(rc);
	switch (k) {
	case RELAY_FINDING_OPEN_RELAY:
		f = relay_finding_new(k, "high");
		f->confirmed = accepted;
		f->summary = g_strdup_printf(
		    "%s accepted mail from %s, which "
		    "neither authenticated nor is trusted, for a domain it "
		    "does not serve: %s%s",
		    d->server.ip, d->client.ip, list,
		    accepted ? "; the message was accepted after DATA"
			     : " (accepted at RCPT; no message was accepted)");
		f->remedy = g_strdup(
		    "Anyone can send mail through this "
		    "server. Relay only for authenticated clients and your "
		    "own networks (Postfix: smtpd_relay_restrictions = "
		    "permit_mynetworks, permit_sasl_authenticated, "
		    "reject_unauth_destination, with a tight mynetworks; "
		    "Exim: relay_from_hosts).");
		break;
	case RELAY_FINDING_RELAY_DENIED:
		f = relay_finding_new(k, "info");
		f->summary = g_strdup_printf("%s refused to relay for %s: %s",
		    d->server.ip, d->client.ip, list);
		f->remedy = g_strdup_printf(
		    "Servers grant relaying per "
		    "client address. To send through this server, %s should "
		    "authenticate (AUTH, ideally on port 587 over TLS), or "
		    "the server's administrator can permit relaying from "
		    "that one address (Postfix: add %s to mynetworks) - "
		    "never for everyone.",
		    d->client.ip, d->client.ip);
		break;
	case RELAY_FINDING_AUTH_RELAY:
		f = relay_finding_new(k, "info");
		f->summary = g_strdup_printf("%s relayed for %s after AUTH as "
					     "%s: %s",
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
	if (strcmp(m, "PLAIN") == 0 || strcmp(m, "LOGIN") == 0) {
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
	}
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
	return out;
}
