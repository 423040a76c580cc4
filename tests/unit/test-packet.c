/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-packet.c: link-layer stripping. */
#include <pcap/dlt.h>

#include <string.h>

#include <glib.h>

#include "packet.h"

static void
test_ethernet_tags(void)
{
	/* dst, src, 802.1ad, tag, 802.1Q, tag, 802.1Q, tag, IPv4 */
	const uint8_t f[] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x88, 0xa8, 0,
		1, 0x81, 0, 0, 2, 0x81, 0, 0, 3, 0x08, 0, 0x45 };
	const uint8_t v6[] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x86, 0xdd,
		0x60 };
	const uint8_t arp[] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, 6 };
	size_t off;

	g_test_summary("Ethernet with any number of VLAN tags");
	g_assert_cmpint(
	    packet_strip(DLT_EN10MB, f, sizeof f, &off), ==, PACKET_L3_IPV4);
	g_assert_cmpuint(off, ==, 26);
	g_assert_cmpint(
	    packet_strip(DLT_EN10MB, f, 20, &off), ==, PACKET_L3_BAD);
	g_assert_cmpint(
	    packet_strip(DLT_EN10MB, v6, sizeof v6, &off), ==, PACKET_L3_IPV6);
	g_assert_cmpint(packet_strip(DLT_EN10MB, arp, sizeof arp, &off), ==,
	    PACKET_L3_OTHER);
}

static void
test_cooked_and_loop(void)
{
	uint8_t sll[17] = { 0 }, sll2[21] = { 0 };
	const uint8_t null_le[] = { 2, 0, 0, 0, 0x45 };
	const uint8_t null_be[] = { 0, 0, 0, 2, 0x45 };
	const uint8_t loop6[] = { 0, 0, 0, 24, 0x60 };
	const uint8_t raw[] = { 0x45 };
	size_t off;

	g_test_summary("SLL, SLL2, NULL in both byte orders, LOOP, RAW");
	sll[14] = 0x08;
	g_assert_cmpint(packet_strip(DLT_LINUX_SLL, sll, sizeof sll, &off), ==,
	    PACKET_L3_IPV4);
	g_assert_cmpuint(off, ==, 16);
	sll2[0] = 0x08;
	g_assert_cmpint(packet_strip(DLT_LINUX_SLL2, sll2, sizeof sll2, &off),
	    ==, PACKET_L3_IPV4);
	g_assert_cmpuint(off, ==, 20);
	g_assert_cmpint(
	    packet_strip(DLT_NULL, null_le, 5, &off), ==, PACKET_L3_IPV4);
	g_assert_cmpint(
	    packet_strip(DLT_NULL, null_be, 5, &off), ==, PACKET_L3_IPV4);
	g_assert_cmpint(
	    packet_strip(DLT_LOOP, loop6, 5, &off), ==, PACKET_L3_IPV6);
	g_assert_cmpint(
	    packet_strip(DLT_RAW, raw, 1, &off), ==, PACKET_L3_IPV4);
	g_assert_cmpint(packet_strip(DLT_RAW, raw, 0, &off), ==, PACKET_L3_BAD);
	g_assert_false(packet_linktype_supported(DLT_IEEE802_11));
}

static void
test_mpls_pppoe(void)
{
	/* Ethernet, MPLS: a label, then one with the bottom-of-stack bit. */
	uint8_t mpls[14 + 8 + 1] = {
		[12] = 0x88, [13] = 0x47, [20] = 0x01, [22] = 0x60
	};
	uint8_t deep[14 + 4 * 9 + 1] = { [12] = 0x88, [13] = 0x47 };
	/* PPPoE session, PPP protocol IPv4 / LCP. */
	uint8_t pppoe[14 + 8 + 1] = { [12] = 0x88,
		[13] = 0x64,
		[14] = 0x11,
		[20] = 0x00,
		[21] = 0x21,
		[22] = 0x45 };
	size_t off;

	g_test_summary("MPLS label stacks and PPPoE sessions lead to IP; a "
		       "stack deeper than the limit or cut short is bad");
	g_assert_cmpint(packet_strip(DLT_EN10MB, mpls, sizeof mpls, &off), ==,
	    PACKET_L3_IPV6);
	g_assert_cmpuint(off, ==, 22);
	g_assert_cmpint(
	    packet_strip(DLT_EN10MB, mpls, 20, &off), ==, PACKET_L3_BAD);
	g_assert_cmpint(packet_strip(DLT_EN10MB, deep, sizeof deep, &off), ==,
	    PACKET_L3_BAD);
	g_assert_cmpint(packet_strip(DLT_EN10MB, pppoe, sizeof pppoe, &off), ==,
	    PACKET_L3_IPV4);
	g_assert_cmpuint(off, ==, 22);
	pppoe[21] = 0x23; /* not IP */
	g_assert_cmpint(packet_strip(DLT_EN10MB, pppoe, sizeof pppoe, &off), ==,
	    PACKET_L3_OTHER);
	g_assert_cmpint(
	    packet_strip(DLT_EN10MB, pppoe, 20, &off), ==, PACKET_L3_BAD);
}

/* An outer IPv4 header (20 bytes, protocol proto) at p. */
static void
outer4(uint8_t *p, uint8_t proto)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	p[9] = proto;
}

