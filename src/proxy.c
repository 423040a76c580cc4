/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proxy.c: the proxy preamble before a tunnelled protocol (the byte
 * layouts are in proxy.h): HTTP CONNECT (RFC 9110 §9.3.6, §11.7.2,
 * §15.5.8; RFC 9112 §2.2, §3.2.3, §5.2, §6.3; RFC 7617 Basic), SOCKS4 and
 * SOCKS4a, SOCKS5 (RFC 1928) with user/password (RFC 1929).
 *
 * Each direction reads one message at a time.  Its step says what the
 * next message is: how to find where it ends from the bytes seen (frame)
 * and what it means (handle).  A message wholly inside one push is read
 * in place; one split across pushes is gathered in the side's buffer,
 * bounded by the step's maximum.  Framing looks only at the bytes of the
 * message, so every split of the input frames the same messages.
 *
 * linebuf.c is not used for the HTTP lines: the same buffer gathers the
 * binary SOCKS messages, and it is wiped whenever it is given back, since
 * RFC 1929 passwords and Basic credentials pass through it.
 */
#include <arpa/inet.h>
#include <string.h>

#include <glib.h>

#include "budget.h"
#include "log.h"
#include "proxy.h"

/* A SOCKS4 USERID or HOSTNAME (the documents set no limit). */
#define SOCKS4_NAME_MAX 255
/* The longest SOCKS message: a SOCKS4a request with both names full
 * (RFC 1929's request is 513, RFC 1928's 262). */
#define SOCKS_MSG_MAX (8 + 2 * (SOCKS4_NAME_MAX + 1))
/* An HTTP line with its CRLF. */
#define HTTP_LINE_FRAME (PROXY_LINE_MAX + 2)
/* An authentication scheme kept (RFC 9110 §11.1 token). */
#define SCHEME_MAX 32

static const char TOO_LONG[] = "preamble too long";

/* Bytes of the input or of a side's buffer (struct strview is for text). */
struct span {
	const uint8_t *p;
	size_t len;
};

enum frame {
	FRAME_MORE, /* the message does not end in the bytes seen */
	FRAME_OK,   /* it ends: *len bytes */
	FRAME_BAD,  /* it cannot be one: *why says why */
};

enum side_mode {
	SIDE_PREAMBLE, /* reading negotiation messages */
	SIDE_TUNNEL,   /* the rest is tunnelled data */
	SIDE_ABSORB,   /* refused or failed: nothing more is tunnelled */
};

enum step {
	STEP_HTTP_REQUEST,	   /* client: request line */
	STEP_HTTP_REQUEST_HEADER,  /* client: a header line */
	STEP_HTTP_STATUS,	   /* proxy: status line */
	STEP_HTTP_RESPONSE_HEADER, /* proxy: a header line */
	STEP_S4_REQUEST,	   /* client: SOCKS4(a) request */
	STEP_S4_REPLY,		   /* proxy: SOCKS4 reply */
	STEP_S5_GREETING,	   /* client: version and methods */
	STEP_S5_AUTH_OR_REQUEST,   /* client: RFC 1929 request or request */
	STEP_S5_REQUEST,	   /* client: request (after RFC 1929) */
	STEP_S5_METHOD,		   /* proxy: method selection */
	STEP_S5_AUTH_STATUS,	   /* proxy: RFC 1929 status */
	STEP_S5_REPLY,		   /* proxy: reply */
};

struct side {
	enum side_mode mode;
	enum step step;
	uint8_t *buf;	    /* a partial message, allocated while held */
	size_t len, cap;    /* bytes in buf, its size */
	uint64_t skip;	    /* HTTP: bytes of a refusal's body to skip */
	size_t head;	    /* HTTP: bytes of the header block so far */
	uint64_t tunnelled; /* bytes returned as tunnelled data */
};

struct proxy_conn {
	struct proxy_info info;
	struct side side[2]; /* [0] client, [1] proxy */
	/* HTTP, the attempt and the response being read. */
	bool auth_seen;		/* this request's Proxy-Authorization read */
	int64_t content_length; /* -1: none; -2: unusable */
	bool chunked;		/* Transfer-Encoding given */
	bool challenged;	/* this response had a Proxy-Authenticate */
};

typedef enum frame frame_fn(
    const uint8_t *p, size_t n, size_t *len, const char **why);
typedef void handle_fn(struct proxy_conn *pc, const uint8_t *p, size_t len);

static frame_fn frame_line, frame_s4_request, frame_s4_reply, frame_s5_greeting,
    frame_s5_auth_or_request, frame_s5_request, frame_two, frame_s5_reply;
static handle_fn http_request_line, http_request_header, http_status_line,
    http_response_header, s4_request, s4_reply, s5_greeting, s5_auth_or_request,
    s5_request, s5_method, s5_auth_status, s5_reply;

static void enter_state(struct proxy_conn *pc, enum proxy_state st);
static void fail(struct proxy_conn *pc, const char *why);
static void establish(struct proxy_conn *pc);
static void refuse(struct proxy_conn *pc);
static void client_done(struct proxy_conn *pc);
static char *printable(const uint8_t *p, size_t n);
static void side_release(struct side *s);

/* What each step reads; max bounds what its buffer may hold. */
static const struct step_ops {
	frame_fn *frame;
	handle_fn *handle;
	size_t max;
} steps[] = {
	[STEP_HTTP_REQUEST] = { frame_line, http_request_line,
	    HTTP_LINE_FRAME },
	[STEP_HTTP_REQUEST_HEADER] = { frame_line, http_request_header,
	    HTTP_LINE_FRAME },
	[STEP_HTTP_STATUS] = { frame_line, http_status_line, HTTP_LINE_FRAME },
	[STEP_HTTP_RESPONSE_HEADER] = { frame_line, http_response_header,
	    HTTP_LINE_FRAME },
	[STEP_S4_REQUEST] = { frame_s4_request, s4_request, SOCKS_MSG_MAX },
	[STEP_S4_REPLY] = { frame_s4_reply, s4_reply, 8 },
	[STEP_S5_GREETING] = { frame_s5_greeting, s5_greeting, 257 },
	[STEP_S5_AUTH_OR_REQUEST] = { frame_s5_auth_or_request,
	    s5_auth_or_request, 513 },
	[STEP_S5_REQUEST] = { frame_s5_request, s5_request, 262 },
	[STEP_S5_METHOD] = { frame_two, s5_method, 2 },
	[STEP_S5_AUTH_STATUS] = { frame_two, s5_auth_status, 2 },
	[STEP_S5_REPLY] = { frame_s5_reply, s5_reply, 262 },
};

