/* One lineage's life: which lineage a request belongs to, whether it is
 * due, and issuing, storing and deploying its next version. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "base/crypto.h"
#include "base/testpoint.h"
#include "cli/engine.h"
#include "cli/hook.h"
#include "cli/issue.h"
#include "cli/lineage.h"
#include "cli/preflight.h"
#include "conf/renewal.h"
#include "host/route.h"
#include "store/lock.h"

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
	struct cert_desc c = {0};

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
		if (host_instance_install(rt->deploys[i], &c, e) != 0) {
			err_set(e, EXIT_OP, "deploy step %zu (%s) declined to deploy %s", i + 1,
			        host_instance_name(rt->deploys[i]), name);
			err_prefix(e, "the certificate is saved, but");
			return -1;
		}
		log_msg(&eng->log, LVL_INFO, "Deployed %s with %s", name,
		        host_instance_name(rt->deploys[i]));
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

	if (issue_route(eng, s, &rt, e) < 0)
		goto out;
	if (issue_open_account(eng, s, &a, &acct_key, e) < 0)
		goto out;
	key = crypto_keygen(s->key_type, s->elliptic_curve, s->rsa_key_size, e);
	if (!key || crypto_csr_make(key, (const char *const *)s->domains, s->n_domains, &csr,
	                            &csr_len, e) < 0)
		goto out;
	fprintf(eng->out, "%s a certificate for %s\n", renewal ? "Renewing" : "Requesting",
	        s->domains[0]);
	if (issue_order(eng, s, &a, &acct_key, &rt, csr, csr_len, key, &is, e) < 0)
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
	    renewal_save(&eng->store, name, s, issue_server_url(s), e) < 0)
		goto out;
	store_live_dir(&eng->store, name, live, sizeof(live));
	fprintf(eng->out, "Successfully received certificate.\n");
	store_live_path(&eng->store, name, "fullchain", p, sizeof(p));
	fprintf(eng->out, "Certificate is saved at: %s\n", p);
	store_live_path(&eng->store, name, "privkey", p, sizeof(p));
	fprintf(eng->out, "Key is saved at:         %s\n", p);
	print_expiry(eng, sk_X509_value(is.chain, 0));
	log_msg(&eng->log, LVL_DEBUG, "%s is now version %d", name, version);
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

bool lineage_same_names(char *const *a, size_t na, char *const *b, size_t nb)
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
int lineage_choose(struct engine *eng, char *const *names, size_t n, char *out,
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
		    lineage_same_names(st.domains, st.n_domains, names, n)) {
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
	if (!lineage_same_names(ci.names, n, s->domains, s->n_domains)) {
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
int lineage_renew(struct engine *eng, const char *name, bool cli_domains, bool *attempted,
                     struct error *e)
{
	struct settings s;
	char why[512];
	int lock = -1, ret = -1;
	bool exists;

	*attempted = false;
	/* The lock is in the config dir, with the data: runs that share it
	 * exclude each other whatever their work dirs. A second run waits
	 * for the first (up to --lock-timeout) and then sees its result. */
	if (store_lock(&eng->store, name, &lock, e) < 0)
		return -1;
	testpoint("lineage-locked");
	if (engine_lineage_settings(eng, name, cli_domains, &s, e) < 0)
		goto out;
	store_lineage_tidy(&eng->store, name);
	exists = store_lineage_exists(&eng->store, name) && store_lineage_latest(&eng->store, name);
	if (exists && !lineage_due(eng, name, &s, why, sizeof(why)) && !s.force_renewal) {
		fprintf(eng->out, "Certificate %s is not yet due for renewal (%s); no action taken.\n",
		        name, why);
		ret = 0;
		goto out;
	}
	if (exists)
		log_msg(&eng->log, LVL_INFO, "Renewing %s: %s", name,
		        s.force_renewal ? "forced" : why);
	*attempted = true;
	if (preflight_lineage(eng, &s, name, e) < 0)
		goto out;
	ret = issue_lineage(eng, &s, name, exists, e);
out:
	settings_free(&s);
	store_unlock(lock);
	return ret;
}

