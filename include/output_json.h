/* SPDX-License-Identifier: GPL-2.0-or-later */
/* output_json.h: the JSON building blocks shared by the writers
 * (output_json.c) and replay (replay.c), so that a reply or a string from
 * the wire is serialised the same way everywhere. */
#ifndef RS_OUTPUT_JSON_H
#define RS_OUTPUT_JSON_H

#include <json-glib/json-glib.h>

#include "smtp_reply.h"

/* A string member (wire bytes made valid UTF-8), or null. */
void output_json_add_str(JsonBuilder *b, const char *member, const char *s);
/* A boolean member. */
void output_json_add_bool(JsonBuilder *b, const char *member, gboolean v);
/* A REPLY member ({"code", "enhanced", "text"}), or null. */
void output_json_add_reply(
    JsonBuilder *b, const char *member, const struct smtp_reply *r);
/* The built object as one line with its newline; caller owns it. */
char *output_json_generate(JsonBuilder *b);

#endif
