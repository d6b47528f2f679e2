/* The newOrder request (RFC 8555 §7.4, RFC 9773 §5). */
#ifndef ACMEHOOK_ACME_ORDER_NEW_H
#define ACMEHOOK_ACME_ORDER_NEW_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct routed_name;

/* The newOrder payload for the dns NAMES (N of them), with "profile"
 * PROFILE and "replaces" REPLACES when they are not NULL (all borrowed).
 * Malloc'd JSON text; NULL when out of memory. */
char *order_new_payload(const struct routed_name *names, size_t n, const char *profile,
                        const char *replaces);

/* True when E, newOrder's failure, is the CA refusing its "replaces". */
bool order_new_replaces_refused(const struct error *e);

#endif
