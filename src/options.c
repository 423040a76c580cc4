/* SPDX-License-Identifier: GPL-2.0-or-later */
/* options.c: one GOptionEntry table, defaults and validation. */
#include <stdio.h>
#include <string.h>

#include "diagnosis.h"
#include "options.h"
#include "relay.h"

#define RS_VERSION "0.1.0"

gboolean
options_parse_ports(const char *list, uint8_t *ports, GError **error)
{
	g_auto(GStrv) v = NULL;
	guint64 n;
	int i;

	memset(ports, 0, 65536);
	v = g_strsplit(list, ",", -1);
	for (i = 0; v[i] != NULL; i++) {
		g_strstrip(v[i]);
		if (!g_ascii_string_to_unsigned(v[i], 10, 1, 65535, &n, NULL)) {
			g_set_error(error, G_OPTION_ERROR,
			    G_OPTION_ERROR_BAD_VALUE,
			    "--ports: \"%s\" is not a port number (1-65535)",
			    v[i]);
			return FALSE;
		}
		ports[n] = 1;
	}
	if (i == 0) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--ports: empty list");
		return FALSE;
	}
	return TRUE;
}

char **
options_files(char **first, char **then)
{
	GPtrArray *files = g_ptr_array_new();
	int i;

	for (i = 0; first != NULL && first[i] != NULL; i++)
		g_ptr_array_add(files, g_strdup(first[i]));
	for (i = 0; then != NULL && then[i] != NULL; i++)
		g_ptr_array_add(files, g_strdup(then[i]));
	g_ptr_array_add(files, NULL);
	return (char **)g_ptr_array_free(files, FALSE);
}

/* Does entry e take a value in the next argument when none is glued to
 * it?  (An optional value must be glued, GOption's rule.) */
static bool
options_takes_value(const GOptionEntry *e)
{
	return e->arg != G_OPTION_ARG_NONE &&
	       !(e->flags &
		   (G_OPTION_FLAG_NO_ARG | G_OPTION_FLAG_OPTIONAL_ARG));
}

/* The value a short option given as -Xvalue takes, as getopt(3) and so
 * tcpdump take it (-c5, -rFILE, -vc5): GOption would read "5" as more
 * options.  argv rewritten with every such value as an argument of its
 * own, and flags grouped with it one by one (-vc5 as -v -c 5); a value
 * given as the next argument is skipped, never rewritten (-c -5, -f
 * "-x"), and so is everything after "--".  Owned by the caller
 * (g_strfreev). */
