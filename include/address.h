/* SPDX-License-Identifier: GPL-2.0-or-later */
/* address.h: envelope addresses, and the relay tricks hidden in them. */
#ifndef RS_ADDRESS_H
#define RS_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Relay tricks (the forms nmap's smtp-open-relay tries); bit flags. */
#define ADDRESS_TRICK_LIST(X)                                                  \
	X(PERCENT, 0x01, "percent-hack")      /* u%other@local */              \
	X(BANG, 0x02, "bang-path")	      /* other!u */                    \
	X(SOURCE_ROUTE, 0x04, "source-route") /* @local:u@other */             \
	X(QUOTED_AT, 0x08, "quoted-at")	      /* "u@other"@local */            \
	X(DOUBLE_AT, 0x10, "double-at")	      /* u@other@local */

enum address_trick {
#define ADDRESS_TRICK_ENUM(id, bit, name) ADDRESS_TRICK_##id = bit,
	ADDRESS_TRICK_LIST(ADDRESS_TRICK_ENUM)
#undef ADDRESS_TRICK_ENUM
};

struct address {
	char *local;	    /* local part as written (quotes kept); owned */
	char *domain;	    /* the domain the server is asked to take the
			     * mail for: after the last unquoted '@', or the
			     * first hop of a source route; lower case; NULL
			     * if the address has none; owned */
	char *final_domain; /* where the mail would really go if the server
			     * followed the trick; equals domain without
			     * tricks; NULL if none; owned */
	unsigned tricks;    /* ADDRESS_TRICK_* bits */
};

/* Parse a path as found between the angle brackets of MAIL or RCPT.
 * Never fails; unparsable input gives what could be recognised. */
void address_parse(const char *path, struct address *out);
/* Free what a parsed address holds. */
void address_clear(struct address *a);
/* Is this domain an address literal ("[192.0.2.1]")? */
bool address_is_literal(const char *domain);
/* Where an IP address is: loopback, private (RFC 1918, RFC 6598, link
 * local, RFC 4193) or anywhere else.  A capture behind NAT sees private
 * addresses where the DNS has public ones: only addresses of the same
 * scope compare. */
enum address_scope {
	ADDRESS_SCOPE_PUBLIC,
	ADDRESS_SCOPE_PRIVATE,
	ADDRESS_SCOPE_LOOPBACK,
};
/* The scope of an address in text form (not an address: public). */
enum address_scope address_scope(const char *ip);
/* "192.0.2.25", "192.0.2.25:587", "2001:db8::25", "[2001:db8::25]" or
 * "[2001:db8::25]:587": the address in its canonical text (as GLib
 * writes it) into ip, and the port (1-65535; 0 when none is given);
 * false for anything else. */
bool address_parse_endpoint(
    const char *spec, char *ip, size_t ipsz, uint16_t *port);
/* Are two addresses in text form the same (IPv4-mapped IPv6 as IPv4)? */
bool address_same_ip(const char *a, const char *b);
/* The address inside a literal ("[192.0.2.1]", "[IPv6:2001:db8::1]")
 * into out; false if domain is not a literal of a valid address. */
bool address_literal_ip(const char *domain, char *out, size_t outsz);
/* The names of the tricks in a bit set, "percent-hack,bang-path" style,
 * in list order; caller owns the result ("" when none). */
char *address_tricks_names(unsigned tricks, const char *sep);

#endif
