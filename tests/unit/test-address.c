/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-address.c: relay tricks in recipient paths (nmap's 16 forms). */
#include <string.h>

#include <glib.h>

#include "address.h"

struct case_ {
	const char *path;
	const char *domain;	  /* NULL: none */
	const char *final_domain; /* NULL: none */
	const char *tricks;	  /* names, "," separated */
};

static const struct case_ cases[] = {
	{ "to@example.org", "example.org", "example.org", "" },
	{ "To@Example.ORG", "example.org", "example.org", "" },
	{ "", NULL, NULL, "" },
	{ "postmaster", NULL, NULL, "" },
	{ "to@[127.0.0.1]", "[127.0.0.1]", "[127.0.0.1]", "" },
	/* nmap smtp-open-relay tests 5-16 */
	{ "to%example.org@[127.0.0.1]", "[127.0.0.1]", "example.org",
	    "percent-hack" },
	{ "to%example.org@mx.example.com", "mx.example.com", "example.org",
	    "percent-hack" },
	{ "\"to@example.org\"", NULL, "example.org", "quoted-at" },
	{ "\"to%example.org\"", NULL, "example.org", "percent-hack" },
	{ "to@example.org@[127.0.0.1]", "[127.0.0.1]", "example.org",
	    "double-at" },
	{ "\"to@example.org\"@[127.0.0.1]", "[127.0.0.1]", "example.org",
	    "quoted-at" },
	{ "to@example.org@mx.example.com", "mx.example.com", "example.org",
	    "double-at" },
	{ "@[127.0.0.1]:to@example.org", "[127.0.0.1]", "example.org",
	    "source-route" },
	{ "@mx.example.com:to@example.org", "mx.example.com", "example.org",
	    "source-route" },
	{ "@a.example,@b.example:to@example.org", "a.example", "example.org",
	    "source-route" },
	{ "example.org!to", NULL, "example.org", "bang-path" },
	{ "example.org!to@[127.0.0.1]", "[127.0.0.1]", "example.org",
	    "bang-path" },
	{ "example.org!to@mx.example.com", "mx.example.com", "example.org",
	    "bang-path" },
	/* Quoted text that only looks like a trick at the top level. */
	{ "\"a b\"@example.com", "example.com", "example.com", "" },
};

static void
test_tricks(void)
{
	guint i;

	g_test_summary("every relay trick is named and the real destination "
		       "found");
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct address a;
		g_autofree char *names = NULL;

		address_parse(cases[i].path, &a);
		names = address_tricks_names(a.tricks, ",");
		if (g_strcmp0(a.domain, cases[i].domain) != 0 ||
		    g_strcmp0(a.final_domain, cases[i].final_domain) != 0 ||
		    strcmp(names, cases[i].tricks) != 0)
			g_error("<%s>: got %s -> %s [%s], want %s -> %s [%s]",
			    cases[i].path, a.domain, a.final_domain, names,
			    cases[i].domain, cases[i].final_domain,
			    cases[i].tricks);
		address_clear(&a);
	}
	g_assert_true(address_is_literal("[127.0.0.1]"));
	g_assert_false(address_is_literal("example.org"));
	g_assert_false(address_is_literal(NULL));
}

/* ADDR[:PORT] as --server, --client and the config's [server] take it. */
static void
test_endpoint(void)
{
	static const struct {
		const char *spec, *ip;
		uint16_t port;
	} ok[] = {
		{ "192.0.2.25", "192.0.2.25", 0 },
		{ "192.0.2.25:587", "192.0.2.25", 587 },
		{ "2001:db8:0::25", "2001:db8::25", 0 },
		{ "[2001:db8::25]", "2001:db8::25", 0 },
		{ "[2001:DB8::25]:25", "2001:db8::25", 25 },
	};
	static const char *const bad[] = { "192.0.2.25:0", "192.0.2.25:65536",
		"192.0.2.25:", "mx.example.com", "[2001:db8::25",
		"[2001:db8::25]x", "[2001:db8::25]:", "", "300.0.0.1" };
	char ip[48];
	uint16_t port;
	guint i;

	for (i = 0; i < G_N_ELEMENTS(ok); i++) {
		g_assert_true(
		    address_parse_endpoint(ok[i].spec, ip, sizeof ip, &port));
		g_assert_cmpstr(ip, ==, ok[i].ip);
		g_assert_cmpuint(port, ==, ok[i].port);
	}
	for (i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_false(
		    address_parse_endpoint(bad[i], ip, sizeof ip, &port));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/address/tricks", test_tricks);
	g_test_add_func("/address/endpoint", test_endpoint);
	return g_test_run();
}
