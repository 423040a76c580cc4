/* SPDX-License-Identifier: GPL-2.0-or-later */
/* address.c: envelope paths (RFC 5321 §4.1.2: Path, source routes, quoted
 * local parts) and the relay tricks older MTAs honoured: the percent hack
 * (RFC 1123 §5.2.16 "%-hack"), UUCP bang paths, source routes (RFC 5321
 * §C, servers SHOULD strip them), and '@' hidden in quoted or doubled
 * local parts.  Pure functions. */
#include <arpa/inet.h>
#include <string.h>

#include <gio/gio.h>

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

/* An IP address in binary, IPv4-mapped IPv6 as IPv4; the family or 0. */
static int
ip_parse(const char *ip, unsigned char out[16])
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };

	if (ip == NULL)
		return 0;
	if (inet_pton(AF_INET, ip, out) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, ip, out) != 1)
		return 0;
	if (memcmp(out, mapped, 12) == 0) {
		memmove(out, out + 12, 4);
		return AF_INET;
	}
	return AF_INET6;
}

enum address_scope
address_scope(const char *ip)
{
	unsigned char a[16];
	static const unsigned char v6lo[16] = { [15] = 1 };

	switch (ip_parse(ip, a)) {
	case AF_INET:
		if (a[0] == 127)
			return ADDRESS_SCOPE_LOOPBACK;
		/* RFC 1918, RFC 6598 (CGNAT), RFC 3927 (link-local). */
		if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		    (a[0] == 192 && a[1] == 168) ||
		    (a[0] == 100 && (a[1] & 0xc0) == 64) ||
		    (a[0] == 169 && a[1] == 254))
			return ADDRESS_SCOPE_PRIVATE;
		return ADDRESS_SCOPE_PUBLIC;
	case AF_INET6:
		if (memcmp(a, v6lo, 16) == 0)
			return ADDRESS_SCOPE_LOOPBACK;
		/* RFC 4193 unique local, RFC 4291 link-local. */
		if ((a[0] & 0xfe) == 0xfc ||
		    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
			return ADDRESS_SCOPE_PRIVATE;
		return ADDRESS_SCOPE_PUBLIC;
	default:
		return ADDRESS_SCOPE_PUBLIC;
	}
}

bool
address_parse_endpoint(const char *spec, char *ip, size_t ipsz, uint16_t *port)
{
	g_autoptr(GInetAddress) a = NULL;
	g_autofree char *host = NULL;
	g_autofree char *text = NULL;
	const char *colon;
	guint64 p = 0;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (end == NULL || (end[1] != ':' && end[1] != '\0'))
			return false;
		host = g_strndup(spec + 1, (gsize)(end - spec - 1));
		if (end[1] == ':' && !g_ascii_string_to_unsigned(
					 end + 2, 10, 1, 65535, &p, NULL))
			return false;
	} else if ((colon = strrchr(spec, ':')) != NULL &&
		   strchr(spec, ':') == colon) {
		/* One colon: IPv4 with a port. */
		host = g_strndup(spec, (gsize)(colon - spec));
		if (!g_ascii_string_to_unsigned(
			colon + 1, 10, 1, 65535, &p, NULL))
			return false;
	} else
		host = g_strdup(spec);
	a = g_inet_address_new_from_string(host);
	if (a == NULL)
		return false;
	text = g_inet_address_to_string(a);
	if (strlen(text) >= ipsz)
		return false;
	g_strlcpy(ip, text, ipsz);
	*port = (uint16_t)p;
	return true;
}

bool
address_same_ip(const char *x, const char *y)
{
	unsigned char a[16], b[16];
	int fa = ip_parse(x, a), fb = ip_parse(y, b);

	return fa != 0 && fa == fb && memcmp(a, b, fa == AF_INET ? 4 : 16) == 0;
}

bool
address_literal_ip(const char *domain, char *out, size_t outsz)
{
	const char *p;
	size_t n;
	unsigned char a[16];

	if (!address_is_literal(domain))
		return false;
	p = domain + 1;
	if (g_ascii_strncasecmp(p, "IPv6:", 5) == 0)
		p += 5;
	n = strcspn(p, "]");
	if (p[n] != ']' || n == 0 || n >= outsz)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return ip_parse(out, a) != 0;
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
