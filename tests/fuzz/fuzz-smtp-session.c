/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-smtp-session.c: libFuzzer harness for the SMTP machine.  The input
 * runs through the relay verdicts, the EHLO check and both writers.  The input
 * is a sequence of chunks: one control byte (bit 7: server side, bits 0-6:
 * length) followed by that many bytes.  make fuzz builds and runs it. */
#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include "relay.h"
#include "smtp_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_session *ss = smtp_session_new();
	struct dialogue *d;
	size_t i = 0, n;
	char *j;

	while (i < size) {
		enum smtp_dir dir =
		    (data[i] & 0x80) ? SMTP_DIR_SERVER : SMTP_DIR_CLIENT;

		n = data[i] & 0x7f;
		i++;
		if (n > size - i)
			n = size - i;
		smtp_session_push(
		    ss, dir, (const char *)data + i, n, (gint64)i);
		i += n;
	}
	d = smtp_session_finish(ss, (gint64)size);
	g_strlcpy(d->client.ip, "192.0.2.1", sizeof d->client.ip);
	g_strlcpy(d->server.ip, "192.0.2.25", sizeof d->server.ip);
	relay_annotate(NULL, NULL, d);
	helo_check_annotate(d, NULL, NULL, NULL);
	j = output_json_session(d);
	g_free(j);
	j = output_text_session(&(struct output_opts){ 0 }, d);
	g_free(j);
	dialogue_free(d);
	return 0;
}