static char **
options_unglue(const GOptionEntry *entries, int argc, char **argv)
{
	GPtrArray *out = g_ptr_array_new();
	const GOptionEntry *e, *hit;
	const char *a, *eq;
	bool done = false;
	int i, j;

	for (i = 0; i < argc; i++) {
		a = argv[i];
		if (i == 0 || done || a[0] != '-' || a[1] == '\0') {
			g_ptr_array_add(out, g_strdup(a));
			continue;
		}
		if (a[1] == '-') {
			/* --name value: the value is skipped. */
			done = a[2] == '\0';
			g_ptr_array_add(out, g_strdup(a));
			eq = strchr(a, '=');
			for (e = entries;
			     !done && eq == NULL && e->long_name != NULL; e++)
				if (strcmp(e->long_name, a + 2) == 0 &&
				    options_takes_value(e) && i + 1 < argc)
					g_ptr_array_add(
					    out, g_strdup(argv[++i]));
			continue;
		}
		for (j = 1; a[j] != '\0'; j++) {
			hit = NULL;
			for (e = entries; e->long_name != NULL; e++)
				if (e->short_name == a[j])
					hit = e;
			g_ptr_array_add(out, g_strdup_printf("-%c", a[j]));
			if (hit == NULL || !options_takes_value(hit))
				continue;
			if (a[j + 1] != '\0')
				g_ptr_array_add(out, g_strdup(a + j + 1));
			else if (i + 1 < argc)
				g_ptr_array_add(out, g_strdup(argv[++i]));
			break;
		}
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* Is a the name of a capture file: standard input; not a word that
 * starts a pcap-filter(7) primitive (so that "src host ..." is a filter
 * even where a directory src exists: a file of such a name is ./src);
 * something that exists, or a name that can only be a file's (a '/', a
 * capture's suffix), so that a misspelt file is "no such file", not a
 * filter. */
static bool
options_is_file(const char *a)
{
	static const char *const suffixes[] = { ".pcap", ".pcapng", ".cap",
		".gz" };
	static const char *const words[] = { "not", "host", "net", "port",
		"portrange", "src", "dst", "gateway", "proto", "protochain",
		"ether", "ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp",
		"icmp6", "igmp", "sctp", "vlan", "mpls", "pppoed", "pppoes",
		"geneve", "less", "greater", "len", "broadcast", "multicast",
		"inbound", "outbound", "ifname", "on", "link", "wlan", "type",
		"subtype", "dir" };
	size_t n = strlen(a), k, i;

	if (strcmp(a, "-") == 0)
		return true;
	if (a[0] == '(' || a[0] == '!')
		return false;
	for (i = 0; i < G_N_ELEMENTS(words); i++)
		if (g_ascii_strcasecmp(a, words[i]) == 0)
			return false;
	if (strchr(a, '/') != NULL || g_file_test(a, G_FILE_TEST_EXISTS))
		return true;
	for (i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		k = strlen(suffixes[i]);
		if (n > k && g_ascii_strcasecmp(a + n - k, suffixes[i]) == 0)
			return true;
	}
	return false;
}

/* tcpdump's trailing filter expression: the arguments after the options
 * are files as long as each is one (options_is_file()); the first that
 * is not starts the expression (tcpdump takes every argument after -r:
 * here -r a.pcap b.pcap, as a shell glob gives it, stays two files), which is
 * it and every argument after it joined with spaces.  rest is cut there; the
 * expression (owned by the caller), or NULL if every argument is a file. */
static char *
options_split_expression(char **rest)
{
	char *expr;
	int i, j;

	for (i = 0; rest != NULL && rest[i] != NULL; i++)
		if (!options_is_file(rest[i]))
			break;
	if (rest == NULL || rest[i] == NULL)
		return NULL;
	expr = g_strjoinv(" ", rest + i);
	for (j = i; rest[j] != NULL; j++)
		g_clear_pointer(&rest[j], g_free);
	return expr;
}

gboolean
options_parse_size(
    const char *opt, const char *s, uint64_t min, uint64_t *out, GError **error)
{
	guint64 v, mul = 1;
	g_autofree char *num = g_strdup(s);
	size_t n = strlen(num);

	if (n > 0 && strchr("kKmMgG", num[n - 1]) != NULL) {
		mul = g_ascii_tolower(num[n - 1]) == 'k'   ? 1024
		      : g_ascii_tolower(num[n - 1]) == 'm' ? 1024 * 1024
							   : 1024 * 1024 * 1024;
		num[n - 1] = '\0';
	}
	if (!g_ascii_string_to_unsigned(
		num, 10, 1, G_MAXUINT64 / mul, &v, NULL) ||
	    v * mul < min) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "%s: \"%s\" is not a size of at least %s "
		    "(bytes, or with K, M or G)",
		    opt, s, min >= 1024 * 1024 ? "16M" : "1");
		return FALSE;
	}
	*out = v * mul;
	return TRUE;
}

gboolean
options_parse_format(const char *s, enum output_format *out, GError **error)
{
	if (s == NULL || strcmp(s, "text") == 0)
		*out = OUTPUT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = OUTPUT_JSON;
	else if (strcmp(s, "zeek") == 0)
		*out = OUTPUT_ZEEK;
	else {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--format: \"%s\" is not text, json or zeek", s);
		return FALSE;
	}
	return TRUE;
}

