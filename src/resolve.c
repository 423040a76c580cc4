/* SPDX-License-Identifier: GPL-2.0-or-later */
/* resolve.c: live lookups through c-ares.  One channel; the questions of
 * one round are sent together and the loop polls c-ares' sockets until
 * every one is answered or has timed out.  Responses are parsed by the
 * same code as DNS seen in the capture (dns.c), so a live fact looks
 * exactly like a captured one, minus the capture time. */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <ares.h>

#include "helo_check.h"
#include "log.h"
#include "resolve.h"

/* Lookups in a row without any response before live lookups stop: a
 * dead or unreachable server must not cost a timeout per session of a
 * large capture. */
#define RESOLVE_MAX_SILENT 16

struct resolver {
	ares_channel channel;
	struct dns_store *store;
	struct resolver_stats stats;
	unsigned pending;
	unsigned silent; /* lookups in a row without a response */
};

/* One question in flight. */
struct query {
	struct resolver *r;
	uint16_t type;
	char name[256];
};

/* "ADDR[:PORT]" or "[V6]:PORT" as c-ares' "host:port" list, or NULL. */
static char *
server_csv(const char *s)
{
	unsigned char a[16];
	const char *colon;
	char *host, *end;
	unsigned long port = 53;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL)
			return NULL;
		host = g_strndup(s + 1, (gsize)(close - s - 1));
		if (close[1] == ':')
			port = strtoul(close + 2, &end, 10);
		else if (close[1] != '\0')
			goto bad;
		else
			end = (char *)"";
	} else if (inet_pton(AF_INET6, s, a) == 1) {
		host = g_strdup(s);
		end = (char *)"";
	} else {
		colon = strchr(s, ':');
		host = colon != NULL ? g_strndup(s, (gsize)(colon - s))
				     : g_strdup(s);
		if (colon != NULL)
			port = strtoul(colon + 1, &end, 10);
		else
			end = (char *)"";
	}
	if (*end != '\0' || port == 0 || port > 65535)
		goto bad;
	if (inet_pton(AF_INET, host, a) == 1) {
		char *csv = g_strdup_printf("%s:%lu", host, port);

		g_free(host);
		return csv;
	}
	if (inet_pton(AF_INET6, host, a) == 1) {
		char *csv = g_strdup_printf("[%s]:%lu", host, port);

		g_free(host);
		return csv;
	}
bad:
	g_free(host);
	return NULL;
}

struct resolver *
resolver_new(const char *server, unsigned timeout_ms, struct dns_store *store,
    GError **error)
{
	struct resolver *r;
	struct ares_options opts;
	int rc;

	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "--resolve: %s", ares_strerror(rc));
		return NULL;
	}
	r = g_new0(struct resolver, 1);
	r->store = store;
	memset(&opts, 0, sizeof opts);
	opts.timeout = (int)timeout_ms;
	opts.tries = 2;
	/* A refusal or a server failure is an answer: take it, rather than
	 * asking again (each question once, as the query log shows). */
	opts.flags = ARES_FLAG_NOCHECKRESP;
	rc = ares_init_options(&r->channel, &opts,
	    ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS);
	if (rc != ARES_SUCCESS) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "--resolve: cannot start the resolver: %s",
		    ares_strerror(rc));
		g_free(r);
		ares_library_cleanup();
		return NULL;
	}
	if (server != NULL) {
		g_autofree char *csv = server_csv(server);

		rc = csv != NULL ? ares_set_servers_ports_csv(r->channel, csv)
				 : ARES_EBADSTR;
		if (rc != ARES_SUCCESS) {
			g_set_error(error, G_OPTION_ERROR,
			    G_OPTION_ERROR_BAD_VALUE,
			    "--dns-server: '%s' is not ADDR, ADDR:PORT or "
			    "[IPV6]:PORT",
			    server);
			resolver_free(r);
			return NULL;
		}
	}
	return r;
}

