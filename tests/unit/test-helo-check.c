/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-helo-check.c: HELO/EHLO name syntax classes. */
#include <string.h>

#include <glib.h>

#include "helo_check.h"

static const struct {
	const char *name;
	bool smtputf8;
	const char *want;
	const char *literal;
} cases[] = {
	{ "mail.example.com", false, "fqdn", "" },
	{ "MAIL-1.Example.COM", false, "fqdn", "" },
	{ "client", false, "not-fqdn", "" },
	{ "localhost", false, "localhost", "" },
	{ "LocalHost.localdomain", false, "localhost", "" },
	{ "mx.example.com.", false, "trailing-dot", "" },
	{ "192.0.2.1", false, "bare-ip", "192.0.2.1" },
	{ "2001:db8::1", false, "bare-ip", "2001:db8::1" },
	{ "[192.0.2.1]", false, "address-literal", "192.0.2.1" },
	{ "[IPv6:2001:DB8::1]", false, "address-literal", "2001:db8::1" },
	{ "[192.0.2.256]", false, "invalid", "" },
	{ "[2001:db8::1]", false, "invalid", "" },
	{ "", false, "empty", "" },
	{ "exa_mple.com", false, "invalid", "" },
	{ "-bad.example.com", false, "invalid", "" },
	{ "bad-.example.com", false, "invalid", "" },
	{ "a..example.com", false, "invalid", "" },
	{ "mx example.com", false, "invalid", "" },
	{ "m\xc3\xa4il.example.com", false, "non-ascii", "" },
	{ "m\xc3\xa4il.example.com", true, "fqdn", "" },
	{ "m\xff.example.com", true, "invalid", "" },
};

static void
test_classes(void)
{
	guint i;

	g_test_summary("RFC 5321 Domain and address literals, and the "
		       "classes receivers reject");
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct helo_name h;

		helo_check_syntax(cases[i].name, strlen(cases[i].name),
		    cases[i].smtputf8, &h);
		if (strcmp(helo_syntax_name(h.syntax), cases[i].want) != 0 ||
		    strcmp(h.literal, cases[i].literal) != 0)
			g_error("\"%s\": got %s/%s, want %s/%s", cases[i].name,
			    helo_syntax_name(h.syntax), h.literal,
			    cases[i].want, cases[i].literal);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/helo/syntax", test_classes);
	return g_test_run();
}
