/* One lineage's life: whether it is due, and issuing, storing and
 * deploying its next version. Which lineage a request belongs to is
 * choose.c's. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "base/crypto.h"
#include "base/testpoint.h"
#include "cli/choose.h"
#include "cli/due.h"
#include "cli/engine.h"
#include "cli/hook.h"
#include "cli/issue.h"
#include "cli/lineage.h"
#include "cli/preflight.h"
#include "conf/renewal.h"
#include "host/route.h"
#include "store/lock.h"
#include "store/status.h"

static void print_expiry(struct engine *eng, X509 *cert)
{
	struct cert_info ci = {0};
	struct error e = {0};
	char date[32];

	if (crypto_cert_info(cert, &ci, &e) < 0)
		return;
	strftime(date, sizeof(date), "%Y-%m-%d", gmtime_r(&ci.not_after, &(struct tm){0}));
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

/* Run the deploy plugins (installers and deploy scripts) of RT, in order,
 * on the version live/ serves. */
static int run_installers(struct engine *eng, const struct settings *s, const struct routed *rt,
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
			return -1;
		}
		log_msg(&eng->log, LVL_INFO, "Deployed %s with %s", name,
		        host_instance_name(rt->deploys[i]));
	}
	return 0;
}

/* Run every deploy step on the version live/ serves: the deploy plugins
 * in order, then --deploy-hook and the deploy directory hooks. */
static int run_deploys(struct engine *eng, const struct settings *s, const struct routed *rt,
                       const char *name, bool renewal, bool issuer_changed, struct error *e)
{
	char live[PATH_MAX];

	store_live_dir(&eng->store, name, live, sizeof(live));
	if (run_installers(eng, s, rt, name, renewal, issuer_changed, e) < 0) {
		err_prefix(e, "the certificate is saved, but");
		return -1;
	}
	if ((s->deploy_hook || hook_run_has_deploy(&eng->hooks)) &&
	    hook_run_deploy(&eng->hooks, s->deploy_hook, live, (const char *const *)s->domains,
	                    s->n_domains, e) < 0)
		return -1;
	return 0;
}

/* Record in NAME's status whether the deploy steps of VERSION are done:
 * FAILURE is their error, or NULL when they succeeded. The version is
 * live by now, so a record that cannot be written is only reported: the
 * next run then deploys once more, which is harmless. */
static void record_deploy(struct engine *eng, const char *name, int version, bool issuer_changed,
                          const struct error *failure)
{
	struct lineage_status st = {.version = version, .issuer_changed = issuer_changed};
	struct error e = {0};

	st.deploy_pending = failure != NULL;
	if (failure)
		snprintf(st.deploy_error, sizeof(st.deploy_error), "%s", failure->msg);
	if (status_write(&eng->store, name, &st, &e) < 0)
		log_msg(&eng->log, LVL_WARN, "cannot record the deploy state of %s: %s", name, e.msg);
}

/* A run before deployed the version live/ serves only in part (a deploy
 * step or the hook failed, or the run was killed): run the deploy steps
 * again, without a new order. Fails while they keep failing. */
static int retry_pending_deploy(struct engine *eng, const struct settings *s, const char *name,
                                struct error *e)
{
	struct lineage_status st = {0};
	struct routed rt = {0};
	struct error ignore = {0};
	int live = store_live_version(&eng->store, name), ret = -1;

	if (status_read(&eng->store, name, &st, &ignore) < 0) {
		/* A damaged record must not stop renewals; deploys then run with
		 * the next version. */
		log_msg(&eng->log, LVL_WARN, "%s", ignore.msg);
		return 0;
	}
	/* A record about another version comes from a run that stopped
	 * before live/ switched to it: that version never served. */
	if (!st.deploy_pending || live == 0 || st.version != live)
		return 0;
	log_msg(&eng->log, LVL_INFO, "Deploying %s (version %d) again: %s", name, live,
	        st.deploy_error[0] ? st.deploy_error : "an earlier run did not finish its deploy");
	if (issue_route(eng, s, &rt, e) < 0 ||
	    run_deploys(eng, s, &rt, name, true, st.issuer_changed, e) < 0) {
		record_deploy(eng, name, live, st.issuer_changed, e);
		err_prefix(e, "the deploy of %s (version %d) is still pending", name, live);
		goto out;
	}
	record_deploy(eng, name, live, st.issuer_changed, NULL);
	fprintf(eng->out, "Deployed %s (version %d), pending since an earlier run.\n", name, live);
	ret = 0;
out:
	routed_free(&rt);
	return ret;
}

