/* Issuance shared by certonly and renew: the account, the order, the
 * choice among the CA's chains and the checks before anything is kept. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "acme/account.h"
#include "acme/acme.h"
#include "acme/order.h"
#include "base/crypto.h"
#include "cli/engine.h"
#include "cli/issue.h"
#include "host/route.h"

/* Choose the chain whose top certificate was issued by PREFERRED (certbot's
 * --preferred-chain); the CA's default otherwise. */
static STACK_OF(X509) *pick_chain(struct engine *eng, const struct order_result *res,
                                  const char *preferred, struct error *e)
{
	STACK_OF(X509) *chosen = NULL;

	for (size_t i = 0; preferred && i < res->n_chains && !chosen; i++) {
		STACK_OF(X509) *c = crypto_chain_parse(res->chains[i], strlen(res->chains[i]), e);
		char *top = c ? crypto_issuer_of_chain_top(c) : NULL;
		if (!c)
			return NULL;
		if (top && strcmp(top, preferred) == 0)
			chosen = c;
		else
			sk_X509_pop_free(c, X509_free);
		free(top);
	}
	if (preferred && !chosen)
		log_msg(&eng->log, LVL_WARN,
		        "no chain offered by the CA is issued by \"%s\"; using the default chain",
		        preferred);
	if (!chosen)
		chosen = crypto_chain_parse(res->chains[0], strlen(res->chains[0]), e);
	return chosen;
}

int issue_route(struct engine *eng, const struct settings *s, struct routed *out,
                struct error *e)
{
	struct route_ctx ctx = {
		.log = &eng->log, .http = &eng->http, .plugins = &eng->plugins, .settings = s,
	};

	return route_names(&ctx, out, e);
}

const char *issue_server_url(const struct settings *s)
{
	return config_server_url(s->server);
}

int issue_open_account(struct engine *eng, const struct settings *s, struct acme *a,
                        EVP_PKEY **acct_key, struct error *e)
{
	struct acct_params p = {
		.email = s->email,
		.agree_tos = s->agree_tos,
		.eab_kid = s->eab_kid,
		.eab_key = eng->eab_key,
		.eab_key_len = eng->eab_key_len,
		.eab_alg = s->eab_hmac_alg,
		.key_type = s->account_key_type,
		.interactive = !s->non_interactive && isatty(STDIN_FILENO),
	};

	if (!a->dir && acme_open(a, &eng->http, &eng->log, issue_server_url(s), e) < 0)
		return -1;
	return acct_ensure(a, &eng->store, &p, &eng->log, acct_key, e);
}

/* A CA that lost the account we stored (a CA migration, a reset test CA)
 * answers accountDoesNotExist to everything: set the record aside and
 * register the same key again, under the same conditions as a first
 * registration (terms agreed, EAB when required). */
static int reopen_account(struct engine *eng, const struct settings *s, struct acme *a,
                          EVP_PKEY **acct_key, struct error *e)
{
	char was[1024];

	snprintf(was, sizeof(was), "%s", e->msg);
	err_clear(e);
	log_msg(&eng->log, LVL_WARN, "the CA no longer knows account %s (%s); registering again",
	        a->kid ? a->kid : "?", was);
	if (acct_forget(a, &eng->store, e) < 0)
		return -1;
	EVP_PKEY_free(*acct_key);
	*acct_key = NULL;
	return issue_open_account(eng, s, a, acct_key, e);
}

static bool account_forgotten(const struct error *e)
{
	return err_is_problem(e, ACME_PROB_ACCOUNT_DOES_NOT_EXIST);
}

void issued_free(struct issued *is)
{
	if (is->chain)
		sk_X509_pop_free(is->chain, X509_free);
	free(is->cert_pem);
	free(is->chain_pem);
	free(is->fullchain_pem);
	memset(is, 0, sizeof(*is));
}

/* Order a certificate for the names of S with the CSR, check it and split
 * it into cert, chain and fullchain. */
static int run_order(struct engine *eng, const struct settings *s, struct acme *a,
                     const struct routed *rt, const unsigned char *csr, size_t csr_len,
                     EVP_PKEY *cert_key, struct issued *out, struct error *e)
{
	struct order_result res = {0};
	struct issued is = {0};
	int ret = -1;

	struct dns_propagation_cfg cfg;
	struct order_dns dns = {.client = rt->dns, .cfg = &cfg};

	engine_propagation(s, &cfg);
	if (order_issue(a, &eng->log, &dns, rt->names, rt->n_names, csr, csr_len, &res, e) < 0)
		goto out;
	is.chain = pick_chain(eng, &res, s->preferred_chain, e);
	if (!is.chain)
		goto out;
	/* Check before storing: the key is ours, the names are the order's,
	 * the chain is in order. */
	if (crypto_chain_check(is.chain, cert_key, (const char *const *)s->domains, s->n_domains,
	                       e) < 0) {
		err_prefix(e, "refusing the certificate from %s", issue_server_url(s));
		goto out;
	}
	is.cert_pem = crypto_cert_pem(sk_X509_value(is.chain, 0));
	is.chain_pem = crypto_chain_pem(is.chain, 1);
	is.fullchain_pem = crypto_chain_pem(is.chain, 0);
	if (!is.cert_pem || !is.chain_pem || !is.fullchain_pem) {
		err_nomem(e);
		goto out;
	}
	*out = is;
	memset(&is, 0, sizeof(is));
	ret = 0;
out:
	issued_free(&is);
	order_result_free(&res);
	return ret;
}

int issue_order(struct engine *eng, const struct settings *s, struct acme *a, EVP_PKEY **acct_key,
                const struct routed *rt, const unsigned char *csr, size_t csr_len,
                EVP_PKEY *cert_key, struct issued *out, struct error *e)
{
	if (run_order(eng, s, a, rt, csr, csr_len, cert_key, out, e) == 0)
		return 0;
	if (!account_forgotten(e) || reopen_account(eng, s, a, acct_key, e) < 0)
		return -1;
	return run_order(eng, s, a, rt, csr, csr_len, cert_key, out, e);
}
