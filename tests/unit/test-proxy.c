/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-proxy.c: proxy preambles (HTTP CONNECT, SOCKS4/4a, SOCKS5): sniffing,
 * exact fields, where the tunnel starts in each direction, refusals,
 * authentication, malformed and truncated input; every transcript is
 * played whole, byte by byte, in pieces and at random splits, and must
 * give the same result each time. */
#include <string.h>

#include <glib.h>

#include "budget.h"
#include "proxy.h"

/* One capture-order segment of a transcript. */
struct seg {
	bool srv;
	const char *p;
	size_t n;
};

#define CL(s)                                                                  \
	{                                                                      \
		false, s, sizeof(s) - 1                                        \
	}
#define SV(s)                                                                  \
	{                                                                      \
		true, s, sizeof(s) - 1                                         \
	}
#define MAX_SEGS 16

/* Play a transcript.  cut: 0 pushes each segment whole, k > 0 in pieces
 * of k bytes, -1 in random pieces.  used[i]: what segment i gave the
 * preamble.  Caller frees the connection. */
static struct proxy_conn *
play(enum proxy_kind kind, const struct seg *sg, size_t ns, int cut, GRand *r,
    bool end, size_t *used)
{
	struct proxy_conn *pc = proxy_conn_new(kind);
	size_t i, off, k, got;
	bool tunnel;

	g_assert_nonnull(pc);
	for (i = 0; i < ns; i++) {
		used[i] = 0;
		tunnel = false;
		for (off = 0; off < sg[i].n; off += k) {
			if (cut == 0)
				k = sg[i].n - off;
			else if (cut > 0)
				k = MIN((size_t)cut, sg[i].n - off);
			else
				k = (size_t)g_rand_int_range(
				    r, 1, (gint32)MIN(sg[i].n - off, 40) + 1);
			got = proxy_conn_push(
			    pc, sg[i].srv, (const uint8_t *)sg[i].p + off, k);
			g_assert_cmpuint(got, <=, k);
			/* Once the tunnel starts, it goes on. */
			if (tunnel)
				g_assert_cmpuint(got, ==, 0);
			tunnel = got < k;
			used[i] += got;
		}
		g_assert_cmpuint(
		    proxy_conn_push(pc, sg[i].srv, (const uint8_t *)"", 0), ==,
		    0);
	}
	if (end)
		proxy_conn_end(pc);
	return pc;
}

/* Everything the connection says, and what each segment gave. */
static char *
summary(const struct proxy_conn *pc, const size_t *used, size_t ns)
{
	const struct proxy_info *in = proxy_conn_info(pc);
	GString *s = g_string_new(NULL);
	unsigned i;

	g_string_append_printf(s,
	    "%s %s reason=%s attempts=%u dest=%s:%u addr=%d 4a=%d "
	    "early=%" G_GUINT64_FORMAT " methods=",
	    proxy_kind_name(in->kind), proxy_state_name(in->state),
	    in->reason ? in->reason : "-", in->attempts,
	    in->host ? in->host : "-", in->port, in->addr, in->socks4a,
	    in->client_early);
	for (i = 0; i < in->n_methods; i++)
		g_string_append_printf(s, "%02x", in->methods[i]);
	g_string_append_printf(s,
	    " method=%d scheme=%s challenge=%s user=%s cred=%d pw=%d/%zu "
	    "status=%d demanded=%d authenticated=%d code=%d text=%s quirks=",
	    in->method, in->auth_scheme ? in->auth_scheme : "-",
	    in->challenge ? in->challenge : "-", in->user ? in->user : "-",
	    in->credentials_sent, in->password_sent, in->password_len,
	    in->auth_status, in->auth_demanded, in->authenticated,
	    in->reply_code, in->reply_text ? in->reply_text : "-");
	for (i = 0; i < PROXY_QUIRK_COUNT; i++)
		if (in->quirks & (1u << i))
			g_string_append_printf(s, "%s,", proxy_quirk_name(i));
	g_string_append(s, " used=");
	for (i = 0; i < ns; i++)
		g_string_append_printf(s, "%zu,", used[i]);
	return g_string_free(s, FALSE);
}

/* Play whole, byte by byte, in pieces of 2 to 13 bytes and at 30 random
 * splits: the same summary every time.  Returns the whole play's
 * connection (caller frees) and its used[]. */
static struct proxy_conn *
play_all(enum proxy_kind kind, const struct seg *sg, size_t ns, bool end,
    size_t *used)
{
	struct proxy_conn *pc = play(kind, sg, ns, 0, NULL, end, used);
	g_autofree char *want = summary(pc, used, ns);
	GRand *r = g_rand_new_with_seed(1928);
	size_t u[MAX_SEGS];
	int cut;

	g_assert_cmpuint(ns, <=, MAX_SEGS);
	g_test_message("%s", want);
	for (cut = -30; cut <= 13; cut++) {
		struct proxy_conn *p2;
		g_autofree char *got = NULL;

		if (cut == 0)
			continue;
		p2 = play(kind, sg, ns, cut < 0 ? -1 : cut, r, end, u);
		got = summary(p2, u, ns);
		g_assert_cmpstr(got, ==, want);
		proxy_conn_free(p2);
	}
	g_rand_free(r);
	return pc;
}

static void
assert_used(
    const size_t *used, const struct seg *sg, size_t ns, const size_t *want)
{
	size_t i;

	for (i = 0; i < ns; i++) {
		if (want[i] == SIZE_MAX)
			g_assert_cmpuint(used[i], ==, sg[i].n);
		else
			g_assert_cmpuint(used[i], ==, want[i]);
	}
}

#define ALL SIZE_MAX

/* ---- sniffing ---- */

static void
test_sniff(void)
{
	static const struct {
		const char *p;
		size_t n;
		enum proxy_kind want;
	} cases[] = {
#define K(s, k) { s, sizeof(s) - 1, k }
		K("", PROXY_MAYBE),
		K("EHLO client.example.org\r\n", PROXY_NONE),
		K("HELO x\r\n", PROXY_NONE),
		K("MAIL FROM:<a@example.org>\r\n", PROXY_NONE),
		K("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", PROXY_NONE),
		K("GET / HTTP/1.1\r\nHost: x\r\n\r\n", PROXY_NONE),
		K("POST /x HTTP/1.1\r\n", PROXY_NONE),
		K("CONNECT mx.example.org:25 HTTP/1.1\r\n", PROXY_HTTP),
		K("CONNECT mx.example.org:25 HTTP/1.1", PROXY_MAYBE),
		K("CONN", PROXY_MAYBE),
		K("CONNECTION\r\n", PROXY_NONE),
		K("connect mx:25 HTTP/1.1\r\n", PROXY_NONE),
		K("CONNECT mx.example.org HTTP/1.1\r\n", PROXY_NONE),
		K("CONNECT mx.example.org:25\r\n", PROXY_NONE),
		K("CONNECT mx:25 FTP/1.0\r\n", PROXY_NONE),
		K("CONNECT [2001:db8::25]:25 HTTP/1.1\r\n", PROXY_HTTP),
		K("CONNECT [mx]:25 HTTP/1.1\r\n", PROXY_NONE),
		K("CONNECT mx:25 HTTP/1.0\r\n\r\nEHLO x\r\n", PROXY_HTTP),
		K("CONNECT mx\x01:25", PROXY_NONE),
		K("\x04\x01\x00\x19\xc0\x00\x02\x19"
		  "fred\0",
		    PROXY_SOCKS4),
		K("\x04\x01\x00\x19\xc0\x00\x02\x19"
		  "fr",
		    PROXY_MAYBE),
		K("\x04", PROXY_MAYBE),
		K("\x04\x02\x00\x19\xc0\x00\x02\x19\0", PROXY_NONE),
		K("\x04\x01\x00\x00\xc0\x00\x02\x19\0", PROXY_NONE),
		K("\x04\x01\x00\x19\x00\x00\x00\x00\0", PROXY_NONE),
		K("\x04\x01\x00\x19\x00\x00\x00\x01\0mx.example.org\0",
		    PROXY_SOCKS4),
		K("\x04\x01\x00\x19\x00\x00\x00\x01\0mx.exa", PROXY_MAYBE),
		K("\x04\x01\x00\x19\xc0\x00\x02\x19\x80\x81\0", PROXY_NONE),
		K("\x05\x01\x00", PROXY_SOCKS5),
		K("\x05", PROXY_MAYBE),
		K("\x05\x02\x00", PROXY_MAYBE),
		K("\x05\x00", PROXY_NONE),
		K("\x05\x01\xff", PROXY_NONE),
		K("\x05\x01\x00\x05\x01\x00\x03", PROXY_SOCKS5),
		K("\x05\x01\x00\x01", PROXY_NONE),
		K("\x05\x02\x00\x02\x01\x05", PROXY_SOCKS5),
		K("\x05\x01\x00"
		  "E",
		    PROXY_NONE),
#undef K
	};
	guint i;

	g_test_summary("sniffing: proxy preambles are told apart from SMTP, "
		       "TLS and other HTTP methods, MAYBE while undecided");
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		enum proxy_kind got =
		    proxy_sniff((const uint8_t *)cases[i].p, cases[i].n);

		if (got != cases[i].want)
			g_error("case %u: got %s, want %s", i,
			    proxy_kind_name(got),
			    proxy_kind_name(cases[i].want));
	}
}

