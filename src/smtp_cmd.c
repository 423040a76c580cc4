/* SPDX-License-Identifier: GPL-2.0-or-later */
/* smtp_cmd.c: command verbs and arguments (RFC 5321 §4.1.1, §4.1.2;
 * RFC 3030 §2 for BDAT; RFC 4954 §4 for AUTH; RFC 3207 for STARTTLS).
 * Pure functions: no I/O, no allocation. */
#include <string.h>

#include <glib.h>

#include "smtp_cmd.h"

struct smtp_verb {
	const char *verb;
	enum smtp_cmd_id id;
	enum smtp_arg arg;
};

static const struct smtp_verb smtp_verbs[] = {
#define SMTP_CMD_ROW(id, verb, arg) { verb, SMTP_CMD_##id, arg },
	SMTP_CMD_LIST(SMTP_CMD_ROW)
#undef SMTP_CMD_ROW
};

static void parse_path(struct smtp_cmd *c, const char *prefix);
static void parse_bdat(struct smtp_cmd *c);

const char *
smtp_cmd_name(enum smtp_cmd_id id)
{
	size_t i;

	switch (id) {
	case SMTP_CMD_UNKNOWN:
		return "UNKNOWN";
	case SMTP_CMD_END_OF_DATA:
		return "END-OF-DATA";
	case SMTP_CMD_AUTH_RESPONSE:
		return "AUTH-RESPONSE";
	default:
		break;
	}
	for (i = 0; i < G_N_ELEMENTS(smtp_verbs); i++)
		if (smtp_verbs[i].id == id)
			return smtp_verbs[i].verb;
	return "UNKNOWN";
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

size_t
smtp_cmd_path_end(const char *p, size_t len)
{
	size_t i;
	bool quoted = false;

	for (i = 1; i < len; i++) {
		if (quoted) {
			if (p[i] == '\\' && i + 1 < len)
				i++;
			else if (p[i] == '"')
				quoted = false;
			continue;
		}
		if (p[i] == '"')
			quoted = true;
		else if (p[i] == '>')
			return i;
	}
	return len;
}

/* "FROM:<path> params" / "TO:<path> params".  Blanks after the colon are
 * tolerated, as Postfix and Exim do for broken clients. */
static void
parse_path(struct smtp_cmd *c, const char *prefix)
{
	size_t plen = strlen(prefix), i, end;
	const char *p = c->arg.p;
	size_t len = c->arg.len;

	if (len < plen || g_ascii_strncasecmp(p, prefix, plen) != 0) {
		c->syntax_error = true;
		return;
	}
	i = plen;
	while (i < len && is_blank(p[i]))
		i++;
	if (i < len && p[i] == '<') {
		end = smtp_cmd_path_end(p + i, len - i);
		c->path_bracketed = true;
		c->path.p = p + i + 1;
		if (end == len - i) {
			/* No closing bracket: keep what is there. */
			c->syntax_error = true;
			c->path.len = len - i - 1;
			return;
		}
		c->path.len = end - 1;
		i += end + 1;
	} else {
		c->path.p = p + i;
		while (i < len && !is_blank(p[i]))
			i++;
		c->path.len = (size_t)(p + i - c->path.p);
		if (c->path.len == 0)
			c->syntax_error = true;
	}
	while (i < len && is_blank(p[i]))
		i++;
	c->params.p = p + i;
	c->params.len = len - i;
}

static void
parse_bdat(struct smtp_cmd *c)
{
	const char *p = c->arg.p;
	size_t len = c->arg.len, i = 0;
	uint64_t n = 0;

	while (i < len && g_ascii_isdigit(p[i])) {
		if (i >= SMTP_BDAT_SIZE_DIGITS) {
			c->syntax_error = true;
			return;
		}
		n = n * 10 + (uint64_t)(p[i] - '0');
		i++;
	}
	if (i == 0) {
		c->syntax_error = true;
		return;
	}
	c->bdat_size = n;
	while (i < len && is_blank(p[i]))
		i++;
	if (i == len)
		return;
	if (len - i >= 4 && g_ascii_strncasecmp(p + i, "LAST", 4) == 0) {
		c->bdat_last = true;
		i += 4;
		while (i < len && is_blank(p[i]))
			i++;
	}
	if (i != len)
		c->syntax_error = true;
}

void
smtp_cmd_parse(struct strview line, struct smtp_cmd *out)
{
	size_t i, vlen;

	memset(out, 0, sizeof *out);
	out->id = SMTP_CMD_UNKNOWN;
	for (vlen = 0; vlen < line.len && !is_blank(line.p[vlen]); vlen++)
		;
	out->verb.p = line.p;
	out->verb.len = vlen;
	for (i = vlen; i < line.len && is_blank(line.p[i]); i++)
		;
	out->arg.p = line.p + i;
	out->arg.len = line.len - i;
	/* Trailing blanks are not part of the argument. */
	while (out->arg.len > 0 && is_blank(out->arg.p[out->arg.len - 1]))
		out->arg.len--;

	for (i = 0; i < G_N_ELEMENTS(smtp_verbs); i++) {
		const struct smtp_verb *v = &smtp_verbs[i];

		if (strlen(v->verb) != vlen ||
		    g_ascii_strncasecmp(v->verb, line.p, vlen) != 0)
			continue;
		out->id = v->id;
		if (v->arg == SMTP_ARG_REQUIRED && out->arg.len == 0)
			out->syntax_error = true;
		break;
	}
	switch (out->id) {
	case SMTP_CMD_MAIL:
		parse_path(out, "FROM:");
		break;
	case SMTP_CMD_RCPT:
		parse_path(out, "TO:");
		break;
	case SMTP_CMD_BDAT:
		parse_bdat(out);
		break;
	default:
		break;
	}
}
