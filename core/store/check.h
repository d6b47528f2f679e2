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

/* The same for every directory that storing lineage NAME writes, with the
 * modes the store gives them: archive/NAME and live/ (0700), renewal/
 * (0755), and the work directory (0700). */
int store_check_lineage(const struct store *s, const char *name, struct error *e);

#endif
