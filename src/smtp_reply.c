/* SPDX-License-Identifier: GPL-2.0-or-later */
/* smtp_reply.c: reply lines (RFC 5321 §4.2, §4.2.1), multi-line replies,
 * and enhanced status codes (RFC 3463, RFC 2034) in the placements real
 * servers use: leading (Postfix, Exchange, Google), "(#5.7.1)" trailing
 * (qmail), "#5.1.0" (various). */
#include <string.h>

#include "smtp_reply.h"

static size_t enhanced_at(const char *p, size_t len, char *out);
static size_t digits_at(const char *p, size_t len, size_t max);

bool
smtp_reply_line_parse(struct strview line, struct smtp_reply_line *out)
{
	const unsigned char *p = (const unsigned char *)line.p;

	if (line.len < 3)
		return false;
	if (p[0] < '2' || p[0] > '5' || !g_ascii_isdigit(p[1]) ||
	    !g_ascii_isdigit(p[2]))
		return false;
	out->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	out->more = false;
	if (line.len == 3) {
		out->text.p = line.p + 3;
		out->text.len = 0;
		return true;
	}
	if (p[3] == '-')
		out->more = true;
	else if (p[3] != ' ')
		return false;
	out->text.p = line.p + 4;
	out->text.len = line.len - 4;
	return true;
}

int
smtp_reply_class(int code)
{
	return code / 100;
}

void
smtp_reply_free(struct smtp_reply *r)
{
	if (r == NULL)
		return;
	g_free(r->text);
	g_free(r);
}

struct smtp_reply *
smtp_reply_copy(const struct smtp_reply *r)
{
	struct smtp_reply *c;

	c = g_memdup2(r, sizeof *r);
	c->text = g_memdup2(r->text, r->text_len + 1);
	return c;
}

bool
smtp_reply_asm_open(const struct smtp_reply_asm *a)
{
	return a->text != NULL;
}

static void
asm_append(struct smtp_reply_asm *a, struct strview text)
{
	size_t room;

	if (a->nlines > 0 && !a->truncated) {
		if (a->text->len >= SMTP_REPLY_TEXT_MAX)
			a->truncated = true;
		else
			g_string_append_c(a->text, '\n');
	}
	a->nlines++;
	if (a->truncated)
		return;
	room = SMTP_REPLY_TEXT_MAX - a->text->len;
	if (text.len > room) {
		g_string_append_len(a->text, text.p, (gssize)room);
		a->truncated = true;
		return;
	}
	g_string_append_len(a->text, text.p, (gssize)text.len);
}

static struct smtp_reply *
asm_close(struct smtp_reply_asm *a)
{
	struct smtp_reply *r;
	const char *p, *nl;
	size_t left, n;

	r = g_new0(struct smtp_reply, 1);
	r->code = a->code;
	r->nlines = a->nlines;
	r->truncated = a->truncated;
	r->code_mismatch = a->code_mismatch;
	r->text_len = a->text->len;
	r->text = g_string_free(a->text, FALSE);
	a->text = NULL;
	a->nlines = 0;
	a->truncated = false;
	a->code_mismatch = false;

	/* The enhanced code is on the first line, or leads a later one. */
	if (!smtp_reply_find_enhanced(r->text,
		(nl = memchr(r->text, '\n', r->text_len)) != NULL
		    ? (size_t)(nl - r->text)
		    : r->text_len,
		r->enhanced)) {
		p = nl;
		while (p != NULL) {
			p++;
			left = r->text_len - (size_t)(p - r->text);
			nl = memchr(p, '\n', left);
			n = nl != NULL ? (size_t)(nl - p) : left;
			if (enhanced_at(p, n, r->enhanced) > 0)
				break;
			p = nl;
		}
	}
	if (r->enhanced[0] != '\0' &&
	    r->enhanced[0] - '0' != smtp_reply_class(r->code))
		r->enhanced_mismatch = true;
	return r;
}

