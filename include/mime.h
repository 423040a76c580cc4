/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mime.h: the MIME structure of a message (RFC 2045-2049), read as its
 * bytes pass and never kept whole: every entity's type, charset, transfer
 * encoding, disposition and file name, each leaf's decoded size and its
 * MD5, SHA-1 and SHA-256, and the URLs of its text parts.  What is kept
 * is bounded (the MIME_*_MAX below); a record says which limit was
 * reached (docs/output-format.md, "MIME parts").
 *
 * The scanner is fed the message as the server received it: dot-stuffing
 * undone, the end-of-data line gone, BDAT chunks joined. */
#ifndef RS_MIME_H
#define RS_MIME_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

/* Entities recorded per message (all are read and counted). */
#define MIME_PARTS_MAX 1000
/* Nesting followed: a multipart or message/rfc822 deeper is one leaf. */
#define MIME_DEPTH_MAX 32
/* Encoded messages (message/rfc822 in base64 or quoted-printable) read
 * inside one another, at most. */
#define MIME_NEST_MAX 4
/* Distinct URLs kept per message, and the bytes kept of each. */
#define MIME_URLS_MAX 256
#define MIME_URL_MAX 2048
/* Bytes of Content-* fields read per entity header; bytes of a file name
 * kept. */
#define MIME_HEADER_MAX (16 * 1024)
#define MIME_NAME_MAX 1024
/* Capture gaps remembered per message (mime_info.gaps). */
#define MIME_GAPS_MAX 64

/* mime_info.limits: which limit was reached. */
#define MIME_LIMIT_PARTS 0x01
#define MIME_LIMIT_DEPTH 0x02
#define MIME_LIMIT_URLS 0x04
#define MIME_LIMIT_HEADER 0x08
#define MIME_LIMIT_URL_LEN 0x10
#define MIME_LIMIT_NAME 0x20
#define MIME_LIMIT_GAPS 0x40

/* mime_part.flags. */
#define MIME_PART_LEAF 0x01	  /* content, hashed (not a container) */
#define MIME_PART_ATTACHMENT 0x02 /* disposition attachment, or named */
#define MIME_PART_UNCLOSED                                                     \
	0x04 /* a multipart whose closing delimiter                            \
	      * never came, or a part inside one */
#define MIME_PART_GAP                                                          \
	0x08			  /* bytes of it were not captured: sizes      \
				   * are lower bounds, no hashes */
#define MIME_PART_BAD_BASE64 0x10 /* base64 with other characters in it */
#define MIME_PART_NO_BOUNDARY                                                  \
	0x20			/* a multipart without a boundary: read        \
				 * as one leaf */
#define MIME_PART_NO_BODY 0x40	/* its header never ended */
#define MIME_PART_NUL_NAME 0x80 /* its file name held a NUL: cut there */

struct mime_part {
	unsigned index;	    /* 1, 2, ... in the order they begin (the message
			     * itself is 1; Zeek's files.log "depth") */
	unsigned parent;    /* the index of its container, 0 for the message */
	unsigned level;	    /* nesting: 0 is the message */
	char *type;	    /* "type/subtype", lower case; owned */
	char *charset;	    /* owned, or NULL (also the rest) */
	char *encoding;	    /* Content-Transfer-Encoding, lower case */
	char *disposition;  /* lower case */
	char *filename;	    /* decoded (RFC 2231, RFC 2047): bytes as the
			     * sender wrote them, never a path to follow */
	uint64_t size;	    /* decoded bytes (leaves) */
	uint64_t wire_size; /* its body's bytes as sent */
	gint64 ts_first, ts_last; /* when its first and last bytes came */
	char md5[33], sha1[41], sha256[65]; /* hex; "" when not hashed */
	unsigned flags;			    /* MIME_PART_* */
	/* --extract (extract.h): the SMTP machine's file, then the kept
	 * one's name (owned, or NULL), why there is none, the outcome in
	 * words (static, set by extractor_commit()). */
	char *extract;
	unsigned extract_note;
	const char *extract_status;
	void *sink_data; /* the sink's, between its begin and end */
};

struct mime_gap {
	uint64_t offset; /* message bytes before it */
	uint64_t bytes;	 /* bytes not captured */
};

struct mime_info {
	GPtrArray *parts;      /* struct mime_part *, index order; owned */
	unsigned entities;     /* all entities seen, kept or not */
	GPtrArray *urls;       /* char *, distinct, in the order found; owned */
	uint64_t urls_dropped; /* URL occurrences past MIME_URLS_MAX */
	GArray *gaps;	       /* struct mime_gap, or NULL */
	uint64_t bytes;	       /* message bytes read */
	unsigned limits;       /* MIME_LIMIT_* */
	bool structure_lost;   /* a gap: nothing after it was parsed */
	/* Suricata's email.body_md5: MD5 of the body as sent, after the
	 * header, dot-stuffing kept (set by the SMTP machine); "" if the
	 * header never ended or bytes were lost. */
	char body_md5[33];
};

/* Called for the decoded content of attachments (MIME_PART_ATTACHMENT
 * leaves) as it is read; all may be NULL. */
struct mime_sink {
	void (*begin)(struct mime_part *p, void *arg);
	void (*data)(struct mime_part *p, const char *b, size_t n, void *arg);
	void (*end)(struct mime_part *p, void *arg); /* hashes are set */
	/* A part the sink saw that is not kept after all (past
	 * MIME_PARTS_MAX once an encapsulated message joins the record). */
	void (*drop)(struct mime_part *p, void *arg);
	void *arg;
};

/* The names the outputs give a MIME_PART_* bit (LEAF and ATTACHMENT
 * have none: NULL) and a MIME_LIMIT_* bit. */
const char *mime_part_flag_name(unsigned bit);
const char *mime_limit_name(unsigned bit);

struct mime_scan;

struct mime_scan *mime_scan_new(const struct mime_sink *sink);
/* Message bytes, in order, arriving at ts. */
void mime_scan_feed(struct mime_scan *s, const char *p, size_t n, gint64 ts);
/* n bytes here were not captured. */
void mime_scan_gap(struct mime_scan *s, uint64_t n);
/* The message ended; its record (caller frees with mime_info_free()). The
 * scanner is freed. */
struct mime_info *mime_scan_finish(struct mime_scan *s);
/* What the scanner holds now, and a record's size, for the budget. */
size_t mime_scan_mem(const struct mime_scan *s);
size_t mime_info_mem(const struct mime_info *m);
void mime_info_free(struct mime_info *m);
struct mime_info *mime_info_new(void);
struct mime_part *mime_part_new(void);
void mime_part_free(gpointer p);

#endif
