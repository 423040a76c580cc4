/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dns.c: DNS message parsing for passive DNS (RFC 1035 §4.1, §4.1.4 name
 * compression; RFC 3596 AAAA).  Every read is bounds-checked; compression
 * pointers may only point backwards and are followed at most 32 times, so
 * a hostile message cannot loop.  Memory is bounded by DNS_MAX_RECORDS. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"

#define DNS_T_A 1
#define DNS_T_CNAME 5
#define DNS_T_PTR 12
#define DNS_T_MX 15
#define DNS_T_AAAA 28

struct dns_store {
	GHashTable *mx;	   /* name -> GPtrArray of exchange names */
	GHashTable *addr;  /* name -> GPtrArray of address strings */
	GHashTable *other; /* "TYPE name" -> GPtrArray (CNAME, PTR) */
	uint64_t records;
	uint64_t dropped;
};

struct dns_store *
dns_store_new(void)
{
	struct dns_store *s = g_new0(struct dns_store, 1);

	s->mx = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
	s->addr = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
	s->other = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
	return s;
}

void
dns_store_free(struct dns_store *s)
{
	if (s == NULL)
		return;
	g_hash_table_destroy(s->mx);
	g_hash_table_destroy(s->addr);
	g_hash_table_destroy(s->other);
	g_free(s);
}

uint64_t
dns_store_dropped(const struct dns_store *s)
{
	return s->dropped;
}

/* Read a (possibly compressed) name at *off into out (lower case, dotted,
 * no trailing dot).  Advances *off past the name in the message. */
static bool
read_name(const uint8_t *m, size_t len, size_t *off, char *out, size_t outsz)
{
	size_t p = *off, o = 0, end = 0;
	int jumps = 0;
	unsigned n, i;

	for (;;) {
		if (p >= len)
			return false;
		n = m[p];
		if ((n & 0xc0) == 0xc0) {
			size_t target;

			if (p + 1 >= len || ++jumps > 32)
				return false;
			target = (size_t)(n & 0x3f) << 8 | m[p + 1];
			if (target >= p)
				return false; /* only backwards */
			if (end == 0)
				end = p + 2;
			p = target;
			continue;
		}
		if (n & 0xc0)
			return false;
		p++;
		if (n == 0)
			break;
		if (p + n > len || o + n + 2 > outsz)
			return false;
		if (o > 0)
			out[o++] = '.';
		for (i = 0; i < n; i++)
			out[o++] = g_ascii_tolower((char)m[p + i]);
		p += n;
	}
	out[o] = '\0';
	*off = end != 0 ? end : p;
	return true;
}

static void
keep(struct dns_store *s, GHashTable *t, const char *key, char *value)
{
	GPtrArray *a;
	guint i;

	a = g_hash_table_lookup(t, key);
	if (a == NULL) {
		a = g_ptr_array_new_with_free_func(g_free);
		g_hash_table_insert(t, g_strdup(key), a);
	}
	for (i = 0; i < a->len; i++)
		if (strcmp(g_ptr_array_index(a, i), value) == 0) {
			g_free(value);
			return;
		}
	if (s->records >= DNS_MAX_RECORDS) {
		s->dropped++;
		g_free(value);
		return;
	}
	s->records++;
	g_ptr_array_add(a, value);
}

bool
dns_store_add_message(
    struct dns_store *s, const uint8_t *m, size_t len, gint64 ts)
{
	char name[256], target[256], abuf[INET6_ADDRSTRLEN];
	size_t off = 12, rd;
	unsigned qd, an, i, type, rdlen;

	(void)ts;
	if (len < 12 || !(m[2] & 0x80))
		return len >= 12; /* a query: nothing to learn */
	if ((m[3] & 0x0f) != 0)
		return true; /* an error reply (NXDOMAIN...) */
	qd = (unsigned)m[4] << 8 | m[5];
	an = (unsigned)m[6] << 8 | m[7];
	for (i = 0; i < qd; i++) {
		if (!read_name(m, len, &off, name, sizeof name) ||
		    off + 4 > len)
			return false;
		off += 4;
	}
	for (i = 0; i < an; i++) {
		if (!read_name(m, len, &off, name, sizeof name) ||
		    off + 10 > len)
			return false;
		type = (unsigned)m[off] << 8 | m[off + 1];
		rdlen = (unsigned)m[off + 8] << 8 | m[off + 9];
		off += 10;
		rd = off;
		if (off + rdlen > len)
			return false;
		off += rdlen;
		switch (type) {
		case DNS_T_A:
			if (rdlen == 4 && inet_ntop(AF_INET, m + rd, abuf,
					      sizeof abuf) != NULL)
				keep(s, s->addr, name, g_strdup(abuf));
			break;
		case DNS_T_AAAA:
			if (rdlen == 16 && inet_ntop(AF_INET6, m + rd, abuf,
					       sizeof abuf) != NULL)
				keep(s, s->addr, name, g_strdup(abuf));
			break;
		case DNS_T_MX:
			rd += 2;
			if (rdlen > 2 &&
			    read_name(m, len, &rd, target, sizeof target))
				keep(s, s->mx, name, g_strdup(target));
			break;
		case DNS_T_CNAME:
		case DNS_T_PTR:
			if (read_name(m, len, &rd, target, sizeof target)) {
				g_autofree char *k =
				    g_strdup_printf("%u %s", type, name);

				keep(s, s->other, k, g_strdup(target));
			}
			break;
		default:
			break;
		}
	}
	return true;
}

const GPtrArray *
dns_store_mx(const struct dns_store *s, const char *domain)
{
	return s != NULL ? g_hash_table_lookup(s->mx, domain) : NULL;
}

const GPtrArray *
dns_store_addresses(const struct dns_store *s, const char *name)
{
	return s != NULL ? g_hash_table_lookup(s->addr, name) : NULL;
}
