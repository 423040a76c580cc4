/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mime.c: the MIME structure of a message as its bytes pass (mime.h).
 *
 * The scanner frames lines (the first MIME_LINE_KEEP bytes of each are
 * looked at; a longer line is content, never a delimiter) and keeps a
 * stack of the entities it is in: the one on top is reading its header,
 * or is a leaf whose content goes to the decoder and the hashes, or is a
 * multipart between its delimiters (preamble, epilogue: not content).
 * A delimiter line of any multipart on the stack ends the entities above
 * it (RFC 2046 §5.1.1: the line end before it is the delimiter's).  Only
 * the Content-* fields of a header are kept, up to MIME_HEADER_MAX, and
 * parsed with GMime, which undoes RFC 2231 and RFC 2047 in parameters;
 * uuencode is decoded with GMime's incremental decoder, base64 and
 * quoted-printable here, as RFC 2045 asks of robust decoders (GMime's
 * stop at a pad inside base64 and keep "= " before a line end). */
#include <string.h>

#include <gmime/gmime.h>

#include "budget.h"
#include "mime.h"

/* Bytes of a line looked at (delimiters are at most 70 + 4 bytes). */
#define MIME_LINE_KEEP 1024

enum frame_kind {
	FRAME_HEADER,  /* reading its header */
	FRAME_LEAF,    /* its content */
	FRAME_MULTI,   /* between its delimiters */
	FRAME_MESSAGE, /* message/rfc822: its content is the entity above */
	FRAME_SNIFF,   /* message/rfc822 said to be encoded, which RFC 2046
			* §5.2.1 forbids: its first line tells (sniff()) */
};

enum multi_state { MULTI_PREAMBLE, MULTI_PART, MULTI_EPILOGUE };

struct frame {
	enum frame_kind kind;
	struct mime_part *part; /* kept, or NULL past MIME_PARTS_MAX */
	unsigned index;		/* its entity number */
	char *boundary;		/* FRAME_MULTI */
	size_t blen;
	enum multi_state ms;
	bool digest; /* multipart/digest: parts default to message/rfc822 */
	char *type, *encoding; /* FRAME_SNIFF: as its header said */
};

/* Quoted-printable, decoded as RFC 2045 §6.7 asks of a robust decoder:
 * "=XX" in either case is the byte; "=", white space, a line end is a
 * soft line break (transports add the white space), so is "=" at the end
 * of the part; any other "=" stays, with what follows it.  (GMime's
 * decoder keeps "= " before a line end.) */
#define QP_HOLD 40

struct qp {
	int state; /* 0 text; 1 "=" (and white space) held; 2 "=X" held;
		    * 3 "=", white space, CR held */
	char hold[QP_HOLD];
	size_t held;
};

/* Base64, decoded group by group: characters outside the alphabet are
 * skipped (RFC 2045 §6.8), and a pad ends its group, not the part, so
 * that "NA==Mg==" is two bytes, as Suricata reads it (GMime stops at the
 * first pad). */
struct b64 {
	uint32_t bits;
	unsigned n; /* sextets in bits */
};

struct leaf {
	GMimeEncoding dec;
	bool decode; /* dec is used (else the bytes are the content) */
	bool qp;     /* quoted-printable: q, not dec */
	struct qp q;
	bool b64; /* base64: b, not dec */
	struct b64 b;
	struct mime_scan *inner; /* an encoded message/rfc822: read as one */
	GChecksum *md5, *sha1, *sha256;
	bool urls;   /* text: look for URLs */
	bool attach; /* the sink sees it */
	char *out;   /* decoder output */
	size_t out_cap;
};

struct mime_scan {
	struct mime_sink sink;
	struct mime_info *info;
	unsigned nest;	   /* encoded messages it is inside */
	GPtrArray *frames; /* struct frame *, bottom first */
	bool stopped;	   /* a gap: nothing more is parsed */
	gint64 ts;
	/* Line framing. */
	char line[MIME_LINE_KEEP];
	size_t len;
	bool long_line;	   /* past MIME_LINE_KEEP: never a delimiter */
	bool long_content; /* and it is content (not a header's) */
	bool cr_held;	   /* a long line's last byte so far is a CR */
	/* The leaf's line end, held until the next line shows it is not the
	 * delimiter's. */
	char eol[2];
	size_t eol_len;
	struct leaf leaf;
	/* Header being read: its Content-* fields, one per line. */
	GString *hdr;
	bool hdr_keep; /* the field being read is kept */
	bool hdr_nul;  /* a kept field held a NUL */
	/* URL being read (the leaf's decoded text). */
	char win[8]; /* the last bytes before it, lower case */
	GString *url;
	bool url_cut;
	GHashTable *url_seen;
};

static gsize gmime_ready;

static void
gmime_once(void)
{
	if (g_once_init_enter(&gmime_ready)) {
		g_mime_init();
		g_once_init_leave(&gmime_ready, 1);
	}
}

const char *
mime_part_flag_name(unsigned bit)
{
	switch (bit) {
	case MIME_PART_UNCLOSED:
		return "unclosed";
	case MIME_PART_GAP:
		return "gap";
	case MIME_PART_BAD_BASE64:
		return "bad_base64";
	case MIME_PART_NO_BOUNDARY:
		return "no_boundary";
	case MIME_PART_NO_BODY:
		return "no_body";
	case MIME_PART_NUL_NAME:
		return "nul_in_name";
	default:
		return NULL;
	}
}

const char *
mime_limit_name(unsigned bit)
{
	switch (bit) {
	case MIME_LIMIT_PARTS:
		return "parts";
	case MIME_LIMIT_DEPTH:
		return "depth";
	case MIME_LIMIT_URLS:
		return "urls";
	case MIME_LIMIT_HEADER:
		return "header";
	case MIME_LIMIT_URL_LEN:
		return "url_length";
	case MIME_LIMIT_NAME:
		return "name";
	case MIME_LIMIT_GAPS:
		return "gaps";
	default:
		return NULL;
	}
}

struct mime_part *
mime_part_new(void)
{
	return g_new0(struct mime_part, 1);
}

void
mime_part_free(gpointer p)
{
	struct mime_part *m = p;

	if (m == NULL)
		return;
	g_free(m->type);
	g_free(m->charset);
	g_free(m->encoding);
	g_free(m->disposition);
	g_free(m->filename);
	g_free(m->extract);
	g_free(m);
}

struct mime_info *
mime_info_new(void)
{
	struct mime_info *m = g_new0(struct mime_info, 1);

	m->parts = g_ptr_array_new_with_free_func(mime_part_free);
	m->urls = g_ptr_array_new_with_free_func(g_free);
	return m;
}

void
mime_info_free(struct mime_info *m)
{
	if (m == NULL)
		return;
	g_ptr_array_unref(m->parts);
	g_ptr_array_unref(m->urls);
	if (m->gaps != NULL)
		g_array_unref(m->gaps);
	g_free(m);
}

size_t
mime_info_mem(const struct mime_info *m)
{
	size_t n;
	guint i;

	if (m == NULL)
		return 0;
	n = budget_bytes(sizeof *m) + 2 * budget_bytes(64);
	for (i = 0; i < m->parts->len; i++) {
		const struct mime_part *p = g_ptr_array_index(m->parts, i);

		n += sizeof(gpointer) + budget_bytes(sizeof *p) +
		     budget_str(p->type) + budget_str(p->charset) +
		     budget_str(p->encoding) + budget_str(p->disposition) +
		     budget_str(p->filename) + budget_str(p->extract);
	}
	for (i = 0; i < m->urls->len; i++)
		n += sizeof(gpointer) +
		     budget_str(g_ptr_array_index(m->urls, i));
	if (m->gaps != NULL)
		n += budget_bytes(m->gaps->len * sizeof(struct mime_gap));
	return n;
}

size_t
mime_scan_mem(const struct mime_scan *s)
{
	size_t n = budget_bytes(sizeof *s) +
		   s->frames->len * budget_bytes(sizeof(struct frame) + 72) +
		   budget_bytes(s->leaf.out_cap);

	if (s->hdr != NULL)
		n += budget_bytes(s->hdr->allocated_len);
	if (s->url != NULL)
		n += budget_bytes(s->url->allocated_len);
	if (s->url_seen != NULL)
		n += g_hash_table_size(s->url_seen) * 3 * sizeof(gpointer);
	if (s->leaf.inner != NULL)
		n += mime_scan_mem(s->leaf.inner);
	return n + mime_info_mem(s->info);
}

static struct frame *
top(const struct mime_scan *s)
{
	return s->frames->len > 0
		   ? g_ptr_array_index(s->frames, s->frames->len - 1)
		   : NULL;
}

static void
frame_free(gpointer p)
{
	struct frame *f = p;

	g_free(f->boundary);
	g_free(f->type);
	g_free(f->encoding);
	g_free(f);
}

/* A new entity inside the one on top (or the message): its header
 * comes. */
static void
frame_push(struct mime_scan *s)
{
	struct frame *f = g_new0(struct frame, 1), *up = top(s);
	struct mime_info *m = s->info;

	f->kind = FRAME_HEADER;
	f->index = ++m->entities;
	if (m->parts->len < MIME_PARTS_MAX) {
		f->part = mime_part_new();
		f->part->index = f->index;
		f->part->parent = up != NULL ? up->index : 0;
		f->part->level = s->frames->len;
		f->part->ts_first = f->part->ts_last = s->ts;
		g_ptr_array_add(m->parts, f->part);
	} else
		m->limits |= MIME_LIMIT_PARTS;
	g_ptr_array_add(s->frames, f);
	if (s->hdr == NULL)
		s->hdr = g_string_sized_new(256);
	g_string_truncate(s->hdr, 0);
	s->hdr_keep = false;
	s->hdr_nul = false;
}

/* ---- URLs (in the decoded text of text/plain and text/html leaves) ---- */

static bool
url_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("\"'<>`{}|\\^", c) == NULL;
}

