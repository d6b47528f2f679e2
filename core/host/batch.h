/* Presenting and cleaning up every challenge of an order, one batch per
 * plugin instance: an instance gets all of its challenges in one call, so
 * a DNS plugin can send one update per zone instead of one per record. */
#ifndef ACMEHOOK_HOST_BATCH_H
#define ACMEHOOK_HOST_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "host/instance.h"

struct log;

/* One challenge and who answers it; everything is borrowed. */
struct host_challenge {
	struct host_instance *inst;
	struct challenge_desc desc;
	const char *name;             /* as the certificate names it ("*.x"), for messages */
	bool *presented;              /* set when present succeeded, cleared by cleanup */
};

/* Present CHS[0..N), instance by instance in the order they first appear,
 * setting *presented for each challenge presented. Stops at the first
 * instance that does not present all of its challenges: -1 with E naming
 * the failure (or the decline). What was presented stays marked for
 * host_cleanup_all, which must follow on every path. */
int host_present_all(const struct host_challenge *chs, size_t n, struct log *log,
                     struct error *e);

/* Clean up every challenge of CHS[0..N) whose *presented is set, one batch
 * per instance, and clear the marks. Failures are logged as warnings: a
 * record left behind must not hide the run's own result. */
void host_cleanup_all(const struct host_challenge *chs, size_t n, struct log *log);

#endif
