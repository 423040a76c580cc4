/* SPDX-License-Identifier: GPL-2.0-or-later */
/* output.h: turning dialogues and run statistics into text or JSON Lines.
 * Every byte taken from the wire passes through output_escape() or
 * jw_escape() (jsonw.h) before it is printed. */
#ifndef RS_OUTPUT_H
#define RS_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "budget.h"
#include "dialogue.h"
#include "diagnosis.h"
#include "relay.h"
#include "resolve.h"

enum output_format {
	OUTPUT_TEXT,
	OUTPUT_JSON,
	OUTPUT_ZEEK, /* Zeek's smtp.log (output_zeek.c) */
};

/* libnids warnings, by kind (nids.h NIDS_WARN_*). */
enum rs_nids_warn {
	RS_NIDS_WARN_IP_HDR,
	RS_NIDS_WARN_IP_OTHER, /* oversized, overlap, invalid list, srr */
	RS_NIDS_WARN_TCP_HDR,
	RS_NIDS_WARN_TCP_BIGQUEUE,
	RS_NIDS_WARN_TCP_TOOMUCH,
	RS_NIDS_WARN_OTHER,
	RS_NIDS_WARN_COUNT
};

/* Limits of the per-server table: servers tracked, refused clients and
 * domains accepted without evidence listed per server; past them, counts
 * only. */
#define RUN_MAX_SERVERS 4096
#define RUN_MAX_REFUSED 64
/* Kinds of failure (outcome, cause, blocklist) counted apart per server
 * and run; past them a failure is counted under its outcome and cause
 * alone ("list" empty).  A list name longer than this is cut. */
#define RUN_MAX_FAILURE_KINDS 64
#define RUN_FAILURE_LIST_MAX 64
/* Sessions named per finding kind in the summary. */
#define RUN_FINDING_IDS 8
#define RUN_MAX_UNKNOWN 32

struct run_stats;

/* What became of the mail (diagnosis.h), summed: every transaction, and
 * every session without one, is one result. */
struct diag_totals {
	uint64_t txs[DIAG_OUTCOME_COUNT];      /* transactions by outcome */
	uint64_t sessions[DIAG_OUTCOME_COUNT]; /* sessions by outcome */
	uint64_t no_tx[DIAG_OUTCOME_COUNT];    /* sessions without a
						* transaction, by outcome */
	GHashTable *failures; /* "outcome\tcause\tlist" -> struct
			       * diag_failure *, owned */
};

/* One kind of failure and how often. */
struct diag_failure {
	const char *outcome, *cause; /* static */
	const char *list;	     /* the table key's; "" if none */
	uint64_t count;
};

void diag_totals_init(struct diag_totals *t);
void diag_totals_clear(struct diag_totals *t);
/* Add a diagnosed dialogue. */
void diag_totals_add(struct diag_totals *t, const struct dialogue *d);
/* The failures, most frequent first, then by outcome, cause and list
 * (borrowed struct diag_failure * in a new array the caller frees with
 * g_ptr_array_unref; valid while t is). */
GPtrArray *diag_totals_failures(const struct diag_totals *t);

/* Relay activity of one server (ip:port) over the run.  Every count is a
 * sum of per-recipient verdicts, so they agree with the records. */
struct server_stats {
	struct rs_endpoint server;
	uint64_t sessions;
	uint64_t rcpts;				/* judged recipients */
	uint64_t verdicts[RELAY_VERDICT_COUNT]; /* of them, by verdict */
	uint64_t confirmed;    /* sessions with a confirmed open relay */
	GPtrArray *refused;    /* char *, clients refused, sorted */
	uint64_t refused_more; /* refused clients not listed */
	/* Recipients accepted from strangers with locality unknown, by
	 * domain (char * -> count), and the first session with one. */
	GHashTable *unknown;
	uint64_t unknown_rcpts;
	uint64_t unknown_more; /* of them, in domains not listed */
	char unknown_session[17];
	struct diag_totals diag; /* what became of its mail */
};

/* Relay attempts (recipients judged not local, accepted or refused as
 * relaying), relay-accepted-open recipients, relay-denied recipients. */
uint64_t server_stats_relay_attempts(const struct server_stats *v);
/* The domains accepted without evidence, most recipients first, then by
 * name (borrowed strings in a new array the caller frees); their counts
 * are in v->unknown. */
GPtrArray *server_stats_unknown(const struct server_stats *v);
/* The commands that would decide those domains: "--local-domains a,b",
 * "--resolve", "relayscope replay FILE... --session ID --probe" (a new
 * array of new strings). */
GPtrArray *server_stats_decide(
    const struct server_stats *v, const struct run_stats *s);