static void
url_end(struct mime_scan *s)
{
	struct mime_info *m = s->info;
	GString *u = s->url;
	const char *sep;
	char *v;

	/* Sentence punctuation after a URL is not the URL's. */
	while (u->len > 0 && strchr(".,;:!?)]", u->str[u->len - 1]) != NULL &&
	       !(u->str[u->len - 1] == ')' && strchr(u->str, '(') != NULL))
		g_string_truncate(u, u->len - 1);
	sep = strstr(u->str, "://");
	if (sep != NULL && sep[3] == '\0')
		goto out; /* "http://" and nothing */
	if (sep == NULL && u->len <= 4)
		goto out; /* "www." */
	if (s->url_seen == NULL)
		s->url_seen = g_hash_table_new(g_str_hash, g_str_equal);
	if (g_hash_table_contains(s->url_seen, u->str))
		goto out;
	if (m->urls->len >= MIME_URLS_MAX) {
		m->limits |= MIME_LIMIT_URLS;
		m->urls_dropped++;
		goto out;
	}
	if (s->url_cut)
		m->limits |= MIME_LIMIT_URL_LEN;
	v = g_strndup(u->str, u->len);
	g_ptr_array_add(m->urls, v);
	g_hash_table_add(s->url_seen, v);
out:
	g_string_truncate(u, 0);
	s->url_cut = false;
}

