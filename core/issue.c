/* certonly and renew: choose the lineage, decide whether it is due, route
 * every name (route.c), then run the order and store the result. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <acmehook/plugin.h>

#include "acct.h"
#include "acme.h"
#include "crypto.h"
#include "engine.h"
#include "hook.h"
#include "order.h"
#include "renewal.h"
#include "route.h"


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
		log_msg(&eng->log, LOG_WARN,
		        "no chain offered by the CA is issued by \"%s\"; using the default chain",
		        preferred);
	if (!chosen)
		chosen = crypto_chain_parse(res->chains[0], strlen(res->chains[0]), e);
	return chosen;
}

static const char *server_url(const struct settings *s)
{
	return config_server_url(s->server);
}

static int open_account(struct engine *eng, const struct settings *s, struct acme *a,
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

	if (!a->dir && acme_open(a, &eng->http, &eng->log, server_url(s), e) < 0)
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
	log_msg(&eng->log, LOG_WARN, "the CA no longer knows account %s (%s); registering again",
	        a->kid ? a->kid : "?", was);
	if (acct_forget(a, &eng->store, e) < 0)
		return -1;
	EVP_PKEY_free(*acct_key);
	*acct_key = NULL;
	return open_account(eng, s, a, acct_key, e);
}

static bool account_forgotten(const struct error *e)
{
	return strstr(e->msg, "accountDoesNotExist") != NULL;
}

struct issued {
	STACK_OF(X509) *chain;
	char *cert_pem, *chain_pem, *fullchain_pem;
};

static void issued_free(struct issued *is)
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
		err_prefix(e, "refusing the certificate from %s", server_url(s));
		goto out;
	}
	is.cert_pem = crypto_cert_pem(sk_X509_value(is.chain, 0));
	is.chain_pem = crypto_chain_pem(is.chain, 1);
	is.fullchain_pem = crypto_chain_pem(is.chain, 0);
	if (!is.cert_pem || !is.chain_pem || !is.fullchain_pem) {
		err_set(e, EXIT_OP, "out of memory");
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

static void print_expiry(struct engine *eng, X509 *cert)
{
	struct cert_info ci = {0};
	struct error e = {0};
	char date[32];

	if (crypto_cert_info(cert, &ci, &e) < 0)
		return;
	strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&ci.not_after));
	fprintf(eng->out, "This certificate expires on %s.\n", date);
	crypto_cert_info_free(&ci);
}

/* The chain (intermediates) of the version now live, to tell deploy steps
 * whether the CA changed it: CAs rotate intermediates (GlobalSign does so
 * quarterly), and --preferred-chain may pick another one. */
static char *live_chain(struct engine *eng, const char *name)
{
	char p[PATH_MAX], *text = NULL;
	struct error e = {0};

	if (store_live_path(&eng->store, name, "chain", p, sizeof(p)) < 0 ||
	    store_read(p, 1 << 20, &text, NULL, &e) < 0)
		return NULL;
	return text;
}

/* Run every deploy step on the version just stored. */
static int run_deploys(struct engine *eng, const struct settings *s, const struct routed *rt,
                       const char *name, bool renewal, bool issuer_changed, struct error *e)
{
	char cert[PATH_MAX], chain[PATH_MAX], full[PATH_MAX], key[PATH_MAX];
	struct ah_certificate c = {.struct_size = sizeof(c)};

	store_live_path(&eng->store, name, "cert", cert, sizeof(cert));
	store_live_path(&eng->store, name, "chain", chain, sizeof(chain));
	store_live_path(&eng->store, name, "fullchain", full, sizeof(full));
	store_live_path(&eng->store, name, "privkey", key, sizeof(key));
	c.lineage = name;
	c.names = (const char *const *)s->domains;
	c.n_names = s->n_domains;
	c.cert_path = cert;
	c.chain_path = chain;
	c.fullchain_path = full;
	c.key_path = key;
	c.renewed = renewal;
	c.issuer_changed = issuer_changed;
	for (size_t i = 0; i < rt->n_deploys; i++) {
		int st = plugin_instance_install(rt->deploys[i], &c, e);
		if (st != AH_OK) {
			err_set(e, EXIT_OP, "deploy step %zu (%s) declined to deploy %s", i + 1,
			        plugin_instance_name(rt->deploys[i]), name);
			err_prefix(e, "the certificate is saved, but");
			return -1;
		}
		log_msg(&eng->log, LOG_INFO, "Deployed %s with %s", name,
		        plugin_instance_name(rt->deploys[i]));
	}
	return 0;
}

