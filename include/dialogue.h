/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dialogue.h: the model of one SMTP session: items (commands with their
 * replies, unsolicited replies) in order, transactions with recipients,
 * and what the session negotiated.  Parents own their children. */
#ifndef RS_DIALOGUE_H
#define RS_DIALOGUE_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "anomaly.h"
#include "helo_report.h"
#include "smtp_cmd.h"
#include "smtp_reply.h"

/* Limits on what one dialogue keeps; past them the parser goes on counting
 * but stops recording, and the record says so (record-truncated).  Bytes
 * are what its allocations really take (budget.h). */
#define DLG_MAX_ITEMS 5000
#define DLG_MAX_BYTES (512 * 1024)

/* How a session ended. */
#define DLG_END_LIST(X)                                                        \
	X(NONE, "none")                                                        \
	X(CLOSED, "closed")                                                    \
	X(RESET, "reset")                                                      \
	X(CAPTURE_ENDED, "capture-ended")                                      \
	X(TIMED_OUT, "timed-out")                                              \
	X(EVICTED, "evicted")                                                  \
	X(DROPPED, "dropped")                                                  \
	X(CUT, "cut")

enum dlg_end {
#define DLG_END_ENUM(id, name) DLG_END_##id,
	DLG_END_LIST(DLG_END_ENUM)
#undef DLG_END_ENUM
	    DLG_END_COUNT
};

enum dlg_item_kind {
	DLG_ITEM_COMMAND,     /* a client command (maybe a pseudo one) */
	DLG_ITEM_BANNER,      /* the server's greeting */
	DLG_ITEM_UNSOLICITED, /* a reply with no command to answer */
	DLG_ITEM_SERVER_JUNK, /* a server line that is not a reply */
	DLG_ITEM_GAP,	      /* bytes of one direction not in the capture */
};

/* Item flags. */
#define DLG_F_PIPELINED 0x01	/* sent before the previous reply came */
#define DLG_F_SECRET 0x02	/* line masked (AUTH data) */
#define DLG_F_UNTERMINATED 0x04 /* the line had no line end */
#define DLG_F_TOO_LONG 0x08	/* the line was cut */
#define DLG_F_BARE_LF 0x10	/* the line ended with a bare LF */
/* Capture loss and mid-stream pickup (see docs/output-format.md). */
#define DLG_F_REPLY_LOST 0x20 /* its reply fell into a capture gap */
#define DLG_F_UNCERTAIN 0x40  /* paired across a gap: may be another's */
#define DLG_F_NOT_CAPTURED                                                     \
	0x80		  /* UNSOLICITED: the command it answers, or           \
			   * END-OF-DATA: the body before the dot, was         \
			   * not captured */
#define DLG_F_EARLY 0x100 /* sent before the greeting (early-talker) */

/* Directions, as the SMTP machine names them (smtp_session.h). */
#define DLG_DIR_CLIENT 0
#define DLG_DIR_SERVER 1

/* One step of the dialogue. */
struct dlg_item {
	enum dlg_item_kind kind;
	enum smtp_cmd_id cmd; /* DLG_ITEM_COMMAND only */
	unsigned flags;
	gint64 ts;  /* when the command/line was complete (usec) */
	char *line; /* command line as sent, masked if SECRET;
		     * NULL for pseudo commands; owned */
	size_t line_len;
	struct smtp_reply *reply; /* owned; NULL if none seen */
	gint64 reply_ts;
	uint64_t bytes;	   /* END-OF-DATA and BDAT: message bytes */
	uint64_t lines;	   /* END-OF-DATA: body lines */
	bool retained;	   /* owned by the dialogue's item list */
	uint8_t dir;	   /* GAP: DLG_DIR_CLIENT or DLG_DIR_SERVER; bytes
			    * holds how many were lost */
	struct dlg_tx *tx; /* the transaction it belongs to, or NULL */
	/* MAIL, HELO/EHLO/LHLO: the transaction open when it was sent, which
	 * the server keeps if it refuses the command (RFC 5321 §4.1.4); the
	 * SMTP machine's, borrowed. */
	struct dlg_tx *tx_before;
};