void
resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	ares_destroy(r->channel);
	g_free(r);
	ares_library_cleanup();
}

const struct resolver_stats *
resolver_stats(const struct resolver *r)
{
	return &r->stats;
}

static void
answered(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;
	struct resolver *r = q->r;

	(void)timeouts;
	r->pending--;
	/* Live facts carry the time they were learnt (docs/verdicts.md). */
	if (abuf != NULL && alen > 0 &&
	    dns_store_add_message(
		r->store, abuf, (size_t)alen, g_get_real_time(), NULL)) {
		r->stats.answered++;
		r->silent = 0;
		/* An answer for another question leaves ours open. */
		if (dns_store_get(r->store, q->type, q->name) == NULL)
			dns_store_put_status(r->store, q->type, q->name,
			    DNS_STATUS_ERROR, g_get_real_time());
	} else if (status == ARES_ETIMEOUT) {
		r->stats.timeouts++;
		r->silent++;
		log_debug("dns: %s %s: no answer in time", q->name,
		    dns_type_name(q->type));
		dns_store_put_status(r->store, q->type, q->name,
		    DNS_STATUS_TIMEOUT, g_get_real_time());
	} else {
		r->stats.failed++;
		r->silent++;
		log_debug("dns: %s %s: %s", q->name, dns_type_name(q->type),
		    ares_strerror(status));
		dns_store_put_status(r->store, q->type, q->name,
		    DNS_STATUS_ERROR, g_get_real_time());
	}
	g_free(q);
}

void
resolver_lookup(void *arg, const GPtrArray *questions)
{
	struct resolver *r = arg;
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	struct timeval tv, *tvp;
	guint i;
	int bits, n, k, ms;

	if (r->stats.stopped)
		return;
	for (i = 0; i < questions->len; i++) {
		const struct dns_question *hq = g_ptr_array_index(questions, i);
		struct query *q;

		if (dns_store_get(r->store, hq->type, hq->name) != NULL)
			continue; /* asked before */
		q = g_new0(struct query, 1);
		q->r = r;
		q->type = hq->type;
		g_strlcpy(q->name, hq->name, sizeof q->name);
		r->pending++;
		r->stats.queries++;
		ares_query(
		    r->channel, q->name, 1 /* IN */, q->type, answered, q);
	}
	while (r->pending > 0) {
		bits = ares_getsock(r->channel, socks, ARES_GETSOCK_MAXNUM);
		for (n = 0, k = 0; k < ARES_GETSOCK_MAXNUM; k++) {
			if (!ARES_GETSOCK_READABLE(bits, k) &&
			    !ARES_GETSOCK_WRITABLE(bits, k))
				continue;
			pfd[n].fd = socks[k];
			pfd[n].events =
			    (ARES_GETSOCK_READABLE(bits, k) ? POLLIN : 0) |
			    (ARES_GETSOCK_WRITABLE(bits, k) ? POLLOUT : 0);
			pfd[n].revents = 0;
			n++;
		}
		tvp = ares_timeout(r->channel, NULL, &tv);
		ms = tvp != NULL ? (int)(tvp->tv_sec * 1000 +
					 (tvp->tv_usec + 999) / 1000)
				 : 100;
		if (poll(pfd, (nfds_t)n, ms) <= 0) {
			ares_process_fd(
			    r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (k = 0; k < n; k++)
			ares_process_fd(r->channel,
			    pfd[k].revents & (POLLIN | POLLERR | POLLHUP)
				? pfd[k].fd
				: ARES_SOCKET_BAD,
			    pfd[k].revents & POLLOUT ? pfd[k].fd
						     : ARES_SOCKET_BAD);
	}
	if (r->silent >= RESOLVE_MAX_SILENT) {
		r->stats.stopped = true;
		log_warnx("--resolve: no response to %u lookups in a row; no "
			  "more live lookups in this run",
		    r->silent);
	}
}
