/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proxy.h: the proxy preamble at the start of a TCP connection, before the
 * protocol it tunnels (SMTP): HTTP CONNECT, SOCKS4 and 4a, SOCKS5.  Bytes
 * of both directions go in (in capture order); what comes out is where
 * each direction's tunnelled data starts, the outcome (established,
 * refused, failed), the destination asked for, the proxy's answer, and
 * what the client proved to the proxy.  No I/O, no pcap or libnids types.
 *
 * Byte layouts relied on (numbers in network order; sizes in bytes):
 *
 * HTTP CONNECT (RFC 9110 §9.3.6, RFC 9112 §3.2.3, §6.3; RFC 9110 §11.7.2,
 * §15.5.8 for 407 and Proxy-Authorization; RFC 7617 for Basic):
 *     client  CONNECT SP host:port SP HTTP/1.x CRLF   (host: name, IPv4,
 *             *(field: value CRLF) CRLF                or [IPv6])
 *     proxy   HTTP/1.x SP code [SP reason] CRLF
 *             *(field: value CRLF) CRLF  [a body, non-2xx only]
 *     Proxy-Authorization: Basic base64("user:password")
 *     Any 2xx opens the tunnel (its Content-Length is ignored, as §9.3.6
 *     requires); 1xx is skipped; anything else refuses: its body is
 *     skipped by Content-Length, and the client may try again on the same
 *     connection (the 407 dance of NTLM, Negotiate, Basic after a
 *     challenge).  A refusal without Content-Length (or chunked) runs to
 *     the end of the connection.
 *
 * SOCKS4 (Ying-Da Lee, "SOCKS: A protocol for TCP proxy across
 * firewalls"; "SOCKS 4A: A Simple Extension to SOCKS 4 Protocol"):
 *     client  VN=4 | CD=1 | DSTPORT (2) | DSTIP (4) | USERID | NUL
 *             4a: DSTIP = 0.0.0.x (x != 0), and after USERID's NUL:
 *             HOSTNAME | NUL
 *     proxy   VN=0 | CD | DSTPORT (2) | DSTIP (4)   (8 bytes)
 *             CD 90 granted; 91 rejected or failed; 92 rejected: no
 *             identd on the client; 93 rejected: identd's user id differs
 *     CD=2 (BIND) is not followed.  USERID and HOSTNAME have no limit in
 *     the documents; we keep 255 bytes each.
 *
 * SOCKS5 (RFC 1928) and its user/password method (RFC 1929):
 *     client  VER=5 | NMETHODS (1..255) | METHODS (NMETHODS)
 *     proxy   VER=5 | METHOD        00 none, 01 GSSAPI, 02 user/password,
 *                                   FF none acceptable
 *     client  VER=1 | ULEN | UNAME (ULEN) | PLEN | PASSWD (PLEN)  [RFC 1929]
 *     proxy   VER=1 | STATUS        00 success, other: failure  [RFC 1929]
 *     client  VER=5 | CMD | RSV=0 | ATYP | DST.ADDR | DST.PORT (2)
 *             CMD 01 CONNECT (02 BIND, 03 UDP ASSOCIATE: not followed);
 *             ATYP 01 IPv4 (4), 03 domain (1 length, then the name),
 *             04 IPv6 (16)
 *     proxy   VER=5 | REP | RSV=0 | ATYP | BND.ADDR | BND.PORT (2)
 *             REP 00 succeeded, 01 general failure, 02 not allowed by
 *             ruleset, 03 network unreachable, 04 host unreachable,
 *             05 connection refused, 06 TTL expired, 07 command not
 *             supported, 08 address type not supported
 *     Methods other than 00 and 02 (GSSAPI's RFC 1961 messages and what
 *     they may encapsulate) are not followed: failed.
 *
 * Splitting.  Each direction is read by its own structure, so the result
 * does not depend on how the bytes are split into pushes, nor on whether
 * the client waited for the proxy's replies: a pipelining client's SOCKS5
 * greeting, RFC 1929 request and CONNECT request (or HTTP request and the
 * SMTP that follows it) in one segment are split where each ends.  The
 * client's tunnelled data starts right after its last request; the
 * proxy's right after its success reply.  Client bytes pushed before the
 * proxy's answer are returned as tunnelled data (and counted in
 * client_early) even though the answer may still refuse them.  Once the
 * proxy refused, or the parser failed, nothing more is tunnelled: every
 * later byte of either direction is counted as preamble.  A client still
 * in its preamble at a refusal (it sent on without waiting) is read to
 * the end of it, so that what it asked for does not depend on timing; a
 * new HTTP CONNECT after a refusal with a body of known length is a new
 * attempt.
 *
 * Limits.  An HTTP line is at most PROXY_LINE_MAX bytes (Apache's
 * LimitRequestFieldSize is 8190), a header block PROXY_HEAD_MAX (Squid's
 * request_header_max_size); a SOCKS4 user id or host name 255 bytes.
 * Beyond: failed, "preamble too long".  What a connection holds is at most
 * one partial line or message per direction, and it is wiped before it is
 * given back (a password may be in it).
 *
 * Secrets.  Credentials are never kept: only the scheme, the user name
 * when it is printable text (UTF-8 without control characters; Basic's
 * part before the colon, RFC 1929's UNAME, SOCKS4's USERID), and whether
 * a password was sent and its length.  Decoded Basic credentials are
 * wiped after the name is taken from them. */