gboolean
options_parse(struct rs_options *o, int argc, char **argv, gboolean *exit_now,
    GError **error)
{
	g_autoptr(GOptionContext) ctx = NULL;
	g_auto(GStrv) rfiles = NULL;
	g_auto(GStrv) rest = NULL;
	g_auto(GStrv) args = NULL;
	g_autofree char *expr = NULL;
	g_autofree char *ports = NULL;
	g_autofree char *format = NULL;
	g_autofree char *color = NULL;
	g_autofree char *fail_on = NULL;
	gint64 count = 0;
	gboolean no_promisc = FALSE, verify = FALSE, version = FALSE;
	gboolean no_detect = FALSE;
	gboolean no_drop = FALSE;
	gboolean verbose = FALSE, quiet = FALSE;
	gint max_streams = RS_DEFAULT_MAX_STREAMS;
	gint dns_timeout = RS_DEFAULT_DNS_TIMEOUT;
	gint onward_window = RS_DEFAULT_ONWARD_WINDOW;
	g_autofree char *max_memory = NULL;
	g_autofree char *extract_max = NULL;
	gint jobs = -1;
	gboolean resolve = FALSE;
	gboolean findings_only = FALSE;
	g_auto(GStrv) sel_session = NULL, sel_server = NULL, sel_client = NULL;
	g_auto(GStrv) sel_finding = NULL, sel_from = NULL, sel_rcpt = NULL;
	int i;
	const GOptionEntry entries[] = {
		{ "read", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &rfiles,
		    "Read a capture file (pcap or pcapng; - for standard "
		    "input); repeatable",
		    "FILE" },
		{ "interface", 'i', 0, G_OPTION_ARG_STRING, &o->iface,
		    "Capture live on an interface", "IFACE" },
		{ "filter", 'f', 0, G_OPTION_ARG_STRING, &o->bpf,
		    "BPF filter for files and live capture", "EXPR" },
		{ "count", 'c', 0, G_OPTION_ARG_INT64, &count,
		    "Stop after N packets", "N" },
		{ "no-promisc", 0, 0, G_OPTION_ARG_NONE, &no_promisc,
		    "Do not put the interface in promiscuous mode", NULL },
		{ "ports", 'p', 0, G_OPTION_ARG_STRING, &ports,
		    "TCP server ports that carry SMTP "
		    "(default " RS_DEFAULT_PORTS ")",
		    "LIST" },
		{ "format", 'F', 0, G_OPTION_ARG_STRING, &format,
		    "Output format: text (default), json, or zeek (Zeek's "
		    "smtp.log)",
		    "FORMAT" },
		{ "color", 0, 0, G_OPTION_ARG_STRING, &color,
		    "Colour: auto (default: on a terminal), always, never",
		    "WHEN" },
		{ "no-detect", 0, 0, G_OPTION_ARG_NONE, &no_detect,
		    "Only --ports are SMTP: do not look for SMTP by its "
		    "content on other ports",
		    NULL },
		{ "verify-checksums", 0, 0, G_OPTION_ARG_NONE, &verify,
		    "Drop packets with bad IP/TCP checksums (off by default: "
		    "loopback and offloaded captures carry bad ones)",
		    NULL },
		{ "max-streams", 0, 0, G_OPTION_ARG_INT, &max_streams,
		    "Size of the TCP stream table (default 131072)", "N" },
		{ "config", 0, 0, G_OPTION_ARG_FILENAME, &o->config,
		    "Relay policy per server: local domains and trusted "
		    "networks (docs/verdicts.md)",
		    "FILE" },
		{ "local-domains", 0, 0, G_OPTION_ARG_STRING, &o->local_domains,
		    "Domains the servers accept mail for (.example.com: "
		    "with its subdomains); default: inferred from the "
		    "capture",
		    "LIST" },
		{ "trusted-nets", 0, 0, G_OPTION_ARG_STRING, &o->trusted_nets,
		    "Client networks the servers relay for "
		    "(10.0.0.0/8,2001:db8::/32)",
		    "LIST" },
		{ "dns-map", 0, 0, G_OPTION_ARG_FILENAME, &o->dns_map,
		    "Names and addresses for the EHLO check: hosts-file "
		    "lines or NAME [TTL] [IN] TYPE DATA records",
		    "FILE" },
		{ "resolve", 0, 0, G_OPTION_ARG_NONE, &resolve,
		    "Look up in the live DNS what the capture and the map do "
		    "not answer (off by default: analysis makes no lookups)",
		    NULL },
		{ "dns-server", 0, 0, G_OPTION_ARG_STRING, &o->dns_server,
		    "With --resolve: ask this server, not the system's "
		    "resolvers",
		    "ADDR[:PORT]" },
		{ "dns-timeout", 0, 0, G_OPTION_ARG_INT, &dns_timeout,
		    "With --resolve: wait this long per try, two tries "
		    "(default 2000)",
		    "MS" },
		{ "onward-window", 0, 0, G_OPTION_ARG_INT, &onward_window,
		    "Look this long (capture time) after a session for the "
		    "server passing on what it accepted (default 30; 0: "
		    "only what came before)",
		    "SECONDS" },
		{ "user", 'Z', 0, G_OPTION_ARG_STRING, &o->user,
		    "Live capture as root: drop to this user once the "
		    "interface is open (default: relayscope, else nobody)",
		    "USER" },
		{ "no-drop", 0, 0, G_OPTION_ARG_NONE, &no_drop,
		    "Live capture: keep the privileges it started with", NULL },
		{ "max-memory", 0, 0, G_OPTION_ARG_STRING, &max_memory,
		    "Memory budget for what the run keeps (default 1G; "
		    "suffixes K, M, G)",
		    "BYTES" },
		{ "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs,
		    "Read the input with N worker processes, each "
		    "reassembling a share of the connections; the output is "
		    "the same (default: one per core but one, 1 below three "
		    "cores; 1 for standard input, pipes and an interface)",
		    "N" },
		{ "fail-on", 0, 0, G_OPTION_ARG_STRING, &fail_on,
		    "Exit 1 when a finding of these kinds occurs (open-relay,"
		    "possible-open-relay,relay-denied,relay-trick,auth-relay,"
		    "auth-failed,cleartext-auth,ehlo-mismatch,"
		    "open-proxy-mail), or mail was deferred, rejected, failed "
		    "on TLS or met a slow server (deferred,rejected,"
		    "tls-failure,slow-server)",
		    "KINDS" },
		{ "extract", 0, 0, G_OPTION_ARG_FILENAME, &o->extract_dir,
		    "Write each message of the selected sessions as the "
		    "server received it (SESSION-T.eml) and each attachment "
		    "(named by its SHA-256) into DIR, listed in "
		    "DIR/index.jsonl; DIR is made if it is not there",
		    "DIR" },
		{ "zeek-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->zeek_dir,
		    "Also write Zeek's smtp.log and files.log (the selected "
		    "sessions) into DIR, made if it is not there; their "
		    "records go in the order sessions end",
		    "DIR" },
		{ "write", 'w', 0, G_OPTION_ARG_FILENAME, &o->write_file,
		    "Write the packets of the selected sessions to FILE, "
		    "whole and with their times (pcap as tcpdump -w writes "
		    "it, pcapng when the inputs are pcapng or of several "
		    "link types); - is standard output, and the report then "
		    "goes to standard error",
		    "FILE" },
		{ "extract-max", 0, 0, G_OPTION_ARG_STRING, &extract_max,
		    "Bytes --extract writes at most (default 1G; suffixes K, "
		    "M, G)",
		    "BYTES" },
		{ "findings", 0, 0, G_OPTION_ARG_NONE, &findings_only,
		    "Only sessions with findings", NULL },
		{ "session", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sel_session,
		    "Only the session with this id (or id prefix); "
		    "repeatable",
		    "ID" },
		{ "server", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sel_server,
		    "Only sessions to this server", "ADDR[:PORT]" },
		{ "client", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sel_client,
		    "Only sessions from this client", "ADDR" },
		{ "finding", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sel_finding,
		    "Only sessions with a finding or failure of this kind "
		    "(as --fail-on)",
		    "KIND" },
		{ "from", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sel_from,
		    "Only sessions with this envelope sender (<> for the "
		    "null sender)",
		    "ADDR" },
		{ "rcpt", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sel_rcpt,
		    "Only sessions with this recipient", "ADDR" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
		    "Debug messages on standard error", NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
		    "No warnings on standard error", NULL },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version,
		    "Print the version and exit", NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest,
		    NULL, "FILE..." },
		G_OPTION_ENTRY_NULL
	};

	*exit_now = FALSE;
	ctx = g_option_context_new("[EXPRESSION]");
	g_option_context_set_summary(ctx,
	    "Reconstruct every SMTP dialogue in a capture: commands, "
	    "replies, transactions.\n\n"
	    "  relayscope replay FILE... --session ID [OPTION...]\n"
	    "    Ask the live server again what a captured session asked; "
	    "its options: relayscope replay --help");
	g_option_context_set_description(ctx,
	    "Several files are read as one continuous capture, in the order "
	    "given.\nWhat follows the files is a BPF filter expression, as "
	    "tcpdump takes it (relayscope -r mail.pcap port 25), or give it "
	    "with -f.\nExit status: 0 success, 1 a --fail-on finding, 2 usage "
	    "error or the input could not be read to its end.\nOutput formats: "
	    "docs/output-format.md.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	args = options_unglue(entries, argc, argv);
	if (!g_option_context_parse_strv(ctx, &args, error))
		return FALSE;
	if (version) {
		printf("relayscope %s\n", RS_VERSION);
		*exit_now = TRUE;
		return TRUE;
	}

	expr = options_split_expression(rest);
	o->files = options_files(rfiles, rest);
	if (expr != NULL && o->bpf != NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "a filter twice: -f \"%s\" and \"%s\" after the files; "
		    "give one",
		    o->bpf, expr);
		return FALSE;
	}
	if (expr != NULL && o->iface == NULL && o->files[0] == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "no input, only a filter expression \"%s\" (the first "
		    "argument that is no file starts it); give capture "
		    "files, - for standard input, or -i IFACE (see --help)",
		    expr);
		return FALSE;
	}
	if (expr != NULL)
		o->bpf = g_steal_pointer(&expr);

	if (o->iface != NULL && o->files[0] != NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "give capture files or -i IFACE, not both");
		return FALSE;
	}
	if (o->iface == NULL && o->files[0] == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "no input: give capture files, - for standard input, "
		    "or -i IFACE (see --help)");
		return FALSE;
	}
	if (count < 0) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--count: must not be negative");
		return FALSE;
	}
	o->count = (uint64_t)count;
	o->promisc = !no_promisc;
	o->no_drop = no_drop;
	o->verify_checksums = verify;
	o->detect = !no_detect;
	if (max_streams < 16 || max_streams > 4 * 1024 * 1024) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--max-streams: must be between 16 and 4194304");
		return FALSE;
	}
	o->max_streams = max_streams;
	o->resolve = resolve;
	if (dns_timeout < 10 || dns_timeout > 60000) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--dns-timeout: must be between 10 and 60000 ms");
		return FALSE;
	}
	o->dns_timeout = (unsigned)dns_timeout;
	if (onward_window < 0 || onward_window > 86400) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--onward-window: must be between 0 and 86400 seconds");
		return FALSE;
	}
	o->onward_window = (unsigned)onward_window;
	o->max_memory = RS_DEFAULT_MAX_MEMORY;
	if (max_memory != NULL &&
	    !options_parse_size("--max-memory", max_memory, 16 * 1024 * 1024,
		&o->max_memory, error))
		return FALSE;
	o->extract_max = RS_DEFAULT_EXTRACT_MAX;
	if (extract_max != NULL && !options_parse_size("--extract-max",
				       extract_max, 1, &o->extract_max, error))
		return FALSE;
	if (extract_max != NULL && o->extract_dir == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "--extract-max: give --extract DIR too");
		return FALSE;
	}
	if ((jobs < 1 && jobs != -1) || jobs > 64) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--jobs: must be between 1 and 64");
		return FALSE;
	}
	o->jobs = jobs == -1 ? 0 : (unsigned)jobs;
	if (o->user != NULL && o->no_drop) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "-Z and --no-drop: give one or the other");
		return FALSE;
	}
	{
		const struct {
			const char *what;
			char **values;
		} sels[] = { { "session", sel_session },
			{ "server", sel_server }, { "client", sel_client },
			{ "finding", sel_finding }, { "from", sel_from },
			{ "rcpt", sel_rcpt } };
		size_t k;

		select_init(&o->select);
		o->select.findings_only = findings_only;
		o->select.any = findings_only;
		for (k = 0; k < G_N_ELEMENTS(sels); k++)
			for (i = 0; sels[k].values != NULL &&
				    sels[k].values[i] != NULL;
			     i++)
				if (!select_add(&o->select, sels[k].what,
					sels[k].values[i], error))
					return FALSE;
	}
	if (o->dns_server != NULL && !resolve) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    "--dns-server needs --resolve (no lookup is made "
		    "without it)");
		return FALSE;
	}
	o->verbosity = quiet ? 0 : verbose ? 2 : 1;
	if (!options_parse_ports(
		ports != NULL ? ports : RS_DEFAULT_PORTS, o->ports, error))
		return FALSE;
	if (!options_parse_format(format, &o->format, error))
		return FALSE;
	if (fail_on != NULL) {
		g_auto(GStrv) v = g_strsplit(fail_on, ",", -1);

		for (i = 0; v[i] != NULL; i++) {
			int k = relay_finding_lookup(g_strstrip(v[i]));

			if (k < 0 && diag_fail_lookup(v[i]) >= 0) {
				o->fail_on_diag |= 1u << diag_fail_lookup(v[i]);
				continue;
			}
			if (k < 0) {
				g_set_error(error, G_OPTION_ERROR,
				    G_OPTION_ERROR_BAD_VALUE,
				    "--fail-on: \"%s\" is not a finding "
				    "(open-relay, possible-open-relay, "
				    "relay-denied, relay-trick, auth-relay, "
				    "auth-failed, cleartext-auth, "
				    "ehlo-mismatch, open-proxy-mail, "
				    "deferred, rejected, tls-failure, "
				    "slow-server)",
				    v[i]);
				return FALSE;
			}
			o->fail_on |= 1u << k;
		}
	}
	if (color == NULL || strcmp(color, "auto") == 0)
		o->color = RS_COLOR_AUTO;
	else if (strcmp(color, "always") == 0)
		o->color = RS_COLOR_ALWAYS;
	else if (strcmp(color, "never") == 0)
		o->color = RS_COLOR_NEVER;
	else {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--color: \"%s\" is not auto, always or never", color);
		return FALSE;
	}
	return TRUE;
}

void
options_clear(struct rs_options *o)
{
	g_strfreev(o->files);
	g_free(o->iface);
	g_free(o->bpf);
	g_free(o->extract_dir);
	g_free(o->zeek_dir);
	g_free(o->write_file);
	g_free(o->local_domains);
	g_free(o->trusted_nets);
	g_free(o->user);
	g_free(o->config);
	g_free(o->dns_map);
	g_free(o->dns_server);
	select_clear(&o->select);
	memset(o, 0, sizeof *o);
}
