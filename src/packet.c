/* SPDX-License-Identifier: GPL-2.0-or-later */
/* packet.c: link-layer stripping (IEEE 802.3 + 802.1Q/802.1ad, Linux
 * "cooked" SLL and SLL2, BSD loopback NULL/LOOP, raw IP).  Done here rather
 * than in libnids, which knows neither SLL2, LOOP, IPV4 nor stacked tags
 * (references/libnids.md §3).  Every read is bounds-checked against the
 * captured length.  Later link layers (MPLS, PPPoE, tunnels) slot in as
 * further cases of the ethertype switch. */
#include <pcap/dlt.h>

#include "packet.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100

/* BSD address families of IPv6 differ by system (NetBSD/OpenBSD 24,
 * FreeBSD 28, Darwin 30); IPv4 is 2 everywhere. */
#define BSD_AF_INET 2

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static enum packet_l3
by_ethertype(uint16_t type)
{
	switch (type) {
	case ETHERTYPE_IPV4:
		return PACKET_L3_IPV4;
	case ETHERTYPE_IPV6:
		return PACKET_L3_IPV6;
	default:
		return PACKET_L3_OTHER;
	}
}

static enum packet_l3
by_version(const uint8_t *p, size_t len)
{
	if (len < 1)
		return PACKET_L3_BAD;
	switch (p[0] >> 4) {
	case 4:
		return PACKET_L3_IPV4;
	case 6:
		return PACKET_L3_IPV6;
	default:
		return PACKET_L3_BAD;
	}
}

static enum packet_l3
by_bsd_af(uint32_t af)
{
	switch (af) {
	case BSD_AF_INET:
		return PACKET_L3_IPV4;
	case 24:
	case 28:
	case 30:
		return PACKET_L3_IPV6;
	default:
		return PACKET_L3_OTHER;
	}
}

bool
packet_linktype_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return true;
	default:
		return false;
	}
}

static enum packet_l3
strip_ethernet(const uint8_t *f, size_t caplen, size_t *off)
{
	size_t o = 12;
	uint16_t type;
	int tags = 0;

	if (caplen < 14)
		return PACKET_L3_BAD;
	type = be16(f + o);
	o += 2;
	while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
	       type == ETHERTYPE_QINQ_OLD) {
		if (++tags > PACKET_MAX_VLAN_TAGS || caplen < o + 4)
			return PACKET_L3_BAD;
		type = be16(f + o + 2);
		o += 4;
	}
	*off = o;
	return by_ethertype(type);
}

enum packet_l3
packet_strip(int dlt, const uint8_t *f, size_t caplen, size_t *off)
{
	uint32_t af;

	*off = 0;
	switch (dlt) {
	case DLT_EN10MB:
		return strip_ethernet(f, caplen, off);
	case DLT_LINUX_SLL:
		/* 16 bytes; protocol (an ethertype) at 14. */
		if (caplen < 16)
			return PACKET_L3_BAD;
		*off = 16;
		return by_ethertype(be16(f + 14));
	case DLT_LINUX_SLL2:
		/* 20 bytes; protocol at 0. */
		if (caplen < 20)
			return PACKET_L3_BAD;
		*off = 20;
		return by_ethertype(be16(f));
	case DLT_NULL:
		/* 4 bytes, address family in the capturing host's byte
		 * order: accept either. */
		if (caplen < 4)
			return PACKET_L3_BAD;
		*off = 4;
		af = (uint32_t)f[0] | (uint32_t)f[1] << 8 |
		     (uint32_t)f[2] << 16 | (uint32_t)f[3] << 24;
		if (af > 0xffff)
			af = (uint32_t)f[3] | (uint32_t)f[2] << 8;
		return by_bsd_af(af);
	case DLT_LOOP:
		/* 4 bytes, address family in network byte order. */
		if (caplen < 4)
			return PACKET_L3_BAD;
		*off = 4;
		return by_bsd_af((uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 |
				 (uint32_t)f[2] << 8 | f[3]);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return by_version(f, caplen);
	default:
		return PACKET_L3_BAD;
	}
}
