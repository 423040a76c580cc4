/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dns.c: DNS facts.  Message parsing for passive DNS (RFC 1035 §4.1,
 * §4.1.4 name compression; RFC 2308 negative answers; RFC 3596 AAAA):
 * every read is bounds-checked; compression pointers may only point
 * backwards and are followed at most 32 times, so a hostile message
 * cannot loop.  Memory is bounded by DNS_MAX_RECORDS per store. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "budget.h"
#include "dns.h"
#include "gstr.h"

/* Map files larger than this are refused (far more than DNS_MAX_RECORDS
 * lines). */
#define DNS_MAP_MAX_BYTES (64 * 1024 * 1024)

struct dns_store {
	GHashTable *sets; /* "type name" -> struct dns_rrset * */
	uint64_t records;
	uint64_t dropped;
	/* Who asked what, for MX questions: "querier|type name" -> GArray
	 * of gint64, the times of the answers (at most DNS_MAX_TIMES). */
	GHashTable *lookups;
	uint64_t lookup_times;
	size_t mem; /* charged to the budget */
};

/* Charge what a store now holds besides (GLib's hash nodes and array
 * heads are counted at their allocated size, 32 bytes). */
static void
store_charge(struct dns_store *s, size_t n)
{
	s->mem += n;
	budget_charge(BUDGET_DNS, n);
}

/* Times kept per (querier, question), and in all. */
#define DNS_MAX_TIMES 16
/* The pointer block of a set's values, as first allocated (16 bytes). */
#define DNS_MAX_VALUES_HINT 2
#define DNS_MAX_LOOKUPS 100000

static void
rrset_free(struct dns_rrset *r)
{
	g_free(r->name);
	g_ptr_array_unref(r->values);
	g_free(r);
}

struct dns_store *
dns_store_new(void)
{
	struct dns_store *s = g_new0(struct dns_store, 1);

	s->sets = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)rrset_free);
	s->lookups = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_array_unref);
	return s;
}

void
dns_store_free(struct dns_store *s)
{
	if (s == NULL)
		return;
	g_hash_table_destroy(s->sets);
	g_hash_table_destroy(s->lookups);
	budget_release(BUDGET_DNS, s->mem);
	g_free(s);
}

static char *
lookup_key(const char *querier, uint16_t type, const char *name)
{
	GString *k = g_string_sized_new(strlen(querier) + strlen(name) + 8);
	gsize i;

	gs_puts(k, querier);
	gs_putc(k, '|');
	gs_u64(k, type);
	gs_putc(k, ' ');
	gs_puts(k, name);
	for (i = 0; i < k->len; i++)
		k->str[i] = g_ascii_tolower(k->str[i]);
	return g_string_free(k, FALSE);
}

/* Remember that querier was answered (type, name) at ts. */
static void
note_lookup(struct dns_store *s, const char *querier, uint16_t type,
    const char *name, gint64 ts)
{
	g_autofree char *key = NULL;
	GArray *t;

	if (s->lookup_times >= DNS_MAX_LOOKUPS)
		return;
	key = lookup_key(querier, type, name);
	t = g_hash_table_lookup(s->lookups, key);
	if (t == NULL) {
		if (!budget_share_ok(BUDGET_DNS, 256))
			return;
		t = g_array_new(FALSE, FALSE, sizeof(gint64));
		store_charge(
		    s, budget_str(key) + 32 + 32 +
			   budget_bytes(DNS_MAX_TIMES * sizeof(gint64)));
		g_hash_table_insert(s->lookups, g_steal_pointer(&key), t);
	}
	if (t->len >= DNS_MAX_TIMES)
		return;
	g_array_append_val(t, ts);
	s->lookup_times++;
}

gint64
dns_store_lookup_after(const struct dns_store *s, const char *querier,
    uint16_t type, const char *name, gint64 after)
{
	g_autofree char *key = lookup_key(querier, type, name);
	GArray *t;
	gint64 best = 0;
	guint i;

	t = g_hash_table_lookup(s->lookups, key);
	for (i = 0; t != NULL && i < t->len; i++) {
		gint64 v = g_array_index(t, gint64, i);

		if (v >= after && (best == 0 || v < best))
			best = v;
	}
	return best;
}

