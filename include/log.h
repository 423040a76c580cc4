/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.h: diagnostics on stderr, in the one-line "relayscope: what: problem"
 * form; every message is escaped as standard output is (output_escape()),
 * so that no name or input byte reaches the terminal raw. */
#ifndef RS_LOG_H
#define RS_LOG_H

#include <glib.h>

/* Set the verbosity: 0 quiet, 1 normal, 2 debug. */
void log_init(int verbosity);
/* Print "relayscope: MSG" on stderr. */
void log_warnx(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Print "relayscope: MSG" on stderr unless quiet (-q). */
void log_info(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Print "relayscope: MSG" on stderr only at debug verbosity. */
void log_debug(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Is debug logging on? (to skip building expensive messages) */
gboolean log_debug_enabled(void);
/* Broken invariant or out of memory: print and abort. Never returns. */
G_NORETURN void fatalx(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif
