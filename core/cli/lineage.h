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
/* Whether this run is a dry run (--dry-run): it runs every order as a
 * real run would, against the staging server for letsencrypt (see
 * issue_server_url), treats every lineage as due, and writes nothing under
 * live/, archive/, renewal/ or the work dir's orders/. It runs no deploy
 * step and no deploy hook; pre and post hooks run as in any run. This is
 * the one test for it that commands and hooks use. */
bool lineage_dry_run(const struct engine *eng);

int lineage_renew(struct engine *eng, const char *name, bool cli_domains, bool *attempted,
                  struct error *e);

/* `install`: run the deploy plugins the command line (or else the renewal
 * file, or cli.ini) names on the version NAME's live/ serves, under its
 * lock. No hook runs and nothing is stored, as with certbot's install. */
int lineage_install(struct engine *eng, const char *name, struct error *e);

#endif
