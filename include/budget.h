/* SPDX-License-Identifier: GPL-2.0-or-later */
/* budget.h: the global memory budget (--max-memory).  What the analysis
 * keeps is charged here at its allocated size (the chunk glibc's malloc
 * takes for each request, header included), by kind; past the limit the run
 * sheds: records waiting for order are written, sessions waiting for onward
 * evidence are judged, idle reassembly buffers are freed and the largest open
 * sessions are cut (docs/architecture.md, "Memory").  One run, one budget: the
 * state is global, as libnids' is. */
#ifndef RS_BUDGET_H
#define RS_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUDGET_KIND_LIST(X)                                                    \
	X(DIALOGUES, "dialogues")   /* records being built or waiting */       \
	X(MACHINES, "machines")	    /* SMTP machines: held bytes, partial      \
				     * lines and replies */                    \
	X(REASSEMBLY, "reassembly") /* libnids' stream buffers and queues */   \
	X(REORDER, "reorder")	    /* rendered records waiting for order */   \
	X(DNS, "dns")		    /* DNS answers of the capture and map */   \
	X(ONWARD, "onward")	    /* the index of onward deliveries */       \
	X(WRITE, "write")	    /* -w: the written sessions' spans */

enum budget_kind {
#define BUDGET_KIND_ENUM(id, name) BUDGET_##id,
	BUDGET_KIND_LIST(BUDGET_KIND_ENUM)
#undef BUDGET_KIND_ENUM
	    BUDGET_COUNT
};

struct budget {
	size_t limit;		      /* SIZE_MAX: no limit (unit tests) */
	size_t used[BUDGET_COUNT];    /* charged now, by kind */
	size_t total, peak;	      /* all kinds: now, and at most */
	size_t peak_by[BUDGET_COUNT]; /* each kind at its own peak */
	/* What shedding did (run_stats reports it). */
	uint64_t reliefs;		/* times the limit was passed */
	uint64_t records_forced;	/* written before an earlier record */
	uint64_t held_early;		/* judged before their window ended */
	uint64_t buffers_freed;		/* idle reassembly buffers given back */
	uint64_t sessions_cut;		/* open sessions cut in two */
	uint64_t bytes_shed;		/* bytes the cuts gave back */
	uint64_t refused[BUDGET_COUNT]; /* records not kept: kind over share */
};

extern struct budget rs_budget;

/* Set the limit (bytes) and clear the counters. */
void budget_init(size_t limit);
/* What malloc takes for a request of n bytes: glibc's chunk, header
 * included (16-byte granules, 32 at least); 0 for 0.  Charges are
 * computed from what was asked, never read back from the allocator
 * (malloc_usable_size): the same input must shed the same way whatever
 * else the process allocated, or the output would depend on -v. */
static inline size_t
budget_bytes(size_t n)
{
	size_t c = (n + sizeof(size_t) + 15) & ~(size_t)15;

	return n == 0 ? 0 : c < 32 ? 32 : c;
}

/* The chunk of a NUL-terminated string copy (g_strdup); 0 for NULL. */
size_t budget_str(const char *s);
/* The block GLib's doubling growth (GString, GByteArray) holds for len
 * bytes: the next power of two from 16, as a chunk. */
size_t budget_grown(size_t len);
/* What a GPtrArray's pointer block of len elements costs (GLib grows it
 * in powers of two from 16 bytes). */
size_t budget_array_size(unsigned len);
/* Low-water mark: shedding goes on until the total is at or below it. */
size_t budget_low(void);
/* The name of a kind ("dialogues"). */
const char *budget_kind_name(enum budget_kind k);

static inline void
budget_charge(enum budget_kind k, size_t n)
{
	rs_budget.used[k] += n;
	rs_budget.total += n;
	if (rs_budget.used[k] > rs_budget.peak_by[k])
		rs_budget.peak_by[k] = rs_budget.used[k];
	if (rs_budget.total > rs_budget.peak)
		rs_budget.peak = rs_budget.total;
}

static inline void
budget_release(enum budget_kind k, size_t n)
{
	if (n > rs_budget.used[k])
		n = rs_budget.used[k];
	rs_budget.used[k] -= n;
	rs_budget.total -= n;
}

/* Charge the difference between what a thing costs now and what was
 * charged for it (*charged is updated). */
static inline void
budget_recharge(enum budget_kind k, size_t *charged, size_t now)
{
	if (now > *charged)
		budget_charge(k, now - *charged);
	else
		budget_release(k, *charged - now);
	*charged = now;
}

static inline bool
budget_over(void)
{
	return rs_budget.total > rs_budget.limit;
}

/* May a kind that holds evidence (DNS answers, the onward index) grow by
 * n?  Each may take a quarter of the limit; past it new records are
 * refused (counted) rather than shedding sessions for them. */
bool budget_share_ok(enum budget_kind k, size_t n);

#endif
