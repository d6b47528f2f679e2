/* Waiting for the CA: polling an order or authorization until it leaves
 * the states that mean "not done yet". Validation and issuance often take
 * the CA milliseconds, so the first poll comes soon; the waits then double
 * up to a few seconds, so a CA that takes long is asked at most about once
 * a second after the first few polls. A Retry-After from the CA is a floor
 * under every wait, and the run's deadline (--timeout) a ceiling. */
#ifndef ACMEHOOK_ACME_ORDER_POLL_H
#define ACMEHOOK_ACME_ORDER_POLL_H

#include <time.h>

#include "acme/acme.h"
#include "acme/objects.h"
#include "base/err.h"

/* The first wait, and the longest; each wait doubles the one before. A
 * CA that validates or issues within a few milliseconds (a local CA, or
 * an order whose authorizations were already valid) is answered at
 * once; eight polls fit in the first second, then one a second at most. */
#define ORDER_POLL_FIRST_MS 2L
#define ORDER_POLL_CAP_MS 3000L
/* The longest a Retry-After is followed within one run. */
#define ORDER_POLL_RETRY_AFTER_MAX_S 60L

/* The time R's Retry-After asks not to be asked again before; 0 when it
 * has none (or one that does not parse). */
time_t order_poll_retry_at(const struct acme_reply *r);

/* How long to wait before poll number I (from 0), in ms, when the CA's
 * last answer asked not to be asked again before AT (0: it did not). */
long order_poll_wait_ms(long i, time_t at, time_t now);

/* Poll URL, an object of KIND ("order", "authorization") that the CA last
 * said was in state *ST (one of WAITING, which OBJ_ST_NONE ends), until
 * its status leaves WAITING: *OUT then holds the answer and *ST its
 * status. AT is the Retry-After of that last answer (0: none). WHAT
 * names the step in errors. Every poll, the first one included, comes
 * after a wait. */
int order_poll(struct acme *a, const char *what, const char *kind, const char *url,
               const enum obj_status *waiting, time_t at, struct acme_reply *out,
               enum obj_status *st, struct error *e);

#endif
