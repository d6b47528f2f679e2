/* Renewal files written by certbot, read and rewritten in place.
 *
 * certbot's renewal file has no list of names (they are the live
 * certificate's), one authenticator for every name, and values in
 * configobj's syntax (quotes, "a, b," lists). A lineage taken over from
 * certbot keeps that form, so certbot can still read and renew it: the
 * keys acmehook uses are written from the effective settings, every other
 * key and section is kept verbatim, and acmehook's own settings go in a
 * top-level [acmehook] section, which certbot leaves alone. */
#ifndef ACMEHOOK_CONF_CERTBOT_H
#define ACMEHOOK_CONF_CERTBOT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "conf/settings.h"

struct store;

/* Whether TEXT (a renewal file) is certbot's: its [renewalparams] names an
 * authenticator and it has no [[routes]] section. */
bool certbot_renewal_is(const char *text);

/* Read certbot's renewal file TEXT (read from PATH) of lineage NAME into S:
 * the names come from live/NAME/cert.pem. The file's paths must be the
 * store's for NAME. */
int certbot_renewal_load(const struct store *st, const char *name, const char *path,
                         const char *text, struct settings *s, struct error *e);

/* Rewrite certbot's renewal file PATH, whose current text is OLD, from the
 * effective settings S. Keys acmehook does not use are kept and reported
 * through ST's log the first time they are kept (the file remembers which
 * were reported). S's routes must fit certbot's form: one plugin for every
 * name, with one webroot per name or one credentials file. */
int certbot_renewal_save(const struct store *st, const char *path, const char *old,
                         const struct settings *s, const char *server_url, struct error *e);

#endif