/* Does the window end with this (lower case) text, not inside a word? */
static bool
win_ends(const struct mime_scan *s, const char *t)
{
	size_t k = strlen(t), w = sizeof s->win;

	if (memcmp(s->win + w - k, t, k) != 0)
		return false;
	return k == w || !g_ascii_isalnum(s->win[w - k - 1]);
}

static void
url_begin(struct mime_scan *s, const char *scheme)
{
	if (s->url == NULL)
		s->url = g_string_sized_new(64);
	g_string_assign(s->url, scheme);
	s->url_cut = false;
}

static void
url_scan(struct mime_scan *s, const char *p, size_t n)
{
	size_t i, w = sizeof s->win;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (s->url != NULL && s->url->len > 0) {
			if (url_char(c)) {
				if (s->url->len < MIME_URL_MAX)
					g_string_append_c(s->url, (char)c);
				else
					s->url_cut = true;
				continue;
			}
			url_end(s);
		}
		memmove(s->win, s->win + 1, w - 1);
		s->win[w - 1] = g_ascii_tolower((char)c);
		if (c == '/') {
			if (win_ends(s, "https://"))
				url_begin(s, "https://");
			else if (win_ends(s, "http://"))
				url_begin(s, "http://");
			else if (win_ends(s, "ftp://"))
				url_begin(s, "ftp://");
		} else if (c == '.' && win_ends(s, "www."))
			url_begin(s, "www.");
	}
}

/* ---- leaves ---- */

static void
hex_digest(GChecksum *c, char *out, size_t cap)
{
	g_strlcpy(out, g_checksum_get_string(c), cap);
}

static void
leaf_bytes(struct mime_scan *s, struct frame *f, const char *p, size_t n)
{
	struct leaf *l = &s->leaf;
	struct mime_part *part = f->part;

	if (part != NULL && !(part->flags & MIME_PART_GAP)) {
		g_checksum_update(l->md5, (const guchar *)p, (gssize)n);
		g_checksum_update(l->sha1, (const guchar *)p, (gssize)n);
		g_checksum_update(l->sha256, (const guchar *)p, (gssize)n);
	}
	if (part != NULL) {
		part->size += n;
		if (l->attach && s->sink.data != NULL)
			s->sink.data(part, p, n, s->sink.arg);
	}
	if (l->urls)
		url_scan(s, p, n);
	if (l->inner != NULL)
		mime_scan_feed(l->inner, p, n, s->ts);
}

static int
hex_value(char c)
{
	return g_ascii_xdigit_value(c);
}

/* Decoded bytes of p into out (room for n + QP_HOLD); the count. */
static size_t
qp_step(struct qp *q, const char *p, size_t n, char *out)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		char c = p[i];

		switch (q->state) {
		case 1:
			if (q->held == 1 && hex_value(c) >= 0) {
				q->hold[q->held++] = c;
				q->state = 2;
				continue;
			}
			if ((c == ' ' || c == '\t') && q->held < QP_HOLD - 1) {
				q->hold[q->held++] = c;
				continue;
			}
			if (c == '\r') {
				q->hold[q->held++] = c;
				q->state = 3;
				continue;
			}
			if (c == '\n') { /* a soft line break */
				q->held = 0;
				q->state = 0;
				continue;
			}
			break;
		case 2:
			if (hex_value(c) >= 0) {
				out[k++] = (char)(hex_value(q->hold[1]) * 16 +
						  hex_value(c));
				q->held = 0;
				q->state = 0;
				continue;
			}
			break;
		case 3:
			if (c == '\n') {
				q->held = 0;
				q->state = 0;
				continue;
			}
			break;
		default:
			break;
		}
		if (q->state != 0) {
			/* Not an escape after all: as it was. */
			memcpy(out + k, q->hold, q->held);
			k += q->held;
			q->held = 0;
			q->state = 0;
		}
		if (c == '=') {
			q->hold[0] = c;
			q->held = 1;
			q->state = 1;
		} else
			out[k++] = c;
	}
	return k;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* The bytes of a group cut short (by a pad, or the end). */