uint64_t
dns_store_dropped(const struct dns_store *s)
{
	return s->dropped;
}

uint64_t
dns_store_size(const struct dns_store *s)
{
	return s->records;
}

const char *
dns_type_name(uint16_t type)
{
	static char other[16];

	switch (type) {
	case DNS_T_A:
		return "A";
	case DNS_T_AAAA:
		return "AAAA";
	case DNS_T_CNAME:
		return "CNAME";
	case DNS_T_PTR:
		return "PTR";
	case DNS_T_MX:
		return "MX";
	default:
		snprintf(other, sizeof other, "TYPE%u", type);
		return other;
	}
}

const char *
dns_status_name(enum dns_status st)
{
	static const char *const names[] = {
		[DNS_STATUS_ANSWER] = "answer",
		[DNS_STATUS_NXDOMAIN] = "nxdomain",
		[DNS_STATUS_NODATA] = "nodata",
		[DNS_STATUS_ERROR] = "error",
		[DNS_STATUS_TIMEOUT] = "timeout",
	};

	return (unsigned)st < G_N_ELEMENTS(names) ? names[st] : "error";
}

/* name in lower case without one trailing dot; NULL if empty or too long. */
static char *
norm_name(const char *name)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 255)
		return NULL;
	return g_ascii_strdown(name, (gssize)n);
}

/* The (new or existing) set for (type, name), or NULL at the limit. */
static struct dns_rrset *
rrset_get(struct dns_store *s, uint16_t type, const char *name, gint64 ts,
    bool create)
{
	char key[272];
	struct dns_rrset *r;

	snprintf(key, sizeof key, "%u %s", type, name);
	r = g_hash_table_lookup(s->sets, key);
	if (r != NULL || !create) {
		if (r != NULL && ts != 0 && (r->ts == 0 || ts < r->ts))
			r->ts = ts;
		return r;
	}
	if (s->records >= DNS_MAX_RECORDS ||
	    !budget_share_ok(BUDGET_DNS, 2 * sizeof key)) {
		s->dropped++;
		return NULL;
	}
	s->records++;
	r = g_new0(struct dns_rrset, 1);
	r->type = type;
	r->name = g_strdup(name);
	r->status = DNS_STATUS_ERROR; /* the weakest: anything replaces it */
	r->ts = ts;
	r->values = g_ptr_array_new_with_free_func(g_free);
	g_hash_table_insert(s->sets, g_strdup(key), r);
	store_charge(s, budget_bytes(sizeof *r) + 2 * budget_str(r->name) + 32 +
			    32 + budget_array_size(DNS_MAX_VALUES_HINT));
	return r;
}

/* Keep value (owned by the call) under (type, name), both normalised. */
static void
keep(struct dns_store *s, uint16_t type, const char *name, char *value,
    gint64 ts)
{
	struct dns_rrset *r = rrset_get(s, type, name, ts, true);
	guint i;

	if (r == NULL) {
		g_free(value);
		return;
	}
	r->status = DNS_STATUS_ANSWER;
	for (i = 0; i < r->values->len; i++)
		if (strcmp(g_ptr_array_index(r->values, i), value) == 0) {
			g_free(value);
			return;
		}
	if (s->records >= DNS_MAX_RECORDS ||
	    !budget_share_ok(BUDGET_DNS, budget_str(value))) {
		s->dropped++;
		g_free(value);
		return;
	}
	s->records++;
	store_charge(s, budget_str(value) + sizeof(gpointer));
	g_ptr_array_add(r->values, value);
}

bool
dns_store_put(struct dns_store *s, uint16_t type, const char *name,
    const char *value, gint64 ts)
{
	g_autofree char *n = norm_name(name);
	char buf[INET6_ADDRSTRLEN];
	unsigned char a[16];
	char *v;

	if (n == NULL)
		return false;
	switch (type) {
	case DNS_T_A:
	case DNS_T_AAAA: {
		int af = type == DNS_T_A ? AF_INET : AF_INET6;

		if (inet_pton(af, value, a) != 1 ||
		    inet_ntop(af, a, buf, sizeof buf) == NULL)
			return false;
		v = g_strdup(buf);
		break;
	}
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_MX:
		v = norm_name(value);
		if (v == NULL)
			return false;
		break;
	default:
		return false;
	}
	keep(s, type, n, v, ts);
	return true;
}