static void
test_tunnels(void)
{
	uint8_t b[256];
	size_t off, n;

	g_test_summary("GRE (IP, Ethernet, ERSPAN I/II/III), VXLAN and "
		       "IP-in-IP give their inner packet; fragments, PPTP's "
		       "GRE, other UDP and truncated headers do not");
	/* IPv4 in IPv4. */
	outer4(b, 4);
	b[20] = 0x45;
	g_assert_cmpint(
	    packet_decap(PACKET_L3_IPV4, b, 40, &off), ==, PACKET_L3_IPV4);
	g_assert_cmpuint(off, ==, 20);
	b[6] = 0x20; /* more fragments: the outer packet is left alone */
	g_assert_cmpint(
	    packet_decap(PACKET_L3_IPV4, b, 40, &off), ==, PACKET_L3_OTHER);

	/* GRE with key and sequence number, IPv6 inside. */
	outer4(b, 47);
	memset(b + 20, 0, 12);
	b[20] = 0x30;
	b[22] = 0x86;
	b[23] = 0xdd;
	b[32] = 0x60;
	g_assert_cmpint(
	    packet_decap(PACKET_L3_IPV4, b, 60, &off), ==, PACKET_L3_IPV6);
	g_assert_cmpuint(off, ==, 32);
	g_assert_cmpint(
	    packet_decap(PACKET_L3_IPV4, b, 28, &off), ==, PACKET_L3_BAD);
	b[21] = 0x01; /* version 1: PPTP, not opened */
	g_assert_cmpint(
	    packet_decap(PACKET_L3_IPV4, b, 60, &off), ==, PACKET_L3_OTHER);

	/* ERSPAN III with its optional subheader, then Ethernet, IPv4. */
	outer4(b, 47);
	memset(b + 20, 0, 200);
	b[22] = 0x22;
	b[23] = 0xeb;
	b[24 + 11] = 0x01; /* O: an 8-byte subheader follows */
	n = 24 + 20;
	b[n + 12] = 0x08;
	b[n + 14] = 0x45;
	g_assert_cmpint(
	    packet_decap(PACKET_L3_IPV4, b, n + 40, &off), ==, PACKET_L3_IPV4);
	g_assert_cmpuint(off, ==, n + 14);

	/* ERSPAN II: sequence flag, 8-byte header. */
	outer4(b, 47);
	memset(b + 20, 0, 200);
	b[20] = 0x10;
	b[22] = 0x88;
	b[23] = 0xbe;
	n = 28 + 8;
	b[n + 12] = 0x86;
	b[n + 13] = 0xdd;
	g_assert_cmpint(
	    packet_decap(PACKET_L3_IPV4, b, n + 60, &off), ==, PACKET_L3_IPV6);
	g_assert_cmpuint(off, ==, n + 14);

	/* VXLAN on UDP 4789 from an IPv6 outer header. */
	memset(b, 0, sizeof b);
	b[0] = 0x60;
	b[6] = 17;
	b[40 + 2] = 0x12;
	b[40 + 3] = 0xb5; /* 4789 */
	b[48] = 0x08;
	b[56 + 12] = 0x08;
	b[56 + 14] = 0x45;
	g_assert_cmpint(
	    packet_decap(PACKET_L3_IPV6, b, 120, &off), ==, PACKET_L3_IPV4);
	g_assert_cmpuint(off, ==, 56 + 14);
	b[43] = 0xb6; /* another port: plain UDP */
	g_assert_cmpint(
	    packet_decap(PACKET_L3_IPV6, b, 120, &off), ==, PACKET_L3_OTHER);
	g_assert_cmpint(
	    packet_decap(PACKET_L3_OTHER, b, 120, &off), ==, PACKET_L3_OTHER);
}

static void
test_ipv6_walk(void)
{
	/* 40 bytes of header (next header 0: hop-by-hop), a hop-by-hop
	 * header of 8 bytes (next 44), a fragment header (next 6), TCP. */
	uint8_t p[40 + 8 + 8 + 20] = { 0x60 };
	uint8_t nh = 0;
	size_t off = 0;

	g_test_summary("IPv6 extension headers walked as the analysis and -w "
		       "walk them: atomic fragments passed, others not, a "
		       "header cut short refused");
	p[6] = 0;
	p[40] = 44;
	p[48] = 6;
	g_assert_cmpint(
	    packet_ipv6_walk(p, sizeof p, &nh, &off), ==, PACKET_V6_UPPER);
	g_assert_cmpuint(nh, ==, 6);
	g_assert_cmpuint(off, ==, 56);
	p[51] = 1; /* more fragments */
	g_assert_cmpint(
	    packet_ipv6_walk(p, sizeof p, &nh, &off), ==, PACKET_V6_FRAGMENT);
	p[51] = 0;
	g_assert_cmpint(packet_ipv6_walk(p, 52, &nh, &off), ==, PACKET_V6_BAD);
	/* A hop-by-hop header claiming 2,048 bytes: the offset lies past
	 * the end, for the caller to refuse. */
	p[41] = 255;
	p[40] = 6;
	g_assert_cmpint(
	    packet_ipv6_walk(p, sizeof p, &nh, &off), ==, PACKET_V6_UPPER);
	g_assert_cmpuint(off, >, sizeof p);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/packet/ethernet-tags", test_ethernet_tags);
	g_test_add_func("/packet/cooked-and-loop", test_cooked_and_loop);
	g_test_add_func("/packet/mpls-pppoe", test_mpls_pppoe);
	g_test_add_func("/packet/tunnels", test_tunnels);
	g_test_add_func("/packet/ipv6-walk", test_ipv6_walk);
	return g_test_run();
}