struct smtp_reply *
smtp_reply_asm_push(struct smtp_reply_asm *a, const struct smtp_reply_line *l)
{
	if (a->text == NULL) {
		a->text = g_string_sized_new(64);
		a->code = l->code;
	} else if (l->code != a->code)
		a->code_mismatch = true;
	asm_append(a, l->text);
	if (l->more)
		return NULL;
	return asm_close(a);
}

bool
smtp_reply_asm_append_raw(struct smtp_reply_asm *a, struct strview line)
{
	if (a->text == NULL)
		return false;
	asm_append(a, line);
	return true;
}

struct smtp_reply *
smtp_reply_asm_finish(struct smtp_reply_asm *a)
{
	if (a->text == NULL)
		return NULL;
	return asm_close(a);
}

void
smtp_reply_asm_clear(struct smtp_reply_asm *a)
{
	if (a->text != NULL)
		g_string_free(a->text, TRUE);
	memset(a, 0, sizeof *a);
}

/* Count up to max ASCII digits at p. */
static size_t
digits_at(const char *p, size_t len, size_t max)
{
	size_t i;

	for (i = 0; i < len && i < max; i++)
		if (!g_ascii_isdigit(p[i]))
			break;
	return i;
}

/* Match "C.SSS.DDD" (RFC 3463: class 2/4/5, subject and detail of 1 to 3
 * digits) at p, not followed by another digit or dot-digit.  Returns the
 * length matched, 0 if none. */
static size_t
enhanced_at(const char *p, size_t len, char *out)
{
	size_t i = 0, n;

	if (len < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') ||
	    p[1] != '.')
		return 0;
	i = 2;
	n = digits_at(p + i, len - i, 3);
	if (n == 0 || i + n >= len || p[i + n] != '.')
		return 0;
	i += n + 1;
	n = digits_at(p + i, len - i, 3);
	if (n == 0)
		return 0;
	i += n;
	if (i < len &&
	    (g_ascii_isdigit(p[i]) ||
		(p[i] == '.' && i + 1 < len && g_ascii_isdigit(p[i + 1]))))
		return 0;
	memcpy(out, p, i);
	out[i] = '\0';
	return i;
}

bool
smtp_reply_find_enhanced(const char *text, size_t len, char *out)
{
	const char *h;
	size_t left;

	out[0] = '\0';
	if (enhanced_at(text, len, out) > 0)
		return true;
	/* qmail "(#5.7.1)", "#5.1.0": after a hash anywhere in the line. */
	h = text;
	left = len;
	while ((h = memchr(h, '#', left)) != NULL) {
		h++;
		left = len - (size_t)(h - text);
		if (enhanced_at(h, left, out) > 0)
			return true;
	}
	return false;
}

/* The keyword lines of a positive reply to EHLO, every line after the
 * first, one per ehlo_next() call. */
struct ehlo_lines {
	const char *nl, *end; /* the line end before the next line */
};

static void
ehlo_lines_init(struct ehlo_lines *it, const struct smtp_reply *r)
{
	it->nl = NULL;
	it->end = NULL;
	if (r == NULL || smtp_reply_class(r->code) != 2)
		return;
	it->end = r->text + r->text_len;
	it->nl = memchr(r->text, '\n', r->text_len);
}

/* The next line as [*p, *e); false when there is none. */
static bool
ehlo_next(struct ehlo_lines *it, const char **p, const char **e)
{
	if (it->nl == NULL)
		return false;
	*p = it->nl + 1;
	it->nl = memchr(*p, '\n', (size_t)(it->end - *p));
	*e = it->nl != NULL ? it->nl : it->end;
	return true;
}

GPtrArray *
smtp_reply_ehlo_extensions(const struct smtp_reply *r)
{
	GPtrArray *ext = g_ptr_array_new_with_free_func(g_free);
	struct ehlo_lines it;
	const char *p, *e;

	ehlo_lines_init(&it, r);
	while (ehlo_next(&it, &p, &e))
		g_ptr_array_add(ext, g_strndup(p, (size_t)(e - p)));
	return ext;
}

/* Is [p, e) the word w, ignoring case? */
static bool
word_is(const char *p, const char *e, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(e - p) == n && g_ascii_strncasecmp(p, w, n) == 0;
}

