/* SPDX-License-Identifier: GPL-2.0-or-later */
/* smtp_cmd.h: the SMTP verb table and the command tokenizer. */
#ifndef RS_SMTP_CMD_H
#define RS_SMTP_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "linebuf.h"

/* Argument rules of a verb. */
enum smtp_arg {
	SMTP_ARG_NONE, /* RFC says none (DATA, RSET, QUIT, ...) */
	SMTP_ARG_OPTIONAL,
	SMTP_ARG_REQUIRED,
};

/* One row per verb; pseudo-commands (no verb on the wire) follow. */
#define SMTP_CMD_LIST(X)                                                       \
	X(HELO, "HELO", SMTP_ARG_REQUIRED)                                     \
	X(EHLO, "EHLO", SMTP_ARG_REQUIRED)                                     \
	X(LHLO, "LHLO", SMTP_ARG_REQUIRED)                                     \
	X(MAIL, "MAIL", SMTP_ARG_REQUIRED)                                     \
	X(RCPT, "RCPT", SMTP_ARG_REQUIRED)                                     \
	X(DATA, "DATA", SMTP_ARG_NONE)                                         \
	X(BDAT, "BDAT", SMTP_ARG_REQUIRED)                                     \
	X(RSET, "RSET", SMTP_ARG_NONE)                                         \
	X(NOOP, "NOOP", SMTP_ARG_OPTIONAL)                                     \
	X(VRFY, "VRFY", SMTP_ARG_REQUIRED)                                     \
	X(EXPN, "EXPN", SMTP_ARG_REQUIRED)                                     \
	X(HELP, "HELP", SMTP_ARG_OPTIONAL)                                     \
	X(QUIT, "QUIT", SMTP_ARG_NONE)                                         \
	X(STARTTLS, "STARTTLS", SMTP_ARG_NONE)                                 \
	X(AUTH, "AUTH", SMTP_ARG_REQUIRED)                                     \
	X(ETRN, "ETRN", SMTP_ARG_REQUIRED)                                     \
	X(XCLIENT, "XCLIENT", SMTP_ARG_REQUIRED)                               \
	X(XFORWARD, "XFORWARD", SMTP_ARG_REQUIRED)

enum smtp_cmd_id {
	SMTP_CMD_UNKNOWN = 0, /* a line that names no known verb */
#define SMTP_CMD_ENUM(id, verb, arg) SMTP_CMD_##id,
	SMTP_CMD_LIST(SMTP_CMD_ENUM)
#undef SMTP_CMD_ENUM
	    SMTP_CMD_END_OF_DATA, /* pseudo: the "." ending a DATA body */
	SMTP_CMD_AUTH_RESPONSE,	  /* pseudo: a client line inside AUTH */
	SMTP_CMD_COUNT
};

/* A tokenized command line; all views point into the line. */
struct smtp_cmd {
	enum smtp_cmd_id id;
	struct strview verb; /* as sent */
	struct strview arg;  /* everything after the verb and blanks */
	bool syntax_error;   /* arguments do not follow the grammar */
	/* MAIL FROM / RCPT TO (RFC 5321 §4.1.1.2, §4.1.1.3) */
	struct strview path;   /* inside the angle brackets */
	bool path_bracketed;   /* false for "MAIL FROM:a@b" */
	struct strview params; /* ESMTP parameters after the path */
	/* BDAT (RFC 3030 §2) */
	uint64_t bdat_size;
	bool bdat_last;
};

/* Longest BDAT chunk size accepted as a number (digits). */
#define SMTP_BDAT_SIZE_DIGITS 18

/* Tokenize one command line.  Never fails: unknown verbs get
 * SMTP_CMD_UNKNOWN, malformed arguments set syntax_error. */
void smtp_cmd_parse(struct strview line, struct smtp_cmd *out);
/* The canonical verb of a command id ("MAIL"); pseudo ids get a label. */
const char *smtp_cmd_name(enum smtp_cmd_id id);
/* Find the end of an angle-bracketed path starting at p[0] == '<', honouring
 * quoted strings.  Returns the index of the closing '>' or len if none. */
size_t smtp_cmd_path_end(const char *p, size_t len);

#endif
