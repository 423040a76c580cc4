/* SPDX-License-Identifier: GPL-2.0-or-later */
/* message.c: the header fields of a message, parsed with GMime, and how
 * they disagree with the envelope (message.h). */
#include <string.h>

#include <gmime/gmime.h>

#include "message.h"

static gsize gmime_ready;

static void
gmime_once(void)
{
	if (g_once_init_enter(&gmime_ready)) {
		g_mime_init();
		g_once_init_leave(&gmime_ready, 1);
	}
}

static void
address_free(gpointer p)
{
	struct message_address *a = p;

	g_free(a->name);
	g_free(a->address);
	g_free(a);
}

static void
hop_free(gpointer p)
{
	struct message_hop *h = p;

	g_free(h->raw);
	g_free(h->from);
	g_free(h->by);
	g_free(h->with);
	g_free(h->id);
	g_free(h->for_);
	g_free(h->date);
	g_free(h);
}

void
message_free(struct message_info *m)
{
	if (m == NULL)
		return;
	g_ptr_array_unref(m->from);
	g_ptr_array_unref(m->sender);
	g_ptr_array_unref(m->to);
	g_ptr_array_unref(m->cc);
	g_ptr_array_unref(m->reply_to);
	g_free(m->subject);
	g_free(m->subject_raw);
	g_free(m->date);
	g_free(m->in_reply_to);
	g_free(m->references);
	g_free(m->user_agent);
	g_free(m->x_originating_ip);
	g_ptr_array_unref(m->received);
	g_ptr_array_unref(m->auth_results);
	g_ptr_array_unref(m->mismatches);
	g_ptr_array_unref(m->not_in_header);
	g_ptr_array_unref(m->not_in_envelope);
	g_free(m);
}

/* The mailboxes of an address list (groups opened), up to the limit. */
static void
add_addresses(GPtrArray *out, InternetAddressList *list)
{
	int i, n = list != NULL ? internet_address_list_length(list) : 0;

	for (i = 0; i < n && out->len < MESSAGE_ADDRESSES_MAX; i++) {
		InternetAddress *ia =
		    internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			add_addresses(out, internet_address_group_get_members(
					       INTERNET_ADDRESS_GROUP(ia)));
			continue;
		}
		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			struct message_address *a =
			    g_new0(struct message_address, 1);
			const char *name = internet_address_get_name(ia);

			a->name = name != NULL && name[0] != '\0'
				      ? g_strdup(name)
				      : NULL;
			a->address = g_strdup(internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(ia)));
			g_ptr_array_add(out, a);
		}
	}
}

static void
parse_addresses(GPtrArray *out, const char *value)
{
	InternetAddressList *list = internet_address_list_parse(NULL, value);

	if (list == NULL)
		return;
	add_addresses(out, list);
	g_object_unref(list);
}

/* A value trimmed of blanks; a new string. */
static char *
trimmed(const char *v)
{
	return g_strstrip(g_strdup(v));
}

/* One Received: value, by its clauses (RFC 5321 §4.4: "from", "by",
 * "via", "with", "id", "for", then "; date"), comments kept with the
 * clause they follow. */
