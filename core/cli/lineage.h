/* One lineage's life (see lineage.c). */
#ifndef ACMEHOOK_CLI_LINEAGE_H
#define ACMEHOOK_CLI_LINEAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct engine;

/* True when the two name lists hold the same names, ignoring case and
 * order. */
bool lineage_same_names(char *const *a, size_t na, char *const *b, size_t nb);

/* The lineage for NAMES: --cert-name, else the one whose names are exactly
 * these, else the first name (without "*."), written into OUT. */
int lineage_choose(struct engine *eng, char *const *names, size_t n, char *out, size_t cap,
                   struct error *e);

/* Renew NAME when due (or forced), under its lock. CLI_DOMAINS: the
 * command line's -d names replace the stored ones (certonly). *ATTEMPTED
 * tells whether an order was tried. */
int lineage_renew(struct engine *eng, const char *name, bool cli_domains, bool *attempted,
                  struct error *e);

#endif
