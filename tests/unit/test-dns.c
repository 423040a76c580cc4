/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-dns.c: passive DNS parsing, including hostile messages. */
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <glib.h>

#include "dns.h"

/* A response for "partner.example.net MX": header, question, an MX answer
 * (compressed owner, exchange mx.example.com), and an A answer for the
 * exchange using a pointer into the MX rdata. */
/* clang-format off */
static const uint8_t mx_reply[] = {
	0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
	/* 12: question */
	7, 'p', 'a', 'r', 't', 'n', 'e', 'r',
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0,
	0, 15, 0, 1,
	/* 37: MX answer, owner -> 12; rdata at 49: preference 10 */
	0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 18, 0, 10,
	/* 51: exchange "MX.example.com" */
	2, 'M', 'X', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	/* 67: A answer for the exchange, owner -> 51 */
	0xc0, 51, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1,
};
/* clang-format on */

/* A message under construction (names uncompressed). */
struct msg {
	uint8_t b[512];
	size_t n;
};

static void
put_name(struct msg *m, const char *name)
{
	g_auto(GStrv) labels = g_strsplit(name, ".", -1);
	char **l;

	for (l = labels; *l != NULL; l++) {
		m->b[m->n++] = (uint8_t)strlen(*l);
		memcpy(m->b + m->n, *l, strlen(*l));
		m->n += strlen(*l);
	}
	m->b[m->n++] = 0;
}

static void
put16(struct msg *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)(v >> 8);
	m->b[m->n++] = (uint8_t)v;
}

/* A response header with one question. */
static void
msg_start(struct msg *m, unsigned rcode, unsigned answers, const char *q,
    unsigned qtype)
{
	memset(m, 0, sizeof *m);
	put16(m, 0x4242);
	put16(m, 0x8180 | rcode);
	put16(m, 1);
	put16(m, answers);
	put16(m, 0);
	put16(m, 0);
	put_name(m, q);
	put16(m, qtype);
	put16(m, 1);
}

static void
msg_rr(struct msg *m, const char *owner, unsigned type, const uint8_t *rd,
    size_t rdlen)
{
	put_name(m, owner);
	put16(m, type);
	put16(m, 1);
	put16(m, 0);
	put16(m, 60);
	put16(m, (unsigned)rdlen);
	memcpy(m->b + m->n, rd, rdlen);
	m->n += rdlen;
}

static void
msg_rr_name(struct msg *m, const char *owner, unsigned type, const char *to)
{
	struct msg t = { .n = 0 };

	put_name(&t, to);
	msg_rr(m, owner, type, t.b, t.n);
}

static void
assert_values(const struct dns_store *s, uint16_t type, const char *name,
    enum dns_status st, const char *first)
{
	const struct dns_rrset *r = dns_store_get(s, type, name);

	g_assert_nonnull(r);
	g_assert_cmpstr(dns_status_name(r->status), ==, dns_status_name(st));
	if (first == NULL)
		g_assert_cmpuint(r->values->len, ==, 0);
	else
		g_assert_cmpstr(g_ptr_array_index(r->values, 0), ==, first);
}

static void
test_mx(void)
{
	struct dns_store *s = dns_store_new();
	const struct dns_rrset *r;

	g_test_summary("MX and A answers with compressed names are kept");
	g_assert_true(
	    dns_store_add_message(s, mx_reply, sizeof mx_reply, 7, NULL));
	r = dns_store_get(s, DNS_T_MX, "partner.example.net");
	g_assert_nonnull(r);
	g_assert_cmpuint(r->values->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(r->values, 0), ==, "mx.example.com");
	g_assert_cmpint(r->ts, ==, 7);
	assert_values(
	    s, DNS_T_A, "mx.example.com", DNS_STATUS_ANSWER, "127.0.0.1");
	g_assert_null(dns_store_get(s, DNS_T_MX, "example.net"));
	dns_store_free(s);
}