static const char *const kind_names[] = {
#define PROXY_KIND_NAME(id, name) [PROXY_##id] = name,
	PROXY_KIND_LIST(PROXY_KIND_NAME)
#undef PROXY_KIND_NAME
};

static const char *const state_names[] = {
#define PROXY_STATE_NAME(id, name) [PROXY_STATE_##id] = name,
	PROXY_STATE_LIST(PROXY_STATE_NAME)
#undef PROXY_STATE_NAME
};

static const char *const quirk_names[] = {
#define PROXY_QUIRK_NAME(id, name) [PROXY_QUIRK_##id] = name,
	PROXY_QUIRK_LIST(PROXY_QUIRK_NAME)
#undef PROXY_QUIRK_NAME
};

/* SOCKS4 CD values from 90, SOCKS5 REP values (RFC 1928 §6). */
static const char *const socks4_replies[] = {
	"request granted",
	"request rejected or failed",
	"rejected: cannot reach identd on the client",
	"rejected: identd reports another user id",
};

static const char *const socks5_replies[] = {
	"succeeded",
	"general SOCKS server failure",
	"connection not allowed by ruleset",
	"network unreachable",
	"host unreachable",
	"connection refused",
	"TTL expired",
	"command not supported",
	"address type not supported",
};

/* ---- names ---- */

const char *
proxy_kind_name(enum proxy_kind k)
{
	return (unsigned)k < PROXY_KIND_COUNT ? kind_names[k] : "?";
}

const char *
proxy_state_name(enum proxy_state s)
{
	return (unsigned)s < PROXY_STATE_COUNT ? state_names[s] : "?";
}

const char *
proxy_quirk_name(enum proxy_quirk q)
{
	return (unsigned)q < PROXY_QUIRK_COUNT ? quirk_names[q] : "?";
}

const char *
proxy_reply_name(enum proxy_kind k, int code)
{
	if (k == PROXY_SOCKS4 && code >= 90 &&
	    code < 90 + (int)G_N_ELEMENTS(socks4_replies))
		return socks4_replies[code - 90];
	if (k == PROXY_SOCKS5 && code >= 0 &&
	    code < (int)G_N_ELEMENTS(socks5_replies))
		return socks5_replies[code];
	return NULL;
}

/* RFC 1928 §3; other values are in IANA's registry or private. */
const char *
proxy_method_name(int method)
{
	switch (method) {
	case 0x00:
		return "no authentication";
	case 0x01:
		return "GSSAPI";
	case 0x02:
		return "username/password";
	case 0xff:
		return "no acceptable methods";
	}
	return NULL;
}

/* ---- sniffing ---- */

