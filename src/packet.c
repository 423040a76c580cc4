/* SPDX-License-Identifier: GPL-2.0-or-later */
/* packet.c: link-layer stripping (IEEE 802.3 + 802.1Q/802.1ad, MPLS,
 * PPPoE sessions, Linux "cooked" SLL and SLL2, BSD loopback NULL/LOOP, raw
 * IP) and tunnel decapsulation (GRE with ERSPAN I/II/III and transparent
 * Ethernet, VXLAN, IPv4/IPv6 in IPv4/IPv6).  Done here rather than in
 * libnids, which knows neither SLL2, LOOP, IPV4, stacked tags, MPLS nor
 * PPPoE (references/libnids.md §3).  Every read is bounds-checked against
 * the captured length; nesting is bounded. */
#include <pcap/dlt.h>

#include "packet.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_MPLS 0x8847
#define ETHERTYPE_MPLS_MC 0x8848
#define ETHERTYPE_PPPOE 0x8864
#define ETHERTYPE_TEB 0x6558	 /* transparent Ethernet bridging (GRE) */
#define ETHERTYPE_ERSPAN2 0x88be /* ERSPAN I and II (GRE) */
#define ETHERTYPE_ERSPAN3 0x22eb

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

#define IPPROTO_IPIP_ 4
#define IPPROTO_IPV6_ 41
#define IPPROTO_GRE_ 47
#define VXLAN_PORT 4789

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

/* MPLS: pop labels to the bottom of the stack; the payload's IP version
 * says what it is (RFC 3032 has no next-protocol field). */
static enum packet_l3
strip_mpls(const uint8_t *f, size_t caplen, size_t *off)
{
	size_t o = *off;
	int labels = 0;

	for (;;) {
		if (++labels > PACKET_MAX_LABELS || caplen < o + 4)
			return PACKET_L3_BAD;
		o += 4;
		if (f[o - 2] & 0x01) /* bottom of stack */
			break;
	}
	*off = o;
	return by_version(f + o, caplen - o);
}

/* PPPoE session stage (RFC 2516): 6 bytes, then the PPP protocol. */
static enum packet_l3
strip_pppoe(const uint8_t *f, size_t caplen, size_t *off)
{
	size_t o = *off;

	if (caplen < o + 8)
		return PACKET_L3_BAD;
	*off = o + 8;
	switch (be16(f + o + 6)) {
	case PPP_IPV4:
		return PACKET_L3_IPV4;
	case PPP_IPV6:
		return PACKET_L3_IPV6;
	default:
		return PACKET_L3_OTHER;
	}
}

/* What an ethertype at *off leads to, tags and labels followed. */
static enum packet_l3
after_ethertype(const uint8_t *f, size_t caplen, uint16_t type, size_t *off)
{
	int tags = 0;

	while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
	       type == ETHERTYPE_QINQ_OLD) {
		if (++tags > PACKET_MAX_VLAN_TAGS || caplen < *off + 4)
			return PACKET_L3_BAD;
		type = be16(f + *off + 2);
		*off += 4;
	}
	switch (type) {
	case ETHERTYPE_MPLS:
	case ETHERTYPE_MPLS_MC:
		return strip_mpls(f, caplen, off);
	case ETHERTYPE_PPPOE:
		return strip_pppoe(f, caplen, off);
	default:
		return by_ethertype(type);
	}
}

