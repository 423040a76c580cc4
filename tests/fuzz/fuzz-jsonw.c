/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-jsonw.c: libFuzzer harness for the JSON writer.  The input is a
 * string value, written as a member and as an array element.  The
 * writer's line must be valid UTF-8 with no raw control character, and
 * json-glib must read back from it exactly the value as a reference
 * conversion makes it (NUL and invalid UTF-8 as U+FFFD).  make fuzz
 * builds and runs it. */
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "jsonw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the text should read as: the slow way, whole-string validation. */
static char *
reference(const char *p, size_t len)
{
	GString *out = g_string_new(NULL);
	const char *end = p + len, *bad;

	while (p < end) {
		if (g_utf8_validate(p, end - p, &bad)) {
			g_string_append_len(out, p, end - p);
			break;
		}
		g_string_append_len(out, p, bad - p);
		g_string_append(out, "\xef\xbf\xbd");
		p = bad + 1;
	}
	return g_string_free(out, FALSE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	g_autofree char *value = NULL, *line = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	struct jsonw w;
	JsonArray *top;
	JsonObject *o;
	size_t i;

	jw_init(&w, g_string_new(NULL));
	jw_array(&w, NULL);
	jw_object(&w, NULL);
	jw_text(&w, "k", p, size);
	jw_end_object(&w);
	jw_text(&w, NULL, p, size);
	jw_int(&w, NULL, -(int64_t)size);
	jw_end_array(&w);
	line = g_string_free(w.out, FALSE);

	if (!g_utf8_validate(line, -1, NULL))
		abort();
	for (i = 0; line[i] != '\0'; i++)
		if ((unsigned char)line[i] < 0x20)
			abort();
	if (!json_parser_load_from_data(parser, line, -1, NULL))
		abort();
	value = reference(p, size);
	top = json_node_get_array(json_parser_get_root(parser));
	if (json_array_get_length(top) != 3 ||
	    strcmp(json_array_get_string_element(top, 1), value) != 0 ||
	    json_array_get_int_element(top, 2) != -(gint64)size)
		abort();
	o = json_array_get_object_element(top, 0);
	if (json_object_get_size(o) != 1 ||
	    strcmp(json_object_get_string_member(o, "k"), value) != 0)
		abort();
	return 0;
}
