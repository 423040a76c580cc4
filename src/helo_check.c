/* SPDX-License-Identifier: GPL-2.0-or-later */
/* helo_check.c: the EHLO/HELO identity check.  Syntax first.  RFC 5321
 * §4.1.1.1: the argument is the client's primary host name (Domain) or an
 * address literal
 * ("[192.0.2.1]", "[IPv6:2001:db8::1]", §4.1.3); labels follow RFC 1035
 * (letters, digits, hyphens, not starting or ending with a hyphen, at most
 * 63 bytes, 255 in all).  The classes mirror what receivers act on:
 * Postfix reject_invalid_helo_hostname / reject_non_fqdn_helo_hostname,
 * Haraka's helo.checks (bare IP, no dot). */
#include <arpa/inet.h>
#include <string.h>

#include <glib.h>

#include "dialogue.h"
#include "helo_check.h"
#include "relay.h"

/* PTR names followed at most. */
#define HELO_MAX_PTR 4
/* Rounds of live lookups per check (name, CNAME target, PTR name...). */
#define HELO_MAX_ROUNDS 4

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

enum helo_result
helo_decide(
    enum helo_syntax syntax, bool literal_matches, enum helo_tri forward)
{
	switch (syntax) {
	case HELO_SYNTAX_FQDN:
		/* Only the name's own records decide: a PTR alone does not
		 * say what a name is not (a host may have many names). */
		return forward == HELO_YES  ? HELO_RESULT_MATCH
		       : forward == HELO_NO ? HELO_RESULT_MISMATCH
					    : HELO_RESULT_UNKNOWN;
	case HELO_SYNTAX_LITERAL:
		return literal_matches ? HELO_RESULT_MATCH
				       : HELO_RESULT_LITERAL_MISMATCH;
	case HELO_SYNTAX_NOT_FQDN:
	case HELO_SYNTAX_LOCALHOST:
		return HELO_RESULT_NOT_FQDN;
	default:
		return HELO_RESULT_INVALID;
	}
}

static bool
contains(const GPtrArray *a, const char *v)
{
	guint i;

	for (i = 0; i < a->len; i++)
		if (g_ascii_strcasecmp(g_ptr_array_index(a, i), v) == 0)
			return true;
	return false;
}

/* Does the literal (text, as helo_check_syntax() left it) denote ip? */
static bool
literal_is(const struct helo_name *h, const char *ip)
{
	unsigned char a[16], b[16];
	int af = h->literal_v6 ? AF_INET6 : AF_INET;

	return inet_pton(af, h->literal, a) == 1 && inet_pton(af, ip, b) == 1 &&
	       memcmp(a, b, af == AF_INET ? 4 : 16) == 0;
}

/* The DNS part of the check: forward, reverse, FCrDNS. */
static void
check_dns(struct helo_report *r, const char *lname, const struct dns_view *v,
    GPtrArray *missing)
{
	unsigned char a[16];
	uint16_t type;
	char rev[80];
	bool any_unknown = false;
	guint i;

	type = inet_pton(AF_INET, r->client_ip, a) == 1 ? DNS_T_A : DNS_T_AAAA;
	if (dns_view_addresses(
		v, type, lname, r->addresses, r->evidence, missing))
		r->forward =
		    contains(r->addresses, r->client_ip) ? HELO_YES : HELO_NO;
	if (!dns_reverse_name(r->client_ip, rev, sizeof rev))
		return;
	if (!dns_view_ask(
		v, DNS_T_PTR, rev, r->ptr_names, r->evidence, missing))
		return;
	r->name_is_ptr = contains(r->ptr_names, lname) ? HELO_YES : HELO_NO;
	r->fcrdns = HELO_NO;
	for (i = 0; i < r->ptr_names->len && i < HELO_MAX_PTR; i++) {
		g_autoptr(GPtrArray) addrs =
		    g_ptr_array_new_with_free_func(g_free);

		if (!dns_view_addresses(v, type,
			g_ptr_array_index(r->ptr_names, i), addrs, r->evidence,
			missing))
			any_unknown = true;
		else if (contains(addrs, r->client_ip)) {
			r->fcrdns = HELO_YES;
			return;
		}
	}
	if (any_unknown)
		r->fcrdns = HELO_UNKNOWN;
}

struct helo_report *
helo_check_name(const char *name, size_t len, bool smtputf8,
    const char *client_ip, const struct dns_view *v, GPtrArray *missing)
{
	struct helo_report *r = g_new0(struct helo_report, 1);

	r->name = g_strndup(name, len);
	g_strlcpy(r->client_ip, client_ip, sizeof r->client_ip);
	r->forward = r->fcrdns = r->name_is_ptr = HELO_UNKNOWN;
	r->addresses = g_ptr_array_new_with_free_func(g_free);
	r->ptr_names = g_ptr_array_new_with_free_func(g_free);
	r->evidence = g_ptr_array_new_with_free_func(dns_fact_free);
	helo_check_syntax(name, len, smtputf8, &r->syntax);
	if (r->syntax.syntax == HELO_SYNTAX_FQDN) {
		g_autofree char *lname = g_ascii_strdown(name, (gssize)len);

		check_dns(r, lname, v, missing);
	}
	r->result = helo_decide(r->syntax.syntax,
	    r->syntax.syntax == HELO_SYNTAX_LITERAL &&
		literal_is(&r->syntax, client_ip),
	    r->forward);
	return r;
}