static void
test_sniff_prefixes(void)
{
	static const struct {
		const char *p;
		size_t n;
		enum proxy_kind want;
	} good[] = {
#define K(s, k) { s, sizeof(s) - 1, k }
		K("CONNECT mx.example.org:25 HTTP/1.1\r\n", PROXY_HTTP),
		K("\x04\x01\x00\x19\xc0\x00\x02\x19"
		  "fred\0",
		    PROXY_SOCKS4),
		K("\x04\x01\x00\x19\x00\x00\x00\x01\0mx.example.org\0",
		    PROXY_SOCKS4),
		K("\x05\x03\x00\x01\x02", PROXY_SOCKS5),
	},
	  bad[] = {
		  K("EHLO client.example.org\r\n", PROXY_NONE),
		  K("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
		      PROXY_NONE),
		  K("GET / HTTP/1.1\r\n", PROXY_NONE),
		  K("POST / HTTP/1.1\r\n", PROXY_NONE),
		  K("QUIT\r\n", PROXY_NONE),
#undef K
	  };
	guint i;
	size_t n;

	g_test_summary("every prefix of a preamble is MAYBE until it is "
		       "whole; every prefix of SMTP, TLS or GET is NONE");
	for (i = 0; i < G_N_ELEMENTS(good); i++) {
		for (n = 0; n < good[i].n; n++)
			g_assert_cmpint(
			    proxy_sniff((const uint8_t *)good[i].p, n), ==,
			    PROXY_MAYBE);
		g_assert_cmpint(
		    proxy_sniff((const uint8_t *)good[i].p, good[i].n), ==,
		    good[i].want);
	}
	for (i = 0; i < G_N_ELEMENTS(bad); i++)
		for (n = 1; n <= bad[i].n; n++)
			g_assert_cmpint(
			    proxy_sniff((const uint8_t *)bad[i].p, n), ==,
			    PROXY_NONE);
}

/* ---- HTTP CONNECT ---- */

static void
test_http_open_proxy(void)
{
	/* Bytes of zeek's Traces/http/connect-with-smtp.pcap (a spam tool
	 * of 2004 through an open proxy, ../shared/corpus/MANIFEST.md). */
	static const struct seg sg[] = {
		CL("CONNECT mailin03.sul.t-online.de:25 / HTTP/1.0\r\n"
		   "Mozilla 4.0 (compatible; MSIE 5.01; Windows NT 5.0)\r\n"
		   "\r\n"),
		SV("HTTP/1.0 200 Connection established\r\n\r\n"),
		SV("220 mailin03.sul.t-online.de T-Online ESMTP receiver "
		   "fssmtpd ready.\r\n"),
		CL("HELO 208.191.73.21\r\n"),
	};
	static const size_t want[] = { 103, 39, 0, 0 };
	size_t used[G_N_ELEMENTS(sg)];
	struct proxy_conn *pc;
	const struct proxy_info *in;

	g_test_summary("a real open-proxy CONNECT: the odd request line and "
		       "header are tolerated, the tunnel starts after 200");
	pc = play_all(PROXY_HTTP, sg, G_N_ELEMENTS(sg), false, used);
	in = proxy_conn_info(pc);
	assert_used(used, sg, G_N_ELEMENTS(sg), want);
	g_assert_cmpint(proxy_conn_state(pc), ==, PROXY_STATE_ESTABLISHED);
	g_assert_cmpint(in->kind, ==, PROXY_HTTP);
	g_assert_null(in->reason);
	g_assert_cmpstr(in->host, ==, "mailin03.sul.t-online.de");
	g_assert_cmpuint(in->port, ==, 25);
	g_assert_cmpint(in->addr, ==, PROXY_ADDR_NAME);
	g_assert_cmpuint(in->attempts, ==, 1);
	g_assert_cmphex(in->quirks, ==,
	    1u << PROXY_QUIRK_EXTRA_TOKENS | 1u << PROXY_QUIRK_HEADER_NO_COLON);
	g_assert_cmpint(in->reply_code, ==, 200);
	g_assert_cmpstr(in->reply_text, ==, "Connection established");
	g_assert_null(in->auth_scheme);
	g_assert_null(in->user);
	g_assert_false(in->credentials_sent);
	g_assert_false(in->authenticated);
	g_assert_false(in->auth_demanded);
	g_assert_cmpuint(in->client_early, ==, 0);
	g_assert_true(proxy_conn_open_tunnel(pc));
	g_assert_null(proxy_reply_name(PROXY_HTTP, 200));
	proxy_conn_free(pc);
}

static void
test_http_pipelined(void)
{
	static const struct seg sg[] = {
		CL("CONNECT mx.example.org:25 HTTP/1.1\r\n"
		   "Host: mx.example.org:25\r\n"
		   "User-Agent: test\r\n\r\n"
		   "EHLO client\r\n"),
		SV("HTTP/1.1 200 OK\r\n\r\n"
		   "220 mx ESMTP\r\n"),
		CL("QUIT\r\n"),
	};
	static const size_t want[] = { 81, 19, 0 };
	size_t used[G_N_ELEMENTS(sg)];
	struct proxy_conn *pc;

	g_test_summary("a client that sends SMTP right after its CONNECT: "
		       "each direction splits where its preamble ends");
	pc = play_all(PROXY_HTTP, sg, G_N_ELEMENTS(sg), false, used);
	assert_used(used, sg, G_N_ELEMENTS(sg), want);
	g_assert_cmpint(proxy_conn_state(pc), ==, PROXY_STATE_ESTABLISHED);
	g_assert_cmpuint(proxy_conn_info(pc)->client_early, ==, 13);
	g_assert_cmpstr(proxy_conn_info(pc)->reply_text, ==, "OK");
	g_assert_cmphex(proxy_conn_info(pc)->quirks, ==, 0);
	proxy_conn_free(pc);
}