void
dns_store_put_status(struct dns_store *s, uint16_t type, const char *name,
    enum dns_status st, gint64 ts)
{
	g_autofree char *n = norm_name(name);
	struct dns_rrset *r;

	if (n == NULL || st == DNS_STATUS_ANSWER)
		return;
	r = rrset_get(s, type, n, ts, true);
	if (r == NULL || r->values->len > 0)
		return;
	/* A definite answer is not overwritten by a failure. */
	if (r->status == DNS_STATUS_NXDOMAIN || r->status == DNS_STATUS_NODATA)
		if (st == DNS_STATUS_ERROR || st == DNS_STATUS_TIMEOUT)
			return;
	r->status = st;
}

const struct dns_rrset *
dns_store_get(const struct dns_store *s, uint16_t type, const char *name)
{
	char key[272];

	if (s == NULL || strlen(name) > 255)
		return NULL;
	snprintf(key, sizeof key, "%u %s", type, name);
	return g_hash_table_lookup(s->sets, key);
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

/* CNAMEs of one message, to find where the question's chain ends. */
struct chain {
	char from[DNS_MAX_CHAIN][256], to[DNS_MAX_CHAIN][256];
	int n;
};

static bool
read_answer(struct dns_store *s, const uint8_t *m, size_t len, size_t *off,
    gint64 ts, struct chain *ch)
{
	char name[256], target[256], abuf[INET6_ADDRSTRLEN];
	unsigned type, rdlen;
	size_t rd;

	if (!read_name(m, len, off, name, sizeof name) || *off + 10 > len)
		return false;
	type = (unsigned)m[*off] << 8 | m[*off + 1];
	rdlen = (unsigned)m[*off + 8] << 8 | m[*off + 9];
	*off += 10;
	rd = *off;
	if (*off + rdlen > len)
		return false;
	*off += rdlen;
	if (name[0] == '\0')
		return true;
	switch (type) {
	case DNS_T_A:
		if (rdlen == 4 &&
		    inet_ntop(AF_INET, m + rd, abuf, sizeof abuf) != NULL)
			keep(s, DNS_T_A, name, g_strdup(abuf), ts);
		break;
	case DNS_T_AAAA:
		if (rdlen == 16 &&
		    inet_ntop(AF_INET6, m + rd, abuf, sizeof abuf) != NULL)
			keep(s, DNS_T_AAAA, name, g_strdup(abuf), ts);
		break;
	case DNS_T_MX:
		rd += 2;
		if (rdlen > 2 &&
		    read_name(m, len, &rd, target, sizeof target) &&
		    target[0] != '\0')
			keep(s, DNS_T_MX, name, g_strdup(target), ts);
		break;
	case DNS_T_CNAME:
	case DNS_T_PTR:
		if (!read_name(m, len, &rd, target, sizeof target) ||
		    target[0] == '\0')
			break;
		keep(s, (uint16_t)type, name, g_strdup(target), ts);
		if (type == DNS_T_CNAME && ch->n < DNS_MAX_CHAIN) {
			g_strlcpy(ch->from[ch->n], name, sizeof ch->from[0]);
			g_strlcpy(ch->to[ch->n], target, sizeof ch->to[0]);
			ch->n++;
		}
		break;
	default:
		break;
	}
	return true;
}

/* Follow the message's CNAMEs from name (at most DNS_MAX_CHAIN steps). */
static void
chain_end(const struct chain *ch, char *name)
{
	int step, i;

	for (step = 0; step < DNS_MAX_CHAIN; step++) {
		for (i = 0; i < ch->n; i++)
			if (strcmp(ch->from[i], name) == 0)
				break;
		if (i == ch->n)
			return;
		memmove(name, ch->to[i], strlen(ch->to[i]) + 1);
	}
}

bool
dns_store_add_message(struct dns_store *s, const uint8_t *m, size_t len,
    gint64 ts, const char *querier)
{
	char qname[256] = "", final[256];
	struct chain *ch;
	size_t off = 12;
	unsigned qd, an, i, rcode;
	uint16_t qtype = 0;
	bool direct = false, ok = true;

	if (len < 12 || !(m[2] & 0x80))
		return len >= 12; /* a query: nothing to learn */
	rcode = m[3] & 0x0f;
	qd = (unsigned)m[4] << 8 | m[5];
	an = (unsigned)m[6] << 8 | m[7];
	for (i = 0; i < qd; i++) {
		char name[256];

		if (!read_name(m, len, &off, name, sizeof name) ||
		    off + 4 > len)
			return false;
		if (i == 0) {
			g_strlcpy(qname, name, sizeof qname);
			qtype = (uint16_t)(m[off] << 8 | m[off + 1]);
		}
		off += 4;
	}
	if (querier != NULL && qd == 1 && qtype == DNS_T_MX && ts != 0)
		note_lookup(s, querier, qtype, qname, ts);
	if (rcode != 0 && rcode != 3) {
		/* SERVFAIL, REFUSED...: the lookup failed, nothing else. */
		if (qd == 1 && qname[0] != '\0')
			dns_store_put_status(
			    s, qtype, qname, DNS_STATUS_ERROR, ts);
		return true;
	}
	ch = g_new0(struct chain, 1);
	/* First the CNAMEs, then where the chain ends, then the rest: a
	 * record type matching the question at the chain's end makes the
	 * answer positive. */
	for (i = 0; i < an && ok; i++)
		ok = read_answer(s, m, len, &off, ts, ch);
	g_strlcpy(final, qname, sizeof final);
	chain_end(ch, final);
	if (ok && qd == 1 && qname[0] != '\0') {
		size_t o2 = 12;
		char name[256];

		/* Second pass over the answers only to see whether one
		 * answers the question at the end of the chain. */
		(void)read_name(m, len, &o2, name, sizeof name);
		o2 += 4;
		for (i = 0; i < an; i++) {
			unsigned type, rdlen;

			if (!read_name(m, len, &o2, name, sizeof name) ||
			    o2 + 10 > len)
				break;
			type = (unsigned)m[o2] << 8 | m[o2 + 1];
			rdlen = (unsigned)m[o2 + 8] << 8 | m[o2 + 9];
			o2 += 10 + rdlen;
			if (type == qtype && strcmp(name, final) == 0)
				direct = true;
		}
		if (rcode == 3)
			dns_store_put_status(
			    s, qtype, final, DNS_STATUS_NXDOMAIN, ts);
		else if (!direct && qtype != DNS_T_CNAME)
			dns_store_put_status(
			    s, qtype, final, DNS_STATUS_NODATA, ts);
	}
	g_free(ch);
	return ok;
}

bool
dns_reverse_name(const char *ip, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char a[16];
	GString *s;
	int i;

	if (inet_pton(AF_INET, ip, a) == 1) {
		snprintf(out, outsz, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2],
		    a[1], a[0]);
		return true;
	}
	if (inet_pton(AF_INET6, ip, a) != 1 || outsz < 74)
		return false;
	s = g_string_sized_new(74);
	for (i = 15; i >= 0; i--)
		g_string_append_printf(
		    s, "%c.%c.", hex[a[i] & 0xf], hex[a[i] >> 4]);
	g_string_append(s, "ip6.arpa");
	g_strlcpy(out, s->str, outsz);
	g_string_free(s, TRUE);
	return true;
}