struct dlg_rcpt {
	char *address;	       /* path without brackets; owned */
	char *params;	       /* ESMTP parameters; owned, may be "" */
	struct dlg_item *item; /* the RCPT command, owned by the dialogue */
	/* Filled by relay_annotate() (relay.h); unset until then. */
	int verdict;		  /* enum relay_verdict */
	int local;		  /* 1 local, 0 not local, -1 unknown */
	int local_kind;		  /* enum relay_local: the evidence for it */
	const char *local_source; /* its name (static string), or NULL */
	char *local_evidence;	  /* that evidence in words; owned, or NULL */
	GPtrArray *local_dns;	  /* struct dns_fact * it rests on; owned, or
				   * NULL */
	char onward_id[17];	  /* the session that carried it onward */
	const char *cause;	  /* a refusal's cause (relay_texts.h) */
	const char *cause_source; /* the catalogue row; both static or NULL */
	char *final_domain;	  /* where the mail would go; owned, or NULL */
	unsigned tricks;	  /* ADDRESS_TRICK_* bits */
	bool judged;		  /* the fields above are set */
};

struct mime_info;

struct dlg_data {
	enum smtp_cmd_id command; /* SMTP_CMD_DATA or SMTP_CMD_BDAT */
	struct dlg_item *item;	  /* DATA, or the first BDAT */
	struct dlg_item *end;	  /* END-OF-DATA, or BDAT ... LAST */
	uint64_t bytes;
	uint64_t lines;	     /* DATA only */
	unsigned chunks;     /* BDAT only */
	bool complete;	     /* end of data / LAST seen */
	GByteArray *body;    /* the message, only when asked to keep it */
	bool body_dropped;   /* it was over the limit */
	uint64_t bytes_lost; /* body bytes in capture gaps (bytes and lines
			      * are then lower bounds) */
	char *message_id;    /* the header's Message-ID, trimmed; owned, or
			      * NULL */
	/* The header fields a forensic reader wants (message.h), as
	 * "Name: value" unfolded, in order; each cut at 998 bytes, at most
	 * DLG_HEADERS_MAX; owned, or NULL when none was read. */
	GPtrArray *headers;
	bool headers_cut;	/* more such fields than were kept */
	struct mime_info *mime; /* its MIME structure (mime.h); owned, or
				 * NULL when its start was not captured */
	/* --extract (extract.h): the SMTP machine's file of it, then the kept
	 * one's name (owned, or NULL); its bytes and SHA-256; why there is
	 * no file (enum extract_note); the outcome in words (static, set by
	 * extractor_commit()). */
	char *extract;
	uint64_t extract_bytes;
	char extract_sha256[65];
	unsigned extract_note;
	const char *extract_status;
	/* The SMTP machine's pointer to this message while it reads it,
	 * cleared when it is freed first. */
	struct dlg_data **feed;
};

/* Header fields kept per message (dlg_data.headers). */
#define DLG_HEADERS_MAX 64

struct dlg_tx {
	char *mail_from;       /* NULL if RCPT came without MAIL; "" = <> */
	char *mail_params;     /* owned, may be "" */
	struct dlg_item *mail; /* the MAIL command, NULL if none */
	GPtrArray *rcpts;      /* struct dlg_rcpt *, owned */
	struct dlg_data *data; /* NULL if no DATA/BDAT; owned */
	bool gap; /* a capture gap or the capture's start touched it: some of
		   * its commands, replies or body may be missing or paired
		   * uncertainly */
};

enum dlg_auth_result {
	DLG_AUTH_UNKNOWN,
	DLG_AUTH_SUCCESS,
	DLG_AUTH_FAILURE,
};

struct dlg_auth {
	char *mechanism; /* upper-cased; owned */
	char *user;	 /* decoded user name, only if printable; or NULL;
			  * owned */
	enum dlg_auth_result result;
	struct dlg_item *item; /* the AUTH command */
	bool password_sent;    /* a password, token or proof was sent (the
				* exchange did not stop before one) */
};