static void
test_http_basic(void)
{
	g_autofree char *b64 =
	    g_base64_encode((const guchar *)"alice:s3cret", 12);
	g_autofree char *req =
	    g_strdup_printf("CONNECT 192.0.2.25:587 HTTP/1.1\r\n"
			    "Proxy-Authorization: Basic %s\r\n\r\n",
		b64);
	struct seg sg[] = {
		{ false, req, strlen(req) },
		SV("HTTP/1.1 200 Connection established\r\n\r\n"),
	};
	size_t used[G_N_ELEMENTS(sg)];
	struct proxy_conn *pc;
	const struct proxy_info *in;
	g_autofree char *all = NULL;

	g_test_summary("Basic credentials: the scheme, the user name, the "
		       "password's length; never the password");
	pc = play_all(PROXY_HTTP, sg, G_N_ELEMENTS(sg), false, used);
	in = proxy_conn_info(pc);
	g_assert_cmpint(in->state, ==, PROXY_STATE_ESTABLISHED);
	g_assert_cmpstr(in->host, ==, "192.0.2.25");
	g_assert_cmpint(in->addr, ==, PROXY_ADDR_IPV4);
	g_assert_cmpuint(in->port, ==, 587);
	g_assert_cmpstr(in->auth_scheme, ==, "Basic");
	g_assert_cmpstr(in->user, ==, "alice");
	g_assert_true(in->credentials_sent);
	g_assert_true(in->password_sent);
	g_assert_cmpuint(in->password_len, ==, 6);
	g_assert_true(in->authenticated);
	g_assert_false(in->auth_demanded);
	g_assert_false(proxy_conn_open_tunnel(pc));
	all = summary(pc, used, G_N_ELEMENTS(sg));
	g_assert_null(strstr(all, "s3cret"));
	g_assert_null(strstr(all, b64));
	proxy_conn_free(pc);
}

static void
test_http_407_retry(void)
{
	g_autofree char *b64 = g_base64_encode((const guchar *)"bob:pw", 6);
	g_autofree char *retry =
	    g_strdup_printf("CONNECT mx.example.org:25 HTTP/1.1\r\n"
			    "proxy-authorization:   basic %s  \r\n\r\n",
		b64);
	struct seg sg[] = {
		CL("CONNECT mx.example.org:25 HTTP/1.1\r\n"
		   "Host: mx.example.org:25\r\n\r\n"),
		SV("HTTP/1.1 407 Proxy Authentication Required\r\n"
		   "Proxy-Authenticate: Basic realm=\"proxy\"\r\n"
		   "Content-Length: 10\r\n"
		   "Connection: keep-alive\r\n\r\n"
		   "0123456789"),
		{ false, retry, strlen(retry) },
		SV("HTTP/1.1 200 Connection established\r\n\r\n"
		   "220 mx\r\n"),
		CL("EHLO c\r\n"),
	};
	const size_t want[] = { ALL, ALL, ALL, 39, 0 };
	size_t used[G_N_ELEMENTS(sg)];
	struct proxy_conn *pc;
	const struct proxy_info *in;

	g_test_summary("407 with a body, then the client tries again with "
		       "credentials on the same connection and gets in");
	pc = play_all(PROXY_HTTP, sg, G_N_ELEMENTS(sg), false, used);
	in = proxy_conn_info(pc);
	assert_used(used, sg, G_N_ELEMENTS(sg), want);
	g_assert_cmpint(in->state, ==, PROXY_STATE_ESTABLISHED);
	g_assert_cmpuint(in->attempts, ==, 2);
	g_assert_true(in->auth_demanded);
	g_assert_cmpstr(in->challenge, ==, "Basic");
	g_assert_cmpstr(in->auth_scheme, ==, "basic");
	g_assert_cmpstr(in->user, ==, "bob");
	g_assert_cmpuint(in->password_len, ==, 2);
	g_assert_true(in->authenticated);
	g_assert_cmpint(in->reply_code, ==, 200);
	g_assert_cmpuint(in->client_early, ==, 0);
	g_assert_false(proxy_conn_open_tunnel(pc));
	proxy_conn_free(pc);
}

static void
test_http_407_close(void)
{
	static const struct seg sg[] = {
		CL("CONNECT mx.example.org:25 HTTP/1.0\r\n\r\n"),
		SV("HTTP/1.0 407 Proxy Authentication Required\r\n"
		   "Proxy-Authenticate: NTLM\r\n"
		   "Proxy-Authenticate: Basic realm=\"x\"\r\n\r\n"
		   "<html>denied</html>"),
		CL("CONNECT mx.example.org:25 HTTP/1.0\r\n\r\n"),
		SV("HTTP/1.0 200 OK\r\n\r\n"),
	};
	size_t used[G_N_ELEMENTS(sg)];
	const size_t want[] = { ALL, ALL, ALL, ALL };
	struct proxy_conn *pc;
	const struct proxy_info *in;

	g_test_summary("407 whose body runs to the end: refused, and nothing "
		       "after it is read as a new try or tunnelled");
	pc = play_all(PROXY_HTTP, sg, G_N_ELEMENTS(sg), false, used);
	in = proxy_conn_info(pc);
	assert_used(used, sg, G_N_ELEMENTS(sg), want);
	g_assert_cmpint(in->state, ==, PROXY_STATE_REFUSED);
	g_assert_cmpint(in->reply_code, ==, 407);
	g_assert_cmpstr(in->reply_text, ==, "Proxy Authentication Required");
	g_assert_cmpstr(in->challenge, ==, "NTLM");
	g_assert_true(in->auth_demanded);
	g_assert_false(in->authenticated);
	g_assert_cmpuint(in->attempts, ==, 1);
	g_assert_cmphex(in->quirks, ==, 1u << PROXY_QUIRK_AFTER_REFUSAL);
	g_assert_false(proxy_conn_open_tunnel(pc));
	proxy_conn_free(pc);
}

static void
test_http_refused(void)
{
	static const struct seg sg[] = {
		CL("CONNECT mx.example.org:25 HTTP/1.1\r\n\r\n"
		   "EHLO x\r\n"),
		SV("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"),
		CL("QUIT\r\n"),
	};
	static const struct seg bad_gw[] = {
		CL("CONNECT mx.example.org:25 HTTP/1.1\r\n\r\n"),
		SV("HTTP/1.1 502 Bad Gateway\r\n"
		   "Content-Length: 5\r\n\r\nerror"),
		/* A 200 to no new request: the proxy says the tunnel is
		 * open, and what the proxy says is what happened. */
		SV("HTTP/1.1 200 OK\r\n\r\n"),
	};
	static const size_t want[] = { 38, ALL, ALL };
	size_t used[G_N_ELEMENTS(sg)];
	struct proxy_conn *pc;
	const struct proxy_info *in;

	g_test_summary("403 and 502: refused with the code and text; the "
		       "client's pipelined bytes went before the refusal");
	pc = play_all(PROXY_HTTP, sg, G_N_ELEMENTS(sg), false, used);
	in = proxy_conn_info(pc);
	assert_used(used, sg, G_N_ELEMENTS(sg), want);
	g_assert_cmpint(in->state, ==, PROXY_STATE_REFUSED);
	g_assert_cmpint(in->reply_code, ==, 403);
	g_assert_cmpstr(in->reply_text, ==, "Forbidden");
	g_assert_false(in->auth_demanded);
	g_assert_cmpuint(in->client_early, ==, 8);
	g_assert_cmphex(in->quirks, ==, 1u << PROXY_QUIRK_AFTER_REFUSAL);
	proxy_conn_free(pc);

	pc = play_all(PROXY_HTTP, bad_gw, G_N_ELEMENTS(bad_gw), false, used);
	in = proxy_conn_info(pc);
	g_assert_cmpint(in->state, ==, PROXY_STATE_ESTABLISHED);
	g_assert_cmpint(in->reply_code, ==, 200);
	proxy_conn_free(pc);
}

static void
test_http_addresses(void)
{
	static const struct {
		struct seg c;
		const char *host;
		unsigned port;
		enum proxy_addr addr;
	} cases[] = {
		{ CL("CONNECT [2001:db8::25]:587 HTTP/1.1\r\n\r\n"),
		    "2001:db8::25", 587, PROXY_ADDR_IPV6 },
		{ CL("CONNECT 192.0.2.25:25 HTTP/1.1\r\n\r\n"), "192.0.2.25",
		    25, PROXY_ADDR_IPV4 },
		{ CL("\r\nCONNECT mx:2525 HTTP/1.1\n\n"), "mx", 2525,
		    PROXY_ADDR_NAME },
	};
	guint i;

	g_test_summary("CONNECT targets: IPv6 in brackets, IPv4, names; "
		       "a leading empty line and bare LF tolerated");
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t used[1];
		struct proxy_conn *pc =
		    play_all(PROXY_HTTP, &cases[i].c, 1, false, used);
		const struct proxy_info *in = proxy_conn_info(pc);

		g_assert_cmpint(in->state, ==, PROXY_STATE_NEGOTIATING);
		g_assert_cmpstr(in->host, ==, cases[i].host);
		g_assert_cmpuint(in->port, ==, cases[i].port);
		g_assert_cmpint(in->addr, ==, cases[i].addr);
		g_assert_cmpuint(used[0], ==, cases[i].c.n);
		proxy_conn_free(pc);
	}
}

