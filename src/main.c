/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main.c: the command line: parse options, wire capture -> stream ->
 * output, keep records in session-start order, and choose the exit code
 * (0 success, 2 usage error or input not read to its end). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <gio/gio.h>

#include "budget.h"
#include "capture.h"
#include "diagnosis.h"
#include "extract.h"
#include "jobs.h"
#include "log.h"
#include "onward.h"
#include "options.h"
#include "output.h"
#include "dns.h"
#include "helo_check.h"
#include "relay.h"
#include "replay.h"
#include "resolve.h"
#include "savefile.h"
#include "select.h"
#include "stream.h"

/* Finished records waiting for an earlier-started session to end, so that
 * output stays in start order.  Bounded by what they take (allocated
 * bytes, as charged: waiting_cost()): past this the oldest waiting records
 * are written anyway and a late session is written when it ends
 * (docs/output-format.md, "Order").  8 MiB keeps the order of sessions
 * that overlap for seconds (a megabyte did not, on make bench's capture:
 * 4,375 of 22,500 records out of order); one open for the whole capture
 * does not hold every later record in memory behind it. */
#define REORDER_MAX_BYTES (8 * 1024 * 1024)
/* Sessions waiting for evidence of onward delivery (--onward-window):
 * past these many, or these many bytes of dialogue, the oldest is judged
 * with what is known by then. */
#define HOLD_MAX 4096
#define HOLD_MAX_BYTES (64 * 1024 * 1024)
/* A session whose server has not been seen acting as a client waits
 * ONWARD_FIRST_WAIT at most (onward.h): so a capture of inbound mail only
 * holds a few seconds of sessions, not the whole window. */
/* Servers given a possible-open-relay finding, at most (then none). */
#define FLAGGED_MAX 4096

struct writer {
	struct output_opts oo;
	struct run_stats *stats;
	struct relay_env env;	      /* policy, DNS, live lookups, onward */
	struct dns_view view;	      /* capture, then map, then live */
	struct dns_store *dns;	      /* the capture's (-j N: workers' answers
				       * go in here) */
	struct resolver *resolver;    /* --resolve, or NULL */
	struct onward *onward;	      /* sessions carrying others' mail */
	struct diag_retries *retries; /* deferred attempts, for their
				       * retries (diagnosis.h) */
	GQueue held_first;	      /* struct dialogue *, by end time: they
				       * wait for their onward delivery, at
				       * most ONWARD_FIRST_WAIT ... */
	GQueue held;		      /* ... or, their server being a known
				       * client, the whole window */
	size_t held_bytes;
	GHashTable *flagged;   /* "ip|port": servers with a possible-open-relay
				* finding */
	unsigned fail_on;      /* finding kinds that make the exit status 1 */
	unsigned fail_on_diag; /* diagnosis kinds that do (diagnosis.h) */
	const struct rs_select *select; /* the sessions to write */
	struct extractor *extractor;	/* --extract, or NULL */
	struct savefile *savefile;	/* -w FILE, or NULL */
	FILE *out; /* the report: standard output, or standard error when
		    * -w - writes the packets there */
	/* --zeek-dir: smtp.log and files.log, or NULL. */
	FILE *zeek_smtp, *zeek_files;
	struct zeek_log zeek_smtp_log, zeek_files_log;
	bool failed;	/* one of them occurred */
	GTree *waiting; /* seq -> rendered record */
	size_t waiting_bytes;
	uint64_t next_seq; /* the next record to write in order */
	bool flush_each;   /* live capture: flush after each record */
	bool over;	   /* past the memory budget, not yet back under */
};

static void
write_out(struct writer *w, const char *rec)
{
	fputs(rec, w->out);
	if (w->flush_each)
		fflush(w->out);
}

/* What a record waiting for order holds: its text, its key, its node. */
static size_t
waiting_cost(const char *rec, const uint64_t *k)
{
	return budget_grown(strlen(rec) + 1) + budget_bytes(sizeof *k) + 64;
}

static gint
seq_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	(void)unused;
	return x < y ? -1 : x > y;
}

/* Write the waiting records that are next in order; with force, write the
 * oldest waiting record even if an earlier one is still open. */
