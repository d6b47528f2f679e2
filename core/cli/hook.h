/* Running the user's --deploy-hook after an issuance or renewal. */
#ifndef ACMEHOOK_HOOK_H
#define ACMEHOOK_HOOK_H

#include <stddef.h>

#include "base/err.h"

/* Run CMD with /bin/sh (the hook is the operator's own command line, as in
 * certbot) with RENEWED_LINEAGE and RENEWED_DOMAINS set. Server-provided
 * data never reaches the command string, only these two variables, whose
 * values we validated. */
int hook_run_deploy(const char *cmd, const char *lineage_dir, const char *const *names,
                    size_t n, struct error *e);

#endif