/* A CONNECT with one Proxy-Authorization value, and the proxy's 200. */
static struct proxy_conn *
http_auth(const char *value, size_t *used)
{
	g_autofree char *req = g_strdup_printf(
	    "CONNECT mx:25 HTTP/1.1\r\nProxy-Authorization: %s\r\n"
	    "Proxy-Authorization: Basic Ym9iOnB3\r\n\r\n",
	    value);
	struct seg sg[] = {
		{ false, req, strlen(req) },
		SV("HTTP/1.1 200 OK\r\n\r\n"),
	};

	return play_all(PROXY_HTTP, sg, G_N_ELEMENTS(sg), false, used);
}

static void
test_http_schemes(void)
{
	static const struct {
		const char *value;
		const char *scheme, *user;
		bool password;
		size_t plen;
		bool bad;
	} cases[] = {
		{ "NTLM TlRMTVNTUAADAAAAGAAYAEgAAAA=", "NTLM", NULL, true, 0,
		    false },
		{ "Negotiate", "Negotiate", NULL, false, 0, false },
		{ "Basic !!!!", "Basic", NULL, true, 0, true },
		{ "Basic bm9jb2xvbg==", "Basic", NULL, true, 0, true },
		{ "Basic AQI6cHc=", "Basic", NULL, true, 2, false },
		{ "Basic dXNlcjo=", "Basic", "user", false, 0, false },
		{ "Basic w6lsw6h2ZTpzZWNyZXQ=", "Basic", "\xc3\xa9l\xc3\xa8ve",
		    true, 6, false },
		{ "B@sic x", NULL, NULL, true, 0, false },
		{ "Ba\001sic x", NULL, NULL, true, 0, false },
	};
	guint i;

	g_test_summary("Proxy-Authorization: other schemes say only that a "
		       "token went; Basic keeps printable names only; the "
		       "first header counts");
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t used[2];
		struct proxy_conn *pc = http_auth(cases[i].value, used);
		const struct proxy_info *in = proxy_conn_info(pc);

		g_test_message("case %u: %s", i, cases[i].value);
		g_assert_cmpint(in->state, ==, PROXY_STATE_ESTABLISHED);
		g_assert_cmpstr(in->auth_scheme, ==, cases[i].scheme);
		g_assert_cmpstr(in->user, ==, cases[i].user);
		g_assert_true(in->credentials_sent);
		g_assert_true(in->authenticated);
		g_assert_cmpint(in->password_sent, ==, cases[i].password);
		g_assert_cmpuint(in->password_len, ==, cases[i].plen);
		g_assert_cmpint(!!(in->quirks & 1u << PROXY_QUIRK_BAD_BASIC),
		    ==, cases[i].bad);
		proxy_conn_free(pc);
	}
}

/* Play client bytes, then server bytes; the reason it failed for. */
static void
assert_fails(enum proxy_kind kind, const char *c, size_t cn, const char *s,
    size_t sn, const char *why)
{
	struct seg sg[] = { { false, c, cn }, { true, s, sn } };
	size_t used[2];
	struct proxy_conn *pc = play_all(kind, sg, 2, false, used);
	const struct proxy_info *in = proxy_conn_info(pc);

	g_assert_cmpint(in->state, ==, PROXY_STATE_FAILED);
	g_assert_cmpstr(in->reason, ==, why);
	/* Nothing after a failure is tunnelled. */
	g_assert_cmpuint(
	    proxy_conn_push(pc, false, (const uint8_t *)"EHLO\r\n", 6), ==, 6);
	g_assert_cmpuint(
	    proxy_conn_push(pc, true, (const uint8_t *)"220 x\r\n", 7), ==, 7);
	proxy_conn_free(pc);
}

#define FAILS(k, c, s, why)                                                    \
	assert_fails(k, c, sizeof(c) - 1, s, sizeof(s) - 1, why)

static void
test_http_malformed(void)
{
	g_autofree char *fill = g_strnfill(PROXY_LINE_MAX - 3, 'a');
	g_autofree char *edge =
	    g_strdup_printf("CONNECT mx:25 HTTP/1.1\r\nX: %s\r\n\r\n", fill);
	g_autofree char *over =
	    g_strdup_printf("CONNECT mx:25 HTTP/1.1\r\nX: %sa\r\n\r\n", fill);
	GString *many = g_string_new("CONNECT mx:25 HTTP/1.1\r\n");
	g_autofree char *line = g_strnfill(1000, 'b');
	struct seg sg[1];
	size_t used[1];
	struct proxy_conn *pc;
	unsigned i;

	g_test_summary("malformed requests and responses fail with a "
		       "reason; a line of exactly the limit is whole, one "
		       "byte more or a 64 KiB header block is too long");
	FAILS(PROXY_HTTP, "GET http://mx/ HTTP/1.1\r\n\r\n", "",
	    "not a CONNECT request");
	FAILS(PROXY_HTTP, "CONNECT mx HTTP/1.1\r\n\r\n", "",
	    "malformed CONNECT target");
	FAILS(PROXY_HTTP, "CONNECT mx:0 HTTP/1.1\r\n\r\n", "",
	    "malformed CONNECT target");
	FAILS(PROXY_HTTP, "CONNECT mx:65536 HTTP/1.1\r\n\r\n", "",
	    "malformed CONNECT target");
	FAILS(PROXY_HTTP, "CONNECT a b:25 HTTP/1.1\r\n\r\n", "",
	    "malformed CONNECT target");
	FAILS(PROXY_HTTP, "CONNECT mx\0evil:25 HTTP/1.1\r\n\r\n", "",
	    "malformed CONNECT target");
	FAILS(PROXY_HTTP, "CONNECT mx:25 HTTP/x\r\n\r\n", "",
	    "malformed CONNECT request line");
	FAILS(PROXY_HTTP, "CONNECT mx:25\r\n\r\n", "",
	    "malformed CONNECT request line");
	FAILS(PROXY_HTTP, "CONNECT mx:25 HTTP/1.1\r\n\r\n",
	    "SSH-2.0-OpenSSH_9.2\r\n", "not an HTTP response");
	FAILS(PROXY_HTTP, "CONNECT mx:25 HTTP/1.1\r\n\r\n",
	    "HTTP/1.1 2000 OK\r\n\r\n", "not an HTTP response");

	sg[0] = (struct seg){ false, edge, strlen(edge) };
	pc = play_all(PROXY_HTTP, sg, 1, false, used);
	g_assert_cmpint(proxy_conn_state(pc), ==, PROXY_STATE_NEGOTIATING);
	g_assert_cmpuint(used[0], ==, strlen(edge));
	proxy_conn_free(pc);
	assert_fails(
	    PROXY_HTTP, over, strlen(over), "", 0, "preamble too long");

	for (i = 0; i < 70; i++)
		g_string_append_printf(many, "X-%u: %s\r\n", i, line);
	g_string_append(many, "\r\n");
	assert_fails(
	    PROXY_HTTP, many->str, many->len, "", 0, "preamble too long");
	g_string_free(many, TRUE);
}

/* ---- SOCKS4 and 4a ---- */

