/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-detect.c: what the first bytes of each side say (detect.h). */
#include <string.h>

#include <glib.h>

#include "detect.h"

#define S(x) (const uint8_t *)(x), sizeof(x) - 1

static void
test_server_first(void)
{
	/* Real greetings (references/smtp.md): Postfix, Exim, OpenSMTPD,
	 * Exchange, a refusal. */
	g_assert_cmpint(detect_server_first(S("220 mx.example.com ESMTP "
					      "Postfix (Debian/GNU)\r\n")),
	    ==, DETECT_SMTP);
	g_assert_cmpint(
	    detect_server_first(S("220 mail.example.org ESMTP Exim 4.96 "
				  "Tue, 01 Dec 2026 10:00:00 +0000\r\n")),
	    ==, DETECT_SMTP);
	g_assert_cmpint(
	    detect_server_first(S("220-mx.example.net Microsoft ESMTP MAIL "
				  "Service ready\r\n220 ok\r\n")),
	    ==, DETECT_SMTP);
	g_assert_cmpint(detect_server_first(S("554 5.3.2 no SMTP service "
					      "here\r\n")),
	    ==, DETECT_SMTP);
	g_assert_cmpint(detect_server_first(S("421 4.3.2 Service not "
					      "available\r\n")),
	    ==, DETECT_GREETING);
	g_assert_cmpint(detect_server_first(S("220 mx.example.com ready\r\n")),
	    ==, DETECT_GREETING);
	g_assert_cmpint(detect_server_first(S("220\r\n")), ==, DETECT_GREETING);
	/* FTP greets the same way. */
	g_assert_cmpint(
	    detect_server_first(S("220 (vsFTPd 3.0.3)\r\n")), ==, DETECT_NO);
	g_assert_cmpint(
	    detect_server_first(S("220 ProFTPD Server (mail server)\r\n")), ==,
	    DETECT_NO);
	/* Other protocols, and prefixes. */
	g_assert_cmpint(
	    detect_server_first(S("SSH-2.0-OpenSSH_9.2\r\n")), ==, DETECT_NO);
	g_assert_cmpint(
	    detect_server_first(S("HTTP/1.1 200 OK\r\n")), ==, DETECT_NO);
	g_assert_cmpint(detect_server_first(S("200 ok\r\n")), ==, DETECT_NO);
	g_assert_cmpint(detect_server_first(S("22")), ==, DETECT_NONE);
	g_assert_cmpint(detect_server_first(S("9")), ==, DETECT_NO);
	g_assert_cmpint(detect_server_first(S("220 mx.exam")), ==, DETECT_NONE);
	g_assert_cmpint(
	    detect_server_first(S("220 \x01\x02\r\n")), ==, DETECT_NO);
}

static void
test_client_first(void)
{
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01,
		0x00, 0x01, 0xfc, 0x03, 0x03 };
	static const uint8_t socks5[] = { 0x05, 0x02, 0x00, 0x02 };
	static const uint8_t socks4[] = { 0x04, 0x01, 0x00, 0x19, 10, 0, 0, 1,
		'u', 0 };

	g_assert_cmpint(detect_client_first(S("EHLO client.example.org\r\n")),
	    ==, DETECT_SMTP);
	g_assert_cmpint(detect_client_first(S("helo x\r\n")), ==, DETECT_SMTP);
	g_assert_cmpint(detect_client_first(S("EHLO")), ==, DETECT_NONE);
	g_assert_cmpint(detect_client_first(S("EH")), ==, DETECT_NONE);
	g_assert_cmpint(detect_client_first(S("QUIT\r\n")), ==, DETECT_COMMAND);
	g_assert_cmpint(
	    detect_client_first(S("MAIL FROM:<a@b>\r\n")), ==, DETECT_COMMAND);
	g_assert_cmpint(detect_client_first(S("AUTH TLS\r\n")), ==, DETECT_NO);
	g_assert_cmpint(
	    detect_client_first(S("USER anonymous\r\n")), ==, DETECT_NO);
	g_assert_cmpint(
	    detect_client_first(S("GET / HTTP/1.1\r\n")), ==, DETECT_NO);
	g_assert_cmpint(detect_client_first(S("CONNECT mx.example.org:25 "
					      "HTTP/1.0\r\n\r\n")),
	    ==, DETECT_PROXY);
	g_assert_cmpint(detect_client_first(S("CONN")), ==, DETECT_NONE);
	g_assert_cmpint(
	    detect_client_first(hello, sizeof hello), ==, DETECT_TLS);
	g_assert_cmpint(detect_client_first(hello, 3), ==, DETECT_NONE);
	g_assert_cmpint(
	    detect_client_first(socks5, sizeof socks5), ==, DETECT_PROXY);
	g_assert_cmpint(detect_client_first(socks5, 3), ==, DETECT_NONE);
	g_assert_cmpint(
	    detect_client_first(socks4, sizeof socks4), ==, DETECT_PROXY);
	g_assert_cmpint(detect_client_first(socks4, 8), ==, DETECT_NONE);
	g_assert_cmpint(detect_client_first(S("\x05\x00")), ==, DETECT_NO);
	g_assert_cmpint(
	    detect_client_first(S("\x00\x00\x00\x01")), ==, DETECT_NO);
}