static bool
ehlo_sep(char c)
{
	return c == ' ' || c == '=';
}

bool
smtp_reply_ehlo_offers(
    const struct smtp_reply *r, const char *kw, const char *arg)
{
	struct ehlo_lines it;
	const char *p, *e, *w;
	bool first;

	ehlo_lines_init(&it, r);
	while (ehlo_next(&it, &p, &e)) {
		/* Surrounding white space is no part of a word. */
		while (p < e && g_ascii_isspace(*p))
			p++;
		while (e > p && g_ascii_isspace(e[-1]))
			e--;
		for (first = true; p <= e; first = false) {
			for (w = p; w < e && !ehlo_sep(*w); w++)
				;
			if (first && !word_is(p, w, kw))
				break;
			if (first && arg == NULL)
				return true;
			if (!first && word_is(p, w, arg))
				return true;
			p = w + 1;
		}
	}
	return false;
}

/* A queue id: letters, digits and "-._" only, 3 to SMTP_QUEUE_ID_MAX of
 * them; copied to out.  Returns its length, 0 if p is none. */
static size_t
queue_token(const char *p, const char *end, char *out)
{
	size_t n = 0;

	while (p + n < end && n <= SMTP_QUEUE_ID_MAX &&
	       (g_ascii_isalnum(p[n]) || p[n] == '-' || p[n] == '.' ||
		   p[n] == '_'))
		n++;
	if (n < 3 || n > SMTP_QUEUE_ID_MAX)
		return 0;
	memcpy(out, p, n);
	out[n] = '\0';
	/* (Not the enhanced code: "2.0.0 Message accepted".) */
	if (g_ascii_isdigit(out[0]) && out[1] == '.' && strchr(out + 2, '.'))
		return 0;
	return n;
}

const char *
smtp_text_find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; p + n <= end; p++)
		if (g_ascii_tolower(*p) == needle[0] &&
		    g_ascii_strncasecmp(p, needle, n) == 0)
			return p;
	return NULL;
}

/* The token ending just before p (after blanks), or NULL. */
static const char *
token_before(const char *start, const char *p)
{
	const char *e = p;

	while (e > start && e[-1] == ' ')
		e--;
	p = e;
	while (p > start && p[-1] != ' ')
		p--;
	return p < e ? p : NULL;
}

bool
smtp_reply_queue_id(const struct smtp_reply *r, char *out)
{
	const char *t, *end, *p;

	if (r == NULL || smtp_reply_class(r->code) != 2)
		return false;
	t = r->text;
	end = r->text + strnlen(r->text, r->text_len);
	if ((p = smtp_text_find(t, end, "queued as ")) != NULL &&
	    queue_token(p + 10, end, out) > 0)
		return true; /* Postfix */
	if ((p = smtp_text_find(t, end, "id=")) != NULL &&
	    (p == t || p[-1] == ' ') && queue_token(p + 3, end, out) > 0)
		return true; /* Exim */
	if ((p = smtp_text_find(t, end, "internalid=")) != NULL &&
	    queue_token(p + 11, end, out) > 0)
		return true; /* Exchange */
	if ((p = smtp_text_find(t, end, " qp ")) != NULL &&
	    queue_token(p + 4, end, out) > 0)
		return true; /* qmail */
	if ((p = smtp_text_find(t, end, " - gsmtp")) != NULL &&
	    (p = token_before(t, p)) != NULL && queue_token(p, end, out) > 0)
		return true; /* Gmail */
	if ((p = smtp_text_find(t, end, "message accepted for delivery")) !=
		NULL &&
	    (p = token_before(t, p)) != NULL && p != t &&
	    queue_token(p, end, out) > 0)
		return true; /* Sendmail, OpenSMTPD */
	if ((p = smtp_text_find(t, end, " saved")) != NULL &&
	    (p = token_before(t, p)) != NULL && *p != '<' &&
	    queue_token(p, end, out) > 0)
		return true; /* Dovecot LMTP */
	return false;
}
