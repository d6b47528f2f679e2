/* One lineage's life (see lineage.c). */
#ifndef ACMEHOOK_CLI_LINEAGE_H
#define ACMEHOOK_CLI_LINEAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct engine;

/* Renew NAME when due (or forced), under its lock. CLI_DOMAINS: the
 * command line's -d names replace the stored ones (certonly). *ATTEMPTED
 * tells whether an order was tried. */
int lineage_renew(struct engine *eng, const char *name, bool cli_domains, bool *attempted,
                  struct error *e);

#endif
