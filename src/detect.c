/* SPDX-License-Identifier: GPL-2.0-or-later */
/* detect.c: SMTP recognised by its first bytes (detect.h).
 *
 * The rules, and why (docs/architecture.md, "Finding SMTP by its
 * content"):
 *  - a server greets with 220, or refuses with 421 or 554 (RFC 5321
 *    §3.1, §4.3.2); FTP greets with 220 too (RFC 959), so a greeting
 *    that names FTP is not SMTP, one that names SMTP or mail is, and
 *    one that names neither waits for the client's first line;
 *  - a client's first line is EHLO or HELO (RFC 5321 §4.1.4), also when
 *    it speaks before the greeting; any other SMTP verb first is SMTP
 *    only if the server greets like SMTP;
 *  - a ClientHello first is TLS: mail only on a mail port or towards a
 *    server known to speak SMTP (the caller decides);
 *  - HTTP CONNECT (RFC 9110 §9.3.6) and SOCKS4/4a/5 (RFC 1928) first
 *    are proxies: what they tunnel decides.
 * Every function reads at most the bytes given and decides on a prefix
 * only when the prefix suffices (DETECT_NONE: send more).
 */
#include <string.h>

#include <glib.h>

#include "detect.h"

/* A line longer than this is not an SMTP greeting or command for
 * detection's purposes (RFC 5321 §4.5.3.1.4-5: 512 octets). */
#define DETECT_LINE 512
/* Bytes of a first payload read for the words that name a protocol. */
#define DETECT_SCAN 1024

static bool
ci_prefix(const uint8_t *p, size_t n, const char *w)
{
	size_t i, l = strlen(w);

	if (n < l)
		return false;
	for (i = 0; i < l; i++)
		if (g_ascii_toupper(p[i]) != w[i])
			return false;
	return true;
}

/* Does p[0..n) hold the word w (upper case), in any case? */
static bool
ci_contains(const uint8_t *p, size_t n, const char *w)
{
	size_t i, l = strlen(w);

	if (n > DETECT_SCAN)
		n = DETECT_SCAN;
	for (i = 0; i + l <= n; i++)
		if (g_ascii_toupper(p[i]) == w[0] && ci_prefix(p + i, n - i, w))
			return true;
	return false;
}

/* The first line: printable text up to CRLF (or LF).  Returns its
 * length without the line end, or -1 if a byte is not text, or -2 if no
 * line end is in p (yet). */
static long
text_line(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < DETECT_LINE; i++) {
		if (p[i] == '\n')
			return (long)(i > 0 && p[i - 1] == '\r' ? i - 1 : i);
		if (p[i] == '\r' && i + 1 < n && p[i + 1] != '\n')
			return -1;
		if (p[i] != '\r' && p[i] != '\t' &&
		    (p[i] < 0x20 || p[i] > 0x7e))
			return -1;
	}
	return i < DETECT_LINE ? -2 : -1;
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* A reply code at p: three digits, the first 2-5, then SP, '-' or the
 * line end. */
static bool
reply_start(const uint8_t *p, size_t n)
{
	return n >= 4 && p[0] >= '2' && p[0] <= '5' && p[1] >= '0' &&
	       p[1] <= '5' && is_digit(p[2]) &&
	       (p[3] == ' ' || p[3] == '-' || p[3] == '\r' || p[3] == '\n');
}

static bool
greeting_start(const uint8_t *p, size_t n)
{
	return reply_start(p, n) &&
	       (memcmp(p, "220", 3) == 0 || memcmp(p, "421", 3) == 0 ||
		   memcmp(p, "554", 3) == 0);
}

enum detect_look
detect_server_first(const uint8_t *p, size_t n)
{
	long l;

	if (n < 4) {
		/* "22", "4", ...: a greeting may follow. */
		size_t i;

		for (i = 0; i < n; i++)
			if (!is_digit(p[i]))
				return DETECT_NO;
		return n == 0 || p[0] == '2' || p[0] == '4' || p[0] == '5'
			   ? DETECT_NONE
			   : DETECT_NO;
	}
	if (!greeting_start(p, n))
		return DETECT_NO;
	l = text_line(p, n);
	if (l == -1)
		return DETECT_NO;
	if (ci_contains(p, n, "FTP"))
		return DETECT_NO;
	if (ci_contains(p, n, "SMTP") || ci_contains(p, n, "MAIL"))
		return DETECT_SMTP;
	return l == -2 ? DETECT_NONE : DETECT_GREETING;
}

/* The verbs that make a first line SMTP (RFC 5321 §4.1, RFC 3207,
 * RFC 4954, RFC 3030). */
static const char *const smtp_verbs[] = { "MAIL", "RCPT", "DATA", "BDAT",
	"RSET", "QUIT", "NOOP", "VRFY", "EXPN", "HELP", "STARTTLS", "AUTH",
	NULL };

/* The length of the first word (letters), or 0. */
static size_t
word_len(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 16 && g_ascii_isalpha(p[i]); i++)
		;
	return i;
}

static bool
word_is(const uint8_t *p, size_t len, const char *w)
{
	return len == strlen(w) && ci_prefix(p, len, w);
}

