/* Before a run asks a CA for a certificate, it makes sure it can keep one:
 * a certificate issued and then thrown away because the store is
 * read-only still counts against the CA's duplicate-certificate limit, on
 * every run of a daily timer. */
#ifndef ACMEHOOK_STORE_CHECK_H
#define ACMEHOOK_STORE_CHECK_H

#include <sys/types.h>

#include "base/err.h"

struct store;

/* Make DIR as store_mkdirs does (MODE for what it creates) when it is
 * missing, then create and remove a file in it. A MODE of 0 makes nothing:
 * DIR must exist. Fails with exit code 1, naming DIR and the reason, when
 * either cannot be done. */
int store_check_dir(const char *dir, mode_t mode, struct error *e);

/* Whether DIR exists and can be written, or could be made: nothing is
 * made; the deepest directory of DIR's path that exists is tested as
 * store_check_dir tests one. For directories other runs may be making at
 * the same time, which a test could not remove again safely. */
int store_check_creatable(const char *dir, struct error *e);

/* The same for every directory that storing lineage NAME writes, with the
 * modes the store gives them: archive/NAME and live/ (0700), renewal/
 * (0755), and the work directory (0700). An archive/NAME made for the test
 * is removed again; the caller holds NAME's lock (store_lock). */
int store_check_lineage(const struct store *s, const char *name, struct error *e);

#endif
