/* SPDX-License-Identifier: GPL-2.0-or-later */
/* helo_check.c: HELO/EHLO name syntax.  RFC 5321 §4.1.1.1: the argument is
 * the client's primary host name (Domain) or an address literal
 * ("[192.0.2.1]", "[IPv6:2001:db8::1]", §4.1.3); labels follow RFC 1035
 * (letters, digits, hyphens, not starting or ending with a hyphen, at most
 * 63 bytes, 255 in all).  The classes mirror what receivers act on:
 * Postfix reject_invalid_helo_hostname / reject_non_fqdn_helo_hostname,
 * Haraka's helo.checks (bare IP, no dot). */
#include <arpa/inet.h>
#include <string.h>

#include <glib.h>

#include "helo_check.h"

static const char *const syntax_names[] = {
	[HELO_SYNTAX_FQDN] = "fqdn",
	[HELO_SYNTAX_LITERAL] = "address-literal",
	[HELO_SYNTAX_NOT_FQDN] = "not-fqdn",
	[HELO_SYNTAX_LOCALHOST] = "localhost",
	[HELO_SYNTAX_BARE_IP] = "bare-ip",
	[HELO_SYNTAX_TRAILING_DOT] = "trailing-dot",
	[HELO_SYNTAX_NON_ASCII] = "non-ascii",
	[HELO_SYNTAX_EMPTY] = "empty",
	[HELO_SYNTAX_INVALID] = "invalid",
};

const char *
helo_syntax_name(enum helo_syntax s)
{
	return (unsigned)s < G_N_ELEMENTS(syntax_names) ? syntax_names[s]
							: "invalid";
}

/* Is name a dotted hostname (labels of letters, digits, hyphens; UTF-8
 * letters allowed when utf8)?  Counts the dots. */
static bool
valid_hostname(const char *p, size_t len, bool utf8, int *dots)
{
	size_t i, label = 0;
	unsigned char c;

	*dots = 0;
	if (len == 0 || len > 255)
		return false;
	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c == '.') {
			if (label == 0 || p[i - 1] == '-')
				return false;
			(*dots)++;
			label = 0;
			continue;
		}
		if (c == '-' && label == 0)
			return false;
		if (!g_ascii_isalnum(c) && c != '-' && !(utf8 && c >= 0x80))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && p[len - 1] != '-';
}

void
helo_check_syntax(
    const char *name, size_t len, bool smtputf8, struct helo_name *out)
{
	g_autofree char *s = NULL;
	struct in6_addr a6;
	struct in_addr a4;
	bool high = false;
	size_t i;
	int dots;

	memset(out, 0, sizeof *out);
	if (len == 0) {
		out->syntax = HELO_SYNTAX_EMPTY;
		return;
	}
	if (memchr(name, '\0', len) != NULL || len > 255) {
		out->syntax = HELO_SYNTAX_INVALID;
		return;
	}
	s = g_strndup(name, len);
	if (s[0] == '[' && s[len - 1] == ']') {
		char *in = s + 1;

		s[len - 1] = '\0';
		out->syntax = HELO_SYNTAX_INVALID;
		if (g_ascii_strncasecmp(in, "IPv6:", 5) == 0) {
			if (inet_pton(AF_INET6, in + 5, &a6) == 1) {
				out->syntax = HELO_SYNTAX_LITERAL;
				out->literal_v6 = true;
				inet_ntop(AF_INET6, &a6, out->literal,
				    sizeof out->literal);
			}
		} else if (inet_pton(AF_INET, in, &a4) == 1) {
			out->syntax = HELO_SYNTAX_LITERAL;
			inet_ntop(
			    AF_INET, &a4, out->literal, sizeof out->literal);
		}
		return;
	}
	if (inet_pton(AF_INET, s, &a4) == 1 ||
	    inet_pton(AF_INET6, s, &a6) == 1) {
		out->syntax = HELO_SYNTAX_BARE_IP;
		g_strlcpy(out->literal, s, sizeof out->literal);
		return;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			high = true;
	if (high && (!smtputf8 || !g_utf8_validate(s, (gssize)len, NULL))) {
		out->syntax =
		    smtputf8 ? HELO_SYNTAX_INVALID : HELO_SYNTAX_NON_ASCII;
		return;
	}
	if (len > 1 && s[len - 1] == '.') {
		/* Valid in DNS, but not in RFC 5321's Domain. */
		out->syntax = valid_hostname(s, len - 1, smtputf8, &dots)
				  ? HELO_SYNTAX_TRAILING_DOT
				  : HELO_SYNTAX_INVALID;
		return;
	}
	if (!valid_hostname(s, len, smtputf8, &dots)) {
		out->syntax = HELO_SYNTAX_INVALID;
		return;
	}
	if (g_ascii_strcasecmp(s, "localhost") == 0 ||
	    g_ascii_strcasecmp(s, "localhost.localdomain") == 0) {
		out->syntax = HELO_SYNTAX_LOCALHOST;
		return;
	}
	out->syntax = dots == 0 ? HELO_SYNTAX_NOT_FQDN : HELO_SYNTAX_FQDN;
}