static void
writer_drain_to(struct writer *w, bool force, uint64_t end)
{
	GTreeNode *n;
	uint64_t *k;
	char *rec;

	while ((n = g_tree_node_first(w->waiting)) != NULL) {
		k = g_tree_node_key(n);
		if ((*k != w->next_seq && !force) || *k >= end)
			break;
		rec = g_tree_node_value(n);
		if (*k != w->next_seq)
			rs_budget.records_forced++;
		write_out(w, rec);
		w->waiting_bytes -= waiting_cost(rec, k);
		budget_release(BUDGET_REORDER, waiting_cost(rec, k));
		if (*k >= w->next_seq)
			w->next_seq = *k + 1;
		g_tree_remove(w->waiting, k);
		if (force && w->waiting_bytes <= REORDER_MAX_BYTES / 2 &&
		    rs_budget.total <= budget_low())
			force = false;
	}
}

static void
writer_drain(struct writer *w, bool force)
{
	writer_drain_to(w, force, UINT64_MAX);
}

/* The end of the run: every record still waiting, in order.  (A forced
 * drain stops forcing once the buffer is back under half its bound, to
 * keep the order of what can still wait; at the end nothing can.) */
static void
writer_finish(struct writer *w)
{
	while (g_tree_nnodes(w->waiting) > 0)
		writer_drain(w, true);
}

/* At most one possible-open-relay finding per server and run: the
 * summary lists the rest. */
/* Returns the key it flagged (the table's), or NULL. */
static const char *
possible_open(struct writer *w, struct dialogue *d)
{
	g_autofree char *key =
	    g_strdup_printf("%s|%u", d->server.ip, d->server.port);
	struct relay_finding *f;

	if (g_hash_table_contains(w->flagged, key) ||
	    g_hash_table_size(w->flagged) >= FLAGGED_MAX)
		return NULL;
	f = relay_possible_open(d);
	if (f == NULL)
		return NULL;
	g_ptr_array_add(d->findings, f);
	g_hash_table_add(w->flagged, key);
	return g_steal_pointer(&key);
}

/* A selected session: the exit status it sets, the statistics, its
 * record. */
static char *
selected_record(struct writer *w, struct dialogue *d)
{
	guint i;

	for (i = 0; i < d->findings->len; i++) {
		const struct relay_finding *f =
		    g_ptr_array_index(d->findings, i);

		if (w->fail_on & (1u << f->kind))
			w->failed = true;
	}
	if (w->fail_on_diag & diagnosis_fail_bits(d->diagnosis))
		w->failed = true;
	run_stats_add(w->stats, d);
	return output_session(&w->oo, d);
}

static void
zeek_put_log(FILE *f, char *lines)
{
	fputs(lines, f);
	g_free(lines);
}

/* --zeek-dir: the session's lines of smtp.log and files.log. */
static void
zeek_write(struct writer *w, const struct dialogue *d)
{
	zeek_put_log(w->zeek_smtp, output_zeek_log(&w->zeek_smtp_log, d));
	zeek_put_log(w->zeek_files, output_zeek_files(&w->zeek_files_log, d));
}