static bool
sniff_text(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

/* Strip the line end of a framed line (len includes the LF). */
static struct span
line_of(const uint8_t *p, size_t len, bool *bare_lf)
{
	struct span v = { p, len > 0 ? len - 1 : 0 };

	*bare_lf = !(v.len > 0 && p[v.len - 1] == '\r');
	if (!*bare_lf)
		v.len--;
	return v;
}

static bool
span_eq(struct span v, const char *s)
{
	return v.len == strlen(s) && memcmp(v.p, s, v.len) == 0;
}

static bool
span_caseeq(struct span v, const char *s)
{
	return v.len == strlen(s) &&
	       g_ascii_strncasecmp((const char *)v.p, s, v.len) == 0;
}

/* Is c one of set's characters?  (strchr() alone finds a NUL in any.) */
static bool
in_set(uint8_t c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* A reg-name (RFC 3986 §3.2.2: unreserved, sub-delims, pct-encoded). */
static bool
reg_name(struct span h)
{
	size_t i;

	if (h.len == 0 || h.len > 255)
		return false;
	for (i = 0; i < h.len; i++)
		if (!g_ascii_isalnum(h.p[i]) &&
		    !in_set(h.p[i], "-._~!$&'()*+,;=%"))
			return false;
	return true;
}

/* "host:port" or "[v6]:port" (RFC 9112 §3.2.3 authority-form); the
 * host without brackets. */
static bool
parse_authority(struct span a, struct span *host, uint16_t *port, bool *ipv6)
{
	char v6[64];
	unsigned char bin[16];
	size_t i, colon;
	unsigned long val = 0;

	if (a.len == 0)
		return false;
	for (colon = a.len; colon > 0 && a.p[colon - 1] != ':'; colon--)
		;
	if (colon < 2 || colon == a.len || a.len - colon > 5)
		return false;
	for (i = colon; i < a.len; i++) {
		if (!g_ascii_isdigit(a.p[i]))
			return false;
		val = val * 10 + (unsigned long)(a.p[i] - '0');
	}
	if (val == 0 || val > 65535)
		return false;
	*port = (uint16_t)val;
	host->p = a.p;
	host->len = colon - 1;
	*ipv6 = a.p[0] == '[';
	if (!*ipv6)
		return reg_name(*host);
	if (host->len < 3 || host->p[host->len - 1] != ']' ||
	    host->len - 2 >= sizeof v6)
		return false;
	host->p++;
	host->len -= 2;
	memcpy(v6, host->p, host->len);
	v6[host->len] = '\0';
	return inet_pton(AF_INET6, v6, bin) == 1;
}

static bool
http_version(struct span v)
{
	return v.len == 8 && memcmp(v.p, "HTTP/", 5) == 0 &&
	       g_ascii_isdigit(v.p[5]) && v.p[6] == '.' &&
	       g_ascii_isdigit(v.p[7]);
}

/* "CONNECT SP authority SP HTTP/x.y" (RFC 9112 §3): NULL and the target,
 * or why not.  Runs of SP or HTAB separate; tokens between the target and
 * the version are tolerated (*extra), as a spam tool of 2004 sent them
 * ("CONNECT host:25 / HTTP/1.0") and its proxy obliged. */
static const char *
parse_request_line(struct span line, struct span *host, uint16_t *port,
    bool *ipv6, bool *extra)
{
	struct span tok[3] = { { NULL, 0 } };
	unsigned count = 0;
	size_t i = 0, start;

	while (i < line.len) {
		while (i < line.len && (line.p[i] == ' ' || line.p[i] == '\t'))
			i++;
		if (i == line.len)
			break;
		start = i;
		while (i < line.len && line.p[i] != ' ' && line.p[i] != '\t')
			i++;
		tok[count < 2 ? count : 2] =
		    (struct span){ line.p + start, i - start };
		count++;
	}
	if (count == 0 || !span_eq(tok[0], "CONNECT"))
		return "not a CONNECT request";
	if (count < 3 || !http_version(tok[2]))
		return "malformed CONNECT request line";
	if (!parse_authority(tok[1], host, port, ipv6))
		return "malformed CONNECT target";
	*extra = count > 3;
	return NULL;
}

static enum proxy_kind
sniff_http(const uint8_t *p, size_t n)
{
	static const char m[] = "CONNECT ";
	struct span line, host;
	const char *why;
	uint16_t port;
	size_t len, i;
	bool bare, ipv6, extra;

	if (memcmp(p, m, MIN(n, sizeof m - 1)) != 0)
		return PROXY_NONE;
	if (n < sizeof m - 1)
		return PROXY_MAYBE;
	switch (frame_line(p, n, &len, &why)) {
	case FRAME_MORE:
		for (i = 0; i < n; i++)
			if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\r') ||
			    p[i] == 0x7f)
				return PROXY_NONE;
		return PROXY_MAYBE;
	case FRAME_BAD:
		return PROXY_NONE;
	case FRAME_OK:
		break;
	}
	line = line_of(p, len, &bare);
	if (line.len > PROXY_LINE_MAX)
		return PROXY_NONE;
	why = parse_request_line(line, &host, &port, &ipv6, &extra);
	return why == NULL ? PROXY_HTTP : PROXY_NONE;
}

static enum proxy_kind
sniff_socks4(const uint8_t *p, size_t n)
{
	const uint8_t *nul;
	size_t len, i;
	const char *why;

	if (n >= 2 && p[1] != 1)
		return PROXY_NONE;
	if (n >= 4 && p[2] == 0 && p[3] == 0)
		return PROXY_NONE; /* port 0 */
	if (n >= 8 && (p[4] | p[5] | p[6] | p[7]) == 0)
		return PROXY_NONE; /* 0.0.0.0: neither an address nor 4a */
	switch (frame_s4_request(p, n, &len, &why)) {
	case FRAME_BAD:
		return PROXY_NONE;
	case FRAME_MORE:
		/* Names so far: text, and at most their terminators. */
		for (i = 8; i < n; i++)
			if (p[i] != 0 && (p[i] < 0x20 || p[i] > 0x7e))
				return PROXY_NONE;
		return PROXY_MAYBE;
	case FRAME_OK:
		break;
	}
	nul = memchr(p + 8, 0, len - 8);
	if (!sniff_text(p + 8, (size_t)(nul - (p + 8))))
		return PROXY_NONE;
	if (nul + 1 < p + len &&
	    !sniff_text(nul + 1, (size_t)(p + len - 1 - (nul + 1))))
		return PROXY_NONE;
	return PROXY_SOCKS4;
}

static enum proxy_kind
sniff_socks5(const uint8_t *p, size_t n)
{
	size_t i, end;
	bool pw = false;

	if (n < 2)
		return PROXY_MAYBE;
	if (p[1] == 0)
		return PROXY_NONE;
	end = 2 + (size_t)p[1];
	for (i = 2; i < MIN(n, end); i++) {
		if (p[i] == 0xff) /* a selection's value, never offered */
			return PROXY_NONE;
		pw = pw || p[i] == 0x02;
	}
	if (n < end)
		return PROXY_MAYBE;
	/* A pipelining client: RFC 1929 (if it offered it) or a request. */
	if (n > end && p[end] != 0x05 && !(p[end] == 0x01 && pw))
		return PROXY_NONE;
	return PROXY_SOCKS5;
}

enum proxy_kind
proxy_sniff(const uint8_t *p, size_t n)
{
	if (n == 0)
		return PROXY_MAYBE;
	switch (p[0]) {
	case 0x04:
		return sniff_socks4(p, n);
	case 0x05:
		return sniff_socks5(p, n);
	case 'C':
		return sniff_http(p, n);
	}
	return PROXY_NONE;
}

/* ---- framing: where the next message ends, from its bytes only ---- */

static enum frame
frame_line(const uint8_t *p, size_t n, size_t *len, const char **why)
{
	const uint8_t *lf = memchr(p, '\n', MIN(n, HTTP_LINE_FRAME));

	if (lf != NULL) {
		*len = (size_t)(lf - p) + 1;
		return FRAME_OK;
	}
	if (n < HTTP_LINE_FRAME)
		return FRAME_MORE;
	*why = TOO_LONG;
	return FRAME_BAD;
}

/* The end of a NUL-terminated name at p[off], at most SOCKS4_NAME_MAX
 * bytes: FRAME_OK with *end just past the NUL. */
static enum frame
frame_name(
    const uint8_t *p, size_t n, size_t off, size_t *end, const char **why)
{
	const uint8_t *nul;

	if (n <= off)
		return FRAME_MORE;
	nul = memchr(p + off, 0, MIN(n - off, SOCKS4_NAME_MAX + 1));
	if (nul != NULL) {
		*end = (size_t)(nul - p) + 1;
		return FRAME_OK;
	}
	if (n - off <= SOCKS4_NAME_MAX)
		return FRAME_MORE;
	*why = TOO_LONG;
	return FRAME_BAD;
}

static bool
socks4a(const uint8_t *p)
{
	return p[4] == 0 && p[5] == 0 && p[6] == 0 && p[7] != 0;
}

static enum frame
frame_s4_request(const uint8_t *p, size_t n, size_t *len, const char **why)
{
	enum frame f;
	size_t end = 0;

	if (n >= 1 && p[0] != 0x04) {
		*why = "not a SOCKS4 request";
		return FRAME_BAD;
	}
	if (n < 8)
		return FRAME_MORE;
	f = frame_name(p, n, 8, &end, why);
	if (f != FRAME_OK || !socks4a(p)) {
		*len = end;
		return f;
	}
	f = frame_name(p, n, end, len, why);
	if (f == FRAME_OK && *len == end + 1) {
		*why = "SOCKS4a request without a host name";
		return FRAME_BAD;
	}
	return f;
}

static enum frame
frame_s4_reply(const uint8_t *p, size_t n, size_t *len, const char **why)
{
	(void)p;
	(void)why;
	*len = 8;
	return n >= 8 ? FRAME_OK : FRAME_MORE;
}

static enum frame
frame_two(const uint8_t *p, size_t n, size_t *len, const char **why)
{
	(void)p;
	(void)why;
	*len = 2;
	return n >= 2 ? FRAME_OK : FRAME_MORE;
}

static enum frame
frame_s5_greeting(const uint8_t *p, size_t n, size_t *len, const char **why)
{
	if (n >= 1 && p[0] != 0x05) {
		*why = "not a SOCKS5 greeting";
		return FRAME_BAD;
	}
	if (n < 2)
		return FRAME_MORE;
	if (p[1] == 0) {
		*why = "SOCKS5 greeting without methods";
		return FRAME_BAD;
	}
	*len = 2 + (size_t)p[1];
	return n >= *len ? FRAME_OK : FRAME_MORE;
}

/* VER | x | RSV | ATYP | ADDR | PORT, as requests and replies are. */
static enum frame
frame_s5_address(const uint8_t *p, size_t n, size_t *len, const char **why)
{
	if (n < 4)
		return FRAME_MORE;
	switch (p[3]) {
	case 0x01:
		*len = 4 + 4 + 2;
		break;
	case 0x04:
		*len = 4 + 16 + 2;
		break;
	case 0x03:
		if (n < 5)
			return FRAME_MORE;
		*len = 4 + 1 + (size_t)p[4] + 2;
		break;
	default:
		*why = "unknown SOCKS5 address type";
		return FRAME_BAD;
	}
	return n >= *len ? FRAME_OK : FRAME_MORE;
}

static enum frame
frame_s5_request(const uint8_t *p, size_t n, size_t *len, const char **why)
{
	if (n >= 1 && p[0] != 0x05) {
		*why = "not a SOCKS5 request";
		return FRAME_BAD;
	}
	if (n >= 5 && p[3] == 0x03 && p[4] == 0) {
		*why = "SOCKS5 request with an empty host name";
		return FRAME_BAD;
	}
	return frame_s5_address(p, n, len, why);
}

/* RFC 1929: VER=1 | ULEN | UNAME | PLEN | PASSWD. */
static enum frame
frame_s5_auth(const uint8_t *p, size_t n, size_t *len)
{
	if (n < 2 || n < 3 + (size_t)p[1])
		return FRAME_MORE;
	*len = 3 + (size_t)p[1] + (size_t)p[2 + p[1]];
	return n >= *len ? FRAME_OK : FRAME_MORE;
}

/* After the greeting a client sends RFC 1929 (VER 1) or, if it needs no
 * authentication or pipelines past it, the request (VER 5): its own first
 * byte says which, whatever the proxy answered meanwhile. */
static enum frame
frame_s5_auth_or_request(
    const uint8_t *p, size_t n, size_t *len, const char **why)
{
	if (n >= 1 && p[0] == 0x01)
		return frame_s5_auth(p, n, len);
	return frame_s5_request(p, n, len, why);
}

/* A refusal with an address type we do not know is still a refusal: its
 * first four bytes are taken (the rest is not tunnelled anyway). */
static enum frame
frame_s5_reply(const uint8_t *p, size_t n, size_t *len, const char **why)
{
	if (n >= 1 && p[0] != 0x05) {
		*why = "not a SOCKS5 reply";
		return FRAME_BAD;
	}
	if (n >= 4 && p[1] != 0 && p[3] != 0x01 && p[3] != 0x03 &&
	    p[3] != 0x04) {
		*len = 4;
		return FRAME_OK;
	}
	return frame_s5_address(p, n, len, why);
}

/* ---- outcome: the only place that changes info.state ---- */

static void
enter_state(struct proxy_conn *pc, enum proxy_state st)
{
	if (log_debug_enabled())
		log_debug("proxy: %p: %s -> %s", (void *)pc,
		    proxy_state_name(pc->info.state), proxy_state_name(st));
	pc->info.state = st;
}

static void
quirk(struct proxy_conn *pc, enum proxy_quirk q)
{
	pc->info.quirks |= 1u << q;
}

/* The parser cannot follow: nothing from here on is tunnelled. */
static void
fail(struct proxy_conn *pc, const char *why)
{
	if (pc->info.state == PROXY_STATE_FAILED)
		return;
	pc->info.reason = why;
	enter_state(pc, PROXY_STATE_FAILED);
	pc->side[0].mode = SIDE_ABSORB;
	pc->side[1].mode = SIDE_ABSORB;
}

static void
establish(struct proxy_conn *pc)
{
	enter_state(pc, PROXY_STATE_ESTABLISHED);
	pc->side[1].mode = SIDE_TUNNEL;
}

/* The proxy said no: it forwards nothing.  A client still sending its
 * preamble (it pipelined past the refusal) is read to its end. */
static void
refuse(struct proxy_conn *pc)
{
	enter_state(pc, PROXY_STATE_REFUSED);
	pc->side[1].mode = SIDE_ABSORB;
	if (pc->side[0].mode == SIDE_TUNNEL)
		pc->side[0].mode = SIDE_ABSORB;
}

/* The client's last request is read: what follows is its tunnel. */
static void
client_done(struct proxy_conn *pc)
{
	enum proxy_state st = pc->info.state;

	pc->side[0].mode = st == PROXY_STATE_REFUSED || st == PROXY_STATE_FAILED
			       ? SIDE_ABSORB
			       : SIDE_TUNNEL;
}

/* ---- what is kept ---- */

/* A user name only if it is printable text (UTF-8 without control
 * characters), as smtp_session.c keeps AUTH user names; NULL otherwise. */
static char *
printable(const uint8_t *p, size_t n)
{
	const char *s = (const char *)p, *q;

	if (n == 0 || memchr(s, '\0', n) != NULL ||
	    !g_utf8_validate(s, (gssize)n, NULL))
		return NULL;
	for (q = s; q < s + n; q = g_utf8_next_char(q))
		if (g_unichar_iscntrl(g_utf8_get_char(q)))
			return NULL;
	return g_strndup(s, n);
}

static void
set_str(char **dst, char *s)
{
	g_free(*dst);
	*dst = s;
}

static void
set_host(struct proxy_conn *pc, char *host, enum proxy_addr addr)
{
	set_str(&pc->info.host, host);
	pc->info.addr = addr;
}

static void
set_address(struct proxy_conn *pc, int af, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (inet_ntop(af, a, buf, sizeof buf) != NULL)
		set_host(pc, g_strdup(buf),
		    af == AF_INET ? PROXY_ADDR_IPV4 : PROXY_ADDR_IPV6);
}

/* ---- HTTP CONNECT ---- */

/* A framed line without its line end; false (and failed) past the
 * limits of a line or of the header block. */
static bool
http_line(struct proxy_conn *pc, int dir, const uint8_t *p, size_t len,
    struct span *line)
{
	struct side *s = &pc->side[dir];
	bool bare;

	*line = line_of(p, len, &bare);
	s->head += len;
	if (line->len > PROXY_LINE_MAX || s->head > PROXY_HEAD_MAX) {
		fail(pc, TOO_LONG);
		return false;
	}
	if (bare)
		quirk(pc, PROXY_QUIRK_BARE_LF);
	return true;
}

static struct span
trim(struct span v)
{
	while (v.len > 0 && (v.p[0] == ' ' || v.p[0] == '\t')) {
		v.p++;
		v.len--;
	}
	while (v.len > 0 && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
		v.len--;
	return v;
}

/* A header line: false for the empty one that ends the block; else its
 * name and value (both empty for a line that is no field). */
static bool
http_field(struct proxy_conn *pc, struct span line, struct span *name,
    struct span *value)
{
	const uint8_t *colon;

	*name = *value = (struct span){ NULL, 0 };
	if (line.len == 0)
		return false;
	if (line.p[0] == ' ' || line.p[0] == '\t') {
		quirk(pc, PROXY_QUIRK_FOLDED_HEADER);
		return true;
	}
	colon = memchr(line.p, ':', line.len);
	if (colon == NULL) {
		quirk(pc, PROXY_QUIRK_HEADER_NO_COLON);
		return true;
	}
	*name = trim((struct span){ line.p, (size_t)(colon - line.p) });
	*value = trim((struct span){
	    colon + 1, line.len - (size_t)(colon + 1 - line.p) });
	return true;
}

/* The first token of v (RFC 9110 §5.6.2), copied if it is one and not
 * longer than SCHEME_MAX; *rest is what follows it. */
static char *
scheme_of(struct span v, struct span *rest)
{
	size_t i;

	for (i = 0; i < v.len && v.p[i] != ' ' && v.p[i] != '\t'; i++)
		if (!g_ascii_isalnum(v.p[i]) &&
		    !in_set(v.p[i], "!#$%&'*+-.^_`|~"))
			break;
	*rest = trim((struct span){ v.p + i, v.len - i });
	if (i == 0 || i > SCHEME_MAX ||
	    (i < v.len && v.p[i] != ' ' && v.p[i] != '\t'))
		return NULL;
	return g_strndup((const char *)v.p, i);
}

/* RFC 4648 §4 with padding, as RFC 7617 §2 sends it. */
static bool
base64_valid(struct span v)
{
	size_t i;

	if (v.len == 0 || v.len % 4 != 0)
		return false;
	for (i = 0; i < v.len; i++)
		if (!g_ascii_isalnum(v.p[i]) && v.p[i] != '+' &&
		    v.p[i] != '/' && !(v.p[i] == '=' && i + 2 >= v.len))
			return false;
	return !(v.p[v.len - 2] == '=' && v.p[v.len - 1] != '=');
}

/* Basic's "user:password" (RFC 7617 §2): the user name if printable, the
 * password's length; the decoded bytes are wiped. */
static void
http_basic(struct proxy_conn *pc, struct span b64)
{
	struct proxy_info *in = &pc->info;
	const uint8_t *colon;
	uint8_t *raw;
	gint state = 0;
	guint save = 0;
	gsize rlen;

	if (!base64_valid(b64)) {
		quirk(pc, PROXY_QUIRK_BAD_BASIC);
		in->password_sent = b64.len > 0; /* what it is, nobody knows */
		return;
	}
	raw = g_malloc(b64.len / 4 * 3 + 3);
	rlen = g_base64_decode_step(
	    (const char *)b64.p, b64.len, raw, &state, &save);
	colon = memchr(raw, ':', rlen);
	if (colon != NULL) {
		set_str(&in->user, printable(raw, (size_t)(colon - raw)));
		in->password_len = rlen - (size_t)(colon + 1 - raw);
		in->password_sent = in->password_len > 0;
	} else {
		quirk(pc, PROXY_QUIRK_BAD_BASIC);
		in->password_sent = rlen > 0;
	}
	explicit_bzero(raw, rlen);
	g_free(raw);
}

/* Proxy-Authorization (RFC 9110 §11.7.2): the scheme; for Basic the user
 * name; for others only that a token went. */
static void
http_credentials(struct proxy_conn *pc, struct span value)
{
	struct proxy_info *in = &pc->info;
	struct span rest;
	char *scheme = scheme_of(value, &rest);

	in->credentials_sent = true;
	set_str(&in->auth_scheme, scheme);
	if (scheme != NULL && g_ascii_strcasecmp(scheme, "Basic") == 0)
		http_basic(pc, rest);
	else
		in->password_sent = scheme == NULL || rest.len > 0;
}

/* A new CONNECT: what the last attempt said goes; what the proxy
 * demanded (auth_demanded, challenge) stays. */
static void
http_attempt(struct proxy_conn *pc)
{
	struct proxy_info *in = &pc->info;

	in->attempts++;
	g_clear_pointer(&in->auth_scheme, g_free);
	g_clear_pointer(&in->user, g_free);
	g_clear_pointer(&in->reply_text, g_free);
	in->credentials_sent = in->password_sent = in->authenticated = false;
	in->password_len = 0;
	in->reply_code = -1;
	pc->auth_seen = false;
	if (in->state == PROXY_STATE_REFUSED)
		enter_state(pc, PROXY_STATE_NEGOTIATING);
}

static void
http_request_line(struct proxy_conn *pc, const uint8_t *p, size_t len)
{
	struct span line, host;
	char buf[4];
	const char *why;
	uint16_t port;
	bool ipv6, extra;

	if (!http_line(pc, 0, p, len, &line) || line.len == 0)
		return; /* RFC 9112 §2.2: empty lines before it are ignored */
	why = parse_request_line(line, &host, &port, &ipv6, &extra);
	if (why != NULL && pc->info.attempts > 0) {
		/* After a refusal, not a new try: nothing is forwarded. */
		quirk(pc, PROXY_QUIRK_AFTER_REFUSAL);
		pc->side[0].mode = SIDE_ABSORB;
		return;
	}
	if (why != NULL) {
		fail(pc, why);
		return;
	}
	http_attempt(pc);
	if (extra)
		quirk(pc, PROXY_QUIRK_EXTRA_TOKENS);
	set_host(
	    pc, g_strndup((const char *)host.p, host.len), PROXY_ADDR_NAME);
	if (ipv6)
		pc->info.addr = PROXY_ADDR_IPV6;
	else if (inet_pton(AF_INET, pc->info.host, buf) == 1)
		pc->info.addr = PROXY_ADDR_IPV4;
	pc->info.port = port;
	pc->side[0].step = STEP_HTTP_REQUEST_HEADER;
}

static void
http_request_header(struct proxy_conn *pc, const uint8_t *p, size_t len)
{
	struct span line, name, value;

	if (!http_line(pc, 0, p, len, &line))
		return;
	if (!http_field(pc, line, &name, &value)) {
		/* RFC 9110 §9.3.6: no content; what follows is the tunnel. */
		pc->side[0].head = 0;
		client_done(pc);
		return;
	}
	if (!pc->auth_seen && span_caseeq(name, "Proxy-Authorization")) {
		pc->auth_seen = true;
		http_credentials(pc, value);
	}
}

static void
http_status_line(struct proxy_conn *pc, const uint8_t *p, size_t len)
{
	struct span line;
	const uint8_t *q;

	if (!http_line(pc, 1, p, len, &line) || line.len == 0)
		return;
	q = line.p;
	if (line.len < 12 || !http_version((struct span){ q, 8 }) ||
	    q[8] != ' ' || !g_ascii_isdigit(q[9]) || !g_ascii_isdigit(q[10]) ||
	    !g_ascii_isdigit(q[11]) || (line.len > 12 && q[12] != ' ')) {
		fail(pc, "not an HTTP response");
		return;
	}
	pc->info.reply_code =
	    (q[9] - '0') * 100 + (q[10] - '0') * 10 + (q[11] - '0');
	set_str(&pc->info.reply_text,
	    line.len > 13 ? g_strndup((const char *)q + 13, line.len - 13)
			  : NULL);
	pc->content_length = -1;
	pc->chunked = false;
	pc->challenged = false;
	pc->side[1].step = STEP_HTTP_RESPONSE_HEADER;
}

/* Content-Length (RFC 9110 §8.6): digits, else unusable (-2). */
static int64_t
content_length(struct span v)
{
	int64_t n = 0;
	size_t i;

	if (v.len == 0 || v.len > 18)
		return -2;
	for (i = 0; i < v.len; i++) {
		if (!g_ascii_isdigit(v.p[i]))
			return -2;
		n = n * 10 + (v.p[i] - '0');
	}
	return n;
}

/* The proxy's header block is read: 1xx waits for the final response;
 * 2xx opens the tunnel; anything else refuses, and if its body can be
 * skipped (RFC 9112 §6.3) the client may try again. */
static void
http_response_end(struct proxy_conn *pc)
{
	struct proxy_info *in = &pc->info;
	struct side *c = &pc->side[0], *s = &pc->side[1];
	int code = in->reply_code;
	bool retry;

	s->head = 0;
	s->step = STEP_HTTP_STATUS;
	if (code < 200)
		return;
	if (code < 300) {
		in->authenticated = in->credentials_sent;
		establish(pc);
		return;
	}
	if (code == 407)
		in->auth_demanded = true;
	retry = c->mode == SIDE_TUNNEL && c->tunnelled == 0;
	refuse(pc);
	if (code == 204 || code == 304)
		s->mode = SIDE_PREAMBLE;
	else if (pc->content_length >= 0 && !pc->chunked) {
		s->mode = SIDE_PREAMBLE;
		s->skip = (uint64_t)pc->content_length;
	} else
		retry = false; /* the body runs to the end */
	if (retry) {
		c->mode = SIDE_PREAMBLE;
		c->step = STEP_HTTP_REQUEST;
		c->head = 0;
	}
}

static void
http_response_header(struct proxy_conn *pc, const uint8_t *p, size_t len)
{
	struct span line, name, value, rest;

	if (!http_line(pc, 1, p, len, &line))
		return;
	if (!http_field(pc, line, &name, &value)) {
		http_response_end(pc);
		return;
	}
	if (span_caseeq(name, "Content-Length")) {
		int64_t cl = content_length(value);

		if (pc->content_length == -1 || pc->content_length == cl)
			pc->content_length = cl;
		else
			pc->content_length = -2; /* two lengths: unusable */
	} else if (span_caseeq(name, "Transfer-Encoding"))
		pc->chunked = true;
	else if (!pc->challenged && span_caseeq(name, "Proxy-Authenticate")) {
		pc->challenged = true;
		set_str(&pc->info.challenge, scheme_of(value, &rest));
	}
}

/* ---- SOCKS4 and 4a ---- */

static void
s4_request(struct proxy_conn *pc, const uint8_t *p, size_t len)
{
	struct proxy_info *in = &pc->info;
	const uint8_t *user = p + 8, *nul = memchr(user, 0, len - 8);

	if (p[1] != 0x01) {
		fail(pc, p[1] == 0x02 ? "SOCKS4 BIND is not followed"
				      : "unknown SOCKS4 command");
		return;
	}
	in->attempts++;
	in->port = (uint16_t)(p[2] << 8 | p[3]);
	set_str(&in->user, printable(user, (size_t)(nul - user)));
	if (socks4a(p)) {
		in->socks4a = true;
		set_host(pc,
		    g_strndup((const char *)nul + 1,
			(size_t)(p + len - 1 - (nul + 1))),
		    PROXY_ADDR_NAME);
	} else
		set_address(pc, AF_INET, p + 4);
	client_done(pc);
}

static void
s4_reply(struct proxy_conn *pc, const uint8_t *p, size_t len)
{
	(void)len;
	if (p[0] == 0x04)
		quirk(pc, PROXY_QUIRK_REPLY_VERSION);
	else if (p[0] != 0x00) {
		fail(pc, "not a SOCKS4 reply");
		return;
	}
	if (p[1] < 90 || p[1] > 93) {
		fail(pc, "unknown SOCKS4 reply code");
		return;
	}
	pc->info.reply_code = p[1];
	if (p[1] == 90)
		establish(pc);
	else
		refuse(pc);
}

/* ---- SOCKS5 ---- */

static bool
offered(const struct proxy_conn *pc, uint8_t method)
{
	return memchr(pc->info.methods, method, pc->info.n_methods) != NULL;
}

static void
s5_greeting(struct proxy_conn *pc, const uint8_t *p, size_t len)
{
	pc->info.n_methods = p[1];
	memcpy(pc->info.methods, p + 2, len - 2);
	pc->side[0].step = STEP_S5_AUTH_OR_REQUEST;
}

static void
s5_request(struct proxy_conn *pc, const uint8_t *p, size_t len)
{
	struct proxy_info *in = &pc->info;

	switch (p[1]) {
	case 0x01:
		break;
	case 0x02:
		fail(pc, "SOCKS5 BIND is not followed");
		return;
	case 0x03:
		fail(pc, "SOCKS5 UDP ASSOCIATE is not followed");
		return;
	default:
		fail(pc, "unknown SOCKS5 command");
		return;
	}
	if (p[2] != 0)
		quirk(pc, PROXY_QUIRK_RESERVED_SET);
	if (p[3] == 0x03 && memchr(p + 5, 0, p[4]) != NULL) {
		fail(pc, "NUL in the SOCKS5 host name");
		return;
	}
	in->attempts++;
	in->port = (uint16_t)(p[len - 2] << 8 | p[len - 1]);
	if (p[3] == 0x01)
		set_address(pc, AF_INET, p + 4);
	else if (p[3] == 0x04)
		set_address(pc, AF_INET6, p + 4);
	else
		set_host(
		    pc, g_strndup((const char *)p + 5, p[4]), PROXY_ADDR_NAME);
	client_done(pc);
}

/* RFC 1929 §2: the name if printable, the password's length only. */
static void
s5_auth(struct proxy_conn *pc, const uint8_t *p, size_t len)
{
	struct proxy_info *in = &pc->info;

	(void)len;
	if (!offered(pc, 0x02)) {
		fail(pc, "RFC 1929 request for a method not offered");
		return;
	}
	in->credentials_sent = true;
	set_str(&in->user, printable(p + 2, p[1]));
	in->password_len = p[2 + p[1]];
	in->password_sent = in->password_len > 0;
	pc->side[0].step = STEP_S5_REQUEST;
}

static void
s5_auth_or_request(struct proxy_conn *pc, const uint8_t *p, size_t len)
{
	if (p[0] == 0x01)
		s5_auth(pc, p, len);
	else
		s5_request(pc, p, len);
}

static void
s5_method(struct proxy_conn *pc, const uint8_t *p, size_t len)
{
	struct proxy_info *in = &pc->info;

	(void)len;
	if (p[0] != 0x05) {
		fail(pc, "not a SOCKS5 method selection");
		return;
	}
	in->method = p[1];
	if (p[1] == 0xff) {
		refuse(pc);
		return;
	}
	if (in->n_methods > 0 && !offered(pc, p[1])) {
		fail(pc, "SOCKS5 method chosen was not offered");
		return;
	}
	if (p[1] == 0x00)
		pc->side[1].step = STEP_S5_REPLY;
	else if (p[1] == 0x02) {
		in->auth_demanded = true;
		pc->side[1].step = STEP_S5_AUTH_STATUS;
	} else
		fail(pc, "SOCKS5 authentication method not followed");
}

static void
s5_auth_status(struct proxy_conn *pc, const uint8_t *p, size_t len)
{
	(void)len;
	if (p[0] == 0x05)
		quirk(pc, PROXY_QUIRK_REPLY_VERSION);
	else if (p[0] != 0x01) {
		fail(pc, "not an RFC 1929 reply");
		return;
	}
	pc->info.auth_status = p[1];
	if (p[1] != 0) {
		refuse(pc);
		return;
	}
	pc->info.authenticated = true;
	pc->side[1].step = STEP_S5_REPLY;
}

static void
s5_reply(struct proxy_conn *pc, const uint8_t *p, size_t len)
{
	if (len == 4)
		quirk(pc, PROXY_QUIRK_SHORT_REPLY);
	if (p[2] != 0)
		quirk(pc, PROXY_QUIRK_RESERVED_SET);
	pc->info.reply_code = p[1];
	if (p[1] == 0)
		establish(pc);
	else
		refuse(pc);
}

/* ---- the push machinery ---- */

/* Give the buffer back, wiped: it may have held a password. */
static void
side_release(struct side *s)
{
	if (s->buf != NULL) {
		explicit_bzero(s->buf, s->cap);
		g_free(s->buf);
	}
	s->buf = NULL;
	s->len = s->cap = 0;
}

/* Append n bytes (the caller keeps s->len + n <= max).  The buffer grows
 * in powers of two from 64, and never by realloc, which could leave an
 * unwiped copy behind. */
static void
side_hold(struct side *s, const uint8_t *p, size_t n, size_t max)
{
	size_t cap = s->cap > 0 ? s->cap : 64, len = s->len;
	uint8_t *nb;

	while (cap < len + n)
		cap <<= 1;
	cap = MIN(cap, max);
	if (cap != s->cap) {
		nb = g_malloc(cap);
		if (len > 0)
			memcpy(nb, s->buf, len);
		side_release(s);
		s->buf = nb;
		s->cap = cap;
		s->len = len;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

/* Read what the next message of this side takes from p: returns the
 * bytes consumed (at least 1). */
static size_t
side_feed(struct proxy_conn *pc, struct side *s, const uint8_t *p, size_t n)
{
	const struct step_ops *st = &steps[s->step];
	const char *why = TOO_LONG;
	size_t len = 0, old = s->len, k;
	enum frame f;

	if (old == 0) {
		f = st->frame(p, n, &len, &why);
		if (f == FRAME_OK) {
			st->handle(pc, p, len);
			return len;
		}
		if (f == FRAME_MORE && n < st->max) {
			side_hold(s, p, n, st->max);
			return n;
		}
		fail(pc, why);
		return n;
	}
	k = MIN(n, st->max - old);
	side_hold(s, p, k, st->max);
	f = st->frame(s->buf, s->len, &len, &why);
	if (f == FRAME_OK && len > old) {
		s->len = len;
		st->handle(pc, s->buf, len);
		side_release(s);
		return len - old;
	}
	if (f == FRAME_MORE && s->len < st->max)
		return k;
	/* Framing is monotone, so len <= old cannot happen. */
	fail(pc, f == FRAME_BAD ? why : TOO_LONG);
	return n;
}

struct proxy_conn *
proxy_conn_new(enum proxy_kind kind)
{
	struct proxy_conn *pc;

	if (kind != PROXY_HTTP && kind != PROXY_SOCKS4 && kind != PROXY_SOCKS5)
		return NULL;
	pc = g_new0(struct proxy_conn, 1);
	pc->info.kind = kind;
	pc->info.state = PROXY_STATE_NEGOTIATING;
	pc->info.method = -1;
	pc->info.auth_status = -1;
	pc->info.reply_code = -1;
	pc->content_length = -1;
	switch (kind) {
	case PROXY_HTTP:
		pc->side[0].step = STEP_HTTP_REQUEST;
		pc->side[1].step = STEP_HTTP_STATUS;
		break;
	case PROXY_SOCKS4:
		pc->side[0].step = STEP_S4_REQUEST;
		pc->side[1].step = STEP_S4_REPLY;
		break;
	default:
		pc->side[0].step = STEP_S5_GREETING;
		pc->side[1].step = STEP_S5_METHOD;
		break;
	}
	return pc;
}

void
proxy_conn_free(struct proxy_conn *pc)
{
	if (pc == NULL)
		return;
	side_release(&pc->side[0]);
	side_release(&pc->side[1]);
	g_free(pc->info.host);
	g_free(pc->info.auth_scheme);
	g_free(pc->info.challenge);
	g_free(pc->info.user);
	g_free(pc->info.reply_text);
	g_free(pc);
}

struct proxy_conn *
proxy_conn_adopt(const struct proxy_info *info)
{
	struct proxy_conn *pc = proxy_conn_new(info->kind);

	if (pc == NULL)
		return NULL;
	pc->info = *info;
	return pc;
}

size_t
proxy_conn_push(
    struct proxy_conn *pc, bool from_server, const uint8_t *p, size_t n)
{
	struct side *s = &pc->side[from_server ? 1 : 0];
	size_t used = 0, k;

	if (p == NULL)
		return 0;
	while (used < n && s->mode == SIDE_PREAMBLE) {
		if (s->skip > 0) {
			k = (size_t)MIN(s->skip, (uint64_t)(n - used));
			s->skip -= k;
			used += k;
			continue;
		}
		used += side_feed(pc, s, p + used, n - used);
	}
	if (pc->side[0].mode != SIDE_PREAMBLE)
		side_release(&pc->side[0]);
	if (pc->side[1].mode != SIDE_PREAMBLE)
		side_release(&pc->side[1]);
	if (s->mode == SIDE_ABSORB) {
		if (!from_server && used < n &&
		    pc->info.state == PROXY_STATE_REFUSED)
			quirk(pc, PROXY_QUIRK_AFTER_REFUSAL);
		return n;
	}
	if (s->mode == SIDE_TUNNEL) {
		s->tunnelled += n - used;
		if (!from_server && pc->info.state != PROXY_STATE_ESTABLISHED)
			pc->info.client_early += n - used;
	}
	return used;
}

void
proxy_conn_end(struct proxy_conn *pc)
{
	struct side *s = &pc->side[1];
	bool cut = false;

	if (s->mode == SIDE_PREAMBLE && s->len >= 2 &&
	    pc->info.state == PROXY_STATE_NEGOTIATING) {
		if (s->step == STEP_S5_REPLY)
			cut = s->buf[0] == 0x05 && s->buf[1] != 0;
		else if (s->step == STEP_S4_REPLY)
			cut = (s->buf[0] == 0x00 || s->buf[0] == 0x04) &&
			      s->buf[1] >= 91 && s->buf[1] <= 93;
		if (cut) {
			quirk(pc, PROXY_QUIRK_SHORT_REPLY);
			pc->info.reply_code = s->buf[1];
			refuse(pc);
		}
	}
	side_release(&pc->side[0]);
	side_release(&pc->side[1]);
}

enum proxy_state
proxy_conn_state(const struct proxy_conn *pc)
{
	return pc->info.state;
}

const struct proxy_info *
proxy_conn_info(const struct proxy_conn *pc)
{
	return &pc->info;
}

bool
proxy_conn_open_tunnel(const struct proxy_conn *pc)
{
	return pc->info.state == PROXY_STATE_ESTABLISHED &&
	       !pc->info.authenticated;
}

size_t
proxy_conn_mem(const struct proxy_conn *pc)
{
	const struct proxy_info *in = &pc->info;

	return budget_bytes(sizeof *pc) + budget_bytes(pc->side[0].cap) +
	       budget_bytes(pc->side[1].cap) + budget_str(in->host) +
	       budget_str(in->auth_scheme) + budget_str(in->challenge) +
	       budget_str(in->user) + budget_str(in->reply_text);
}