bool lineage_dry_run(const struct engine *eng)
{
	return eng->base.dry_run > 0;
}

/* A dry run of issue_lineage: the same account, key, order, challenges,
 * download and checks, against issue_server_url's server, and then
 * nothing kept: no archive version, renewal file or status record, no
 * deploy step and no deploy hook. */
static int dry_run_lineage(struct engine *eng, const struct settings *s, const char *name,
                           bool renewal, struct error *e)
{
	struct routed rt = {0};
	struct acme a = {0};
	struct issued is = {0};
	EVP_PKEY *acct_key = NULL, *key = NULL;
	unsigned char *csr = NULL;
	size_t csr_len = 0;
	int ret = -1;

	if (issue_route(eng, s, &rt, e) < 0 || issue_open_account(eng, s, &a, &acct_key, e) < 0 ||
	    issue_cert_key(eng, s, &a, name, &key, e) < 0 ||
	    crypto_csr_make(key, (const char *const *)s->domains, s->n_domains, &csr, &csr_len,
	                    e) < 0)
		goto out;
	if (eng->log.level >= LVL_INFO)
		fprintf(eng->out, "%s for %s\n",
		        renewal ? "Simulating renewal of an existing certificate"
		                : "Simulating a certificate request",
		        s->domains[0]);
	if (issue_lineage_order(eng, s, &a, &acct_key, &rt, name, csr, csr_len, key, &is, e) < 0)
		goto out;
	log_msg(&eng->log, LVL_INFO, "Dry run: the certificate for %s from %s is not saved", name,
	        issue_server_url(s));
	ret = 0;
out:
	free(csr);
	issued_free(&is);
	EVP_PKEY_free(key);
	EVP_PKEY_free(acct_key);
	acme_close(&a);
	routed_free(&rt);
	return ret;
}

/* What issue_lineage made live, for the record of the attempt. */
struct went_live {
	struct lineage_status st;   /* VERSION (0: none) and the state of its deploy */
	struct lineage_facts facts; /* of that version */
	bool facts_recorded;        /* the record holds them already */
};

/* Issue (or renew) lineage NAME with the effective settings S. Everything
 * of the new version is written before live/ switches to it: the archive
 * files, the renewal file and, when there are deploy steps, the status
 * record saying they are pending; a failure before the switch puts every
 * one of them back, so a run that reports failure has changed nothing the
 * user sees. What went live is left in *OUT, whose record the caller
 * writes with the attempt's (record_attempt), once. */