/* Which side of a connection the capture has no packets from. */
enum dlg_missing {
	DLG_MISSING_NONE,
	DLG_MISSING_CLIENT,
	DLG_MISSING_SERVER,
};

struct rs_endpoint {
	char ip[48]; /* numeric address */
	uint16_t port;
};

/* How TLS began: after a 220 to STARTTLS (RFC 3207), or from the first
 * byte (implicit TLS, RFC 8314, port 465). */
enum dlg_tls_mode {
	DLG_TLS_NONE,
	DLG_TLS_STARTTLS,
	DLG_TLS_IMPLICIT,
};

struct tls_conn;
struct proxy_conn;
struct diagnosis;

/* How a connection was found to be SMTP: its server port is one of
 * --ports, or its first bytes said so (detect.h). */
enum dlg_detect {
	DLG_DETECT_PORT,
	DLG_DETECT_CONTENT,
};

struct dialogue {
	uint64_t seq;		 /* 1, 2, ... in order of session start */
	char id[17];		 /* stable id: hash of start time and tuple */
	gint64 ts_start, ts_end; /* usec since the epoch, from the capture */
	/* When each side (DLG_DIR_*) sent its first FIN, or 0: who closed
	 * first, and a half-closed connection that the capture ended. */
	gint64 fin_ts[2];
	struct rs_endpoint client, server;
	enum dlg_end end;
	/* Capture quality (stream.c fills picked_up and missing; the SMTP
	 * machine the gaps). */
	bool picked_up;		  /* the handshake was not captured */
	enum dlg_detect detected; /* why it was taken for SMTP */
	enum dlg_missing missing; /* a one-sided capture */
	unsigned gaps[2];	  /* holes, by direction (DLG_DIR_*) */
	uint64_t gap_bytes[2];	  /* bytes lost in them */

	GPtrArray *items; /* struct dlg_item *, retained, in order */
	struct dlg_item *banner;
	struct dlg_item *helo; /* the last HELO/EHLO/LHLO */
	unsigned helo_count;
	bool tls_offered, tls_started;
	bool pipelining_offered, chunking_offered;
	struct dlg_auth *auth; /* the last AUTH attempt; owned */
	unsigned auth_count;
	GPtrArray *txs; /* struct dlg_tx *, owned */
	/* struct relay_finding * (relay.h), owned; NULL until
	 * relay_annotate() */
	GPtrArray *findings;
	/* The EHLO identity check (helo_report.h); owned; NULL until
	 * helo_check_annotate(), or when no HELO/EHLO was seen. */
	struct helo_report *helo_check;
	/* What became of the mail, and why (diagnosis.h); owned; NULL until
	 * judged. */
	struct diagnosis *diagnosis;
	/* Whom the server may trust (relay_annotate()): NULL, "config",
	 * "inferred:loopback" or "inferred:same-host"; static. */
	const char *client_trust;
	/* char *: ids of earlier sessions whose mail this one carries on
	 * (onward.h); owned, or NULL. */
	GPtrArray *continues;

	unsigned anomalies[ANOMALY_COUNT];	     /* occurrences of each */
	uint64_t bytes_client, bytes_server;	     /* all payload bytes */
	uint64_t tls_bytes_client, tls_bytes_server; /* after STARTTLS */
	enum dlg_tls_mode tls_mode;
	struct tls_conn *tls;	   /* its handshake, as read (tls.h); owned, or
				    * NULL */
	struct proxy_conn *proxy;  /* the proxy preamble before the SMTP
				    * (proxy.h): the server is the proxy;
				    * owned, or NULL */
	bool tls_plaintext;	   /* after a 220 to STARTTLS, plaintext SMTP
				    * went on (starttls-plaintext) */
	bool tls_server_plaintext; /* implicit TLS answered in plaintext
				    * (tls-to-plaintext-server) */
	uint64_t tx_total, rcpt_total; /* counted even past the limits */
	unsigned items_dropped;	       /* items not kept (limits) */
	size_t mem;  /* bytes it holds, as charged to the budget */
	bool frozen; /* limits reached: recording stopped */
	/* Cut in two to stay within --max-memory (stream.c): the record
	 * before the cut names the one after it in cut_to, that one names
	 * it in cut_from; "" when not cut. */
	char cut_to[17], cut_from[17];
	gint64 cut_ts; /* cut_to: when it was cut */
	/* Judged before its --onward-window ended, to stay within
	 * --max-memory (main.c). */
	bool judged_early;
};