/* Postfix's wording for refusals of the HELO name or of the client's DNS
 * (smtpd_check.c: reject_*_helo_hostname, reject_unknown_*client_hostname);
 * with smtpd_delay_reject they come as the reply to RCPT. */
static const char *const rejections[] = {
	"helo command rejected",
	"client host rejected: cannot find your hostname",
	"client host rejected: cannot find your reverse hostname",
};

static void
link_rejection(struct helo_report *r, const struct dialogue *d)
{
	guint i;
	size_t k;

	for (i = 0; i < d->items->len; i++) {
		const struct dlg_item *it = g_ptr_array_index(d->items, i);
		const struct smtp_reply *rp = it->reply;
		g_autofree char *low = NULL;

		if (rp == NULL || rp->code < 400 || rp->text == NULL)
			continue;
		low = g_ascii_strdown(rp->text, (gssize)rp->text_len);
		for (k = 0; k < G_N_ELEMENTS(rejections); k++)
			if (strstr(low, rejections[k]) != NULL)
				break;
		if (k == G_N_ELEMENTS(rejections))
			continue;
		r->server_rejected = true;
		r->server_reply = g_strdup_printf("%d %s", rp->code, rp->text);
		return;
	}
}

/* The finding's summary: what the name is, and the fact that shows it. */
static char *
mismatch_summary(const struct helo_report *r)
{
	GString *s = g_string_new(NULL);
	guint i;

	switch (r->result) {
	case HELO_RESULT_MISMATCH:
		g_string_append_printf(s, "%s said EHLO %s, but that name ",
		    r->client_ip, r->name);
		if (r->addresses->len == 0)
			g_string_append(s, "has no address in the DNS");
		else {
			g_string_append(s, "resolves to ");
			for (i = 0; i < r->addresses->len; i++)
				g_string_append_printf(s, "%s%s",
				    i > 0 ? ", " : "",
				    (char *)g_ptr_array_index(r->addresses, i));
			g_string_append_printf(s, ", not %s", r->client_ip);
		}
		if (r->fcrdns == HELO_YES)
			g_string_append_printf(s, "; its reverse DNS says %s",
			    (char *)g_ptr_array_index(r->ptr_names, 0));
		break;
	case HELO_RESULT_LITERAL_MISMATCH:
		g_string_append_printf(s,
		    "%s said EHLO %s, an address literal for another "
		    "address",
		    r->client_ip, r->name);
		break;
	case HELO_RESULT_NOT_FQDN:
		g_string_append_printf(s,
		    "%s said EHLO %s, not a fully qualified domain name (%s)",
		    r->client_ip, r->name,
		    helo_syntax_describe(r->syntax.syntax));
		break;
	default:
		g_string_append_printf(s, "%s gave an invalid EHLO name: %s",
		    r->client_ip, helo_syntax_describe(r->syntax.syntax));
		break;
	}
	if (r->server_rejected)
		g_string_append(s, "; the server refused it");
	return g_string_free(s, FALSE);
}

void
helo_check_annotate(struct dialogue *d, const struct dns_view *v,
    dns_resolve_fn resolve, void *ctx)
{
	struct helo_report *r = NULL;
	struct relay_finding *f;
	const char *arg;
	size_t len;
	bool utf8;
	int round;

	helo_report_free(d->helo_check);
	d->helo_check = NULL;
	if (d->helo == NULL || !dlg_item_argument(d->helo, &arg, &len))
		return;
	utf8 = smtp_reply_ehlo_offers(d->helo->reply, "SMTPUTF8", NULL);
	for (round = 0;; round++) {
		g_autoptr(GPtrArray) missing =
		    g_ptr_array_new_with_free_func(g_free);

		helo_report_free(r);
		r = helo_check_name(arg, len, utf8, d->client.ip, v, missing);
		if (resolve == NULL || missing->len == 0 ||
		    round == HELO_MAX_ROUNDS)
			break;
		resolve(ctx, missing);
	}
	link_rejection(r, d);
	d->helo_check = r;
	if (r->result == HELO_RESULT_MATCH || r->result == HELO_RESULT_UNKNOWN)
		return;
	f = relay_finding_new(RELAY_FINDING_EHLO_MISMATCH,
	    r->result == HELO_RESULT_MISMATCH ||
		    r->result == HELO_RESULT_LITERAL_MISMATCH
		? "medium"
		: "low");
	f->summary = mismatch_summary(r);
	f->remedy = g_strdup(
	    "RFC 5321 4.1.1.1: the EHLO argument should be the client's "
	    "primary host name (a name whose A/AAAA record is its address, "
	    "ideally also its PTR name), or an address literal of its own "
	    "address. Receivers act on this (Postfix "
	    "reject_unknown_helo_hostname and reject_non_fqdn_helo_hostname, "
	    "spam filters scoring a forged HELO). If the client is yours, "
	    "set its host name (Postfix: smtp_helo_name, Exim: helo_data) "
	    "and its DNS to agree; if not, a name that is not its own is a "
	    "lead worth following.");
	if (d->findings == NULL)
		d->findings =
		    g_ptr_array_new_with_free_func(relay_finding_free);
	g_ptr_array_add(d->findings, f);
}