static int
type_lookup(const char *t)
{
	static const struct {
		const char *name;
		uint16_t type;
	} types[] = {
		{ "A", DNS_T_A },
		{ "AAAA", DNS_T_AAAA },
		{ "CNAME", DNS_T_CNAME },
		{ "PTR", DNS_T_PTR },
		{ "MX", DNS_T_MX },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(types); i++)
		if (g_ascii_strcasecmp(t, types[i].name) == 0)
			return types[i].type;
	return -1;
}

static bool
is_address(const char *s, uint16_t *type)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1) {
		*type = DNS_T_A;
		return true;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		*type = DNS_T_AAAA;
		return true;
	}
	return false;
}

/* One map line, split into words; an error message or NULL. */
static const char *
map_line(struct dns_store *s, char **w, int n)
{
	char rev[80];
	uint16_t at;
	int i = 1, type;

	if (n >= 2 && g_ascii_strcasecmp(w[1], "NXDOMAIN") == 0) {
		static const uint16_t all[] = { DNS_T_A, DNS_T_AAAA, DNS_T_PTR,
			DNS_T_MX };
		const char *owner = w[0];
		size_t k;

		if (n != 2)
			return "NXDOMAIN takes no data";
		if (is_address(owner, &at)) {
			/* "192.0.2.1 NXDOMAIN": no reverse name. */
			dns_reverse_name(owner, rev, sizeof rev);
			owner = rev;
		}
		for (k = 0; k < G_N_ELEMENTS(all); k++)
			dns_store_put_status(
			    s, all[k], owner, DNS_STATUS_NXDOMAIN, 0);
		return NULL;
	}
	/* NAME [TTL] [IN] TYPE DATA, as dig prints it. */
	if (i < n && g_ascii_isdigit(w[i][0]) &&
	    strspn(w[i], "0123456789") == strlen(w[i]))
		i++;
	if (i < n && g_ascii_strcasecmp(w[i], "IN") == 0)
		i++;
	if (i < n && (type = type_lookup(w[i])) >= 0) {
		const char *owner = w[0];

		if (type == DNS_T_MX && n == i + 3)
			i++; /* the preference */
		if (n != i + 2)
			return "a record line is NAME [TTL] [IN] TYPE DATA";
		if (type == DNS_T_PTR && is_address(owner, &at)) {
			dns_reverse_name(owner, rev, sizeof rev);
			owner = rev;
		}
		if (g_ascii_strcasecmp(w[i + 1], "NODATA") == 0) {
			/* "example.net MX NODATA": the name has no record of
			 * the type (an implicit MX, RFC 5321 §5.1). */
			dns_store_put_status(
			    s, (uint16_t)type, owner, DNS_STATUS_NODATA, 0);
			return NULL;
		}
		if (!dns_store_put(s, (uint16_t)type, owner, w[i + 1], 0))
			return "bad name or data for the record type";
		return NULL;
	}
	if (!is_address(w[0], &at))
		return "neither ADDRESS NAME... nor NAME [TTL] [IN] TYPE DATA";
	if (n < 2)
		return "an address without a name";
	for (i = 1; i < n; i++)
		if (!dns_store_put(s, at, w[i], w[0], 0))
			return "bad name";
	dns_reverse_name(w[0], rev, sizeof rev);
	dns_store_put(s, DNS_T_PTR, rev, w[1], 0);
	return NULL;
}

