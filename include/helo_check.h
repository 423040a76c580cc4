/* SPDX-License-Identifier: GPL-2.0-or-later */
/* helo_check.h: the syntax of a HELO/EHLO name (RFC 5321 §4.1.1.1,
 * §4.1.3, §2.3.5) - the first part of the EHLO identity check. */
#ifndef RS_HELO_CHECK_H
#define RS_HELO_CHECK_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
