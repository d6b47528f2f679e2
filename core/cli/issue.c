/* Issuance shared by certonly and renew: the account, the order, the
 * choice among the CA's chains and the checks before anything is kept. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "acme/account.h"
#include "acme/acme.h"
#include "acme/order.h"
#include "base/crypto.h"
#include "cli/engine.h"
#include "cli/due.h"
#include "cli/issue.h"
#include "host/route.h"
#include "store/orders.h"

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
	const char *url = config_server_url(s->server);

	/* As certbot does, a dry run asks Let's Encrypt's staging server
	 * rather than issuing a real certificate that would then be thrown
	 * away (and count against the production rate limits). Any other
	 * server is asked itself. */
	if (s->dry_run > 0 && strcmp(url, config_server_url("letsencrypt")) == 0)
		return config_server_url("letsencrypt-staging");
	return url;
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
		.account_id = s->account,
		.interactive = !s->non_interactive && isatty(STDIN_FILENO),
	};

	if (!a->dir) {
		if (engine_acme(eng, issue_server_url(s), a, e) < 0)
			return -1;
		/* One deadline for everything this run asks of the CA. */
		acme_set_deadline(a, s->timeout);
	}
	return engine_account(eng, a, &p, acct_key, e);
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
	engine_account_lost(eng, a);
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

/* Whether KEY is of the type S asks for, so that a recorded key is only
 * reused while the configuration still wants that kind of key. */
static bool key_fits(EVP_PKEY *key, const struct settings *s)
{
	char want[96], *have = crypto_key_describe(key);
	bool fits;

	if (s->key_type && strcmp(s->key_type, "rsa") == 0)
		snprintf(want, sizeof(want), "rsa %d", s->rsa_key_size ? s->rsa_key_size : 2048);
	else
		snprintf(want, sizeof(want), "ecdsa %s",
		         s->elliptic_curve ? s->elliptic_curve : "secp256r1");
	fits = have && strcmp(have, want) == 0;
	free(have);
	return fits;
}

/* NAME's recorded order (store/orders.h) when this run may resume it: for
 * A's server and account, exactly S's names, recent, with a key of the
 * configured type, which *KEY gets. A record that does not fit is
 * discarded, and costs one new order. Returns 1 with *REC filled, else 0. */
static int recorded_order(struct engine *eng, const struct settings *s, const struct acme *a,
                          const char *name, struct order_record *rec, EVP_PKEY **key)
{
	char why[1100], p[PATH_MAX];
	struct error ke = {0};
	EVP_PKEY *k = NULL;
	int ret = 0;

	if (store_order_load(&eng->store, name, rec, why, sizeof(why)) == 0) {
		if (why[0])
			log_msg(&eng->log, LVL_WARN, "discarding the order record %s", why);
		return 0;
	}
	if (!store_order_matches(rec, a->dir_url, a->kid, (const char *const *)s->domains,
	                         s->n_domains, time(NULL))) {
		log_msg(&eng->log, LVL_INFO,
		        "Not resuming order %s: it is for another server, account or set of names, "
		        "or older than %ld days", rec->order, STORE_ORDER_MAX_AGE / 86400);
		goto out;
	}
	if (store_order_key_path(&eng->store, name, p, sizeof(p)) < 0 ||
	    !(k = crypto_key_load(p, &ke))) {
		log_msg(&eng->log, LVL_WARN, "discarding the order record of %s: %s", name, ke.msg);
		goto out;
	}
	if (!key_fits(k, s)) {
		log_msg(&eng->log, LVL_INFO, "Not resuming order %s: its key is not of the configured type",
		        rec->order);
		goto out;
	}
	*key = k;
	k = NULL;
	ret = 1;
out:
	if (!ret) {
		store_order_free(rec);
		store_order_remove(&eng->store, name);
	}
	EVP_PKEY_free(k);
	return ret;
}

/* certbot's --reuse-key: a lineage that has a key renews with it, unless
 * --new-key asks for a new one this once (which later renewals then
 * reuse). Returns 1 with *KEY set, 0 when no key is reused. */
static int reused_key(struct engine *eng, const struct settings *s, const char *name,
                      EVP_PKEY **key, struct error *e)
{
	char p[PATH_MAX];
	EVP_PKEY *k = NULL;

	if (s->reuse_key != 1 || s->no_reuse_key == 1 || s->new_key == 1 || !name ||
	    !store_live_exists(&eng->store, name))
		return 0;
	if (store_live_path(&eng->store, name, "privkey", p, sizeof(p)) < 0 ||
	    !(k = crypto_key_load(p, e)))
		return -1;
	if (!key_fits(k, s)) {
		EVP_PKEY_free(k);
		return err_set(e, EXIT_USAGE,
		               "%s: --reuse-key keeps its key %s, which is not of the configured key "
		               "type; add --new-key to make a new key once",
		               name, p);
	}
	log_msg(&eng->log, LVL_INFO, "Reusing the private key of %s", name);
	*key = k;
	return 1;
}

