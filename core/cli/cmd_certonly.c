/* certonly: get a certificate for the -d names into its lineage, or, with
 * --csr, for a CSR the user made, written where certbot writes it. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "base/crypto.h"
#include "cli/choose.h"
#include "cli/engine.h"
#include "cli/issue.h"
#include "cli/lineage.h"
#include "cli/preflight.h"
#include "conf/renewal.h"
#include "host/route.h"

/* certbot's closing line of a dry run, on the output as the results are:
 * none under -q when it worked. */
static void dry_run_summary(struct engine *eng, int ret, const struct error *e)
{
	if (ret < 0)
		fprintf(eng->out, "The dry run failed: %s\n", e->msg);
	else if (eng->log.level >= LVL_INFO)
		fprintf(eng->out, "The dry run was successful.\n");
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
	if (s.n_domains && !lineage_same_names(s.domains, s.n_domains, names, n_names)) {
		err_set(e, EXIT_USAGE, "the -d names differ from the names in the CSR %s",
		        eng->base.csr);
		goto out;
	}
	for (size_t i = 0; i < n_names; i++)
		if (settings_add_domain(&s, names[i], s.fallback.plugin ? &s.fallback : NULL, e) < 0)
			goto out;
	if (issue_route(eng, &s, &rt, e) < 0 || issue_open_account(eng, &s, &a, &acct_key, e) < 0)
		goto out;
	if (crypto_pubkey_equal(csr_key, acct_key)) {
		err_set(e, EXIT_USAGE,
		        "the CSR %s uses the account key; make the CSR with a separate key",
		        eng->base.csr);
		goto out;
	}
	if (hook_run_begin(&eng->hooks, &s, e) < 0 || preflight_csr(eng, &s, e) < 0 ||
	    issue_order(eng, &s, &a, &acct_key, &rt, der, der_len, csr_key, &is, e) < 0)
		goto out;
	if (lineage_dry_run(eng)) {
		ret = 0;
		goto out;
	}
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
	if (lineage_dry_run(eng))
		dry_run_summary(eng, ret, e);
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

static int certonly_lineage(struct engine *eng, struct error *e);

int cmd_certonly(struct engine *eng, struct error *e)
{
	struct error post = {0};
	int ret;

	if (eng->cli->json == 1)
		return err_set(e, EXIT_USAGE, "certonly has no JSON output; --json is for `acmehook "
		                              "certificates`");
	/* certbot runs the renewal-hooks directories only for `renew`. */
	eng->hooks.log = &eng->log;
	ret = eng->base.csr ? certonly_csr(eng, e) : certonly_lineage(eng, e);
	if (hook_run_end(&eng->hooks, &post) < 0 && ret == 0) {
		*e = post;
		ret = -1;
	}
	hook_run_free(&eng->hooks);
	return ret;
}

static int certonly_lineage(struct engine *eng, struct error *e)
{
	struct lineage_choice choice = {.reservation = -1};
	struct settings stored;
	char **names;
	size_t n;
	bool attempted;
	int ret = -1;

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
	if (lineage_choose(eng, names, n, &choice, e) < 0)
		goto out;
	/* A new lineage's name stays reserved until its renewal file is
	 * stored, so that no other run takes the name for other names. */
	ret = lineage_renew(eng, choice.name, true, &attempted, e);
out:
	if (lineage_dry_run(eng)) {
		lineage_choice_withdraw(eng, &choice);
		dry_run_summary(eng, ret, e);
	}
	lineage_choice_release(&choice);
	settings_free(&stored);
	return ret;
}