#ifndef RS_PROXY_H
#define RS_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest HTTP line (without its line end), and header block. */
#define PROXY_LINE_MAX 8192
#define PROXY_HEAD_MAX (64 * 1024)

#define PROXY_KIND_LIST(X)                                                     \
	X(NONE, "none")	  /* not a proxy preamble */                           \
	X(MAYBE, "maybe") /* plausible so far: more bytes are needed */        \
	X(HTTP, "http-connect")                                                \
	X(SOCKS4, "socks4") /* SOCKS4 and SOCKS4a */                           \
	X(SOCKS5, "socks5")

enum proxy_kind {
#define PROXY_KIND_ENUM(id, name) PROXY_##id,
	PROXY_KIND_LIST(PROXY_KIND_ENUM)
#undef PROXY_KIND_ENUM
	    PROXY_KIND_COUNT
};

#define PROXY_STATE_LIST(X)                                                    \
	X(NEGOTIATING, "negotiating") /* no outcome yet */                     \
	X(ESTABLISHED, "established") /* the proxy opened the tunnel */        \
	X(REFUSED, "refused")	      /* the proxy said no (reply_code, or     \
				       * auth_status, or method 0xff) */       \
	X(FAILED, "failed")	      /* not followed: reason says why */

enum proxy_state {
#define PROXY_STATE_ENUM(id, name) PROXY_STATE_##id,
	PROXY_STATE_LIST(PROXY_STATE_ENUM)
#undef PROXY_STATE_ENUM
	    PROXY_STATE_COUNT
};

/* Oddities tolerated (real clients and proxies send them), as bits of
 * proxy_info.quirks. */
#define PROXY_QUIRK_LIST(X)                                                    \
	X(EXTRA_TOKENS, "extra-request-tokens") /* CONNECT h:25 / HTTP/1.0 */  \
	X(HEADER_NO_COLON, "header-without-colon")                             \
	X(FOLDED_HEADER, "folded-header") /* obs-fold (RFC 9112 §5.2) */      \
	X(BARE_LF, "bare-lf")		  /* an HTTP line ended by LF alone */ \
	X(BAD_BASIC, "bad-basic-credentials")  /* not base64, or no colon */   \
	X(REPLY_VERSION, "reply-version")      /* SOCKS4 reply VN 4, RFC 1929  \
						* status VER 5 */              \
	X(RESERVED_SET, "reserved-not-zero")   /* SOCKS5 RSV */                \
	X(SHORT_REPLY, "short-reply")	       /* a SOCKS refusal cut short */ \
	X(AFTER_REFUSAL, "data-after-refusal") /* client bytes after a         \
						* refusal, not a new try */

enum proxy_quirk {
#define PROXY_QUIRK_ENUM(id, name) PROXY_QUIRK_##id,
	PROXY_QUIRK_LIST(PROXY_QUIRK_ENUM)
#undef PROXY_QUIRK_ENUM
	    PROXY_QUIRK_COUNT
};

/* What the destination host is. */
enum proxy_addr {
	PROXY_ADDR_NONE, /* not known yet */
	PROXY_ADDR_NAME, /* a host name (SOCKS4a, SOCKS5 ATYP 3, HTTP) */
	PROXY_ADDR_IPV4,
	PROXY_ADDR_IPV6,
};

/* What is known of one connection's preamble.  Strings are owned by the
 * connection (valid until the next push or proxy_conn_free()), taken from
 * the wire unescaped: print them through output_escape().  The fields
 * under "the last attempt" start again with each new HTTP CONNECT. */
struct proxy_info {
	enum proxy_kind kind;	/* HTTP, SOCKS4 or SOCKS5 */
	enum proxy_state state; /* what proxy_conn_state() says */
	const char *reason;	/* FAILED: why (static text); else NULL */
	unsigned quirks;	/* 1u << PROXY_QUIRK_x, over the connection */
	unsigned attempts;	/* requests made (an HTTP retry counts) */

	/* The destination asked for, in the last request. */
	char *host;	       /* name or address as text; NULL until known */
	uint16_t port;	       /* 0 until known */
	enum proxy_addr addr;  /* what host is */
	bool socks4a;	       /* SOCKS4 with a host name (0.0.0.x) */
	uint64_t client_early; /* tunnelled client bytes sent before the
				* proxy's success reply (pipelined) */

