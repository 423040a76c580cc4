/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-dlg-codec.c: libFuzzer harness for the dialogue codec, which the
 * parent of -j N runs on what its workers write.  A first byte of 0: the
 * rest is given to the decoder as it is; whatever decodes must encode
 * and decode again to the same bytes.  Any other first byte: the rest is
 * an SMTP session in the chunk format of fuzz-chunks.h; its dialogue,
 * judged, must come back from the codec rendering the same text and
 * JSON.  make fuzz builds and runs it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlg_codec.h"
#include "fuzz-chunks.h"
#include "helo_check.h"
#include "output.h"
#include "relay.h"
#include "smtp_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dialogue *
session(const uint8_t *data, size_t size)
{
	struct dialogue *d = fuzz_chunks_play(data, size);

	dialogue_set_id(d);
	return d;
}

static void
same_bytes(const struct dialogue *d)
{
	GByteArray *a = g_byte_array_new(), *b = g_byte_array_new();
	struct dialogue *x;

	dlg_codec_encode(a, d);
	x = dlg_codec_decode(a->data, a->len, NULL);
	if (x == NULL)
		abort();
	dlg_codec_encode(b, x);
	if (a->len != b->len || memcmp(a->data, b->data, a->len) != 0)
		abort();
	dialogue_free(x);
	g_byte_array_unref(a);
	g_byte_array_unref(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_env env = { 0 };
	struct output_opts oo = { 0 };
	struct dialogue *d, *x;
	GByteArray *a;
	char *t1, *t2, *j1, *j2;

	if (size == 0)
		return 0;
	if (data[0] == 0) {
		d = dlg_codec_decode(data + 1, size - 1, NULL);
		if (d != NULL)
			same_bytes(d);
		dialogue_free(d);
		return 0;
	}
	d = session(data + 1, size - 1);
	relay_annotate(&env, d);
	helo_check_annotate(d, NULL, NULL, NULL);
	a = g_byte_array_new();
	dlg_codec_encode(a, d);
	x = dlg_codec_decode(a->data, a->len, NULL);
	if (x == NULL)
		abort();
	same_bytes(x);
	t1 = output_text_session(&oo, d);
	t2 = output_text_session(&oo, x);
	j1 = output_json_session(d);
	j2 = output_json_session(x);
	if (strcmp(t1, t2) != 0 || strcmp(j1, j2) != 0)
		abort();
	g_free(t1);
	g_free(t2);
	g_free(j1);
	g_free(j2);
	g_byte_array_unref(a);
	dialogue_free(x);
	dialogue_free(d);
	return 0;
}
