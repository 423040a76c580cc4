/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.c: diagnostics on stderr (OpenSMTPD log.h vocabulary).
 *
 * Messages carry names from the command line and bytes from the input
 * (file, filter and interface names, server replies in replay): a file
 * called "\033]0;owned\a.pcap" must not retitle the terminal, nor one
 * with a newline forge a second message.  So each message is escaped as
 * a whole, by output_escape(), the rules of standard output (the
 * backslash doubled, \r \n \t, other control bytes \xNN), except that
 * valid UTF-8 text other than the C1 controls is kept: GLib's own
 * messages quote with U+201C and U+201D, and such characters move no
 * cursor. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "output.h"

static int log_verbosity = 1;

void
log_init(int verbosity)
{
	log_verbosity = verbosity;
}

gboolean
log_debug_enabled(void)
{
	return log_verbosity >= 2;
}

/* Append p (len bytes) to out, escaped (above). */
static void
log_escape(GString *out, const char *p, size_t len)
{
	const char *end = p + len;
	gunichar c;

	while (p < end) {
		if ((unsigned char)*p < 0x80) {
			output_escape(out, p, 1);
			p++;
			continue;
		}
		c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2 || c < 0xa0) {
			output_escape(out, p, 1);
			p++;
			continue;
		}
		g_string_append_len(out, p, g_utf8_skip[*(const guchar *)p]);
		p = g_utf8_next_char(p);
	}
}

static void
log_vprint(const char *fmt, va_list ap)
{
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	GString *line = g_string_sized_new(strlen(msg) + 16);

	g_string_append(line, "relayscope: ");
	log_escape(line, msg, strlen(msg));
	g_string_append_c(line, '\n');
	fflush(stdout);
	/* One write, so that a message is never split by another's. */
	fwrite(line->str, 1, line->len, stderr);
	fflush(stderr);
	g_string_free(line, TRUE);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 1)
		return;
	va_start(ap, fmt);
	log_vprint(fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 2)
		return;
	va_start(ap, fmt);
	log_vprint(fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(fmt, ap);
	va_end(ap);
	abort();
}