static size_t
b64_end_group(struct b64 *b, char *out)
{
	size_t k = 0;

	if (b->n >= 2)
		out[k++] = (char)(b->bits >> (b->n * 6 - 8));
	if (b->n == 3)
		out[k++] = (char)(b->bits >> 2);
	b->bits = 0;
	b->n = 0;
	return k;
}

/* Decoded bytes of p into out (room for n + 3); the count.  *bad is set
 * by characters outside the alphabet and white space. */
static size_t
b64_step(struct b64 *b, const char *p, size_t n, char *out, bool *bad)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		int v = b64_value(c);

		if (v < 0) {
			if (c == '=')
				k += b64_end_group(b, out + k);
			else if (!g_ascii_isspace(c))
				*bad = true;
			continue;
		}
		b->bits = (b->bits << 6) | (uint32_t)v;
		if (++b->n == 4) {
			out[k++] = (char)(b->bits >> 16);
			out[k++] = (char)(b->bits >> 8);
			out[k++] = (char)b->bits;
			b->bits = 0;
			b->n = 0;
		}
	}
	return k;
}

/* The end of the part: "=" and white space there are a soft break. */
static size_t
qp_flush(struct qp *q, char *out)
{
	size_t k = 0;

	if (q->state == 2 || q->state == 3) {
		memcpy(out, q->hold, q->held);
		k = q->held;
	}
	q->held = 0;
	q->state = 0;
	return k;
}

static void
out_room(struct leaf *l, size_t k)
{
	if (k > l->out_cap) {
		l->out_cap = k;
		l->out = g_realloc(l->out, k);
	}
}

/* Content bytes of the leaf on top, as sent. */
static void
leaf_feed(struct mime_scan *s, const char *p, size_t n)
{
	struct frame *f = top(s);
	struct leaf *l = &s->leaf;
	size_t k;

	if (f == NULL || f->kind != FRAME_LEAF || n == 0)
		return;
	if (f->part != NULL) {
		if (f->part->wire_size == 0)
			f->part->ts_first = s->ts; /* its content began */
		f->part->wire_size += n;
		f->part->ts_last = s->ts;
	}
	if (l->qp) {
		out_room(l, n + QP_HOLD);
		k = qp_step(&l->q, p, n, l->out);
		if (k > 0)
			leaf_bytes(s, f, l->out, k);
		return;
	}
	if (l->b64) {
		bool bad = false;

		out_room(l, n + 4);
		k = b64_step(&l->b, p, n, l->out, &bad);
		if (bad && f->part != NULL)
			f->part->flags |= MIME_PART_BAD_BASE64;
		if (k > 0)
			leaf_bytes(s, f, l->out, k);
		return;
	}
	if (!l->decode) {
		leaf_bytes(s, f, p, n);
		return;
	}
	out_room(l, g_mime_encoding_outlen(&l->dec, n));
	k = g_mime_encoding_step(&l->dec, p, n, l->out);
	if (k > 0)
		leaf_bytes(s, f, l->out, k);
}

static void
eol_flush(struct mime_scan *s)
{
	if (s->eol_len > 0)
		leaf_feed(s, s->eol, s->eol_len);
	s->eol_len = 0;
}

static bool
is_text_for_urls(const char *type)
{
	return strcmp(type, "text/plain") == 0 ||
	       strcmp(type, "text/html") == 0;
}

static void
leaf_begin(struct mime_scan *s, struct frame *f, const char *type,
    const char *encoding)
{
	struct leaf *l = &s->leaf;
	GMimeContentEncoding e =
	    encoding != NULL ? g_mime_content_encoding_from_string(encoding)
			     : GMIME_CONTENT_ENCODING_DEFAULT;

	f->kind = FRAME_LEAF;
	l->qp = e == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
	memset(&l->q, 0, sizeof l->q);
	l->b64 = e == GMIME_CONTENT_ENCODING_BASE64;
	memset(&l->b, 0, sizeof l->b);
	l->decode = e == GMIME_CONTENT_ENCODING_UUENCODE;
	if (l->decode)
		g_mime_encoding_init_decode(&l->dec, e);
	l->md5 = g_checksum_new(G_CHECKSUM_MD5);
	l->sha1 = g_checksum_new(G_CHECKSUM_SHA1);
	l->sha256 = g_checksum_new(G_CHECKSUM_SHA256);
	l->urls = is_text_for_urls(type);
	if ((l->qp || l->b64 || l->decode) && s->nest < MIME_NEST_MAX &&
	    s->frames->len < MIME_DEPTH_MAX &&
	    (strcmp(type, "message/rfc822") == 0 ||
		strcmp(type, "message/global") == 0)) {
		l->inner = mime_scan_new(&s->sink);
		l->inner->nest = s->nest + 1;
	}
	memset(s->win, ' ', sizeof s->win);
	l->attach = f->part != NULL && (f->part->flags & MIME_PART_ATTACHMENT);
	if (f->part != NULL)
		f->part->flags |= MIME_PART_LEAF;
	s->eol_len = 0;
	if (l->attach && s->sink.begin != NULL)
		s->sink.begin(f->part, s->sink.arg);
}

/* What an encoded message inside the leaf f held joins the record: its
 * entities after f, inside it. */