/* DIR/name, made or emptied, for the run's Zeek log. */
static FILE *
zeek_open(const char *dir, const char *name, GError **error)
{
	char *path = g_build_filename(dir, name, NULL);
	int fd = open(
	    path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (f == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s",
		    path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	g_free(path);
	return f;
}

/* --zeek-dir: both logs closed with their "#close"; FALSE with *error if
 * one could not be written to its end. */
static gboolean
zeek_close(struct writer *w, const char *dir, GError **error)
{
	gboolean ok = TRUE;

	if (w->zeek_smtp == NULL)
		return TRUE;
	zeek_put_log(w->zeek_smtp, output_zeek_close(&w->zeek_smtp_log));
	zeek_put_log(w->zeek_files, output_zeek_close(&w->zeek_files_log));
	if (ferror(w->zeek_smtp) || fclose(w->zeek_smtp) != 0 ||
	    ferror(w->zeek_files) || fclose(w->zeek_files) != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
		    "--zeek-dir %s: the logs could not be written", dir);
		ok = FALSE;
	}
	w->zeek_smtp = w->zeek_files = NULL;
	return ok;
}

static const struct extract_opts *
extract_opts_of(const struct writer *w)
{
	return w->extractor != NULL ? extractor_opts(w->extractor) : NULL;
}

/* A judged session: its last checks, the statistics, the record in start
 * order. */
static void
finish_session(struct writer *w, struct dialogue *d)
{
	g_autoptr(dialogue_t) owned = d;
	const char *flagged = NULL;
	char *rec;
	uint64_t *k;

	if (!dialogue_speaks_smtp(d)) {
		/* Another protocol on an SMTP port: counted, and an empty
		 * record keeps the order of the others. */
		run_stats_add_non_smtp(w->stats, d);
		extract_discard(extract_opts_of(w), d);
		savefile_session(w->savefile, d, false);
		rec = g_strdup("");
	} else {
		relay_annotate(&w->env, d);
		flagged = possible_open(w, d);
		if (d->continues != NULL)
			g_ptr_array_unref(d->continues);
		d->continues = onward_continues(w->onward, d);
		helo_check_annotate(d, &w->view,
		    w->resolver != NULL ? resolver_lookup : NULL, w->resolver);
		diagnosis_free(d->diagnosis);
		d->diagnosis = diagnosis_new(d);
		diag_retries_apply(w->retries, d);
		if (!select_match(w->select, d)) {
			/* Not asked for: counted, and an empty record keeps
			 * the order of the others.  Its server's one
			 * possible-open-relay finding is left for a session
			 * that is written. */
			if (flagged != NULL)
				g_hash_table_remove(w->flagged, flagged);
			w->stats->unselected++;
			extract_discard(extract_opts_of(w), d);
			savefile_session(w->savefile, d, false);
			rec = g_strdup("");
		} else {
			if (w->extractor != NULL)
				extractor_commit(w->extractor, d);
			if (w->zeek_smtp != NULL)
				zeek_write(w, d);
			savefile_session(w->savefile, d, true);
			rec = selected_record(w, d);
		}
	}
	if (d->seq < w->next_seq) {
		/* Its successors were already forced out: write it now. */
		write_out(w, rec);
		g_free(rec);
		return;
	}
	if (rs_budget.total + waiting_cost(rec, &d->seq) > rs_budget.limit) {
		/* Past the budget nothing waits for order: the records before
		 * it, it, and those after it are written at once (it is never
		 * charged: its dialogue, still charged, is freed next). */
		writer_drain_to(w, true, d->seq);
		if (d->seq != w->next_seq)
			rs_budget.records_forced++;
		write_out(w, rec);
		g_free(rec);
		w->next_seq = d->seq + 1;
		writer_drain(w, true);
		return;
	}
	k = g_new(uint64_t, 1);
	*k = d->seq;
	g_tree_insert(w->waiting, k, rec);
	w->waiting_bytes += waiting_cost(rec, k);
	budget_charge(BUDGET_REORDER, waiting_cost(rec, k));
	writer_drain(w, w->waiting_bytes > REORDER_MAX_BYTES || budget_over());
}

static bool
held_over(struct writer *w)
{
	return g_queue_get_length(&w->held) +
		       g_queue_get_length(&w->held_first) >
		   HOLD_MAX ||
	       w->held_bytes > HOLD_MAX_BYTES;
}

/* Judge the waiting sessions whose time is up (all with force); past the
 * bounds, the oldest first. */
static void
release_held(struct writer *w, gint64 now, bool force)
{
	gint64 first = MIN(w->env.window, ONWARD_FIRST_WAIT);
	struct dialogue *d;

	while ((d = g_queue_peek_head(&w->held_first)) != NULL) {
		bool over = held_over(w) && g_queue_is_empty(&w->held);

		if (!force && !over && d->ts_end + first > now)
			break;
		g_queue_pop_head(&w->held_first);
		if (!force && !over &&
		    onward_seen_client(w->onward, d->server.ip) &&
		    d->ts_end + w->env.window > now) {
			/* Its server began sending meanwhile: the whole
			 * window. */
			g_queue_push_tail(&w->held, d);
			continue;
		}
		w->held_bytes -= d->mem;
		finish_session(w, d);
	}
	while ((d = g_queue_peek_head(&w->held)) != NULL) {
		if (!force && !held_over(w) && d->ts_end + w->env.window > now)
			break;
		g_queue_pop_head(&w->held);
		w->held_bytes -= d->mem;
		finish_session(w, d);
	}
}

/* Past the memory budget: write the records waiting for order, then
 * judge the sessions waiting for onward evidence, oldest first, until the
 * total is at the low-water mark (the stream layer then cuts sessions if
 * that was not enough). */
static void
relieve(struct writer *w)
{
	size_t low = budget_low();
	struct dialogue *d;

	if (!budget_over()) {
		w->over = false;
		return;
	}
	if (!w->over)
		rs_budget.reliefs++;
	w->over = true;
	writer_drain(w, true);
	while (rs_budget.total > low) {
		GQueue *q = &w->held_first;
		struct dialogue *a = g_queue_peek_head(&w->held_first);
		struct dialogue *b = g_queue_peek_head(&w->held);

		if (a == NULL && b == NULL)
			break;
		if (a == NULL || (b != NULL && b->ts_end < a->ts_end))
			q = &w->held;
		d = g_queue_pop_head(q);
		w->held_bytes -= d->mem;
		rs_budget.held_early++;
		d->judged_early = true;
		finish_session(w, d);
		writer_drain(w, true);
	}
}

static void
on_pressure(void *arg)
{
	relieve(arg);
}

static void
on_tick(gint64 ts, void *arg)
{
	release_held(arg, ts, false);
	relieve(arg);
}

static void
on_start(const struct dialogue *d, void *arg)
{
	struct writer *w = arg;

	onward_started(w->onward, d);
}

static void
emit_session(struct dialogue *d, void *arg)
{
	struct writer *w = arg;

	onward_ended(w->onward, d);
	if (w->env.window > 0 && relay_may_await(&w->env, d)) {
		if (d->end == DLG_END_CUT || budget_over()) {
			/* No room to wait in (a cut session would take back
			 * what the cut gave). */
			rs_budget.held_early++;
			d->judged_early = true;
			finish_session(w, d);
			relieve(w);
			return;
		}
		/* A stranger's mail accepted without evidence of locality:
		 * the server may yet pass it on.  Judged again when its time
		 * is up. */
		g_queue_push_tail(onward_seen_client(w->onward, d->server.ip)
				      ? &w->held
				      : &w->held_first,
		    d);
		w->held_bytes += d->mem;
		release_held(w, d->ts_end, false);
		relieve(w);
		return;
	}
	finish_session(w, d);
	relieve(w);
}

/* What failed once the input was read (-w, --zeek-dir, --extract): the
 * run is incomplete, and e is its error if it had none yet, else said
 * now. */
static void
run_failed(struct run_stats *stats, gboolean *ok, GError **error, GError *e)
{
	stats->incomplete = true;
	if (*ok)
		*error = e;
	else {
		log_warnx("%s", e->message);
		g_error_free(e);
	}
	*ok = FALSE;
}

/* The signal that ended the run, or 0. */
static volatile sig_atomic_t stopped_by;

/* SIGINT, SIGTERM, SIGHUP: stop reading, then report every open session
 * and the summary as usual (main() goes on).  The handler is reset: a
 * second signal ends the process at once. */
static void
on_signal(int sig)
{
	stopped_by = sig;
	capture_stop();
	jobs_stop();
}

/* A DNS message a worker read (-j N): to the capture's store, at its
 * place in the input. */
static void
on_dns(
    const uint8_t *msg, size_t len, gint64 ts, const char *querier, void *arg)
{
	struct writer *w = arg;

	dns_store_add_message(w->dns, msg, len, ts, querier);
}

/* How many processes read the input: -j, or one per core but one; one for
 * standard input and anything else that is not a regular file (a pipe
 * cannot be read twice; a file that cannot be opened fails in one
 * process as it would) and for an interface (each packet is seen
 * once). */
static unsigned
jobs_count_for(const struct rs_options *o)
{
	struct stat sb;
	long n;
	guint i;

	if (o->iface != NULL)
		return 1;
	for (i = 0; o->files[i] != NULL; i++)
		if (strcmp(o->files[i], "-") == 0 ||
		    stat(o->files[i], &sb) != 0 || !S_ISREG(sb.st_mode))
			return 1;
	if (o->jobs != 0)
		return MIN(o->jobs, JOBS_MAX);
	/* The parent judges and writes every record, as much work as a
	 * worker's (docs/performance.md, "-j N"): it gets a core of its
	 * own, and below three cores one process is faster. */
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 3 ? 1 : (unsigned)MIN(n - 1, JOBS_MAX);
}

static const char *
signal_name(int sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	default:
		return "signal";
	}
}

