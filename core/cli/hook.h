/* The operator's hooks, with certbot's semantics: --pre-hook and
 * --post-hook once per run around the lineages that are renewed,
 * --deploy-hook after each issuance, --failure-hook after each failed
 * lineage, and the executables of CONFIG/renewal-hooks/{pre,deploy,post}
 * during `renew`. */
#ifndef ACMEHOOK_HOOK_H
#define ACMEHOOK_HOOK_H

#include <stdbool.h>
#include <stddef.h>

#include <pthread.h>

#include "base/err.h"
#include "base/log.h"
#include "conf/settings.h"

/* The hook state of one run (certonly or renew): hook_run_init makes it,
 * hook_run_free releases what it holds (twice is harmless). Lineages
 * renewed in several threads each use a view of it (hook_run_view): the
 * pre stage then still runs once, before any of them is ordered, and the
 * post stage once at the end. */
struct hook_run {
	pthread_mutex_t lock;  /* guards the pre stage and the lists below */
	bool ready;          /* the lock is made */
	struct hook_run *main; /* borrowed: a view's run, which every call uses */
	struct log *log;     /* borrowed */
	char *dir;           /* owned: CONFIG/renewal-hooks, or NULL: no directory hooks */
	long sleep_max_ms;   /* > 0: sleep up to this long before the first renewal */
	bool started;        /* the pre stage ran, so the post stage is due */
	char *pre_failed;    /* owned: why the pre stage failed, or NULL */
	char **pre;          /* owned: --pre-hook commands run so far */
	char **pre_errors;   /* owned: per entry of pre, NULL or its failure */
	size_t n_pre;
	char **post;         /* owned: distinct --post-hook commands, in order */
	size_t n_post;
};

void hook_run_init(struct hook_run *r);
/* V: a view of R (made by hook_run_init and outliving V) for one thread. */
void hook_run_view(struct hook_run *v, struct hook_run *r);

/* Called for each lineage right before its order: the first call sleeps
 * (sleep_max_ms) and runs the pre directory hooks; S's --pre-hook runs
 * unless an identical command already ran, and its --post-hook is kept
 * for hook_run_end. Fails when the pre stage or S's pre-hook failed (now
 * or earlier in the run): the lineage must then not be ordered. */
int hook_run_begin(struct hook_run *r, const struct settings *s, struct error *e);

/* Once at the end of the run, when the pre stage ran: the kept post-hooks
 * in order, then the post directory hooks. Every one runs; the first
 * failure is returned. */
int hook_run_end(struct hook_run *r, struct error *e);

void hook_run_free(struct hook_run *r);

/* Run CMD (may be NULL) and then the deploy directory hooks, with
 * RENEWED_LINEAGE and RENEWED_DOMAINS set. CMD goes to /bin/sh -c as the
 * operator's own command line, as in certbot; server-provided data never
 * reaches a command string, only the variables, whose values we
 * validated. */
int hook_run_deploy(struct hook_run *r, const char *cmd, const char *lineage_dir,
                    const char *const *names, size_t n, struct error *e);

/* True when there is a deploy directory hook to run. */
bool hook_run_has_deploy(struct hook_run *r);

/* Run --failure-hook CMD for a lineage that failed with FAILURE, with
 * RENEWED_LINEAGE, FAILED_DOMAINS, ACME_PROBLEM_TYPE and
 * ACME_PROBLEM_DETAIL set. */
int hook_run_failure(const char *cmd, const char *lineage_dir, const char *const *names,
                     size_t n, const struct error *failure, struct error *e);

#endif
