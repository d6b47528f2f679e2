/* The end of an order whose authorizations are all valid (RFC 8555
 * §7.4): finalize it with the CSR, wait while the CA issues, and download
 * the certificate with every alternate chain the CA offers. */
#ifndef ACMEHOOK_ACME_ORDER_FINISH_H
#define ACMEHOOK_ACME_ORDER_FINISH_H

#include <stdbool.h>
#include <stddef.h>

#include "acme/acme.h"
#include "acme/objects.h"
#include "base/err.h"

struct log;

/* What an order yields (order.h's order_issue). */
struct order_result {
	char **chains;      /* PEM chains: [0] the default, then alternates; NULL-terminated */
	size_t n_chains;
};

/* Whether E is a request whose answer was lost on the way back (a reset
 * or a timeout), so the CA may have acted on it. */
bool order_answer_lost(const struct error *e);

/* Finish the order at ORDER_URL, in state ST: finalize it when READY
 * (taken for ready without a poll since the challenges were answered when
 * POLLED is false), poll it while processing, and download its
 * certificate into RES. *LAST is the CA's last answer about the order
 * (empty when KNOWN, the order as fetched or placed, is the latest); it
 * is replaced as new answers come. *DEAD tells that the CA declared the
 * order invalid or refused its CSR. */
int order_finish(struct acme *a, struct log *log, const char *order_url,
                 const struct obj_order *known, enum obj_status st, bool polled,
                 struct acme_reply *last, const unsigned char *csr_der, size_t csr_len,
                 struct order_result *res, bool *dead, struct error *e);

#endif