static int issue_lineage(struct engine *eng, const struct settings *s, const char *name,
                         bool renewal, struct went_live *out, struct error *e)
{
	struct routed rt = {0};
	struct acme a = {0};
	struct issued is = {0};
	struct store_kept record = {0}, status = {0};
	struct lineage_status st = {0};
	struct lineage_facts facts = {0};
	EVP_PKEY *acct_key = NULL, *key = NULL;
	unsigned char *csr = NULL;
	size_t csr_len = 0;
	char *key_pem = NULL, *old_chain = NULL, p[PATH_MAX];
	struct lineage_files files;
	int version = 0, ret = -1;
	bool switched = false, deploys = s->deploy_hook != NULL;

	if (lineage_dry_run(eng))
		return dry_run_lineage(eng, s, name, renewal, e);
	if (issue_route(eng, s, &rt, e) < 0)
		goto out;
	deploys = deploys || rt.n_deploys > 0 || hook_run_has_deploy(&eng->hooks);
	if (store_renewal_path(&eng->store, name, p, sizeof(p)) < 0) {
		err_set(e, EXIT_USAGE, "certificate name too long: %s", name);
		goto out;
	}
	if (store_keep(p, &record, e) < 0)
		goto out;
	/* A new lineage's record comes first, as certbot's does: a run killed
	 * from here on leaves a lineage that `renew` finds and completes. */
	if (!renewal && renewal_save(&eng->store, name, s, issue_server_url(s), e) < 0)
		goto out;
	if (issue_open_account(eng, s, &a, &acct_key, e) < 0)
		goto out;
	if (issue_cert_key(eng, s, &a, name, &key, e) < 0 ||
	    crypto_csr_make(key, (const char *const *)s->domains, s->n_domains, &csr, &csr_len,
	                    e) < 0)
		goto out;
	fprintf(eng->out, "%s a certificate for %s\n", renewal ? "Renewing" : "Requesting",
	        s->domains[0]);
	if (issue_lineage_order(eng, s, &a, &acct_key, &rt, name, csr, csr_len, key, &is, e) < 0)
		goto out;
	key_pem = crypto_key_pem(key, e);
	if (!key_pem)
		goto out;
	old_chain = renewal ? live_chain(eng, name) : NULL;
	files = (struct lineage_files){.privkey = key_pem,
	                               .cert = is.cert_pem,
	                               .chain = is.chain_pem,
	                               .fullchain = is.fullchain_pem};
	if (store_version_write(&eng->store, name, &files, &version, e) < 0)
		goto out;
	if (renewal && renewal_save(&eng->store, name, s, issue_server_url(s), e) < 0)
		goto out;
	/* The deploy is pending from before the switch, so that a run killed
	 * between the switch and the deploy steps leaves them to the next.
	 * Without deploy steps the record waits for the end of the attempt:
	 * a run killed after the switch leaves a record about the version
	 * before, which readers take as stale, and facts they recompute. */
	st.version = version;
	st.deploy_pending = deploys;
	st.issuer_changed = old_chain && strcmp(old_chain, is.chain_pem) != 0;
	if (due_facts_of(eng, name, s, sk_X509_value(is.chain, 0), version, &facts, e) < 0)
		goto out;
	if (deploys && (status_path(&eng->store, name, p, sizeof(p)) < 0 ||
	                store_keep(p, &status, e) < 0 ||
	                status_write_issued(&eng->store, name, &st, &facts, e) < 0))
		goto out;
	if (store_version_switch(&eng->store, name, version, e) < 0)
		goto out;
	switched = true;
	out->st = st;
	out->st.deploy_pending = false;
	out->facts = facts;
	out->facts_recorded = deploys;
	memset(&facts, 0, sizeof(facts));
	store_kept_drop(&record);
	store_kept_drop(&status);
	/* The certificate is stored: the order is done with. */
	issue_order_done(eng, name);
	fprintf(eng->out, "Successfully received certificate.\n");
	store_live_path(&eng->store, name, "fullchain", p, sizeof(p));
	fprintf(eng->out, "Certificate is saved at: %s\n", p);
	store_live_path(&eng->store, name, "privkey", p, sizeof(p));
	fprintf(eng->out, "Key is saved at:         %s\n", p);
	print_expiry(eng, sk_X509_value(is.chain, 0));
	log_msg(&eng->log, LVL_DEBUG, "%s is now version %d", name, version);
	if (deploys && run_deploys(eng, s, &rt, name, renewal, st.issuer_changed, e) < 0) {
		out->st.deploy_pending = true;
		snprintf(out->st.deploy_error, sizeof(out->st.deploy_error), "%s", e->msg);
		goto out;
	}
	ret = 0;
out:
	if (!switched) {
		/* Nothing the user sees has changed: put the records back. */
		store_version_drop(&eng->store, name, version);
		store_kept_restore(&status);
		store_kept_restore(&record);
	}
	status_facts_free(&facts);
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

/* --- attempts ------------------------------------------------------------ */

/* Record in NAME's status how the attempt went: FAILURE is its error, or
 * NULL, and DONE what issue_lineage made live. A version that went live
 * counts as issued or renewed even when a deploy step failed after it
 * (that failure is kept as last_error). A failed first issuance leaves no
 * lineage, so nothing is recorded then; a record that cannot be written
 * is only reported, as it changes no certificate. */
static void record_attempt(struct engine *eng, const char *name, bool renewal,
                           bool went_live, const struct went_live *done,
                           const struct error *failure)
{
	struct lineage_status st = {.last_attempt = time(NULL)};
	struct error e = {0};
	int rc;

	if (!store_lineage_exists(&eng->store, name))
		return;
	snprintf(st.last_outcome, sizeof(st.last_outcome), "%s",
	         went_live ? (renewal ? "renewed" : "issued") : "failed");
	if (failure) {
		snprintf(st.last_error, sizeof(st.last_error), "%s", failure->msg);
		snprintf(st.last_problem, sizeof(st.last_problem), "%s", failure->problem_type);
	}
	if (failure && !went_live) {
		struct lineage_status prev = {0};
		struct error ignore = {0};
		time_t pause;

		if (status_read(&eng->store, name, &prev, &ignore) == 0)
			st.failures = prev.failures;
		st.failures++;
		st.next_attempt = failure->retry_at;
		pause = due_backoff(st.failures);
		if (pause && st.last_attempt + pause > st.next_attempt) {
			st.next_attempt = st.last_attempt + pause;
			st.backoff = true;
		}
	}
	/* The version that went live has its deploy state (and, without
	 * deploy steps, its facts) in the same write. A record that cannot
	 * be written leaves a pending deploy pending: the next run deploys
	 * once more, which is harmless. */
	if (done->st.version > 0) {
		st.version = done->st.version;
		st.deploy_pending = done->st.deploy_pending;
		st.issuer_changed = done->st.issuer_changed;
		snprintf(st.deploy_error, sizeof(st.deploy_error), "%s", done->st.deploy_error);
		rc = status_write_done(&eng->store, name, &st,
		                       done->facts_recorded ? NULL : &done->facts, &e);
	} else {
		rc = status_write_attempt(&eng->store, name, &st, &e);
	}
	if (rc < 0)
		log_msg(&eng->log, LVL_WARN, "cannot record the last attempt of %s: %s", name, e.msg);
}

/* True when NAME must not be tried yet, and says so on the output: an
 * earlier attempt was told by the CA not to come back before a time still
 * ahead, or (for RENEW only) failed often enough in a row that renew
 * pauses. An operator's own certonly is never held back by that pause. */
static bool told_to_wait(struct engine *eng, const char *name, bool renew)
{
	struct lineage_status st = {0};
	struct error e = {0};
	char when[64];

	if (status_read(&eng->store, name, &st, &e) < 0) {
		log_msg(&eng->log, LVL_WARN, "%s", e.msg);
		return false;
	}
	if (st.next_attempt <= time(NULL) || (st.backoff && !renew))
		return false;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&st.next_attempt, &(struct tm){0}));
	if (st.backoff)
		fprintf(eng->out,
		        "Certificate %s: %d attempts in a row failed (last: %s); the next is not "
		        "before %s; skipping (use --force-renewal to try now)\n",
		        name, st.failures, st.last_error[0] ? st.last_error : st.last_problem, when);
	else
		fprintf(eng->out,
		        "Certificate %s: the CA asked not to be contacted before %s; skipping (use "
		        "--force-renewal to try anyway)\n",
		        name, when);
	return true;
}

