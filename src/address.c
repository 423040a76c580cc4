/* SPDX-License-Identifier: GPL-2.0-or-later */
/* address.c: envelope paths (RFC 5321 §4.1.2: Path, source routes, quoted
 * local parts) and the relay tricks older MTAs honoured: the percent hack
 * (RFC 1123 §5.2.16 "%-hack"), UUCP bang paths, source routes (RFC 5321
 * §C, servers SHOULD strip them), and '@' hidden in quoted or doubled
 * local parts.  Pure functions. */
#include <string.h>

#include <glib.h>

#include "address.h"

static const struct {
	unsigned bit;
	const char *name;
} trick_names[] = {
#define ADDRESS_TRICK_ROW(id, bit, name) { bit, name },
	ADDRESS_TRICK_LIST(ADDRESS_TRICK_ROW)
#undef ADDRESS_TRICK_ROW
};

bool
address_is_literal(const char *domain)
{
	return domain != NULL && domain[0] == '[';
}

void
address_clear(struct address *a)
{
	g_free(a->local);
	g_free(a->domain);
	g_free(a->final_domain);
	memset(a, 0, sizeof *a);
}

char *
address_tricks_names(unsigned tricks, const char *sep)
{
	GString *s = g_string_new(NULL);
	guint i;

	for (i = 0; i < G_N_ELEMENTS(trick_names); i++) {
		if (!(tricks & trick_names[i].bit))
			continue;
		if (s->len > 0)
			g_string_append(s, sep);
		g_string_append(s, trick_names[i].name);
	}
	return g_string_free(s, FALSE);
}

static char *
lower_dup(const char *p, size_t n)
{
	return g_ascii_strdown(p, (gssize)n);
}

/* Index of the last '@' outside a quoted string, or -1. */
static long
last_unquoted_at(const char *p, size_t n, unsigned *count)
{
	long at = -1;
	size_t i;
	bool q = false;

	*count = 0;
	for (i = 0; i < n; i++) {
		if (q) {
			if (p[i] == '\\' && i + 1 < n)
				i++;
			else if (p[i] == '"')
				q = false;
		} else if (p[i] == '"')
			q = true;
		else if (p[i] == '@') {
			at = (long)i;
			(*count)++;
		}
	}
	return at;
}

/* Work out where a local part would send the mail, if anywhere. */
static char *
local_route(const char *local, unsigned *tricks)
{
	g_autofree char *inner = NULL;
	const char *p, *e;
	size_t n = strlen(local);
	unsigned ats;
	long at;

	if (n >= 2 && local[0] == '"' && local[n - 1] == '"') {
		/* A quoted string: look inside it. */
		inner = g_strndup(local + 1, n - 2);
		if (strchr(inner, '@') != NULL)
			*tricks |= ADDRESS_TRICK_QUOTED_AT;
		local = inner;
		n = strlen(inner);
	} else {
		at = last_unquoted_at(local, n, &ats);
		if (at >= 0)
			*tricks |= ADDRESS_TRICK_DOUBLE_AT;
	}
	if ((p = strrchr(local, '@')) != NULL)
		return lower_dup(p + 1, strlen(p + 1));
	if ((p = strrchr(local, '%')) != NULL) {
		*tricks |= ADDRESS_TRICK_PERCENT;
		return lower_dup(p + 1, strlen(p + 1));
	}
	if ((e = strchr(local, '!')) != NULL && e != local) {
		*tricks |= ADDRESS_TRICK_BANG;
		return lower_dup(local, (size_t)(e - local));
	}
	return NULL;
}

void
address_parse(const char *path, struct address *out)
{
	const char *mbox = path, *colon, *hop_end;
	g_autofree char *hop = NULL;
	g_autofree char *via = NULL;
	unsigned ats;
	long at;
	size_t n;

	memset(out, 0, sizeof *out);
	if (path == NULL)
		path = "";
	if (path[0] == '@' && (colon = strchr(path, ':')) != NULL) {
		/* "@hop1,@hop2:mailbox": the first hop receives it. */
		out->tricks |= ADDRESS_TRICK_SOURCE_ROUTE;
		hop_end = strchr(path, ',');
		if (hop_end == NULL || hop_end > colon)
			hop_end = colon;
		hop = lower_dup(path + 1, (size_t)(hop_end - path - 1));
		mbox = colon + 1;
	}
	n = strlen(mbox);
	at = last_unquoted_at(mbox, n, &ats);
	if (at >= 0) {
		out->local = g_strndup(mbox, (size_t)at);
		out->domain = lower_dup(mbox + at + 1, n - (size_t)at - 1);
	} else
		out->local = g_strdup(mbox);
	via = local_route(out->local, &out->tricks);
	out->final_domain = g_strdup(via != NULL ? via : out->domain);
	if (hop != NULL) {
		/* The route's first hop is who is asked; the mailbox's
		 * own domain is where it ends up. */
		g_free(out->domain);
		out->domain = g_steal_pointer(&hop);
	}
}
