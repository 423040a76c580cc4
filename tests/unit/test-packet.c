/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-packet.c: link-layer stripping. */
#include <pcap/dlt.h>

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

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/packet/ethernet-tags", test_ethernet_tags);
	g_test_add_func("/packet/cooked-and-loop", test_cooked_and_loop);
	return g_test_run();
}