/* Run S's --failure-hook for lineage NAME, which failed with FAILURE. Its
 * own failure is only reported: the lineage's is the one that counts. */
static void run_failure_hook(struct engine *eng, const struct settings *s, const char *name,
                             const struct error *failure)
{
	char live[PATH_MAX];
	struct error e = {0};

	store_live_dir(&eng->store, name, live, sizeof(live));
	log_msg(&eng->log, LVL_INFO, "Running failure-hook command: %s", s->failure_hook);
	if (hook_run_failure(s->failure_hook, live, (const char *const *)s->domains, s->n_domains,
	                     failure, &e) < 0)
		log_msg(&eng->log, LVL_ERROR, "%s", e.msg);
}

/* Renew NAME when due (or forced). *ATTEMPTED tells whether it tried. */
int lineage_renew(struct engine *eng, const char *name, bool cli_domains, bool *attempted,
                     struct error *e)
{
	struct settings s;
	struct went_live done = {0};
	char why[512];
	int lock = -1, ret = -1, live;
	bool exists;

	*attempted = false;
	/* Nothing due, by the status record alone: no lock, no renewal file
	 * parsed, no certificate parsed, no request (cli/due.h). */
	if (!cli_domains && !lineage_dry_run(eng) && due_settled(eng, name, why, sizeof(why))) {
		fprintf(eng->out, "Certificate %s is not yet due for renewal (%s); no action taken.\n",
		        name, why);
		return 0;
	}
	/* The lock is in the config dir, with the data: runs that share it
	 * exclude each other whatever their work dirs. A second run waits
	 * for the first (up to --lock-timeout) and then sees its result. A
	 * dry run writes nothing a lock guards, and takes none: it would make
	 * the lock file of a new name. */
	if (!lineage_dry_run(eng) && store_lock(&eng->store, name, &lock, e) < 0)
		return -1;
	testpoint("lineage-locked");
	if (engine_lineage_settings(eng, name, cli_domains, &s, e) < 0)
		goto out;
	if (!lineage_dry_run(eng)) {
		store_lineage_tidy(&eng->store, name);
		if (retry_pending_deploy(eng, &s, name, e) < 0)
			goto out;
	}
	/* A record without a live certificate is a first issuance that did
	 * not finish (killed, or the CA failed): issue it now. */
	exists = store_lineage_exists(&eng->store, name) && store_live_exists(&eng->store, name);
	if (!exists && store_lineage_exists(&eng->store, name))
		log_msg(&eng->log, LVL_INFO, "%s has no certificate yet; requesting it", name);
	/* A dry run simulates the renewal of every lineage, as certbot's. */
	if (lineage_dry_run(eng))
		snprintf(why, sizeof(why), "a dry run");
	else if (exists && !s.force_renewal && !due_lineage(eng, name, &s, why, sizeof(why))) {
		fprintf(eng->out, "Certificate %s is not yet due for renewal (%s); no action taken.\n",
		        name, why);
		ret = 0;
		goto out;
	}
	/* Reading the record writes nothing: a lineage that was never
	 * attempted keeps having no status file. */
	if (!s.force_renewal && store_lineage_exists(&eng->store, name) &&
	    told_to_wait(eng, name, !cli_domains)) {
		ret = 0;
		goto out;
	}
	if (exists)
		log_msg(&eng->log, LVL_INFO, "Renewing %s: %s", name,
		        s.force_renewal ? "forced" : why);
	*attempted = true;
	live = store_live_version(&eng->store, name);
	if (hook_run_begin(&eng->hooks, &s, e) == 0 && preflight_lineage(eng, &s, name, e) == 0)
		ret = issue_lineage(eng, &s, name, exists, &done, e);
	/* A dry run keeps no record and raises no alarm: it changed nothing. */
	if (!lineage_dry_run(eng)) {
		record_attempt(eng, name, exists, store_live_version(&eng->store, name) != live, &done,
		               ret < 0 ? e : NULL);
		if (ret < 0 && s.failure_hook)
			run_failure_hook(eng, &s, name, e);
	}
out:
	status_facts_free(&done.facts);
	settings_free(&s);
	store_unlock(lock);
	return ret;
}

