/* SPDX-License-Identifier: GPL-2.0-or-later */
/* select.c: the session selectors (select.h). */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "address.h"
#include "diagnosis.h"
#include "relay.h"
#include "select.h"

struct select_host {
	char ip[48];   /* numeric, as the dialogue writes it */
	uint16_t port; /* 0: any */
};

void
select_init(struct rs_select *s)
{
	memset(s, 0, sizeof *s);
	s->sessions = g_ptr_array_new_with_free_func(g_free);
	s->servers = g_ptr_array_new_with_free_func(g_free);
	s->clients = g_ptr_array_new_with_free_func(g_free);
	s->froms = g_ptr_array_new_with_free_func(g_free);
	s->rcpts = g_ptr_array_new_with_free_func(g_free);
}

void
select_clear(struct rs_select *s)
{
	if (s->sessions == NULL)
		return;
	g_ptr_array_unref(s->sessions);
	g_ptr_array_unref(s->servers);
	g_ptr_array_unref(s->clients);
	g_ptr_array_unref(s->froms);
	g_ptr_array_unref(s->rcpts);
	memset(s, 0, sizeof *s);
}

/* The address inside optional angle brackets, lower case. */
static char *
address_of(const char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && v[0] == '<' && v[n - 1] == '>')
		return g_ascii_strdown(v + 1, (gssize)n - 2);
	return g_ascii_strdown(v, -1);
}

gboolean
select_add(
    struct rs_select *s, const char *what, const char *value, GError **error)
{
	struct select_host h;
	int k;

	s->any = true;
	if (strcmp(what, "session") == 0) {
		size_t n = strlen(value);

		if (n == 0 || n > 16 ||
		    strspn(value, "0123456789abcdefABCDEF") != n) {
			g_set_error(error, G_OPTION_ERROR,
			    G_OPTION_ERROR_BAD_VALUE,
			    "--session: \"%s\" is not a session id (up to 16 "
			    "hex digits, a prefix of one)",
			    value);
			return FALSE;
		}
		g_ptr_array_add(s->sessions, g_ascii_strdown(value, -1));
	} else if (strcmp(what, "server") == 0 || strcmp(what, "client") == 0) {
		if (!address_parse_endpoint(
			value, h.ip, sizeof h.ip, &h.port)) {
			g_set_error(error, G_OPTION_ERROR,
			    G_OPTION_ERROR_BAD_VALUE,
			    "--%s: \"%s\" is not ADDR or ADDR:PORT "
			    "([ADDR]:PORT for IPv6)",
			    what, value);
			return FALSE;
		}
		g_ptr_array_add(what[1] == 'e' ? s->servers : s->clients,
		    g_memdup2(&h, sizeof h));
	} else if (strcmp(what, "finding") == 0) {
		if ((k = relay_finding_lookup(value)) >= 0)
			s->findings |= 1u << k;
		else if ((k = diag_fail_lookup(value)) >= 0)
			s->failures |= 1u << k;
		else {
			g_set_error(error, G_OPTION_ERROR,
			    G_OPTION_ERROR_BAD_VALUE,
			    "--finding: \"%s\" is not a finding (open-relay, "
			    "possible-open-relay, relay-denied, relay-trick, "
			    "auth-relay, auth-failed, cleartext-auth, "
			    "ehlo-mismatch, open-proxy-mail, deferred, "
			    "rejected, tls-failure, slow-server)",
			    value);
			return FALSE;
		}
	} else if (strcmp(what, "from") == 0)
		g_ptr_array_add(s->froms, address_of(value));
	else if (strcmp(what, "rcpt") == 0) {
		if (value[0] == '\0' || strcmp(value, "<>") == 0) {
			g_set_error(error, G_OPTION_ERROR,
			    G_OPTION_ERROR_BAD_VALUE,
			    "--rcpt: an address is needed");
			return FALSE;
		}
		g_ptr_array_add(s->rcpts, address_of(value));
	} else
		g_assert_not_reached();
	return TRUE;
}

static bool
host_match(const GPtrArray *hosts, const struct rs_endpoint *e)
{
	guint i;

	for (i = 0; i < hosts->len; i++) {
		const struct select_host *h = g_ptr_array_index(hosts, i);

		if (strcmp(h->ip, e->ip) == 0 &&
		    (h->port == 0 || h->port == e->port))
			return true;
	}
	return false;
}

static bool
text_in(const GPtrArray *want, const char *have)
{
	guint i;

	for (i = 0; have != NULL && i < want->len; i++)
		if (g_ascii_strcasecmp(g_ptr_array_index(want, i), have) == 0)
			return true;
	return false;
}

static bool
envelope_match(const struct rs_select *s, const struct dialogue *d)
{
	bool from = s->froms->len == 0, rcpt = s->rcpts->len == 0;
	guint i, j;

	for (i = 0; i < d->txs->len && !(from && rcpt); i++) {
		const struct dlg_tx *tx = g_ptr_array_index(d->txs, i);

		from = from || text_in(s->froms, tx->mail_from);
		for (j = 0; j < tx->rcpts->len && !rcpt; j++) {
			const struct dlg_rcpt *r =
			    g_ptr_array_index(tx->rcpts, j);

			rcpt = text_in(s->rcpts, r->address);
		}
	}
	return from && rcpt;
}

bool
select_match(const struct rs_select *s, const struct dialogue *d)
{
	unsigned kinds = 0;
	guint i;

	if (!s->any)
		return true;
	for (i = 0; d->findings != NULL && i < d->findings->len; i++) {
		const struct relay_finding *f =
		    g_ptr_array_index(d->findings, i);

		kinds |= 1u << f->kind;
	}
	if (s->findings_only && kinds == 0)
		return false;
	if ((s->findings | s->failures) != 0 && (kinds & s->findings) == 0 &&
	    (d->diagnosis == NULL ||
		(diagnosis_fail_bits(d->diagnosis) & s->failures) == 0))
		return false;
	if (s->sessions->len > 0) {
		bool hit = false;

		for (i = 0; i < s->sessions->len && !hit; i++)
			hit = g_str_has_prefix(
			    d->id, g_ptr_array_index(s->sessions, i));
		if (!hit)
			return false;
	}
	if (s->servers->len > 0 && !host_match(s->servers, &d->server))
		return false;
	if (s->clients->len > 0 && !host_match(s->clients, &d->client))
		return false;
	return envelope_match(s, d);
}
