/* SPDX-License-Identifier: GPL-2.0-or-later */
/* diagnosis.h: what became of the mail in a session, and why
 * (docs/diagnosis.md).  For every transaction and recipient an outcome
 * (delivered, deferred, ...), the stage where it was decided, the reply
 * (or the silence) that decided it, and a cause from the catalogue
 * (causes.h); for the session one line that sums them up, and the timing
 * admins hunt for (a slow greeting, a reply far slower than the others, a
 * command left without a reply).  Computed from the judged dialogue: run
 * it after relay_annotate(), whose per-recipient causes it uses. */
#ifndef RS_DIAGNOSIS_H
#define RS_DIAGNOSIS_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "causes.h"
#include "dialogue.h"

#define DIAG_OUTCOME_LIST(X)                                                   \
	X(DELIVERED, "delivered")                                              \
	X(PARTLY_DELIVERED, "partly-delivered")                                \
	X(DEFERRED, "deferred")                                                \
	X(REJECTED, "rejected")                                                \
	X(ABANDONED, "abandoned")                                              \
	X(UNKNOWN, "unknown")

enum diag_outcome {
#define DIAG_OUTCOME_ENUM(id, name) DIAG_OUTCOME_##id,
	DIAG_OUTCOME_LIST(DIAG_OUTCOME_ENUM)
#undef DIAG_OUTCOME_ENUM
	    DIAG_OUTCOME_COUNT
};

/* A greeting later than this after the connection is slow (usec). */
#define DIAG_SLOW_GREETING (5 * G_USEC_PER_SEC)
/* A reply this late is slow whatever the others took (usec) ... */
#define DIAG_SLOW_REPLY (5 * G_USEC_PER_SEC)
/* ... and one this late, and DIAG_SLOW_FACTOR times the median of the
 * session's other replies, is slow too. */
#define DIAG_SLOW_REPLY_MIN (2 * G_USEC_PER_SEC)
#define DIAG_SLOW_FACTOR 10

/* One conclusion: what happened, where, why. */
struct diag_verdict {
	enum diag_outcome outcome;
	enum diag_stage stage;
	const char *cause;	  /* catalogue name (static), or NULL */
	const char *cause_source; /* the catalogue row (static), or NULL */
	/* The command whose reply, or missing reply, decided it (borrowed
	 * from the dialogue); NULL when no command did (a refused greeting
	 * is the banner item). */
	const struct dlg_item *item;
	int64_t retry_after;  /* seconds the reply says to wait, or -1 */
	int64_t waited;	      /* no-reply: usec the client waited, or -1 */
	char *list, *address; /* blocklist: the list and the listed address
			       * the reply names; owned, or NULL */
	char *url;	      /* a lookup URL the reply gives; owned, or NULL */
	char *note;	      /* what else the evidence says, in words; owned,
			       * or NULL */
};

/* One recipient's fate. */
struct diag_rcpt {
	enum diag_outcome outcome; /* delivered, deferred, rejected,
				    * abandoned, unknown */
	const char *cause;	   /* static, or NULL */
};

/* An earlier attempt this transaction repeats (diag_retries_apply). */
struct diag_retry {
	char session[17];  /* its session id; "" when none */
	int64_t after;	   /* usec between the two attempts */
	const char *cause; /* why it was deferred (static) */
};

struct diag_tx {
	struct diag_verdict v;
	struct diag_retry retry_of;
	/* The end of data (or BDAT LAST), whose acceptance names the queue
	 * id (smtp_reply_queue_id); borrowed, or NULL. */
	const struct dlg_item *queue_item;
	struct diag_rcpt *rcpts; /* one per recipient of the transaction */
	unsigned n_rcpts;
	unsigned accepted, deferred, rejected, unanswered; /* at RCPT */
};

