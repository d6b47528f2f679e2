/* Finding the order a newOrder request created when its answer was lost
 * (a reset or a timeout after the request went out): the account's order
 * list (RFC 8555 §7.1.2.1) is read, and the most recent orders on it are
 * compared with the names asked for. */
#ifndef ACMEHOOK_ACME_ORDER_LOST_H
#define ACMEHOOK_ACME_ORDER_LOST_H

#include <stddef.h>

#include "acme/objects.h"
#include "base/err.h"

struct acme;
struct log;

/* At most this many pages of the order list are read, and at most this
 * many of the last orders on it are fetched. */
#define ORDER_LOST_PAGES 10
#define ORDER_LOST_RECENT 10

/* Look among the orders of A's account for one pending or ready whose
 * identifiers are exactly the dns names NAMES (N of them; borrowed).
 * Returns 1 with *ORD and *URL (the caller's) set; 0 when there is none,
 * or the CA lists no orders for accounts; -1 on a failure. An order
 * already processing or valid is never taken: it was finalized, with a
 * CSR that is not this run's. */
int order_find_lost(struct acme *a, struct log *log, const char *const *names, size_t n,
                    struct obj_order *ord, char **url, struct error *e);

#endif