static void
merge(struct mime_scan *s, const struct frame *f, struct mime_info *in)
{
	struct mime_info *m = s->info;
	unsigned base = m->entities,
		 level = f->part != NULL ? f->part->level + 1 : s->frames->len;
	guint i;

	for (i = 0; i < in->parts->len; i++) {
		struct mime_part *p = g_ptr_array_index(in->parts, i);

		in->parts->pdata[i] = NULL;
		p->parent = p->parent == 0 ? f->index : p->parent + base;
		p->index += base;
		p->level += level;
		if (m->parts->len < MIME_PARTS_MAX) {
			g_ptr_array_add(m->parts, p);
			continue;
		}
		m->limits |= MIME_LIMIT_PARTS;
		if (s->sink.drop != NULL)
			s->sink.drop(p, s->sink.arg);
		mime_part_free(p);
	}
	m->entities += in->entities;
	for (i = 0; i < in->urls->len; i++) {
		const char *u = g_ptr_array_index(in->urls, i);

		if (s->url_seen == NULL)
			s->url_seen = g_hash_table_new(g_str_hash, g_str_equal);
		if (g_hash_table_contains(s->url_seen, u))
			continue;
		if (m->urls->len >= MIME_URLS_MAX) {
			m->limits |= MIME_LIMIT_URLS;
			m->urls_dropped++;
			continue;
		}
		g_ptr_array_add(m->urls, g_strdup(u));
		g_hash_table_add(
		    s->url_seen, g_ptr_array_index(m->urls, m->urls->len - 1));
	}
	m->urls_dropped += in->urls_dropped;
	m->limits |= in->limits;
	mime_info_free(in);
}

static void
leaf_end(struct mime_scan *s, struct frame *f)
{
	struct leaf *l = &s->leaf;
	struct mime_part *p = f->part;

	if (l->qp || l->b64) {
		size_t k;

		out_room(l, QP_HOLD);
		k = l->qp ? qp_flush(&l->q, l->out)
			  : b64_end_group(&l->b, l->out);
		if (k > 0)
			leaf_bytes(s, f, l->out, k);
	} else if (l->decode) {
		size_t k;

		out_room(l, g_mime_encoding_outlen(&l->dec, 0) + 16);
		k = g_mime_encoding_flush(&l->dec, "", 0, l->out);
		if (k > 0)
			leaf_bytes(s, f, l->out, k);
	}
	if (s->url != NULL && s->url->len > 0)
		url_end(s);
	if (l->inner != NULL) {
		/* (The leaf's own state is this scanner's: keep it.) */
		struct mime_scan *in = g_steal_pointer(&l->inner);

		merge(s, f, mime_scan_finish(in));
	}
	if (p != NULL && !(p->flags & MIME_PART_GAP)) {
		hex_digest(l->md5, p->md5, sizeof p->md5);
		hex_digest(l->sha1, p->sha1, sizeof p->sha1);
		hex_digest(l->sha256, p->sha256, sizeof p->sha256);
	}
	if (p != NULL && l->attach && s->sink.end != NULL)
		s->sink.end(p, s->sink.arg);
	g_checksum_free(l->md5);
	g_checksum_free(l->sha1);
	g_checksum_free(l->sha256);
	l->md5 = l->sha1 = l->sha256 = NULL;
	l->decode = l->qp = l->b64 = l->urls = l->attach = false;
	s->eol_len = 0;
}

static void header_done(struct mime_scan *s, bool cut);

/* The entity on top ends (delimiter, outer delimiter, end of message). */
static void
frame_pop(struct mime_scan *s, bool closed)
{
	struct frame *f = top(s);

	if (f->kind == FRAME_HEADER && !s->stopped)
		header_done(s, true); /* its header never ended */
	if (f->kind == FRAME_SNIFF) {
		leaf_begin(s, f, f->type, f->encoding); /* nothing came */
		g_clear_pointer(&f->type, g_free);
		g_clear_pointer(&f->encoding, g_free);
	}
	if (f->kind == FRAME_LEAF)
		leaf_end(s, f);
	if (f->part != NULL) {
		if (f->kind == FRAME_HEADER)
			f->part->flags |= MIME_PART_NO_BODY;
		if (f->kind == FRAME_MULTI && f->ms != MULTI_EPILOGUE &&
		    !s->stopped)
			f->part->flags |= MIME_PART_UNCLOSED;
		if (!closed && f->kind != FRAME_MULTI && !s->stopped)
			f->part->flags |= MIME_PART_UNCLOSED;
		if (f->part->type == NULL)
			f->part->type = g_strdup("text/plain");
	}
	g_ptr_array_remove_index(s->frames, s->frames->len - 1);
}

/* ---- headers ---- */

static char *
lower_dup(const char *v)
{
	return v != NULL && *v != '\0' ? g_ascii_strdown(v, -1) : NULL;
}

/* The value of the first kept field called name (with its ':'), unfolded,
 * or NULL; caller frees. */
static char *
hdr_field(const GString *h, const char *name)
{
	size_t k = strlen(name);
	const char *p = h->str, *e = h->str + h->len;

	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *end = nl != NULL ? nl : e;

		if ((size_t)(end - p) >= k &&
		    g_ascii_strncasecmp(p, name, k) == 0)
			return g_strndup(p + k, (gsize)(end - p - k));
		p = end + 1;
	}
	return NULL;
}