/* Issue (or renew) lineage NAME with the effective settings S. */
static int issue_lineage(struct engine *eng, const struct settings *s, const char *name,
                         bool renewal, struct error *e)
{
	struct routed rt = {0};
	struct acme a = {0};
	struct issued is = {0};
	EVP_PKEY *acct_key = NULL, *key = NULL;
	unsigned char *csr = NULL;
	size_t csr_len = 0;
	char *key_pem = NULL, *old_chain = NULL, live[PATH_MAX], p[PATH_MAX];
	struct lineage_files files;
	int version = 0, ret = -1;

	if (route_names(eng, s, &rt, e) < 0)
		goto out;
	if (open_account(eng, s, &a, &acct_key, e) < 0)
		goto out;
	key = crypto_keygen(s->key_type, s->elliptic_curve, s->rsa_key_size, e);
	if (!key || crypto_csr_make(key, (const char *const *)s->domains, s->n_domains, &csr,
	                            &csr_len, e) < 0)
		goto out;
	fprintf(eng->out, "%s a certificate for %s\n", renewal ? "Renewing" : "Requesting",
	        s->domains[0]);
	if (run_order(eng, s, &a, &rt, csr, csr_len, key, &is, e) < 0 &&
	    (!account_forgotten(e) || reopen_account(eng, s, &a, &acct_key, e) < 0 ||
	     run_order(eng, s, &a, &rt, csr, csr_len, key, &is, e) < 0))
		goto out;
	key_pem = crypto_key_pem(key, e);
	if (!key_pem)
		goto out;
	old_chain = renewal ? live_chain(eng, name) : NULL;
	files = (struct lineage_files){.privkey = key_pem,
	                               .cert = is.cert_pem,
	                               .chain = is.chain_pem,
	                               .fullchain = is.fullchain_pem};
	if (store_lineage_save(&eng->store, name, &files, &version, e) < 0 ||
	    renewal_save(&eng->store, name, s, server_url(s), e) < 0)
		goto out;
	snprintf(live, sizeof(live), "%s/live/%s", eng->store.config_dir, name);
	fprintf(eng->out, "Successfully received certificate.\n");
	store_live_path(&eng->store, name, "fullchain", p, sizeof(p));
	fprintf(eng->out, "Certificate is saved at: %s\n", p);
	store_live_path(&eng->store, name, "privkey", p, sizeof(p));
	fprintf(eng->out, "Key is saved at:         %s\n", p);
	print_expiry(eng, sk_X509_value(is.chain, 0));
	log_msg(&eng->log, LOG_DEBUG, "%s is now version %d", name, version);
	if (run_deploys(eng, s, &rt, name, renewal,
	                old_chain && strcmp(old_chain, is.chain_pem) != 0, e) < 0)
		goto out;
	if (s->deploy_hook &&
	    hook_run_deploy(s->deploy_hook, live, (const char *const *)s->domains, s->n_domains,
	                    e) < 0)
		goto out;
	ret = 0;
out:
	free(old_chain);
	if (key_pem) {
		OPENSSL_cleanse(key_pem, strlen(key_pem));
		free(key_pem);
	}
	free(csr);
	issued_free(&is);
	EVP_PKEY_free(key);
	EVP_PKEY_free(acct_key);
	acme_close(&a);
	routed_free(&rt);
	return ret;
}

/* --- lineage choice and due dates ---------------------------------------- */

static bool same_names(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		bool found = false;
		for (size_t j = 0; j < nb && !found; j++)
			found = strcasecmp(a[i], b[j]) == 0;
		if (!found)
			return false;
	}
	return true;
}

/* The lineage for NAMES: --cert-name, else the one whose names are exactly
 * these, else the first name (without "*.") as certbot does. */
static int choose_lineage(struct engine *eng, char *const *names, size_t n, char *out,
                          size_t cap, struct error *e)
{
	char **all = NULL;
	const char *first = names[0];

	if (eng->base.cert_name) {
		if (!store_name_valid(eng->base.cert_name))
			return err_set(e, EXIT_USAGE, "invalid --cert-name \"%s\"", eng->base.cert_name);
		snprintf(out, cap, "%s", eng->base.cert_name);
		return 0;
	}
	all = store_lineages(&eng->store, e);
	if (!all)
		return -1;
	for (size_t i = 0; all[i]; i++) {
		struct settings st;
		struct error ignore = {0};
		settings_init(&st);
		if (renewal_load(&eng->store, all[i], &st, &ignore) == 0 &&
		    same_names(st.domains, st.n_domains, names, n)) {
			snprintf(out, cap, "%s", all[i]);
			settings_free(&st);
			store_names_free(all);
			return 0;
		}
		settings_free(&st);
	}
	store_names_free(all);
	if (strncmp(first, "*.", 2) == 0)
		first += 2;
	snprintf(out, cap, "%s", first);
	if (!store_name_valid(out))
		return err_set(e, EXIT_USAGE, "cannot name a certificate after \"%s\"; give --cert-name",
		               names[0]);
	return 0;
}

