/* Helpers shared by the files of conf/ that fill a struct settings; code
 * outside conf/ uses the functions of conf/settings.h instead. All return
 * 0 (or the new entry) on success and -1 (or NULL) when out of memory. */
#ifndef ACMEHOOK_CONF_INTERNAL_H
#define ACMEHOOK_CONF_INTERNAL_H

#include <stddef.h>

#include "conf/settings.h"

/* Append a copy of S to the NULL-terminated list *V (NULL: empty). */
int conf_strv_push(char ***v, const char *s);
/* Append copies of every string of SRC (may be NULL) to *DST. */
int conf_strv_copy(char ***dst, char *const *src);
/* Free a NULL-terminated list; V may be NULL. */
void conf_strv_free(char **v);
/* Wipe and free a secret string; P may be NULL. */
void conf_free_secret(char *p);
/* Append a copy of R (NULL: an empty route) to the array *V of *N. */
int conf_routes_push(struct route **v, size_t *n, const struct route *r);
/* Append NAME with a copy of R (may be NULL) to the array *V of *N and
 * return the new entry, borrowed from the array. */
struct named_route *conf_named_push(struct named_route **v, size_t *n, const char *name,
                                    const struct route *r);

#endif
