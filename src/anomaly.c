/* SPDX-License-Identifier: GPL-2.0-or-later */
/* anomaly.c: anomaly names, generated from the list in anomaly.h. */
#include "anomaly.h"
#include "log.h"

static const char *const anomaly_names[ANOMALY_COUNT] = {
#define ANOMALY_NAME(id, name) [ANOMALY_##id] = name,
	ANOMALY_LIST(ANOMALY_NAME)
#undef ANOMALY_NAME
};

const char *
anomaly_name(enum anomaly a)
{
	if ((unsigned)a >= ANOMALY_COUNT)
		fatalx("anomaly_name: bad anomaly %d", (int)a);
	return anomaly_names[a];
}
