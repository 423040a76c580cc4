/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-dns.c: libFuzzer harness for passive DNS: the input is one DNS
 * message (as if seen on port 53) read into a store, then the EHLO check
 * runs against what was kept, for names the message may have planted.
 * make fuzz builds and runs it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns.h"
#include "helo_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "a.example", "mx.example.com",
		"good.example.org", "[192.0.2.1]" };
	struct dns_store *s = dns_store_new();
	struct dns_view v = { .store = { s }, .source = { "capture" }, .n = 1 };
	GPtrArray *missing = g_ptr_array_new_with_free_func(g_free);
	size_t i;

	(void)dns_store_add_message(s, data, size, 1, "192.0.2.1");
	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		helo_report_free(helo_check_name(names[i], strlen(names[i]),
		    false, "192.0.2.1", &v, missing));
		helo_report_free(helo_check_name(names[i], strlen(names[i]),
		    false, "2001:db8::1", &v, missing));
	}
	g_ptr_array_unref(missing);
	dns_store_free(s);
	return 0;
}
