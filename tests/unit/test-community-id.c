/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-community-id.c: Community ID v1 against the published vectors of
 * corelight/community-id-spec (baseline/README.md tables and
 * baseline/baseline_deflt.json, baseline_seed1.json), both directions of
 * each flow, and the "community_id" member of a session record. */
#include <string.h>

#include <glib.h>

#include "community_id.h"
#include "output.h"

struct vector {
	uint8_t proto;
	const char *saddr;
	uint16_t sport;
	const char *daddr;
	uint16_t dport;
	uint16_t seed;
	const char *want;
};

/* A port-less protocol: the spec's example, RSVP. */
#define RSVP 46

static const struct vector tcp_vectors[] = {
	/* baseline/README.md, "Default settings" and "seed=1". */
	{ 6, "1.2.3.4", 1122, "5.6.7.8", 3344, 0,
	    "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
	{ 6, "1.2.3.4", 1122, "5.6.7.8", 3344, 1,
	    "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=" },
	/* baseline_deflt.json and baseline_seed1.json (from the spec's
	 * pcaps/combined.pcap). */
	{ 6, "128.232.110.120", 34855, "66.35.250.204", 80, 0,
	    "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ 6, "128.232.110.120", 34855, "66.35.250.204", 80, 1,
	    "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
};

/* An SMTP session over IPv6 to mx.google.com: the flow of the spec's
 * pcaps/ipv6.pcap, which is Zeek's Traces/communityid/ipv6.pcap as well
 * (tests/corpus/zeek/testing/btest/Traces/communityid/ipv6.pcap). */
static const struct vector tcp6_vectors[] = {
	{ 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943,
	    "2607:f8b0:400c:c03::1a", 25, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
	{ 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943,
	    "2607:f8b0:400c:c03::1a", 25, 1, "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
};

static const struct vector other_vectors[] = {
	{ 17, "1.2.3.4", 1122, "5.6.7.8", 3344, 0,
	    "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=" },
	{ 17, "1.2.3.4", 1122, "5.6.7.8", 3344, 1,
	    "1:OShq+iKDAMVouh/4bMxB9Sz4amw=" },
	{ 17, "192.168.1.52", 54585, "8.8.8.8", 53, 0,
	    "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
	{ 132, "1.2.3.4", 1122, "5.6.7.8", 3344, 0,
	    "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=" },
	{ 132, "1.2.3.4", 1122, "5.6.7.8", 3344, 1,
	    "1:uitchpn5MMGAQKBJh7bIr/bAr7s=" },
	/* The same address and port on both sides: nothing to order. */
	{ 132, "192.168.170.8", 7, "192.168.170.56", 7, 0,
	    "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
	/* No ports: those given do not count. */
	{ RSVP, "1.2.3.4", 0, "5.6.7.8", 0, 0,
	    "1:ikv3kmf89luf73WPz1jOs49S768=" },
	{ RSVP, "1.2.3.4", 0, "5.6.7.8", 0, 1,
	    "1:/buhqeOmaRCopOZFy9HnoJd5XW8=" },
	{ RSVP, "10.1.12.1", 99, "10.1.12.2", 1, 0,
	    "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
	{ RSVP, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 0,
	    "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, 0,
	    "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=" },
	{ RSVP, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 0,
	    "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, 1,
	    "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=" },
};

static void
check_vectors(const struct vector *v, size_t n)
{
	char got[COMMUNITY_ID_SIZE];
	size_t i;

	for (i = 0; i < n; i++) {
		g_assert_true(community_id_v1(got, v[i].saddr, v[i].sport,
		    v[i].daddr, v[i].dport, v[i].proto, v[i].seed));
		g_assert_cmpstr(got, ==, v[i].want);
		/* And the other way round. */
		g_assert_true(community_id_v1(got, v[i].daddr, v[i].dport,
		    v[i].saddr, v[i].sport, v[i].proto, v[i].seed));
		g_assert_cmpstr(got, ==, v[i].want);
	}
}

static void
test_tcp4(void)
{
	g_test_summary("TCP over IPv4: the spec's vectors, seed 0 and 1");
	check_vectors(tcp_vectors, G_N_ELEMENTS(tcp_vectors));
}

static void
test_tcp6(void)
{
	g_test_summary("TCP over IPv6: the spec's SMTP flow, seed 0 and 1");
	check_vectors(tcp6_vectors, G_N_ELEMENTS(tcp6_vectors));
}

static void
test_other(void)
{
	g_test_summary("UDP, SCTP and a protocol without ports (RSVP)");
	check_vectors(other_vectors, G_N_ELEMENTS(other_vectors));
}

static void
test_order(void)
{
	char a[COMMUNITY_ID_SIZE], b[COMMUNITY_ID_SIZE];
	char c[COMMUNITY_ID_SIZE];

	g_test_summary("equal addresses: the ports decide the order, and "
		       "the ports are part of the hash");
	g_assert_true(community_id_v1(
	    a, "127.0.0.1", 41697, "127.0.0.1", 25, COMMUNITY_ID_TCP, 0));
	g_assert_true(community_id_v1(
	    b, "127.0.0.1", 25, "127.0.0.1", 41697, COMMUNITY_ID_TCP, 0));
	g_assert_cmpstr(a, ==, b);
	g_assert_true(community_id_v1(
	    c, "127.0.0.1", 41698, "127.0.0.1", 25, COMMUNITY_ID_TCP, 0));
	g_assert_cmpstr(a, !=, c);
	/* The address bytes are compared, not their text: "10.0.0.9" sorts
	 * before "10.0.0.10" as a number, after it as text. */
	g_assert_true(community_id_v1(
	    a, "10.0.0.9", 1, "10.0.0.10", 2, COMMUNITY_ID_TCP, 0));
	g_assert_true(community_id_v1(
	    b, "10.0.0.10", 2, "10.0.0.9", 1, COMMUNITY_ID_TCP, 0));
	g_assert_cmpstr(a, ==, b);
}

static void
test_refused(void)
{
	char out[COMMUNITY_ID_SIZE] = "x";

	g_test_summary("no id for text that is not an address, mixed "
		       "families or ICMP");
	g_assert_false(
	    community_id_v1(out, "", 1, "5.6.7.8", 2, COMMUNITY_ID_TCP, 0));
	g_assert_cmpstr(out, ==, "");
	g_assert_false(community_id_v1(
	    out, "mx.example.com", 1, "5.6.7.8", 2, COMMUNITY_ID_TCP, 0));
	g_assert_false(
	    community_id_v1(out, "1.2.3.4", 1, "::1", 2, COMMUNITY_ID_TCP, 0));
	g_assert_false(
	    community_id_v1(out, "[::1]", 1, "::2", 2, COMMUNITY_ID_TCP, 0));
	g_assert_false(community_id_v1(out, "1.2.3.4", 8, "5.6.7.8", 0, 1, 0));
	g_assert_false(
	    community_id_v1(out, "fe80::1", 128, "fe80::2", 0, 58, 0));
}

static void
test_session(void)
{
	g_autoptr(dialogue_t) d = dialogue_new();
	g_autofree char *j = NULL;

	g_test_summary("a session record carries its flow's id; null when "
		       "its endpoints are not addresses");
	j = output_json_session(d);
	g_assert_nonnull(strstr(j, ",\"community_id\":null,"));
	g_free(g_steal_pointer(&j));

	g_strlcpy(d->client.ip, "2001:470:e5bf:dead:4957:2174:e82c:4887",
	    sizeof d->client.ip);
	d->client.port = 63943;
	g_strlcpy(d->server.ip, "2607:f8b0:400c:c03::1a", sizeof d->server.ip);
	d->server.port = 25;
	j = output_json_session(d);
	g_assert_nonnull(
	    strstr(j, ",\"community_id\":\"1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=\","));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/community-id/tcp4", test_tcp4);
	g_test_add_func("/community-id/tcp6", test_tcp6);
	g_test_add_func("/community-id/udp-sctp-portless", test_other);
	g_test_add_func("/community-id/order", test_order);
	g_test_add_func("/community-id/refused", test_refused);
	g_test_add_func("/community-id/session", test_session);
	return g_test_run();
}