/* Colour for the report written to out? */
static bool
use_color(const struct rs_options *o, FILE *out)
{
	const char *term = getenv("TERM");

	if (o->format != OUTPUT_TEXT || o->color == RS_COLOR_NEVER)
		return false;
	if (o->color == RS_COLOR_ALWAYS)
		return true;
	return isatty(fileno(out)) && getenv("NO_COLOR") == NULL &&
	       term != NULL && strcmp(term, "dumb") != 0;
}

int
main(int argc, char **argv)
{
	static struct rs_options o;
	struct run_stats stats;
	struct writer w;
	struct capture_opts co;
	struct stream_opts so;
	struct sigaction sa;
	g_autoptr(GError) error = NULL;
	g_autofree char *summary = NULL;
	gboolean exit_now = FALSE, ok;
	struct relay_config *policy = NULL;
	struct dns_store *dns = NULL, *map = NULL, *live = NULL;
	int rc = 2;
	unsigned njobs;
	struct budget shed;
	struct jobs_opts jo;
	struct jobs_sink sink;

	if (argc > 1 && strcmp(argv[1], "replay") == 0) {
		log_init(1);
		return replay_main(argc - 1, argv + 1);
	}
	if (!options_parse(&o, argc, argv, &exit_now, &error)) {
		log_warnx("%s", error->message);
		options_clear(&o);
		return 2;
	}
	if (exit_now) {
		options_clear(&o);
		return 0;
	}
	log_init(o.verbosity);
	njobs = jobs_count_for(&o);
	/* With workers, this process keeps half the budget and the workers
	 * share the other half (docs/architecture.md, "Parallel runs"). */
	budget_init(njobs > 1 ? o.max_memory / 2 : o.max_memory);
	if (!relay_config_load(
		o.config, o.local_domains, o.trusted_nets, &policy, &error)) {
		log_warnx("%s", error->message);
		options_clear(&o);
		return 2;
	}

	dns = dns_store_new();
	run_stats_init(&stats);
	memset(&w, 0, sizeof w);
	w.dns = dns;
	w.view.store[w.view.n] = dns;
	w.view.source[w.view.n++] = "capture";
	if (o.dns_map != NULL) {
		map = dns_store_new();
		if (!dns_store_load_map(map, o.dns_map, &error)) {
			log_warnx("--dns-map: %s", error->message);
			goto out;
		}
		w.view.store[w.view.n] = map;
		w.view.source[w.view.n++] = "map";
	}
	if (o.resolve) {
		live = dns_store_new();
		w.resolver =
		    resolver_new(o.dns_server, o.dns_timeout, live, &error);
		if (w.resolver == NULL) {
			log_warnx("%s", error->message);
			goto out;
		}
		w.view.store[w.view.n] = live;
		w.view.source[w.view.n++] = "live";
	}
	w.oo.format = o.format;
	w.stats = &stats;
	w.env.config = policy;
	w.env.dns = &w.view;
	w.env.resolve = w.resolver != NULL ? resolver_lookup : NULL;
	w.env.resolve_ctx = w.resolver;
	w.env.window = (gint64)o.onward_window * G_USEC_PER_SEC;
	w.onward = onward_new(w.env.window);
	w.retries = diag_retries_new();
	w.env.onward = onward_lookup;
	w.env.onward_ctx = w.onward;
	g_queue_init(&w.held);
	g_queue_init(&w.held_first);
	w.flagged =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	w.fail_on = o.fail_on;
	w.fail_on_diag = o.fail_on_diag;
	w.select = &o.select;
	w.stats->selecting = o.select.any;
	w.waiting = g_tree_new_full(seq_cmp, NULL, g_free, g_free);
	w.next_seq = 1;
	w.flush_each = o.iface != NULL;
	w.out = stdout;

	if (o.write_file != NULL) {
		struct capture_opts in = { .files = o.files, .iface = o.iface };

		/* Before privileges go: the inputs are opened again now. */
		w.savefile = savefile_new(o.write_file, &in, &error);
		if (w.savefile == NULL)
			goto fail;
		if (savefile_is_stdout(w.savefile))
			w.out = stderr;
		stats.write_file = o.write_file;
	}
	w.oo.color = use_color(&o, w.out);

	if (o.extract_dir != NULL) {
		struct capture_opts who = { .user = o.user,
			.no_drop = o.no_drop };
		uid_t uid;
		gid_t gid;

		if (!capture_writer(&who, &uid, &gid, &error))
			goto fail;
		w.extractor = extractor_new(
		    o.extract_dir, o.extract_max, uid, gid, &error);
		if (w.extractor == NULL)
			goto fail;
		stats.extract_dir = o.extract_dir;
	}

	if (o.zeek_dir != NULL) {
		if (g_mkdir_with_parents(o.zeek_dir, 0755) != 0) {
			g_set_error(&error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "--zeek-dir %s: %s", o.zeek_dir, g_strerror(errno));
			goto fail;
		}
		w.zeek_smtp_log.path = "smtp";
		w.zeek_files_log.path = "files";
		w.zeek_smtp = zeek_open(o.zeek_dir, "smtp.log", &error);
		if (w.zeek_smtp == NULL)
			goto fail;
		w.zeek_files = zeek_open(o.zeek_dir, "files.log", &error);
		if (w.zeek_files == NULL)
			goto fail;
	}

	memset(&so, 0, sizeof so);
	so.extract = extract_opts_of(&w);
	so.ports = o.ports;
	so.verify_checksums = o.verify_checksums;
	so.detect = o.detect;
	so.max_streams = o.max_streams;
	so.dns = dns;
	so.start = on_start;
	so.tick = on_tick;
	so.pressure = on_pressure;
	if (njobs == 1 && !stream_init(&so, &stats, emit_session, &w, &error))
		goto fail;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	memset(&co, 0, sizeof co);
	co.files = o.files;
	co.iface = o.iface;
	co.bpf = o.bpf;
	co.max_packets = o.count;
	co.promisc = o.promisc;
	co.user = o.user;
	co.no_drop = o.no_drop;
	co.spool = savefile_spool(w.savefile);
	memset(&shed, 0, sizeof shed);
	if (njobs == 1) {
		ok = capture_run(&co, &stats, &error);
		/* Whatever happened, every session seen so far is
		 * reported. */
		stream_finish();
	} else {
		memset(&jo, 0, sizeof jo);
		jo.n = njobs;
		jo.capture = &co;
		jo.stream = &so;
		jo.worker_budget = o.max_memory / 2 / njobs;
		jo.verbosity = o.verbosity;
		memset(&sink, 0, sizeof sink);
		sink.start = on_start;
		sink.emit = emit_session;
		sink.tick = on_tick;
		sink.dns_message = on_dns;
		sink.arg = &w;
		ok = jobs_run(&jo, &sink, &stats, &shed, &error);
	}
	release_held(&w, 0, true);
	writer_finish(&w);
	if (w.savefile != NULL) {
		struct savefile_totals t;
		g_autoptr(GError) werr = NULL;

		/* After a failed reading too: the packets of what was
		 * analysed; but one that read nothing leaves FILE alone. */
		if (!ok && stats.frames == 0)
			savefile_abandon(w.savefile);
		else if (!savefile_write(w.savefile, &co, stats.frames, &werr))
			run_failed(&stats, &ok, &error, g_steal_pointer(&werr));
		savefile_get_totals(w.savefile, &t);
		stats.write_format = t.format;
		stats.written_packets = t.packets;
		stats.written_bytes = t.bytes;
		stats.written_sessions = t.sessions;
		stats.write_sessions_over = t.sessions_over;
	}
	/* A signal stops a live capture the normal way; files it stops were
	 * not read to their end. */
	if (stopped_by != 0) {
		stats.interrupted = signal_name(stopped_by);
		if (o.iface == NULL)
			stats.incomplete = true;
	}
	if (!ok)
		stats.incomplete = true;
	stats.dns_capture = dns_store_size(dns);
	stats.dns_capture_dropped = dns_store_dropped(dns);
	stats.dns_map = map != NULL ? dns_store_size(map) : 0;
	if (w.resolver != NULL) {
		stats.live = true;
		stats.live_stats = *resolver_stats(w.resolver);
		if (stats.live_stats.timeouts + stats.live_stats.failed > 0)
			log_warnx("--resolve: %" G_GUINT64_FORMAT
				  " of %" G_GUINT64_FORMAT
				  " lookups got no answer (%" G_GUINT64_FORMAT
				  " timed out, %" G_GUINT64_FORMAT
				  " refused or failed)",
			    stats.live_stats.timeouts + stats.live_stats.failed,
			    stats.live_stats.queries, stats.live_stats.timeouts,
			    stats.live_stats.failed);
	}
	{
		g_autoptr(GError) zerr = NULL;

		if (!zeek_close(&w, o.zeek_dir, &zerr))
			run_failed(&stats, &ok, &error, g_steal_pointer(&zerr));
	}
	if (w.extractor != NULL) {
		struct extract_totals t;
		g_autoptr(GError) xerr = NULL;

		extractor_totals(w.extractor, &t);
		stats.extracted_messages = t.messages;
		stats.extracted_attachments = t.attachments;
		stats.extracted_bytes = t.bytes;
		stats.extract_skipped = t.skipped;
		stats.extract_failed = t.failed;
		if (!extractor_free(g_steal_pointer(&w.extractor), &xerr))
			run_failed(&stats, &ok, &error, g_steal_pointer(&xerr));
	}
	stats.memory = rs_budget;
	if (njobs > 1) {
		/* The limit given, and what every process shed. */
		stats.memory.limit = o.max_memory;
		stats.memory.reliefs += shed.reliefs;
		stats.memory.buffers_freed += shed.buffers_freed;
		stats.memory.sessions_cut += shed.sessions_cut;
		stats.memory.bytes_shed += shed.bytes_shed;
	}
	log_debug("memory: peak %zu bytes of %zu (dialogues %zu, machines "
		  "%zu, reassembly %zu, reorder %zu, dns %zu, onward %zu, "
		  "write %zu)",
	    rs_budget.peak, rs_budget.limit,
	    rs_budget.peak_by[BUDGET_DIALOGUES],
	    rs_budget.peak_by[BUDGET_MACHINES],
	    rs_budget.peak_by[BUDGET_REASSEMBLY],
	    rs_budget.peak_by[BUDGET_REORDER], rs_budget.peak_by[BUDGET_DNS],
	    rs_budget.peak_by[BUDGET_ONWARD], rs_budget.peak_by[BUDGET_WRITE]);
	summary = output_summary(&w.oo, &stats);
	fputs(summary, w.out);
	fflush(w.out);
	if (!ok)
		log_warnx("%s", error->message);

	rc = !ok				  ? 2
	     : stopped_by != 0 && o.iface == NULL ? 128 + stopped_by
	     : w.failed				  ? 1
						  : 0;
	goto out;
fail:
	log_warnx("%s", error->message);
out:
	(void)extractor_free(w.extractor, NULL);
	savefile_free(w.savefile);
	if (w.zeek_smtp != NULL)
		fclose(w.zeek_smtp);
	if (w.zeek_files != NULL)
		fclose(w.zeek_files);
	if (w.waiting != NULL)
		g_tree_destroy(w.waiting);
	if (w.flagged != NULL)
		g_hash_table_destroy(w.flagged);
	onward_free(w.onward);
	diag_retries_free(w.retries);
	relay_config_free(policy);
	resolver_free(w.resolver);
	dns_store_free(dns);
	dns_store_free(map);
	dns_store_free(live);
	run_stats_clear(&stats);
	options_clear(&o);
	return rc;
}