static void
test_socks4(void)
{
	static const struct seg sg[] = {
		CL("\x04\x01\x00\x19\xc0\x00\x02\x19"
		   "fred\0"
		   "EHLO c\r\n"),
		SV("\x00\x5a\x00\x00\x00\x00\x00\x00"
		   "220 mx\r\n"),
	};
	static const size_t want[] = { 13, 8 };
	size_t used[G_N_ELEMENTS(sg)];
	struct proxy_conn *pc;
	const struct proxy_info *in;

	g_test_summary("SOCKS4 CONNECT with a user id, pipelined SMTP, "
		       "granted: an open tunnel (a user id is no proof)");
	pc = play_all(PROXY_SOCKS4, sg, G_N_ELEMENTS(sg), false, used);
	in = proxy_conn_info(pc);
	assert_used(used, sg, G_N_ELEMENTS(sg), want);
	g_assert_cmpint(in->state, ==, PROXY_STATE_ESTABLISHED);
	g_assert_cmpstr(in->host, ==, "192.0.2.25");
	g_assert_cmpint(in->addr, ==, PROXY_ADDR_IPV4);
	g_assert_cmpuint(in->port, ==, 25);
	g_assert_false(in->socks4a);
	g_assert_cmpstr(in->user, ==, "fred");
	g_assert_false(in->credentials_sent);
	g_assert_false(in->password_sent);
	g_assert_false(in->authenticated);
	g_assert_cmpint(in->reply_code, ==, 90);
	g_assert_cmpstr(proxy_reply_name(PROXY_SOCKS4, in->reply_code), ==,
	    "request granted");
	g_assert_cmpuint(in->client_early, ==, 8);
	g_assert_true(proxy_conn_open_tunnel(pc));
	proxy_conn_free(pc);
}

static void
test_socks4a_refused(void)
{
	static const struct seg sg[] = {
		CL("\x04\x01\x02\x4b\x00\x00\x00\x01\0mx.example.org\0"),
		SV("\x00\x5b\x00\x00\x00\x00\x00\x00"),
		CL("EHLO c\r\n"),
	};
	size_t used[G_N_ELEMENTS(sg)];
	static const size_t want[] = { ALL, ALL, ALL };
	struct proxy_conn *pc;
	const struct proxy_info *in;

	g_test_summary("SOCKS4a: the host name after an empty user id; 91 "
		       "refuses and nothing after it is tunnelled");
	pc = play_all(PROXY_SOCKS4, sg, G_N_ELEMENTS(sg), false, used);
	in = proxy_conn_info(pc);
	assert_used(used, sg, G_N_ELEMENTS(sg), want);
	g_assert_cmpint(in->state, ==, PROXY_STATE_REFUSED);
	g_assert_true(in->socks4a);
	g_assert_cmpstr(in->host, ==, "mx.example.org");
	g_assert_cmpint(in->addr, ==, PROXY_ADDR_NAME);
	g_assert_cmpuint(in->port, ==, 587);
	g_assert_null(in->user);
	g_assert_cmpint(in->reply_code, ==, 91);
	g_assert_cmpstr(proxy_reply_name(PROXY_SOCKS4, 91), ==,
	    "request rejected or failed");
	g_assert_cmphex(in->quirks, ==, 1u << PROXY_QUIRK_AFTER_REFUSAL);
	g_assert_false(proxy_conn_open_tunnel(pc));
	proxy_conn_free(pc);
}

static void
test_socks4_malformed(void)
{
	g_autofree char *longid = NULL;
	GString *g = g_string_new_len("\x04\x01\x00\x19\xc0\x00\x02\x19", 8);
	size_t used[2];
	struct proxy_conn *pc;
	static const struct seg vn4[] = {
		CL("\x04\x01\x00\x19\xc0\x00\x02\x19\0"),
		SV("\x04\x5a\x00\x00\x00\x00\x00\x00"),
	};

	g_test_summary("SOCKS4: BIND, a wrong version, an endless user id, "
		       "4a without a host, bad replies fail; VN 4 in a "
		       "reply is tolerated");
	FAILS(PROXY_SOCKS4, "\x04\x02\x00\x19\xc0\x00\x02\x19\0", "",
	    "SOCKS4 BIND is not followed");
	FAILS(PROXY_SOCKS4, "\x04\x07\x00\x19\xc0\x00\x02\x19\0", "",
	    "unknown SOCKS4 command");
	FAILS(PROXY_SOCKS4, "\x05\x01\x00", "", "not a SOCKS4 request");
	FAILS(PROXY_SOCKS4, "\x04\x01\x00\x19\x00\x00\x00\x09u\0\0", "",
	    "SOCKS4a request without a host name");
	FAILS(PROXY_SOCKS4, "\x04\x01\x00\x19\xc0\x00\x02\x19\0",
	    "\x01\x5a\x00\x00\x00\x00\x00\x00", "not a SOCKS4 reply");
	FAILS(PROXY_SOCKS4, "\x04\x01\x00\x19\xc0\x00\x02\x19\0",
	    "\x00\x32\x00\x00\x00\x00\x00\x00", "unknown SOCKS4 reply code");

	longid = g_strnfill(300, 'u');
	g_string_append(g, longid);
	g_string_append_len(g, "", 1);
	assert_fails(PROXY_SOCKS4, g->str, g->len, "", 0, "preamble too long");
	g_string_free(g, TRUE);

	pc = play_all(PROXY_SOCKS4, vn4, 2, false, used);
	g_assert_cmpint(proxy_conn_state(pc), ==, PROXY_STATE_ESTABLISHED);
	g_assert_cmphex(
	    proxy_conn_info(pc)->quirks, ==, 1u << PROXY_QUIRK_REPLY_VERSION);
	g_assert_null(proxy_conn_info(pc)->user);
	proxy_conn_free(pc);
}

/* ---- SOCKS5 ---- */

static void
test_socks5_domain(void)
{
	static const struct seg sg[] = {
		CL("\x05\x01\x00"),
		SV("\x05\x00"),
		CL("\x05\x01\x00\x03\x0e"
		   "mx.example.org\x00\x19"),
		SV("\x05\x00\x00\x01\xc6\x33\x64\x07\x9c\x40"),
		SV("220 mx\r\n"),
		CL("EHLO c\r\n"),
	};
	static const size_t want[] = { ALL, ALL, ALL, ALL, 0, 0 };
	size_t used[G_N_ELEMENTS(sg)];
	struct proxy_conn *pc;
	const struct proxy_info *in;

	g_test_summary("SOCKS5 without authentication to a domain name "
		       "(ATYP 3): an open tunnel");
	pc = play_all(PROXY_SOCKS5, sg, G_N_ELEMENTS(sg), false, used);
	in = proxy_conn_info(pc);
	assert_used(used, sg, G_N_ELEMENTS(sg), want);
	g_assert_cmpint(in->state, ==, PROXY_STATE_ESTABLISHED);
	g_assert_cmpuint(in->n_methods, ==, 1);
	g_assert_cmpuint(in->methods[0], ==, 0);
	g_assert_cmpint(in->method, ==, 0);
	g_assert_cmpstr(proxy_method_name(in->method), ==, "no authentication");
	g_assert_cmpstr(in->host, ==, "mx.example.org");
	g_assert_cmpint(in->addr, ==, PROXY_ADDR_NAME);
	g_assert_cmpuint(in->port, ==, 25);
	g_assert_cmpint(in->reply_code, ==, 0);
	g_assert_cmpstr(proxy_reply_name(PROXY_SOCKS5, 0), ==, "succeeded");
	g_assert_false(in->auth_demanded);
	g_assert_false(in->credentials_sent);
	g_assert_cmpint(in->auth_status, ==, -1);
	g_assert_cmpuint(in->client_early, ==, 0);
	g_assert_true(proxy_conn_open_tunnel(pc));
	proxy_conn_free(pc);
}