int lineage_install(struct engine *eng, const char *name, struct error *e)
{
	struct settings s, steps;
	struct routed rt = {0};
	int lock = -1, ret = -1;

	settings_init(&s);
	settings_init(&steps);
	if (!store_lineage_exists(&eng->store, name)) {
		err_set(e, EXIT_USAGE, "no certificate named \"%s\" in %s/renewal", name,
		        eng->store.config_dir);
		goto out;
	}
	if (store_live_version(&eng->store, name) <= 0) {
		err_set(e, EXIT_OP, "%s has no certificate in live/ yet; nothing to install", name);
		goto out;
	}
	/* The lock keeps a renewal from switching live/ under the installer. */
	if (store_lock(&eng->store, name, &lock, e) < 0 ||
	    engine_lineage_settings(eng, name, false, &s, e) < 0)
		goto out;
	if (s.n_deploys == 0) {
		err_set(e, EXIT_USAGE, "install needs an installer: -i NAME (see `acmehook plugins`)");
		goto out;
	}
	/* Only the deploy steps are routed: the names need no authenticator,
	 * and routing them would ask DNS about their challenge records. */
	if (settings_merge(&steps, &s, e) < 0)
		goto out;
	settings_drop_domains(&steps);
	if (issue_route(eng, &steps, &rt, e) < 0 ||
	    run_installers(eng, &s, &rt, name, false, false, e) < 0)
		goto out;
	fprintf(eng->out, "Installed %s (version %d).\n", name, store_live_version(&eng->store, name));
	ret = 0;
out:
	routed_free(&rt);
	store_unlock(lock);
	settings_free(&steps);
	settings_free(&s);
	return ret;
}
