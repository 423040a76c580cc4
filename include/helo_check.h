/* SPDX-License-Identifier: GPL-2.0-or-later */
/* helo_check.h: the EHLO/HELO identity check: the syntax of the name
 * (RFC 5321 §4.1.1.1, §4.1.3, §2.3.5), an address literal against the
 * client's address, and the name against the DNS (forward lookup,
 * reverse lookup, forward-confirmed reverse DNS), each fact with its
 * source.  No I/O: live lookups come through a callback. */
#ifndef RS_HELO_CHECK_H
#define RS_HELO_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "dns.h"

struct dialogue;

/* What the name is, syntactically. */
enum helo_syntax {
	HELO_SYNTAX_FQDN,	  /* a valid, fully qualified domain */
	HELO_SYNTAX_LITERAL,	  /* a valid address literal */
	HELO_SYNTAX_NOT_FQDN,	  /* a valid name without a dot */
	HELO_SYNTAX_LOCALHOST,	  /* localhost, localhost.localdomain */
	HELO_SYNTAX_BARE_IP,	  /* an IP address without brackets */
	HELO_SYNTAX_TRAILING_DOT, /* "mx.example.com." */
	HELO_SYNTAX_NON_ASCII,	  /* UTF-8 without SMTPUTF8 */
	HELO_SYNTAX_EMPTY,
	HELO_SYNTAX_INVALID, /* bad characters or labels */
};

struct helo_name {
	enum helo_syntax syntax;
	char literal[48]; /* address of a literal or bare IP, as text */
	bool literal_v6;
};

/* Check a HELO/EHLO argument of len bytes.  smtputf8: the server offered
 * SMTPUTF8, so UTF-8 names are allowed (RFC 6531). */
void helo_check_syntax(
    const char *name, size_t len, bool smtputf8, struct helo_name *out);
/* The name of a syntax class ("not-fqdn"). */
const char *helo_syntax_name(enum helo_syntax s);
/* A phrase for people ("an IP address without the brackets ..."). */
const char *helo_syntax_describe(enum helo_syntax s);

#define HELO_RESULT_LIST(X)                                                    \
	X(MATCH, "match")                                                      \
	X(MISMATCH, "mismatch")                                                \
	X(LITERAL_MISMATCH, "literal-mismatch")                                \
	X(NOT_FQDN, "not-fqdn")                                                \
	X(INVALID, "invalid")                                                  \
	X(UNKNOWN, "unknown")

enum helo_result {
#define HELO_RESULT_ENUM(id, name) HELO_RESULT_##id,
	HELO_RESULT_LIST(HELO_RESULT_ENUM)
#undef HELO_RESULT_ENUM
	    HELO_RESULT_COUNT
};

/* Three-valued answers: yes, no, or no evidence. */
enum helo_tri {
	HELO_NO = 0,
	HELO_YES = 1,
	HELO_UNKNOWN = -1,
};

struct helo_report {
	enum helo_result result;
	char *name; /* the argument as sent; owned */
	char client_ip[48];
	struct helo_name syntax;
	enum helo_tri forward;	   /* the name's A/AAAA hold the client */
	enum helo_tri fcrdns;	   /* a PTR name's A/AAAA hold the client */
	enum helo_tri name_is_ptr; /* the name is one of the PTR names */
	GPtrArray *addresses;	   /* char *: the name's addresses; owned */
	GPtrArray *ptr_names;	   /* char *: the client's PTR names; owned */
	GPtrArray *evidence;	   /* struct dns_fact *; owned */
	bool server_rejected;	   /* the server refused the name or host */
	char *server_reply;	   /* that reply, "450 4.7.25 ..."; owned */
};

/* The decision table: the result from the syntax class, whether a literal
 * equals the client's address, and the forward check. */
enum helo_result helo_decide(
    enum helo_syntax syntax, bool literal_matches, enum helo_tri forward);
/* Check name (len bytes) given by client_ip against the view.  Questions
 * the view cannot answer are appended to missing (if not NULL). */
struct helo_report *helo_check_name(const char *name, size_t len, bool smtputf8,
    const char *client_ip, const struct dns_view *v, GPtrArray *missing);
/* Check the session's last HELO/EHLO: set d->helo_check (NULL if the
 * client never sent one), link the server's HELO/client-host rejections,
 * and append an ehlo-mismatch finding to d->findings when the name is not
 * backed.  With resolve, questions the view cannot answer are passed to
 * it and the check is repeated (a few rounds: CNAME and PTR chains). */
void helo_check_annotate(struct dialogue *d, const struct dns_view *v,
    dns_resolve_fn resolve, void *ctx);
/* Free a report (accepts NULL). */
void helo_report_free(struct helo_report *r);
/* "match", "literal-mismatch", ... */
const char *helo_result_name(enum helo_result r);
/* "yes", "no", "unknown". */
const char *helo_tri_name(enum helo_tri t);

#endif
