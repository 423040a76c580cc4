/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-chunks.h: the chunk format of the SMTP harnesses (fuzz-smtp-session,
 * fuzz-dlg-codec), played into an SMTP machine.  A sequence of chunks:
 * one control byte (bit 7: server side, bits 0-6: length) followed by
 * that many bytes.  A length of 0 is a capture gap of the next byte's
 * value (times 7) on that side, a server gap with that byte odd settled
 * at once; a length of 0x7f also says the other side is not captured.
 * A first byte of 0xff starts the session mid-stream.  The dialogue is
 * finished, between 192.0.2.1 and 192.0.2.25. */
#ifndef RS_FUZZ_CHUNKS_H
#define RS_FUZZ_CHUNKS_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "smtp_session.h"

static struct dialogue *
fuzz_chunks_play(const uint8_t *data, size_t size)
{
	struct smtp_session *ss = smtp_session_new();
	struct dialogue *d;
	size_t i = 0, n;

	if (size > 0 && data[0] == 0xff) {
		smtp_session_midstream(ss);
		i = 1;
	}
	while (i < size) {
		enum smtp_dir dir =
		    (data[i] & 0x80) ? SMTP_DIR_SERVER : SMTP_DIR_CLIENT;

		n = data[i] & 0x7f;
		i++;
		if (n == 0 && i < size) {
			smtp_session_gap(ss, dir, 1 + data[i] * 7u, (gint64)i);
			if (dir == SMTP_DIR_SERVER && (data[i] & 1))
				smtp_session_gap_settle(ss);
			i++;
			continue;
		}
		if (n > size - i)
			n = size - i;
		if ((data[i - 1] & 0x7f) == 0x7f)
			smtp_session_side_unseen(ss, !dir, true);
		smtp_session_push(
		    ss, dir, (const char *)data + i, n, (gint64)i);
		i += n;
	}
	d = smtp_session_finish(ss, (gint64)size);
	g_strlcpy(d->client.ip, "192.0.2.1", sizeof d->client.ip);
	g_strlcpy(d->server.ip, "192.0.2.25", sizeof d->server.ip);
	return d;
}

#endif
