/* SPDX-License-Identifier: GPL-2.0-or-later */
/* packet.h: strip the link layer of a captured frame down to IP.
 * Knows no pcap types: link types are the numeric DLT_* values. */
#ifndef RS_PACKET_H
#define RS_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a frame carries once its link layer is stripped. */
enum packet_l3 {
	PACKET_L3_OTHER, /* a well-formed frame that is not IP (ARP...) */
	PACKET_L3_IPV4,
	PACKET_L3_IPV6,
	PACKET_L3_BAD, /* too short or malformed */
};

/* Most 802.1Q/802.1ad tags, MPLS labels and nested tunnels followed
 * before a frame is given up on. */
#define PACKET_MAX_VLAN_TAGS 8
#define PACKET_MAX_LABELS 8
#define PACKET_MAX_TUNNELS 4

/* Can frames of this link type be stripped? */
bool packet_linktype_supported(int dlt);
/* Strip the link layer: returns what follows and sets *off to its offset.
 * Handles Ethernet with any number of 802.1Q/802.1ad tags, MPLS label
 * stacks and PPPoE sessions, Linux SLL and SLL2, BSD NULL and LOOP, and
 * raw IP (RAW, IPV4, IPV6). */
enum packet_l3 packet_strip(
    int dlt, const uint8_t *frame, size_t caplen, size_t *off);
/* If the IP packet p (of kind l3) is a tunnel carrying IP (IPv4/IPv6 in
 * IPv4/IPv6, GRE with IP, Ethernet or ERSPAN I/II/III, VXLAN on UDP port
 * 4789), return the inner kind and set *off to the inner packet; return
 * PACKET_L3_OTHER when it is not one, PACKET_L3_BAD when it is malformed.
 * Call again on the result for nested tunnels. */
enum packet_l3 packet_decap(
    enum packet_l3 l3, const uint8_t *p, size_t len, size_t *off);

/* How the extension headers of an IPv6 packet end (RFC 8200 §4; at most
 * PACKET_MAX_V6_HEADERS of them are walked). */
enum packet_v6_walk {
	PACKET_V6_UPPER,    /* the upper-layer header: *nh, at *off (which
			     * may lie past the packet's end) */
	PACKET_V6_BAD,	    /* an extension header cut short */
	PACKET_V6_FRAGMENT, /* a fragment, not an atomic one */
};
#define PACKET_MAX_V6_HEADERS 8

/* Walk the extension headers of the IPv6 packet p (len >= 40 bytes):
 * hop-by-hop, routing, destination options, AH and atomic fragments. */
enum packet_v6_walk packet_ipv6_walk(
    const uint8_t *p, size_t len, uint8_t *nh, size_t *off);

#endif