/* A new, empty dialogue; caller owns it. */
struct dialogue *dialogue_new(void);
/* Free a dialogue and all it owns (accepts NULL). */
void dialogue_free(struct dialogue *d);
/* A new item (not yet kept); caller owns it until dialogue_keep(). */
struct dlg_item *dlg_item_new(enum dlg_item_kind kind, enum smtp_cmd_id cmd,
    const char *line, size_t len, gint64 ts);
/* The first word after a command's verb ("HELO name" -> "name"), as a
 * view into it->line; false for a pseudo command. */
bool dlg_item_argument(
    const struct dlg_item *it, const char **arg, size_t *len);
/* Free an item (accepts NULL). */
void dlg_item_free(struct dlg_item *it);
/* Hand an item to the dialogue's list.  Returns false (and leaves the item
 * with the caller) when the limits are reached; the dialogue is then frozen. */
bool dialogue_keep(struct dialogue *d, struct dlg_item *it);
/* The same, placed in the list before the kept item before (at the end
 * when before is NULL or not kept): a reply that came before commands
 * the client had already sent, shown in the order it was sent. */
bool dialogue_keep_before(
    struct dialogue *d, struct dlg_item *it, const struct dlg_item *before);
/* Attach the reply to an item (which owns it from now on) and charge it
 * if the item is kept. */
void dialogue_reply(
    struct dialogue *d, struct dlg_item *it, struct smtp_reply *r, gint64 ts);
/* Charge n bytes the dialogue now holds besides its items (strings of a
 * transaction, the AUTH record, ...). */
void dialogue_charge(struct dialogue *d, size_t n);
/* Add a recipient to a transaction of the dialogue, and charge it. */
void dialogue_rcpt_add(
    struct dialogue *d, struct dlg_tx *tx, struct dlg_rcpt *r);
/* Replace a transaction's message record by a new, empty one for the
 * command (SMTP_CMD_DATA or SMTP_CMD_BDAT), charged; returns it. */
struct dlg_data *dialogue_data_new(
    struct dialogue *d, struct dlg_tx *tx, enum smtp_cmd_id command);
/* Record one occurrence of an anomaly. */
void dialogue_anomaly(struct dialogue *d, enum anomaly a);
/* Free a message record and what it holds (accepts NULL). */
void dlg_data_free(struct dlg_data *dd);
/* Start a transaction; NULL when frozen.  The dialogue owns it. */
struct dlg_tx *dialogue_tx_new(struct dialogue *d);
/* The name of an end reason ("closed"). */
const char *dialogue_end_name(enum dlg_end e);
/* Fill d->id from the start time and the endpoints. */
void dialogue_set_id(struct dialogue *d);
/* The name of a missing side ("client"), or NULL for none. */
const char *dialogue_missing_name(enum dlg_missing m);
/* The sessions that carried mail of this one on (the recipients'
 * onward_id, each once, in order): borrowed strings in a new array the
 * caller frees. */
GPtrArray *dialogue_onward_ids(const struct dialogue *d);
/* Transactions marked as touched by a capture gap. */
unsigned dialogue_gap_txs(const struct dialogue *d);
/* Order of two elements of an array of struct dialogue * by seq (session
 * start), for g_ptr_array_sort(). */
gint dialogue_by_seq(gconstpointer a, gconstpointer b);
/* Did the connection speak SMTP at all?  False only for one whose start
 * was captured, that carried bytes, and in which nothing was a greeting,
 * a reply, a known command or TLS (HTTP or OpenVPN on an SMTP port): it
 * is counted, not shown. */
bool dialogue_speaks_smtp(const struct dialogue *d);

/* A typedef only so that g_autoptr(dialogue_t) works (GLib needs a name). */
typedef struct dialogue dialogue_t;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dialogue_t, dialogue_free)

#endif