static void
test_socks5_userpass_pipelined(void)
{
	static const struct seg sg[] = {
		CL("\x05\x02\x00\x02"
		   "\x01\x05"
		   "alice"
		   "\x06"
		   "s3cret"
		   "\x05\x01\x00\x01\xc0\x00\x02\x19\x00\x19"
		   "EHLO c\r\n"),
		SV("\x05\x02"
		   "\x01\x00"
		   "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"
		   "220 mx\r\n"),
	};
	static const size_t want[] = { 28, 14 };
	size_t used[G_N_ELEMENTS(sg)];
	struct proxy_conn *pc;
	const struct proxy_info *in;
	g_autofree char *all = NULL;

	g_test_summary("SOCKS5 greeting, RFC 1929 and CONNECT in one segment "
		       "before any reply, and all replies in one: split "
		       "right; the user name kept, the password not");
	pc = play_all(PROXY_SOCKS5, sg, G_N_ELEMENTS(sg), false, used);
	in = proxy_conn_info(pc);
	assert_used(used, sg, G_N_ELEMENTS(sg), want);
	g_assert_cmpint(in->state, ==, PROXY_STATE_ESTABLISHED);
	g_assert_cmpuint(in->n_methods, ==, 2);
	g_assert_cmpmem(in->methods, 2, "\x00\x02", 2);
	g_assert_cmpint(in->method, ==, 2);
	g_assert_cmpstr(proxy_method_name(2), ==, "username/password");
	g_assert_cmpstr(in->user, ==, "alice");
	g_assert_true(in->credentials_sent);
	g_assert_true(in->password_sent);
	g_assert_cmpuint(in->password_len, ==, 6);
	g_assert_cmpint(in->auth_status, ==, 0);
	g_assert_true(in->auth_demanded);
	g_assert_true(in->authenticated);
	g_assert_cmpstr(in->host, ==, "192.0.2.25");
	g_assert_cmpuint(in->port, ==, 25);
	g_assert_cmpuint(in->client_early, ==, 8);
	g_assert_false(proxy_conn_open_tunnel(pc));
	all = summary(pc, used, G_N_ELEMENTS(sg));
	g_assert_null(strstr(all, "s3cret"));
	proxy_conn_free(pc);
}

static void
test_socks5_ipv6_refused(void)
{
	static const struct seg sg[] = {
		CL("\x05\x01\x00"),
		SV("\x05\x00"),
		CL("\x05\x01\x00\x04"
		   "\x20\x01\x0d\xb8\x00\x00\x00\x00"
		   "\x00\x00\x00\x00\x00\x00\x00\x25"
		   "\x00\x19"),
		SV("\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00"),
		CL("EHLO c\r\n"),
	};
	static const size_t want[] = { ALL, ALL, ALL, ALL, ALL };
	size_t used[G_N_ELEMENTS(sg)];
	struct proxy_conn *pc;
	const struct proxy_info *in;

	g_test_summary("SOCKS5 to an IPv6 address (ATYP 4), refused with "
		       "REP 5 (connection refused)");
	pc = play_all(PROXY_SOCKS5, sg, G_N_ELEMENTS(sg), false, used);
	in = proxy_conn_info(pc);
	assert_used(used, sg, G_N_ELEMENTS(sg), want);
	g_assert_cmpint(in->state, ==, PROXY_STATE_REFUSED);
	g_assert_cmpstr(in->host, ==, "2001:db8::25");
	g_assert_cmpint(in->addr, ==, PROXY_ADDR_IPV6);
	g_assert_cmpuint(in->port, ==, 25);
	g_assert_cmpint(in->reply_code, ==, 5);
	g_assert_cmpstr(
	    proxy_reply_name(PROXY_SOCKS5, 5), ==, "connection refused");
	g_assert_cmphex(in->quirks, ==, 1u << PROXY_QUIRK_AFTER_REFUSAL);
	proxy_conn_free(pc);
}

static void
test_socks5_no_method(void)
{
	static const struct seg sg[] = {
		CL("\x05\x01\x02"),
		SV("\x05\xff"),
		/* A client that pipelined past the refusal: still read. */
		CL("\x01\x01u\x00"
		   "\x05\x01\x00\x01\xc0\x00\x02\x19\x00\x19"),
	};
	size_t used[G_N_ELEMENTS(sg)];
	static const size_t want[] = { ALL, ALL, ALL };
	struct proxy_conn *pc;
	const struct proxy_info *in;

	g_test_summary("SOCKS5 0xff: no acceptable methods, refused; a "
		       "pipelined preamble after it is still read");
	pc = play_all(PROXY_SOCKS5, sg, G_N_ELEMENTS(sg), false, used);
	in = proxy_conn_info(pc);
	assert_used(used, sg, G_N_ELEMENTS(sg), want);
	g_assert_cmpint(in->state, ==, PROXY_STATE_REFUSED);
	g_assert_cmpint(in->method, ==, 0xff);
	g_assert_cmpstr(
	    proxy_method_name(in->method), ==, "no acceptable methods");
	g_assert_cmpint(in->reply_code, ==, -1);
	g_assert_cmpstr(in->user, ==, "u");
	g_assert_true(in->credentials_sent);
	g_assert_false(in->password_sent);
	g_assert_cmpuint(in->password_len, ==, 0);
	g_assert_cmpstr(in->host, ==, "192.0.2.25");
	g_assert_false(in->authenticated);
	proxy_conn_free(pc);
}

static void
test_socks5_auth_failed(void)
{
	static const struct seg sg[] = {
		CL("\x05\x01\x02"),
		SV("\x05\x02"),
		CL("\x01\x04\x00\xff\x01\x02\x08password"),
		SV("\x01\x01"),
	};
	size_t used[G_N_ELEMENTS(sg)];
	struct proxy_conn *pc;
	const struct proxy_info *in;

	g_test_summary("RFC 1929 failure: refused, not authenticated; a "
		       "binary user name is not kept");
	pc = play_all(PROXY_SOCKS5, sg, G_N_ELEMENTS(sg), false, used);
	in = proxy_conn_info(pc);
	g_assert_cmpint(in->state, ==, PROXY_STATE_REFUSED);
	g_assert_cmpint(in->auth_status, ==, 1);
	g_assert_true(in->auth_demanded);
	g_assert_false(in->authenticated);
	g_assert_null(in->user);
	g_assert_cmpuint(in->password_len, ==, 8);
	g_assert_cmpint(in->reply_code, ==, -1);
	g_assert_null(in->host);
	proxy_conn_free(pc);
}

