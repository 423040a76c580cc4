/* SPDX-License-Identifier: GPL-2.0-or-later */
/* smtp_reply.h: server reply lines, multi-line assembly, enhanced codes. */
#ifndef RS_SMTP_REPLY_H
#define RS_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#include "linebuf.h"

/* Reply text kept per reply; longer text is cut and flagged (an EHLO reply
 * is a few hundred bytes; this bounds a hostile endless "250-" reply). */
#define SMTP_REPLY_TEXT_MAX 16384

/* One complete reply.  Owned by whoever holds the pointer; freed with
 * smtp_reply_free(). */
struct smtp_reply {
	int code;	   /* 200..599 */
	char enhanced[16]; /* "5.7.1", or "" when the reply has none */
	char *text;	   /* lines without "NNN-"/"NNN " joined by '\n';
			    * NUL-terminated, may hold NULs (use len) */
	size_t text_len;
	unsigned nlines;	/* lines the reply had on the wire */
	bool truncated;		/* text cut at SMTP_REPLY_TEXT_MAX */
	bool code_mismatch;	/* a line carried another code */
	bool enhanced_mismatch; /* enhanced class differs from the code */
	bool unterminated;	/* its last line had no line end, or its final
				 * line never came (set by the SMTP machine) */
};

/* One reply line, parsed. */
struct smtp_reply_line {
	int code;	     /* 200..599 */
	bool more;	     /* "NNN-": more lines follow */
	struct strview text; /* after "NNN " or "NNN-" */
};

/* Multi-line reply assembly in progress. */
struct smtp_reply_asm {
	GString *text; /* NULL when no reply is open */
	int code;
	unsigned nlines;
	bool truncated;
	bool code_mismatch;
};

/* Parse one line as "NNN", "NNN text" or "NNN-text" (RFC 5321 §4.2).
 * Returns false for anything else; the first digit must be 2..5. */
bool smtp_reply_line_parse(struct strview line, struct smtp_reply_line *out);

/* Free a reply (accepts NULL). */
void smtp_reply_free(struct smtp_reply *r);
/* Deep copy of a reply. */
struct smtp_reply *smtp_reply_copy(const struct smtp_reply *r);
/* The class digit of a reply code: 2, 3, 4 or 5. */
int smtp_reply_class(int code);

/* Add a parsed line to the assembly.  Returns a complete reply (caller
 * owns it) when this line ends one, NULL when more lines are expected. */
struct smtp_reply *smtp_reply_asm_push(
    struct smtp_reply_asm *a, const struct smtp_reply_line *l);
/* Add a line that is not a reply line to an open reply's text (a garbled
 * continuation).  Returns false when no reply is open. */
bool smtp_reply_asm_append_raw(struct smtp_reply_asm *a, struct strview line);
/* Is a multi-line reply open? */
bool smtp_reply_asm_open(const struct smtp_reply_asm *a);
/* Close an open reply at the end of the stream; NULL if none was open. */
struct smtp_reply *smtp_reply_asm_finish(struct smtp_reply_asm *a);
/* Free what an assembly holds. */
void smtp_reply_asm_clear(struct smtp_reply_asm *a);

/* Find an RFC 3463 enhanced status code in reply text, wherever servers put
 * it: leading ("5.7.1 ..."), or after '#' ("(#5.7.1)", "#5.1.0").  Writes
 * "C.S.D" to out (size >= 16) and returns true if found. */
bool smtp_reply_find_enhanced(const char *text, size_t len, char *out);

/* The EHLO keyword lines of a positive reply to EHLO: every line after
 * the first (new strings in a new array; empty for NULL or a refusal). */
GPtrArray *smtp_reply_ehlo_extensions(const struct smtp_reply *r);
/* Does a reply to EHLO offer keyword kw ("STARTTLS") and, if arg is not
 * NULL, list arg among its parameters ("AUTH" "PLAIN")?  Words are split
 * at spaces and '=', compared without case; nothing is allocated. */
bool smtp_reply_ehlo_offers(
    const struct smtp_reply *r, const char *kw, const char *arg);

/* The first occurrence of needle (in lower case) in the text from p to
 * end, compared without case, or NULL. */
const char *smtp_text_find(const char *p, const char *end, const char *needle);

/* Longest queue id kept (Exchange's InternalId, Gmail's ids: < 64). */
#define SMTP_QUEUE_ID_MAX 64
/* The queue id a server's acceptance of a message names, as its log
 * will: Postfix "queued as 4F2A1" (also "N bytes queued as"), Exim
 * "OK id=1xYb7N-00001q-2t", Sendmail and OpenSMTPD "x7T1abc012345 Message
 * accepted for delivery", Exchange "[InternalId=123, ...]", Gmail "OK
 * 1704067200 d9443c01a7336-...gsmtp" (the token before "- gsmtp"), qmail
 * "qp 12345", Dovecot LMTP "<user@dom> ID Saved".  Writes it
 * NUL-terminated to out (SMTP_QUEUE_ID_MAX + 1 bytes) and returns true;
 * false for a reply that is not a 2xx or names none. */
bool smtp_reply_queue_id(const struct smtp_reply *r, char *out);

#endif