static struct message_hop *
parse_hop(const char *v)
{
	static const char *const keys[] = { "from", "by", "via", "with", "id",
		"for" };
	struct message_hop *h = g_new0(struct message_hop, 1);
	const char *semi = strrchr(v, ';');
	const char *end = semi != NULL ? semi : v + strlen(v);
	GString *cur = NULL;
	char **slot = NULL;
	const char *p = v;
	int depth = 0;

	h->raw = trimmed(v);
	if (semi != NULL)
		h->date = trimmed(semi + 1);
	while (p < end) {
		const char *w;
		size_t i, n;

		while (p < end && g_ascii_isspace(*p))
			p++;
		w = p;
		while (p < end && (!g_ascii_isspace(*p) || depth > 0)) {
			if (*p == '(')
				depth++;
			else if (*p == ')' && depth > 0)
				depth--;
			p++;
		}
		n = (size_t)(p - w);
		if (n == 0)
			break;
		for (i = 0; i < G_N_ELEMENTS(keys); i++)
			if (strlen(keys[i]) == n &&
			    g_ascii_strncasecmp(w, keys[i], n) == 0)
				break;
		if (i < G_N_ELEMENTS(keys)) {
			if (slot != NULL && cur != NULL && *slot == NULL)
				*slot = g_strstrip(g_string_free(cur, FALSE));
			else if (cur != NULL)
				g_string_free(cur, TRUE);
			cur = g_string_new(NULL);
			slot = i == 0	? &h->from
			       : i == 1 ? &h->by
			       : i == 3 ? &h->with
			       : i == 4 ? &h->id
			       : i == 5 ? &h->for_
					: NULL;
			continue;
		}
		if (cur != NULL) {
			if (cur->len > 0)
				g_string_append_c(cur, ' ');
			g_string_append_len(cur, w, (gssize)n);
		}
	}
	if (slot != NULL && cur != NULL && *slot == NULL)
		*slot = g_strstrip(g_string_free(cur, FALSE));
	else if (cur != NULL)
		g_string_free(cur, TRUE);
	return h;
}

static const char *
domain_of(const char *address)
{
	const char *at = address != NULL ? strrchr(address, '@') : NULL;

	return at != NULL ? at + 1 : NULL;
}

static bool
in_addresses(const GPtrArray *a, const char *address)
{
	guint i;

	for (i = 0; i < a->len; i++) {
		const struct message_address *x = g_ptr_array_index(a, i);

		if (g_ascii_strcasecmp(x->address, address) == 0)
			return true;
	}
	return false;
}

static bool
in_envelope(const struct dlg_tx *tx, const char *address)
{
	guint i;

	for (i = 0; i < tx->rcpts->len; i++) {
		const struct dlg_rcpt *r = g_ptr_array_index(tx->rcpts, i);

		if (g_ascii_strcasecmp(r->address, address) == 0)
			return true;
	}
	return false;
}

/* The same domain, or one under the other (mail.example.org sends for
 * example.org). */
static bool
same_domain(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la == lb)
		return g_ascii_strcasecmp(a, b) == 0;
	if (la > lb)
		return a[la - lb - 1] == '.' &&
		       g_ascii_strcasecmp(a + la - lb, b) == 0;
	return b[lb - la - 1] == '.' && g_ascii_strcasecmp(b + lb - la, a) == 0;
}

/* The header against the envelope: From: in another domain than MAIL
 * FROM (spoofing shows so), envelope recipients in no To/Cc (Bcc), and
 * To/Cc addresses not among the recipients. */
static void
compare(struct message_info *m, const struct dlg_tx *tx)
{
	const char *env = domain_of(tx->mail_from);
	guint i;

	if (m->from->len > 0 && env != NULL) {
		const struct message_address *f = g_ptr_array_index(m->from, 0);
		const char *hdr = domain_of(f->address);

		if (hdr != NULL && !same_domain(hdr, env)) {
			m->from_domain_differs = true;
			g_ptr_array_add(m->mismatches,
			    g_strdup_printf("From: is in %s, the envelope "
					    "sender (MAIL FROM) in %s",
				hdr, env));
		}
	}
	if (m->to->len + m->cc->len == 0)
		return;
	for (i = 0; i < tx->rcpts->len; i++) {
		const struct dlg_rcpt *r = g_ptr_array_index(tx->rcpts, i);

		if (!in_addresses(m->to, r->address) &&
		    !in_addresses(m->cc, r->address))
			g_ptr_array_add(m->not_in_header, g_strdup(r->address));
	}
	for (i = 0; i < m->to->len + m->cc->len; i++) {
		const struct message_address *a =
		    g_ptr_array_index(i < m->to->len ? m->to : m->cc,
			i < m->to->len ? i : i - m->to->len);

		if (!in_envelope(tx, a->address))
			g_ptr_array_add(
			    m->not_in_envelope, g_strdup(a->address));
	}
	if (m->not_in_header->len > 0)
		g_ptr_array_add(m->mismatches,
		    g_strdup_printf("%u envelope recipient%s in no To: or Cc: "
				    "(Bcc, a mailing list or a forward)",
			m->not_in_header->len,
			m->not_in_header->len == 1 ? " is" : "s are"));
}

