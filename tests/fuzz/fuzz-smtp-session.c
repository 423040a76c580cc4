/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-smtp-session.c: libFuzzer harness for the SMTP machine.  The input
 * runs through the relay verdicts, the EHLO check and both writers.  The input
 * is in the chunk format of fuzz-chunks.h.  make fuzz builds and runs it. */
#include <stddef.h>
#include <stdint.h>

#include "diagnosis.h"
#include "fuzz-chunks.h"
#include "output.h"
#include "onward.h"
#include "relay.h"
#include "smtp_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dialogue *d = fuzz_chunks_play(data, size);
	char *j;

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
	d->diagnosis = diagnosis_new(d);
	j = output_json_session(d);
	g_free(j);
	j = output_text_session(&(struct output_opts){ 0 }, d);
	g_free(j);
	dialogue_free(d);
	return 0;
}