/* What the whole run saw; filled by capture, stream and main. */
struct run_stats {
	GPtrArray *files;	 /* char *, names as given */
	uint64_t frames;	 /* frames read (after the BPF filter) */
	uint64_t ipv4;		 /* IPv4 packets handed on */
	uint64_t ipv6;		 /* IPv6 packets handed on */
	uint64_t tunnelled;	 /* frames whose IP came out of a tunnel */
	uint64_t ipv6_fragments; /* IPv6 fragments: not reassembled */
	uint64_t ipv6_unmapped;	 /* IPv6 TCP past the address map's limit */
	uint64_t other_l3;	 /* ARP and other non-IP frames */
	uint64_t undecodable;	 /* frames too short or malformed */
	uint64_t truncated;	 /* IPv4 packets cut by the snap length */
	uint64_t pcap_drops;	 /* live capture: dropped by the kernel */
	uint64_t sessions;
	uint64_t ends[DLG_END_COUNT];
	uint64_t picked_up;    /* sessions picked up mid-stream */
	uint64_t with_gaps;    /* sessions with capture gaps */
	uint64_t gap_bytes[2]; /* bytes lost in them, client and server */
	uint64_t one_sided;    /* sessions with one side not captured */
	uint64_t gap_txs;      /* transactions touched by gaps */
	uint64_t transactions;
	uint64_t rcpts;
	uint64_t rcpt_class[6]; /* [2]..[5] by reply class; [0] no reply */
	uint64_t nids_warn[RS_NIDS_WARN_COUNT];
	uint64_t overlap_conflicts[2]; /* TCP copies, IPv4 fragments */
	uint64_t ipv4_frag_dropped;    /* fragmented datagrams given up */
	uint64_t handshakes_forgotten; /* half-open, the table full */
	uint64_t detect_rejected;      /* connections on other ports whose
					* content was not SMTP */
	uint64_t detected;	       /* sessions found by content */
	GHashTable *detected_ports;    /* server port -> sessions found by
					* content on it */
	uint64_t non_smtp;	       /* connections on SMTP ports that spoke
					* another protocol (not shown) */
	GHashTable *non_smtp_ports;    /* server port -> their count */
	bool incomplete;	       /* the run stopped on an error or a
					* signal before its input's end */
	const char *interrupted;       /* "SIGINT", ... that stopped it; static,
					* or NULL */
	GHashTable *servers;	       /* "ip|port" -> struct server_stats * */
	uint64_t servers_untracked;    /* sessions of servers past the limit */
	uint64_t helo[HELO_RESULT_COUNT]; /* EHLO checks by result */
	uint64_t dns_capture;		  /* DNS facts from the capture */
	uint64_t dns_capture_dropped;	  /* ... not kept (limit) */
	uint64_t dns_map;		  /* facts from --dns-map */
	bool live;			  /* --resolve was given */
	struct resolver_stats live_stats;
	struct budget memory;	 /* the memory budget at the end of the run */
	struct diag_totals diag; /* what became of the mail */
	/* Findings by kind, and the first sessions with each (char *). */
	uint64_t findings[RELAY_FINDING_COUNT];
	uint64_t finding_sessions; /* sessions with any */
	uint64_t finding_kind_sessions[RELAY_FINDING_COUNT]; /* with each */
	GPtrArray *finding_ids[RELAY_FINDING_COUNT];
	bool selecting;	     /* --findings, --session, ...: the counts
			      * above are of the selected sessions */
	uint64_t unselected; /* sessions judged but not selected */
	/* --extract: where, and what was kept (extract.h). */
	const char *extract_dir; /* NULL: not extracting */
	uint64_t extracted_messages, extracted_attachments, extracted_bytes;
	uint64_t extract_skipped, extract_failed;
	/* -w FILE: where, and what was written (savefile.h). */
	const char *write_file;	  /* NULL: not writing */
	const char *write_format; /* "pcap", "pcapng", NULL: not written */
	uint64_t written_packets, written_bytes, written_sessions;
	uint64_t write_sessions_over; /* selected, not written: the limit */
};

/* Set up and free the parts of run_stats that allocate. */
void run_stats_init(struct run_stats *s);
void run_stats_clear(struct run_stats *s);
/* Count a connection that spoke no SMTP (dialogue_speaks_smtp()). */
void run_stats_add_non_smtp(struct run_stats *s, const struct dialogue *d);
/* The servers seen, sorted by address then port (borrowed pointers in a
 * new array; caller frees the array). */
GPtrArray *run_stats_servers(const struct run_stats *s);
/* The ports of a table of ports and counts (detected_ports,
 * non_smtp_ports), ascending, as GUINT_TO_POINTER values in a new array
 * the caller frees. */
GPtrArray *run_stats_ports(GHashTable *h);

/* Options of the writers. */
struct output_opts {
	enum output_format format;
	bool color; /* ANSI colour (text, terminals only) */
};

/* Append bytes for a terminal or a text file: printable ASCII as is,
 * '\\' doubled, CR, LF, TAB as \r \n \t, anything else as \xNN. */
void output_escape(GString *out, const char *p, size_t len);
/* "ip:port", or "[ip]:port" for IPv6. */
void output_endpoint(GString *out, const struct rs_endpoint *e);
/* RFC 3339 UTC with microseconds ("2026-11-22T10:00:00.123456Z"). */
void output_time(GString *out, gint64 usec);

/* Render one session record; caller owns the string. */
char *output_session(const struct output_opts *o, const struct dialogue *d);
/* Render the run summary; caller owns the string. */
char *output_summary(const struct output_opts *o, const struct run_stats *s);
/* Add a finished dialogue to the run statistics. */
void run_stats_add(struct run_stats *s, const struct dialogue *d);

/* Writers (output_text.c, output_json.c). */
char *output_text_session(
    const struct output_opts *o, const struct dialogue *d);
char *output_text_summary(
    const struct output_opts *o, const struct run_stats *s);
char *output_json_session(const struct dialogue *d);
char *output_json_summary(const struct run_stats *s);
/* Zeek's smtp.log: the session's lines (the header lines before the first
 * record of the run), and "#close" (with the header if no record came). */
char *output_zeek_session(const struct dialogue *d);
char *output_zeek_summary(void);
/* A Zeek log of our own (--zeek-dir): path "smtp" or "files"; the
 * capture times of its start and end (usec). */
struct zeek_log {
	const char *path;
	bool header_done;
	gint64 open_ts, close_ts;
};
/* smtp.log's lines of a session, files.log's, and a log's "#close". */
char *output_zeek_log(struct zeek_log *z, const struct dialogue *d);
char *output_zeek_files(struct zeek_log *z, const struct dialogue *d);
char *output_zeek_close(struct zeek_log *z);
/* The names of libnids warning kinds ("tcp-header"). */
const char *output_nids_warn_name(enum rs_nids_warn w);

#endif
