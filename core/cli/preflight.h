/* Before an order: can this run keep what it orders? (store/check.h) */
#ifndef ACMEHOOK_CLI_PREFLIGHT_H
#define ACMEHOOK_CLI_PREFLIGHT_H

#include "base/err.h"

struct engine;
struct settings;

/* Every directory that issuing lineage NAME with settings S will write:
 * the lineage's (store_check_lineage: the store's areas made when
 * missing, as the store would make them) and, when S's server has no
 * stored account yet, where the new account goes (store_check_creatable),
 * each tested as store_check_dir tests one. Fails with exit code 1 naming the directory and the reason. The
 * caller holds NAME's lock. */
int preflight_lineage(struct engine *eng, const struct settings *s, const char *name,
                      struct error *e);

/* The same for certonly --csr: the directories of the certificate, chain
 * and fullchain files S names (the current directory for those it leaves
 * to the defaults), which must exist, and the work directory. */
int preflight_csr(struct engine *eng, const struct settings *s, struct error *e);

#endif
