/* SPDX-License-Identifier: GPL-2.0-or-later */
/* smtp_session.h: the SMTP dialogue machine.  Bytes of both directions go
 * in (in capture order); a struct dialogue comes out.  No I/O, no pcap or
 * libnids types: unit tests feed byte strings. */
#ifndef RS_SMTP_SESSION_H
#define RS_SMTP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "dialogue.h"

enum smtp_dir {
	SMTP_DIR_CLIENT = DLG_DIR_CLIENT, /* client to server: commands */
	SMTP_DIR_SERVER = DLG_DIR_SERVER, /* server to client: replies */
};

/* Client bytes held while the reply that decides their meaning (to DATA,
 * STARTTLS, AUTH) is outstanding; past this they are read as the likely
 * case and the record says hold-overflow. */
#define SMTP_HOLD_MAX (64 * 1024)
/* Commands awaiting a reply (RFC 2920 pipelining); Zeek caps at 1000 too. */
#define SMTP_PENDING_MAX 1000

struct smtp_session;

/* A new session machine with an empty dialogue; caller owns it. */
struct smtp_session *smtp_session_new(void);
/* The dialogue being built, to fill in endpoints and times (borrowed). */
struct dialogue *smtp_session_dialogue(struct smtp_session *ss);
/* Feed bytes of one direction, stamped with the capture time (usec).  All
 * bytes are always consumed: partial lines are kept in bounded buffers. */
void smtp_session_push(struct smtp_session *ss, enum smtp_dir dir,
    const char *data, size_t len, gint64 ts);
/* The capture lost len bytes of one direction here (the receiver
 * acknowledged past them, or data waiting behind them was given up on).
 * The machine records the hole, drops the line it cut, and
 * re-synchronises on the next recognisable command or reply; pairings the
 * hole made uncertain are marked, transactions it touched are flagged. */
void smtp_session_gap(
    struct smtp_session *ss, enum smtp_dir dir, uint64_t len, gint64 ts);
/* The replies read since a hole in the server's bytes are all there (the
 * packet layer calls this once what waited behind the hole was
 * delivered): pair them.  Pushing client bytes does the same. */
void smtp_session_gap_settle(struct smtp_session *ss);
/* The connection was picked up mid-stream (its handshake was not
 * captured): start without knowing the state.  Call before any push. */
void smtp_session_midstream(struct smtp_session *ss);
/* Nothing from this side has been captured so far (a one-sided capture).
 * Without the server, the client's next bytes decide what DATA, STARTTLS
 * and AUTH led to, instead of a reply; without the client, replies stand
 * for commands not captured.  Neither is then an anomaly. */
void smtp_session_side_unseen(
    struct smtp_session *ss, enum smtp_dir dir, bool unseen);
/* The bytes the machine and its dialogue hold, as charged (budget.h). */
size_t smtp_session_mem(const struct smtp_session *ss);
/* After STARTTLS: the rest of the connection is encrypted. */
bool smtp_session_encrypted(const struct smtp_session *ss);
/* The connection this new machine picks up is encrypted (it continues
 * one that was cut after STARTTLS): count its bytes, parse none.  Call
 * before any push, instead of smtp_session_midstream(). */
void smtp_session_continue_tls(struct smtp_session *ss);
/* End of the session: flush partial lines, close what is open, free the
 * machine, and return the dialogue (caller owns it). */
struct dialogue *smtp_session_finish(struct smtp_session *ss, gint64 ts);
/* Free a machine and its dialogue without finishing (accepts NULL). */
void smtp_session_free(struct smtp_session *ss);

/* Keep the message bodies of this session (DATA with dot-stuffing undone,
 * BDAT chunks as sent) in dlg_data.body, each up to max bytes; a longer
 * one is dropped.  Off unless called (replay --original-body). */
void smtp_session_keep_bodies(struct smtp_session *ss, size_t max);
/* --extract: write each message and attachment read into o's directory
 * (extract.h); o outlives the session.  NULL: do not. */
struct extract_opts;
void smtp_session_extract(
    struct smtp_session *ss, const struct extract_opts *o);

#endif
