/* SPDX-License-Identifier: GPL-2.0-or-later */
/* helo_report.c: the EHLO check's result as the model keeps it: its
 * names and its release (helo_report.h). */
#include "helo_report.h"

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
helo_syntax_describe(enum helo_syntax s)
{
	switch (s) {
	case HELO_SYNTAX_FQDN:
		return "a fully qualified domain name";
	case HELO_SYNTAX_LITERAL:
		return "an address literal";
	case HELO_SYNTAX_NOT_FQDN:
		return "a name without a domain";
	case HELO_SYNTAX_LOCALHOST:
		return "localhost, which names every machine";
	case HELO_SYNTAX_BARE_IP:
		return "an IP address without the brackets of a literal";
	case HELO_SYNTAX_TRAILING_DOT:
		return "a name with a trailing dot";
	case HELO_SYNTAX_NON_ASCII:
		return "a non-ASCII name, but SMTPUTF8 was not offered";
	case HELO_SYNTAX_EMPTY:
		return "empty";
	default:
		return "characters or labels a host name cannot have";
	}
}

const char *
helo_syntax_name(enum helo_syntax s)
{
	return (unsigned)s < G_N_ELEMENTS(syntax_names) ? syntax_names[s]
							: "invalid";
}

static const char *const result_names[] = {
#define HELO_RESULT_NAME(id, name) [HELO_RESULT_##id] = name,
	HELO_RESULT_LIST(HELO_RESULT_NAME)
#undef HELO_RESULT_NAME
};

const char *
helo_result_name(enum helo_result r)
{
	return (unsigned)r < HELO_RESULT_COUNT ? result_names[r] : "unknown";
}

const char *
helo_tri_name(enum helo_tri t)
{
	return t == HELO_YES ? "yes" : t == HELO_NO ? "no" : "unknown";
}

void
helo_report_free(struct helo_report *r)
{
	if (r == NULL)
		return;
	g_free(r->name);
	g_ptr_array_unref(r->addresses);
	g_ptr_array_unref(r->ptr_names);
	g_ptr_array_unref(r->evidence);
	g_free(r->server_reply);
	g_free(r);
}