/* A file name fit to keep: cut at MIME_NAME_MAX on a character. */
static char *
name_keep(struct mime_scan *s, const char *v)
{
	size_t n;

	if (v == NULL || *v == '\0')
		return NULL;
	n = strlen(v);
	if (n > MIME_NAME_MAX) {
		s->info->limits |= MIME_LIMIT_NAME;
		n = MIME_NAME_MAX;
		while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
			n--;
	}
	return g_strndup(v, n);
}

/* The header of the entity on top ended: what is it?  cut: it ended
 * without its blank line (at a delimiter, or at the end of the message):
 * a leaf with nothing in it, whatever it says it is. */
static void
header_done(struct mime_scan *s, bool cut)
{
	struct frame *f = top(s), *up;
	struct mime_part *p = f->part;
	char *ctype = hdr_field(s->hdr, "content-type:");
	char *cte = hdr_field(s->hdr, "content-transfer-encoding:");
	char *cdisp = hdr_field(s->hdr, "content-disposition:");
	GMimeContentType *ct = NULL;
	GMimeContentDisposition *cd = NULL;
	char *type = NULL, *encoding = NULL;
	const char *boundary = NULL, *name = NULL;

	up = s->frames->len >= 2
		 ? g_ptr_array_index(s->frames, s->frames->len - 2)
		 : NULL;
	if (ctype != NULL) {
		ct = g_mime_content_type_parse(NULL, ctype);
		if (ct != NULL) {
			type = g_mime_content_type_get_mime_type(ct);
			boundary =
			    g_mime_content_type_get_parameter(ct, "boundary");
			name = g_mime_content_type_get_parameter(ct, "name");
		}
	}
	if (type == NULL)
		type = g_strdup(
		    up != NULL && up->digest ? "message/rfc822" : "text/plain");
	{
		char *t = g_ascii_strdown(type, -1);

		g_free(type);
		type = t;
	}
	if (cte != NULL)
		encoding = lower_dup(g_strstrip(cte));
	if (cdisp != NULL)
		cd = g_mime_content_disposition_parse(NULL, cdisp);
	if (p != NULL) {
		const char *fn = cd != NULL
				     ? g_mime_content_disposition_get_parameter(
					   cd, "filename")
				     : NULL;

		p->type = g_strdup(type);
		if (ct != NULL)
			p->charset = lower_dup(
			    g_mime_content_type_get_parameter(ct, "charset"));
		p->encoding = g_strdup(encoding);
		if (cd != NULL)
			p->disposition = lower_dup(
			    g_mime_content_disposition_get_disposition(cd));
		p->filename = name_keep(s, fn != NULL && *fn ? fn : name);
		if (s->hdr_nul && p->filename != NULL)
			p->flags |= MIME_PART_NUL_NAME;
		if (p->filename != NULL ||
		    (p->disposition != NULL &&
			strcmp(p->disposition, "attachment") == 0))
			p->flags |= MIME_PART_ATTACHMENT;
	}
	if (cut) {
		if (p != NULL)
			p->flags |= MIME_PART_NO_BODY;
		leaf_begin(s, f, type, encoding);
	} else if (g_str_has_prefix(type, "multipart/")) {
		if (boundary == NULL || *boundary == '\0') {
			if (p != NULL)
				p->flags |= MIME_PART_NO_BOUNDARY;
			leaf_begin(s, f, type, encoding);
		} else if (s->frames->len > MIME_DEPTH_MAX) {
			s->info->limits |= MIME_LIMIT_DEPTH;
			leaf_begin(s, f, type, encoding);
		} else {
			f->kind = FRAME_MULTI;
			f->ms = MULTI_PREAMBLE;
			f->boundary = g_strdup(boundary);
			f->blen = strlen(boundary);
			f->digest = strcmp(type, "multipart/digest") == 0;
		}
	} else if ((strcmp(type, "message/rfc822") == 0 ||
		       strcmp(type, "message/global") == 0) &&
		   s->frames->len <= MIME_DEPTH_MAX && encoding != NULL &&
		   strcmp(encoding, "7bit") != 0 &&
		   strcmp(encoding, "8bit") != 0 &&
		   strcmp(encoding, "binary") != 0) {
		f->kind = FRAME_SNIFF;
		f->type = g_strdup(type);
		f->encoding = g_strdup(encoding);
	} else if (strcmp(type, "message/rfc822") == 0 ||
		   strcmp(type, "message/global") == 0) {
		if (s->frames->len > MIME_DEPTH_MAX) {
			s->info->limits |= MIME_LIMIT_DEPTH;
			leaf_begin(s, f, type, encoding);
		} else {
			f->kind = FRAME_MESSAGE;
			frame_push(s);
		}
	} else
		leaf_begin(s, f, type, encoding);
	if (ct != NULL)
		g_object_unref(ct);
	if (cd != NULL)
		g_object_unref(cd);
	g_free(type);
	g_free(encoding);
	g_free(ctype);
	g_free(cte);
	g_free(cdisp);
}