static void
test_midstream(void)
{
	bool server = false;

	g_assert_true(detect_midstream(S("250 2.1.5 Ok\r\n"), &server));
	g_assert_true(server);
	g_assert_true(
	    detect_midstream(S("RCPT TO:<bob@example.com>\r\n"), &server));
	g_assert_false(server);
	g_assert_true(detect_midstream(S("DATA\r\n"), &server));
	g_assert_true(detect_midstream(S("354 End data\r\n"), &server));
	g_assert_false(detect_midstream(S("DATA is here\r\n"), &server));
	g_assert_false(detect_midstream(S("MAIL me\r\n"), &server));
	g_assert_false(detect_midstream(S("250 no line end"), &server));
	g_assert_false(detect_midstream(S("HTTP/1.1 200 OK\r\n"), &server));
	g_assert_false(detect_midstream(S("\x89PNG\r\n"), &server));
	g_assert_false(detect_midstream(S("199 x\r\n"), &server));
}

static void
test_tunnel(void)
{
	g_assert_true(detect_tunnel(S("220 mx ESMTP\r\n"), true));
	g_assert_true(detect_tunnel(
	    S("HTTP/1.0 200 Connection established\r\n\r\n220 mx\r\n"), true));
	g_assert_false(detect_tunnel(S("HTTP/1.0 200 OK\r\n\r\n"), true));
	g_assert_true(detect_tunnel(S("\r\nEHLO x\r\n"), false));
	g_assert_false(detect_tunnel(S("xEHLO x\r\n"), false));
	g_assert_cmpuint(detect_proxy_port(S("CONNECT mx.example.org:25 "
					     "HTTP/1.0\r\n")),
	    ==, 25);
	g_assert_cmpuint(detect_proxy_port(S("CONNECT [2001:db8::1]:587 "
					     "HTTP/1.1\r\n")),
	    ==, 587);
	g_assert_cmpuint(
	    detect_proxy_port(S("CONNECT host:99999 HTTP/1.1\r\n")), ==, 0);
	g_assert_cmpuint(
	    detect_proxy_port(S("CONNECT host HTTP/1.1\r\n")), ==, 0);
	g_assert_cmpuint(
	    detect_proxy_port(S("\x04\x01\x00\x19\x0a\x00\x00\x01u\x00")), ==,
	    25);
}

/* No input makes them read past what they are given. */
static void
test_random(void)
{
	GRand *r = g_rand_new_with_seed(13);
	uint8_t buf[64];
	bool server;
	int i;
	size_t j, n;

	for (i = 0; i < 200000; i++) {
		n = (size_t)g_rand_int_range(r, 0, sizeof buf + 1);
		for (j = 0; j < n; j++)
			buf[j] = (uint8_t)g_rand_int_range(r, 0, 256);
		if (n > 0 && g_rand_boolean(r))
			buf[0] = (uint8_t) "2EH\x16\x05\x04C"[i % 7];
		uint8_t *p = g_memdup2(buf, n);

		(void)detect_server_first(p, n);
		(void)detect_client_first(p, n);
		(void)detect_midstream(p, n, &server);
		(void)detect_tunnel(p, n, i & 1);
		(void)detect_proxy_port(p, n);
		g_free(p);
	}
	g_rand_free(r);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/detect/server-first", test_server_first);
	g_test_add_func("/detect/client-first", test_client_first);
	g_test_add_func("/detect/midstream", test_midstream);
	g_test_add_func("/detect/tunnel", test_tunnel);
	g_test_add_func("/detect/random", test_random);
	return g_test_run();
}