	/* Authentication, in the last attempt. */
	uint8_t methods[255];  /* SOCKS5: methods the client offered */
	unsigned n_methods;    /* how many */
	int method;	       /* SOCKS5: method the proxy chose, or -1 */
	char *auth_scheme;     /* HTTP: Proxy-Authorization's scheme as
				* sent ("Basic"); NULL without one */
	char *challenge;       /* HTTP: the first Proxy-Authenticate scheme
				* of the last reply that had one; NULL
				* without one */
	char *user;	       /* printable user name (Basic, RFC 1929,
				* SOCKS4 USERID); NULL otherwise */
	bool credentials_sent; /* Proxy-Authorization, RFC 1929 request */
	bool password_sent;    /* a non-empty password, or the token of
				* a scheme other than Basic */
	size_t password_len;   /* Basic, RFC 1929: its length, no more */
	int auth_status;       /* RFC 1929 STATUS, or -1 */
	bool auth_demanded;    /* the proxy asked for credentials (407, or
				* SOCKS5 method 02), in any attempt */
	bool authenticated;    /* the proxy accepted credentials: RFC 1929
				* STATUS 0, or HTTP 2xx to a request with
				* Proxy-Authorization (a proxy that ignores
				* them cannot be told apart) */

	/* The proxy's answer to the last request. */
	int reply_code;	  /* HTTP status, SOCKS4 CD, SOCKS5 REP; or -1 */
	char *reply_text; /* HTTP reason phrase; NULL for SOCKS (there,
			   * proxy_reply_name()) */
};

struct proxy_conn;

/* Is this, from the client's first n bytes, a proxy preamble?  PROXY_MAYBE
 * while the bytes seen fit one but do not decide (n == 0 too); then
 * PROXY_HTTP, PROXY_SOCKS4 or PROXY_SOCKS5 once the first request is
 * whole and valid (HTTP: its request line; SOCKS4: the request; SOCKS5:
 * the greeting, and the byte after it, if any, begins RFC 1929 or a
 * request), else PROXY_NONE.  SMTP commands, TLS records and other HTTP
 * methods are PROXY_NONE from their first byte. */
enum proxy_kind proxy_sniff(const uint8_t *p, size_t n);

/* A new connection of a known kind (HTTP, SOCKS4, SOCKS5); NULL for any
 * other.  Caller owns it. */
struct proxy_conn *proxy_conn_new(enum proxy_kind kind);
/* Free a connection, wiping what it holds (accepts NULL). */
void proxy_conn_free(struct proxy_conn *pc);
/* A finished preamble that holds *info (whose strings it takes over):
 * what a decoded dialogue carries (dlg_codec.h); caller owns it.  NULL
 * for a kind that is no proxy. */
struct proxy_conn *proxy_conn_adopt(const struct proxy_info *info);
/* Feed n bytes of one direction (from_server: proxy to client).  Returns
 * how many of them, from the start, belong to the preamble; the rest is
 * tunnelled data, for the tunnelled protocol's parser.  Hostile input is
 * safe; any split of the same bytes gives the same result. */
size_t proxy_conn_push(
    struct proxy_conn *pc, bool from_server, const uint8_t *p, size_t n);
/* The connection ended: a SOCKS refusal cut short (VER and code seen) is
 * taken as the refusal it began; what is held is wiped.  Pushes after
 * this are not expected. */
void proxy_conn_end(struct proxy_conn *pc);
/* Where the negotiation is. */
enum proxy_state proxy_conn_state(const struct proxy_conn *pc);
/* Everything known (borrowed, valid while pc lives). */
const struct proxy_info *proxy_conn_info(const struct proxy_conn *pc);
/* The proxy opened the tunnel for a client that did not authenticate to
 * it: what the "open-proxy-mail" finding rests on, when mail went
 * through. */
bool proxy_conn_open_tunnel(const struct proxy_conn *pc);
/* The bytes the connection holds (budget.h sizes): itself, its strings
 * and its partial messages. */
size_t proxy_conn_mem(const struct proxy_conn *pc);

/* Names: "socks5", "established", "bare-lf". */
const char *proxy_kind_name(enum proxy_kind k);
const char *proxy_state_name(enum proxy_state s);
const char *proxy_quirk_name(enum proxy_quirk q);
/* A SOCKS reply code's name ("connection refused"): SOCKS4 CD, SOCKS5 REP;
 * NULL for HTTP and for codes without one. */
const char *proxy_reply_name(enum proxy_kind k, int code);
/* A SOCKS5 method's name ("username/password"), or NULL. */
const char *proxy_method_name(int method);

#endif
