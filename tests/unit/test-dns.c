/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-dns.c: passive DNS parsing, including hostile messages. */
#include <string.h>

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

static void
test_mx(void)
{
	struct dns_store *s = dns_store_new();
	const GPtrArray *a;

	g_test_summary("MX and A answers with compressed names are kept");
	g_assert_true(dns_store_add_message(s, mx_reply, sizeof mx_reply, 1));
	a = dns_store_mx(s, "partner.example.net");
	g_assert_nonnull(a);
	g_assert_cmpuint(a->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(a, 0), ==, "mx.example.com");
	a = dns_store_addresses(s, "mx.example.com");
	g_assert_nonnull(a);
	g_assert_cmpstr(g_ptr_array_index(a, 0), ==, "127.0.0.1");
	g_assert_null(dns_store_mx(s, "example.net"));
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
	g_assert_false(dns_store_add_message(s, m, sizeof m, 1));
	memcpy(m, mx_reply, sizeof m);
	m[68] = 70; /* the A owner points forwards */
	g_assert_false(dns_store_add_message(s, m, sizeof m, 1));
	for (n = 0; n < sizeof mx_reply; n++)
		(void)dns_store_add_message(s, mx_reply, n, 1);
	memcpy(m, mx_reply, sizeof m);
	m[2] = 0x01; /* a query: nothing learnt */
	g_assert_true(dns_store_add_message(s, m, sizeof m, 1));
	dns_store_free(s);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dns/mx", test_mx);
	g_test_add_func("/dns/hostile", test_hostile);
	return g_test_run();
}
