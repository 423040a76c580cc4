/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dns.h: passive DNS: answers seen in the capture (RFC 1035), kept per
 * name, so that analysis of a capture needs no live lookup. */
#ifndef RS_DNS_H
#define RS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

/* Records kept at most; later answers are counted, not kept. */
#define DNS_MAX_RECORDS 100000

struct dns_store;

/* A new, empty store; caller owns it. */
struct dns_store *dns_store_new(void);
/* Free a store (accepts NULL). */
void dns_store_free(struct dns_store *s);
/* Read one DNS message (a UDP payload, or a TCP message without its
 * length prefix) seen at ts; answers of responses are kept (A, AAAA, MX,
 * CNAME, PTR).  Returns false if the message is malformed. */
bool dns_store_add_message(
    struct dns_store *s, const uint8_t *msg, size_t len, gint64 ts);
/* The MX exchanges of a domain (lower case, no trailing dot), or NULL;
 * borrowed. */
const GPtrArray *dns_store_mx(const struct dns_store *s, const char *domain);
/* The addresses (text) a name resolved to, or NULL; borrowed. */
const GPtrArray *dns_store_addresses(
    const struct dns_store *s, const char *name);
/* Answers that did not fit (DNS_MAX_RECORDS). */
uint64_t dns_store_dropped(const struct dns_store *s);

#endif
