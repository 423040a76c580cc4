/* SPDX-License-Identifier: GPL-2.0-or-later */
/* options.h: command-line options, their defaults and validation. */
#ifndef RS_OPTIONS_H
#define RS_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "output.h"
#include "select.h"

enum rs_color {
	RS_COLOR_AUTO,
	RS_COLOR_ALWAYS,
	RS_COLOR_NEVER,
};

struct rs_options {
	char **files;	      /* NULL-terminated; owned */
	char *iface;	      /* -i */
	char *bpf;	      /* -f */
	uint64_t count;	      /* -c, 0 = all */
	bool promisc;	      /* not --no-promisc */
	uint8_t ports[65536]; /* --ports, 1 = SMTP server port */
	bool detect;	      /* not --no-detect: SMTP found by content */
	enum output_format format;
	enum rs_color color;
	bool verify_checksums;
	int max_streams;
	char *local_domains;  /* --local-domains, or NULL: infer */
	char *config;	      /* --config FILE (GKeyFile), or NULL */
	char *trusted_nets;   /* --trusted-nets, or NULL */
	char *dns_map;	      /* --dns-map FILE, or NULL */
	bool resolve;	      /* --resolve: live lookups allowed */
	char *dns_server;     /* --dns-server, or NULL: the system's */
	unsigned dns_timeout; /* --dns-timeout, ms per try */
	unsigned fail_on;     /* --fail-on: bits 1 << enum relay_finding_kind */
	unsigned fail_on_diag;	/* --fail-on: bits 1 << enum diag_fail_kind */
	unsigned onward_window; /* --onward-window, seconds */
	char *user;		/* -Z: drop to this user after opening the
				 * interface, or NULL: the default */
	bool no_drop;		/* --no-drop: keep the privileges */
	uint64_t max_memory;	/* --max-memory, bytes */
	char *extract_dir;	/* --extract DIR, or NULL */
	char *zeek_dir;		/* --zeek-dir DIR, or NULL */
	char *write_file;	/* -w FILE, or NULL */
	uint64_t extract_max;	/* --extract-max, bytes */
	unsigned jobs;		/* -j: processes reading the input; 0: as
				 * many as cores for files, 1 for standard
				 * input or an interface */
	int verbosity;
	struct rs_select select; /* --findings, --session, ... */
};

/* Defaults of the SMTP ports (RFC 5321 relay, RFC 6409 submission). */
#define RS_DEFAULT_PORTS "25,587"
#define RS_DEFAULT_MAX_STREAMS 131072
#define RS_DEFAULT_DNS_TIMEOUT 2000
/* How long after a session ends (capture time) the server's onward
 * delivery of what it accepted is looked for. */
#define RS_DEFAULT_ONWARD_WINDOW 30
/* What --extract writes at most. */
#define RS_DEFAULT_EXTRACT_MAX ((uint64_t)1 << 30)
/* The run's memory budget for what it keeps (docs/security.md). */
#define RS_DEFAULT_MAX_MEMORY (1024ull * 1024 * 1024)

/* Parse argv into *o (which the caller zeroed).  Returns FALSE with a
 * one-line message in *error for a usage error.  --help and --version
 * print and set *exit_now. */
gboolean options_parse(struct rs_options *o, int argc, char **argv,
    gboolean *exit_now, GError **error);
/* Parse "25,587" into a port map; FALSE with *error on a bad list. */
gboolean options_parse_ports(const char *list, uint8_t *ports, GError **error);
/* A NULL-terminated copy of the files of -r (first) and of the plain
 * arguments (then). */
char **options_files(char **first, char **then);
/* "1024", "64M", "1G" into bytes (at least 16 MiB); FALSE with *error
 * otherwise. */
/* A size in bytes, or with K, M or G, of at least min; opt names the
 * option in the error. */
gboolean options_parse_size(const char *opt, const char *s, uint64_t min,
    uint64_t *out, GError **error);
/* "text" (or NULL) or "json"; FALSE with *error otherwise. */
gboolean options_parse_format(
    const char *s, enum output_format *out, GError **error);
/* Free what options_parse() allocated. */
void options_clear(struct rs_options *o);

#endif