static void
test_socks5_malformed(void)
{
	static const struct seg quirky[] = {
		CL("\x05\x01\x02"),
		SV("\x05\x02"),
		CL("\x01\x01u\x01p"
		   "\x05\x01\x07\x01\xc0\x00\x02\x19\x00\x19"),
		SV("\x01\x00"
		   "\x05\x01\x00\x00"),
	};
	size_t used[G_N_ELEMENTS(quirky)];
	struct proxy_conn *pc;
	const struct proxy_info *in;

	g_test_summary("SOCKS5: malformed greetings, requests and replies, "
		       "commands and methods not followed, fail with a "
		       "reason; an RFC 1929 status VER 5, a set RSV and a "
		       "refusal without address are tolerated");
	FAILS(PROXY_SOCKS5, "\x05\x00", "", "SOCKS5 greeting without methods");
	FAILS(PROXY_SOCKS5, "\x04\x01\x00", "", "not a SOCKS5 greeting");
	FAILS(PROXY_SOCKS5, "\x05\x01\x00\x05\x01\x00\x02\x00\x00", "\x05\x00",
	    "unknown SOCKS5 address type");
	FAILS(PROXY_SOCKS5,
	    "\x05\x01\x00\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00", "",
	    "SOCKS5 BIND is not followed");
	FAILS(PROXY_SOCKS5,
	    "\x05\x01\x00\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00", "",
	    "SOCKS5 UDP ASSOCIATE is not followed");
	FAILS(PROXY_SOCKS5,
	    "\x05\x01\x00\x05\x09\x00\x01\x00\x00\x00\x00\x00\x00", "",
	    "unknown SOCKS5 command");
	FAILS(PROXY_SOCKS5, "\x05\x01\x00\x01\x01u\x01p", "",
	    "RFC 1929 request for a method not offered");
	FAILS(PROXY_SOCKS5, "\x05\x01\x00\x03\x00", "", "not a SOCKS5 request");
	FAILS(PROXY_SOCKS5, "\x05\x01\x00\x05\x01\x00\x03\x00\x00\x19", "",
	    "SOCKS5 request with an empty host name");
	FAILS(PROXY_SOCKS5, "\x05\x01\x00\x05\x01\x00\x03\x02m\0\x00\x19", "",
	    "NUL in the SOCKS5 host name");
	FAILS(PROXY_SOCKS5, "\x05\x01\x00", "\x05\x02",
	    "SOCKS5 method chosen was not offered");
	FAILS(PROXY_SOCKS5, "\x05\x02\x00\x01", "\x05\x01",
	    "SOCKS5 authentication method not followed");
	FAILS(PROXY_SOCKS5, "\x05\x01\x00", "\x04\x00",
	    "not a SOCKS5 method selection");
	FAILS(PROXY_SOCKS5, "\x05\x01\x00", "\x05\x00\x04\x00",
	    "not a SOCKS5 reply");
	FAILS(PROXY_SOCKS5, "\x05\x01\x00", "\x05\x00\x05\x00\x00\x07",
	    "unknown SOCKS5 address type");
	FAILS(PROXY_SOCKS5, "\x05\x01\x02", "\x05\x02\x02\x00",
	    "not an RFC 1929 reply");

	pc = play_all(PROXY_SOCKS5, quirky, G_N_ELEMENTS(quirky), false, used);
	in = proxy_conn_info(pc);
	g_assert_cmpint(in->state, ==, PROXY_STATE_REFUSED);
	g_assert_cmpint(in->reply_code, ==, 1);
	g_assert_cmpstr(proxy_reply_name(PROXY_SOCKS5, 1), ==,
	    "general SOCKS server failure");
	g_assert_cmphex(in->quirks, ==,
	    1u << PROXY_QUIRK_RESERVED_SET | 1u << PROXY_QUIRK_SHORT_REPLY);
	g_assert_true(in->authenticated);
	proxy_conn_free(pc);

	/* RFC 1929 status with VER 5, as some servers send it. */
	{
		static const struct seg v5[] = {
			CL("\x05\x01\x02\x01\x01u\x01p"
			   "\x05\x01\x00\x01\xc0\x00\x02\x19\x00\x19"),
			SV("\x05\x02\x05\x00"
			   "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"),
		};

		pc = play_all(PROXY_SOCKS5, v5, G_N_ELEMENTS(v5), false, used);
		g_assert_cmpint(
		    proxy_conn_state(pc), ==, PROXY_STATE_ESTABLISHED);
		g_assert_cmphex(proxy_conn_info(pc)->quirks, ==,
		    1u << PROXY_QUIRK_REPLY_VERSION);
		proxy_conn_free(pc);
	}
}

/* ---- truncation, memory, hostile input ---- */

static void
test_truncated(void)
{
	static const struct seg s5[] = {
		CL("\x05\x01\x00\x05\x01\x00\x01\xc0\x00\x02\x19\x00\x19"),
		SV("\x05\x00\x05\x05\x00"),
	};
	static const struct seg s4[] = {
		CL("\x04\x01\x00\x19\xc0\x00\x02\x19\0"),
		SV("\x00\x5c\x00"),
	};
	static const struct seg half[] = {
		CL("CONNECT mx:25 HTTP/1.1\r\nHost: m"),
		SV("HTTP/1.1 200 OK\r\n"),
	};
	size_t used[2];
	struct proxy_conn *pc;
	const struct proxy_info *in;

	g_test_summary("the end of a connection: a SOCKS refusal cut short "
		       "is a refusal; an unfinished preamble stays "
		       "negotiating, with what it told so far");
	pc = play_all(PROXY_SOCKS5, s5, 2, true, used);
	in = proxy_conn_info(pc);
	g_assert_cmpint(in->state, ==, PROXY_STATE_REFUSED);
	g_assert_cmpint(in->reply_code, ==, 5);
	g_assert_cmphex(in->quirks, ==, 1u << PROXY_QUIRK_SHORT_REPLY);
	g_assert_cmpuint(proxy_conn_mem(pc), <, 1024); /* nothing held */
	proxy_conn_free(pc);

	pc = play_all(PROXY_SOCKS4, s4, 2, true, used);
	g_assert_cmpint(proxy_conn_state(pc), ==, PROXY_STATE_REFUSED);
	g_assert_cmpint(proxy_conn_info(pc)->reply_code, ==, 92);
	proxy_conn_free(pc);

	pc = play_all(PROXY_HTTP, half, 2, true, used);
	in = proxy_conn_info(pc);
	g_assert_cmpint(in->state, ==, PROXY_STATE_NEGOTIATING);
	g_assert_cmpstr(in->host, ==, "mx");
	g_assert_cmpint(in->reply_code, ==, 200);
	g_assert_cmpuint(used[0], ==, half[0].n);
	g_assert_cmpuint(used[1], ==, half[1].n);
	proxy_conn_free(pc);
}

static void
test_mem(void)
{
	g_autofree char *part = g_strnfill(5000, 'x');
	g_autofree char *huge = g_strnfill(100000, 'y');
	struct proxy_conn *pc = proxy_conn_new(PROXY_HTTP);
	size_t base = proxy_conn_mem(pc), held;

	g_test_summary("what a connection holds is charged while it holds "
		       "it, and bounded whatever comes");
	g_assert_cmpuint(base, >, sizeof(struct proxy_info));
	g_assert_cmpuint(base, <, 1024);
	proxy_conn_push(
	    pc, false, (const uint8_t *)"CONNECT mx:25 HTTP/1.1\r\nX: ", 27);
	proxy_conn_push(pc, false, (const uint8_t *)part, 5000);
	held = proxy_conn_mem(pc);
	g_assert_cmpuint(held, >=, base + 5000);
	g_assert_cmpuint(held, <=, base + 8192 + 64 + budget_str("mx"));
	proxy_conn_push(pc, false, (const uint8_t *)"\r\n", 2);
	g_assert_cmpuint(proxy_conn_mem(pc), ==, base + budget_str("mx"));
	proxy_conn_push(pc, false, (const uint8_t *)"X: ", 3);
	g_assert_cmpuint(
	    proxy_conn_push(pc, false, (const uint8_t *)huge, 100000), ==,
	    100000);
	g_assert_cmpint(proxy_conn_state(pc), ==, PROXY_STATE_FAILED);
	g_assert_cmpstr(proxy_conn_info(pc)->reason, ==, "preamble too long");
	g_assert_cmpuint(proxy_conn_mem(pc), ==, base + budget_str("mx"));
	proxy_conn_free(pc);
	g_assert_null(proxy_conn_new(PROXY_NONE));
	g_assert_null(proxy_conn_new(PROXY_MAYBE));
	proxy_conn_free(NULL);
}

/* The transcripts the mutation loop starts from. */
static const struct {
	enum proxy_kind kind;
	struct seg sg[4];
	size_t ns;
} seeds[] = {
	{ PROXY_HTTP,
	    { CL("CONNECT mx.example.org:25 HTTP/1.1\r\n"
		 "Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n\r\nEHLO\r\n"),
		SV("HTTP/1.1 407 No\r\nProxy-Authenticate: Basic\r\n"
		   "Content-Length: 3\r\n\r\nabc"),
		CL("CONNECT [::1]:25 HTTP/1.1\r\n\r\n"),
		SV("HTTP/1.1 200 OK\r\n\r\n220 mx\r\n") },
	    4 },
	{ PROXY_SOCKS4,
	    { CL("\x04\x01\x00\x19\x00\x00\x00\x01u\0mx\0EHLO\r\n"),
		SV("\x00\x5a\x00\x00\x00\x00\x00\x00"
		   "220 mx\r\n") },
	    2 },
	{ PROXY_SOCKS5,
	    { CL("\x05\x02\x00\x02\x01\x01u\x01p"
		 "\x05\x01\x00\x03\x02mx\x00\x19"),
		SV("\x05\x02\x01\x00"),
		SV("\x05\x00\x00\x04\x20\x01\x0d\xb8\x00\x00\x00\x00"
		   "\x00\x00\x00\x00\x00\x00\x00\x25\x00\x19"),
		CL("EHLO c\r\n") },
	    4 },
};