/* Due when less than a third of the lifetime is left, when the names
 * changed, or when the live certificate is unreadable. WHY says which. */
static bool lineage_due(struct engine *eng, const char *name, const struct settings *s,
                        char *why, size_t cap)
{
	char p[PATH_MAX];
	struct error e = {0};
	struct cert_info ci = {0};
	X509 *c = NULL;
	bool due = true;
	size_t n = 0;
	time_t now = time(NULL);

	store_live_path(&eng->store, name, "cert", p, sizeof(p));
	c = crypto_cert_load(p, &e);
	if (!c || crypto_cert_info(c, &ci, &e) < 0) {
		snprintf(why, cap, "the live certificate is unreadable (%s)", e.msg);
		goto out;
	}
	while (ci.names && ci.names[n])
		n++;
	if (!same_names(ci.names, n, s->domains, s->n_domains)) {
		snprintf(why, cap, "its names changed");
		goto out;
	}
	if (ci.not_after - now < (ci.not_after - ci.not_before) / 3) {
		snprintf(why, cap, "less than a third of its lifetime is left");
		goto out;
	}
	due = false;
	{
		char date[32];
		strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&ci.not_after));
		snprintf(why, cap, "it expires on %s", date);
	}
out:
	crypto_cert_info_free(&ci);
	X509_free(c);
	return due;
}

/* Renew NAME when due (or forced). *ATTEMPTED tells whether it tried. */
static int renew_one(struct engine *eng, const char *name, bool cli_domains, bool *attempted,
                     struct error *e)
{
	struct settings s;
	char why[512];
	int lock = -1, ret = -1;
	bool exists;

	*attempted = false;
	if (store_lock(&eng->store, name, &lock, e) < 0)
		return -1;
	if (engine_lineage_settings(eng, name, cli_domains, &s, e) < 0)
		goto out;
	exists = store_lineage_exists(&eng->store, name) && store_lineage_latest(&eng->store, name);
	if (exists && !lineage_due(eng, name, &s, why, sizeof(why)) && !s.force_renewal) {
		fprintf(eng->out, "Certificate %s is not yet due for renewal (%s); no action taken.\n",
		        name, why);
		ret = 0;
		goto out;
	}
	if (exists)
		log_msg(&eng->log, LOG_INFO, "Renewing %s: %s", name,
		        s.force_renewal ? "forced" : why);
	*attempted = true;
	ret = issue_lineage(eng, &s, name, exists, e);
out:
	settings_free(&s);
	store_unlock(lock);
	return ret;
}

/* --- certonly with a user's CSR ------------------------------------------ */

static int write_out(const char *given, const char *stem, const char *data, char *used,
                     size_t cap, struct error *e)
{
	if (given) {
		snprintf(used, cap, "%s", given);
	} else {
		/* certbot's defaults, never overwriting an earlier result. */
		for (int i = 0; i < 10000; i++) {
			snprintf(used, cap, "%04d_%s.pem", i, stem);
			if (!store_exists(used))
				break;
		}
	}
	return store_write_atomic(used, data, strlen(data), 0644, e);
}

