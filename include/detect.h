/* SPDX-License-Identifier: GPL-2.0-or-later */
/* detect.h: is a TCP connection SMTP?  Judged from the first bytes each
 * side sends (docs/architecture.md, "Finding SMTP by its content"), by
 * pure functions that the packet layer (stream.c) calls on the first
 * payloads of a connection on a port that is not one of --ports.
 */
#ifndef RS_DETECT_H
#define RS_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the first payload of one side says. */
enum detect_look {
	DETECT_NONE,	 /* nothing sent yet */
	DETECT_NO,	 /* another protocol */
	DETECT_SMTP,	 /* SMTP beyond doubt: a greeting that names SMTP or
			  * mail, a client's EHLO/HELO */
	DETECT_GREETING, /* server: 220/421/554 that names neither SMTP
			  * nor FTP (FTP greets the same way): the client's
			  * first line decides */
	DETECT_COMMAND,	 /* client: another SMTP verb (MAIL, QUIT, ...),
			  * SMTP if the server greets or greeted */
	DETECT_TLS,	 /* client: a TLS record carrying a ClientHello */
	DETECT_PROXY,	 /* client: HTTP CONNECT, SOCKS4/4a/5 */
};

/* The server's first payload. */
enum detect_look detect_server_first(const uint8_t *p, size_t n);
/* The client's first payload. */
enum detect_look detect_client_first(const uint8_t *p, size_t n);
/* A payload of a connection whose start was not captured: does it begin
 * with an SMTP reply line (*from_server true) or command line (false)?
 * Only whole lines of printable text ending in CRLF count. */
bool detect_midstream(const uint8_t *p, size_t n, bool *from_server);
/* Through a proxy: does a payload begin with an SMTP greeting, or hold
 * one after a line end (the proxy's reply and the greeting in one
 * segment)?  From the client: EHLO/HELO at its start or after CRLF. */
bool detect_tunnel(const uint8_t *p, size_t n, bool from_server);
/* The destination port of an HTTP CONNECT or SOCKS4 request at the start
 * of p, or 0 when p holds none (SOCKS5 names it only in a later message). */
uint16_t detect_proxy_port(const uint8_t *p, size_t n);
/* Ports whose TLS is mail: implicit TLS (SMTPS, RFC 8314). */
bool detect_tls_port(uint16_t port);

#endif
