/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-proxy.c: libFuzzer harness for the proxy preamble parser.  The first
 * byte chooses the kind (HTTP, SOCKS4, SOCKS5); the rest is chunks in
 * the format of fuzz-chunks.h (a control byte: bit 7 server side, bits
 * 0-6 length; a length of 0 skips the next byte).  The chunks are played
 * whole, with the tunnelled bytes handed to an SMTP machine as the
 * integration will, then byte by byte: any difference in what the parser
 * says, or in where a tunnel starts, aborts.  make fuzz builds and runs
 * it. */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "proxy.h"
#include "smtp_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Everything the connection says, and each chunk's preamble bytes. */
static char *
outcome(const struct proxy_conn *pc, const GArray *used)
{
	const struct proxy_info *in = proxy_conn_info(pc);
	GString *s = g_string_new(NULL);
	guint i;

	g_string_append_printf(s,
	    "%d %s %u %s %u %d %d %" G_GUINT64_FORMAT " %u %d %s %s %s %d "
	    "%d %zu %d %d %d %d %s %x %d|",
	    in->state, in->reason ? in->reason : "-", in->attempts,
	    in->host ? in->host : "-", in->port, in->addr, in->socks4a,
	    in->client_early, in->n_methods, in->method,
	    in->auth_scheme ? in->auth_scheme : "-",
	    in->challenge ? in->challenge : "-", in->user ? in->user : "-",
	    in->credentials_sent, in->password_sent, in->password_len,
	    in->auth_status, in->auth_demanded, in->authenticated,
	    in->reply_code, in->reply_text ? in->reply_text : "-", in->quirks,
	    proxy_conn_open_tunnel(pc));
	g_string_append_len(s, (const char *)in->methods, in->n_methods);
	for (i = 0; i < used->len; i++)
		g_string_append_printf(
		    s, ",%zu", g_array_index(used, size_t, i));
	return g_string_free(s, FALSE);
}

static char *
play(enum proxy_kind kind, const uint8_t *data, size_t size, bool bytewise)
{
	struct proxy_conn *pc = proxy_conn_new(kind);
	struct smtp_session *ss = bytewise ? NULL : smtp_session_new();
	GArray *used = g_array_new(FALSE, FALSE, sizeof(size_t));
	size_t i = 0, n, k, got, sum;
	char *r;

	while (i < size) {
		bool srv = (data[i] & 0x80) != 0;

		n = MIN((size_t)(data[i] & 0x7f), size - i - 1);
		i++;
		if (n == 0) {
			i++;
			continue;
		}
		sum = 0;
		for (k = 0; k < n; k += bytewise ? 1 : n) {
			got = proxy_conn_push(
			    pc, srv, data + i + k, bytewise ? 1 : n);
			if (got > (bytewise ? 1 : n))
				abort();
			sum += got;
		}
		if (ss != NULL && sum < n)
			smtp_session_push(ss,
			    srv ? SMTP_DIR_SERVER : SMTP_DIR_CLIENT,
			    (const char *)data + i + sum, n - sum, (gint64)i);
		g_array_append_val(used, sum);
		i += n;
	}
	proxy_conn_end(pc);
	r = outcome(pc, used);
	if (ss != NULL)
		dialogue_free(smtp_session_finish(ss, (gint64)size));
	g_array_unref(used);
	proxy_conn_free(pc);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum proxy_kind kinds[] = { PROXY_HTTP, PROXY_SOCKS4,
		PROXY_SOCKS5 };
	char *whole, *bytes;

	if (size < 1)
		return 0;
	(void)proxy_sniff(data + 1, size - 1);
	whole = play(kinds[data[0] % 3], data + 1, size - 1, false);
	bytes = play(kinds[data[0] % 3], data + 1, size - 1, true);
	if (strcmp(whole, bytes) != 0)
		abort();
	g_free(whole);
	g_free(bytes);
	return 0;
}