/* Something in the timing or the connection's end worth a line. */
#define DIAG_FLAG_LIST(X)                                                      \
	X(SLOW_GREETING, "slow-greeting")                                      \
	X(SLOW_REPLY, "slow-reply")                                            \
	X(NO_REPLY, "no-reply")                                                \
	X(NO_GREETING, "no-greeting")                                          \
	X(RESET_IN_DATA, "connection-reset-in-data")                           \
	X(CLOSED_IN_DATA, "connection-closed-in-data")                         \
	X(SERVER_CLOSED, "server-closed")                                      \
	X(NO_QUIT, "closed-without-quit")                                      \
	X(TLS_NOT_USED, "starttls-not-used")                                   \
	X(SIZE_EXCEEDED, "size-exceeded")

enum diag_flag_kind {
#define DIAG_FLAG_ENUM(id, name) DIAG_FLAG_##id,
	DIAG_FLAG_LIST(DIAG_FLAG_ENUM)
#undef DIAG_FLAG_ENUM
	    DIAG_FLAG_COUNT
};

struct diag_flag {
	enum diag_flag_kind kind;
	const struct dlg_item *item; /* the command concerned (borrowed), or
				      * NULL */
	int64_t usec;		     /* the time it took or waited, or -1 */
	char *text;		     /* one line, for people; owned */
};

struct diagnosis {
	struct diag_verdict session;
	struct diag_tx *txs; /* one per recorded transaction (d->txs) */
	unsigned n_txs;
	/* The transaction the session's verdict comes from (the worst that
	 * did not deliver), or -1; and how many delivered. */
	int from_tx;
	unsigned delivered_txs;
	/* Timing (usec; -1 where not known). */
	int64_t greeting; /* connection to the greeting's end */
	int64_t slowest;  /* the slowest reply to a command */
	const struct dlg_item *slowest_item;
	int64_t median;	  /* the median reply time */
	unsigned replies; /* replies timed */
	struct diag_flag *flags;
	unsigned n_flags;
};

/* Diagnose a judged dialogue; the caller owns the result, which borrows
 * items of d (free it before d). */
struct diagnosis *diagnosis_new(const struct dialogue *d);
/* Free it (accepts NULL). */
void diagnosis_free(struct diagnosis *g);
/* The reply time of a command item (usec), or -1 if it had none. */
int64_t diagnosis_reply_time(const struct dlg_item *it);
/* The stage a command belongs to. */
enum diag_stage diagnosis_stage_of(const struct dlg_item *it);
/* Names. */
const char *diag_outcome_name(enum diag_outcome o);
const char *diag_flag_name(enum diag_flag_kind k);
/* The --fail-on kinds the diagnosis answers, as bits: "deferred",
 * "rejected", "tls-failure", "slow-server". */
#define DIAG_FAIL_LIST(X)                                                      \
	X(DEFERRED, "deferred")                                                \
	X(REJECTED, "rejected")                                                \
	X(TLS_FAILURE, "tls-failure")                                          \
	X(SLOW_SERVER, "slow-server")

enum diag_fail_kind {
#define DIAG_FAIL_ENUM(id, name) DIAG_FAIL_##id,
	DIAG_FAIL_LIST(DIAG_FAIL_ENUM)
#undef DIAG_FAIL_ENUM
	    DIAG_FAIL_COUNT
};

/* Deferred attempts remembered across sessions, so that a later attempt
 * of the same client, sender and recipient (the triplet greylisting
 * keys on) names the one it retries.  Bounded: the oldest are
 * forgotten past DIAG_RETRIES_MAX, and none older than
 * DIAG_RETRIES_AGE of capture time counts. */
#define DIAG_RETRIES_MAX 4096
#define DIAG_RETRIES_AGE ((gint64)24 * 3600 * G_USEC_PER_SEC)
struct diag_retries;
struct diag_retries *diag_retries_new(void);
void diag_retries_free(struct diag_retries *r);
/* Link d's transactions to the deferred attempts seen before (filling
 * txs[].retry_of), then remember d's own deferred recipients.  Call for
 * every diagnosed session in start order. */
void diag_retries_apply(struct diag_retries *r, struct dialogue *d);

/* Look a --fail-on kind up by name; -1 if none. */
int diag_fail_lookup(const char *name);
/* The DIAG_FAIL_* bits (1 << kind) the diagnosis raises. */
unsigned diagnosis_fail_bits(const struct diagnosis *g);

#endif
