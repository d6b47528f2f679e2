/* Orders (RFC 8555 §7.4), run in phases across all authorizations:
 * present every challenge, answer every challenge, poll every
 * authorization, clean up every challenge; then finalize, wait for the
 * certificate and download it with every alternate chain. */
#ifndef ACMEHOOK_ORDER_H
#define ACMEHOOK_ORDER_H

#include <stddef.h>

#include "base/err.h"

struct acme;
struct log;
struct routed_name;

struct dns_client;
struct dns_propagation_cfg;

/* How to wait for dns-01 records: one wait for all names of the order. */
struct order_dns {
	struct dns_client *client;
	const struct dns_propagation_cfg *cfg;
};

struct order_result {
	char **chains;      /* PEM chains: [0] the default, then alternates; NULL-terminated */
	size_t n_chains;
};

/* Order a certificate for NAMES (the routed records of host/route.h, each
 * with its instance, challenge and dns-01 record; borrowed for the call). */
int order_issue(struct acme *a, struct log *log, const struct order_dns *dns,
                const struct routed_name *names, size_t n,
                const unsigned char *csr_der, size_t csr_len, struct order_result *out,
                struct error *e);
void order_result_free(struct order_result *r);

#endif