static enum packet_l3
strip_ethernet(const uint8_t *f, size_t caplen, size_t *off)
{
	if (caplen < 14)
		return PACKET_L3_BAD;
	*off = 14;
	return after_ethertype(f, caplen, be16(f + 12), off);
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
		return after_ethertype(f, caplen, be16(f + 14), off);
	case DLT_LINUX_SLL2:
		/* 20 bytes; protocol at 0. */
		if (caplen < 20)
			return PACKET_L3_BAD;
		*off = 20;
		return after_ethertype(f, caplen, be16(f), off);
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

/* An Ethernet frame at o inside a tunnel: what it carries, and where. */
static enum packet_l3
inner_ethernet(const uint8_t *p, size_t len, size_t o, size_t *off)
{
	size_t eo = 0;
	enum packet_l3 r = strip_ethernet(p + o, len - o, &eo);

	*off = o + eo;
	return r;
}

/* GRE (RFC 2784, 2890) and what it carries: IP, Ethernet (transparent
 * bridging), or ERSPAN type I (no header), II (8 bytes) or III (12, plus
 * an 8-byte subheader when its O flag is set), each before Ethernet. */
static enum packet_l3
gre_payload(const uint8_t *p, size_t len, size_t *off)
{
	size_t o = 4;
	uint16_t flags, proto;
	bool seq;

	if (len < 4)
		return PACKET_L3_BAD;
	flags = be16(p);
	proto = be16(p + 2);
	if ((flags & 0x0007) != 0)
		return PACKET_L3_OTHER; /* version 1: PPTP */
	o += (flags & 0x8000) ? 4 : 0;	/* checksum */
	o += (flags & 0x2000) ? 4 : 0;	/* key */
	seq = (flags & 0x1000) != 0;
	o += seq ? 4 : 0;
	if (len < o)
		return PACKET_L3_BAD;
	switch (proto) {
	case ETHERTYPE_IPV4:
	case ETHERTYPE_IPV6:
		*off = o;
		return by_ethertype(proto);
	case ETHERTYPE_ERSPAN2:
		o += seq ? 8 : 0; /* type II has a sequence number */
		break;
	case ETHERTYPE_ERSPAN3:
		if (len < o + 12)
			return PACKET_L3_BAD;
		o += (p[o + 11] & 0x01) ? 20 : 12;
		break;
	case ETHERTYPE_TEB:
		break;
	default:
		return PACKET_L3_OTHER;
	}
	if (len < o)
		return PACKET_L3_BAD;
	return inner_ethernet(p, len, o, off);
}

enum packet_l3
packet_decap(enum packet_l3 l3, const uint8_t *p, size_t len, size_t *off)
{
	size_t hl, o = 0;
	uint8_t proto;
	enum packet_l3 r;

	*off = 0;
	if (l3 == PACKET_L3_IPV4) {
		if (len < 20 || (p[0] >> 4) != 4 ||
		    (hl = (size_t)(p[0] & 0xf) * 4) < 20 || len < hl)
			return PACKET_L3_OTHER;
		if ((be16(p + 6) & 0x3fff) != 0)
			return PACKET_L3_OTHER; /* a fragment: not opened */
		proto = p[9];
	} else if (l3 == PACKET_L3_IPV6) {
		/* Tunnels directly after the fixed header only. */
		if (len < 40 || (p[0] >> 4) != 6)
			return PACKET_L3_OTHER;
		hl = 40;
		proto = p[6];
	} else
		return PACKET_L3_OTHER;
	switch (proto) {
	case IPPROTO_IPIP_:
		*off = hl;
		return PACKET_L3_IPV4;
	case IPPROTO_IPV6_:
		*off = hl;
		return PACKET_L3_IPV6;
	case IPPROTO_GRE_:
		r = gre_payload(p + hl, len - hl, &o);
		break;
	case 17: /* UDP: VXLAN (RFC 7348), 8 bytes after the UDP header */
		if (len < hl + 16 || be16(p + hl + 2) != VXLAN_PORT ||
		    !(p[hl + 8] & 0x08))
			return PACKET_L3_OTHER;
		r = inner_ethernet(p + hl, len - hl, 16, &o);
		break;
	default:
		return PACKET_L3_OTHER;
	}
	if (r == PACKET_L3_IPV4 || r == PACKET_L3_IPV6) {
		*off = hl + o;
		return r;
	}
	return r == PACKET_L3_BAD ? PACKET_L3_BAD : PACKET_L3_OTHER;
}

enum packet_v6_walk
packet_ipv6_walk(const uint8_t *p, size_t len, uint8_t *nh, size_t *off)
{
	size_t o = 40;
	uint8_t h = p[6];
	int hops;

	for (hops = 0; hops < PACKET_MAX_V6_HEADERS; hops++) {
		if (h != 0 && h != 43 && h != 60 && h != 51 && h != 44)
			break;
		if (o + 8 > len)
			return PACKET_V6_BAD;
		if (h == 44) {
			/* Offset or more fragments: not the atomic kind. */
			if ((p[o + 2] << 8 | p[o + 3]) & 0xfff9)
				return PACKET_V6_FRAGMENT;
			h = p[o];
			o += 8;
		} else {
			/* AH counts 4-byte words less 2 (RFC 4302), the
			 * others 8-byte units less 1. */
			size_t el = h == 51 ? ((size_t)p[o + 1] + 2) * 4
					    : ((size_t)p[o + 1] + 1) * 8;

			h = p[o];
			o += el;
		}
	}
	*nh = h;
	*off = o;
	return PACKET_V6_UPPER;
}
