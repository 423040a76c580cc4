/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-smtp-session.c: libFuzzer harness for the SMTP machine.  The input
 * runs through the relay verdicts, the EHLO check and both writers.  The input
 * is a sequence of chunks: one control byte (bit 7: server side, bits 0-6:
 * length) followed by that many bytes; a length of 0 is a capture gap of
 * the next byte's value (times 7) on that side, and a first byte of 0xff
 * starts the session mid-stream.  make fuzz builds and runs it. */
#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include "onward.h"
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
	{
		/* One index across runs (bounded): earlier inputs are the
		 * onward sessions of later ones. */
		static struct onward *o;
		struct relay_env env = { .onward = onward_lookup,
			.window = G_USEC_PER_SEC };
		struct relay_finding *f;

		if (o == NULL)
			o = onward_new(env.window);
		env.onward_ctx = o;
		dialogue_set_id(d);
		onward_started(o, d);
		onward_ended(o, d);
		relay_annotate(&env, d);
		f = relay_possible_open(d);
		if (f != NULL)
			g_ptr_array_add(d->findings, f);
		d->continues = onward_continues(o, d);
	}
	helo_check_annotate(d, NULL, NULL, NULL);
	j = output_json_session(d);
	g_free(j);
	j = output_text_session(&(struct output_opts){ 0 }, d);
	g_free(j);
	dialogue_free(d);
	return 0;
}
