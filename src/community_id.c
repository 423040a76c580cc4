/* SPDX-License-Identifier: GPL-2.0-or-later */
/* community_id.c: Community ID v1 flow hashing (community_id.h), as
 * specified in github.com/corelight/community-id-spec (README, "Pseudo
 * code" and "Technical details"), checked against its baseline vectors in
 * tests/unit/test-community-id.c:
 *
 *	"1:" base64(SHA-1(seed . saddr . daddr . proto . 0 . sport . dport))
 *
 * every part in network byte order, seed 2 bytes, addresses 4 or 16,
 * proto 1 and a zero byte of padding, ports 2 each (only for protocols
 * with ports), the endpoints ordered so that the smaller address (the
 * smaller port when the addresses are equal) comes first. */
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <glib.h>

#include "community_id.h"

/* An address as its bytes in network order; false unless numeric. */
static bool
parse_address(const char *text, guint8 addr[16], size_t *len)
{
	if (inet_pton(AF_INET, text, addr) == 1) {
		*len = 4;
		return true;
	}
	if (inet_pton(AF_INET6, text, addr) == 1) {
		*len = 16;
		return true;
	}
	return false;
}

static bool
has_ports(uint8_t proto)
{
	return proto == COMMUNITY_ID_TCP || proto == COMMUNITY_ID_UDP ||
	       proto == COMMUNITY_ID_SCTP;
}

bool
community_id_v1(char out[COMMUNITY_ID_SIZE], const char *src_ip,
    uint16_t src_port, const char *dst_ip, uint16_t dst_port, uint8_t proto,
    uint16_t seed)
{
	/* seed, two addresses, proto and padding, two ports: at most 40. */
	guint8 buf[2 + 16 + 16 + 2 + 4], a[16], b[16], digest[20];
	const guint8 *lo, *hi;
	uint16_t lo_port, hi_port;
	size_t alen, blen, n = 0;
	gsize dlen = sizeof digest;
	g_autoptr(GChecksum) sha1 = NULL;
	g_autofree char *b64 = NULL;
	int cmp;

	out[0] = '\0';
	/* ICMP (1) and ICMPv6 (58) map type and code to ports by a table
	 * (the spec's map_icmp_to_ports); no SMTP session needs it. */
	if (proto == 1 || proto == 58)
		return false;
	if (!parse_address(src_ip, a, &alen) ||
	    !parse_address(dst_ip, b, &blen) || alen != blen)
		return false;

	if (!has_ports(proto))
		src_port = dst_port = 0;

	/* Direction does not count: the smaller endpoint first. */
	cmp = memcmp(a, b, alen);
	if (cmp < 0 || (cmp == 0 && src_port <= dst_port)) {
		lo = a;
		lo_port = src_port;
		hi = b;
		hi_port = dst_port;
	} else {
		lo = b;
		lo_port = dst_port;
		hi = a;
		hi_port = src_port;
	}

	buf[n++] = (guint8)(seed >> 8);
	buf[n++] = (guint8)(seed & 0xff);
	memcpy(buf + n, lo, alen);
	n += alen;
	memcpy(buf + n, hi, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	if (has_ports(proto)) {
		buf[n++] = (guint8)(lo_port >> 8);
		buf[n++] = (guint8)(lo_port & 0xff);
		buf[n++] = (guint8)(hi_port >> 8);
		buf[n++] = (guint8)(hi_port & 0xff);
	}

	sha1 = g_checksum_new(G_CHECKSUM_SHA1);
	g_checksum_update(sha1, buf, (gssize)n);
	g_checksum_get_digest(sha1, digest, &dlen);
	g_assert(dlen == sizeof digest);
	b64 = g_base64_encode(digest, sizeof digest);
	g_assert(strlen(b64) + 3 == COMMUNITY_ID_SIZE);
	out[0] = '1';
	out[1] = ':';
	memcpy(out + 2, b64, COMMUNITY_ID_SIZE - 2);
	return true;
}