/* Header bytes of the field being read (one physical line's, or more of
 * a long one's). */
static void
hdr_append(struct mime_scan *s, const char *p, size_t n)
{
	if (!s->hdr_keep)
		return;
	if (memchr(p, '\0', n) != NULL)
		s->hdr_nul = true;
	if (s->hdr->len + n > MIME_HEADER_MAX) {
		s->info->limits |= MIME_LIMIT_HEADER;
		n = MIME_HEADER_MAX - MIN(s->hdr->len, MIME_HEADER_MAX);
	}
	/* A NUL would end the value for GMime: a space keeps the rest. */
	for (size_t i = 0; i < n; i++)
		g_string_append_c(s->hdr, p[i] != '\0' ? p[i] : ' ');
}

/* The start of a header line (all of it, or its first MIME_LINE_KEEP
 * bytes), without its line end. */
static void
hdr_line(struct mime_scan *s, const char *l, size_t n)
{
	if (n == 0) {
		header_done(s, false);
		return;
	}
	if (l[0] == ' ' || l[0] == '\t') {
		hdr_append(s, l, n); /* unfolded: the line end goes */
		return;
	}
	s->hdr_keep = n >= 8 && g_ascii_strncasecmp(l, "content-", 8) == 0;
	if (s->hdr_keep && s->hdr->len > 0)
		g_string_append_c(s->hdr, '\n');
	hdr_append(s, l, n);
}

/* ---- lines ---- */

/* Is this line a delimiter of a multipart on the stack?  Its frame's
 * position, or -1; *close for a closing one. */
static int
delimiter(const struct mime_scan *s, const char *l, size_t n, bool *close)
{
	int i;

	if (n < 2 || l[0] != '-' || l[1] != '-')
		return -1;
	for (i = (int)s->frames->len - 1; i >= 0; i--) {
		const struct frame *f = g_ptr_array_index(s->frames, i);
		const char *r;
		size_t k;

		if (f->kind != FRAME_MULTI || n - 2 < f->blen ||
		    memcmp(l + 2, f->boundary, f->blen) != 0)
			continue;
		r = l + 2 + f->blen;
		k = n - 2 - f->blen;
		*close = k >= 2 && r[0] == '-' && r[1] == '-';
		if (*close) {
			r += 2;
			k -= 2;
		}
		while (k > 0 && (*r == ' ' || *r == '\t')) {
			r++;
			k--;
		}
		if (k == 0)
			return i;
	}
	return -1;
}

static void
at_delimiter(struct mime_scan *s, int at, bool close)
{
	struct frame *f;

	s->eol_len = 0; /* the line end before it is the delimiter's */
	while ((int)s->frames->len - 1 > at) {
		/* Ended by its own multipart's delimiter (through the
		 * message/rfc822 parts between), or by an outer one. */
		bool closed = true;
		int k;

		for (k = at + 1; k < (int)s->frames->len - 1; k++)
			if (((const struct frame *)g_ptr_array_index(
				 s->frames, (guint)k))
				->kind == FRAME_MULTI)
				closed = false;
		frame_pop(s, closed);
	}
	f = top(s);
	if (close) {
		f->ms = MULTI_EPILOGUE;
		return;
	}
	f->ms = MULTI_PART;
	frame_push(s);
}

/* The first line of a message/rfc822 said to be encoded: a header
 * field's shape ("Name: value", or a long line) shows it is
 * the message itself, sent as it is (as mail readers and Suricata take
 * it); else it is decoded and read.  True if the line was the header's
 * (and taken). */
static bool
sniff(struct mime_scan *s, struct frame *f, const char *l, size_t n,
    bool long_line)
{
	const char *colon = memchr(l, ':', n);
	bool field =
	    long_line || (colon != NULL && colon > l &&
			     memchr(l, ' ', (size_t)(colon - l)) == NULL);
	char *type, *encoding;

	if (n == 0 && !long_line)
		return true; /* blank lines before it tell nothing */
	type = g_steal_pointer(&f->type);
	encoding = g_steal_pointer(&f->encoding);

	if (field) {
		f->kind = FRAME_MESSAGE;
		frame_push(s);
		hdr_line(s, l, n);
	} else
		leaf_begin(s, f, type, encoding);
	g_free(type);
	g_free(encoding);
	return field;
}

/* A whole line without its line end (or a long line's first
 * MIME_LINE_KEEP bytes: long_line).  True if it is content, whose line
 * end is then the content's too, unless a delimiter follows. */
static bool
line_start(struct mime_scan *s, const char *l, size_t n, bool long_line)
{
	struct frame *f = top(s);
	bool close;
	int at;

	if (f == NULL)
		return false;
	if (!long_line && (at = delimiter(s, l, n, &close)) >= 0) {
		at_delimiter(s, at, close);
		return false;
	}
	if (f->kind == FRAME_SNIFF && sniff(s, f, l, n, long_line))
		return false;
	if (f->kind == FRAME_HEADER) {
		hdr_line(s, l, n);
		return false;
	}
	eol_flush(s);
	leaf_feed(s, l, n);
	return true;
}

