/* SPDX-License-Identifier: GPL-2.0-or-later */
/* community_id.h: the Community ID v1 flow hash (corelight/community-id-spec),
 * the "community_id" Zeek's conn.log and Suricata's eve.json print, so a
 * session record can be joined with their logs by one string. */
#ifndef RS_COMMUNITY_ID_H
#define RS_COMMUNITY_ID_H

#include <stdbool.h>
#include <stdint.h>

/* "1:" and the 28 base64 characters of a SHA-1 digest, and the NUL. */
#define COMMUNITY_ID_SIZE 31

/* IP protocol numbers whose ports the hash covers. */
#define COMMUNITY_ID_TCP 6
#define COMMUNITY_ID_UDP 17
#define COMMUNITY_ID_SCTP 132

/* The Community ID v1 of a flow between two numeric addresses (inet_ntop
 * text, IPv4 or IPv6), either way round, into out.  The ports count only
 * for TCP, UDP and SCTP; ICMP and ICMPv6, whose ids come from a type and
 * code table, are not supported.  seed is 0 in Zeek's and Suricata's
 * defaults.  Returns false, with out "", when an address is not numeric,
 * the two are not of one family, or proto is ICMP. */
bool community_id_v1(char out[COMMUNITY_ID_SIZE], const char *src_ip,
    uint16_t src_port, const char *dst_ip, uint16_t dst_port, uint8_t proto,
    uint16_t seed);

#endif
