/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-gunzip.c: gzip data decompressed as it is read: one member, two
 * (as cat joins them), read a byte at a time, trailing garbage, every
 * truncation and a reserved block type. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>
#include <zlib.h>

#include "gunzip.h"

/* data gzipped as one member, appended to out. */
static void
gz_member(GByteArray *out, const uint8_t *data, size_t len)
{
	z_stream z;
	uint8_t buf[4096];
	int rc;

	memset(&z, 0, sizeof z);
	g_assert_cmpint(
	    deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), ==,
	    Z_OK);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	do {
		z.next_out = buf;
		z.avail_out = sizeof buf;
		rc = deflate(&z, Z_FINISH);
		g_byte_array_append(out, buf, sizeof buf - z.avail_out);
	} while (rc == Z_OK);
	g_assert_cmpint(rc, ==, Z_STREAM_END);
	deflateEnd(&z);
}

/* Some bytes that do not compress to nothing: a counter's text. */
static GByteArray *
sample(size_t n)
{
	GByteArray *a = g_byte_array_new();
	char line[32];
	size_t i;

	for (i = 0; a->len < n; i++) {
		g_snprintf(line, sizeof line, "%zu %zx\n", i, i * 2654435761u);
		g_byte_array_append(a, (const uint8_t *)line, strlen(line));
	}
	g_byte_array_set_size(a, (guint)n);
	return a;
}

/* Read gz (len bytes) through a gunzip stream, chunk bytes at a time:
 * what came out, and in *err the error (NULL if none), *trailing. */
static GByteArray *
inflate_all(
    const uint8_t *gz, size_t len, size_t chunk, char **err, bool *trailing)
{
	GByteArray *out = g_byte_array_new();
	struct gunzip *g = NULL;
	uint8_t buf[8192];
	FILE *raw, *fp;
	size_t n;

	raw = fmemopen((void *)(uintptr_t)gz, len, "rb");
	g_assert_nonnull(raw);
	fp = gunzip_fopen(raw, &g);
	g_assert_nonnull(fp);
	while ((n = fread(buf, 1, MIN(chunk, sizeof buf), fp)) > 0)
		g_byte_array_append(out, buf, (guint)n);
	g_assert_true(feof(fp) || ferror(fp));
	g_assert_true(!ferror(fp) == (gunzip_error(g) == NULL));
	*err = g_strdup(gunzip_error(g));
	*trailing = gunzip_trailing(g);
	fclose(fp);
	return out;
}

static void
test_members(void)
{
	g_autoptr(GByteArray) data = sample(200000);
	g_autoptr(GByteArray) gz = g_byte_array_new();
	g_autoptr(GByteArray) out = NULL;
	g_autofree char *err = NULL;
	size_t chunks[] = { 1, 7, 8192 };
	bool trailing;
	guint i;

	g_test_summary("one member, and three as cat joins them (one split "
		       "inside a line), read whole and a byte at a time, give "
		       "the data");
	gz_member(gz, data->data, 70001);
	gz_member(gz, data->data + 70001, 1);
	gz_member(gz, data->data + 70002, data->len - 70002);
	for (i = 0; i < G_N_ELEMENTS(chunks); i++) {
		g_clear_pointer(&out, g_byte_array_unref);
		g_clear_pointer(&err, g_free);
		out =
		    inflate_all(gz->data, gz->len, chunks[i], &err, &trailing);
		g_assert_null(err);
		g_assert_false(trailing);
		g_assert_cmpmem(out->data, out->len, data->data, data->len);
	}
}

static void
test_trailing(void)
{
	g_autoptr(GByteArray) data = sample(5000);
	g_autoptr(GByteArray) gz = g_byte_array_new();
	g_autoptr(GByteArray) out = NULL;
	g_autofree char *err = NULL;
	bool trailing;

	g_test_summary("bytes after the last member that are no member are "
		       "ignored, as gzread() ignores them, and said");
	gz_member(gz, data->data, data->len);
	g_byte_array_append(gz, (const uint8_t *)"\0\0\0\0junk", 8);
	out = inflate_all(gz->data, gz->len, 8192, &err, &trailing);
	g_assert_null(err);
	g_assert_true(trailing);
	g_assert_cmpmem(out->data, out->len, data->data, data->len);
}

static void
test_truncated(void)
{
	g_autoptr(GByteArray) data = sample(20000);
	g_autoptr(GByteArray) gz = g_byte_array_new();
	size_t cut, first;
	bool trailing;

	g_test_summary("cut at every length: a prefix of the data, then "
		       "'truncated gzip data', unless the cut falls between "
		       "members");
	gz_member(gz, data->data, 9000);
	first = gz->len;
	gz_member(gz, data->data + 9000, data->len - 9000);
	for (cut = 1; cut < gz->len; cut++) {
		g_autoptr(GByteArray) out = NULL;
		g_autofree char *err = NULL;

		out = inflate_all(gz->data, cut, 8192, &err, &trailing);
		g_assert_cmpuint(out->len, <=, data->len);
		g_assert_cmpmem(out->data, out->len, data->data, out->len);
		if (cut == first || cut == first + 1) {
			/* A whole member (and one byte of the next: not a
			 * member, ignored as gzread() ignores it). */
			g_assert_null(err);
			g_assert_cmpuint(out->len, ==, 9000);
			continue;
		}
		g_assert_cmpstr(err, ==, "truncated gzip data");
	}
}

static void
test_corrupt(void)
{
	g_autoptr(GByteArray) data = sample(20000);
	g_autoptr(GByteArray) gz = g_byte_array_new();
	g_autoptr(GByteArray) out = NULL;
	g_autofree char *err = NULL;
	size_t first;
	bool trailing;

	g_test_summary("a reserved block type (RFC 1951 3.2.3) in the second "
		       "member: the first member's data, then the reason");
	gz_member(gz, data->data, 9000);
	first = gz->len;
	gz_member(gz, data->data + 9000, data->len - 9000);
	gz->data[first + 10] |= 0x07;
	out = inflate_all(gz->data, gz->len, 8192, &err, &trailing);
	g_assert_cmpstr(err, ==, "corrupt gzip data: invalid block type");
	g_assert_cmpmem(out->data, out->len, data->data, 9000);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/gunzip/members", test_members);
	g_test_add_func("/gunzip/trailing", test_trailing);
	g_test_add_func("/gunzip/truncated", test_truncated);
	g_test_add_func("/gunzip/corrupt", test_corrupt);
	return g_test_run();
}
