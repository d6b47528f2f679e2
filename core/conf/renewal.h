/* Renewal files: CONFIG/renewal/NAME.conf records everything needed to
 * renew NAME (server, key type, each name's route, deploy steps), in the
 * same "key = value" language as cli.ini. */
#ifndef ACMEHOOK_RENEWAL_H
#define ACMEHOOK_RENEWAL_H

#include "conf/settings.h"
#include "base/err.h"

struct store;

/* Read NAME's renewal file into S (a fresh settings struct). */
int renewal_load(const struct store *st, const char *name, struct settings *s,
                 struct error *e);
/* Write NAME's renewal file from the effective settings S. */
int renewal_save(const struct store *st, const char *name, const struct settings *s,
                 const char *server_url, struct error *e);

#endif
