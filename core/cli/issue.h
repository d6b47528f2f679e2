/* Issuance shared by certonly and renew (see issue.c). */
#ifndef ACMEHOOK_CLI_ISSUE_H
#define ACMEHOOK_CLI_ISSUE_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/err.h"

struct acme;
struct engine;
struct routed;
struct settings;

/* A checked certificate, split the way the store keeps it; all owned. */
struct issued {
	STACK_OF(X509) *chain;
	char *cert_pem, *chain_pem, *fullchain_pem;
};
void issued_free(struct issued *is);

/* The directory URL of S's server (presets resolved). A dry run asks
 * letsencrypt-staging instead of letsencrypt. */
const char *issue_server_url(const struct settings *s);

/* Route S's names to plugin instances of ENG's registry (host/route.h). */
int issue_route(struct engine *eng, const struct settings *s, struct routed *out,
                struct error *e);

/* Open S's server in A (unless already open) and load or register the
 * account; *ACCT_KEY (owned by the caller) is its key. */
int issue_open_account(struct engine *eng, const struct settings *s, struct acme *a,
                       EVP_PKEY **acct_key, struct error *e);

/* Order a certificate for S's names with the DER CSR, pick the chain,
 * check it against CERT_KEY and the names, and split it into *OUT. When
 * the CA has forgotten the account (accountDoesNotExist), register the same
 * key again and order once more. */
int issue_order(struct engine *eng, const struct settings *s, struct acme *a, EVP_PKEY **acct_key,
                const struct routed *rt, const unsigned char *csr, size_t csr_len,
                EVP_PKEY *cert_key, struct issued *out, struct error *e);

/* Orders of a lineage are crash-safe: each is recorded in the work dir
 * (store/orders.h) from the moment it is placed until the certificate is
 * stored, and a run that finds the record resumes the order.
 *
 * issue_cert_key: the certificate key for lineage NAME, *KEY (owned by the
 * caller): the one recorded with an order that this run, with account A
 * open, can resume, else a new key of S's type.
 * issue_lineage_order: issue_order for lineage NAME, resuming its recorded
 * order when CERT_KEY is that order's key, else recording the new one.
 * issue_order_done: forget NAME's order once its certificate is stored. */
int issue_cert_key(struct engine *eng, const struct settings *s, const struct acme *a,
                   const char *name, EVP_PKEY **key, struct error *e);
int issue_lineage_order(struct engine *eng, const struct settings *s, struct acme *a,
                        EVP_PKEY **acct_key, const struct routed *rt, const char *name,
                        const unsigned char *csr, size_t csr_len, EVP_PKEY *cert_key,
                        struct issued *out, struct error *e);
void issue_order_done(struct engine *eng, const char *name);

#endif
