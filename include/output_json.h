/* SPDX-License-Identifier: GPL-2.0-or-later */
/* output_json.h: the JSON building blocks shared by the writers
 * (output_json.c) and replay (replay.c), so that a reply or a string from
 * the wire is serialised the same way everywhere (jsonw.h). */
#ifndef RS_OUTPUT_JSON_H
#define RS_OUTPUT_JSON_H

#include "jsonw.h"
#include "smtp_reply.h"

/* A REPLY member ({"code", "enhanced", "text"}), or null. */
void output_json_add_reply(
    struct jsonw *b, const char *member, const struct smtp_reply *r);
/* End the record (the top-level value complete) with its newline and
 * hand over its text; the caller owns it. */
char *output_json_finish(struct jsonw *b);

#endif
