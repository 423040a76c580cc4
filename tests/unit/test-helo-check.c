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

static void
test_decide(void)
{
	static const struct {
		enum helo_syntax syntax;
		bool literal;
		enum helo_tri forward;
		enum helo_result want;
	} t[] = {
		{ HELO_SYNTAX_FQDN, false, HELO_YES, HELO_RESULT_MATCH },
		{ HELO_SYNTAX_FQDN, false, HELO_NO, HELO_RESULT_MISMATCH },
		{ HELO_SYNTAX_FQDN, false, HELO_UNKNOWN, HELO_RESULT_UNKNOWN },
		{ HELO_SYNTAX_LITERAL, true, HELO_UNKNOWN, HELO_RESULT_MATCH },
		{ HELO_SYNTAX_LITERAL, false, HELO_UNKNOWN,
		    HELO_RESULT_LITERAL_MISMATCH },
		{ HELO_SYNTAX_NOT_FQDN, false, HELO_UNKNOWN,
		    HELO_RESULT_NOT_FQDN },
		{ HELO_SYNTAX_LOCALHOST, false, HELO_YES,
		    HELO_RESULT_NOT_FQDN },
		{ HELO_SYNTAX_BARE_IP, false, HELO_UNKNOWN,
		    HELO_RESULT_INVALID },
		{ HELO_SYNTAX_TRAILING_DOT, false, HELO_UNKNOWN,
		    HELO_RESULT_INVALID },
		{ HELO_SYNTAX_NON_ASCII, false, HELO_UNKNOWN,
		    HELO_RESULT_INVALID },
		{ HELO_SYNTAX_EMPTY, false, HELO_UNKNOWN, HELO_RESULT_INVALID },
		{ HELO_SYNTAX_INVALID, false, HELO_UNKNOWN,
		    HELO_RESULT_INVALID },
	};
	size_t i;

	g_test_summary("the decision table: syntax first, then the literal "
		       "or the name's own addresses; no evidence, no guess");
	for (i = 0; i < G_N_ELEMENTS(t); i++)
		g_assert_cmpstr(helo_result_name(helo_decide(
				    t[i].syntax, t[i].literal, t[i].forward)),
		    ==, helo_result_name(t[i].want));
}

static struct helo_report *
check(const char *name, const char *ip, const struct dns_view *v)
{
	return helo_check_name(name, strlen(name), false, ip, v, NULL);
}

static void
test_dns(void)
{
	struct dns_store *s = dns_store_new();
	struct dns_view v = { .store = { s }, .source = { "capture" }, .n = 1 };
	struct helo_report *r;
	const struct dns_fact *e;

	g_test_summary("forward, reverse and FCrDNS from stored facts, "
		       "CNAME chains, negative answers, address literals");
	dns_store_put(s, DNS_T_A, "good.example.org", "127.0.0.21", 1000);
	dns_store_put(
	    s, DNS_T_PTR, "21.0.0.127.in-addr.arpa", "good.example.org", 900);
	dns_store_put(s, DNS_T_A, "dyn.example.net", "127.0.0.99", 0);
	dns_store_put(
	    s, DNS_T_PTR, "24.0.0.127.in-addr.arpa", "dyn.example.net", 0);
	dns_store_put(s, DNS_T_CNAME, "www.example.org", "web.example.org", 0);
	dns_store_put(s, DNS_T_A, "web.example.org", "127.0.0.30", 0);
	dns_store_put_status(
	    s, DNS_T_A, "gone.example.org", DNS_STATUS_NXDOMAIN, 0);
	dns_store_put_status(
	    s, DNS_T_A, "v6only.example.org", DNS_STATUS_NODATA, 0);
	dns_store_put_status(
	    s, DNS_T_A, "lame.example.org", DNS_STATUS_ERROR, 0);

	r = check("Good.Example.org", "127.0.0.21", &v);
	g_assert_cmpstr(helo_result_name(r->result), ==, "match");
	g_assert_cmpint(r->fcrdns, ==, HELO_YES);
	g_assert_cmpint(r->name_is_ptr, ==, HELO_YES);
	g_assert_cmpstr(r->name, ==, "Good.Example.org");
	g_assert_cmpuint(r->evidence->len, ==, 2);
	e = g_ptr_array_index(r->evidence, 0);
	g_assert_cmpstr(e->source, ==, "capture");
	g_assert_cmpint(e->ts, ==, 1000);
	g_assert_cmpstr(dns_type_name(e->type), ==, "A");
	g_assert_cmpstr(e->name, ==, "good.example.org");
	g_assert_cmpstr(e->data, ==, "127.0.0.21");
	helo_report_free(r);

	/* The PTR agrees with the name, the name's A does not: forged. */
	r = check("dyn.example.net", "127.0.0.24", &v);
	g_assert_cmpstr(helo_result_name(r->result), ==, "mismatch");
	g_assert_cmpint(r->forward, ==, HELO_NO);
	g_assert_cmpint(r->fcrdns, ==, HELO_NO);
	g_assert_cmpint(r->name_is_ptr, ==, HELO_YES);
	g_assert_cmpuint(r->evidence->len, ==, 2);
	helo_report_free(r);

	r = check("www.example.org", "127.0.0.30", &v);
	g_assert_cmpstr(helo_result_name(r->result), ==, "match");
	g_assert_cmpint(r->name_is_ptr, ==, HELO_UNKNOWN);
	g_assert_cmpint(r->fcrdns, ==, HELO_UNKNOWN);
	helo_report_free(r);

	r = check("gone.example.org", "127.0.0.30", &v);
	g_assert_cmpstr(helo_result_name(r->result), ==, "mismatch");
	e = g_ptr_array_index(r->evidence, 0);
	g_assert_null(e->data);
	g_assert_cmpstr(dns_status_name(e->status), ==, "nxdomain");
	helo_report_free(r);

	r = check("v6only.example.org", "127.0.0.30", &v);
	g_assert_cmpstr(helo_result_name(r->result), ==, "mismatch");
	helo_report_free(r);

	/* A server failure is shown, but is no evidence. */
	r = check("lame.example.org", "127.0.0.30", &v);
	g_assert_cmpstr(helo_result_name(r->result), ==, "unknown");
	g_assert_cmpuint(r->evidence->len, ==, 1);
	helo_report_free(r);

	r = check("other.example.org", "127.0.0.30", &v);
	g_assert_cmpstr(helo_result_name(r->result), ==, "unknown");
	g_assert_cmpuint(r->evidence->len, ==, 0);
	helo_report_free(r);

	r = check("[127.0.0.25]", "127.0.0.25", &v);
	g_assert_cmpstr(helo_result_name(r->result), ==, "match");
	helo_report_free(r);
	r = check("[192.0.2.1]", "127.0.0.25", &v);
	g_assert_cmpstr(helo_result_name(r->result), ==, "literal-mismatch");
	helo_report_free(r);
	r = check("[IPv6:::ffff:127.0.0.25]", "127.0.0.25", &v);
	g_assert_cmpstr(helo_result_name(r->result), ==, "literal-mismatch");
	helo_report_free(r);
	r = check("[IPv6:2001:DB8::0:1]", "2001:db8::1", &v);
	g_assert_cmpstr(helo_result_name(r->result), ==, "match");
	helo_report_free(r);
	r = check("localhost", "127.0.0.23", &v);
	g_assert_cmpstr(helo_result_name(r->result), ==, "not-fqdn");
	g_assert_cmpuint(r->evidence->len, ==, 0);
	helo_report_free(r);
	dns_store_free(s);
}

