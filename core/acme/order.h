/* Orders (RFC 8555 §7.4), run in phases across all authorizations:
 * present every challenge, answer every challenge, poll every
 * authorization, clean up every challenge; then finalize, wait for the
 * certificate and download it with every alternate chain. */
#ifndef ACMEHOOK_ORDER_H
#define ACMEHOOK_ORDER_H

#include <stddef.h>

#include "acme/order_finish.h"
#include "base/err.h"

struct acme;
struct log;
struct routed_name;
struct store;

struct dns_client;
struct dns_propagation_cfg;

/* How to wait for dns-01 records: one wait for all names of the order. */
struct order_dns {
	struct dns_client *client;
	const struct dns_propagation_cfg *cfg;
};


/* Where an order is recorded while it runs (store/orders.h), so that a run
 * cut short resumes it instead of placing another one. STORE and LINEAGE
 * name the record, KEY_PEM is the certificate key the CSR is made of, and
 * RESUME the URL of a recorded order of this account for these names to
 * resume, or NULL. All borrowed. */
struct order_journal {
	const struct store *store;
	const char *lineage;
	const char *key_pem;
	const char *resume;
};

/* Order a certificate for NAMES (the routed records of host/route.h, each
 * with its instance, challenge and dns-01 record; borrowed for the call).
 * With a journal J, the order J->resume names is resumed when the CA still
 * has it pending, ready, processing or valid; otherwise a new order is
 * placed and recorded before anything else is sent for it. The record is
 * removed when the CA declares the order invalid and kept on every other
 * failure (a signal, the network), for the next run to resume; removing it
 * after success is the caller's, once the certificate is stored. */
int order_issue(struct acme *a, struct log *log, const struct order_dns *dns,
                const struct routed_name *names, size_t n, const struct order_journal *j,
                const unsigned char *csr_der, size_t csr_len, struct order_result *out,
                struct error *e);
void order_result_free(struct order_result *r);

#endif
