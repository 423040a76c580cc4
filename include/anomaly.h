/* SPDX-License-Identifier: GPL-2.0-or-later */
/* anomaly.h: the named protocol anomalies; one X-macro list makes the enum
 * and the names.  Each name has a paragraph in docs/anomalies.md. */
#ifndef RS_ANOMALY_H
#define RS_ANOMALY_H

#define ANOMALY_LIST(X)                                                        \
	X(BARE_LF, "bare-lf")                                                  \
	X(LINE_TOO_LONG, "line-too-long")                                      \
	X(NUL_IN_LINE, "nul-in-line")                                          \
	X(UNTERMINATED_LINE, "unterminated-line")                              \
	X(EARLY_TALKER, "early-talker")                                        \
	X(NO_BANNER, "no-banner")                                              \
	X(INVALID_REPLY, "invalid-reply")                                      \
	X(MULTILINE_CODE_MISMATCH, "multiline-code-mismatch")                  \
	X(REPLY_WITHOUT_COMMAND, "reply-without-command")                      \
	X(ENHANCED_CODE_MISMATCH, "enhanced-code-mismatch")                    \
	X(UNKNOWN_COMMAND, "unknown-command")                                  \
	X(BAD_SYNTAX, "bad-syntax")                                            \
	X(PATH_WITHOUT_BRACKETS, "path-without-brackets")                      \
	X(PIPELINING_NOT_ADVERTISED, "pipelining-not-advertised")              \
	X(PIPELINED_AFTER_SYNC, "pipelined-after-sync")                        \
	X(RCPT_WITHOUT_MAIL, "rcpt-without-mail")                              \
	X(DATA_WITHOUT_RCPT, "data-without-rcpt")                              \
	X(BODY_AFTER_REJECTED_DATA, "body-after-rejected-data")                \
	X(DATA_INCOMPLETE, "data-incomplete")                                  \
	X(BARE_LF_DOT, "bare-lf-dot")                                          \
	X(BDAT_INVALID, "bdat-invalid")                                        \
	X(BDAT_WITHOUT_CHUNKING, "bdat-without-chunking")                      \
	X(BDAT_INCOMPLETE, "bdat-incomplete")                                  \
	X(CLEARTEXT_AFTER_STARTTLS, "cleartext-after-starttls")                \
	X(AUTH_INCOMPLETE, "auth-incomplete")                                  \
	X(AUTH_BAD_BASE64, "auth-bad-base64")                                  \
	X(HOLD_OVERFLOW, "hold-overflow")                                      \
	X(TOO_MANY_PENDING, "too-many-pending")                                \
	X(UNANSWERED_COMMANDS, "unanswered-commands")                          \
	X(RECORD_TRUNCATED, "record-truncated")                                \
	X(DATA_AFTER_QUIT, "data-after-quit")                                  \
	X(RESYNC_SKIPPED, "resync-skipped")                                    \
	X(OVERLAP_CONFLICT, "overlap-conflict")                                \
	X(CR_DOT, "cr-dot")                                                    \
	X(MEMORY_SHED, "memory-shed")                                          \
	X(STARTTLS_PLAINTEXT, "starttls-plaintext")                            \
	X(TLS_TO_PLAINTEXT_SERVER, "tls-to-plaintext-server")                  \
	X(REPLY_OUT_OF_STEP, "reply-out-of-step")

enum anomaly {
#define ANOMALY_ENUM(id, name) ANOMALY_##id,
	ANOMALY_LIST(ANOMALY_ENUM)
#undef ANOMALY_ENUM
	    ANOMALY_COUNT
};

/* The stable, machine-readable name of an anomaly ("bare-lf"). */
const char *anomaly_name(enum anomaly a);

#endif
