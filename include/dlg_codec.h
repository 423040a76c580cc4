/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dlg_codec.h: a struct dialogue and everything it owns as bytes, and
 * back: how the workers of -j N hand finished sessions to the process
 * that judges and writes them (docs/architecture.md, "Parallel runs").
 * The encoding is private to one build of relayscope (no version, native
 * sizes of nothing: every integer is a LEB128 varint); the decoder checks
 * every length and value, because it reads what another process wrote. */
#ifndef RS_DLG_CODEC_H
#define RS_DLG_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "dialogue.h"

/* Append the encoding of d (judged or not) to out.  Pointers a dialogue
 * borrows from the SMTP machine (an item's tx_before) are not kept. */
void dlg_codec_encode(GByteArray *out, const struct dialogue *d);
/* Decode one dialogue of exactly n bytes.  NULL with *error set when the
 * bytes are not one; otherwise the caller owns it, and its memory
 * (d->mem) is charged to the budget as the original's was. */
struct dialogue *dlg_codec_decode(const uint8_t *p, size_t n, GError **error);

/* The primitives, for the other records of the same pipe (jobs.c). */
void dlg_codec_put_u64(GByteArray *out, uint64_t v);
void dlg_codec_put_i64(GByteArray *out, int64_t v);
/* A string of len bytes, or NULL (told apart from ""). */
void dlg_codec_put_bytes(GByteArray *out, const void *p, size_t len);

/* A bounded reader: a read past the end, or a value out of its range,
 * sets err (which sticks) and yields 0. */
struct dlg_reader {
	const uint8_t *p;
	size_t n;
	bool err;
};
uint64_t dlg_codec_get_u64(struct dlg_reader *r);
int64_t dlg_codec_get_i64(struct dlg_reader *r);
/* A view of the next string (NULL for a NULL one), len set. */
const uint8_t *dlg_codec_get_bytes(struct dlg_reader *r, size_t *len);

#endif
