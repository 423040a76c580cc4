/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-mime.c: the MIME scanner on messages fed whole, a byte at a time
 * and in odd pieces (every split must give the same record): a single
 * part, nested multiparts with base64 and quoted-printable leaves, RFC
 * 2231 and RFC 2047 file names, message/rfc822, a multipart that never
 * closes, boundaries that are prefixes of each other, the limits, URLs
 * and a capture gap. */
#include <string.h>

#include <glib.h>

#include "mime.h"

static struct mime_info *
scan_split(const char *msg, size_t step)
{
	struct mime_scan *s = mime_scan_new(NULL);
	size_t n = strlen(msg), i;

	for (i = 0; i < n; i += step)
		mime_scan_feed(s, msg + i, MIN(step, n - i), (gint64)i);
	return mime_scan_finish(s);
}

static const struct mime_part *
part(const struct mime_info *m, guint i)
{
	g_assert_cmpuint(i, <, m->parts->len);
	return g_ptr_array_index(m->parts, i);
}

static char *
digest(GChecksumType t, const char *p, size_t n)
{
	return g_compute_checksum_for_data(t, (const guchar *)p, n);
}

static void
assert_hashes(const struct mime_part *p, const char *content, size_t n)
{
	char *md5 = digest(G_CHECKSUM_MD5, content, n);
	char *sha1 = digest(G_CHECKSUM_SHA1, content, n);
	char *sha256 = digest(G_CHECKSUM_SHA256, content, n);

	g_assert_cmpuint(p->size, ==, n);
	g_assert_cmpstr(p->md5, ==, md5);
	g_assert_cmpstr(p->sha1, ==, sha1);
	g_assert_cmpstr(p->sha256, ==, sha256);
	g_free(md5);
	g_free(sha1);
	g_free(sha256);
}

static void
assert_text(const struct mime_part *p, const char *content)
{
	assert_hashes(p, content, strlen(content));
}

/* Every split of msg gives what check() asserts. */
static void
each_split(const char *msg, void (*check)(const struct mime_info *m))
{
	static const size_t steps[] = { 1, 2, 3, 7, 64, 1000, 1 << 20 };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(steps); i++) {
		struct mime_info *m = scan_split(msg, steps[i]);

		check(m);
		mime_info_free(m);
	}
}

static const char single[] = "From: a@example.org\r\n"
			     "Subject: hi\r\n"
			     "\r\n"
			     "Hello.\r\n"
			     "Line two.\r\n";

static void
check_single(const struct mime_info *m)
{
	const struct mime_part *p;

	g_assert_cmpuint(m->parts->len, ==, 1);
	p = part(m, 0);
	g_assert_cmpstr(p->type, ==, "text/plain");
	g_assert_cmpuint(p->index, ==, 1);
	g_assert_cmpuint(p->flags, ==, MIME_PART_LEAF);
	assert_text(p, "Hello.\r\nLine two.\r\n");
	g_assert_cmpuint(m->limits, ==, 0);
}

static void
test_single(void)
{
	each_split(single, check_single);
}

static const char nested[] =
    "From: a@example.org\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed;\r\n"
    "\tboundary=\"outer\"\r\n"
    "\r\n"
    "preamble, not content\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=outer-inner\r\n"
    "\r\n"
    "--outer-inner\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "\r\n"
    "See http://example.com/a?b=c, and www.example.net.\r\n"
    "--outer-inner\r\n"
    "Content-Type: text/html; charset=\"iso-8859-1\"\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<a href=3D\"https://example.org/x\">x</a> caf=E9 soft=\r\n"
    "break\r\n"
    "--outer-inner--\r\n"
    "--outer\r\n"
    "Content-Type: application/octet-stream; name=\"ignored.bin\"\r\n"
    "Content-Disposition: attachment;\r\n"
    " filename*=UTF-8''%E2%82%AC%20rates.bin\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "AAECAwQF\r\n"
    "BgcICQ==\r\n"
    "--outer\r\n"
    "Content-Type: text/plain; name=\"=?UTF-8?B?w6l0w6kudHh0?=\"\r\n"
    "\r\n"
    "named\r\n"
    "--outer--\r\n"
    "epilogue\r\n";