static bool
word_end(const uint8_t *p, size_t n, size_t len)
{
	return len < n && (p[len] == ' ' || p[len] == '\r' || p[len] == '\n');
}

enum detect_look
detect_client_first(const uint8_t *p, size_t n)
{
	size_t len, i;

	if (n == 0)
		return DETECT_NONE;
	if (p[0] == 0x16) {
		/* TLS handshake record (RFC 8446 §5.1): version 3.x. */
		if (n < 6)
			return (n < 2 || p[1] == 3) && (n < 3 || p[2] <= 4)
				   ? DETECT_NONE
				   : DETECT_NO;
		return p[1] == 3 && p[2] <= 4 && p[5] == 1 ? DETECT_TLS
							   : DETECT_NO;
	}
	if (p[0] == 5) {
		/* SOCKS5 greeting: version, method count, methods. */
		if (n < 2)
			return DETECT_NONE;
		if (p[1] == 0 || p[1] > 32)
			return DETECT_NO;
		if (n < 2u + p[1])
			return DETECT_NONE;
		for (i = 2; i < 2u + p[1]; i++)
			if (p[i] > 9 && p[i] < 0x80)
				return DETECT_NO;
		return DETECT_PROXY;
	}
	if (p[0] == 4) {
		/* SOCKS4 request: version, CONNECT, port, IPv4, user id NUL. */
		if (n < 2)
			return DETECT_NONE;
		if (p[1] != 1)
			return DETECT_NO;
		if (n < 9)
			return DETECT_NONE;
		return memchr(p + 8, 0, n - 8) != NULL ? DETECT_PROXY
						       : DETECT_NONE;
	}
	if (n >= 8 && memcmp(p, "CONNECT ", 8) == 0)
		return DETECT_PROXY;
	if (n < 8 && memcmp(p, "CONNECT ", n) == 0)
		return DETECT_NONE;
	len = word_len(p, n);
	if (len == n && n < 16)
		return DETECT_NONE; /* the word goes on */
	if (!word_end(p, n, len))
		return DETECT_NO;
	if (text_line(p, n) == -1)
		return DETECT_NO;
	if (word_is(p, len, "EHLO") || word_is(p, len, "HELO"))
		return DETECT_SMTP;
	if (word_is(p, len, "AUTH") && (ci_prefix(p + len, n - len, " TLS") ||
					   ci_prefix(p + len, n - len, " SSL")))
		return DETECT_NO; /* FTP's AUTH (RFC 4217) */
	for (i = 0; smtp_verbs[i] != NULL; i++)
		if (word_is(p, len, smtp_verbs[i]))
			return DETECT_COMMAND;
	return DETECT_NO;
}

bool
detect_midstream(const uint8_t *p, size_t n, bool *from_server)
{
	size_t len;
	long l = text_line(p, n);

	if (l < 0)
		return false;
	if (reply_start(p, n)) {
		*from_server = true;
		return true;
	}
	len = word_len(p, n);
	if (!word_end(p, n, len))
		return false;
	*from_server = false;
	if (word_is(p, len, "MAIL"))
		return ci_prefix(p + len, n - len, " FROM:");
	if (word_is(p, len, "RCPT"))
		return ci_prefix(p + len, n - len, " TO:");
	if (word_is(p, len, "EHLO") || word_is(p, len, "HELO") ||
	    word_is(p, len, "AUTH") || word_is(p, len, "BDAT"))
		return p[len] == ' ';
	if (word_is(p, len, "DATA") || word_is(p, len, "QUIT") ||
	    word_is(p, len, "RSET") || word_is(p, len, "STARTTLS"))
		return (size_t)l == len;
	return false;
}

bool
detect_tunnel(const uint8_t *p, size_t n, bool from_server)
{
	size_t i;

	if (n > DETECT_SCAN)
		n = DETECT_SCAN;
	for (i = 0; i < n; i++) {
		if (i > 0 && p[i - 1] != '\n')
			continue;
		if (from_server && greeting_start(p + i, n - i))
			return true;
		if (!from_server && (ci_prefix(p + i, n - i, "EHLO ") ||
					ci_prefix(p + i, n - i, "HELO ")))
			return true;
	}
	return false;
}

uint16_t
detect_proxy_port(const uint8_t *p, size_t n)
{
	const uint8_t *sp, *colon = NULL;
	size_t i;
	unsigned port = 0;

	if (n >= 9 && p[0] == 4 && p[1] == 1)
		return (uint16_t)(p[2] << 8 | p[3]);
	if (n < 9 || memcmp(p, "CONNECT ", 8) != 0)
		return 0;
	if (n > DETECT_LINE)
		n = DETECT_LINE;
	sp = memchr(p + 8, ' ', n - 8);
	if (sp == NULL)
		return 0;
	for (i = 8; p + i < sp; i++)
		if (p[i] == ':')
			colon = p + i;
	if (colon == NULL || colon + 1 == sp || sp - colon > 6)
		return 0;
	for (colon++; colon < sp; colon++) {
		if (!is_digit(*colon))
			return 0;
		port = port * 10 + (unsigned)(*colon - '0');
	}
	return port <= 65535 ? (uint16_t)port : 0;
}

bool
detect_tls_port(uint16_t port)
{
	return port == 465;
}