static void
test_negative(void)
{
	struct dns_store *s = dns_store_new();
	static const uint8_t a99[] = { 127, 0, 0, 99 };
	struct msg m;

	g_test_summary("NXDOMAIN and empty answers are kept for the name at "
		       "the end of the question's CNAME chain; a server "
		       "failure is kept as an error; answers win");
	msg_start(&m, 3, 0, "Nope.Example.org", DNS_T_A);
	g_assert_true(dns_store_add_message(s, m.b, m.n, 5, NULL));
	assert_values(
	    s, DNS_T_A, "nope.example.org", DNS_STATUS_NXDOMAIN, NULL);

	msg_start(&m, 0, 1, "www.example.org", DNS_T_AAAA);
	msg_rr_name(&m, "www.example.org", DNS_T_CNAME, "web.example.org");
	g_assert_true(dns_store_add_message(s, m.b, m.n, 6, NULL));
	assert_values(s, DNS_T_CNAME, "www.example.org", DNS_STATUS_ANSWER,
	    "web.example.org");
	assert_values(
	    s, DNS_T_AAAA, "web.example.org", DNS_STATUS_NODATA, NULL);
	g_assert_null(dns_store_get(s, DNS_T_AAAA, "www.example.org"));

	msg_start(&m, 0, 2, "www.example.org", DNS_T_A);
	msg_rr_name(&m, "www.example.org", DNS_T_CNAME, "web.example.org");
	msg_rr(&m, "web.example.org", DNS_T_A, a99, sizeof a99);
	g_assert_true(dns_store_add_message(s, m.b, m.n, 7, NULL));
	assert_values(
	    s, DNS_T_A, "web.example.org", DNS_STATUS_ANSWER, "127.0.0.99");

	msg_start(&m, 2, 0, "lame.example.org", DNS_T_PTR);
	g_assert_true(dns_store_add_message(s, m.b, m.n, 8, NULL));
	assert_values(s, DNS_T_PTR, "lame.example.org", DNS_STATUS_ERROR, NULL);

	/* A later NXDOMAIN does not erase an answer; an answer replaces a
	 * negative one. */
	msg_start(&m, 3, 0, "web.example.org", DNS_T_A);
	g_assert_true(dns_store_add_message(s, m.b, m.n, 9, NULL));
	assert_values(
	    s, DNS_T_A, "web.example.org", DNS_STATUS_ANSWER, "127.0.0.99");
	g_assert_true(
	    dns_store_put(s, DNS_T_A, "NOPE.example.org.", "192.0.2.1", 0));
	assert_values(
	    s, DNS_T_A, "nope.example.org", DNS_STATUS_ANSWER, "192.0.2.1");
	g_assert_cmpint(
	    dns_store_get(s, DNS_T_A, "nope.example.org")->ts, ==, 5);
	dns_store_put_status(
	    s, DNS_T_AAAA, "web.example.org", DNS_STATUS_TIMEOUT, 0);
	assert_values(
	    s, DNS_T_AAAA, "web.example.org", DNS_STATUS_NODATA, NULL);
	dns_store_free(s);
}

static void
test_reverse(void)
{
	char b[80];

	g_test_summary("reverse-lookup names for IPv4 and IPv6");
	g_assert_true(dns_reverse_name("192.0.2.1", b, sizeof b));
	g_assert_cmpstr(b, ==, "1.2.0.192.in-addr.arpa");
	g_assert_true(dns_reverse_name("2001:db8::1", b, sizeof b));
	g_assert_cmpstr(b, ==,
	    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
	    "ip6.arpa");
	g_assert_false(dns_reverse_name("mx.example.com", b, sizeof b));
}

static char *
write_map(const char *text)
{
	g_autoptr(GError) error = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("rs-map-XXXXXX", &path, &error);

	g_assert_no_error(error);
	close(fd);
	g_assert_true(g_file_set_contents(path, text, -1, &error));
	return path;
}

