/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-dlg-codec.c: a dialogue encoded and decoded is the same dialogue:
 * the same bytes when encoded again, the same text and JSON records, and
 * malformed bytes are refused, never read past. */
#include <string.h>

#include <glib.h>

#include "dlg_codec.h"
#include "dns.h"
#include "helo_check.h"
#include "output.h"
#include "relay.h"
#include "smtp_session.h"

/* One side's bytes of a transcript. */
struct step {
	int dir;
	const char *bytes;
};

/* A session fed from a transcript (times 1 s apart), finished. */
static struct dialogue *
session(const struct step *s, size_t n)
{
	struct smtp_session *ss = smtp_session_new();
	struct dialogue *d;
	gint64 ts = G_GINT64_CONSTANT(1700000000000000);
	size_t i;

	for (i = 0; i < n; i++, ts += G_USEC_PER_SEC)
		smtp_session_push(
		    ss, s[i].dir, s[i].bytes, strlen(s[i].bytes), ts);
	d = smtp_session_finish(ss, ts);
	d->seq = 7;
	d->ts_start = G_GINT64_CONSTANT(1699999999000000);
	d->ts_end = ts;
	d->end = DLG_END_CLOSED;
	g_strlcpy(d->client.ip, "192.0.2.7", sizeof d->client.ip);
	d->client.port = 40001;
	g_strlcpy(d->server.ip, "198.51.100.25", sizeof d->server.ip);
	d->server.port = 25;
	dialogue_set_id(d);
	return d;
}

#define C SMTP_DIR_CLIENT
#define S SMTP_DIR_SERVER

static const struct step relay[] = {
	{ S, "220 mx.example.net ESMTP\r\n" },
	{ C, "EHLO client.example.org\r\n" },
	{ S, "250-mx.example.net\r\n250-PIPELINING\r\n250-AUTH PLAIN\r\n"
	     "250 STARTTLS\r\n" },
	{ C, "AUTH PLAIN AHVzZXIAcGFzcw==\r\n" },
	{ S, "535 5.7.8 Authentication failed\r\n" },
	{ C, "MAIL FROM:<a@example.org> SIZE=100\r\nRCPT TO:<b@example.com>\r\n"
	     "RCPT TO:<\"c\"@x.example>\r\nDATA\r\n" },
	{ S, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n554 5.7.1 Relay access "
	     "denied\r\n354 go\r\n" },
	{ C, "Message-ID: <m1@example.org>\r\nSubject: x\r\n\r\nbody\0\xff"
	     "\r\n.\r\n" },
	{ S, "250 2.0.0 queued as 1\r\n" },
	{ C, "BOGUS\r\nQUIT\r\n" },
	{ S, "500 5.5.2 what\r\n221 2.0.0 bye\r\n" },
};

static const struct step tls[] = {
	{ S, "220 mx ESMTP\r\n" },
	{ C, "EHLO [192.0.2.7]\r\n" },
	{ S, "250-mx\r\n250 STARTTLS\r\n" },
	{ C, "STARTTLS\r\n" },
	{ S, "220 2.0.0 go ahead\r\n" },
	{ C, "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00" },
};

static const struct step odd[] = {
	{ C, "EHLO early\r\n" },
	{ S, "220-mx\r\n221 mismatch\r\nnot a reply\r\n" },
	{ C, "RCPT TO:<x@y>\nMAIL FROM:<>\r\n" },
	{ S, "250 ok\r\n" },
};

/* Encode, decode, encode again: the same bytes. */
static struct dialogue *
roundtrip(const struct dialogue *d)
{
	g_autoptr(GByteArray) a = g_byte_array_new();
	g_autoptr(GByteArray) b = g_byte_array_new();
	g_autoptr(GError) error = NULL;
	struct dialogue *back;

	dlg_codec_encode(a, d);
	back = dlg_codec_decode(a->data, a->len, &error);
	g_assert_no_error(error);
	g_assert_nonnull(back);
	dlg_codec_encode(b, back);
	g_assert_cmpmem(a->data, a->len, b->data, b->len);
	g_assert_cmpuint(back->mem, ==, d->mem);
	return back;
}

static void
judge(struct dialogue *d, const struct dns_view *v)
{
	struct relay_env env = { 0 };

	env.dns = v;
	relay_annotate(&env, d);
	helo_check_annotate(d, v, NULL, NULL);
	d->continues = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(d->continues, g_strdup("0123456789abcdef"));
}

static void
check_same_records(const struct step *s, size_t n, bool judged)
{
	g_autoptr(dialogue_t) d = session(s, n);
	g_autoptr(dialogue_t) back = NULL;
	struct dns_view v = { 0 };
	struct dns_store *store = dns_store_new();
	enum output_format f;

	v.store[0] = store;
	v.source[0] = "capture";
	v.n = 1;
	if (judged)
		judge(d, &v);
	back = roundtrip(d);
	for (f = OUTPUT_TEXT; f <= OUTPUT_JSON; f++) {
		struct output_opts oo = { .format = f };
		g_autofree char *x = NULL, *y = NULL;

		if (!judged)
			break; /* the writers expect a judged dialogue */
		x = output_session(&oo, d);
		y = output_session(&oo, back);
		g_assert_cmpstr(x, ==, y);
	}
	dns_store_free(store);
}

static void
test_roundtrip(void)
{
	g_test_summary("encoded and decoded, a dialogue is the same: its "
		       "bytes encoded again, its text and JSON records");
	check_same_records(relay, G_N_ELEMENTS(relay), false);
	check_same_records(relay, G_N_ELEMENTS(relay), true);
	check_same_records(tls, G_N_ELEMENTS(tls), false);
	check_same_records(tls, G_N_ELEMENTS(tls), true);
	check_same_records(odd, G_N_ELEMENTS(odd), true);
}

static void
test_empty(void)
{
	g_autoptr(dialogue_t) d = dialogue_new();
	g_autoptr(dialogue_t) back = NULL;

	g_test_summary("a dialogue with nothing in it comes back");
	back = roundtrip(d);
	g_assert_cmpuint(back->items->len, ==, 0);
}

static void
test_malformed(void)
{
	g_autoptr(dialogue_t) d = session(relay, G_N_ELEMENTS(relay));
	g_autoptr(GByteArray) a = g_byte_array_new();
	guint i;

	g_test_summary("every cut of a record, and every one-byte change, is "
		       "refused or decoded, never read past");
	dlg_codec_encode(a, d);
	for (i = 0; i < a->len; i++) {
		g_autoptr(GError) error = NULL;
		struct dialogue *x;
		guint8 *copy = g_memdup2(a->data, i);

		/* (a copy of exactly i bytes: ASan sees a read past it) */
		x = dlg_codec_decode(copy, i, &error);
		g_assert_null(x);
		g_assert_nonnull(error);
		g_free(copy);
	}
	for (i = 0; i < a->len; i++) {
		g_autoptr(GError) error = NULL;
		guint8 saved = a->data[i];

		a->data[i] ^= 0xa5;
		dialogue_free(dlg_codec_decode(a->data, a->len, &error));
		a->data[i] = saved;
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dlg-codec/roundtrip", test_roundtrip);
	g_test_add_func("/dlg-codec/empty", test_empty);
	g_test_add_func("/dlg-codec/malformed", test_malformed);
	return g_test_run();
}
