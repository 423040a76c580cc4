/* SPDX-License-Identifier: GPL-2.0-or-later */
/* helo_report.h: what the EHLO/HELO identity check found, as the session
 * record keeps it (struct dialogue's helo_check), with the names its
 * values are printed as.  A part of the model: the writers read it and
 * the dialogue frees it without depending on the check (helo_check.h). */
#ifndef RS_HELO_REPORT_H
#define RS_HELO_REPORT_H

#include <stdbool.h>

#include <glib.h>

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

/* The name of a syntax class ("not-fqdn"). */
const char *helo_syntax_name(enum helo_syntax s);
/* A phrase for people ("an IP address without the brackets ..."). */
const char *helo_syntax_describe(enum helo_syntax s);

/* Free a report (accepts NULL). */
void helo_report_free(struct helo_report *r);
/* "match", "literal-mismatch", ... */
const char *helo_result_name(enum helo_result r);
/* "yes", "no", "unknown". */
const char *helo_tri_name(enum helo_tri t);

#endif