static void
check_nested(const struct mime_info *m)
{
	static const char bin[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	const struct mime_part *p;

	g_assert_cmpuint(m->parts->len, ==, 6);
	g_assert_cmpuint(m->entities, ==, 6);
	p = part(m, 0);
	g_assert_cmpstr(p->type, ==, "multipart/mixed");
	g_assert_cmpuint(p->flags, ==, 0);
	p = part(m, 1);
	g_assert_cmpstr(p->type, ==, "multipart/alternative");
	g_assert_cmpuint(p->parent, ==, 1);
	g_assert_cmpuint(p->level, ==, 1);
	p = part(m, 2);
	g_assert_cmpstr(p->type, ==, "text/plain");
	g_assert_cmpstr(p->charset, ==, "utf-8");
	g_assert_cmpuint(p->parent, ==, 2);
	g_assert_cmpuint(p->level, ==, 2);
	assert_text(p, "See http://example.com/a?b=c, and www.example.net.");
	p = part(m, 3);
	g_assert_cmpstr(p->type, ==, "text/html");
	g_assert_cmpstr(p->charset, ==, "iso-8859-1");
	g_assert_cmpstr(p->encoding, ==, "quoted-printable");
	assert_text(
	    p, "<a href=\"https://example.org/x\">x</a> caf\xe9 softbreak");
	p = part(m, 4);
	g_assert_cmpstr(p->type, ==, "application/octet-stream");
	g_assert_cmpstr(p->disposition, ==, "attachment");
	g_assert_cmpstr(p->filename, ==, "\xe2\x82\xac rates.bin");
	g_assert_cmpuint(p->flags, ==, MIME_PART_LEAF | MIME_PART_ATTACHMENT);
	assert_hashes(p, bin, sizeof bin);
	g_assert_cmpuint(p->wire_size, ==, 18);
	p = part(m, 5);
	g_assert_cmpstr(p->filename, ==, "\xc3\xa9t\xc3\xa9.txt");
	assert_text(p, "named");
	g_assert_cmpuint(m->urls->len, ==, 3);
	g_assert_cmpstr(
	    g_ptr_array_index(m->urls, 0), ==, "http://example.com/a?b=c");
	g_assert_cmpstr(g_ptr_array_index(m->urls, 1), ==, "www.example.net");
	g_assert_cmpstr(
	    g_ptr_array_index(m->urls, 2), ==, "https://example.org/x");
}

static void
test_nested(void)
{
	each_split(nested, check_nested);
}

static const char attached_message[] =
    "Content-Type: multipart/mixed; boundary=b1\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner\r\n"
    "Content-Type: multipart/mixed; boundary=b2\r\n"
    "\r\n"
    "--b2\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Disposition: attachment; filename=inner.txt\r\n"
    "\r\n"
    "inner file\r\n"
    "--b2--\r\n"
    "--b1--\r\n";

static void
check_attached_message(const struct mime_info *m)
{
	const struct mime_part *p;

	g_assert_cmpuint(m->parts->len, ==, 4);
	g_assert_cmpstr(part(m, 1)->type, ==, "message/rfc822");
	g_assert_cmpstr(part(m, 2)->type, ==, "multipart/mixed");
	g_assert_cmpuint(part(m, 2)->parent, ==, 2);
	p = part(m, 3);
	g_assert_cmpstr(p->filename, ==, "inner.txt");
	g_assert_cmpuint(p->level, ==, 3);
	g_assert_cmpuint(p->flags, ==, MIME_PART_LEAF | MIME_PART_ATTACHMENT);
	assert_text(p, "inner file");
}

static void
test_attached_message(void)
{
	each_split(attached_message, check_attached_message);
}

/* Boundaries that are prefixes of each other, and a multipart that never
 * closes: the outer delimiter ends the inner parts. */
static const char prefixes[] = "Content-Type: multipart/mixed; boundary=ab\r\n"
			       "\r\n"
			       "--ab\r\n"
			       "Content-Type: multipart/mixed; boundary=abc\r\n"
			       "\r\n"
			       "--abc\r\n"
			       "\r\n"
			       "one\r\n"
			       "--abc \r\n"
			       "\r\n"
			       "two\r\n"
			       "--ab--\r\n";

static void
check_prefixes(const struct mime_info *m)
{
	g_assert_cmpuint(m->parts->len, ==, 4);
	assert_hashes(part(m, 2), "one", 3);
	g_assert_cmpuint(part(m, 2)->flags, ==, MIME_PART_LEAF);
	assert_hashes(part(m, 3), "two", 3);
	g_assert_cmpuint(
	    part(m, 3)->flags, ==, MIME_PART_LEAF | MIME_PART_UNCLOSED);
	g_assert_cmpuint(part(m, 1)->flags, ==, MIME_PART_UNCLOSED);
	g_assert_cmpuint(part(m, 0)->flags, ==, 0);
}

static void
test_prefixes(void)
{
	each_split(prefixes, check_prefixes);
}

static const char unclosed[] = "Content-Type: multipart/mixed; boundary=zz\r\n"
			       "\r\n"
			       "--zz\r\n"
			       "Content-Type: text/plain\r\n"
			       "\r\n"
			       "cut off\r\n";

static void
check_unclosed(const struct mime_info *m)
{
	g_assert_cmpuint(m->parts->len, ==, 2);
	g_assert_cmpuint(part(m, 0)->flags, ==, MIME_PART_UNCLOSED);
	g_assert_cmpuint(
	    part(m, 1)->flags, ==, MIME_PART_LEAF | MIME_PART_UNCLOSED);
	/* The end of the message ends the part; its last line end was
	 * due to the delimiter that never came. */
	assert_hashes(part(m, 1), "cut off", 7);
}

static void
test_unclosed(void)
{
	each_split(unclosed, check_unclosed);
}

static void
test_limits(void)
{
	GString *msg = g_string_new("Content-Type: multipart/mixed; "
				    "boundary=p\r\n\r\n");
	struct mime_info *m;
	guint i;

	for (i = 0; i < 3000; i++)
		g_string_append_printf(msg,
		    "--p\r\nContent-Disposition: attachment; "
		    "filename=f%u\r\n\r\nx http://h%u.example/\r\n",
		    i, i);
	g_string_append(msg, "--p--\r\n");
	m = scan_split(msg->str, 4096);
	g_assert_cmpuint(m->entities, ==, 3001);
	g_assert_cmpuint(m->parts->len, ==, MIME_PARTS_MAX);
	g_assert_cmpuint(m->urls->len, ==, MIME_URLS_MAX);
	g_assert_cmpuint(m->urls_dropped, ==, 3000 - MIME_URLS_MAX);
	g_assert_cmpuint(m->limits, ==, MIME_LIMIT_PARTS | MIME_LIMIT_URLS);
	mime_info_free(m);
	g_string_free(msg, TRUE);

	/* Nesting deeper than MIME_DEPTH_MAX: the deepest is one leaf. */
	msg = g_string_new("");
	for (i = 0; i < 200; i++)
		g_string_append_printf(msg,
		    "Content-Type: multipart/mixed; boundary=d%u\r\n\r\n"
		    "--d%u\r\n",
		    i, i);
	g_string_append(msg, "\r\ndeep\r\n");
	m = scan_split(msg->str, 100);
	g_assert_cmpuint(m->limits & MIME_LIMIT_DEPTH, !=, 0);
	g_assert_cmpuint(m->parts->len, ==, MIME_DEPTH_MAX + 1);
	mime_info_free(m);
	g_string_free(msg, TRUE);

	/* A 100 KB Content-Type and a 4 KB file name. */
	msg = g_string_new("Content-Type: application/x; name=\"");
	for (i = 0; i < 4096; i++)
		g_string_append_c(msg, 'n');
	g_string_append(msg, "\"; x=\"");
	for (i = 0; i < 100000; i++)
		g_string_append_c(msg, 'x');
	g_string_append(msg, "\"\r\n\r\nbody\r\n");
	m = scan_split(msg->str, 1500);
	g_assert_cmpuint(m->parts->len, ==, 1);
	g_assert_cmpuint(strlen(part(m, 0)->filename), ==, MIME_NAME_MAX);
	g_assert_cmpuint(m->limits, ==, MIME_LIMIT_HEADER | MIME_LIMIT_NAME);
	assert_hashes(part(m, 0), "body\r\n", 6);
	mime_info_free(m);
	g_string_free(msg, TRUE);
}

static void
test_gap(void)
{
	struct mime_scan *s = mime_scan_new(NULL);
	struct mime_info *m;
	const char *a = "Content-Type: multipart/mixed; boundary=g\r\n\r\n"
			"--g\r\n\r\nbefore\r\n";
	const char *b = "after\r\n--g--\r\n";

	mime_scan_feed(s, a, strlen(a), 1);
	mime_scan_gap(s, 100);
	mime_scan_feed(s, b, strlen(b), 2);
	m = mime_scan_finish(s);
	g_assert_true(m->structure_lost);
	g_assert_cmpuint(m->gaps->len, ==, 1);
	g_assert_cmpuint(
	    g_array_index(m->gaps, struct mime_gap, 0).offset, ==, strlen(a));
	g_assert_cmpuint(m->bytes, ==, strlen(a) + 100 + strlen(b));
	g_assert_cmpuint(part(m, 1)->flags, ==, MIME_PART_LEAF | MIME_PART_GAP);
	g_assert_cmpstr(part(m, 1)->sha256, ==, "");
	mime_info_free(m);
}

static void
test_bad_base64(void)
{
	struct mime_info *m = scan_split("Content-Transfer-Encoding: base64\r\n"
					 "\r\n"
					 "QUJD*#!RA==\r\n",
	    5);

	g_assert_cmpuint(
	    part(m, 0)->flags, ==, MIME_PART_LEAF | MIME_PART_BAD_BASE64);
	assert_hashes(part(m, 0), "ABCD", 4);
	mime_info_free(m);
}

/* Quoted-printable as RFC 2045 §6.7 asks of a robust decoder, and a part
 * header that runs into the delimiter or the end of the message. */
static const char robust[] = "Content-Type: multipart/mixed; boundary=r\r\n"
			     "\r\n"
			     "--r\r\n"
			     "Content-Transfer-Encoding: quoted-printable\r\n"
			     "\r\n"
			     "=41=3d=3D =ZZ =4\r\n"
			     "soft = \t\r\n"
			     "break=\r\n"
			     "end=\r\n"
			     "--r\r\n"
			     "Content-Type: text/plain; name=early.txt\r\n"
			     "--r\r\n"
			     "Content-Type: application/x; name=last.bin\r\n";

static void
check_robust(const struct mime_info *m)
{
	g_assert_cmpuint(m->parts->len, ==, 4);
	assert_text(part(m, 1), "A== =ZZ =4\r\nsoft breakend");
	g_assert_cmpstr(part(m, 2)->filename, ==, "early.txt");
	g_assert_cmpuint(part(m, 2)->flags, ==,
	    MIME_PART_LEAF | MIME_PART_ATTACHMENT | MIME_PART_NO_BODY);
	assert_text(part(m, 2), "");
	g_assert_cmpstr(part(m, 3)->filename, ==, "last.bin");
	g_assert_cmpstr(part(m, 3)->type, ==, "application/x");
	g_assert_cmpuint(part(m, 3)->flags, ==,
	    MIME_PART_LEAF | MIME_PART_ATTACHMENT | MIME_PART_NO_BODY |
		MIME_PART_UNCLOSED);
	assert_text(part(m, 3), "");
}

static void
test_robust(void)
{
	each_split(robust, check_robust);
}

/* message/rfc822 in base64 (RFC 2046 §5.2.1 forbids it; senders do it,
 * attackers too): decoded and read, its attachment in the record; and
 * one said to be base64 but sent as it is: read as it is.  Base64 with a
 * pad inside is read group by group. */
static const char encapsulated[] =
    "Content-Type: multipart/mixed; boundary=o\r\n"
    "\r\n"
    "--o\r\n"
    "Content-Type: message/rfc822\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "U3ViamVjdDogaW5uZXINCkNvbnRlbnQtVHlwZTog\r\nbXVsdGlwYXJ0L21peGVkOyBib3VuZG"
    "FyeT1pDQoN\r\nCi0taQ0KQ29udGVudC1EaXNwb3NpdGlvbjogYXR0\r\nYWNobWVudDsgZmls"
    "ZW5hbWU9aW4uYmluDQoNCnNl\r\nY3JldA0KLS1pLS0NCg==\r\n"
    "--o\r\n"
    "Content-Type: message/rfc822\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "Subject: plain\r\n"
    "Content-Disposition: attachment; filename=plain.bin\r\n"
    "\r\n"
    "as sent\r\n"
    "--o\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "NA=\r\n=Mg\r\n==\r\n"
    "--o--\r\n";

static void
check_encapsulated(const struct mime_info *m)
{
	g_assert_cmpuint(m->parts->len, ==, 7);
	g_assert_cmpuint(m->entities, ==, 7);
	/* 1 the multipart, 2 the encoded message (a leaf: its bytes
	 * decoded), 3 and 4 what it held, 5 the plain one, 6 its body (an
	 * attachment), 7 the last. */
	g_assert_cmpstr(part(m, 1)->type, ==, "message/rfc822");
	g_assert_cmpuint(part(m, 1)->flags, ==, MIME_PART_LEAF);
	g_assert_cmpuint(part(m, 1)->size, ==, 133);
	g_assert_cmpstr(part(m, 2)->type, ==, "multipart/mixed");
	g_assert_cmpuint(part(m, 2)->index, ==, 3);
	g_assert_cmpuint(part(m, 2)->parent, ==, 2);
	g_assert_cmpuint(part(m, 2)->level, ==, 2);
	g_assert_cmpstr(part(m, 3)->filename, ==, "in.bin");
	g_assert_cmpuint(part(m, 3)->parent, ==, 3);
	g_assert_cmpuint(part(m, 3)->level, ==, 3);
	assert_text(part(m, 3), "secret");
	g_assert_cmpstr(part(m, 4)->type, ==, "message/rfc822");
	g_assert_cmpuint(part(m, 4)->flags, ==, 0);
	g_assert_cmpstr(part(m, 5)->filename, ==, "plain.bin");
	g_assert_cmpuint(part(m, 5)->parent, ==, 5);
	assert_text(part(m, 5), "as sent");
	assert_text(part(m, 6), "42");
	g_assert_cmpuint(part(m, 6)->flags, ==, MIME_PART_LEAF);
}

static void
test_encapsulated(void)
{
	each_split(encapsulated, check_encapsulated);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mime/single", test_single);
	g_test_add_func("/mime/nested", test_nested);
	g_test_add_func("/mime/attached-message", test_attached_message);
	g_test_add_func("/mime/prefixes", test_prefixes);
	g_test_add_func("/mime/unclosed", test_unclosed);
	g_test_add_func("/mime/limits", test_limits);
	g_test_add_func("/mime/gap", test_gap);
	g_test_add_func("/mime/bad-base64", test_bad_base64);
	g_test_add_func("/mime/robust", test_robust);
	g_test_add_func("/mime/encapsulated", test_encapsulated);
	return g_test_run();
}