static void
test_mutation(void)
{
	GRand *r = g_rand_new_with_seed(1929);
	unsigned iter, i, k, kinds = 0;

	g_test_summary("random mutations of every kind's transcript, played "
		       "whole and at random splits: no crash, the same "
		       "result, every state reached");
	for (iter = 0; iter < 3000; iter++) {
		guint si = (guint)g_rand_int_range(r, 0, G_N_ELEMENTS(seeds));
		struct seg sg[4];
		GByteArray *b[4];
		size_t ns = seeds[si].ns, used[4], u2[4];
		struct proxy_conn *pc, *p2;
		g_autofree char *want = NULL, *got = NULL;
		unsigned edits = (unsigned)g_rand_int_range(r, 1, 6);

		for (i = 0; i < ns; i++) {
			b[i] = g_byte_array_new();
			g_byte_array_append(b[i],
			    (const guint8 *)seeds[si].sg[i].p,
			    (guint)seeds[si].sg[i].n);
		}
		for (k = 0; k < edits; k++) {
			GByteArray *t = b[g_rand_int_range(r, 0, (gint32)ns)];
			guint at = t->len > 0 ? (guint)g_rand_int_range(
						    r, 0, (gint32)t->len)
					      : 0;
			guint8 c = (guint8)g_rand_int_range(r, 0, 256);

			switch (g_rand_int_range(r, 0, 4)) {
			case 0:
				if (t->len > 0)
					t->data[at] = c;
				break;
			case 1:
				g_byte_array_set_size(t, t->len + 1);
				memmove(t->data + at + 1, t->data + at,
				    t->len - 1 - at);
				t->data[at] = c;
				break;
			case 2:
				if (t->len > 0)
					g_byte_array_remove_index(t, at);
				break;
			default:
				g_byte_array_set_size(t, at);
				break;
			}
		}
		for (i = 0; i < ns; i++)
			sg[i] = (struct seg){ seeds[si].sg[i].srv,
				(const char *)b[i]->data, b[i]->len };
		pc = play(seeds[si].kind, sg, ns, 0, NULL, iter % 2, used);
		want = summary(pc, used, ns);
		kinds |= 1u << proxy_conn_state(pc);
		g_assert_cmpuint(proxy_conn_mem(pc), <, 2048);
		p2 = play(seeds[si].kind, sg, ns, -1, r, iter % 2, u2);
		got = summary(p2, u2, ns);
		if (strcmp(got, want) != 0) {
			for (i = 0; i < ns; i++) {
				g_autofree char *raw =
				    g_strndup(sg[i].p, sg[i].n);
				g_autofree char *e = g_strescape(raw, NULL);
				g_printerr("seg %u: %s\n", i, e);
			}
			g_error("iteration %u:\n whole %s\n split %s", iter,
			    want, got);
		}
		proxy_conn_free(pc);
		proxy_conn_free(p2);
		for (i = 0; i < ns; i++)
			g_byte_array_unref(b[i]);
	}
	g_assert_cmphex(kinds, ==, (1u << PROXY_STATE_COUNT) - 1);
	g_rand_free(r);
}

static void
test_garbage(void)
{
	GRand *r = g_rand_new_with_seed(4);
	guint8 buf[600];
	unsigned iter, kind;
	size_t i;

	g_test_summary("random bytes of any length in both directions: no "
		       "crash, never more than was pushed, sniff agrees");
	for (iter = 0; iter < 2000; iter++) {
		size_t n = (size_t)g_rand_int_range(r, 0, sizeof buf);
		enum proxy_kind k;

		for (i = 0; i < n; i++)
			buf[i] = (guint8)g_rand_int_range(r, 0, 256);
		if (n > 0 && iter % 3 != 0)
			buf[0] = "\x04\x05"[iter % 3 - 1];
		k = proxy_sniff(buf, n);
		g_assert_cmpint(k, >=, PROXY_NONE);
		g_assert_cmpint(k, <, PROXY_KIND_COUNT);
		for (kind = PROXY_HTTP; kind <= PROXY_SOCKS5; kind++) {
			struct proxy_conn *pc = proxy_conn_new(kind);
			size_t half = n / 2;

			g_assert_cmpuint(
			    proxy_conn_push(pc, false, buf, half), <=, half);
			g_assert_cmpuint(
			    proxy_conn_push(pc, true, buf + half, n - half), <=,
			    n - half);
			g_assert_cmpuint(
			    proxy_conn_push(pc, false, buf, n), <=, n);
			proxy_conn_end(pc);
			proxy_conn_free(pc);
		}
	}
	g_rand_free(r);
}

static void
test_names(void)
{
	g_test_summary("every kind, state and quirk has a name; codes "
		       "without one have none");
	g_assert_cmpstr(proxy_kind_name(PROXY_HTTP), ==, "http-connect");
	g_assert_cmpstr(proxy_kind_name(PROXY_KIND_COUNT), ==, "?");
	g_assert_cmpstr(proxy_state_name(PROXY_STATE_REFUSED), ==, "refused");
	g_assert_cmpstr(proxy_quirk_name(PROXY_QUIRK_BARE_LF), ==, "bare-lf");
	g_assert_cmpstr(proxy_reply_name(PROXY_SOCKS5, 8), ==,
	    "address type not supported");
	g_assert_null(proxy_reply_name(PROXY_SOCKS5, 9));
	g_assert_null(proxy_reply_name(PROXY_SOCKS4, 89));
	g_assert_null(proxy_reply_name(PROXY_SOCKS4, 94));
	g_assert_cmpstr(proxy_reply_name(PROXY_SOCKS4, 93), ==,
	    "rejected: identd reports another user id");
	g_assert_null(proxy_method_name(0x80));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/proxy/sniff/kinds", test_sniff);
	g_test_add_func("/proxy/sniff/prefixes", test_sniff_prefixes);
	g_test_add_func("/proxy/http/open-proxy", test_http_open_proxy);
	g_test_add_func("/proxy/http/pipelined", test_http_pipelined);
	g_test_add_func("/proxy/http/basic", test_http_basic);
	g_test_add_func("/proxy/http/407-retry", test_http_407_retry);
	g_test_add_func("/proxy/http/407-close", test_http_407_close);
	g_test_add_func("/proxy/http/refused", test_http_refused);
	g_test_add_func("/proxy/http/addresses", test_http_addresses);
	g_test_add_func("/proxy/http/schemes", test_http_schemes);
	g_test_add_func("/proxy/http/malformed", test_http_malformed);
	g_test_add_func("/proxy/socks4/connect", test_socks4);
	g_test_add_func("/proxy/socks4/4a-refused", test_socks4a_refused);
	g_test_add_func("/proxy/socks4/malformed", test_socks4_malformed);
	g_test_add_func("/proxy/socks5/domain", test_socks5_domain);
	g_test_add_func(
	    "/proxy/socks5/userpass-pipelined", test_socks5_userpass_pipelined);
	g_test_add_func("/proxy/socks5/ipv6-refused", test_socks5_ipv6_refused);
	g_test_add_func("/proxy/socks5/no-method", test_socks5_no_method);
	g_test_add_func("/proxy/socks5/auth-failed", test_socks5_auth_failed);
	g_test_add_func("/proxy/socks5/malformed", test_socks5_malformed);
	g_test_add_func("/proxy/truncated", test_truncated);
	g_test_add_func("/proxy/mem", test_mem);
	g_test_add_func("/proxy/mutation", test_mutation);
	g_test_add_func("/proxy/garbage", test_garbage);
	g_test_add_func("/proxy/names", test_names);
	return g_test_run();
}
