/* SPDX-License-Identifier: GPL-2.0-or-later */
/* budget.c: the global memory budget's bookkeeping (budget.h). */
#include <stdint.h>
#include <string.h>

#include "budget.h"

struct budget rs_budget = { .limit = SIZE_MAX };

static const char *const kind_names[BUDGET_COUNT] = {
#define BUDGET_KIND_NAME(id, name) [BUDGET_##id] = name,
	BUDGET_KIND_LIST(BUDGET_KIND_NAME)
#undef BUDGET_KIND_NAME
};

void
budget_init(size_t limit)
{
	memset(&rs_budget, 0, sizeof rs_budget);
	rs_budget.limit = limit;
}

size_t
budget_str(const char *s)
{
	return s != NULL ? budget_bytes(strlen(s) + 1) : 0;
}

size_t
budget_grown(size_t len)
{
	size_t n = 16;

	while (n < len)
		n <<= 1;
	return budget_bytes(n);
}

size_t
budget_array_size(unsigned len)
{
	size_t want, n = 16;

	if (len == 0)
		return 0;
	want = (size_t)len * sizeof(void *);
	while (n < want)
		n <<= 1;
	/* The chunk malloc hands out for n bytes, header included. */
	return (n + sizeof(size_t) + 15) & ~(size_t)15;
}

size_t
budget_low(void)
{
	return rs_budget.limit - rs_budget.limit / 8;
}

const char *
budget_kind_name(enum budget_kind k)
{
	return (unsigned)k < BUDGET_COUNT ? kind_names[k] : "?";
}

bool
budget_share_ok(enum budget_kind k, size_t n)
{
	if (rs_budget.used[k] + n <= rs_budget.limit / 4)
		return true;
	rs_budget.refused[k]++;
	return false;
}