int issue_cert_key(struct engine *eng, const struct settings *s, const struct acme *a,
                   const char *name, EVP_PKEY **key, struct error *e)
{
	struct order_record rec = {0};
	EVP_PKEY *k = NULL;
	int reused = reused_key(eng, s, name, key, e);

	if (reused != 0)
		return reused < 0 ? -1 : 0;

	/* A dry run neither resumes nor discards the lineage's recorded order:
	 * it leaves the work dir as it found it. */
	if (s->dry_run <= 0 && recorded_order(eng, s, a, name, &rec, &k)) {
		log_msg(&eng->log, LVL_DEBUG, "Using the key recorded with order %s", rec.order);
		store_order_free(&rec);
		*key = k;
		return 0;
	}
	k = crypto_keygen(s->key_type, s->elliptic_curve, s->rsa_key_size, e);
	if (!k)
		return -1;
	*key = k;
	return 0;
}

void issue_order_done(struct engine *eng, const char *name)
{
	store_order_remove(&eng->store, name);
}

/* Order a certificate for the names of S with the CSR, check it and split
 * it into cert, chain and fullchain. With a lineage NAME, the order is
 * recorded under it, and a recorded order made with CERT_KEY is resumed. */
static int run_order(struct engine *eng, const struct settings *s, struct acme *a,
                     const struct routed *rt, const char *name, const unsigned char *csr,
                     size_t csr_len, EVP_PKEY *cert_key, struct issued *out, struct error *e)
{
	struct order_result res = {0};
	struct issued is = {0};
	struct order_record rec = {0};
	struct order_journal jr = {.store = &eng->store, .lineage = name};
	EVP_PKEY *rec_key = NULL;
	char *key_pem = NULL, *replaces = NULL;
	int ret = -1;

	struct dns_propagation_cfg cfg;
	struct order_dns dns = {.client = rt->dns, .cfg = &cfg};

	engine_propagation(s, &cfg);
	if (name) {
		if (!(key_pem = crypto_key_pem(cert_key, e)))
			goto out;
		jr.key_pem = key_pem;
		/* Resume only an order whose CSR this run's key can make. */
		if (recorded_order(eng, s, a, name, &rec, &rec_key)) {
			if (crypto_pubkey_equal(rec_key, cert_key))
				jr.resume = rec.order;
			else
				store_order_remove(&eng->store, name);
		}
	}
	/* A renewal names the certificate it replaces (RFC 9773 §5). */
	if (name && acme_resource(a, "renewalInfo"))
		replaces = due_live_cert_id(eng, name);
	a->profile = s->preferred_profile;
	a->replaces = replaces;
	/* A dry run proves the challenges work only if it presents them. */
	a->fresh = s->revalidate == 1      ? ACME_FRESH_REQUIRE
	           : eng->base.dry_run > 0 ? ACME_FRESH_TRY
	                                   : ACME_FRESH_OFF;
	if (order_issue(a, &eng->log, &dns, rt->names, rt->n_names, name ? &jr : NULL, csr, csr_len,
	                &res, e) < 0)
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
	a->replaces = NULL;
	free(replaces);
	if (key_pem) {
		OPENSSL_cleanse(key_pem, strlen(key_pem));
		free(key_pem);
	}
	EVP_PKEY_free(rec_key);
	store_order_free(&rec);
	issued_free(&is);
	order_result_free(&res);
	return ret;
}

int issue_lineage_order(struct engine *eng, const struct settings *s, struct acme *a,
                        EVP_PKEY **acct_key, const struct routed *rt, const char *name,
                        const unsigned char *csr, size_t csr_len, EVP_PKEY *cert_key,
                        struct issued *out, struct error *e)
{
	/* A dry run's order is not recorded under the lineage (see above). */
	if (s->dry_run > 0)
		name = NULL;
	if (run_order(eng, s, a, rt, name, csr, csr_len, cert_key, out, e) == 0)
		return 0;
	if (!account_forgotten(e) || reopen_account(eng, s, a, acct_key, e) < 0)
		return -1;
	return run_order(eng, s, a, rt, name, csr, csr_len, cert_key, out, e);
}

int issue_order(struct engine *eng, const struct settings *s, struct acme *a, EVP_PKEY **acct_key,
                const struct routed *rt, const unsigned char *csr, size_t csr_len,
                EVP_PKEY *cert_key, struct issued *out, struct error *e)
{
	return issue_lineage_order(eng, s, a, acct_key, rt, NULL, csr, csr_len, cert_key, out, e);
}
