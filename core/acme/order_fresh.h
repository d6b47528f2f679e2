/* Orders whose every name is validated now: a CA may answer a new order
 * with authorizations it holds valid from earlier orders (RFC 8555 §7.4),
 * and then no challenge is presented at all. A dry run, and a run asked to
 * --revalidate, deactivate those (RFC 8555 §7.5.2) and order again, so
 * that the challenge set-up is proven by this run. */
#ifndef ACMEHOOK_ACME_ORDER_FRESH_H
#define ACMEHOOK_ACME_ORDER_FRESH_H

#include <stdbool.h>

#include "acme/objects.h"
#include "base/err.h"

struct acme;
struct log;

/* How many orders a run places before it stops asking for fresh
 * authorizations: a CA may hold several valid ones for a name. */
#define ORDER_FRESH_TRIES 3

/* Find the authorizations of ORD that the CA holds valid already and,
 * with DEACTIVATE, deactivate them. Returns how many were valid (0: the
 * order is fresh as it is); -1 when one could not be fetched or
 * deactivated. */
int order_deactivate_reused(struct acme *a, struct log *log, const struct obj_order *ord,
                            bool deactivate, struct error *e);

#endif