const char *
message_field_value(const char *f, const char *name)
{
	size_t n = strlen(name);

	if (g_ascii_strncasecmp(f, name, n) != 0 || f[n] != ':')
		return NULL;
	f += n + 1;
	while (*f == ' ' || *f == '\t')
		f++;
	return f;
}

static void
set_once(char **slot, const char *v)
{
	if (*slot == NULL)
		*slot = trimmed(v);
}

struct message_info *
message_parse(const struct dlg_tx *tx)
{
	const GPtrArray *h = tx->data != NULL ? tx->data->headers : NULL;
	struct message_info *m;
	const char *v;
	guint i;

	if (h == NULL || h->len == 0)
		return NULL;
	gmime_once();
	m = g_new0(struct message_info, 1);
	m->from = g_ptr_array_new_with_free_func(address_free);
	m->sender = g_ptr_array_new_with_free_func(address_free);
	m->to = g_ptr_array_new_with_free_func(address_free);
	m->cc = g_ptr_array_new_with_free_func(address_free);
	m->reply_to = g_ptr_array_new_with_free_func(address_free);
	m->received = g_ptr_array_new_with_free_func(hop_free);
	m->auth_results = g_ptr_array_new_with_free_func(g_free);
	m->mismatches = g_ptr_array_new_with_free_func(g_free);
	m->not_in_header = g_ptr_array_new_with_free_func(g_free);
	m->not_in_envelope = g_ptr_array_new_with_free_func(g_free);
	m->cut = tx->data->headers_cut;
	for (i = 0; i < h->len; i++) {
		const char *f = g_ptr_array_index((GPtrArray *)h, i);

		if ((v = message_field_value(f, "From")) != NULL)
			parse_addresses(m->from, v);
		else if ((v = message_field_value(f, "Sender")) != NULL)
			parse_addresses(m->sender, v);
		else if ((v = message_field_value(f, "To")) != NULL)
			parse_addresses(m->to, v);
		else if ((v = message_field_value(f, "Cc")) != NULL)
			parse_addresses(m->cc, v);
		else if ((v = message_field_value(f, "Reply-To")) != NULL)
			parse_addresses(m->reply_to, v);
		else if ((v = message_field_value(f, "Subject")) != NULL) {
			if (m->subject_raw == NULL) {
				m->subject_raw = trimmed(v);
				/* (Only an encoded word needs GMime.) */
				m->subject =
				    strstr(m->subject_raw, "=?") != NULL
					? g_mime_utils_header_decode_text(
					      NULL, m->subject_raw)
					: g_strdup(m->subject_raw);
			}
		} else if ((v = message_field_value(f, "Date")) != NULL)
			set_once(&m->date, v);
		else if ((v = message_field_value(f, "In-Reply-To")) != NULL)
			set_once(&m->in_reply_to, v);
		else if ((v = message_field_value(f, "References")) != NULL)
			set_once(&m->references, v);
		else if ((v = message_field_value(f, "User-Agent")) != NULL ||
			 (v = message_field_value(f, "X-Mailer")) != NULL)
			set_once(&m->user_agent, v);
		else if ((v = message_field_value(f, "X-Originating-IP")) !=
			 NULL)
			set_once(&m->x_originating_ip, v);
		else if ((v = message_field_value(f, "Received")) != NULL) {
			if (m->received->len < MESSAGE_HOPS_MAX)
				g_ptr_array_add(m->received, parse_hop(v));
		} else if ((v = message_field_value(
				f, "Authentication-Results")) != NULL)
			g_ptr_array_add(m->auth_results, trimmed(v));
	}
	compare(m, tx);
	return m;
}