gboolean
dns_store_load_map(struct dns_store *s, const char *path, GError **error)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	struct stat sb;
	gsize len;
	guint i;

	if (stat(path, &sb) != 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s",
		    path, g_strerror(errno));
		return FALSE;
	}
	if (!S_ISREG(sb.st_mode)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		    "%s: not a regular file", path);
		return FALSE;
	}
	if (sb.st_size > DNS_MAP_MAX_BYTES) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		    "%s: larger than %d MiB", path, DNS_MAP_MAX_BYTES >> 20);
		return FALSE;
	}
	if (!g_file_get_contents(path, &text, &len, &err)) {
		g_set_error(
		    error, G_FILE_ERROR, err->code, "%s: cannot read it", path);
		return FALSE;
	}
	if (memchr(text, '\0', len) != NULL) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		    "%s: not a text file (NUL byte)", path);
		return FALSE;
	}
	lines = g_strsplit(text, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) words = NULL;
		char *hash = strchr(lines[i], '#');
		const char *problem;
		int n = 0;

		if (hash != NULL)
			*hash = '\0';
		g_strdelimit(lines[i], "\t\r", ' ');
		words = g_strsplit(lines[i], " ", -1);
		for (char **p = words; *p != NULL; p++)
			if (**p != '\0')
				words[n++] = *p;
			else
				g_free(*p);
		words[n] = NULL;
		if (n == 0)
			continue;
		problem = map_line(s, words, n);
		if (problem != NULL) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "%s:%u: %s", path, i + 1, problem);
			return FALSE;
		}
	}
	return TRUE;
}

