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

/* The directory URL of S's server (presets resolved). */
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

#endif
