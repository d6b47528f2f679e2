/* Which lineage a certonly request belongs to (see choose.c). */
#ifndef ACMEHOOK_CLI_CHOOSE_H
#define ACMEHOOK_CLI_CHOOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct engine;

/* The lineage a request goes to. RESERVATION is a held lock that keeps a
 * new lineage's name from being given to another run with other names; it
 * is kept until the lineage is stored (or the run gives up), then
 * released with lineage_choice_release. */
struct lineage_choice {
	char name[256];
	int reservation; /* -1: none held */
};

/* True when the two name lists hold the same names, ignoring case and
 * order. */
bool lineage_same_names(char *const *a, size_t na, char *const *b, size_t nb);

/* Choose the lineage for NAMES (N of them, borrowed) as certbot does:
 *   --cert-name NAME: that lineage; when it exists with other names, they
 *     are replaced after a yes at the terminal (or at once with -n or
 *     without a terminal);
 *   --duplicate: always a new lineage;
 *   else the lineage with exactly these names (the one named after the
 *     first name, as a new one would be, when it has them; else the first
 *     in name order); with --expand, else the
 *     largest lineage whose names are a strict subset of NAMES;
 *   else a new lineage named after the first name without "*.", with
 *     "-0001", "-0002" ... appended while that name is taken.
 * Says at info level which lineage it uses. On success *OUT is filled and
 * must be released with lineage_choice_release; on failure *OUT is
 * untouched. */
int lineage_choose(struct engine *eng, char *const *names, size_t n, struct lineage_choice *out,
                   struct error *e);

/* Release what C holds; accepts a choice that holds nothing (reservation
 * -1), and may be called again. */
void lineage_choice_release(struct lineage_choice *c);

/* Release what C holds, as lineage_choice_release, and remove the file of
 * its reservation unless the lineage was stored: for a run that makes no
 * lineage on purpose (a dry run), so that it leaves none behind. */
void lineage_choice_withdraw(struct engine *eng, struct lineage_choice *c);

#endif
