/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.c: diagnostics on stderr (OpenSMTPD log.h vocabulary). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

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

static void
log_vprint(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("relayscope: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
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