/* A content line ended (LF seen): hold its line end. */
static void
line_end(struct mime_scan *s, bool cr)
{
	s->eol_len = 0;
	if (cr)
		s->eol[s->eol_len++] = '\r';
	s->eol[s->eol_len++] = '\n';
}

static void
feed_line_bytes(struct mime_scan *s, const char *p, size_t n)
{
	struct frame *f;

	if (!s->long_line) {
		size_t k = MIN(n, MIME_LINE_KEEP - s->len);

		memcpy(s->line + s->len, p, k);
		s->len += k;
		p += k;
		n -= k;
		if (n == 0)
			return;
		/* Too long for a delimiter: content from here. */
		s->long_line = true;
		s->cr_held = s->line[s->len - 1] == '\r';
		s->long_content =
		    line_start(s, s->line, s->len - (s->cr_held ? 1 : 0), true);
		s->len = 0;
	}
	f = top(s);
	if (n == 0)
		return;
	if (s->cr_held) {
		if (f != NULL && f->kind == FRAME_HEADER)
			hdr_append(s, "\r", 1);
		else
			leaf_feed(s, "\r", 1);
		s->cr_held = false;
	}
	if (p[n - 1] == '\r') {
		s->cr_held = true;
		n--;
	}
	if (f != NULL && f->kind == FRAME_HEADER)
		hdr_append(s, p, n);
	else
		leaf_feed(s, p, n);
}

void
mime_scan_feed(struct mime_scan *s, const char *p, size_t n, gint64 ts)
{
	s->info->bytes += n;
	if (s->stopped)
		return;
	s->ts = ts;
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl != NULL ? (size_t)(nl - p) : n;

		feed_line_bytes(s, p, k);
		if (nl == NULL)
			return;
		if (s->long_line) {
			bool cr = s->cr_held;

			s->cr_held = false;
			if (s->long_content)
				line_end(s, cr);
		} else {
			bool cr = s->len > 0 && s->line[s->len - 1] == '\r';

			if (line_start(
				s, s->line, s->len - (cr ? 1 : 0), false))
				line_end(s, cr);
		}
		s->len = 0;
		s->long_line = false;
		p += k + 1;
		n -= k + 1;
		if (s->stopped)
			return;
	}
}

void
mime_scan_gap(struct mime_scan *s, uint64_t n)
{
	struct mime_info *m = s->info;
	guint i;

	if (m->gaps == NULL)
		m->gaps = g_array_new(FALSE, FALSE, sizeof(struct mime_gap));
	if (m->gaps->len < MIME_GAPS_MAX) {
		struct mime_gap g = { m->bytes, n };

		g_array_append_val(m->gaps, g);
	} else
		m->limits |= MIME_LIMIT_GAPS;
	m->bytes += n;
	if (s->stopped)
		return;
	/* What was open is not whole; what follows cannot be placed. */
	for (i = 0; i < s->frames->len; i++) {
		struct frame *f = g_ptr_array_index(s->frames, i);

		if (f->part != NULL)
			f->part->flags |= MIME_PART_GAP;
	}
	m->structure_lost = true;
	s->stopped = true;
	while (s->frames->len > 0)
		frame_pop(s, true);
}

struct mime_scan *
mime_scan_new(const struct mime_sink *sink)
{
	struct mime_scan *s = g_new0(struct mime_scan, 1);

	gmime_once();
	if (sink != NULL)
		s->sink = *sink;
	s->info = mime_info_new();
	s->frames = g_ptr_array_new_with_free_func(frame_free);
	frame_push(s);
	return s;
}

/* Is the entity on top inside a multipart? */
static bool
in_multipart(const struct mime_scan *s)
{
	guint i;

	for (i = 0; i + 1 < s->frames->len; i++)
		if (((const struct frame *)g_ptr_array_index(s->frames, i))
			->kind == FRAME_MULTI)
			return true;
	return false;
}

struct mime_info *
mime_scan_finish(struct mime_scan *s)
{
	struct mime_info *m;

	if (!s->stopped) {
		/* A last line without its line end, then the body's own
		 * last line end (a leaf that no delimiter ends keeps it). */
		if (s->long_line) {
			if (s->cr_held && s->long_content)
				leaf_feed(s, "\r", 1);
		} else if (s->len > 0)
			(void)line_start(s, s->line, s->len, false);
		/* The body's own last line end, unless a delimiter was due
		 * (it would have been the delimiter's). */
		if (!in_multipart(s))
			eol_flush(s);
		/* Inside a multipart, the end of the message is not the
		 * part's. */
		while (s->frames->len > 0) {
			guint i;
			bool closed = true;

			for (i = 0; i + 1 < s->frames->len; i++)
				if (((struct frame *)g_ptr_array_index(
					 s->frames, i))
					->kind == FRAME_MULTI)
					closed = false;
			frame_pop(s, closed);
		}
	}
	m = s->info;
	g_ptr_array_unref(s->frames);
	if (s->hdr != NULL)
		g_string_free(s->hdr, TRUE);
	if (s->url != NULL)
		g_string_free(s->url, TRUE);
	if (s->url_seen != NULL)
		g_hash_table_unref(s->url_seen);
	g_free(s->leaf.out);
	g_free(s);
	return m;
}