static int certonly_csr(struct engine *eng, struct error *e)
{
	struct settings s;
	struct routed rt = {0};
	struct acme a = {0};
	struct issued is = {0};
	EVP_PKEY *acct_key = NULL, *csr_key = NULL;
	unsigned char *der = NULL;
	size_t der_len = 0, n_names = 0;
	char **names = NULL, used[PATH_MAX];
	int ret = -1;

	settings_init(&s);
	if (crypto_csr_load(eng->base.csr, &der, &der_len, &names, &n_names, &csr_key, e) < 0)
		goto out;
	if (engine_lineage_settings(eng, NULL, true, &s, e) < 0)
		goto out;
	if (s.n_domains && !same_names(s.domains, s.n_domains, names, n_names)) {
		err_set(e, EXIT_USAGE, "the -d names differ from the names in the CSR %s",
		        eng->base.csr);
		goto out;
	}
	for (size_t i = 0; i < n_names; i++)
		if (settings_add_domain(&s, names[i], s.fallback.plugin ? &s.fallback : NULL, e) < 0)
			goto out;
	if (route_names(eng, &s, &rt, e) < 0 || open_account(eng, &s, &a, &acct_key, e) < 0)
		goto out;
	if (crypto_pubkey_equal(csr_key, acct_key)) {
		err_set(e, EXIT_USAGE,
		        "the CSR %s uses the account key; make the CSR with a separate key",
		        eng->base.csr);
		goto out;
	}
	if (run_order(eng, &s, &a, &rt, der, der_len, csr_key, &is, e) < 0 &&
	    (!account_forgotten(e) || reopen_account(eng, &s, &a, &acct_key, e) < 0 ||
	     run_order(eng, &s, &a, &rt, der, der_len, csr_key, &is, e) < 0))
		goto out;
	if (write_out(s.cert_path, "cert", is.cert_pem, used, sizeof(used), e) < 0)
		goto out;
	fprintf(eng->out, "Certificate is saved at: %s\n", used);
	if (write_out(s.chain_path, "chain", is.chain_pem, used, sizeof(used), e) < 0)
		goto out;
	fprintf(eng->out, "Intermediate CA chain is saved at: %s\n", used);
	if (write_out(s.fullchain_path, "fullchain", is.fullchain_pem, used, sizeof(used), e) < 0)
		goto out;
	fprintf(eng->out, "Full certificate chain is saved at: %s\n", used);
	ret = 0;
out:
	issued_free(&is);
	routed_free(&rt);
	acme_close(&a);
	EVP_PKEY_free(acct_key);
	EVP_PKEY_free(csr_key);
	crypto_names_free(names);
	free(der);
	settings_free(&s);
	return ret;
}

/* --- the commands -------------------------------------------------------- */

int cmd_certonly(struct engine *eng, struct error *e)
{
	char name[256];
	struct settings stored;
	char **names;
	size_t n;
	bool attempted;
	int ret = -1;

	if (eng->base.csr)
		return certonly_csr(eng, e);
	settings_init(&stored);
	names = eng->base.domains;
	n = eng->base.n_domains;
	if (n == 0 && eng->base.cert_name && store_lineage_exists(&eng->store, eng->base.cert_name)) {
		if (renewal_load(&eng->store, eng->base.cert_name, &stored, e) < 0)
			goto out;
		names = stored.domains;
		n = stored.n_domains;
	}
	if (n == 0) {
		err_set(e, EXIT_USAGE, "no domains given: add -d NAME (or domains = NAME in cli.ini)");
		goto out;
	}
	if (choose_lineage(eng, names, n, name, sizeof(name), e) < 0)
		goto out;
	ret = renew_one(eng, name, true, &attempted, e);
out:
	settings_free(&stored);
	return ret;
}

int cmd_renew(struct engine *eng, struct error *e)
{
	char **names = NULL;
	size_t tried = 0, failed = 0;
	int ret = -1;

	if (eng->cli->n_domains) {
		err_set(e, EXIT_USAGE, "renew takes no -d; use certonly -d NAME to change a certificate");
		goto out;
	}
	names = store_lineages(&eng->store, e);
	if (!names)
		goto out;
	for (size_t i = 0; names[i]; i++) {
		struct error one = {0};
		bool attempted = false;
		if (eng->base.cert_name && strcmp(eng->base.cert_name, names[i]) != 0)
			continue;
		if (renew_one(eng, names[i], false, &attempted, &one) < 0) {
			failed++;
			log_msg(&eng->log, LOG_ERROR, "renewing %s failed: %s", names[i], one.msg);
		}
		tried += attempted;
	}
	if (eng->base.cert_name && !store_lineage_exists(&eng->store, eng->base.cert_name)) {
		err_set(e, EXIT_USAGE, "no certificate named \"%s\" in %s/renewal", eng->base.cert_name,
		        eng->store.config_dir);
		goto out;
	}
	if (tried == 0 && failed == 0)
		fprintf(eng->out, "No renewals were attempted.\n");
	if (failed) {
		err_set(e, EXIT_OP, "%zu of the renewals failed; see the messages above", failed);
		goto out;
	}
	ret = 0;
out:
	store_names_free(names);
	return ret;
}
