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
				    "--trusted-nets: \"%s\" is not an address "
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
static char *
server_name(const struct dlg_item *it)
{
	const char *t;
	size_t n = 0;

	if (it == NULL || it->reply == NULL ||
	    smtp_reply_class(it->reply->code) != 2)
		return NULL;
	t = it->reply->text;
	while (t[n] != '\0' && t[n] != ' ' && t[n] != '\n')
		n++;
	if (n == 0 || memchr(t, '.', n) == NULL || t[0] == '[')
		return NULL;
	return g_ascii_strdown(t, (gssize)n);
}

static bool
domain_matches(const char *domain, const char *local)
{
	size_t dl = strlen(domain), ll = strlen(local);

	/* Exact, or a subdomain of a configured local domain. */
	return strcmp(domain, local) == 0 ||
	       (dl > ll && domain[dl - ll - 1] == '.' &&
		   strcmp(domain + dl - ll, local) == 0);
}

/* Is the domain local to the server?  Returns 1, 0 or -1 (no evidence)
 * and the source of the answer. */
static int
locality(const struct relay_policy *p, const struct dialogue *d,
    const char *domain, const char **source)
{
	g_autofree char *banner = server_name(d->banner);
	g_autofree char *ehlo = server_name(d->helo);
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
		lit = g_strdup_printf("[%s]", d->server.ip);
		*source = "inferred:address-literal";
		return g_ascii_strcasecmp(domain, lit) == 0 ? 1 : 0;
	}
	want = registrable(domain);
	if (banner != NULL) {
		g_autofree char *b = registrable(banner);

		*source = "inferred:banner";
		if (strcmp(b, want) == 0)
			return 1;
	}
	if (ehlo != NULL) {
		g_autofree char *e = registrable(ehlo);

		if (strcmp(e, want) == 0) {
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
judge(
    const struct relay_policy *p, const struct dialogue *d, struct dlg_rcpt *r)
{
	struct relay_reply_class c;
	const struct smtp_reply *rep = r->item->reply;
	bool outsider =
	    !authenticated_before(d, r->item) && !client_trusted(p, d);

	if (rep == NULL)
		return RELAY_VERDICT_UNKNOWN;
	relay_texts_classify(rep, &c);
	switch (c.kind) {
	case RELAY_REPLY_ACCEPTED:
		if (r->local == 1)
			return RELAY_VERDICT_LOCAL_ACCEPTED;
		if (r->local == -1)
			return RELAY_VERDICT_UNKNOWN;
		if (authenticated_before(d, r->item))
			return RELAY_VERDICT_RELAY_ACCEPTED_AUTH;
		if (client_trusted(p, d))
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
		if (r->local == 0 && outsider)
			return RELAY_VERDICT_RELAY_DENIED;
		return RELAY_VERDICT_REJECTED_OTHER;
	case RELAY_REPLY_UNEXPECTED:
		break;
	}
	return RELAY_VERDICT_UNKNOWN;
}

void
relay_annotate(const struct relay_policy *p, struct dialogue *d)
{
	guint i, j;

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
			    locality(p, d, r->final_domain, &r->local_source);
			r->verdict = judge(p, d, r);
			r->judged = true;
		}
	}
}