static void
test_sources(void)
{
	struct dns_store *cap = dns_store_new(), *map = dns_store_new();
	struct dns_view v = {
		.store = { cap, map }, .source = { "capture", "map" }, .n = 2
	};
	struct helo_report *r;
	const struct dns_fact *e;

	g_test_summary("facts from several sources are combined, each "
		       "named by its source");
	dns_store_put_status(
	    cap, DNS_T_A, "mail.example.org", DNS_STATUS_NODATA, 5);
	dns_store_put(map, DNS_T_A, "mail.example.org", "192.0.2.7", 0);
	r = check("mail.example.org", "192.0.2.7", &v);
	g_assert_cmpstr(helo_result_name(r->result), ==, "match");
	g_assert_cmpuint(r->evidence->len, ==, 2);
	e = g_ptr_array_index(r->evidence, 0);
	g_assert_cmpstr(e->source, ==, "capture");
	g_assert_cmpint(e->ts, ==, 5);
	e = g_ptr_array_index(r->evidence, 1);
	g_assert_cmpstr(e->source, ==, "map");
	g_assert_cmpint(e->ts, ==, 0);
	helo_report_free(r);
	dns_store_free(cap);
	dns_store_free(map);
}

static void
test_missing(void)
{
	struct dns_store *s = dns_store_new();
	struct dns_view v = { .store = { s }, .source = { "live" }, .n = 1 };
	g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func(g_free);
	struct helo_report *r;
	const struct dns_question *q;

	g_test_summary("what the view cannot answer is listed for a live "
		       "resolver: the name's address and the client's PTR, "
		       "then the PTR name's address; a failed live lookup "
		       "is not asked again");
	r = helo_check_name(
	    "mail.example.org", 16, false, "192.0.2.7", &v, missing);
	helo_report_free(r);
	g_assert_cmpuint(missing->len, ==, 2);
	q = g_ptr_array_index(missing, 0);
	g_assert_cmpstr(dns_type_name(q->type), ==, "A");
	g_assert_cmpstr(q->name, ==, "mail.example.org");
	q = g_ptr_array_index(missing, 1);
	g_assert_cmpstr(dns_type_name(q->type), ==, "PTR");
	g_assert_cmpstr(q->name, ==, "7.2.0.192.in-addr.arpa");

	g_ptr_array_set_size(missing, 0);
	dns_store_put_status(
	    s, DNS_T_A, "mail.example.org", DNS_STATUS_TIMEOUT, 0);
	dns_store_put(
	    s, DNS_T_PTR, "7.2.0.192.in-addr.arpa", "mx.example.org", 0);
	r = helo_check_name(
	    "mail.example.org", 16, false, "192.0.2.7", &v, missing);
	g_assert_cmpstr(helo_result_name(r->result), ==, "unknown");
	helo_report_free(r);
	g_assert_cmpuint(missing->len, ==, 1);
	q = g_ptr_array_index(missing, 0);
	g_assert_cmpstr(q->name, ==, "mx.example.org");
	dns_store_free(s);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/helo/syntax", test_classes);
	g_test_add_func("/helo/decide", test_decide);
	g_test_add_func("/helo/dns", test_dns);
	g_test_add_func("/helo/sources", test_sources);
	g_test_add_func("/helo/missing", test_missing);
	return g_test_run();
}