/* ---- answering questions from a view ---- */

void
dns_fact_free(gpointer p)
{
	struct dns_fact *e = p;

	g_free(e->name);
	g_free(e->data);
	g_free(e);
}

/* Record a set as evidence, once per (source, type, name, data). */
static void
add_evidence(GPtrArray *ev, const char *source, const struct dns_rrset *r)
{
	guint i, j, n = r->values->len > 0 ? r->values->len : 1;

	for (j = 0; j < n; j++) {
		const char *data =
		    r->values->len > 0 ? g_ptr_array_index(r->values, j) : NULL;
		struct dns_fact *e;
		bool dup = false;

		for (i = 0; i < ev->len && !dup; i++) {
			e = g_ptr_array_index(ev, i);
			dup = e->source == source && e->type == r->type &&
			      strcmp(e->name, r->name) == 0 &&
			      g_strcmp0(e->data, data) == 0;
		}
		if (dup)
			continue;
		e = g_new0(struct dns_fact, 1);
		e->source = source;
		e->ts = r->ts;
		e->type = r->type;
		e->name = g_strdup(r->name);
		e->data = g_strdup(data);
		e->status = r->status;
		g_ptr_array_add(ev, e);
	}
}

static bool
known(const struct dns_rrset *r)
{
	return r->status == DNS_STATUS_ANSWER ||
	       r->status == DNS_STATUS_NXDOMAIN ||
	       r->status == DNS_STATUS_NODATA;
}

static void
add_unique(GPtrArray *a, const char *v)
{
	guint i;

	for (i = 0; i < a->len; i++)
		if (strcmp(g_ptr_array_index(a, i), v) == 0)
			return;
	g_ptr_array_add(a, g_strdup(v));
}

bool
dns_view_ask(const struct dns_view *v, uint16_t type, const char *name,
    GPtrArray *out, GPtrArray *ev, GPtrArray *missing)
{
	const struct dns_rrset *r;
	bool any = false, tried = false;
	guint j;
	int k;

	for (k = 0; v != NULL && k < v->n; k++) {
		r = dns_store_get(v->store[k], type, name);
		if (r == NULL)
			continue;
		add_evidence(ev, v->source[k], r);
		tried = true;
		if (!known(r))
			continue;
		any = true;
		for (j = 0; out != NULL && j < r->values->len; j++)
			add_unique(out, g_ptr_array_index(r->values, j));
	}
	if (!tried && missing != NULL) {
		struct dns_question *q;

		for (j = 0; j < missing->len; j++) {
			q = g_ptr_array_index(missing, j);
			if (q->type == type && strcmp(q->name, name) == 0)
				return false;
		}
		q = g_new0(struct dns_question, 1);
		q->type = type;
		g_strlcpy(q->name, name, sizeof q->name);
		g_ptr_array_add(missing, q);
	}
	return any;
}

bool
dns_view_addresses(const struct dns_view *v, uint16_t type, const char *name,
    GPtrArray *out, GPtrArray *ev, GPtrArray *missing)
{
	g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *cur = g_strdup(name);
	int depth;

	for (depth = 0; depth < DNS_MAX_CHAIN; depth++) {
		g_ptr_array_set_size(targets, 0);
		/* A CNAME is never a question of its own: the address
		 * question's answer carries the chain. */
		if (dns_view_ask(v, DNS_T_CNAME, cur, targets, ev, NULL) &&
		    targets->len > 0) {
			g_free(cur);
			cur = g_strdup(g_ptr_array_index(targets, 0));
			continue;
		}
		return dns_view_ask(v, type, cur, out, ev, missing);
	}
	return false;
}