static void
test_map(void)
{
	struct dns_store *s = dns_store_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;

	g_test_summary("map files: hosts lines, records as dig prints them, "
		       "NXDOMAIN, NODATA; a bad line names file and line");
	path = write_map("# a comment\n"
			 "127.0.0.21  good.example.org  alias.example.org\n"
			 "\n"
			 "dyn.example.net. 300 IN A 127.0.0.99 # trailing\n"
			 "127.0.0.24 PTR dyn.example.net\n"
			 "www.example.org\tCNAME web.example.org\n"
			 "example.org MX 10 MX.example.org.\n"
			 "2001:DB8::1 v6.example.org\n"
			 "gone.example.org NXDOMAIN\n"
			 "bare.example.net MX NODATA\n");
	g_assert_true(dns_store_load_map(s, path, &error));
	g_assert_no_error(error);
	assert_values(
	    s, DNS_T_A, "good.example.org", DNS_STATUS_ANSWER, "127.0.0.21");
	assert_values(
	    s, DNS_T_A, "alias.example.org", DNS_STATUS_ANSWER, "127.0.0.21");
	assert_values(s, DNS_T_PTR, "21.0.0.127.in-addr.arpa",
	    DNS_STATUS_ANSWER, "good.example.org");
	assert_values(
	    s, DNS_T_A, "dyn.example.net", DNS_STATUS_ANSWER, "127.0.0.99");
	assert_values(s, DNS_T_PTR, "24.0.0.127.in-addr.arpa",
	    DNS_STATUS_ANSWER, "dyn.example.net");
	assert_values(s, DNS_T_CNAME, "www.example.org", DNS_STATUS_ANSWER,
	    "web.example.org");
	assert_values(
	    s, DNS_T_MX, "example.org", DNS_STATUS_ANSWER, "mx.example.org");
	assert_values(
	    s, DNS_T_AAAA, "v6.example.org", DNS_STATUS_ANSWER, "2001:db8::1");
	assert_values(
	    s, DNS_T_A, "gone.example.org", DNS_STATUS_NXDOMAIN, NULL);
	assert_values(s, DNS_T_MX, "bare.example.net", DNS_STATUS_NODATA, NULL);
	g_unlink(path);
	g_free(g_steal_pointer(&path));

	path = write_map("127.0.0.1 ok.example\nmail.example.org A nope\n");
	g_assert_false(dns_store_load_map(s, path, &error));
	g_assert_nonnull(strstr(error->message, ":2: bad name or data"));
	g_assert_true(g_str_has_prefix(error->message, path));
	g_clear_error(&error);
	g_unlink(path);
	g_assert_false(dns_store_load_map(s, path, &error));
	g_assert_true(g_str_has_prefix(error->message, path));
	dns_store_free(s);
}

static void
test_hostile(void)
{
	struct dns_store *s = dns_store_new();
	uint8_t m[sizeof mx_reply];
	size_t n;

	g_test_summary("pointer loops, forward pointers and every truncation "
		       "are rejected without reading out of bounds");
	memcpy(m, mx_reply, sizeof m);
	m[38] = 37; /* the MX owner points at itself */
	g_assert_false(dns_store_add_message(s, m, sizeof m, 1, NULL));
	memcpy(m, mx_reply, sizeof m);
	m[68] = 70; /* the A owner points forwards */
	g_assert_false(dns_store_add_message(s, m, sizeof m, 1, NULL));
	for (n = 0; n < sizeof mx_reply; n++)
		(void)dns_store_add_message(s, mx_reply, n, 1, NULL);
	memcpy(m, mx_reply, sizeof m);
	m[2] = 0x01; /* a query: nothing learnt */
	g_assert_true(dns_store_add_message(s, m, sizeof m, 1, NULL));
	dns_store_free(s);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dns/mx", test_mx);
	g_test_add_func("/dns/negative", test_negative);
	g_test_add_func("/dns/reverse", test_reverse);
	g_test_add_func("/dns/map", test_map);
	g_test_add_func("/dns/hostile", test_hostile);
	return g_test_run();
}
